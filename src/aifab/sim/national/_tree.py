"""The typed result tree of a twin run: one frozen block per part of the ``--json``
document, the fields in the document's order.

:class:`RunSummary` is the whole document (``_summary.summarize`` builds it);
``to_dict()`` is the only schema (the ``--json`` document and ``summary.json``), and
``from_dict()`` reads one back, exit 2 naming the field that is missing or mistyped.
:class:`Confidence` holds the 95 % intervals across replications.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aifab._schema import FieldError, decode, decode_block, encode, fields_of, read_block


@dataclass(frozen=True)
class Fleet:
    """The fleet simulated (at the run's scale): accelerators and nameplate power."""

    accelerators: int
    powered: int
    gpus: int
    npus: int
    pools: int
    power_mode: str
    nameplate_mw: float | None = None  # absent in summaries written before it was added


@dataclass(frozen=True)
class Stranded:
    """Shares of accelerator-time not allocated, by cause (failures add two)."""

    power: float
    fragmentation: float
    idle: float
    in_repair: float | None = None
    spares: float | None = None


@dataclass(frozen=True)
class Inference:
    """Inference demand and how it was served."""

    demand_tokens: float
    served_share: float
    npu_share: float
    services: int


@dataclass(frozen=True)
class Jobs:
    """Job counts after the warm-up (preemptions by cause at eviction)."""

    submitted: int
    started: int
    completed: int
    preemptions: int
    preemptions_by_cause: Mapping[str, int]
    multi_domain_starts: int
    topology_misses: int
    topology_miss_share: float


@dataclass(frozen=True)
class TenantRow:
    """One tenant's waits, completion times, share and preemptions (hours)."""

    tenant: str
    owner: str
    kind: str
    quota: float
    entitled_accelerators: int
    jobs_submitted: int
    jobs_completed: int
    wait_p50_h: float
    wait_p95_h: float
    wait_p99_h: float
    wait_mean_h: float
    jct_p50_h: float
    jct_mean_h: float
    accelerator_h: float
    share_of_entitlement: float
    preemptions: int
    queue_mean: float
    queued_at_end: int


@dataclass(frozen=True)
class ClassRow:
    """Waits and shares of one tenant class (owner, university, startup, institute)."""

    kind: str
    tenants: int
    wait_p50_h: float
    wait_p95_h: float
    wait_p99_h: float
    jct_p50_h: float
    share_of_entitlement: float
    jain: float
    preemptions: int


@dataclass(frozen=True)
class Fairness:
    """Jain's index of the shares of entitlement: public tenants, all tenants."""

    jain_public: float
    jain_all: float


@dataclass(frozen=True)
class Events:
    """Events processed (``per_s``: of wall-clock time)."""

    total: int
    scaling: int
    per_s: float


@dataclass(frozen=True)
class AcceleratorHours:
    """Accelerator-hours of the failure model's categories (allocated = their sum)."""

    useful: float
    checkpoint: float
    lost: float
    detect: float
    restart: float
    idle: float
    preemption_loss: float
    allocated: float


@dataclass(frozen=True)
class Reliability:
    """The failure model's block: rates, ETTR, goodput, losses, repairs and spares."""

    interruptions_per_day: float
    by_cause: Mapping[str, float]
    ettr: Mapping[str, float]
    goodput: float
    lost_accelerator_hours: float
    in_repair_share: float
    spares_used: int
    technicians_busy: float
    interruptions: int
    interruptions_by_class: Mapping[str, int]
    failures: int
    failures_by_cause: Mapping[str, int]
    hardware_failures: int
    exclusions: int
    days: float
    technicians_busy_series: tuple[tuple[float, float], ...] | None
    enabled: bool
    ettr_by_tenant: Mapping[str, float]
    accelerator_hours: AcceleratorHours
    checkpoint_interval_h: Mapping[str, float] | str
    spares_held: int
    spares_held_share: float
    spares_target: int
    in_repair_now: int
    replicas_removed: int
    inference_unmet_tokens: float

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Reliability:
        """The block from its document (the failure model's report)."""
        return decode_block(cls, dict(doc), "reliability")


@dataclass
class WindowResponse:
    """What one window asked of a campus and what the response did: a row of the
    ``flexibility.by_window`` table (:meth:`Curtailer.summary`; the fields in its
    order). Filled at the signal's instant, never changed after."""

    owner: str
    start_h: float
    duration_h: float
    depth: float
    before_mw: float
    requested_mw: float
    jobs_paused: int = 0
    accelerators_paused: int = 0
    replicas_moved: int = 0
    replicas_shed: int = 0
    inference_unmet_tokens: float = 0.0
    after_mw: float = math.nan
    met: bool = False



@dataclass(frozen=True)
class Flexibility:
    """What the response to curtailment windows cost, and each window's figures."""

    windows: int
    windows_met: int
    requested_mwh: float
    jobs_delayed: int
    accelerator_h_paused: float
    still_paused_at_end: int
    replicas_moved: int
    replicas_shed: int
    inference_unmet_tokens: float
    by_window: tuple[WindowResponse, ...]


@dataclass(frozen=True)
class RunSummary:
    """The ``--json`` document of one run: context, fleet, headline figures
    (utilisation, stranded capacity, energy, power, tokens), inference, jobs, tenants,
    fairness, events and the optional reliability and flexibility blocks."""

    scenario: str
    policy: str
    seed: int
    days: float
    warmup_days: float | None
    scale: float
    fleet: Fleet
    utilization: float
    busy_utilization: float
    stranded: Stranded
    energy_mwh: float
    mean_power_mw: float
    peak_power_mw: float
    tokens_served: float
    inference: Inference
    training_runs_completed: int
    jobs: Jobs
    tenants: tuple[TenantRow, ...]
    tenant_classes: tuple[ClassRow, ...]
    fairness: Fairness
    events: Events
    wall_s: float
    reliability: Reliability | None = None
    flexibility: Flexibility | None = None

    def to_dict(self) -> dict[str, Any]:
        """The document (new containers; optional blocks only when present)."""
        out: dict[str, Any] = encode(self)
        return out

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], source: str = "twin result") -> RunSummary:
        """The summary of a document; exit 2 naming ``source`` and the field when a field
        is missing or mistyped."""
        return read_block(cls, doc, source)


@dataclass(frozen=True)
class Interval:
    """Mean and half-width of the 95 % interval over ``n`` replications."""

    mean: float
    ci95: float
    n: int


@dataclass(frozen=True)
class Confidence:
    """Intervals across replications by figure name (``utilization``,
    ``stranded.power``, ``tenants.<name>.wait_p95_h``, ``reliability.<figure>``...) and
    the seeds that ran."""

    intervals: Mapping[str, Interval]
    seeds: tuple[int, ...]

    def __getitem__(self, name: str) -> Interval:
        return self.intervals[name]

    def __contains__(self, name: object) -> bool:
        return name in self.intervals

    def to_dict(self) -> dict[str, Any]:
        """The ``confidence`` block: each figure's interval, then ``seeds``."""
        return {**{k: encode(v) for k, v in self.intervals.items()}, "seeds": list(self.seeds)}

    @classmethod
    def from_dict(cls, doc: Any, source: str = "twin result") -> Confidence:
        """The block from its document; exit 2 naming the field that does not fit."""
        with fields_of(source):
            if not isinstance(doc, dict):
                raise FieldError("confidence", "expected an object")
            if "seeds" not in doc:
                raise FieldError("confidence.seeds", "missing")
            seeds = decode(tuple[int, ...], doc["seeds"], "confidence.seeds")
            return cls({k: decode_block(Interval, v, f"confidence.{k}")
                        for k, v in doc.items() if k != "seeds"}, seeds)
