"""Scenario section read by the national simulation (``aifab simulate``).

Every field has a default, so a scenario without a ``sim`` section is simulated with the
calibrated job mix of docs/sim-national.md. Durations of job classes are given on the
reference accelerator (``reference_accelerator``); the perf model scales them to the
device a job lands on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aifab.scenario._siting import YEAR_MAX, YEAR_MIN

#: Names of the default job classes (``aifab.workload.synthetic.DEFAULT_CLASSES``, which a
#: test keeps in step), for checking references without importing the workload layer.
DEFAULT_CLASS_NAMES = ("finetune", "pretrain", "research")
#: Longest simulated horizon (ten years and a bit): past it a typo (1e9 days) would run for
#: ever.
MAX_DAYS = 3660.0
#: Shortest simulated horizon (about 1.5 simulated minutes): below it (1e-320 days) no event
#: can happen and every figure would be a division by almost nothing.
MIN_DAYS = 0.001
#: Largest gang a job class may ask for (more accelerators than any national fleet).
MAX_GANG = 1_000_000


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JobClassSpec(_Frozen):
    """A job class: gang size and duration distributions, share of a tenant's load."""

    sizes: list[int] = Field(min_length=1, description="Gang sizes (accelerators, at most "
                                                       "1,000,000: more than any fleet).")
    size_probs: list[float] | None = Field(
        default=None, description="Probabilities of `sizes` (default: uniform).")
    duration: Literal["lognormal", "exponential"] = "lognormal"
    median_h: float = Field(gt=0, description="Median (lognormal) or mean (exponential), "
                                              "hours on the reference accelerator.")
    sigma: float = Field(default=1.0, ge=0, le=5,
                         description="Lognormal shape (at most 5: the mean is then e^12.5 "
                                     "times the median).")
    min_h: float = Field(default=0.0, ge=0, description="Clip below (hours).")
    max_h: float = Field(default=1.0e6, gt=0, description="Clip above (hours).")
    priority: int = Field(default=1, ge=0, le=9, description="Higher starts first.")
    checkpoint_h: float = Field(default=1.0, gt=0,
                                description="Checkpoint interval: work lost on preemption "
                                            "is half of it on average.")

    @model_validator(mode="after")
    def _probs(self) -> JobClassSpec:
        if self.size_probs is not None:
            if len(self.size_probs) != len(self.sizes):
                raise ValueError("size_probs must have one entry per size")
            if any(p < 0 for p in self.size_probs) or sum(self.size_probs) <= 0:
                raise ValueError("size_probs must be non-negative with a positive sum")
        if any(s <= 0 for s in self.sizes):
            raise ValueError("sizes must be positive")
        if any(s > MAX_GANG for s in self.sizes):
            raise ValueError(f"sizes must be at most {MAX_GANG:,} accelerators")
        return self


class TenantSpec(_Frozen):
    """A tenant: an owner running on its own fleet, or a user of the public pool."""

    name: str = Field(min_length=1)
    owner: str = Field(min_length=1, description="Owner whose fleet it runs on.")
    kind: Literal["owner", "university", "startup", "institute", "other"] = "other"
    quota: float = Field(default=1.0, gt=0, le=1,
                         description="Share of its owner's accelerators it is entitled to.")
    load: float | None = Field(default=None, ge=0, le=5,
                               description="Offered training load as a share of its quota "
                                           "(default: sim.load).")
    mix: dict[str, float] = Field(
        default_factory=dict,
        description="Share of offered accelerator-hours per job class (default by kind).")
    rates_per_h: dict[str, float] = Field(
        default_factory=dict, description="Explicit arrival rates (jobs/h) per class; "
                                          "overrides mix and load for that class.")


class ServiceSpec(_Frozen):
    """An inference service: replicas of one model, diurnal token demand, latency target."""

    name: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    model: str = Field(default="llama-3.1-70b", description="Perf-model model id.")
    peak_tokens_per_s: float = Field(gt=0, description="Output tokens/s at the daily peak.")
    npu_eligible: bool = False
    tpot_ms: float = Field(default=50.0, gt=0, description="Latency target per output token.")


class NpuPoolSpec(_Frozen):
    """Extra NPU servers for inference, beyond the scenario's fleets (where NPUs are
    better listed, so plan and site see them too)."""

    owner: str = Field(min_length=1)
    accelerator: str = Field(default="rngd")
    system: str = Field(default="rngd-server")
    count: int = Field(gt=0, description="Accelerators (cards).")
    assumed: bool = True
    note: str = ""


class SimSettings(_Frozen):
    """Settings of the national digital twin; every field has a default."""

    days: float = Field(default=30.0, ge=MIN_DAYS, le=MAX_DAYS,
                        description="Simulated horizon (days, at most ten years).")
    warmup_days: float = Field(default=7.0, ge=0, le=MAX_DAYS,
                               description="Simulated first and left out of every result "
                                           "(days).")
    queue_policy: str = Field(default="fairshare", description="Queue policy registry name.")
    seed: int = Field(default=0, ge=0)
    scale: float = Field(default=1.0, gt=0, le=1,
                         description="Shrink fleets (whole domains) and explicit rates.")
    year: int | None = Field(default=None, ge=YEAR_MIN, le=YEAR_MAX,
                             description="Only fleets delivered by then (default: all).")
    reference_accelerator: str = Field(default="h100-sxm",
                                       description="Device the class durations refer to.")
    load: float = Field(default=0.85, ge=0, le=5,
                        description="Offered training load per tenant, share of its quota.")
    public_tenants: list[TenantSpec] | None = Field(
        default=None, description="Users of each public owner's fleet (default: one tenant, "
                                  "'public', with the whole quota).")
    tenants: list[TenantSpec] | None = Field(
        default=None, description="Replace all tenants (owners and public users).")
    classes: dict[str, JobClassSpec] | None = Field(
        default=None, description="Replace the job classes (pretrain, finetune, research).")
    borrowing: bool = Field(default=True, description="Owners lend idle capacity to the "
                                                      "public pool (fairshare only).")
    preempt_grace_s: float = Field(default=300.0, ge=0)
    restart_cost_s: float = Field(default=600.0, ge=0,
                                  description="Checkpoint-restart overhead per preemption.")
    backfill_depth: int = Field(default=64, ge=1, description="Queue entries backfill scans.")
    inference_share: dict[str, float] | None = Field(
        default=None, description="Peak inference demand as a share of each owner's "
                                  "accelerators (owners not listed: default_inference_share).")
    default_inference_share: float = Field(
        default=0.1, ge=0, le=1, description="Peak inference share of owners not listed in "
                                             "inference_share.")
    services_per_owner: int = Field(default=6, ge=0, le=100)
    services: list[ServiceSpec] | None = Field(default=None,
                                               description="Replace generated services.")
    npu_eligible_share: float = Field(default=0.5, ge=0, le=1,
                                      description="Share of generated services NPU-eligible.")
    npu_min_share: float = Field(default=0.0, ge=0, le=1,
                                 description="Minimum share of every service's demand routed "
                                             "to NPU pools when a model fits there.")
    npu_pools: list[NpuPoolSpec] | None = Field(
        default=None, description="Extra NPU pools beyond the fleets (default: none; list "
                                  "NPUs as fleets instead).")
    diurnal_amplitude: float = Field(default=0.6, ge=0, le=1,
                                     description="Trough is (1 - amplitude) of the peak.")
    peak_hour: float = Field(default=14.0, ge=0, lt=24)
    scale_interval_h: float = Field(default=1.0, ge=1 / 60,
                                    description="Autoscaler period (hours, at least a minute).")
    power_cap_mw: dict[str, float] = Field(
        default_factory=dict, description="Facility MW cap per owner campus (None: none).")
    power_mode: Literal["wait", "strand", "throttle"] = Field(
        default="wait", description="Under a cap: jobs wait for power, whole domains are "
                                    "left dark, or everything runs throttled.")
    sample_h: float = Field(default=1.0, ge=1 / 60,
                            description="Time-series interval (hours, at least a minute).")
    checkpoint_every_h: float = Field(default=24.0, ge=1 / 60,
                                      description="Checkpoint interval with --out (hours).")
    philly_trace: str | None = Field(default=None,
                                     description="Replay this Philly job list (CSV) for "
                                                 "philly_tenant instead of its classes.")
    philly_tenant: str = "universities"

    @model_validator(mode="after")
    def _check(self) -> SimSettings:
        for name, cap in self.power_cap_mw.items():
            if cap < 0:
                raise ValueError(f"power_cap_mw.{name}: must not be negative")
        for name, v in (self.inference_share or {}).items():
            if not 0 <= v <= 1:
                raise ValueError(f"inference_share.{name}: must be within [0, 1]")
        return self
