"""Conservation and no double allocation over random small workloads (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _soak import part
from aifab.sim.national import new_run
from aifab.sim.national._invariants import check
from aifab.sim.national._job import acc_s_until

OWNERS = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]


@st.composite
def workloads(draw):  # type: ignore[no-untyped-def]
    own_racks = draw(st.integers(1, 3))
    gov_servers = draw(st.integers(2, 12))
    sizes = draw(st.lists(st.sampled_from([1, 2, 4, 8, 16, 40, 72, 100]), min_size=1,
                          max_size=4, unique=True))
    return {
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 72 * own_racks, "delivery_year": 2026},
                   {"owner": "Gov", "accelerator": "b200", "system": "dgx-b200",
                    "count": 8 * gov_servers, "delivery_year": 2026}],
        "sim": {
            "days": draw(st.sampled_from([0.5, 1.0, 2.0])),
            "queue_policy": draw(st.sampled_from(["fifo", "backfill", "fairshare"])),
            "seed": draw(st.integers(0, 10_000)),
            "load": draw(st.sampled_from([0.5, 1.0, 2.0])),
            "classes": {"a": {"sizes": sizes, "median_h": draw(st.sampled_from([0.2, 1.0, 4.0])),
                              "sigma": 1.0, "checkpoint_h": 0.5},
                        "b": {"sizes": [1, 8], "duration": "exponential", "median_h": 0.5,
                              "priority": 3}},
            "services_per_owner": draw(st.integers(0, 2)),
            "npu_pools": [{"owner": "Gov", "count": 16}] if draw(st.booleans()) else [],
            "preempt_grace_s": draw(st.sampled_from([0.0, 300.0])),
            "warmup_days": 0,
            "tenants": [
                {"name": "o", "owner": "Own", "kind": "owner", "load": draw(st.sampled_from(
                    [0.0, 0.5, 1.0])), "mix": {"a": 0.5, "b": 0.5}},
                {"name": "u", "owner": "Gov", "kind": "university", "quota": 0.6,
                 "mix": {"a": 0.7, "b": 0.3}},
                {"name": "s", "owner": "Gov", "kind": "startup", "quota": 0.4,
                 "mix": {"a": 0.5, "b": 0.5}}],
        },
    }


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
@settings(max_examples=part(25, 10), deadline=None,  # all 25: benchmarks/soak.py
          suppress_health_check=[HealthCheck.too_slow])
@given(workloads())
def test_conservation_and_no_double_allocation(doc):  # type: ignore[no-untyped-def]
    from aifab.scenario import Scenario

    scn = Scenario.model_validate({"name": "prop", "owners": OWNERS, **doc})
    sim = new_run(scn)
    step = 900.0
    t = 0.0
    while t < sim.twin.horizon_s:
        t += step
        sim.run(until=t)
        check(sim)
    sim.run()
    check(sim)
    # the jobs' own accelerator-seconds (running gangs and hung gangs' holds included:
    # a hung gang's healthy accelerators stay allocated to it until detection) are the
    # fleet's allocation integral, exactly, with the services'
    acc = sum(sim.records.r["acc_s"]) + sum(acc_s_until(j, sim.now) for j in sim.ops.jobs.values())
    assert math.isclose(sim.integrals.alloc_s, acc + sim.integrals.svc_alloc_s, rel_tol=1e-9,
                        abs_tol=1e-3)
    # and per tenant: the tenants' accelerator-hours (their allocation integrals)
    assert math.isclose(float(sim.integrals.tenant_s.sum()), acc, rel_tol=1e-9, abs_tol=1e-3)
    assert sim.counts.c["completions"] + len(sim.ops.jobs) == sim.counts.c["arrivals"]


def test_zero_grace_quota_reclaim_does_not_livelock():
    """Regression (found by the property test): with no grace period, an over-quota
    tenant restarted its evicted jobs in the capacity reclaimed for an under-quota one,
    forever, at one instant."""
    from aifab.scenario import Scenario

    doc = {
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 144, "delivery_year": 2026},
                   {"owner": "Gov", "accelerator": "b200", "system": "dgx-b200", "count": 88,
                    "delivery_year": 2026}],
        "sim": {"days": 2.0, "queue_policy": "fairshare", "seed": 4546, "load": 2.0,
                "classes": {"a": {"sizes": [2, 16, 40, 8], "median_h": 4.0, "sigma": 1.0,
                                  "checkpoint_h": 0.5},
                            "b": {"sizes": [1, 8], "duration": "exponential",
                                  "median_h": 0.5, "priority": 3}},
                "services_per_owner": 2, "npu_pools": [], "preempt_grace_s": 0.0,
                "warmup_days": 0,
                "tenants": [{"name": "o", "owner": "Own", "kind": "owner", "load": 1.0,
                             "mix": {"a": 0.5, "b": 0.5}},
                            {"name": "u", "owner": "Gov", "kind": "university", "quota": 0.6,
                             "mix": {"a": 0.7, "b": 0.3}},
                            {"name": "s", "owner": "Gov", "kind": "startup", "quota": 0.4,
                             "mix": {"a": 0.5, "b": 0.5}}]}}
    sim = new_run(Scenario.model_validate({"name": "r", "owners": OWNERS, **doc}))
    sim.run()
    check(sim)
    assert sim.finished and sim.counts.c["preempt_quota"] > 0
