"""The seed article's arithmetic: 250,000 Blackwell GPUs need 0.58-0.63 GW.

Under the assumptions the report shows (DGX B200 14.3 kW per 8 GPUs, PUE 1.30-1.41,
100 % load) facility power must land in 0.58-0.63 GW, about 10-11 % of Seoul's 49 TWh and
about 57-62 % of Gwangju's 8.97 TWh (reference/seed-article.md, "The article's arithmetic,
checked"). Tolerance: the article's table is given to 3 significant figures (0.5 %).
"""

from __future__ import annotations

import pytest

from aifab import load_scenario, plan

BASE = [
    "fleets=[{owner: Naver, accelerator: b200, system: dgx-b200, count: 250000, "
    "delivery_year: 2026}]",
    "facility.load_factor=1.0",
]


@pytest.mark.parametrize(("pue", "gw", "twh", "seoul", "gwangju"), [
    (1.30, 0.58, 5.08, 0.104, 0.566),
    (1.41, 0.63, 5.52, 0.113, 0.615),
])
def test_article_range(pue: float, gw: float, twh: float, seoul: float, gwangju: float) -> None:
    r = plan(load_scenario(None, [*BASE, f"facility.pue={pue}"]))
    t = r.totals
    assert t.accelerators == 250_000
    assert t.facility_power_mw / 1000 == pytest.approx(gw, rel=0.01)
    assert t.facility_power_mw * 1000 / t.accelerators == pytest.approx(1.7875 * pue)
    assert t.annual_energy_twh == pytest.approx(twh, rel=0.005)
    shares = {c.region: c.share for c in r.comparisons}
    assert shares["Seoul"] == pytest.approx(seoul, rel=0.01)
    assert shares["Gwangju"] == pytest.approx(gwangju, rel=0.01)


def test_article_90_percent_load_is_about_half_of_gwangju() -> None:
    for pue, expect in ((1.30, 0.51), (1.41, 0.55)):
        r = plan(load_scenario(None, [*BASE, f"facility.pue={pue}", "facility.load_factor=0.9"]))
        share = {c.region: c.share for c in r.comparisons}["Gwangju"]
        assert share == pytest.approx(expect, abs=0.005)


def test_korea_default_within_article_range() -> None:
    """The embedded 260k scenario lands inside the article's 0.58-0.63 GW band."""
    t = plan(load_scenario()).totals
    assert 580 <= t.facility_power_mw <= 630
    assert t.facility_power_mw * 1000 / t.accelerators == pytest.approx(2.3, abs=0.2)


def test_embedded_article_scenario() -> None:
    """`aifab plan --scenario article-250k` is the same check, shipped for users."""
    r = plan(load_scenario("article-250k"))
    assert r.totals.accelerators == 250_000
    assert r.totals.facility_power_mw / 1000 == pytest.approx(0.58, rel=0.01)
    high = plan(load_scenario("article-250k", ["facility.pue=1.41"]))
    assert high.totals.facility_power_mw / 1000 == pytest.approx(0.63, rel=0.01)
