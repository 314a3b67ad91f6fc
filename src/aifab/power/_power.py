"""Fleet to IT and facility power, energy, cost and carbon.

IT power is system nameplate (e.g. DGX B200 14.3 kW per 8 GPUs) pro rata to the
accelerators in a fleet row; facility power multiplies by PUE; annual energy applies the
load factor (average draw / nameplate) over 8,760 hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aifab.catalog import Accelerator, Catalog, System, default_catalog
from aifab.scenario import Facility, Fleet, Prices, Scenario

HOURS_PER_YEAR = 8760.0


def system_kw(system: System, which: str = "low") -> float:
    """System power (kW) at the chosen end of its published range."""
    high = system.power_kw_high if system.power_kw_high is not None else system.power_kw
    return {"low": system.power_kw, "high": high, "mid": (system.power_kw + high) / 2}[which]


@dataclass(frozen=True)
class Energy:
    """Power, annual energy, cost and CO2 of some accelerators under one set of assumptions."""

    it_power_mw: float
    facility_power_mw: float
    annual_energy_twh: float
    annual_cost_krw: float
    annual_cost_usd: float
    annual_co2_mt: float

    @classmethod
    def from_it_mw(cls, it_mw: float, facility: Facility, prices: Prices) -> Energy:
        """Apply PUE, load factor, tariff and grid intensity to an IT load (MW)."""
        fac_mw = it_mw * facility.pue
        twh = fac_mw * HOURS_PER_YEAR * facility.load_factor / 1e6
        kwh = twh * 1e9
        cost = kwh * prices.tariff_krw_per_kwh
        return cls(
            it_power_mw=it_mw,
            facility_power_mw=fac_mw,
            annual_energy_twh=twh,
            annual_cost_krw=cost,
            annual_cost_usd=cost / prices.krw_per_usd,
            annual_co2_mt=kwh * prices.grid_co2_kg_per_kwh / 1e9,  # kg -> Mt
        )

    def __add__(self, other: Energy) -> Energy:
        return Energy(*(a + b for a, b in zip(_astuple(self), _astuple(other), strict=True)))


def _astuple(e: Energy) -> tuple[float, ...]:
    return (e.it_power_mw, e.facility_power_mw, e.annual_energy_twh, e.annual_cost_krw,
            e.annual_cost_usd, e.annual_co2_mt)


ZERO = Energy(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class AcceleratorPower:
    """Power of one accelerator (its share of the system) under a facility's assumptions.

    ``it_kw``: system power (at ``facility.system_power``) per accelerator;
    ``facility_kw``: times PUE (nameplate: what plan and site size for);
    ``busy_kw``: facility draw while allocated (times the load factor);
    ``idle_kw``: facility draw while powered and idle (idle/TDP of the accelerator).
    """

    it_kw: float
    facility_kw: float
    busy_kw: float
    idle_kw: float


def accelerator_power(system: System, accelerator: Accelerator,
                      facility: Facility) -> AcceleratorPower:
    """Per-accelerator power: the one model plan, site and the national twin use."""
    it_kw = system_kw(system, facility.system_power) / system.accelerators_per_system
    fac_kw = it_kw * facility.pue
    return AcceleratorPower(it_kw=it_kw, facility_kw=fac_kw,
                            busy_kw=fac_kw * facility.load_factor,
                            idle_kw=fac_kw * accelerator.idle_w / accelerator.tdp_w)


def fleet_it_mw(fleet: Fleet, catalog: Catalog, facility: Facility) -> float:
    """IT power (MW) of one fleet row: accelerators x system kW per accelerator."""
    system = catalog.system(fleet.system)
    per_acc_kw = system_kw(system, facility.system_power) / system.accelerators_per_system
    return fleet.count * per_acc_kw / 1000.0


def fleet_energy(fleet: Fleet, scenario: Scenario, catalog: Catalog | None = None) -> Energy:
    """Power, energy, cost and CO2 of one fleet row."""
    cat = catalog or default_catalog()
    return Energy.from_it_mw(fleet_it_mw(fleet, cat, scenario.facility), scenario.facility,
                             scenario.prices)


def demand_by_year(scenario: Scenario, catalog: Catalog | None = None) -> pd.DataFrame:
    """Installed accelerators and IT MW per owner at the end of each delivery year.

    Cumulative from the first to the last delivery year of the scenario; columns
    ``owner, year, accelerators, it_mw, facility_mw`` (facility at the scenario PUE).
    """
    cat = catalog or default_catalog()
    years = range(min(f.delivery_year for f in scenario.fleets),
                  max(f.delivery_year for f in scenario.fleets) + 1)
    rows = []
    for owner in scenario.owners:
        mine = [f for f in scenario.fleets if f.owner == owner.name]
        for year in years:
            delivered = [f for f in mine if f.delivery_year <= year]
            it_mw = sum(fleet_it_mw(f, cat, scenario.facility) for f in delivered)
            rows.append({
                "owner": owner.name,
                "year": year,
                "accelerators": sum(f.count for f in delivered),
                "it_mw": it_mw,
                "facility_mw": it_mw * scenario.facility.pue,
            })
    return pd.DataFrame(rows, columns=["owner", "year", "accelerators", "it_mw", "facility_mw"])
