"""Scenario section read by the national simulation (``aifab simulate``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SimSettings(BaseModel):
    """Settings of the national digital twin; every field has a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: float = Field(default=30.0, gt=0, description="Simulated horizon (days).")
    queue_policy: str = Field(default="fairshare", description="Queue policy registry name.")
    seed: int = Field(default=0, ge=0)
