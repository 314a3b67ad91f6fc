"""One power model: the twin's nameplate MW is plan's facility MW (aifab.power)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifab import load_scenario, plan
from aifab.catalog import default_catalog
from aifab.scenario import Scenario
from aifab.sim.national import build_twin

SYSTEMS = [(s.accelerator, sid, s.accelerators_per_system)
           for sid, s in default_catalog().systems.items()]


def _nameplate_mw(scn: Scenario) -> float:
    tw = build_twin(scn)
    return sum((p.accelerators + p.dark_domains * p.domain_size) * p.nameplate_kw
               for p in tw.pools) / 1000.0 / scn.sim.scale


@st.composite
def scenarios(draw: Any) -> Scenario:
    owners = [{"name": f"O{i}", "kind": "public" if i == 0 else "private"}
              for i in range(draw(st.integers(1, 3)))]
    fleets = []
    for _ in range(draw(st.integers(1, 4))):
        acc, sys_id, d = draw(st.sampled_from(SYSTEMS))
        fleets.append({"owner": draw(st.sampled_from(owners))["name"], "accelerator": acc,
                       "system": sys_id, "count": d * draw(st.integers(1, 40)),
                       "delivery_year": draw(st.integers(2025, 2028))})
    return Scenario.model_validate({
        "name": "p", "owners": owners, "fleets": fleets,
        "facility": {"pue": draw(st.floats(1.0, 2.0)),
                     "load_factor": draw(st.floats(0.3, 1.0)),
                     "system_power": draw(st.sampled_from(["low", "mid", "high"]))},
        "sim": {"services_per_owner": 0, "reference_accelerator": "b200",
                "power_cap_mw": {o["name"]: draw(st.floats(0.0, 5.0)) for o in owners
                                 if draw(st.booleans())},
                "power_mode": draw(st.sampled_from(["wait", "strand", "throttle"]))}})


@pytest.mark.slow  # a few seconds: make test and CI, not make test-fast
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_twin_nameplate_equals_plan_facility_power(scn: Scenario) -> None:
    want = plan(scn).totals.facility_power_mw
    assert math.isclose(_nameplate_mw(scn), want, rel_tol=1e-9)


def test_system_power_moves_the_twin_as_it_moves_plan() -> None:
    """The bug of issue 9: --set facility.system_power=high changed plan's MW only.
    korea-2025 has 24,000 GB300 in 333.3 racks: the twin models 333, so its nameplate
    is plan's less 24 GB300 (whole scale-up domains)."""
    for choice in ("low", "high"):
        scn = load_scenario(None, [f"facility.system_power={choice}"])
        gb300 = default_catalog().system("gb300-nvl72")
        per = (gb300.power_kw if choice == "low" else gb300.power_kw_high) / 72 * 1.3
        want = plan(scn).totals.facility_power_mw - 24 * per / 1000.0
        assert math.isclose(_nameplate_mw(scn), want, rel_tol=1e-9), choice
