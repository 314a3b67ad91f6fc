"""Queue policies behind a registry: FIFO, EASY backfill, fair share with borrowing.

A policy's ``schedule(sim)`` runs once per instant over the partitions marked dirty; it
only orders jobs and calls ``sim.try_start`` / ``sim.reclaim_for`` / ``sim.evict``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aifab.errors import BadInput
from aifab.sim.national.engine import RUNNING

if TYPE_CHECKING:
    from aifab.sim.national.engine import Job, NationalSim
    from aifab.sim.national.model import Partition


def _merged(sim: NationalSim, part: Partition) -> Iterator[Job]:
    """Queued jobs of a partition's tenants in global (priority, arrival) order."""
    live = [t for t in part.tenants if sim.qlen[t] > 0]
    if len(live) == 1:
        yield from sim.iter_queue(live[0])
        return
    gens = [((-j.prio, j.seq, j) for j in sim.iter_queue(t)) for t in live]
    for _p, _s, job in heapq.merge(*gens):
        yield job


def _head(sim: NationalSim, part: Partition) -> Job | None:
    best: Job | None = None
    for t in part.tenants:
        j = sim.head(t)
        if j is not None and (best is None or (-j.prio, j.seq) < (-best.prio, best.seq)):
            best = j
    return best


class Fifo:
    """Strict FIFO per partition (priority first): a blocked head blocks the rest."""

    name = "fifo"

    def schedule(self, sim: NationalSim) -> None:
        for p in sorted(sim.dirty):
            part = sim.twin.partitions[p]
            while (job := _head(sim, part)) is not None:
                if not sim.try_start(job, part.pools):
                    self.blocked(sim, part, job)
                    break

    def blocked(self, sim: NationalSim, part: Partition, head: Job) -> None:
        """Hook: what to do after the head did not fit (nothing for FIFO)."""


class Backfill(Fifo):
    """EASY backfill: the blocked head gets a reservation at its shadow time; later jobs
    start now if they end before it or use only accelerators it leaves spare. Run times
    are known exactly (the duration on the partition's slowest pool)."""

    name = "backfill"

    def __init__(self) -> None:
        self._scanned: dict[int, tuple[int, int, int]] = {}

    def blocked(self, sim: NationalSim, part: Partition, head: Job) -> None:
        # Nothing started or ended and no job arrived since a scan that started nothing:
        # this scan would start nothing either (the shadow test only gets stricter).
        key = (sim.gen[part.index], sum(sim.qver[t] for t in part.tenants), head.id)
        if self._scanned.get(part.index) == key:
            return
        maxfree = max((sim.pools[i].free_total for i in part.pools), default=0)
        if maxfree == 0:
            self._scanned[part.index] = key
            return
        res = sim.shadow.get(part.index)
        if res is None or res[0] != head.id:
            res = self._reserve(sim, part, head)
        _, shadow, extra = res
        for job in itertools.islice(_merged(sim, part), sim.twin.settings.backfill_depth):
            if job is head:
                continue
            if job.n > maxfree:
                continue
            dur = job.work / sim.min_speed[part.index] + job.restart
            short = sim.now + dur <= shadow
            if not short and job.n > extra:
                continue
            if sim.try_start(job, part.pools):
                maxfree = max(sim.pools[i].free_total for i in part.pools)
                if not short:
                    extra -= job.n
        sim.shadow[part.index] = (head.id, shadow, extra)
        self._scanned[part.index] = key  # unchanged only if this scan started nothing

    @staticmethod
    def _reserve(sim: NationalSim, part: Partition, head: Job) -> tuple[int, float, int]:
        free = sum(sim.pools[i].free_total for i in part.pools)
        ends = sorted((j.end, j.n) for j in sim.running[part.index].values())
        for end, n in ends:
            free += n
            if free >= head.n:
                return head.id, end, free - head.n
        return head.id, float("inf"), 0


class FairShare:
    """Kueue-style cohort: each owner's partition serves its tenants first, lowest
    usage/quota first; public tenants borrow idle owner capacity (owners reclaim it by
    preemption after a grace period) and reclaim their own quota from over-quota peers.
    While a tenant within its quota is blocked, no other tenant may start beyond its own
    quota (so reclaimed capacity reaches the tenant it was reclaimed for). Once every
    tenant's head is blocked, the partition is EASY-backfilled behind the most deserving
    blocked head (not while a tenant is starved that way)."""

    name = "fairshare"

    def __init__(self) -> None:
        self._backfill = Backfill()
        self._tried: dict[int, tuple[int, ...]] = {}

    def schedule(self, sim: NationalSim) -> None:
        parts = sim.twin.partitions
        order = sorted(sim.dirty, key=lambda p: (parts[p].public, p))
        for p in order:
            self._partition(sim, parts[p])

    def _partition(self, sim: NationalSim, part: Partition) -> None:
        borrowing = sim.twin.settings.borrowing
        blocked: set[int] = set()
        first: Job | None = None
        starving = False  # a tenant within its quota is blocked: others may not exceed theirs
        while True:
            live = [t for t in part.tenants if t not in blocked and sim.qlen[t] > 0]
            if not live:
                break
            t = min(live, key=lambda i: (sim.talloc[i] / sim.entitled[i], i))
            job = sim.head(t)
            if job is None:
                blocked.add(t)
                continue
            within = sim.talloc[t] + job.n <= sim.entitled[t]
            if starving and not within:
                blocked.add(t)
                continue
            if sim.try_start(job, part.pools):
                continue
            starving = starving or (part.public and within)
            if not part.public:
                if borrowing:
                    sim.reclaim_for(part.index, job.n)
            elif borrowing and self._borrow(sim, job):
                continue
            elif within:
                self._reclaim_quota(sim, part, t, job.n)
            blocked.add(t)
            first = first or job
        if first is not None and not starving:
            self._backfill.blocked(sim, part, first)

    @staticmethod
    def _borrow(sim: NationalSim, job: Job) -> bool:
        """Start ``job`` on an owner's idle capacity (owners with no queued work)."""
        cands = []
        for q in sim.twin.partitions:
            if q.public or any(sim.reclaiming[i] for i in q.pools):
                continue
            if any(sim.qlen[t] > 0 for t in q.tenants):
                continue
            free = sim.lend_headroom(q.index)
            if free >= job.n:
                cands.append((-free, q.index))
        for _f, qi in sorted(cands):
            if sim.try_start(job, sim.twin.partitions[qi].pools, borrowed=True):
                return True
        return False

    def _reclaim_quota(self, sim: NationalSim, part: Partition, t: int, need: int) -> None:
        """Tenant ``t`` is under quota: preempt over-quota peers, newest first, without
        taking any of them below its own quota."""
        if any(sim.pools[i].free_total + sim.reclaiming[i] >= need for i in part.pools):
            return
        over = {u for u in part.tenants if u != t and sim.talloc[u] > sim.entitled[u]}
        if not over:
            return
        key = (sim.gen[part.index], t, need, *(int(sim.talloc[u]) for u in part.tenants))
        if self._tried.get(part.index) == key:
            return  # same state as a try that found no pool to free
        self._tried[part.index] = key
        left = {u: int(sim.talloc[u] - sim.entitled[u]) for u in over}
        victims = []
        for j in sorted((j for j in sim.running[part.index].values()
                         if j.tenant in over and j.state == RUNNING and not j.borrowed),
                        key=lambda j: (-j.start, -j.id)):
            if left[j.tenant] >= j.n:
                left[j.tenant] -= j.n
                victims.append(j)
        if victims:
            sim.reclaim(part.pools, need, victims, "quota")


POLICIES: dict[str, type[Fifo] | type[FairShare]] = {
    Fifo.name: Fifo, Backfill.name: Backfill, FairShare.name: FairShare}


def get_policy(name: str) -> Fifo | FairShare:
    """A fresh queue policy by registry name."""
    try:
        return POLICIES[name]()
    except KeyError:
        raise BadInput(f"unknown queue policy {name!r} (one of: {', '.join(POLICIES)})",
                       where="sim.queue_policy") from None
