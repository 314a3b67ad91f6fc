"""Inference services at run time: replica sets that follow a diurnal token demand.

Every ``scale_interval_h`` the autoscaler sets each service's replicas to meet the demand
of the coming interval: NPU-eligible demand (and ``npu_min_share`` of all demand) goes to
NPU pools first, the rest (and NPU overflow) to the owner's GPU pools. Replicas that do not
fit are unmet demand for that interval and ask the owner's lenders to reclaim.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aifab.sim.national._model import Twin
from aifab.sim.national._observers import Observer
from aifab.sim.national._snapshot import Snapshot

if TYPE_CHECKING:
    import numpy.typing as npt

    from aifab.sim.national._job import Job
    from aifab.sim.national._ops import Operations


def diurnal(t_s: float, amplitude: float, peak_hour: float) -> float:
    """Demand as a share of the daily peak at time ``t_s`` (1 at the peak hour)."""
    h = (t_s / 3600.0) % 24.0
    return (1 - amplitude) + amplitude * (1 + math.cos(2 * math.pi * (h - peak_hour) / 24)) / 2


class ServiceState:
    """Replicas currently placed for one service: (pool, domain) each; token meters."""

    __slots__ = ("demand_tok", "npu_tok", "reps", "served_tok", "unmet_tok")

    def __init__(self) -> None:
        self.reps: dict[int, list[int]] = {}  # pool -> domains of its replicas
        self.served_tok = 0.0
        self.unmet_tok = 0.0
        self.npu_tok = 0.0
        self.demand_tok = 0.0


class Services(Observer):
    """Every service's replicas and tokens; ``tick`` is the autoscaler's event."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.per_service = [ServiceState() for _ in twin.services]
        self.load = [0.0] * len(twin.services)
        # per service, its replica entries (pool, devices, tokens/s) on NPU and on GPU pools
        # (in the service's order), and each pool's tokens/s: fixed for the run
        self._npu = [[r for r in s.replica if twin.pools[r[0]].kind == "npu"]
                     for s in twin.services]
        self._gpu = [[r for r in s.replica if twin.pools[r[0]].kind == "gpu"]
                     for s in twin.services]
        self._cap: list[dict[int, float]] = []
        for s in twin.services:
            cap: dict[int, float] = {}
            for r in s.replica:
                cap.setdefault(r[0], r[2])
            self._cap.append(cap)

    def state(self) -> Snapshot:
        """Checkpoint entries: each service's replicas and token meters, and its load."""
        return {"services": [{"reps": [[pool, doms] for pool, doms in ss.reps.items()],
                              "tok": [ss.served_tok, ss.unmet_tok, ss.npu_tok,
                                      ss.demand_tok]} for ss in self.per_service],
                "svc_load": self.load}, {}

    def restore(self, state: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]],
                jobs: Mapping[int, Job]) -> None:
        for ss, s in zip(self.per_service, state["services"], strict=True):
            ss.reps = {int(pool): [int(d) for d in doms] for pool, doms in s["reps"]}
            ss.served_tok, ss.unmet_tok, ss.npu_tok, ss.demand_tok = (float(x)
                                                                     for x in s["tok"])
        self.load = [float(x) for x in state["svc_load"]]

    def accelerators(self) -> tuple[int, float]:
        """Accelerators held by inference replicas, and how many of them are busy."""
        held, busy = 0, 0.0
        for svc, ss, load in zip(self.twin.services, self.per_service, self.load, strict=True):
            size = {r[0]: r[1] for r in svc.replica}
            n = sum(len(d) * size[p] for p, d in ss.reps.items())
            held += n
            busy += n * load
        return held, busy

    def on_warm(self) -> None:
        for ss in self.per_service:
            ss.served_tok = ss.unmet_tok = ss.npu_tok = ss.demand_tok = 0.0

    @staticmethod
    def _fit(ops: Operations, st: ServiceState, replicas: list[tuple[int, int, float]],
             need: float) -> float:
        """Resize replicas on ``replicas``' pools (in order) to carry ``need`` tokens/s;
        return the capacity placed."""
        have = 0.0
        for pool, dev, cap in replicas:
            doms = st.reps.setdefault(pool, [])
            want = max(0, math.ceil((need - have) / cap - 1e-9))
            if len(doms) > want:
                ops.release_replicas(pool, doms[want:], dev)
                del doms[want:]
            elif len(doms) < want:
                doms.extend(ops.place_replicas(pool, dev, want - len(doms)))
            have += len(doms) * cap
        return have

    def tick(self, ops: Operations, t: float, dt: float) -> None:
        """Resize every service for the interval [t, t + dt) and account its tokens."""
        tw = self.twin
        st_ = tw.settings
        f = diurnal(t + dt / 2, st_.diurnal_amplitude, st_.peak_hour)
        for svc in tw.services:
            i = svc.index
            ss = self.per_service[i]
            demand = svc.spec.peak_tokens_per_s * f
            npu, gpu = self._npu[i], self._gpu[i]
            want_npu = demand * svc.npu_share
            cap_npu = self._fit(ops, ss, npu, want_npu) if npu else 0.0
            rest = demand - min(want_npu, cap_npu)
            cap_gpu = self._fit(ops, ss, gpu, rest) if gpu else 0.0
            if cap_gpu < rest - 1e-9 and want_npu < demand and npu:
                cap_npu = self._fit(ops, ss, npu, demand - cap_gpu)
            served_npu = min(cap_npu, demand)
            served = min(demand, served_npu + cap_gpu)
            if cap_gpu < demand - served_npu - 1e-9 and gpu:
                short = demand - served_npu - cap_gpu
                r = gpu[0]
                ops.reclaim_for(svc.partition, math.ceil(short / r[2]) * r[1])
            ss.demand_tok += demand * dt
            ss.served_tok += served * dt
            ss.npu_tok += served_npu * dt
            ss.unmet_tok += (demand - served) * dt
            busy = 0.0
            caps = self._cap[i]
            for pool, doms in ss.reps.items():
                busy += len(doms) * caps[pool]
            self.load[i] = (served / busy) if busy > 0 else 0.0
