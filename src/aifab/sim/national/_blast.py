"""What a failure does to the work on a domain: which gang or inference replica holds the
hit accelerator, and the removal of replicas in the way of a repair (the demand they
carried until the autoscaler's next tick is unmet)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from aifab.sim.national._job import RUNNING, Job

if TYPE_CHECKING:
    from aifab.sim.national._protocol import RunContext


class Blast:
    """Gangs and replicas on a domain; replicas removed and tokens left unmet."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.unmet_tok = 0.0
        self.removed_replicas = 0

    def warm(self) -> None:
        self.unmet_tok = 0.0
        self.removed_replicas = 0

    def jobs_in(self, pool: int, d: int) -> list[Job]:
        part = self.run.fleet.pool_part[pool]
        if part < 0:
            return []
        return [j for j in self.run.fleet.running[part].values()
                if j.pool == pool and j.state == RUNNING and j.doms is not None
                and d in j.doms.tolist()]  # (a gang's few domains: cheaper than numpy's)

    def _replicas_in(self, pool: int, d: int) -> list[int]:
        """Accelerators of inference replicas in domain ``d`` of ``pool``, per service."""
        out = []
        for svc, ss in zip(self.run.twin.services, self.run.services.per_service, strict=True):
            size = next((r[1] for r in svc.replica if r[0] == pool), 0)
            out.append(size * ss.reps.get(pool, []).count(d))
        return out

    def hit(self, pool: int, d: int, pos: int,
            hung: Sequence[tuple[int, int]] = ()) -> Job | int | None:
        """What holds the ``pos``-th healthy accelerator of domain ``d``: a running gang,
        a hung one (``hung``: job id and healthy accelerators it holds in ``d``), the
        index of the service whose replica it serves, or None (idle)."""
        for job in self.jobs_in(pool, d):
            assert job.doms is not None and job.cnt is not None
            c = int(job.cnt[np.flatnonzero(job.doms == d)].sum())
            if pos < c:
                return job
            pos -= c
        for jid, c in hung:
            if pos < c:
                return self.run.ops.jobs.get(jid)  # always known (None: as idle)
            pos -= c
        for s, n in enumerate(self._replicas_in(pool, d)):
            if pos < n:
                return s
            pos -= n
        return None

    def drop_replicas(self, pool: int, d: int, acc: int, first: int = 0) -> None:
        """Remove replicas in domain ``d`` (service ``first``'s, then the others' in
        order) until they free at least ``acc`` accelerators; book the demand they
        carried until the autoscaler's next tick as unmet."""
        run, tw = self.run, self.run.twin
        iv = tw.settings.scale_interval_h * 3600.0
        nxt = min((math.floor(run.now / iv) + 1) * iv, tw.horizon_s)
        order = [first, *(i for i in range(len(tw.services)) if i != first)]
        for i in order:
            if acc <= 0:
                return
            svc, ss = tw.services[i], run.services.per_service[i]
            doms = ss.reps.get(pool)
            if not doms or d not in doms:
                continue
            size, cap = next((r[1], r[2]) for r in svc.replica if r[0] == pool)
            k = min(doms.count(d), -(-acc // size))
            for _ in range(k):  # the last ones placed in the domain
                del doms[len(doms) - 1 - doms[::-1].index(d)]
            run.ops.release_replicas(pool, [d] * k, size)
            acc -= k * size
            self.removed_replicas += k
            if run.now >= tw.warmup_s:
                lost = k * cap * run.services.load[svc.index] * (nxt - run.now)
                lost = min(lost, ss.served_tok)
                ss.served_tok -= lost
                ss.unmet_tok += lost
                self.unmet_tok += lost
