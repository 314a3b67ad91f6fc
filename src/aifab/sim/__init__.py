"""Cluster simulation: event engine, cluster state, placement policies, metrics.

Public API: :class:`NodeCluster`, :class:`PodShape`, :class:`Placement` (state);
:data:`PLACEMENT_POLICIES` / :func:`get_placement_policy` (placement policies);
:class:`Placer`; :class:`Simulation`, :class:`Workload`, :class:`UnschedulablePolicy`,
:class:`EventObserver` (engine); :class:`ReplaySeries` and the other observers
(metrics); :class:`FragIndex`,
:func:`target_workload` (fragmentation); :func:`run_openb`, :func:`run_openb_timed`
(the FGD paper's experiment and a trace-time replay).
"""

from aifab.sim.engine import Event, EventObserver, Simulation, UnschedulablePolicy, Workload
from aifab.sim.frag import FragIndex, TargetWorkload, node_frag, target_workload
from aifab.sim.metrics import ArrivedCurve, FailedByKind, ReplaySeries
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
    Policy,
    SimContext,
    get_placement_policy,
)
from aifab.sim.replay import ReplayResult, ReplaySummary, TimedSummary, TraceInfo, trace_info
from aifab.sim.state import NodeCluster, Placement, PodShape

__all__ = [
    "PLACEMENT_POLICIES",
    "ArrivedCurve",
    "Event",
    "EventObserver",
    "FailedByKind",
    "FragIndex",
    "NodeCluster",
    "Placement",
    "Placer",
    "PodShape",
    "Policy",
    "ReplayResult",
    "ReplaySeries",
    "ReplaySummary",
    "RunResult",
    "SimContext",
    "Simulation",
    "TargetWorkload",
    "TimedSummary",
    "TraceInfo",
    "UnschedulablePolicy",
    "Workload",
    "cluster_from_nodes",
    "get_placement_policy",
    "mean_curve",
    "node_frag",
    "pod_shapes",
    "run_openb",
    "run_openb_timed",
    "summarise",
    "target_workload",
    "trace_info",
]
