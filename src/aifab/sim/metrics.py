"""Observers that record what a run did: allocation and fragmentation curves, failures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aifab.sim.engine import ARRIVAL, Event, Simulation
from aifab.sim.frag import FragIndex
from aifab.sim.state import Placement, PodShape

FloatArray = npt.NDArray[np.float64]


def kind_label(shape: PodShape) -> str:
    """Human label of a pod shape's kind: cpu, share, 1-gpu, 2-gpu, ..."""
    if shape.num_gpu == 0:
        return "cpu"
    return "share" if shape.is_share else f"{shape.num_gpu}-gpu"


def _frag_pct(sim: Simulation, frag: FragIndex | None) -> tuple[float, float]:
    if frag is None:
        return float("nan"), float("nan")
    cap = sim.cluster.gpu_capacity_milli
    idle = cap - sim.cluster.allocated_milli
    total = frag.total
    return 100.0 * total / cap, (100.0 * total / idle if idle > 0 else 0.0)


@dataclass
class ArrivedCurve:
    """Allocation and fragmentation at each integer % of arrived GPU demand (0..max_pct).

    A point p is recorded right after the first pod that brings arrived demand (placed or
    not) to at least p % of capacity; points never reached take the final state.
    """

    frag: FragIndex | None = None
    max_pct: int = 130
    arrived_milli: int = 0
    alloc_pct: list[float] = field(default_factory=list)
    frag_pct: list[float] = field(default_factory=list)
    frag_ratio_pct: list[float] = field(default_factory=list)

    def on_event(self, sim: Simulation, event: Event, placement: Placement | None) -> None:
        if event.kind != ARRIVAL:
            return
        wl = sim.workload
        self.arrived_milli += wl.shapes[int(wl.shape_id[event.pod])].gpu_demand_milli
        cap = sim.cluster.gpu_capacity_milli
        pct = 100.0 * self.arrived_milli / cap
        if len(self.alloc_pct) > self.max_pct or len(self.alloc_pct) > pct:
            return
        alloc = 100.0 * sim.cluster.allocated_milli / cap
        fp, fr = _frag_pct(sim, self.frag)
        while len(self.alloc_pct) <= min(pct, self.max_pct):
            self.alloc_pct.append(alloc)
            self.frag_pct.append(fp)
            self.frag_ratio_pct.append(fr)

    def finish(self, sim: Simulation) -> None:
        alloc = 100.0 * sim.cluster.allocated_milli / sim.cluster.gpu_capacity_milli
        fp, fr = _frag_pct(sim, self.frag)
        while len(self.alloc_pct) <= self.max_pct:
            self.alloc_pct.append(alloc)
            self.frag_pct.append(fp)
            self.frag_ratio_pct.append(fr)


@dataclass
class ReplaySeries:
    """Allocation and fragmentation after every event (for trace-time replays)."""

    frag: FragIndex | None = None
    time: list[float] = field(default_factory=list)
    alloc_pct: list[float] = field(default_factory=list)
    frag_pct: list[float] = field(default_factory=list)
    running: list[int] = field(default_factory=list)
    _running: int = 0

    def on_event(self, sim: Simulation, event: Event, placement: Placement | None) -> None:
        if placement is not None:
            self._running += 1 if event.kind == ARRIVAL else -1
        self.time.append(event.time)
        self.alloc_pct.append(100.0 * sim.cluster.allocated_milli / sim.cluster.gpu_capacity_milli)
        self.frag_pct.append(_frag_pct(sim, self.frag)[0])
        self.running.append(self._running)

    def summary(self) -> dict[str, float]:
        """Exact peak and time-weighted mean over all events (not just the samples)."""
        if len(self.time) < 2:
            a = self.alloc_pct[-1] if self.alloc_pct else 0.0
            return {"alloc_peak_pct": a, "alloc_mean_pct": a, "frag_mean_pct": float("nan"),
                    "running_peak": float(max(self.running, default=0))}
        t = np.asarray(self.time)
        dt = np.diff(t)
        span = float(t[-1] - t[0])
        alloc = np.asarray(self.alloc_pct)
        frag = np.asarray(self.frag_pct)

        def twm(x: FloatArray) -> float:
            return float((x[:-1] * dt).sum() / span) if span > 0 else float(x.mean())

        return {"alloc_peak_pct": float(alloc.max()), "alloc_mean_pct": twm(alloc),
                "frag_mean_pct": twm(frag), "running_peak": float(max(self.running))}

    def sampled(self, points: int = 500) -> dict[str, list[float]]:
        """At most ``points`` samples: the last state at or before each of evenly spaced times."""
        if not self.time:
            return {"time_s": [], "alloc_pct": [], "frag_pct": [], "running_pods": []}
        t = np.asarray(self.time)
        grid = np.linspace(t[0], t[-1], num=min(points, len(t)))
        idx = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(t) - 1)
        return {
            "time_s": [float(x) for x in grid],
            "alloc_pct": [self.alloc_pct[i] for i in idx],
            "frag_pct": [self.frag_pct[i] for i in idx],
            "running_pods": [float(self.running[i]) for i in idx],
        }


@dataclass
class FailedByKind:
    """Pods that fitted nowhere, counted by kind (cpu, share, 1-gpu, ...)."""

    counts: Counter[str] = field(default_factory=Counter)
    demand_milli: int = 0

    def on_event(self, sim: Simulation, event: Event, placement: Placement | None) -> None:
        if event.kind == ARRIVAL and placement is None:
            wl = sim.workload
            shape = wl.shapes[int(wl.shape_id[event.pod])]
            self.counts[kind_label(shape)] += 1
            self.demand_milli += shape.gpu_demand_milli
