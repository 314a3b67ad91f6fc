"""Number formats, labels, owner colours and the page frame of the static report."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest

from aifab import load_scenario, plan
from aifab.report import (
    PALETTE,
    PLOTLY_CONFIG,
    Section,
    capacity_legend,
    describe_figure,
    figure_html,
    fmt,
    fmt_big,
    fmt_int,
    fmt_mapping,
    fmt_num,
    fmt_share,
    label,
    loading_colour,
    owner_colours,
    plan_figures,
    plan_html,
    render_html,
    table_html,
)


@pytest.mark.parametrize(("v", "out"), [
    (267976.0, "267,976"), (6.0, "6"), (0.8512, "0.851"), (1234.56, "1,235"), (12.345, "12.3"),
    (2.5, "2.50"), (None, "-"), (math.nan, "-"), (-3.0, "-3"), (True, "yes"),
])
def test_fmt_num(v: object, out: str) -> None:
    assert fmt_num(v) == out


def test_other_formats() -> None:
    assert fmt_int(267976.4) == "267,976"
    assert fmt_share(0.851) == "85.1%"
    assert fmt_big(2.548e11) == "255 billion"
    assert fmt_big(3.1e12) == "3.10 trillion"
    assert fmt_mapping({2026: 206.51, 2027: 210.0}) == "2026: 207; 2027: 210"
    assert fmt(0.5, "share") == "50.0%" and fmt(6.0, "count") == "6"


@pytest.mark.parametrize(("name", "out"), [
    ("stranded_idle", "unallocated: no demand"),
    ("shortfall_penalty_krw", "GPUs waiting for power (penalty, KRW)"),
    ("jct_p50_h", "job completion time, median (h)"),
    ("max_loading_pct_2027", "max loading (%), 2027"),
    ("queue_p95_h", "queue 95th percentile (h)"),
    ("capacity_mw", "capacity (MW)"),
])
def test_labels(name: str, out: str) -> None:
    assert label(name) == out


def test_owner_colours_are_positional_distinct_and_colour_blind_safe() -> None:
    owners = ["Naver", "Samsung", "SK", "Hyundai", "Government"]
    col = owner_colours(owners)
    assert col == owner_colours([*owners, "Naver"])  # duplicates do not shift colours
    assert len(set(col.values())) == 5
    assert set(col.values()) <= set(PALETTE)  # Okabe-Ito only
    assert col["Naver"] == "#0072B2"


def test_plan_figures_use_owner_colours_everywhere() -> None:
    r = plan(load_scenario())
    col = owner_colours([o.name for o in r.owners])
    figs = plan_figures(r)
    for key in ("power", "energy", "h100e"):
        for tr in figs[key].data:
            assert list(tr.marker.color) == [col[x] for x in tr.x], key
    for tr in figs["growth"].data:
        assert tr.line.color == col[tr.name]


def test_loading_colours_are_reversed_cividis_and_clamped() -> None:
    """Congested corridors darkest (most visible on the pale map), idle ones pale."""
    assert loading_colour(0) == loading_colour(-5) == "rgb(254, 232, 56)"
    assert loading_colour(100) == loading_colour(250) == "rgb(0, 34, 78)"
    legend = capacity_legend({1000.0: 2.0, 4000.0: 5.0})
    assert [t.name for t in legend] == ["1,000 MW", "4,000 MW"]


def test_table_html_formats_counts_shares_and_labels() -> None:
    df = pd.DataFrame({"tenant": ["a"], "preemptions": [6.0], "share_of_entitlement": [0.851],
                       "jct_p50_h": [1.23456], "accelerators": [267976.0]})
    page = table_html(df)
    for text in (">6<", ">85.1%<", ">1.23<", ">267,976<", "job completion time, median (h)",
                 "share of entitlement"):
        assert text in page, text
    assert "6.000" not in page and "0.851" not in page
    assert 'class="num"' in page and 'tabindex="0"' in page


def test_figure_html_has_text_alternative_and_no_cloud_buttons() -> None:
    fig = go.Figure(go.Bar(x=["Naver", "SK"], y=[1.5, 2.0], name="TWh"))
    fig.update_layout(title="Energy")
    out = figure_html(fig, "e1")
    assert '<figure class="chart" aria-label="Energy">' in out
    assert "Naver: 1.50, SK: 2" in out and "Chart as text" in out
    assert '"displaylogo": false' in out and '"showSendToCloud": false' in out
    assert PLOTLY_CONFIG["displaylogo"] is False
    assert describe_figure(fig).startswith("Energy.")


def test_page_has_viewport_summary_and_context() -> None:
    page = render_html("T", [Section("A", "<p>a</p>", "a", summary=(("GPUs", "1,000"),),
                                     context=(("days", "30"),)),
                             Section("B", "<p>b</p>", "b", summary=(("GPUs", "9"),
                                                                    ("MW", "5")))])
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert page.count('<ul class="strip"') == 1
    assert '<span class="v">1,000</span>' in page  # the first value of a label wins
    assert '<span class="v">9</span>' not in page and '<span class="v">5</span>' in page
    assert "Run context" in page and "<dt>days</dt><dd>30</dd>" in page
    assert 'id="sec-a"' in page and 'href="#sec-b"' in page


def test_plan_report_top_and_no_raw_floats() -> None:
    page = plan_html(plan(load_scenario()))
    top = page[page.index("<body>"):page.index("<main>")]
    assert "260,000" in top and "facility power (MW)" in top and "share of Seoul" in top
    assert "PUE" in top and "load factor" in top
    assert "260,000.0" not in page and "{&#34;" not in page


def test_figures_without_colours_get_the_palette_and_are_not_mutated() -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    out = figure_html(fig, "f")
    assert '"colorway":["#0072B2"' in out.replace(" ", "")
    assert fig.layout.colorway is None
