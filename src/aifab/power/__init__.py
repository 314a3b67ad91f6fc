"""Fleet to power, energy, cost and carbon; capacity in H100-equivalents; region figures."""

from aifab.power._capacity import METRICS, REFERENCE, h100_equivalents, metric_value
from aifab.power._power import (
    HOURS_PER_YEAR,
    ZERO,
    AcceleratorPower,
    Energy,
    accelerator_power,
    demand_by_year,
    fleet_energy,
    fleet_it_mw,
    system_kw,
)
from aifab.power._regions import packaged_regions, regions_for

__all__ = [
    "HOURS_PER_YEAR",
    "METRICS",
    "REFERENCE",
    "ZERO",
    "AcceleratorPower",
    "Energy",
    "accelerator_power",
    "demand_by_year",
    "fleet_energy",
    "fleet_it_mw",
    "h100_equivalents",
    "metric_value",
    "packaged_regions",
    "regions_for",
    "system_kw",
]
