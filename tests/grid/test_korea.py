"""The Korean default: every placement respects every limit, recomputed from the solution."""

from __future__ import annotations

import math

import pytest

from aifab.grid import load_grid_data, problem_from_scenario, solve_siting
from aifab.grid._model import haversine_km
from aifab.scenario import load_scenario

pytestmark = pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast

EPS = 1e-6


@pytest.fixture(scope="module")
def solved():
    scn = load_scenario(None, ["siting.hours=24", "owners.0.siting.max_share_per_site=0.6",
                               "owners.2.siting.max_distance_km=150"])
    problem = problem_from_scenario(scn)
    data = load_grid_data()
    return problem, data, solve_siting(problem, data)


def test_status_and_report(solved):
    problem, _, r = solved
    assert problem.owners[2].siting.max_distance_km == 150
    assert r.status in ("optimal", "time_limit")
    assert r.mip_gap <= problem.options.mip_rel_gap + 1e-9
    assert set(r.unpowered_gpus_by_year) == set(problem.years())
    doc = r.to_dict()
    for key in ("status", "objective_krw", "mip_gap", "solve_s", "placements",
                "unpowered_gpus_by_year", "corridors", "regions", "annual_cost_krw", "co2_mt"):
        assert key in doc


def test_every_gpu_is_placed_or_waiting(solved):
    problem, _, r = solved
    need = problem.need()
    p = r.placements
    for (owner, year), row in need.iterrows():
        placed = int(p.loc[(p["owner"] == owner) & (p["year"] == year), "gpus"].sum())
        u = r.unpowered_by_owner
        wait = int(u.loc[(u["owner"] == owner) & (u["year"] == year), "unpowered_gpus"].sum())
        assert abs(placed + wait - row["accelerators"]) <= 2  # rounding per placement


def test_site_region_and_block_limits(solved):
    problem, data, r = solved
    bm = problem.options.block_mw
    p = r.placements
    for (site, year), g in p.groupby(["site", "year"]):
        built = float(g["blocks_mw"].sum())
        # whole blocks, shared by owners (each owner's share is rounded to 0.1 MW)
        assert math.isclose(built / bm, round(built / bm), abs_tol=0.05 * len(g) / bm)
        powered = float(g["mw"].sum())
        tol = 0.005 * len(g) + EPS  # each placement's MW is rounded to 0.01
        assert powered <= data.site_mw(site, year) + tol  # ramp
        assert powered <= float(data.sites.at[site, "headroom_mw"]) + tol  # connection
        assert powered <= built + tol + 0.05 * len(g)  # powered within built blocks (rounded)
        # no idle whole block beyond the most the site has powered so far (blocks never
        # fall, so a campus whose owners moved load elsewhere keeps its blocks)
        so_far = p[(p["site"] == site) & (p["year"] <= year)].groupby("year")["mw"].sum()
        assert built < float(so_far.max()) + bm + tol + 0.05 * len(g)
    for (region, _year), g in p.groupby(["region", "year"]):
        head = float(data.regions.at[region, "new_load_headroom_mw"])
        assert float(g["mw"].sum()) <= head + 0.005 * len(g) + EPS  # rounded MW
    # campuses are not demolished from one year to the next: over the years a site is
    # listed its blocks never fall; a site whose owners all moved elsewhere has no
    # placement row in a later year (its blocks stay, constraint Site-no-demolition-blocks),
    # so the paid-for blocks, the site build cost, never fall either
    for _key, g in p.groupby("site"):
        by_year = g.groupby("year")["blocks_mw"].sum()
        assert (by_year.diff().dropna() >= -EPS).all()
    build = r.annual_cost.set_index("year")["site_build_krw"].sort_index()
    assert (build.diff().dropna() >= -1.0).all()


def test_owner_preferences_and_corridors(solved):
    problem, data, r = solved
    p = r.placements
    need = problem.need()
    for o in problem.owners:
        mine = p[p["owner"] == o.name]
        if o.siting.allowed_regions is not None:
            assert set(mine["region"]) <= set(o.siting.allowed_regions)
        for (site, year), g in mine.groupby(["site", "year"]):
            it = float(g["mw"].sum()) / float(data.sites.at[site, "pue"])
            assert it <= o.siting.max_share_per_site * need.at[(o.name, year), "it_mw"] + 0.01
        if o.siting.max_distance_km is not None:
            home = data.regions.loc[o.home_region]
            for site in set(mine["site"]):
                s = data.sites.loc[site]
                d = haversine_km(home["lat"], home["lon"], s["lat"], s["lon"])
                assert d <= o.siting.max_distance_km
    assert (r.corridors["max_loading_pct"] <= 100.0 + 1e-4).all()
    for name, year in r.expansions_built.items():
        earliest = int(data.corridors.set_index("name").at[name, "earliest_year"])
        assert year >= earliest
