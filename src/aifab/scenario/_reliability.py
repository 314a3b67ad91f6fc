"""Scenario section read by the reliability model (``aifab.reliability``).

Every field is optional: an absent section means the packaged figures of
``aifab/reliability/data/reliability.yaml`` (Llama 3 rates, documented repair times, spares,
checkpoint regime). Values given here replace the packaged ones field by field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Component classes of the failure model (one spelling, shared with aifab.reliability).
ComponentClass = Literal["gpu", "gpu_memory", "gpu_other", "network", "nic", "host", "software"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReliabilitySettings(_Frozen):
    """Overrides of failure rates, repair times, spares and checkpointing."""

    enabled: bool = Field(default=True, description="Model failures at all.")
    rates_per_accelerator_day: dict[ComponentClass, float] = Field(
        default_factory=dict,
        description="Unexpected interruptions per accelerator-day on the reference family "
                    "(H100), per class; default: Llama 3 counts / (16,384 x 54).")
    family_multipliers: dict[str, dict[ComponentClass, float]] = Field(
        default_factory=dict,
        description="Per device family (hopper, blackwell, ...), multipliers per class.")
    repair_median_h: dict[ComponentClass, float] = Field(
        default_factory=dict, description="Median time out of service per failure (hours).")
    spares_share: float | None = Field(
        default=None, ge=0, lt=1, description="Hot spares as a share of each pool.")
    owner_spares_share: dict[str, float] = Field(
        default_factory=dict, description="Hot spares share per owner (overrides spares_share).")
    checkpoint_write_s: float | None = Field(
        default=None, gt=0, description="Time a checkpoint blocks training (s).")
    restart_s: float | None = Field(
        default=None, ge=0, description="Restart overhead after an interruption (s).")
    checkpoint_interval_h: dict[str, float] = Field(
        default_factory=dict,
        description="Checkpoint interval per job class (hours); absent: Young/Daly optimum.")

    detect_s: dict[ComponentClass, float] = Field(
        default_factory=dict,
        description="Seconds from a failure to its detection per class (the gang hangs "
                    "until then), apart from the restart; default: packaged figures.")
    lemon_share: float | None = Field(
        default=None, ge=0, lt=1,
        description="Share of allocation slots that are 'lemons' (0: uniform rates).")
    lemon_multiplier: float | None = Field(
        default=None, ge=1, le=1000, description="A lemon's hardware failure rate over the "
        "others' (the pool's total rate is kept).")
    exclude_after: int | None = Field(
        default=None, ge=0, description="Hardware failures of one slot within a week that "
        "get it excluded and replaced (0: never).")
    failure_scale: float = Field(
        default=1.0, ge=0, le=1000,
        description="Multiplies every class's failure rate (after the overrides above): "
                    "2 doubles the expected failures, 0 turns them off.")

    @model_validator(mode="after")
    def _positive(self) -> ReliabilitySettings:
        for name, table in (("rates_per_accelerator_day", self.rates_per_accelerator_day),
                            ("repair_median_h", self.repair_median_h),
                            ("checkpoint_interval_h", self.checkpoint_interval_h),
                            ("detect_s", self.detect_s)):
            for k, v in table.items():
                if not v >= 0 or (name not in ("rates_per_accelerator_day", "detect_s")
                                  and v == 0):
                    raise ValueError(f"{name}.{k}: must be positive, got {v}")
        for fam, mult in self.family_multipliers.items():
            for k, v in mult.items():
                if not v >= 0:
                    raise ValueError(f"family_multipliers.{fam}.{k}: must be >= 0, got {v}")
        for owner, v in self.owner_spares_share.items():
            if not 0 <= v < 1:
                raise ValueError(f"owner_spares_share.{owner}: must be in [0, 1), got {v}")
        return self
