"""Typed scenarios: YAML/TOML loading, ``--set`` overrides, the embedded scenarios."""

from aifab.scenario._load import (
    DEFAULT_SCENARIO,
    apply_override,
    embedded_scenarios,
    embedded_text,
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
from aifab.scenario._reliability import ComponentClass, ReliabilitySettings
from aifab.scenario._sim import JobClassSpec, NpuPoolSpec, ServiceSpec, SimSettings, TenantSpec
from aifab.scenario._siting import OwnerSiting, SitingOptions
from aifab.scenario._workload import Workload, WorkloadItem

__all__ = [
    "DEFAULT_SCENARIO",
    "SCENARIO_SCHEMA_VERSION",
    "ComponentClass",
    "Facility",
    "Fleet",
    "JobClassSpec",
    "NpuPoolSpec",
    "Owner",
    "OwnerSiting",
    "Peer",
    "Prices",
    "Region",
    "ReliabilitySettings",
    "Scenario",
    "ServiceSpec",
    "SimSettings",
    "SitingOptions",
    "TenantSpec",
    "Workload",
    "WorkloadItem",
    "apply_override",
    "embedded_scenarios",
    "embedded_text",
    "load_scenario",
]
