"""Typed scenarios: YAML/TOML loading, ``--set`` overrides, the embedded scenarios."""

from aifab.scenario._load import (
    DEFAULT_SCENARIO,
    apply_override,
    embedded_scenarios,
    load_scenario,
)
from aifab.scenario._model import (
    SCENARIO_SCHEMA_VERSION,
    Facility,
    Fleet,
    Owner,
    Peer,
    Prices,
    Region,
    Scenario,
)
from aifab.scenario._sim import SimSettings
from aifab.scenario._siting import OwnerSiting, SitingOptions

__all__ = [
    "DEFAULT_SCENARIO",
    "SCENARIO_SCHEMA_VERSION",
    "Facility",
    "Fleet",
    "Owner",
    "OwnerSiting",
    "Peer",
    "Prices",
    "Region",
    "Scenario",
    "SimSettings",
    "SitingOptions",
    "apply_override",
    "embedded_scenarios",
    "load_scenario",
]
