"""Invariants of a run, checked by the tests: no accelerator is ever double-allocated,
none is allocated while in repair, held as a hot spare or held by a hung gang."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from aifab.sim.national._failures import failures_of
from aifab.sim.national._job import EVICTING, HUNG, RUNNING

if TYPE_CHECKING:
    from aifab.sim.national._runner import Runner


def check(run: Runner) -> None:
    """Pools consistent; per-domain occupancy equals the jobs' and replicas' placements;
    the allocation counters agree."""
    fl = run.fleet
    used = [np.zeros(p.domains, dtype=np.int64) for p in fl.pools]
    total = 0
    for job in run.ops.jobs.values():
        if job.state in (RUNNING, EVICTING):
            assert job.doms is not None and job.cnt is not None
            assert len(set(job.doms.tolist())) == len(job.doms), "domain listed twice"
            used[job.pool][job.doms] += job.cnt
            total += job.n
    for svc, ss in zip(run.twin.services, run.services.per_service, strict=True):
        size = {r[0]: r[1] for r in svc.replica}
        for pool, doms in ss.reps.items():
            for d in doms:
                used[pool][d] += size[pool]
    fails = failures_of(run.bus.observers)
    out = 0  # in repair or held as spares: neither free nor allocated
    if fails is not None:
        hung = [np.zeros(p.domains, dtype=np.int64) for p in fl.pools]
        for held in fails.hanging.values():
            for pool, d, n, k in held:
                hung[pool][d] += n + k
        for i, (b, h, g) in enumerate(zip(fails.broken, fails.held, fails.hung, strict=True)):
            assert (b >= 0).all() and (h >= 0).all(), f"pool {i}: negative repair/spares"
            assert (g == hung[i]).all(), f"pool {i}: hung accelerators differ from the hangs"
            used[i] += b + h + g
            out += int(b.sum() + h.sum())
            total += int(g.sum())  # allocated to hung gangs (and drawing power)
        assert fails.spares == [int(h.sum()) for h in fails.held], "spare counter drift"
        for jid in fails.hanging:  # a hung job waits outside every queue
            hung_job = run.ops.jobs.get(jid)
            assert hung_job is None or hung_job.state == HUNG, f"hung job {jid} is not HUNG"
            assert hung_job is None or hung_job.held == sum(
                n + k for _, _, n, k in fails.hanging[jid]), f"hung job {jid}: held drift"
    for p, u in zip(fl.pools, used, strict=True):
        p.check()
        assert (u == p.size - p.free).all(), f"pool {p.index}: double allocation"
    assert total + fl.svc_alloc == fl.alloc_total, "allocation counter drift"
    busy = sum(p.capacity - p.free_total for p in fl.pools) - out
    assert busy == fl.alloc_total, "pool occupancy differs from allocations"
