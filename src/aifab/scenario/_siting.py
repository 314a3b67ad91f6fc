"""Scenario sections read by the siting model (``aifab site``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Years a scenario may model (siting years, the twin's sim.year): wide, but no typo such
#: as 1900 or 20260 gets through.
YEAR_MIN, YEAR_MAX = 2000, 2100


class FlexOffer(BaseModel):
    """How much of its power a campus will give up when the grid is short."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_shed_share: float = Field(
        default=0.25, ge=0, le=1,
        description="Largest share of the campus's power it will shed at once (GPU field "
                    "trials: 25-30 % within seconds, held for hours; korea-power.md).",
    )
    max_hours_share: float = Field(
        default=0.0, ge=0, le=0.2,
        description="Most hours per year it may be curtailed, as a share of 8,760 h "
                    "(0.0025 = 22 h; 0 = no flexibility).",
    )

    storage_mw_per_mw: float = Field(
        default=0.0, ge=0, le=1,
        description="On-site storage power per MW of campus load (e.g. 0.3: NVIDIA's GB300 "
                    "power shelves cut peak grid demand by up to 30 %).",
    )
    storage_hours: float = Field(
        default=4.0, gt=0, le=24, description="Storage energy (MWh) per MW of its power.",
    )

    @property
    def active(self) -> bool:
        """True if the offer lets the grid curtail anything or the campus has storage."""
        return (self.max_shed_share > 0 and self.max_hours_share > 0) or \
            self.storage_mw_per_mw > 0


class OwnerSiting(BaseModel):
    """Where one owner accepts campuses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_regions: list[str] | None = Field(
        default=None, description="Regions (buses) the owner accepts; None = any."
    )
    max_distance_km: float | None = Field(
        default=None, gt=0,
        description="Max great-circle distance (km) from the home region's centroid to a site.",
    )
    max_share_per_site: float = Field(
        default=1.0, gt=0, le=1, description="Max share of the owner's MW on one site."
    )
    min_home_share: float = Field(
        default=0.0, ge=0, le=1,
        description="Hard minimum share of the owner's IT MW placed in its home region "
                    "each year (e.g. latency-bound inference). Can make the problem infeasible.",
    )
    allow_shortfall: bool = Field(
        default=True,
        description="If false, every GPU must be powered each year (no 'waiting for power').",
    )
    flexibility: FlexOffer = Field(
        default_factory=FlexOffer,
        description="Curtailment the owner's campuses offer the grid (none by default).",
    )


class SitingOptions(BaseModel):
    """Model options for the siting optimisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    block_mw: float = Field(
        default=20.0, gt=0,
        description="Campus block size (MW): blocks are shared by a site's owners and the "
                    "last may be part-used, so it sets build cost, not the GPUs powered "
                    "(10-20 MW: the Distributed Energy Act's 10 MW assessment threshold up to "
                    "a typical data-hall block; korea-power.md).")
    carbon_price_krw_per_t: float = Field(default=0.0, ge=0)
    unserved_penalty_krw_per_mwh: float = Field(
        default=5.0e6, gt=0,
        description="Penalty per MWh of IT energy of GPUs waiting for power (shortfall).",
    )
    shortfall: Literal["fewest", "penalty"] = Field(
        default="fewest",
        description="'fewest' (default): GPUs wait only where the grid, site ramps and "
                    "limits cannot power them (an LP finds the fewest waiting per year "
                    "first; the MIP then places campuses at least cost with no more "
                    "waiting), so the block size sets cost, not the GPUs powered; "
                    "'penalty': waiting trades against cost at unserved_penalty_krw_per_mwh.",
    )
    data_dir: str | None = Field(default=None, description="Replace the packaged grid data.")
    hours: int = Field(
        default=144, ge=24, le=8760,
        description="Modelled hours per year: representative days x 24 (8760 = full year). "
                    "144 (six days) is the fewest that keeps the near-peak day of each "
                    "season that binds (August, October, January) while every other day "
                    "stands for days of one availability season only.",
    )
    full_year: Literal["two_stage", "monolithic"] = Field(
        default="two_stage",
        description="With hours=8760: 'two_stage' sites on screening_hours of representative "
                    "days, then re-solves every hour of the year with those campuses fixed "
                    "(an LP); 'monolithic' solves the full-year MIP (slow).",
    )
    screening_hours: int = Field(default=144, ge=24, le=2400,
                                 description="Representative hours of the two-stage stage 1.")
    years: list[int] | None = Field(
        default=None, description="Model only these years (default: every delivery year).",
    )
    demand_growth_per_year: float = Field(
        default=0.01, ge=-0.5, le=0.5, description="Growth of ordinary demand per year."
    )
    discount_rate: float = Field(default=0.07, ge=0, le=1, description="For annuities.")
    site_lifetime_years: float = Field(default=20.0, gt=0)
    corridor_lifetime_years: float = Field(default=40.0, gt=0)
    allow_expansions: bool = Field(
        default=True, description="Let the model build planned corridors (from earliest year)."
    )
    mip_rel_gap: float = Field(
        default=0.01, gt=0, lt=1,
        description="Relative MIP gap, measured on the cost the fleet adds to the system "
                    "(objective less the no-AI LP cost), not on the whole system's cost.",
    )
    network: Literal["clustered", "zonal", "full"] = Field(
        default="clustered",
        description="'clustered' (default): OSM substations grouped into `clusters` buses "
                    "(k-means within each province), lines aggregated with their reactance "
                    "(linear power flow, Kirchhoff's laws) and N-1 limits from their "
                    "circuits; 'zonal': one bus per region, corridors as transport limits "
                    "(no KVL); 'full': one bus per OSM substation (slow).",
    )
    full_network: Literal["check", "mip"] = Field(
        default="check",
        description="With network=full: 'check' sites on the clustered network, then solves "
                    "the full network's LOPF with those campuses fixed (an LP: GPUs it cannot "
                    "power there are reported waiting); 'mip' solves the full-network MIP "
                    "(slow: 26 % gap after 300 s).",
    )
    clusters: int = Field(
        default=40, ge=17, le=200,
        description="Buses of the clustered network (a busmap.csv in data_dir replaces "
                    "the k-means busmap).",
    )
    committed_delay_years: int = Field(
        default=0, ge=0, le=10,
        description="Years by which every committed grid project (hvdc.csv, corridors.csv "
                    "from_year) enters later than stated.",
    )
    west_coast_limit_mw: float | None = Field(
        default=None, ge=0, le=50000,
        description="AC export limit (MW) of the west-coast pocket (the clusters of Dangjin "
                    "and Taean; the Bukdangjin-Godeok HVDC adds to it); None = the grid "
                    "data's 5,100 MW, derived from KEPCO's 2023 constrained-off figures and "
                    "the HVDC's 2024 stage (range 4,600-5,600; interfaces.csv, docs/grid.md).",
    )
    flex_share: float | None = Field(
        default=None, ge=0, le=0.2,
        description="Offer, for every owner, curtailment of up to this share of the year's "
                    "hours (with each owner's max_shed_share); overrides the owners' "
                    "max_hours_share. CLI: --flex-share.",
    )
    flex_value_krw_per_gpu_h: float = Field(
        default=4000.0, ge=0,
        description="Value of one GPU-hour of compute lost to curtailment (assumed: about "
                    "USD 3 per B200-hour, the order of cloud rental prices in 2025).",
    )
    solver_threads: int = Field(default=2, ge=1, le=64)

    @model_validator(mode="after")
    def _whole_days_and_sane_years(self) -> SitingOptions:
        for name in ("hours", "screening_hours"):
            if getattr(self, name) % 24:
                raise ValueError(f"{name}: must be a multiple of 24 (whole representative "
                                 f"days), not {getattr(self, name)}")
        for y in self.years or []:
            if not YEAR_MIN <= y <= YEAR_MAX:
                raise ValueError(f"years: {y} is outside {YEAR_MIN}-{YEAR_MAX}")
        return self
    time_limit_s: float = Field(default=300.0, gt=0)
    seed: int = Field(default=0, description="Seed of the representative-day clustering.")
