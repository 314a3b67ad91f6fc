"""Scenario section for the inference workload the fleet's token output is measured on
(``aifab plan``'s AI-factory output): a mix of models and request shapes, each a share of
the output tokens, with sources. Empty: the reference workload of ``aifab.perf``
(Llama 3.1 70B, 2,048 in / 256 out)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkloadItem(_Frozen):
    """One workload: a model (id from ``aifab perf models``) and its request shape."""

    model: str = Field(min_length=1)
    share: float = Field(gt=0, le=1, description="Share of the output tokens.")
    input_tokens: int = Field(gt=0, le=1_000_000)
    output_tokens: int = Field(gt=0, le=1_000_000)
    source: str = Field(min_length=1)


class Workload(_Frozen):
    """The inference mix and its latency target."""

    inference: list[WorkloadItem] = Field(default_factory=list)
    tpot_ms: float = Field(default=50.0, gt=0, le=10_000,
                           description="Time-per-output-token target (ms).")

    @model_validator(mode="after")
    def _shares(self) -> Workload:
        if self.inference:
            total = sum(i.share for i in self.inference)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"inference shares sum to {total:.6g}, not 1")
        return self
