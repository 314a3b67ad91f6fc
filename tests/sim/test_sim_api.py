"""Pin the public API of aifab.sim and aifab.workload (a change here is deliberate)."""

from __future__ import annotations

import numpy as np

import aifab.sim
import aifab.workload
from aifab.sim.synthetic import run_national, synthetic_cluster
from aifab.workload import OpenbPods


def test_sim_api() -> None:
    assert {"Simulation", "Workload", "NodeCluster", "PodShape", "Placement", "Placer",
            "PLACEMENT_POLICIES", "get_placement_policy", "FragIndex", "target_workload",
            "run_openb", "run_openb_timed", "summarise", "UnschedulablePolicy",
            "EventObserver", "ReplaySeries"} <= set(aifab.sim.__all__)
    # the replay's typed result (issue 23)
    assert {"ReplayResult", "ReplaySummary", "TimedSummary", "TraceInfo",
            "trace_info"} <= set(aifab.sim.__all__)
    for name in aifab.sim.__all__:
        assert hasattr(aifab.sim, name)
    assert set(aifab.sim.PLACEMENT_POLICIES) == {"random", "dotprod", "clustering", "packing",
                                                 "bestfit", "fgd"}


def test_each_concept_has_one_name() -> None:
    """The aliases are gone, and no name means one thing in aifab.sim and another in
    aifab.sim.national (the twin keeps Cluster, QueuePolicy, Observer)."""
    import aifab.sim.national

    for old in ("POLICIES", "get_policy"):
        assert not hasattr(aifab.sim, old), old
    assert not set(aifab.sim.__all__) & set(aifab.sim.national.__all__)
    assert {"Cluster", "QueuePolicy", "Observer"} <= set(aifab.sim.national.__all__)


def test_workload_api() -> None:
    assert {"read_openb_nodes", "read_openb_pods", "inflate_pods", "OpenbNodes",
            "OpenbPods"} <= set(aifab.workload.__all__)
    for name in aifab.workload.__all__:
        assert hasattr(aifab.workload, name)


def test_synthetic_fleet_small() -> None:
    cl = synthetic_cluster(4)
    assert cl.gpu_capacity_milli == 32_000
    z = np.zeros(3)
    trace = OpenbPods("mem", ("a", "b", "c"), np.array([4000, 8000, 2000]),
                      np.array([1000, 1000, 1000]), np.array([1, 2, 0]),
                      np.array([500, 1000, 0]), ("", "", ""), z, z)
    r = run_national(trace, n_nodes=4, n_pods=40, seed=3)
    assert r.placed + sum(r.failed_by_kind.values()) == 40
    assert 0 < r.alloc_pct <= 100


def test_national_api() -> None:
    import aifab.sim.national as nat

    flex = {"Coupling", "couple"}  # the twin <-> siting loop (issue 13)
    flex |= {"CurtailWindow", "EventKind", "SiteConstraints", "TwinRequest", "read_curtailment",
             "register_source",
             "run_twin", "site_constraints"}  # one pipeline from siting to twin (issue 23)
    flex |= {"Confidence", "Flexibility", "Interval", "Reliability", "RunSummary", "TenantRow",
             "WindowResponse", "report_file"}  # the typed result tree (issue 23)
    flex |= {"summary_file"}  # how the dashboard tells a twin run folder (issue 23)
    assert set(nat.__all__) - flex == {
        "QUEUE_POLICIES", "Cluster", "Observer", "PowerCaps", "QueuePolicy", "Runner",
        "SimResult", "Twin", "apply_caps", "build_twin", "caps_from_doc", "caps_from_site",
        "caps_from_siting", "checkpoint_dir", "checkpoint_times", "finish", "finish_run_dir",
        "get_queue_policy",
        "load_checkpoint", "new_run", "prepare_run_dir", "replications", "save_checkpoint",
        "simulate"}
    assert flex <= set(nat.__all__)
    for name in nat.__all__:
        assert hasattr(nat, name)
    assert set(nat.QUEUE_POLICIES) == {"fifo", "backfill", "fairshare"}
    assert not set(nat.QUEUE_POLICIES) & set(aifab.sim.PLACEMENT_POLICIES)
