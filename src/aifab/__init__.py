"""aifab: plan and simulate AI factories: fleets, power, siting, performance and sharing.

The public API is small and pinned by tests/test_public_api.py; stage packages
(``aifab.scenario``, ``aifab.catalog``, ``aifab.power``, ``aifab.report``, ...) have their own.
Names are imported on first use, so that ``aifab --help`` starts without pandas.
"""

# Only built-in modules here: a Ctrl-C while `aifab` starts must land inside the CLI's
# handler (aifab.cli.main), so nothing slow (typing, re, importlib) runs before it.
# ``aifab.plan`` is the function; its module is the private ``aifab._plan``.

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from aifab._plan import PlanResult, plan
    from aifab._plan_result import plan_file, read_plan
    from aifab.catalog import Catalog, default_catalog, load_catalog
    from aifab.errors import AifabError, BadInput, Infeasible
    from aifab.scenario import Scenario, load_scenario

_LAZY = {
    "AifabError": "aifab.errors",
    "BadInput": "aifab.errors",
    "Infeasible": "aifab.errors",
    "Catalog": "aifab.catalog",
    "default_catalog": "aifab.catalog",
    "load_catalog": "aifab.catalog",
    "PlanResult": "aifab._plan",
    "plan": "aifab._plan",
    "plan_file": "aifab._plan_result",
    "read_plan": "aifab._plan_result",
    "Scenario": "aifab.scenario",
    "load_scenario": "aifab.scenario",
}

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
    "plan_file",
    "read_plan",
]


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aifab' has no attribute {name!r}")
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(__all__))
