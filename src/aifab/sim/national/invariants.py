"""Invariants of a run, checked by the tests: no accelerator is ever double-allocated."""

from __future__ import annotations

import numpy as np

from aifab.sim.national.engine import EVICTING, RUNNING, NationalSim


def check(sim: NationalSim) -> None:
    """Pools consistent; per-domain occupancy equals the jobs' and replicas' placements;
    the allocation counters agree."""
    used = [np.zeros(p.domains, dtype=np.int64) for p in sim.pools]
    total = 0
    for job in sim.jobs.values():
        if job.state in (RUNNING, EVICTING):
            assert job.doms is not None and job.cnt is not None
            assert len(set(job.doms.tolist())) == len(job.doms), "domain listed twice"
            used[job.pool][job.doms] += job.cnt
            total += job.n
    for svc, ss in zip(sim.twin.services, sim.svc_state, strict=True):
        size = {r[0]: r[1] for r in svc.replica}
        for pool, doms in ss.reps.items():
            for d in doms:
                used[pool][d] += size[pool]
    for p, u in zip(sim.pools, used, strict=True):
        p.check()
        assert (u == p.size - p.free).all(), f"pool {p.index}: double allocation"
    assert total + sim.svc_alloc == sim.alloc_total, "allocation counter drift"
    busy = sum(p.capacity - p.free_total for p in sim.pools)
    assert busy == sim.alloc_total, "pool occupancy differs from allocations"
