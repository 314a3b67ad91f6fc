"""The siting map: provinces, corridor colour bar and width legend, year slider."""

from __future__ import annotations

import pandas as pd
import pytest

from aifab.grid import OwnerPrefs, SiteResult, SitingProblem, solve_siting
from aifab.report import siting_map
from aifab.scenario._siting import OwnerSiting, SitingOptions

from .conftest import toy_data


@pytest.fixture(scope="module")
def two_year():
    """One siting run of a toy with two years (the map tests only read it)."""
    data = toy_data()
    data.sites["mw_2031"] = data.sites["mw_2030"]
    demand = pd.DataFrame([{"owner": "X", "year": y, "accelerators": 1e5, "it_mw": 100.0}
                           for y in (2030, 2031)])
    opts = SitingOptions(hours=24, allow_expansions=False)
    return solve_siting(SitingProblem(demand=demand, owners=(OwnerPrefs("X", "Seoul",
                                                                        OwnerSiting()),),
                                      options=opts), data)


@pytest.mark.slow
def test_map_has_provinces_colour_bar_legend_and_slider(two_year):
    r = two_year
    site = SiteResult.from_siting("toy", r)
    fig = siting_map(site, r.geo)
    provinces = [t for t in fig.data if t.fill == "toself"]
    assert len(provinces) == 17
    bars = [t for t in fig.data if getattr(t.marker, "showscale", None)]
    assert len(bars) == 1 and bars[0].marker.colorscale[0][1] != bars[0].marker.colorscale[-1][1]
    assert [t.name for t in fig.data if (t.name or "").startswith("corridor ")] == [
        "corridor 1 GW", "corridor 5 GW", "corridor 10 GW"]
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["2030", "2031"]
    # each step shows the fixed traces and exactly its own year's traces
    for s in steps:
        vis = s.args[0]["visible"]
        assert len(vis) == len(fig.data) and all(vis[:len(provinces)])
    assert steps[0].args[0]["visible"] != steps[1].args[0]["visible"]
    one = siting_map(site, r.geo, year=2030)
    assert not one.layout.sliders


@pytest.mark.slow
def test_campus_drawn_at_its_site_coordinates_on_toy(two_year):
    r = two_year
    fig = siting_map(SiteResult.from_siting("toy", r), r.geo, year=2030)
    placed = [t for t in fig.data if t.name == "X"]
    assert placed and len(placed[0].x) == len(set(r.placements.loc[
        r.placements["year"] == 2030, "site"]))


@pytest.mark.slow
def test_many_lines_are_grouped_by_loading(monkeypatch, two_year):
    import aifab.report._grid as g

    r = two_year
    monkeypatch.setattr(g, "_MAX_CORRIDOR_TRACES", 0)
    fig = siting_map(SiteResult.from_siting("toy", r), r.geo, year=2030)
    grouped = [t for t in fig.data if isinstance(t.hovertext, str)
               and " lines at " in t.hovertext]
    assert sum(t.hovertext.split()[0].isdigit() for t in grouped) == len(grouped) >= 1
    assert sum(int(t.hovertext.split()[0]) for t in grouped) == len(r.corridors)


def _two_owner_result():
    data = toy_data()
    demand = pd.DataFrame([{"owner": o, "year": 2030, "accelerators": 5e4, "it_mw": 50.0}
                           for o in ("Zed", "Alpha")])
    opts = SitingOptions(hours=24, allow_expansions=False)
    return solve_siting(SitingProblem(
        demand=demand, owners=(OwnerPrefs("Zed", "Seoul", OwnerSiting()),
                               OwnerPrefs("Alpha", "Seoul", OwnerSiting())),
        options=opts), data)


@pytest.mark.slow
def test_owner_colours_follow_the_scenario_order_everywhere():
    from aifab.report import PALETTE, site_sections
    from aifab.report._grid import _charts, owner_order

    r = _two_owner_result()
    site = SiteResult.from_siting("toy", r)
    assert owner_order(site) == ["Zed", "Alpha"]  # the problem's order, not sorted
    assert owner_order(site, ["Alpha", "Zed"]) == ["Alpha", "Zed"]
    fig = siting_map(site, r.geo, year=2030)
    assert fig.layout.width is None  # follows its container
    marks = {t.name: t.marker.color for t in fig.data if t.name in ("Zed", "Alpha")}
    assert marks == {"Zed": PALETTE[0], "Alpha": PALETTE[1]}
    mw, cost, _ = _charts(site, site.tables(), ["Alpha", "Zed"])
    bars = {t.name: t.marker.color for t in mw.data if t.type == "bar"}
    assert bars == {"Alpha": PALETTE[0], "Zed": PALETTE[1]}
    assert mw.layout.yaxis2.rangemode == "nonnegative" and mw.layout.yaxis2.range[0] == 0
    assert "shortfall" not in " ".join(t.name for t in cost.data)  # human labels
    html = "".join(s.body_html for s in site_sections(site, r.geo))
    assert "CO2 (Mt/year): 2030: " in html and '{"2030"' not in html
    assert "_krw" not in html.split("Annual cost")[1].split("</table>")[0]
