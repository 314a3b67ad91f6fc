"""Seasons of plant availability and representative days that keep the near-peak days
(issue 20, item 5): a season may wrap over the new year, a representative day carries the
mean availability of the days it stands for (so the representative days and the full
year carry the same energy), and the tightest day of every season that binds is kept."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aifab.errors import BadInput
from aifab.grid._network import near_peak_days
from aifab.grid._profiles import (
    DAYS,
    calendar_availability,
    parse_seasons,
    representative_days,
    seasonal_availability,
)

# 1 Jan = day 0; Jun-Sep = days 151..272 (122 days), Dec-Feb = days 0..58 and 334..364 (90)


def test_two_seasons_wrap_over_the_new_year_and_keep_the_annual_mean() -> None:
    s = parse_seasons("6-9;12-2", "0.85;0.60")
    assert s == [(6, 9, 0.85), (12, 2, 0.60)]
    a = calendar_availability(0.55, s)
    rest = (0.55 * 365 - 0.85 * 122 - 0.60 * 90) / 153  # by hand: 0.28137
    assert rest == pytest.approx(0.281373, abs=1e-6)
    assert a[0] == a[58] == a[334] == a[364] == pytest.approx(0.60)  # 1 Jan, 28 Feb, 1/31 Dec
    assert a[151] == a[272] == pytest.approx(0.85)  # 1 Jun, 30 Sep
    assert a[59] == a[150] == a[273] == a[333] == pytest.approx(rest)  # 1 Mar .. 30 Nov
    assert float(a.mean()) == pytest.approx(0.55)


@pytest.mark.parametrize(("months", "values", "match"), [
    ("6-9;12-2", "0.85", "2 month ranges"),
    ("6-9;summer", "0.85;0.6", "month range"),
    ("6-9;13-2", "0.85;0.6", "month range"),
    ("6-9;12-2", "0.85;high", "not a number"),
    ("6-9;12-2", "0.85;1.2", "outside 0..1"),
])
def test_bad_seasons_are_named(months: str, values: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_seasons(months, values)


def test_overlapping_or_impossible_seasons_are_refused() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        calendar_availability(0.5, parse_seasons("6-9;9-10", "0.8;0.8"))
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        calendar_availability(0.2, parse_seasons("1-11", "0.95"))


def _profiles(spikes: dict[int, float]) -> pd.DataFrame:
    """Flat demand (1.0) with a higher peak on the given days; no solar or wind."""
    daily = np.ones(DAYS)
    for d, v in spikes.items():
        daily[d] = v
    shape = np.where(np.arange(24) == 18, 1.0, 0.9)  # one peak hour a day
    return pd.DataFrame({"demand": (daily[:, None] * shape[None, :]).ravel(),
                         "solar": 0.0, "wind": 0.0})


def test_representative_days_carry_their_members_mean_availability() -> None:
    prof = _profiles({10: 1.3, 200: 1.4, 100: 1.2})
    ts = representative_days(prof, 5, seed=1, keep=[200, 10])
    assert {200, 10} <= set(ts.days)
    for d in (200, 10):
        i = ts.days.index(d)
        assert ts.weights[i] == 1.0 and ts.members[i] == (d,)
    covered = sorted(x for m in ts.members for x in m)
    assert covered == list(range(DAYS))  # the members partition the year
    assert [len(m) for m in ts.members] == [int(w) for w in ts.weights]
    a = seasonal_availability(0.55, "0.85;0.60", "6-9;12-2", ts)[::24]
    cal = calendar_availability(0.55, parse_seasons("6-9;12-2", "0.85;0.60"))
    assert a[ts.days.index(200)] == pytest.approx(0.85)  # kept July day: its own season
    assert a[ts.days.index(10)] == pytest.approx(0.60)  # kept January day
    for i, m in enumerate(ts.members):
        assert a[i] == pytest.approx(float(cal[list(m)].mean()))
    # the same energy as the full year, whatever the clustering
    w = np.asarray(ts.weights)
    assert float((a * w).sum() / w.sum()) == pytest.approx(0.55)
    # at most n_days - 1 days are kept, so one cluster stands for the rest
    two = representative_days(prof, 2, keep=[200, 10, 100])
    assert 200 in two.days and sorted(two.weights) == [1.0, 364.0]


def _data(coal_winter: float, spikes: dict[int, float]) -> Any:
    """A one-region toy: 1,000 MW mean demand, 800 MW of coal (annual 0.6, summer 0.9,
    winter ``coal_winter``), 500 MW of gas at 0.9."""
    return SimpleNamespace(
        profiles=_profiles(spikes),
        regions=pd.DataFrame({"demand_twh": [8.76]}),
        carriers=pd.DataFrame({"availability": ["0.6", "0.9"],
                               "peak_months": ["6-9;12-2", None],
                               "peak_availability": [f"0.9;{coal_winter}", None]},
                              index=["coal", "gas"]),
        generators=pd.DataFrame({"carrier": ["coal", "gas"], "p_nom_mw": [800.0, 500.0]}))


def test_near_peak_days_keep_the_tightest_day_of_each_binding_season() -> None:
    # peaks: 1.25 on 1 Aug (day 212), 1.15 on 10 Jan (day 9), 1.10 on 15 Apr (day 104)
    spikes = {212: 1.25, 9: 1.15, 104: 1.10}
    # coal winter 0.9: available 800 x 0.9 + 450 = 1,170 MW in summer and winter; the
    # spring and autumn keep the mean: (0.6 x 365 - 0.9 x 212) / 153 = 0.184 -> 597 MW
    # tightness (peak hour MW / available MW): Aug 1,250/1,170 = 1.068, Jan 1,150/1,170
    # = 0.983, Apr 1,100/597 = 1.843 -> April binds hardest; August and January are
    # below 90 % of it and are not kept
    days = near_peak_days(_data(0.9, spikes))
    assert days == [104]
    # coal winter 0.3: spring/autumn (0.6 x 365 - 0.9 x 122 - 0.3 x 90) / 153 = 0.539 ->
    # 881 MW: Apr 1,100/881 = 1.248; winter 800 x 0.3 + 450 = 690 MW: Jan 1,150/690 =
    # 1.667 (tightest); Aug 1,250/1,170 = 1.068 is below 90 % of 1.667
    days = near_peak_days(_data(0.3, spikes))
    assert days == [9]
    # raise the April peak to 1.40 (1,400/881 = 1.589, within 90 % of Jan): both kept
    assert near_peak_days(_data(0.3, {**spikes, 104: 1.40})) == [9, 104]


def test_bad_season_in_the_tables_exits_2_naming_the_column() -> None:
    d = _data(0.6, {})
    d.carriers.loc["coal", "peak_availability"] = "0.9"
    with pytest.raises(BadInput, match="peak_months"):
        near_peak_days(d)
    d.carriers.loc["coal", "peak_availability"] = None
    with pytest.raises(BadInput, match="peak_availability"):
        near_peak_days(d)


def test_packaged_days_keep_the_peak_a_winter_and_a_spring_or_autumn_day() -> None:
    # 6 days on the packaged data: the peak-demand day (in summer) and the tightest days
    # of the seasons that bind (with coal at 0.281 in spring and autumn and 0.60 in winter,
    # both bind), each of weight 1, plus one cluster within each of the three availability
    # seasons; with the default 4 days the two near-peak days give way to those clusters
    # (a day standing for several seasons would take their mean availability)
    from aifab.grid import load_grid_data
    from aifab.grid._network import time_slices
    from aifab.grid._profiles import month_of_day

    d = load_grid_data()
    peak = int(np.argmax(d.profiles["demand"].to_numpy().reshape(DAYS, 24).max(axis=1)))
    ts = time_slices(d, 144)
    kept = [day for day, w in zip(ts.days, ts.weights, strict=True) if w == 1.0]
    month = month_of_day(kept)
    assert peak in kept and 6 <= month_of_day([peak])[0] <= 9
    assert any(m in (12, 1, 2) for m in month)  # a winter day
    assert any(m in (3, 4, 5, 10, 11) for m in month)  # a spring or autumn day
    assert len(kept) == 3 and sorted(ts.weights)[:3] == [1.0] * 3
    assert set(near_peak_days(d)) <= set(kept)
    four = time_slices(d, 96)
    assert [w for w in four.weights if w == 1.0] == [1.0] and peak in four.days


def test_siting_days_each_stand_for_one_availability_season() -> None:
    # every representative day of the siting model (stage 1 of aifab site: the default
    # 96 h and the --hours tried in docs/grid.md) stands for calendar days of one season
    # only (coal 0.85 in Jun-Sep, 0.60 in Dec-Feb, 0.281 otherwise), so its availability is
    # one the calendar has; shape clustering alone (no seasons) mixes them
    from aifab.grid import load_grid_data
    from aifab.grid._network import time_slices
    from aifab.grid._profiles import month_of_day

    d = load_grid_data()
    month = month_of_day(np.arange(DAYS))
    season = np.where((month >= 6) & (month <= 9), 0, np.where(np.isin(month, (12, 1, 2)), 1, 2))
    coal = calendar_availability(0.55, parse_seasons("6-9;12-2", "0.85;0.60"))
    for hours in (96, 144, 192, 288, 384):
        ts = time_slices(d, hours)
        assert ts.hours == hours and sum(ts.weights) == pytest.approx(DAYS)
        assert sorted(x for m in ts.members for x in m) == list(range(DAYS))
        assert all(len(set(season[list(m)])) == 1 for m in ts.members), hours
        per_day = seasonal_availability(0.55, "0.85;0.60", "6-9;12-2", ts)[::24]
        assert set(np.round(per_day, 6)) <= set(np.round(coal, 6))
    mixed = representative_days(d.profiles, 4, keep=[int(ts.days[0])])
    assert any(len(set(season[list(m)])) > 1 for m in mixed.members)


@pytest.mark.parametrize("hours", [96, 144, 192])
def test_weighted_days_carry_each_seasons_calendar_energy(hours: int) -> None:
    # issue 20: the season medoids carried up to 3.4 % more demand energy than their
    # season's calendar days (spring/autumn at 144 h), solar up to 24 % more (winter) and
    # wind up to 15 % more (summer); each medoid is now scaled to its cluster's mean energy
    from aifab.grid import load_grid_data
    from aifab.grid._network import carrier_seasons, time_slices
    from aifab.grid._profiles import season_masks

    d = load_grid_data()
    ranges = [(m0, m1) for c in d.carriers.index
              for m0, m1, _ in carrier_seasons(d.carriers, str(c)) or []]
    masks = season_masks(ranges)
    ts = time_slices(d, hours)
    rows = ts.profile_rows(d.profiles)
    w = np.asarray(ts.weights)
    for col in ("demand", "solar", "wind"):
        day_e = rows[col].to_numpy().reshape(-1, 24).sum(axis=1)
        cal = d.profiles[col].to_numpy().reshape(DAYS, 24).sum(axis=1)
        for m in masks:
            sel = m[list(ts.days)]
            assert (w[sel] * day_e[sel]).sum() == pytest.approx(cal[m].sum(), rel=1e-9), col
    # the kept near-peak days keep their real hours, so the year's peak is modelled as is
    for i, (day, mem) in enumerate(zip(ts.days, ts.members, strict=True)):
        if mem == (day,):
            got = rows.iloc[24 * i: 24 * i + 24].to_numpy()
            assert np.array_equal(got, d.profiles.iloc[24 * day: 24 * day + 24].to_numpy())
    assert rows["demand"].max() == d.profiles["demand"].max()
