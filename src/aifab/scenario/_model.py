"""The scenario schema: what fleet, owned by whom, under which facility and price assumptions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aifab.scenario._reliability import ReliabilitySettings
from aifab.scenario._sim import SimSettings
from aifab.scenario._siting import OwnerSiting, SitingOptions
from aifab.scenario._workload import Workload

SCENARIO_SCHEMA_VERSION = 1

#: Accelerators in one fleet row: ten times the largest announced single fleet (about
#: 1 M GPUs), so a typo of extra zeros is caught before the twin allocates per-device state.
MAX_FLEET_COUNT = 10_000_000
#: Accelerators of a peer (a country or a firm), only compared, never simulated.
MAX_PEER_COUNT = 100_000_000


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owner(_Frozen):
    """A tenant that owns (part of) the fleet."""

    name: str = Field(min_length=1)
    kind: Literal["private", "public"] = "private"
    description: str = ""
    home_region: str | None = Field(default=None, description="Grid region of its users.")
    siting: OwnerSiting = OwnerSiting()


class Fleet(_Frozen):
    """A block of accelerators of one type, in one system form, delivered in one year."""

    owner: str = Field(min_length=1)
    accelerator: str = Field(min_length=1, description="Catalogue accelerator id.")
    system: str = Field(min_length=1, description="Catalogue system id.")
    count: int = Field(gt=0, le=MAX_FLEET_COUNT, description="Accelerators (not systems).")
    delivery_year: int = Field(ge=2000, le=2100)
    assumed: bool = Field(default=False, description="True where the public record is silent.")
    note: str = ""


class Facility(_Frozen):
    """Facility assumptions applied to every fleet."""

    pue: float = Field(default=1.3, ge=1.0, le=3.0, description="Power usage effectiveness.")
    load_factor: float = Field(
        default=0.9, gt=0, le=1, description="Average draw as a share of system nameplate."
    )
    system_power: Literal["low", "high", "mid"] = Field(
        default="low", description="Which end of a system's power range to use."
    )


class Prices(_Frozen):
    """Electricity price, exchange rate and grid carbon intensity."""

    tariff_krw_per_kwh: float = Field(default=180.0, gt=0)
    krw_per_usd: float = Field(default=1420.0, gt=0)
    grid_co2_kg_per_kwh: float = Field(default=0.46, ge=0)


class Region(_Frozen):
    """A consumption figure to compare the fleet's annual energy with."""

    name: str = Field(min_length=1)
    consumption_twh: float = Field(gt=0)
    year: int = Field(ge=1900, le=2100)
    source: str = Field(min_length=1)


class Peer(_Frozen):
    """Another fleet to rank against (country, firm)."""

    name: str = Field(min_length=1)
    accelerator: str = Field(min_length=1)
    count: int = Field(gt=0, le=MAX_PEER_COUNT)
    year: int = Field(ge=2000, le=2100)
    status: str = Field(default="", description="e.g. 'target', 'delivered'.")
    assumed: bool = False
    source: str = Field(min_length=1)


class Scenario(_Frozen):
    """A whole planning scenario; every number can be overridden with ``--set``."""

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str = ""
    owners: list[Owner] = Field(min_length=1)
    fleets: list[Fleet] = Field(min_length=1)
    facility: Facility = Facility()
    prices: Prices = Prices()
    compare_with: list[str] = Field(
        default_factory=lambda: ["Seoul", "Gwangju", "Korea"],
        description="Region names from the packaged consumption table or `regions`.",
    )
    regions: list[Region] = Field(default_factory=list, description="Extra regions.")
    peers: list[Peer] = Field(default_factory=list)
    siting: SitingOptions = SitingOptions()
    sim: SimSettings = SimSettings()
    reliability: ReliabilitySettings = ReliabilitySettings()
    workload: Workload = Workload()
    sources: dict[str, str] = Field(
        default_factory=dict, description="Source of each assumption, keyed by field path."
    )

    @model_validator(mode="after")
    def _owners_consistent(self) -> Scenario:
        names = [o.name for o in self.owners]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate owner name(s): {', '.join(dupes)}")
        for i, fleet in enumerate(self.fleets):
            if fleet.owner not in names:
                raise ValueError(
                    f"fleets[{i}].owner: unknown owner {fleet.owner!r} "
                    f"(owners: {', '.join(names)})"
                )
        return self

    def owner(self, name: str) -> Owner:
        """The owner called ``name`` (KeyError if absent)."""
        for o in self.owners:
            if o.name == name:
                return o
        raise KeyError(name)
