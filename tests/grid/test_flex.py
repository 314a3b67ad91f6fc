"""Flexibility offers in siting: a toy solved by hand, offers respected, zero = today."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _soak import part
from aifab.grid import solve_siting
from aifab.scenario._siting import FlexOffer, OwnerSiting

from .conftest import toy_data, toy_problem

pytestmark = pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast

PEAK_DAY = 200


def peaky_toy(seoul_headroom_mw: float = 100.0):
    """Toy with Seoul demand 1,000 MW except 1,500 MW in hours 12-15 of one day."""
    data = toy_data()
    d = np.ones(8760)
    d[PEAK_DAY * 24 + 12: PEAK_DAY * 24 + 16] = 1.5
    prof = pd.DataFrame({"demand": d, "solar": 0.0, "wind": 0.0})
    regions = data.regions.copy()
    regions.loc["Seoul", "new_load_headroom_mw"] = seoul_headroom_mw
    return replace(data, profiles=prof, regions=regions)


def seoul_problem(it_mw: float, depth: float, hours_share: float):
    p = toy_problem(it_mw, allowed_regions=["Seoul"])
    o = p.owners[0]
    siting = OwnerSiting(allowed_regions=["Seoul"], flexibility=FlexOffer(
        max_shed_share=depth, max_hours_share=hours_share))
    return replace(p, owners=(replace(o, siting=siting),),
                   options=p.options.model_copy(update={"hours": 48}))


def _served(r):
    return float(r.placements["mw"].sum())


def test_toy_flexibility_unlocks_known_mw():
    # Seoul firm headroom 100 MW: without flexibility 100 MW connect (blocks are shared
    # and the last may be part-used) and 100 MW IT waits. Shedding half, the campus needs
    # half its MW of firm headroom, so the whole 200 MW site fits (100 MW firm); the load
    # must fall to 100 MW in the four peak hours (no demand margin there) and may run at
    # 200 MW in every other hour (the region's own demand is 500 MW below its peak).
    # 4 h x 100 MW = 400 MWh <= 0.5 x 0.001 x 8760 h x 200 MW = 876 MWh (the offer).
    data = peaky_toy()
    plain = solve_siting(seoul_problem(200.0, 0.5, 0.0), data, calibrate_base=False)
    assert _served(plain) == pytest.approx(100.0)
    assert plain.unpowered_gpus_by_year == {2030: 100_000}
    assert not plain.flexibility
    r = solve_siting(seoul_problem(200.0, 0.5, 0.001), data, calibrate_base=False)
    assert _served(r) == pytest.approx(200.0)
    f = r.flexibility
    assert f["connected_gain_by_year"] == {2030: 100_000}
    assert f["curtailed_hours"][2030] == pytest.approx(4.0)
    assert f["curtailed_mwh"][2030] == pytest.approx(4 * 100.0, rel=1e-6)
    assert f["compute_lost_gpu_h"][2030] == pytest.approx(400.0 * 1000, rel=1e-6)
    doc = r.to_dict()["flexibility"]
    assert {"connected_gain_by_year", "curtailed_mwh", "curtailed_hours",
            "compute_lost_gpu_h", "by_campus"} <= set(doc)


def test_too_few_hours_cap_the_curtailed_energy():
    # 0.0004 x 8760 = 3.504 h at half depth: the four peak hours need 4 (L - 100) MWh of
    # curtailment <= 0.5 x 3.504 x L, so L = 400 / 2.248 = 177.94 MW (below the 200 MW the
    # firm share allows). (Placements round to 0.01 MW.)
    r = solve_siting(seoul_problem(200.0, 0.5, 0.0004), peaky_toy(), calibrate_base=False)
    assert _served(r) == pytest.approx(400 / 2.248, abs=0.006)
    assert r.flexibility["curtailed_mwh"][2030] == pytest.approx(4 * (400 / 2.248 - 100),
                                                                 abs=0.01)


def _check_offer(r, depth, hours_share):
    by = r.flexibility.get("by_campus")
    if by is None or by.empty:
        return
    for _, row in by.iterrows():
        mw = float(r.placements.loc[(r.placements["site"] == row["site"])
                                    & (r.placements["year"] == row["year"]), "mw"].sum())
        # the offer as energy: depth x hours at the campus's load (flat load here); the
        # placements round to 0.01 MW
        assert row["curtailed_mwh"] <= depth * hours_share * 8760 * (mw + 0.01) + 1e-3
        assert row["max_curtailed_mw"] <= depth * (mw + 0.01) + 1e-3


def test_zero_flexibility_equals_todays_siting_exactly():
    data = toy_data()
    today = solve_siting(toy_problem(100.0), data, calibrate_base=False)
    p = toy_problem(100.0)
    zero = replace(p, owners=tuple(replace(o, siting=o.siting.model_copy(update={
        "flexibility": FlexOffer(max_shed_share=0.3, max_hours_share=0.0)}))
        for o in p.owners))
    again = solve_siting(zero, data, calibrate_base=False)
    pd.testing.assert_frame_equal(today.placements, again.placements)
    pd.testing.assert_frame_equal(today.corridors, again.corridors)
    assert today.objective_krw == again.objective_krw
    assert today.unpowered_gpus_by_year == again.unpowered_gpus_by_year


@pytest.mark.slow  # two solves an example (about 11 s); all four: benchmarks/soak.py
@settings(max_examples=part(4, 2), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(head=st.sampled_from([60.0, 100.0, 140.0]), depth=st.sampled_from([0.25, 0.5]),
       shares=st.lists(st.sampled_from([0.0, 0.0003, 0.0005, 0.002]), min_size=2,
                       max_size=2, unique=True))
def test_connected_is_monotone_in_offered_curtailment(head, depth, shares):
    data = peaky_toy(head)
    lo, hi = sorted(shares)
    r_lo = solve_siting(seoul_problem(200.0, depth, lo), data, calibrate_base=False,
                        compare_flex=False)
    r_hi = solve_siting(seoul_problem(200.0, depth, hi), data, calibrate_base=False,
                        compare_flex=False)
    assert r_hi.unpowered_gpus_by_year[2030] <= r_lo.unpowered_gpus_by_year[2030]
    _check_offer(r_lo, depth, lo)
    _check_offer(r_hi, depth, hi)


def test_flex_curve_on_the_toy_and_its_chart():
    from aifab.grid import flex_curve
    from aifab.report import flex_curve_figure

    curve = flex_curve(seoul_problem(200.0, 0.5, 0.0), [0.0004, 0.001], peaky_toy())
    # 0.0004: 177.94 MW (see the energy test above); 0.001: all 200 MW; base 100 MW
    assert curve["gpus_connected_gain"].tolist() == [77_936, 100_000]
    assert curve["curtailed_mwh"].tolist() == pytest.approx([4 * 77.936, 400.0], abs=0.01)
    fig = flex_curve_figure(curve)
    assert list(fig.data[0].x) == pytest.approx([0.04, 0.1])


def test_storage_alone_covers_the_peak_by_hand():
    # No curtailment offered; batteries of 0.5 MW per MW and 4 h: the 200 MW campus shaves
    # 100 MW during the four peak hours (400 MWh <= 4 h x 100 MW) and recharges in the
    # day's other hours (500 MW of margin), so all 200 MW connect with no compute lost.
    p = seoul_problem(200.0, 0.5, 0.0)
    o = p.owners[0]
    flex = FlexOffer(max_shed_share=0.5, max_hours_share=0.0, storage_mw_per_mw=0.5,
                     storage_hours=4.0)
    p = replace(p, owners=(replace(o, siting=o.siting.model_copy(update={
        "flexibility": flex})),))
    r = solve_siting(p, peaky_toy(), calibrate_base=False)
    assert _served(r) == pytest.approx(200.0)
    f = r.flexibility
    assert f["connected_gain_by_year"] == {2030: 100_000}
    assert f["curtailed_mwh"][2030] == pytest.approx(0.0, abs=1e-6)
    assert f["compute_lost_gpu_h"][2030] == pytest.approx(0.0, abs=1e-3)
    by = f["by_campus"]
    assert float(by["storage_discharged_mwh"].sum()) >= 400.0 - 1e-6
