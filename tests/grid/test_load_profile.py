"""The twin's load shape in siting (``--load-profile``): flat = today, a shape by hand."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from aifab.errors import BadInput
from aifab.grid import (
    LoadProfile,
    flat_profile,
    profile_from_frame,
    read_load_profile,
    solve_siting,
)

from .conftest import toy_data, toy_problem
from .test_flex import peaky_toy, seoul_problem

pytestmark = pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast


def test_flat_profile_equal_to_the_load_factor_is_todays_siting_exactly():
    data = toy_data()
    p = replace(toy_problem(100.0), load_factor=0.8)
    today = solve_siting(p, data, calibrate_base=False)
    flat = solve_siting(replace(p, load_profile=flat_profile(["X"], 0.8)), data,
                        calibrate_base=False)
    pd.testing.assert_frame_equal(today.placements, flat.placements)
    pd.testing.assert_frame_equal(today.corridors, flat.corridors)
    pd.testing.assert_frame_equal(today.annual_cost, flat.annual_cost)
    assert today.objective_krw == flat.objective_krw
    # and a flat profile read from a twin-like table (0.8 of nameplate in every hour)
    df = pd.DataFrame({"hour": range(48), "owner": "X", "facility_mw": 8.0,
                       "nameplate_mw": 10.0})
    read = profile_from_frame(df)
    assert read.by_owner["X"] == (0.8,) * 24
    again = solve_siting(replace(p, load_profile=read), data, calibrate_base=False)
    assert again.objective_krw == today.objective_krw


def _shape(low: float, hours: range) -> LoadProfile:
    return LoadProfile({"X": tuple(low if h in hours else 1.0 for h in range(24))}, "hand")


def test_a_shape_low_at_the_peak_needs_no_curtailment_by_hand():
    # The flex toy (test_flex): 200 MW in Seoul, 100 MW of firm headroom, the region's
    # demand peaks in hours 12-15 of one day. Flat at 1.0 the campus must shed 100 MW in
    # those 4 hours (400 MWh); a campus whose own load is half its nameplate in hours 12-15
    # fits the peak as it is: all 200 MW connect and nothing is curtailed.
    data = peaky_toy()
    p = seoul_problem(200.0, 0.5, 0.001)
    flat = solve_siting(p, data, calibrate_base=False, compare_flex=False)
    assert flat.flexibility["curtailed_mwh"][2030] == pytest.approx(400.0, rel=1e-6)
    shaped = solve_siting(replace(p, load_profile=_shape(0.5, range(12, 16))), data,
                          calibrate_base=False, compare_flex=False)
    assert float(shaped.placements["mw"].sum()) == pytest.approx(200.0)
    assert shaped.flexibility.get("curtailed_mwh", {}).get(2030, 0.0) == pytest.approx(
        0.0, abs=1e-6)
    # half the load in 4 of 24 hours: the shortfall-free energy bill falls accordingly
    assert shaped.annual_cost["generation_krw"].iloc[0] < flat.annual_cost[
        "generation_krw"].iloc[0]


def test_the_shape_moves_the_energy_the_grid_serves():
    # 50 MW of IT at PUE 1 in Gangwon/Seoul; with a shape of 0.5 in 12 of 24 hours the
    # campus draws 3/4 of the energy of the flat 1.0 load: generation cost (nuclear at
    # 10k KRW/MWh, ample) falls by a quarter of the campus's share.
    data = toy_data()
    p = toy_problem(50.0)
    flat = solve_siting(p, data, calibrate_base=False)
    half = solve_siting(replace(p, load_profile=_shape(0.5, range(12))), data,
                        calibrate_base=False)
    d_gen = (flat.annual_cost["generation_krw"].iloc[0]
             - half.annual_cost["generation_krw"].iloc[0])
    # 50 MW x 12 h x 0.5 x 365 days at the marginal plant's cost (nuclear 10,000 KRW/MWh)
    assert d_gen == pytest.approx(50.0 * 12 * 0.5 * 365 * 10_000.0, rel=1e-6)


def test_bad_profiles_exit_as_bad_input(tmp_path):
    f = tmp_path / "campus_power_hourly.csv"
    f.write_text("hour,owner,facility_mw,nameplate_mw\n0,X,1,0\n")
    with pytest.raises(BadInput, match="line 2, column nameplate_mw"):
        read_load_profile(tmp_path)
    f.write_text("hour,owner,facility_mw\n0,X,1\n")
    with pytest.raises(BadInput, match="nameplate_mw"):
        read_load_profile(f)
    f.write_text("hour,owner,facility_mw,nameplate_mw\n0,X,1,2\n")
    with pytest.raises(BadInput, match="hour"):
        read_load_profile(f)


def test_siting_reports_the_hourly_limits_the_twin_takes_back():
    # the flex toy: 200 MW campus, cut by 100 MW in hours 12-15 of the peak day
    r = solve_siting(seoul_problem(200.0, 0.5, 0.001), peaky_toy(), calibrate_base=False,
                     compare_flex=False)
    h = r.flexibility["curtailment_hourly"]
    assert list(h["hour"]) == [12, 13, 14, 15]
    assert set(h["owner"]) == {"X"} and set(h["weight"]) == {1.0}
    assert list(h["curtailed_mw"]) == pytest.approx([100.0] * 4, rel=1e-6)
    assert list(h["load_mw"]) == pytest.approx([200.0] * 4, rel=1e-6)
    assert list(h["depth"]) == pytest.approx([0.5] * 4, rel=1e-6)
    assert r.to_dict()["flexibility"]["curtailment_hourly"][0]["hour"] == 12
