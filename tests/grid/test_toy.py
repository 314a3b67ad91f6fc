"""The 3-region toy whose optimum is worked out by hand (placement and dispatch)."""

from __future__ import annotations

import pytest

from aifab.grid import solve_siting

from .conftest import toy_data, toy_problem

H = 8760


def _by_site(result):
    p = result.placements
    return {s: float(p.loc[p["site"] == s, "mw"].sum()) for s in p["site"]}


@pytest.mark.slow  # a few seconds: make test and CI, not make test-fast
def test_toy_placement_and_dispatch_by_hand(toy):
    # 100 MW IT. Gangwon has 400 MW of nuclear stuck behind the 600 MW corridor (10k KRW/MWh):
    # its site takes its full 80 MW (2 blocks). The other 20 MW IT cost 25 MW at the PUE 1.25
    # Jeonnam site on spare coal (25 x 50k = 1.25 M KRW/h) versus 20 MW of LNG in Seoul
    # (2.0 M KRW/h); one block either way, so Jeonnam wins.
    r = solve_siting(toy_problem(100.0), toy)
    assert r.status == "optimal"
    assert _by_site(r) == pytest.approx({"S-Gangwon": 80.0, "S-Jeonnam": 25.0})
    blocks = r.placements.set_index("site")["blocks_mw"].to_dict()
    assert blocks == {"S-Gangwon": 80.0, "S-Jeonnam": 40.0}
    assert r.unpowered_gpus_by_year == {2030: 0}
    # dispatch: nuclear 600 + 80, coal 50 + 25, LNG 350 (MW, every hour)
    gen = (600 + 80) * 10_000 + (50 + 25) * 50_000 + 350 * 100_000
    cost = r.annual_cost.iloc[0]
    assert cost["generation_krw"] == pytest.approx(gen * H, rel=1e-9)
    assert cost["site_build_krw"] == pytest.approx(120 * 1e6, rel=1e-9)
    assert r.objective_krw == pytest.approx(gen * H + 120e6, rel=1e-9)
    assert r.co2_mt_by_year[2030] == pytest.approx((75 * 0.8 + 350 * 0.4) * H / 1e6)
    loads = r.corridors.set_index("name")["max_loading_pct"]
    assert loads["G-S"] == pytest.approx(100.0)
    assert loads["J-S"] == pytest.approx(100.0)


@pytest.mark.slow
def test_toy_grid_limit_leaves_gpus_waiting():
    # Seoul LNG 400 MW: base Seoul = nuclear 600 + coal 50 + LNG 350. Spare: 400 nuclear in
    # Gangwon + 50 LNG (Gangwon AI takes nuclear, Seoul backfills with LNG). Only the Gangwon
    # site is open (no Jeonnam/Seoul sites), so 450 MW IT is powered and 150 MW waits.
    data = toy_data(gangwon_site_mw=1000.0, seoul_lng_mw=400.0, jeonnam_site_mw=0.0,
                    seoul_site_mw=0.0)
    r = solve_siting(toy_problem(600.0), data)
    assert _by_site(r) == pytest.approx({"S-Gangwon": 450.0})
    assert r.unpowered_gpus_by_year == {2030: 150_000}
    assert r.annual_cost.iloc[0]["load_shed_mwh"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.slow
def test_toy_preferences_allowed_regions_and_share(toy):
    # Only Seoul allowed: 100 MW IT at PUE 1.0 in 3 blocks (120 MW).
    r = solve_siting(toy_problem(100.0, allowed_regions=["Seoul"]), toy)
    assert _by_site(r) == pytest.approx({"S-Seoul": 100.0})
    # max 50 % per site: Gangwon 50, then Jeonnam 32 (one 40 MW block at PUE 1.25) and
    # 18 MW IT in Seoul on LNG.
    r = solve_siting(toy_problem(100.0, max_share_per_site=0.5), toy)
    got = _by_site(r)
    assert got["S-Gangwon"] == pytest.approx(50.0)
    assert max(got.values()) <= 50.0 + 1e-6
    assert sum(v / (1.25 if s == "S-Jeonnam" else 1.0) for s, v in got.items()) == \
        pytest.approx(100.0)


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
def test_toy_full_year_two_stage_matches(toy):
    # Flat hours: the full-year stage-2 LP with stage-1 campuses fixed gives the same answer.
    p = toy_problem(100.0)
    full = p.__class__(demand=p.demand, owners=p.owners, load_factor=p.load_factor,
                       options=p.options.model_copy(update={"hours": 8760,
                                                             "screening_hours": 24}))
    r = solve_siting(full, toy)
    assert r.hours_per_year == 8760 and r.status == "optimal"
    s2 = r.second_stage
    assert s2["blocks"] == 365 and s2["block_days"] == 1  # one LP per day
    assert all(v["short_hours_by_month"] == {} for v in s2["by_year"].values())
    assert _by_site(r) == pytest.approx({"S-Gangwon": 80.0, "S-Jeonnam": 25.0})
    gen = (680 * 10_000 + 75 * 50_000 + 350 * 100_000) * H
    assert r.objective_krw == pytest.approx(gen + 120e6, rel=1e-9)
