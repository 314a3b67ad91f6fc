"""Closing the loop: twin -> site -> twin on the toy grid until the pair is consistent."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from aifab.cli import app
from aifab.scenario import Scenario
from aifab.sim.national import apply_caps, caps_from_siting, couple, simulate


def _toy_grid():

    from _scripts import REPO, load_file

    return load_file(REPO / "tests" / "grid" / "conftest.py", "grid_conftest").toy_data()


def _site_on(data):  # type: ignore[no-untyped-def]
    from aifab.grid import profile_from_frame, site

    return lambda scn, frame: site(scn, data=data, load_profile=profile_from_frame(frame))


def _scenario(gpus: int) -> Scenario:
    return Scenario.model_validate({
        "name": "toy-couple",
        "owners": [{"name": "X", "kind": "private", "home_region": "Seoul"}],
        "fleets": [{"owner": "X", "accelerator": "b200", "system": "dgx-b200",
                    "count": gpus, "delivery_year": 2030}],
        "siting": {"hours": 24, "mip_rel_gap": 1e-6, "allow_expansions": False},
        "sim": {"npu_pools": [], "services_per_owner": 0, "warmup_days": 0.5, "days": 1.5,
                "reference_accelerator": "b200", "scale": 0.05, "seed": 1}})


@pytest.mark.slow
def test_the_loop_converges_and_the_twin_ran_under_its_own_caps():
    scn, data = _scenario(20_000), _toy_grid()
    cp = couple(scn, _site_on(data), rounds=4, tol_mw=0.5)
    assert cp.converged and 2 <= cp.rounds <= 4
    assert len(cp.history) == cp.rounds and cp.history[0].twin_caps_mw is None
    last = cp.history[-1]
    assert last.twin_caps_mw is not None
    # consistent: the caps the last twin ran under are what siting gives for its shape
    for o, mw in last.siting_caps_mw.items():
        assert abs(mw - last.twin_caps_mw[o]) <= 0.5
    # and the result is what one more twin run under those caps gives
    again = simulate(apply_caps(scn, caps_from_siting(cp.siting, ["X"])))
    assert again.to_dict()["utilization"] == cp.sim.to_dict()["utilization"]
    share = last.mean_share["X"]
    assert 0 < share <= 0.8 + 1e-9  # the scenario's load factor bounds a busy campus
    doc = cp.to_dict()
    assert {"rounds", "converged", "tol_mw", "caps_year", "history"} <= set(doc)


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
def test_rounds_exhausted_is_reported_not_converged():
    cp = couple(_scenario(20_000), _site_on(_toy_grid()), rounds=1, tol_mw=0.5)
    assert cp.rounds == 1 and not cp.converged


def test_cli_couple_twin_rejects_a_second_profile(tmp_path):
    r = CliRunner().invoke(app, ["site", "--couple-twin", "--load-profile", str(tmp_path),
                                 "--json"])
    assert r.exit_code == 2
    assert "--couple-twin" in r.output
    r = CliRunner().invoke(app, ["site", "--load-profile", str(tmp_path), "--json"])
    assert r.exit_code == 2 and "campus_power_hourly.csv" in r.output
