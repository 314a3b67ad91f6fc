"""Small scenarios for the national twin's tests (seconds, not minutes)."""

from __future__ import annotations

from typing import Any

import pytest

from aifab.scenario import Scenario


def small(fleets: list[dict[str, Any]], sim: dict[str, Any],
          owners: list[dict[str, Any]] | None = None) -> Scenario:
    """A scenario with the given fleets and sim section; no NPU pools or services unless
    asked, no warm-up, reference accelerator B200 (speed 1 on B200 pools)."""
    base: dict[str, Any] = {"npu_pools": [], "services_per_owner": 0, "warmup_days": 0,
                            "reference_accelerator": "b200"}
    return Scenario.model_validate({
        "name": "test",
        "owners": owners or [{"name": "Gov", "kind": "public"}],
        "fleets": fleets,
        "sim": {**base, **sim},
    })


def b200(owner: str, count: int) -> dict[str, Any]:
    return {"owner": owner, "accelerator": "b200", "system": "dgx-b200", "count": count,
            "delivery_year": 2026}


def gb200(owner: str, count: int) -> dict[str, Any]:
    return {"owner": owner, "accelerator": "gb200", "system": "gb200-nvl72", "count": count,
            "delivery_year": 2026}


def exp_class(mean_h: float, sizes: list[int] | None = None) -> dict[str, Any]:
    return {"sizes": sizes or [1], "duration": "exponential", "median_h": mean_h}


class Kit:
    """The helpers above, handed to tests as a fixture (importlib mode has no sibling
    imports)."""

    small = staticmethod(small)
    b200 = staticmethod(b200)
    gb200 = staticmethod(gb200)
    exp_class = staticmethod(exp_class)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
