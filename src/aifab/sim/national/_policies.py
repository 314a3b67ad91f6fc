"""Queue policies behind a registry: FIFO, EASY backfill, fair share with borrowing.

A policy's ``schedule(run, dirty)`` runs once per instant over the partitions whose
queues or occupancy changed; it only orders jobs and calls ``run.try_start`` /
``run.reclaim_for`` / ``run.reclaim`` (:class:`._protocol.Cluster`). Each policy owns its state
(reservations, scan caches) and hands it to checkpoints as plain data.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

from aifab.errors import BadInput
from aifab.sim.national._job import RUNNING, Job
from aifab.sim.national._model import Partition
from aifab.sim.national._protocol import Cluster, QueuePolicy

_NEVER = -1.0
"""A shadow time that never comes (a head that cannot start even when every running job
has ended, e.g. under a curtailment limit), as a checkpoint stores it: checkpoints hold
finite numbers only, and real shadow times are never negative."""


class Fifo:
    """Strict FIFO per partition (priority first): a blocked head blocks the rest."""

    name = "fifo"
    lends = False

    def schedule(self, run: Cluster, dirty: Iterable[int]) -> None:
        for p in sorted(dirty):
            part = run.partitions[p]
            while (job := run.queues.first(part.tenants)) is not None:
                if not run.try_start(job, part.pools):
                    self.blocked(run, part, job)
                    break

    def blocked(self, run: Cluster, part: Partition, head: Job) -> None:
        """Hook: what to do after the head did not fit (nothing for FIFO)."""

    def invalidate(self) -> None:
        """Drop scan caches (not reservations): a rescan then decides from scratch."""

    def state(self) -> dict[str, Any]:
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        pass


class Backfill(Fifo):
    """EASY backfill: the blocked head gets a reservation at its shadow time; later jobs
    start now if they end before it or use only accelerators it leaves spare. Run times
    are known exactly (the duration on the partition's slowest pool)."""

    name = "backfill"

    def __init__(self) -> None:
        self._scanned: dict[int, tuple[int, int, int]] = {}
        # partition -> (starts then, head id, shadow time, spare accelerators); void once
        # another job starts in the partition
        self._shadow: dict[int, tuple[int, int, float, int]] = {}

    def blocked(self, run: Cluster, part: Partition, head: Job) -> None:
        # Nothing started or ended and no job arrived since a scan that started nothing:
        # this scan would start nothing either (the shadow test only gets stricter).
        fl, q = run.fleet, run.queues
        key = (fl.gen[part.index], sum(q.qver[t] for t in part.tenants), head.id)
        if self._scanned.get(part.index) == key:
            return
        maxfree = max((fl.pools[i].free_total for i in part.pools), default=0)
        if maxfree == 0:
            self._scanned[part.index] = key
            return
        res = self._shadow.get(part.index)
        if res is None or res[0] != fl.starts[part.index] or res[1] != head.id:
            shadow, extra = self._reserve(run, part, head)
        else:
            shadow, extra = res[2], res[3]
        # A gang of n that did not start leaves every gang of n or more unable to until the
        # next start (Partition.monotone_fit); a failed try changes nothing, so those are
        # passed over without a try.
        least_failed = math.inf if part.monotone_fit else -1
        for job in itertools.islice(q.merged(part.tenants), run.settings.backfill_depth):
            if job is head:
                continue
            if job.n > maxfree or 0 < least_failed <= job.n:
                continue
            dur = job.work / run.min_speed[part.index] + job.restart
            short = run.now + dur <= shadow
            if not short and job.n > extra:
                continue
            if run.try_start(job, part.pools):
                maxfree = max(fl.pools[i].free_total for i in part.pools)
                if not short:
                    extra -= job.n
                if least_failed > 0:
                    least_failed = math.inf
            elif least_failed > 0:
                least_failed = job.n
            if maxfree == 0 or least_failed == 1:
                break  # no later job can start (a gang of 0 never does: _pools.place)
        self._shadow[part.index] = (fl.starts[part.index], head.id, shadow, extra)
        self._scanned[part.index] = key  # unchanged only if this scan started nothing

    @staticmethod
    def _reserve(run: Cluster, part: Partition, head: Job) -> tuple[float, int]:
        free = sum(run.fleet.pools[i].free_total for i in part.pools)
        ends = sorted((j.end, j.n) for j in run.fleet.running[part.index].values())
        for end, n in ends:
            free += n
            if free >= head.n:
                return end, free - head.n
        return float("inf"), 0

    def invalidate(self) -> None:
        self._scanned.clear()

    def state(self) -> dict[str, Any]:
        return {"scanned": [[k, *v] for k, v in self._scanned.items()],
                "shadow": [[k, st, head, sh if math.isfinite(sh) else _NEVER, extra]
                           for k, (st, head, sh, extra) in self._shadow.items()]}

    def restore(self, state: dict[str, Any]) -> None:
        self._scanned = {int(r[0]): (int(r[1]), int(r[2]), int(r[3]))
                         for r in state["scanned"]}
        self._shadow = {int(r[0]): (int(r[1]), int(r[2]),
                                    math.inf if r[3] == _NEVER else float(r[3]), int(r[4]))
                        for r in state["shadow"]}


class FairShare:
    """Kueue-style cohort: each owner's partition serves its tenants first, lowest
    usage/quota first; public tenants borrow idle owner capacity (owners reclaim it by
    preemption after a grace period) and reclaim their own quota from over-quota peers.
    While a tenant within its quota is blocked, no other tenant may start beyond its own
    quota (so reclaimed capacity reaches the tenant it was reclaimed for). Once every
    tenant's head is blocked, the partition is EASY-backfilled behind the most deserving
    blocked head (not while a tenant is starved that way)."""

    name = "fairshare"
    lends = True

    def __init__(self) -> None:
        self._backfill = Backfill()
        self._tried: dict[int, tuple[int, ...]] = {}

    def schedule(self, run: Cluster, dirty: Iterable[int]) -> None:
        parts = run.partitions
        for p in sorted(dirty, key=lambda p: (parts[p].public, p)):
            self._partition(run, parts[p])

    def _partition(self, run: Cluster, part: Partition) -> None:
        borrowing = run.settings.borrowing
        q, talloc, entitled = run.queues, run.fleet.talloc, run.entitled
        blocked: set[int] = set()
        first: Job | None = None
        starving = False  # a tenant within its quota is blocked: others may not exceed theirs
        while True:
            live = [t for t in part.tenants if t not in blocked and q.qlen[t] > 0]
            if not live:
                break
            t = min(live, key=lambda i: (talloc[i] / entitled[i], i))
            job = q.head(t)
            if job is None:
                blocked.add(t)
                continue
            within = talloc[t] + job.n <= entitled[t]
            if starving and not within:
                blocked.add(t)
                continue
            if run.try_start(job, part.pools):
                continue
            if not part.public:
                if borrowing:
                    run.reclaim_for(part.index, job.n)
            elif borrowing and self._borrow(run, job):
                continue  # served by borrowing: not starved
            elif within:
                self._reclaim_quota(run, part, t, job.n)
            starving = starving or (part.public and within)
            blocked.add(t)
            first = first or job
        if first is not None and not starving:
            self._backfill.blocked(run, part, first)

    @staticmethod
    def _borrow(run: Cluster, job: Job) -> bool:
        """Start ``job`` on an owner's idle capacity (owners with no queued work)."""
        cands = []
        for q in run.partitions:
            if q.public or any(run.fleet.reclaiming[i] for i in q.pools):
                continue
            if any(run.queues.qlen[t] > 0 for t in q.tenants):
                continue
            free = run.lend_headroom(q.index)
            if free >= job.n:
                cands.append((-free, q.index))
        for _f, qi in sorted(cands):
            if run.try_start(job, run.partitions[qi].pools, borrowed=True):
                return True
        return False

    def _reclaim_quota(self, run: Cluster, part: Partition, t: int, need: int) -> None:
        """Tenant ``t`` is under quota: preempt over-quota peers, newest first, without
        taking any of them below its own quota."""
        fl, entitled = run.fleet, run.entitled
        if any(fl.pools[i].free_total + fl.reclaiming[i] >= need for i in part.pools):
            return
        over = {u for u in part.tenants if u != t and fl.talloc[u] > entitled[u]}
        if not over:
            return
        key = (fl.gen[part.index], t, need, *(int(fl.talloc[u]) for u in part.tenants))
        if self._tried.get(part.index) == key:
            return  # same state as a try that found no pool to free
        self._tried[part.index] = key
        left = {u: int(fl.talloc[u] - entitled[u]) for u in over}
        victims = []
        for j in sorted((j for j in fl.running[part.index].values()
                         if j.tenant in over and j.state == RUNNING and not j.borrowed),
                        key=lambda j: (-j.start, -j.id)):
            if left[j.tenant] >= j.n:
                left[j.tenant] -= j.n
                victims.append(j)
        if victims:
            run.reclaim(part.pools, need, victims, "quota")

    def invalidate(self) -> None:
        self._backfill.invalidate()
        self._tried.clear()

    def state(self) -> dict[str, Any]:
        return {"backfill": self._backfill.state(),
                "tried": [[k, *v] for k, v in self._tried.items()]}

    def restore(self, state: dict[str, Any]) -> None:
        self._backfill.restore(state["backfill"])
        self._tried = {int(r[0]): tuple(int(x) for x in r[1:]) for r in state["tried"]}


QUEUE_POLICIES: dict[str, type[Fifo] | type[FairShare]] = {
    Fifo.name: Fifo, Backfill.name: Backfill, FairShare.name: FairShare}
"""Queue policies (what runs next) by name; placement policies (where a pod goes) are
:data:`aifab.sim.PLACEMENT_POLICIES`."""


def get_queue_policy(name: str) -> QueuePolicy:
    """A fresh queue policy by registry name."""
    try:
        return QUEUE_POLICIES[name]()
    except KeyError:
        raise BadInput(f"unknown queue policy {name!r} (one of: {', '.join(QUEUE_POLICIES)})",
                       where="sim.queue_policy") from None
