"""Runtime state of the fleet: pools, campus power, who runs where.

Only mechanics live here (place a gang, free it, draw power); what to start and whom to
preempt is the queue policy's business (:mod:`._policies`), what to count the meters'.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from aifab.sim.national._job import EVICTING, IntArray, Job
from aifab.sim.national._model import Twin
from aifab.sim.national._pools import PoolState
from aifab.sim.national._snapshot import Snapshot

_KEPT = ("campus_kw", "power_kw", "alloc_total", "reclaiming", "gen", "starts", "svc_alloc",
         "inf_held")
"""Scalars and lists a checkpoint keeps as they are (``free_total``, ``running`` and
``borrowed`` are derived; ``curtail_kw``: saved by the curtailment, :mod:`._curtailck`)."""


class FleetState:
    """Free accelerators per domain, facility power per campus and the running gangs."""

    def __init__(self, twin: Twin, dirty: set[int]) -> None:
        self.twin = twin
        self.dirty = dirty
        P = len(twin.partitions)
        self.pools = [PoolState(p.index, p.domains, p.domain_size) for p in twin.pools]
        owner = {i: part.index for part in twin.partitions for i in part.pools}
        self.pool_part = [owner.get(i, -1) for i in range(len(twin.pools))]
        campus = {i: c for c, cam in enumerate(twin.campuses) for i in cam.pools}
        self.pool_campus = [campus.get(i, 0) for i in range(len(twin.pools))]
        self.public = [p.index for p in twin.partitions if p.public]
        self.campus_kw = [sum(twin.pools[i].idle_kw * twin.pools[i].accelerators
                              for i in cam.pools) for cam in twin.campuses]
        self.power_kw = float(sum(self.campus_kw))
        self.curtail_kw = [math.inf] * len(twin.campuses)  # a curtailment window's limit
        self.alloc_total = 0
        self.talloc: npt.NDArray[np.int64] = np.zeros(len(twin.tenants), dtype=np.int64)
        self.running: list[dict[int, Job]] = [{} for _ in range(P)]
        self.borrowed: list[dict[int, Job]] = [{} for _ in range(P)]
        self.reclaiming = [0] * len(twin.pools)  # accelerators in their grace period
        self.gen = [0] * P  # bumped whenever a partition's occupancy changes
        self.starts = [0] * P  # bumped whenever a job starts in a partition
        self.svc_alloc = 0
        self.inf_held = [0] * P
        self.inf_peak = _inference_peak(twin)

    # -- checkpoint (:class:`._stateful.Stateful`) -----------------------------------
    def state(self) -> Snapshot:
        doc: dict[str, Any] = {k: getattr(self, k) for k in _KEPT}
        doc.update(free_total=[p.free_total for p in self.pools],
                   running=[list(r) for r in self.running],
                   borrowed=[list(b) for b in self.borrowed])
        arrays = {f"pool.{i}": p.free for i, p in enumerate(self.pools)}
        return {"fleet": doc}, {**arrays, "fleet.talloc": self.talloc}

    def restore(self, state: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]],
                jobs: Mapping[int, Job]) -> None:
        f = state["fleet"]
        for i, p in enumerate(self.pools):
            p.restore(arrays[f"pool.{i}"], int(f["free_total"][i]))
        self.talloc = arrays["fleet.talloc"].astype(np.int64).copy()
        for k in _KEPT:  # JSON keeps whole numbers whole (checked by _ckcheck)
            setattr(self, k, f[k])
        self.campus_kw, self.power_kw = [float(x) for x in f["campus_kw"]], float(f["power_kw"])
        self.running = [{i: jobs[i] for i in r} for r in f["running"]]
        self.borrowed = [{i: jobs[i] for i in b} for b in f["borrowed"]]

    # -- power -------------------------------------------------------------------------
    def power_ok(self, pool: int, n: int) -> bool:
        c = self.pool_campus[pool]
        cap = min(self.twin.campuses[c].cap_kw, self.curtail_kw[c])
        if cap == math.inf:
            return True
        p = self.twin.pools[pool]
        return self.campus_kw[c] + n * (p.busy_kw - p.idle_kw) <= cap + 1e-9

    def draw(self, pool: int, n: int) -> None:
        p = self.twin.pools[pool]
        d = n * (p.busy_kw - p.idle_kw)
        self.campus_kw[self.pool_campus[pool]] += d
        self.power_kw += d
        self.alloc_total += n

    def set_curtail(self, campus: int, kw: float) -> None:
        """Set a campus's curtailment limit (inf: none); raising it reschedules every
        partition and bumps its change counter (queued work may fit now)."""
        raised, self.curtail_kw[campus] = kw > self.curtail_kw[campus], kw
        for p in range(len(self.gen) if raised else 0):
            self.gen[p] += 1
            self.dirty.add(p)

    def take_down(self, pool: int, dom: int, n: int) -> None:
        """Take ``n`` free accelerators of domain ``dom`` out of allocation."""
        assert 0 <= n <= self.pools[pool].free[dom], f"pool {pool}: {n} not free in {dom}"
        self.pools[pool].release_one(dom, -n)
        if n and (part := self.pool_part[pool]) >= 0:
            self.gen[part] += 1

    def bring_up(self, pool: int, dom: int, n: int) -> None:
        """Return ``n`` accelerators of domain ``dom`` to allocation (repaired, a spare
        released): their partition and every public one (borrowers) may start work."""
        self.pools[pool].release_one(dom, n)
        if n and (part := self.pool_part[pool]) >= 0:
            self.gen[part] += 1
            self.dirty.add(part)
            self.dirty.update(self.public)

    # -- gangs -------------------------------------------------------------------------
    def find(self, n: int, pool_ids: tuple[int, ...]) -> tuple[int, IntArray, IntArray] | None:
        """The first pool (in order) that holds a gang of ``n`` within its power, compact
        placements before spilled ones: (pool, domains, counts), taken; or None."""
        pools = self.pools
        fits = [i for i in pool_ids if pools[i].free_total >= n and self.power_ok(i, n)]
        if not fits:
            return None
        for spill in (False, True):
            for i in fits:
                r = pools[i].place(n, spill)
                if r is not None:
                    return i, r[0], r[1]
        return None

    def occupy(self, job: Job, borrowed: bool) -> None:
        """Account a gang just placed by :meth:`find` (``job.pool`` etc. set)."""
        self.talloc[job.tenant] += job.n
        self.draw(job.pool, job.n)
        part = self.pool_part[job.pool]
        self.running[part][job.id] = job
        if borrowed:
            self.borrowed[part][job.id] = job
        self.starts[part] += 1
        self.gen[part] += 1

    def vacate(self, job: Job) -> None:
        """Free a running gang; its partition (and every public one) may start work."""
        assert job.doms is not None and job.cnt is not None
        self.pools[job.pool].release(job.doms, job.cnt)
        self.draw(job.pool, -job.n)
        self.talloc[job.tenant] -= job.n
        part = self.pool_part[job.pool]
        self.running[part].pop(job.id, None)
        self.gen[part] += 1
        self.borrowed[part].pop(job.id, None)
        if job.state == EVICTING:
            self.reclaiming[job.pool] -= job.n
        self.dirty.add(part)
        self.dirty.update(self.public)

    def free_in(self, pool_ids: tuple[int, ...]) -> int:
        return sum(self.pools[i].free_total for i in pool_ids)

    def lend_headroom(self, part: int) -> int:
        """Free accelerators an owner can lend: free minus what its inference services
        may still need at their daily peak."""
        free = self.free_in(self.twin.partitions[part].pools)
        return free - max(0, self.inf_peak[part] - self.inf_held[part])


# -- inference replicas (mechanics of the fleet, called through Operations) ----------
def place_replicas(fl: FleetState, pool: int, n: int, k: int) -> list[int]:
    """Place up to ``k`` replicas of ``n`` devices (each inside one domain) as far as
    the pool and its campus power cap allow; their domains."""
    if k <= 0 or fl.pools[pool].free_total < n:  # (a full pool: most tries at a peak)
        return []
    cap = min(fl.twin.campuses[fl.pool_campus[pool]].cap_kw,
              fl.curtail_kw[fl.pool_campus[pool]])
    if cap != math.inf:
        p = fl.twin.pools[pool]
        room = cap - fl.campus_kw[fl.pool_campus[pool]] + 1e-9
        k = min(k, max(0, int(room // (n * (p.busy_kw - p.idle_kw)))))
    doms = fl.pools[pool].place_many(n, k)
    got = len(doms)
    if got:
        fl.draw(pool, n * got)
        fl.svc_alloc += n * got
        if fl.pool_part[pool] >= 0:
            fl.inf_held[fl.pool_part[pool]] += n * got
            fl.gen[fl.pool_part[pool]] += 1
    return [int(d) for d in doms]


def release_replicas(fl: FleetState, pool: int, doms: list[int], n: int) -> None:
    if not doms:
        return
    fl.pools[pool].release_many(np.asarray(doms, dtype=np.int64), n)
    fl.draw(pool, -n * len(doms))
    fl.svc_alloc -= n * len(doms)
    part = fl.pool_part[pool]
    if part >= 0:
        fl.inf_held[part] -= n * len(doms)
        fl.gen[part] += 1
        fl.dirty.add(part)


def _inference_peak(twin: Twin) -> list[int]:
    """Per partition: GPU accelerators its inference services hold at their daily peak."""
    peak = [0] * len(twin.partitions)
    for svc in twin.services:
        gpu = [r for r in svc.replica if twin.pools[r[0]].kind == "gpu"]
        if gpu:
            need = svc.spec.peak_tokens_per_s * (1 - svc.npu_share)
            peak[svc.partition] += math.ceil(need / gpu[0][2]) * gpu[0][1]
    return peak
