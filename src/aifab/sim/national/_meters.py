"""Meters: observers that count, integrate and sample a run; reset when warm-up ends."""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from aifab.sim.national._job import FAILURE, RECORD_FIELDS, Job
from aifab.sim.national._observers import Observer
from aifab.sim.national._snapshot import Snapshot

if TYPE_CHECKING:
    from aifab.sim.national._fleet import FleetState
    from aifab.sim.national._model import Twin
    from aifab.sim.national._queues import Queues
    from aifab.sim.national._services import Services

FloatArray = npt.NDArray[np.float64]
Arrays = Mapping[str, npt.NDArray[Any]]
COUNTS = ("arrivals", "starts", "completions", "preemptions", "scaling", "topology_misses",
          "multi_domain")
SERIES_COLUMNS = ("t_h", "allocated", "busy", "inference", "power_mw", "queued",
                  "queued_owner", "queued_public", "running", "stranded_power",
                  "stranded_fragmentation", "stranded_idle")


class Counts(Observer):
    """Event counters; ``preempt_<cause>`` keys appear as causes do. A gang stopped by a
    failure is not a preemption (the reliability block counts those interruptions)."""

    def __init__(self) -> None:
        self.c: dict[str, int] = dict.fromkeys(COUNTS, 0)
        self._failing: set[int] = set()  # interrupted by a failure, requeued this instant

    def state(self) -> Snapshot:
        return {"meters": {"counts": self.c}}, {}

    def restore(self, state: Mapping[str, Any], arrays: Arrays, jobs: Mapping[int, Job]) -> None:
        self.c = {str(k): int(v) for k, v in state["meters"]["counts"].items()}

    def on_arrive(self, job: Job) -> None:
        self.c["arrivals"] += 1

    def on_start(self, job: Job, multi_domain: bool, spilled: bool) -> None:
        c = self.c
        if multi_domain:
            c["multi_domain"] += 1
        if spilled:
            c["topology_misses"] += 1
        c["starts"] += 1

    def on_evict(self, job: Job, cause: str) -> None:
        if cause == FAILURE:
            self._failing.add(job.id)
            return
        key = f"preempt_{cause}"
        self.c[key] = self.c.get(key, 0) + 1

    def on_requeue(self, job: Job) -> None:
        if job.id in self._failing:
            self._failing.discard(job.id)
            return
        self.c["preemptions"] += 1

    def on_complete(self, job: Job) -> None:
        self.c["completions"] += 1

    def on_scale(self, replicas: int) -> None:
        self.c["scaling"] += replicas

    def on_warm(self) -> None:
        self.c = dict.fromkeys(self.c, 0)


class Records(Observer):
    """One row per completed job (:data:`RECORD_FIELDS`), packed as float64."""

    def __init__(self) -> None:
        self.r = {k: array("d") for k in RECORD_FIELDS}

    def state(self) -> Snapshot:
        # a copy: a view of the buffer would stop the column from growing
        return {}, {f"rec.{k}": np.frombuffer(col, dtype=np.float64).copy() if len(col)
                    else np.zeros(0) for k, col in self.r.items()}

    def restore(self, state: Mapping[str, Any], arrays: Arrays, jobs: Mapping[int, Job]) -> None:
        self.r = {k: array("d", arrays[f"rec.{k}"].tolist()) for k in RECORD_FIELDS}

    def on_complete(self, job: Job) -> None:
        for k, col in self.r.items():
            col.append(float(getattr(job, k)))

    def on_warm(self) -> None:
        self.r = {k: array("d") for k in RECORD_FIELDS}


class Integrals(Observer):
    """Time integrals of allocation, energy and queue lengths (exact between events)."""

    def __init__(self, fleet: FleetState, queues: Queues) -> None:
        self.fleet, self.queues = fleet, queues
        T = len(queues.home)
        self.last = 0.0
        self.alloc_s = self.svc_alloc_s = self.energy_kwh = 0.0
        self.tenant_s: FloatArray = np.zeros(T)
        self.queue_s: FloatArray = np.zeros(T)

    def state(self) -> Snapshot:
        return {"meters": {"last": self.last, "alloc_s": self.alloc_s,
                           "svc_alloc_s": self.svc_alloc_s, "energy_kwh": self.energy_kwh}}, \
            {"m.tenant_s": self.tenant_s, "m.queue_s": self.queue_s}

    def restore(self, state: Mapping[str, Any], arrays: Arrays, jobs: Mapping[int, Job]) -> None:
        m = state["meters"]
        self.last, self.alloc_s = float(m["last"]), float(m["alloc_s"])
        self.svc_alloc_s, self.energy_kwh = float(m["svc_alloc_s"]), float(m["energy_kwh"])
        self.tenant_s, self.queue_s = arrays["m.tenant_s"].copy(), arrays["m.queue_s"].copy()

    def advance(self, t: float) -> None:
        dt = t - self.last
        if dt <= 0:
            return
        f = self.fleet
        self.alloc_s += f.alloc_total * dt
        self.svc_alloc_s += f.svc_alloc * dt
        self.energy_kwh += f.power_kw * dt / 3600.0
        self.tenant_s += f.talloc * dt
        self.queue_s += self.queues.qlen * dt
        self.last = t

    def on_warm(self) -> None:
        T = len(self.queues.home)
        self.alloc_s = self.svc_alloc_s = self.energy_kwh = 0.0
        self.tenant_s = np.zeros(T)
        self.queue_s = np.zeros(T)


class TimeSeries(Observer):
    """A row every ``sample_h`` and the stranded accelerator-seconds by cause.

    Free accelerators count as fragmentation when a tenant that may use their pool has
    queued work (so the work did not fit: gang, topology or power), else as idle (no
    demand); under a power cap those that cannot be energised count as power. With a
    policy that lends idle owner capacity to public tenants (``lends``), public demand
    counts for every owner.
    """

    def __init__(self, twin: Twin, fleet: FleetState, queues: Queues, services: Services,
                 lends: bool) -> None:
        self.twin, self.fleet, self.queues, self.services = twin, fleet, queues, services
        self.lends = lends and twin.settings.borrowing
        self.rows: list[tuple[float, ...]] = []
        self.campus_rows: list[tuple[float, ...]] = []  # facility kW per campus per sample
        self.stranded_s: FloatArray = np.zeros(3)  # power, fragmentation, idle

    def state(self) -> Snapshot:
        return {}, {"m.stranded_s": self.stranded_s,
                    "m.series": np.array(self.rows, dtype=np.float64).reshape(
                        len(self.rows), len(SERIES_COLUMNS)),
                    "m.campus": np.array(self.campus_rows, dtype=np.float64).reshape(
                        len(self.campus_rows), len(self.twin.campuses))}

    def restore(self, state: Mapping[str, Any], arrays: Arrays, jobs: Mapping[int, Job]) -> None:
        self.stranded_s = arrays["m.stranded_s"].copy()
        self.rows = [tuple(float(x) for x in row) for row in arrays["m.series"]]
        if "m.campus" in arrays:
            self.campus_rows = [tuple(float(x) for x in row) for row in arrays["m.campus"]]

    def sample(self, now: float) -> None:
        row, stranded = self.row(now)
        self.rows.append(row)
        self.campus_rows.append(tuple(self.fleet.campus_kw))
        self.stranded_s += stranded * self.twin.settings.sample_h * 3600.0

    def row(self, now: float) -> tuple[tuple[float, ...], FloatArray]:
        tw, fl, qlen = self.twin, self.fleet, self.queues.qlen
        public_wait = any(qlen[t] > 0 for p in tw.partitions if p.public for t in p.tenants)
        demand = [any(qlen[t] > 0 for t in p.tenants)
                  or (self.lends and public_wait and not p.public)
                  for p in tw.partitions]
        power = frag = idle = 0.0
        for cam in tw.campuses:
            free_c = sum(fl.pools[i].free_total for i in cam.pools)
            dark = sum(tw.pools[i].dark_domains * tw.pools[i].domain_size for i in cam.pools)
            pw = float(min(free_c, cam.power_stranded)) if dark == 0 else 0.0
            power += pw + dark
            keep = (free_c - pw) / free_c if free_c else 0.0
            for i in cam.pools:
                f = fl.pools[i].free_total * keep
                part = fl.pool_part[i]
                if part >= 0 and demand[part]:
                    frag += f
                else:
                    idle += f
        held, busy_inf = self.services.accelerators()
        queued = int(qlen.sum())
        owner_q = sum(int(qlen[t.index]) for t in tw.tenants if t.kind == "owner")
        running = sum(len(r) for r in fl.running)
        row = (now / 3600.0, float(fl.alloc_total),
               float(fl.alloc_total - fl.svc_alloc) + busy_inf, float(held),
               fl.power_kw / 1000.0, float(queued), float(owner_q), float(queued - owner_q),
               float(running), power, frag, idle)
        return row, np.array([power, frag, idle])

    def on_warm(self) -> None:
        self.rows = []
        self.campus_rows = []
        self.stranded_s = np.zeros(3)
