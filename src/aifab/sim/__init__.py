"""Cluster simulation: event engine, cluster state, placement policies, metrics.

Public API: :class:`Cluster`, :class:`PodShape`, :class:`Placement` (state);
:data:`PLACEMENT_POLICIES` / :func:`get_placement_policy` (placement policies; the
former names ``POLICIES`` / ``get_policy`` still work); :class:`Placer`;
:class:`Simulation`, :class:`Workload` (engine); :class:`FragIndex`,
:func:`target_workload` (fragmentation); :func:`run_openb`, :func:`run_openb_timed`
(the FGD paper's experiment and a trace-time replay).
"""

from aifab.sim.engine import Event, QueuePolicy, Simulation, Workload
from aifab.sim.frag import FragIndex, TargetWorkload, node_frag, target_workload
from aifab.sim.metrics import ArrivedCurve, FailedByKind, TimeSeries
from aifab.sim.openb import (
    RunResult,
    cluster_from_nodes,
    mean_curve,
    pod_shapes,
    run_openb,
    run_openb_timed,
    summarise,
)
from aifab.sim.placer import Placer
from aifab.sim.policies import (
    PLACEMENT_POLICIES,
    POLICIES,
    Policy,
    SimContext,
    get_placement_policy,
    get_policy,
)
from aifab.sim.state import Cluster, Placement, PodShape

__all__ = [
    "PLACEMENT_POLICIES",
    "POLICIES",
    "ArrivedCurve",
    "Cluster",
    "Event",
    "FailedByKind",
    "FragIndex",
    "Placement",
    "Placer",
    "PodShape",
    "Policy",
    "QueuePolicy",
    "RunResult",
    "SimContext",
    "Simulation",
    "TargetWorkload",
    "TimeSeries",
    "Workload",
    "cluster_from_nodes",
    "get_placement_policy",
    "get_policy",
    "mean_curve",
    "node_frag",
    "pod_shapes",
    "run_openb",
    "run_openb_timed",
    "summarise",
    "target_workload",
]
