"""aifab: plan and simulate AI factories: fleets, power, siting, performance and sharing.

The public API is small and pinned by tests/test_public_api.py; stage packages
(``aifab.scenario``, ``aifab.catalog``, ``aifab.power``, ``aifab.report``, ...) have their own.
"""

__version__ = "0.1.0"

from aifab.catalog import Catalog, default_catalog, load_catalog  # noqa: E402
from aifab.errors import AifabError, BadInput, Infeasible  # noqa: E402
from aifab.plan import PlanResult, plan  # noqa: E402
from aifab.scenario import Scenario, load_scenario  # noqa: E402

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
