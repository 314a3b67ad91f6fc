"""Per-tenant job queues: priority levels, each first come first served.

Started jobs are not removed from a queue at once (that would cost a scan): they are
skipped while iterating and dropped in bulk once they outnumber the queued ones.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from aifab.sim.national._job import DONE, QUEUED, Job
from aifab.sim.national._snapshot import Snapshot


class Queues:
    """The queues of every tenant; ``dirty`` collects partitions whose queue changed."""

    __slots__ = ("dirty", "home", "qlen", "queues", "qver", "stale", "touched")

    def __init__(self, home: Sequence[int], dirty: set[int]) -> None:
        n = len(home)
        self.home = list(home)  # tenant -> its partition
        self.dirty = dirty
        self.queues: list[dict[int, deque[Job]]] = [{} for _ in range(n)]
        self.qlen: npt.NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self.qver = [0] * n  # bumped whenever a tenant's queue changes
        self.stale = [0] * n  # started jobs still sitting in a tenant's queues
        # tenants whose qver moved, for a policy that asks (None: nobody asks)
        self.touched: set[int] | None = None

    def state(self) -> Snapshot:
        """Checkpoint entries: each tenant's queues by priority (job ids; completed jobs
        that still sit there are dropped), the change and stale counters."""
        return {"queues": [[[prio, [j.id for j in q if j.state != DONE]]
                            for prio, q in qs.items()] for qs in self.queues],
                "qver": self.qver, "stale": self.stale}, {"q.qlen": self.qlen}

    def restore(self, state: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]],
                jobs: Mapping[int, Job]) -> None:
        self.qlen = arrays["q.qlen"].astype(np.int64).copy()
        self.qver, self.stale = state["qver"], state["stale"]
        if self.touched is not None:
            self.touched.update(range(len(self.qver)))
        self.queues = [{int(prio): deque(jobs[i] for i in ids) for prio, ids in qs}
                       for qs in state["queues"]]

    def enqueue(self, job: Job, front: bool = False) -> None:
        q = self.queues[job.tenant].setdefault(job.prio, deque())
        if front:
            q.appendleft(job)
        else:
            q.append(job)
        self.qlen[job.tenant] += 1
        self.qver[job.tenant] += 1
        self.dirty.add(self.home[job.tenant])
        if self.touched is not None:
            self.touched.add(job.tenant)

    def started(self, job: Job) -> None:
        """``job`` left its queue (it stays in the deque until compacted)."""
        self.qlen[job.tenant] -= 1
        self.stale[job.tenant] += 1
        self.qver[job.tenant] += 1
        if self.touched is not None:
            self.touched.add(job.tenant)

    def iter_queue(self, tenant: int) -> Iterator[Job]:
        """Queued jobs of a tenant in order (priority, then arrival)."""
        qs = self.queues[tenant]
        if self.stale[tenant] > 64 and self.stale[tenant] > self.qlen[tenant]:
            self._compact(tenant)
        for prio in sorted(qs, reverse=True):
            q = qs[prio]
            while q and q[0].state != QUEUED:
                q.popleft()
            for job in q:
                if job.state == QUEUED:
                    yield job

    def _compact(self, tenant: int) -> None:
        """Drop started jobs (and duplicates left by requeueing) from a tenant's queues."""
        for prio, q in self.queues[tenant].items():
            seen: set[int] = set()
            keep: deque[Job] = deque()
            for j in q:
                if j.state == QUEUED and j.id not in seen:
                    seen.add(j.id)
                    keep.append(j)
            self.queues[tenant][prio] = keep
        self.stale[tenant] = 0

    def head(self, tenant: int) -> Job | None:
        if self.qlen[tenant] == 0:
            return None
        return next(self.iter_queue(tenant), None)

    def merged(self, tenants: Sequence[int]) -> Iterator[Job]:
        """Queued jobs of several tenants in global (priority, arrival) order."""
        live = [t for t in tenants if self.qlen[t] > 0]
        if len(live) == 1:
            yield from self.iter_queue(live[0])
            return
        gens = [((-j.prio, j.seq, j) for j in self.iter_queue(t)) for t in live]
        for _p, _s, job in heapq.merge(*gens):
            yield job

    def first(self, tenants: Sequence[int]) -> Job | None:
        """The best head among ``tenants`` (priority, then arrival)."""
        best: Job | None = None
        for t in tenants:
            j = self.head(t)
            if j is not None and (best is None or (-j.prio, j.seq) < (-best.prio, best.seq)):
                best = j
        return best
