"""aifab: plan and simulate AI factories: fleets, power, siting, performance and sharing.

The public API is small and pinned by tests/test_public_api.py; stage packages
(``aifab.scenario``, ``aifab.catalog``, ``aifab.power``, ``aifab.report``, ...) have their own.
"""

__version__ = "0.1.0"

from aifab.catalog import Catalog, default_catalog, load_catalog
from aifab.errors import AifabError, BadInput, Infeasible
from aifab.plan import PlanResult, plan
from aifab.scenario import Scenario, load_scenario

__all__ = [
    "AifabError",
    "BadInput",
    "Catalog",
    "Infeasible",
    "PlanResult",
    "Scenario",
    "__version__",
    "default_catalog",
    "load_catalog",
    "load_scenario",
    "plan",
]
