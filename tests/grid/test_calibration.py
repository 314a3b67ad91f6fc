"""The base case (today's grid, no AI load) against reported facts, within stated bands."""

from __future__ import annotations

import pytest

from aifab.grid import calibrate, load_grid_data

from .conftest import toy_data

pytestmark = pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast

WITHIN = [
    "self-sufficiency Seoul", "self-sufficiency Gyeongbuk", "self-sufficiency Chungnam",
    "self-sufficiency Jeonnam", "self-sufficiency Incheon",
    "self-sufficiency Daejeon", "east-coast export, peak hour",
    "east-coast thermal and nuclear capacity",
    # within since the calibration days are drawn within availability seasons (sixth
    # session; on days that mixed seasons: 34.15 %, a miss)
    "coal share of generation",
]


@pytest.fixture(scope="module")
def rows():
    # the hours `aifab site` calibrates on (grid._site.calibration_hours: 8 days)
    return {r.metric: r for r in calibrate(load_grid_data(), hours=192)}


@pytest.mark.parametrize("metric", WITHIN)
def test_within_band(rows, metric):
    r = rows[metric]
    assert r.low <= r.reported <= r.high or r.metric.startswith("east-coast export")
    assert r.within, f"{metric}: ours {r.ours} outside {r.low}-{r.high} {r.unit}"
    d = r.to_dict()
    assert {"metric", "ours", "reported", "source"} <= set(d) and d["source"]


def test_east_coast_limit_binds_never_exceeded(rows):
    # the reported 11 GW interface is used to its limit in the peak hour, never beyond
    assert rows["east-coast export, peak hour"].ours == pytest.approx(11.0, abs=0.01)


def test_rows_are_consistency_or_validation(rows):
    kinds = {m: r.kind for m, r in rows.items()}
    assert kinds["east-coast export, peak hour"] == "consistency"  # the limit is an input
    assert kinds["self-sufficiency Gyeongbuk"] == "validation"
    assert kinds["nuclear share of generation"] == "validation"
    assert set(kinds.values()) == {"consistency", "validation"}


def test_coal_capacity_factor_is_a_known_miss(rows):
    # Known gap (docs/grid.md): Gangwon coal runs at about 39 % (the pocket binds in winter
    # and summer, not in spring and autumn), reported 10-35 %, band 0-20 %. Pinned so a
    # change is noticed.
    r = rows["east-coast (Gangwon) coal capacity factor"]
    assert r.ours <= 55.0 + 1e-6
    assert not r.within


def test_toy_data_has_no_calibration():
    assert calibrate(toy_data()) == []


def test_constrained_off_rows_kinds(rows):
    # KEPCO's 2023 figures (Chosun Biz): 2.4-3.4 GW constrained on the west coast, 3.9-4.1 GW
    # on the east. The west-coast export limit (interfaces.csv) is derived from the west's
    # figure, so that row restates an input (consistency); the east's row tests the network
    # (its 11 GW limit comes from KBS, not from this figure).
    for m, kind in (("west-coast (Chungnam) coal constrained off, peak hour", "consistency"),
                    ("east-coast coal constrained off, peak hour", "validation")):
        r = rows[m]
        assert r.kind == kind
        assert r.low <= r.reported <= r.high
        assert r.ours >= 0.0


def test_east_coast_coal_is_held_back_by_the_pocket_interface(rows):
    # docs/grid.md: at the summer peak the Uljin/Gangwon-coast pocket (Hanul 8.7 GW at 0.95,
    # 7.4 GW of coal at 0.85) has more plant than the 11 GW interface plus its own load can
    # take, so coal is held back; the flat 0.55 derate before hid this (0.0 GW).
    r = rows["east-coast coal constrained off, peak hour"]
    assert r.within, f"{r.ours} GW outside {r.low}-{r.high}"


def test_west_coast_is_a_known_miss(rows):
    # Known gap (docs/grid.md): the N-1 thermal limits of the lines out of the Chungnam
    # clusters do not bind at peak and no west-coast stability limit is given, so nothing
    # is held back. Pinned so a change is noticed.
    r = rows["west-coast (Chungnam) coal constrained off, peak hour"]
    assert not r.within and r.ours < r.low


def test_gangwon_rows_on_season_days_match_the_full_year(rows):
    # docs/grid.md: the same base LP on all 8,760 hours (28-day chunks, the packaged data
    # with Donghae Bio) gives Gangwon coal 38.73 %, Gangwon self-sufficiency 212.7 % and a
    # coal share of 32.33 %; on 8 days that mixed seasons the calibration gave 50.8 / 233 /
    # 34.15 % (before Donghae Bio). On season days it must be within 3 points (6 for the
    # self-sufficiency, a ratio of two annual energies) of the full year: a chunked solve,
    # not a fit. The self-sufficiency sits at its band's edge (210 %): not pinned either way.
    cf = rows["east-coast (Gangwon) coal capacity factor"]
    ss = rows["self-sufficiency Gangwon"]
    share = rows["coal share of generation"]
    assert abs(cf.ours - 38.73) < 3.0 and abs(share.ours - 32.33) < 3.0
    assert abs(ss.ours - 212.7) < 6.0
    assert not cf.within and share.within


def test_jeju_curtailment_is_a_validation_row(rows):
    # Jeju's wind and solar: what the base dispatch leaves unused, as a share of what is
    # available (recomputed here from the row's definition: 0 <= share <= 100), against
    # the Bank of Korea's 2.1 % (2023) and none since the 2024 bidding market
    r = rows["Jeju wind and solar curtailed"]
    assert r.kind == "validation" and r.reported == 2.1 and (r.low, r.high) == (0.0, 3.0)
    assert 0.0 <= r.ours <= 100.0 and r.within == (r.low <= r.ours <= r.high)


def test_gwangju_is_a_validation_row_below_the_reported_share(rows):
    # Honam row (issue 20, item 6): Gwangju generated 634 GWh against 5,348 GWh sold in
    # Jan-Jul 2025 (KEPCO via Gwangnam Ilbo): 11.9 %. The model's Gwangju plants are 250 MW
    # of solar and a 50 MW CHP (estimates, dispatched by cost) and, since the sixth session,
    # the Bitgoeul fuel cell (12.32 MW, 95 GWh a year: kbc 1 Mar 2022), which moved the row
    # from 4.3 % (a miss) to about 5.3 %: inside the band, still under half the reported
    # share (about 0.6 TWh a year of Gwangju's generation has no sourced plant here).
    r = rows["self-sufficiency Gwangju"]
    assert r.kind == "validation" and r.reported == 11.9 and (r.low, r.high) == (5.0, 20.0)
    assert r.within and r.ours < r.reported / 2


def test_west_coast_line_saving_is_a_validation_miss(rows):
    # MOTIE (2 Apr 2025): 1.3 GW more west-coast export saves about 350 bn KRW a year. The
    # row raises the solved base case's west-coast interface rows by 1,300 MW and solves
    # again from the basis. The model's saving is about 13x below the reported figure
    # (docs/grid.md): a miss, pinned so that a change is noticed. That the re-solve from the
    # basis gives a cold solve's saving (the base case built afresh with the limit raised
    # in interfaces.csv) is checked by `python benchmarks/site_westcoast.py --check` (to
    # 0.1 %; 36-39 s of two cold solves, in this test until the fortieth session).
    r = rows["west-coast limit: yearly cost saved by 1.3 GW more export"]
    assert r.kind == "validation" and r.reported == 350.0 and (r.low, r.high) == (175, 700)
    assert not r.within and 0.0 < r.ours < r.low
