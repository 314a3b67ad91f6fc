"""The flags of each stage that a sweep can set (``options.<stage>`` or ``<stage>.<flag>``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Frozen(BaseModel):
    """A frozen model that rejects unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanOptions(Frozen):
    """``aifab plan`` takes no flags beyond the scenario."""


class SiteOptions(Frozen):
    """Flags of ``aifab site``."""

    hours: int | None = Field(default=None, ge=24, le=8784)
    time_limit_s: float | None = Field(default=None, gt=0)


class SimulateOptions(Frozen):
    """Flags of ``aifab simulate`` (days, policy, seed are scenario fields: ``sim.*``).
    ``power_caps``: a siting, as ``--power-caps`` takes it (a site run folder, its
    site.json or ``aifab site --json`` output): the twin runs under its caps and hourly
    curtailment (``site_constraints``, the pipeline's one conversion)."""

    power_caps: str | None = Field(default=None, min_length=1)


class PerfOptions(Frozen):
    """Flags of ``aifab perf infer`` (mode infer) or ``aifab perf train`` (mode train)."""

    mode: Literal["infer", "train"] = "infer"
    model: str = Field(default="llama-3.1-70b", min_length=1)
    device: str = Field(default="b200", min_length=1)
    devices: int = Field(default=8, ge=1)
    precision: str | None = None
    batch: int = Field(default=1, ge=1)
    input: int = Field(default=2048, ge=1)
    output: int = Field(default=128, ge=1)
    tp: int | None = Field(default=None, ge=1)
    tokens: float = Field(default=15.6e12, gt=0)
    pue: float = Field(default=1.2, ge=1.0, le=3.0)


class ReplayOptions(Frozen):
    """Flags of ``aifab replay openb`` for one seed (paths relative to the spec file)."""

    nodes: str = Field(min_length=1)
    pods: str = Field(min_length=1)
    policy: str = "fgd"
    seed: int = Field(default=42, ge=0)
    tune: float = Field(default=1.3, ge=0)
    tie_break: Literal["rank", "uniform"] = "rank"


class QuotaOptions(Frozen):
    """Flags of the ``quota`` stage: one quota design of a public programme, run through the
    twin (docs/sweep.md, "Quota designs"; days, seed and scale are ``sim.*`` fields)."""

    engine: Literal["kueue", "kai", "native"] = "kueue"
    owner: str | None = Field(default=None, min_length=1)
    startups: int = Field(default=1, ge=1, le=1000)
    startup_quota: float = Field(default=0.35, gt=0, le=1)
    startup_demand: float = Field(default=0.02, gt=0, le=5)
    borrowing_limit: float | None = Field(default=None, ge=0)
    startup_weight: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _kueue_only(self) -> QuotaOptions:
        if self.engine == "native" and (self.borrowing_limit is not None
                                        or self.startup_weight is not None):
            raise ValueError("borrowing_limit and startup_weight are Kueue/KAI fields: the "
                             "native engine has neither (use engine kueue or kai)")
        return self


OPTION_MODELS: dict[str, type[Frozen]] = {
    "plan": PlanOptions, "site": SiteOptions, "simulate": SimulateOptions,
    "perf": PerfOptions, "replay": ReplayOptions, "quota": QuotaOptions}
PATH_OPTIONS = {("replay", "nodes"), ("replay", "pods"), ("simulate", "power_caps")}
