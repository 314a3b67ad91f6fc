"""Kueue and KAI scheduler configurations: read, check, simulate admission, export.

``read_dir(path)`` reads ClusterQueues, Cohorts, LocalQueues, ResourceFlavors,
WorkloadPriorityClasses, Topologies (Kueue) and Queues (KAI) into :class:`Manifests`;
:class:`Engine` admits and preempts workloads by Kueue's documented rules; see
docs/sched.md for every rule with its reference.
"""

from aifab.sched._admit import admit, one_line
from aifab.sched._api import (
    compare_designs,
    export_manifests,
    scenario_from_manifests,
    twin_policy,
    with_manifests,
)
from aifab.sched._engine import Engine, Event
from aifab.sched._export import tenants_of
from aifab.sched._history import (
    HistJob,
    History,
    RunState,
    history_from_run,
    read_sacct,
    read_workloads,
)
from aifab.sched._kai import kai_fair_shares
from aifab.sched._load import load_docs, read_dir
from aifab.sched._model import (
    ClusterQueue,
    Cohort,
    Flavor,
    Fungibility,
    KaiQueue,
    LocalQueue,
    Manifests,
    Preemption,
    Quota,
    ResourceGroup,
    Topology,
)
from aifab.sched._twinpolicy import KueuePolicy, admission_report
from aifab.sched._workload import PodSet, Workload, gang

__all__ = [
    "ClusterQueue",
    "Cohort",
    "Engine",
    "Event",
    "Flavor",
    "Fungibility",
    "HistJob",
    "History",
    "KaiQueue",
    "KueuePolicy",
    "LocalQueue",
    "Manifests",
    "PodSet",
    "Preemption",
    "Quota",
    "ResourceGroup",
    "RunState",
    "Topology",
    "Workload",
    "admission_report",
    "admit",
    "compare_designs",
    "export_manifests",
    "gang",
    "history_from_run",
    "kai_fair_shares",
    "load_docs",
    "one_line",
    "read_dir",
    "read_sacct",
    "read_workloads",
    "scenario_from_manifests",
    "tenants_of",
    "twin_policy",
    "with_manifests",
]
