"""Scenario sections read by the siting model (``aifab site``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OwnerSiting(BaseModel):
    """Where one owner accepts campuses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_regions: list[str] | None = Field(
        default=None, description="Regions (buses) the owner accepts; None = any."
    )
    max_distance_km: float | None = Field(
        default=None, gt=0, description="Max distance from the owner's home region."
    )
    max_share_per_site: float = Field(
        default=1.0, gt=0, le=1, description="Max share of the owner's MW on one site."
    )


class SitingOptions(BaseModel):
    """Model options for the siting optimisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    block_mw: float = Field(default=40.0, gt=0, description="Campus block size (MW).")
    carbon_price_krw_per_t: float = Field(default=0.0, ge=0)
    unserved_penalty_krw_per_mwh: float = Field(default=5.0e6, gt=0)
    data_dir: str | None = Field(default=None, description="Replace the packaged grid data.")
