"""What a queue policy may do to a run: start a job, preempt, reclaim; and see queues,
occupancy and lendable headroom. Meters hear about every change as observers.
"""

from __future__ import annotations

from collections.abc import Sequence

from aifab.sim.core import EventQueue
from aifab.sim.national._events import ARRIVE, END, EVICT, RESET, SAMPLE, SCALE, WAKE, JobRef
from aifab.sim.national._fleet import FleetState, place_replicas, release_replicas
from aifab.sim.national._job import DONE, EVICTING, FAILURE, HUNG, QUEUED, RUNNING, Job
from aifab.sim.national._model import Partition, Twin
from aifab.sim.national._observers import Bus
from aifab.sim.national._queues import Queues

__all__ = ["ARRIVE", "END", "EVICT", "RESET", "SAMPLE", "SCALE", "WAKE", "Operations"]


class Operations:
    """The run as a queue policy sees it (see :class:`._policies.QueuePolicy`)."""

    def __init__(self, twin: Twin, fleet: FleetState, queues: Queues, events: EventQueue,
                 bus: Bus) -> None:
        self.twin, self.settings = twin, twin.settings
        self.partitions: Sequence[Partition] = twin.partitions
        self.fleet, self.queues, self.events, self.bus = fleet, queues, events, bus
        self.now, self.stretch = 0.0, _no_stretch  # see _no_stretch
        self.jobs: dict[int, Job] = {}  # every job not yet completed
        self.entitled = [max(1, t.entitled) for t in twin.tenants]
        self.min_speed = [min((twin.pools[i].speed for i in p.pools), default=1.0)
                          for p in twin.partitions]

    # -- for policies (below them: for event sources) ---------------------------------
    def try_start(self, job: Job, pool_ids: tuple[int, ...], borrowed: bool = False) -> bool:
        """Start ``job`` on the first pool (in order) that holds its gang; compact first."""
        got = self.fleet.find(job.n, pool_ids)
        if got is None:
            return False
        pool, doms, cnt = got
        spec = self.twin.pools[pool]
        now = self.now
        job.state, job.pool, job.doms, job.cnt, job.borrowed = RUNNING, pool, doms, cnt, borrowed
        job.start = now
        if job.first < 0:
            job.first = now
        job.ran_restart, job.restart = job.restart, 0.0
        job.end = now + job.work / spec.speed * self.stretch(job) + job.ran_restart
        job.token += 1
        min_doms = -(-job.n // spec.domain_size)
        spilled = len(doms) > min_doms
        if spilled:
            job.miss = 1
        self.queues.started(job)
        self.fleet.occupy(job, borrowed)
        for f in self.bus.start:
            f(job, min_doms > 1 or len(doms) > 1, spilled)
        self.events.push(job.end, END, _ref(job))
        return True

    def evict(self, job: Job, cause: str = "reclaim") -> None:
        """Preempt a running job after the grace period (its gang frees then)."""
        for f in self.bus.evict:
            f(job, cause)
        job.state = EVICTING
        self.fleet.reclaiming[job.pool] += job.n
        self.events.push(self.now + self.settings.preempt_grace_s, EVICT, _ref(job))

    def interrupt(self, job: Job, cause: str = FAILURE, *, requeue: bool = True) -> None:
        """Stop a running job now (a failure under it): it loses the work since its last
        checkpoint and is queued again (cause "failure" is no preemption), at once or, hung
        (``requeue=False``: its gang freed, the job in no queue), at :meth:`requeue`."""
        for f in self.bus.evict:
            f(job, cause)
        job.state = EVICTING
        self.fleet.reclaiming[job.pool] += job.n
        self.on_evict(_ref(job), preempted=cause != FAILURE, requeue=requeue)

    def requeue(self, job: Job) -> None:
        """Queue a job stopped without requeueing (hung) again, at the front of its queue."""
        assert job.state == HUNG, f"job {job.id} is not hung"
        job.state = QUEUED
        self.queues.enqueue(job, front=True)

    def reclaim_for(self, part: int, need: int) -> None:
        """Owner demand of ``need`` accelerators is blocked: preempt borrowers."""
        borrowed = self.fleet.borrowed[part]
        if borrowed:
            self.reclaim(self.partitions[part].pools, need, list(borrowed.values()), "owner")

    def reclaim(self, pool_ids: tuple[int, ...], need: int, victims: list[Job],
                cause: str) -> None:
        """Preempt ``victims`` (newest first) in the one pool where that frees ``need``
        accelerators soonest; nothing if no pool can reach it or one already will."""
        best = _reclaim_pool(self.fleet, pool_ids, need, victims)
        if best < 0:
            return
        have = self.fleet.pools[best].free_total + self.fleet.reclaiming[best]
        for job in sorted((j for j in victims if j.pool == best and j.state == RUNNING),
                          key=lambda j: (-j.start, -j.id)):
            self.evict(job, cause)
            have += job.n
            if have >= need:
                return

    def lend_headroom(self, part: int) -> int:
        return self.fleet.lend_headroom(part)

    def wake_at(self, t: float) -> None:
        """Schedule the queue policy at ``t`` (> now) too (Kueue's requeue, A2b)."""
        self.events.push(t, WAKE, None)

    def submit(self, job: Job) -> None:
        """A new job arrives in its tenant's queue."""
        self.jobs[job.id] = job
        for f in self.bus.arrive:
            f(job)
        self.queues.enqueue(job)

    def _ran(self, job: Job) -> float:
        """Free a running job's gang; the reference-seconds of work it did."""
        self.fleet.vacate(job)
        ran = self.now - job.start
        job.acc_s += job.n * ran
        return max(0.0, ran - job.ran_restart) * self.twin.pools[job.pool].speed / self.stretch(job)

    def on_end(self, payload: JobRef) -> None:
        job = self.jobs.get(payload.job)
        if job is None or job.token != payload.token or job.state not in (RUNNING, EVICTING):
            return
        self._ran(job)
        job.state = DONE
        job.end = self.now
        del self.jobs[job.id]
        for f in self.bus.complete:
            f(job)

    def on_evict(self, payload: JobRef, preempted: bool = True, requeue: bool = True) -> None:
        """Free an evicted gang: the job keeps its work up to its last checkpoint and goes
        back to the front of its queue (a preemption if ``preempted``; later if not ``requeue``)."""
        job = self.jobs.get(payload.job)
        if job is None or job.token != payload.token or job.state != EVICTING:
            return
        done = self._ran(job)
        spec = self.twin.classes[job.cls]
        lost = min(done, spec.checkpoint_h * 3600.0 / 2)
        job.work = max(0.0, job.work - done + lost)
        job.restart = self.settings.restart_cost_s
        job.state = QUEUED if requeue else HUNG  # HUNG: in no queue (stale entries skip it)
        job.preempt += int(preempted)
        job.token += 1
        for f in self.bus.requeue:
            f(job)
        if requeue:
            self.queues.enqueue(job, front=True)

    def place_replicas(self, pool: int, n: int, k: int) -> list[int]:
        doms = place_replicas(self.fleet, pool, n, k)
        if doms:
            for f in self.bus.scale:
                f(len(doms))
        return doms

    def release_replicas(self, pool: int, doms: list[int], n: int) -> None:
        if doms:
            release_replicas(self.fleet, pool, doms, n)
            for f in self.bus.scale:
                f(len(doms))


def _reclaim_pool(fleet: FleetState, pool_ids: tuple[int, ...], need: int,
                  victims: list[Job]) -> int:
    """The pool of ``pool_ids`` where preempting ``victims`` frees ``need`` accelerators
    soonest (the most it can); -1 if none can, or one already will."""
    best, best_have = -1, -1
    for i in pool_ids:
        have = fleet.pools[i].free_total + fleet.reclaiming[i]
        if have >= need:
            return -1
        total = have + sum(j.n for j in victims if j.pool == i and j.state == RUNNING)
        if total >= need and total > best_have:
            best, best_have = i, total
    return best


def _ref(job: Job) -> JobRef:
    """The payload of a job's end or eviction: it is stale once the job's token moves."""
    return JobRef(job.id, job.token)


def _no_stretch(job: Job) -> float:
    """Wall time per unit of a running job's compute: 1 here; the failure model sets
    (checkpoint interval + write) / interval, so checkpoint writes lengthen a job."""
    return 1.0
