"""Typed model of the scheduler objects aifab reads and writes (Kueue and KAI).

One vocabulary for both schedulers: KAI queues are read into the same ClusterQueue/Cohort
tree (leaf queues become ClusterQueues, parent queues Cohorts; docs/sched.md, rule K1).
Quantities are floats in the resource's own unit (GPUs, CPU cores, bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: (flavor, resource): the key of every quota and usage figure.
FR = tuple[str, str]

STRATEGIES = ("BestEffortFIFO", "StrictFIFO")
WITHIN_CQ = ("Never", "LowerPriority", "LowerOrNewerEqualPriority")
RECLAIM = ("Never", "LowerPriority", "Any")
BORROW_WITHIN = ("Never", "LowerPriority")
FUNGIBILITY = ("MayStopSearch", "TryNextFlavor", "Borrow", "Preempt")
FS_STRATEGIES = ("LessThanOrEqualToFinalShare", "LessThanInitialShare")
# Kueue's feature gates that change admission, with their defaults in Kueue v0.19.2
# (pkg/features/kube_features.go at v0.19.2, 8eab687: the two fair-sharing gates beta and on
# since v0.17; PrioritizePreemptorWorkloads alpha and off since v0.19; SchedulerLongRequeueInterval
# alpha and off since v0.17; SchedulingEquivalenceHashing beta and on since v0.18); a
# Configuration's featureGates may set them (docs/sched.md, F5, F8, A3, A2b, A2c)
FS_GATES = {"FairSharingPrioritizeNonBorrowing": True, "FairSharingPreemptWithinNominal": True,
            "PrioritizePreemptorWorkloads": False, "SchedulerLongRequeueInterval": False,
            "SchedulingEquivalenceHashing": True}
GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu", "gpu", "aifab.io/npu")


@dataclass(frozen=True)
class Quota:
    """nominalQuota with its optional borrowing and lending limits (None: unlimited)."""

    nominal: float
    borrowing_limit: float | None = None
    lending_limit: float | None = None


@dataclass(frozen=True)
class ResourceGroup:
    """Resources tied to the same flavors, flavors in the order they are tried."""

    covered: tuple[str, ...]
    flavors: tuple[str, ...]


@dataclass(frozen=True)
class Preemption:
    within_cluster_queue: str = "Never"
    reclaim_within_cohort: str = "Never"
    borrow_within_cohort: str = "Never"
    max_priority_threshold: int | None = None


@dataclass(frozen=True)
class Fungibility:
    when_can_borrow: str = "MayStopSearch"
    when_can_preempt: str = "TryNextFlavor"
    preference: str = "BorrowingOverPreemption"


@dataclass
class ClusterQueue:
    name: str
    cohort: str | None = None
    groups: tuple[ResourceGroup, ...] = ()
    quotas: dict[FR, Quota] = field(default_factory=dict)
    strategy: str = "BestEffortFIFO"
    preemption: Preemption = Preemption()
    fungibility: Fungibility = Fungibility()
    weight: float = 1.0
    stop_policy: str = "None"
    labels: dict[str, str] = field(default_factory=dict)
    source: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class Cohort:
    name: str
    parent: str | None = None
    quotas: dict[FR, Quota] = field(default_factory=dict)
    weight: float = 1.0
    labels: dict[str, str] = field(default_factory=dict)
    source: str = ""
    declared: bool = True  # False: only named by a ClusterQueue's cohortName


@dataclass(frozen=True)
class LocalQueue:
    namespace: str
    name: str
    cluster_queue: str
    source: str = ""


@dataclass(frozen=True)
class Flavor:
    """A ResourceFlavor; ``domain_size``/``domains`` (aifab annotations) give the capacity of
    its topology's first level for topology-aware placement (docs/sched.md, rule T1)."""

    name: str
    node_labels: dict[str, str] = field(default_factory=dict)
    topology: str | None = None
    domain_size: int | None = None
    domains: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Topology:
    name: str
    levels: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class KaiQueue:
    """A KAI Queue (scheduling.run.ai/v2): per resource quota, limit, over-quota weight."""

    name: str
    parent: str | None
    priority: int
    gpu_quota: float
    gpu_limit: float
    gpu_weight: float
    labels: dict[str, str] = field(default_factory=dict)
    source: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class Manifests:
    """Everything read from a directory of manifests, and what aifab did not model."""

    cluster_queues: dict[str, ClusterQueue] = field(default_factory=dict)
    cohorts: dict[str, Cohort] = field(default_factory=dict)
    local_queues: dict[tuple[str, str], LocalQueue] = field(default_factory=dict)
    flavors: dict[str, Flavor] = field(default_factory=dict)
    priority_classes: dict[str, int] = field(default_factory=dict)
    topologies: dict[str, Topology] = field(default_factory=dict)
    kai_queues: dict[str, KaiQueue] = field(default_factory=dict)
    fair_sharing: bool = False
    fs_strategies: tuple[str, ...] = FS_STRATEGIES
    gates: dict[str, bool] = field(default_factory=lambda: dict(FS_GATES))
    unsupported: list[str] = field(default_factory=list)

    def local_queue(self, namespace: str, name: str) -> LocalQueue | None:
        return self.local_queues.get((namespace, name))


def is_gpu(resource: str) -> bool:
    """Whether a resource name counts accelerators (what the twin's quotas are in)."""
    return resource in GPU_RESOURCES or resource.endswith("/gpu")
