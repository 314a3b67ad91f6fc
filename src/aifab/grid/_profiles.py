"""Hourly shapes (demand, solar, wind) for one year and the choice of representative days.

The packaged shapes are synthetic, rebuilt from ``data/profiles.yaml`` (see its ``source``).
A ``profiles.csv`` in a user data directory (columns hour, demand, solar, wind; 8760 rows)
replaces them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from aifab._io import read_text_file
from aifab.errors import BadInput

HOURS_PER_YEAR = 8760
DAYS = 365
#: Profile columns whose medoid days are scaled to their cluster's mean energy.
SCALED = ("demand", "solar", "wind")


def synthetic_profiles(params: dict[str, Any]) -> pd.DataFrame:
    """Build 8760 h of demand (mean 1), solar and wind availability (p.u.) from parameters."""
    rng = np.random.default_rng(int(params.get("seed", 0)))
    doy = np.arange(DAYS)
    d = params["demand"]
    season = (1.0 + d["summer_peak"] * np.exp(-(((doy - 215) / d["summer_width_days"]) ** 2))
              + d["winter_peak"] * (np.exp(-(((doy - 15) / d["winter_width_days"]) ** 2))
                                    + np.exp(-(((doy - 380) / d["winter_width_days"]) ** 2))))
    weekday = np.where((doy + 2) % 7 >= 5, d["weekend_factor"], 1.0)  # 1 Jan 2025: Wednesday
    daily = season * weekday * (1 + d["daily_noise"] * rng.standard_normal(DAYS))
    shape = np.asarray(d["hourly_shape"], dtype=float)
    demand = (daily[:, None] * shape[None, :]).ravel()
    demand /= demand.mean()

    s = params["solar"]
    lat = np.radians(s["latitude_deg"])
    decl = np.radians(23.44) * np.sin(2 * np.pi * (doy - 80) / DAYS)
    daylen = 24 / np.pi * np.arccos(np.clip(-np.tan(lat) * np.tan(decl), -1, 1))
    hours = np.arange(24) + 0.5
    rise = 12.5 - daylen / 2  # solar noon about 12:30 KST
    frac = (hours[None, :] - rise[:, None]) / daylen[:, None]
    elev = np.where((frac > 0) & (frac < 1), np.sin(np.pi * np.clip(frac, 0, 1)), 0.0)
    elev *= (np.cos(lat - decl))[:, None]
    clear = np.clip(s["clearness_mean"] + s["clearness_sd"] * rng.standard_normal(DAYS), 0.1, 1.0)
    solar = (elev * clear[:, None]).ravel()
    solar *= s["capacity_factor"] / solar.mean()

    w = params["wind"]
    z = np.zeros(DAYS)
    eps = rng.standard_normal(DAYS)
    for i in range(1, DAYS):
        z[i] = w["ar1"] * z[i - 1] + np.sqrt(1 - w["ar1"] ** 2) * eps[i]
    wmean = ((1 + w["winter_amplitude"] * np.cos(2 * np.pi * (doy - 15) / DAYS))
             * np.exp(w["sd"] * z))
    diurnal = 1 + 0.15 * np.sin(2 * np.pi * (hours - 9) / 24)
    wind = (wmean[:, None] * diurnal[None, :]).ravel()
    wind *= w["capacity_factor"] / wind.mean()
    for _ in range(5):  # rescale after clipping at 1 p.u.
        wind = np.clip(wind, 0, 1)
        wind *= w["capacity_factor"] / wind.mean()
    wind = np.clip(wind, 0, 1)
    return pd.DataFrame({"demand": demand, "solar": np.clip(solar, 0, 1), "wind": wind})


def load_profiles(user_dir: Path | None) -> tuple[pd.DataFrame, str]:
    """Return the 8760-h profiles and where they came from."""
    own = user_dir / "profiles.csv" if user_dir is not None else None
    if own is not None and own.exists():
        src = str(own)
        try:
            df = pd.read_csv(io_text(read_text_file(own, "profiles table")))
        except (ValueError, pd.errors.ParserError) as exc:
            raise BadInput(f"cannot parse CSV ({exc})", source=src) from None
        for col in ("demand", "solar", "wind"):
            if col not in df.columns:
                raise BadInput(f"missing column '{col}'", source=src, where="line 1")
            vals = pd.to_numeric(df[col], errors="coerce")
            bad = vals.isna() | (vals < 0) | ((vals > 1) & (col != "demand"))
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise BadInput(f"'{df[col].iloc[i]}' is not a valid value", source=src,
                               where=f"line {i + 2}, column {col}")
            df[col] = vals
        if len(df) != HOURS_PER_YEAR:
            raise BadInput(f"has {len(df)} rows, expected {HOURS_PER_YEAR}", source=src)
        df = df[["demand", "solar", "wind"]].astype(float)
        df["demand"] /= df["demand"].mean()
        return df.reset_index(drop=True), src
    text = (resources.files("aifab.grid") / "data" / "profiles.yaml").read_text(encoding="utf-8")
    return synthetic_profiles(yaml.safe_load(text)), "aifab/grid/data/profiles.yaml (synthetic)"


def io_text(text: str) -> Any:
    """A text buffer for pandas readers."""
    import io

    return io.StringIO(text)


@dataclass(frozen=True)
class TimeSlices:
    """Modelled hours of one year: which days, and how many days each one stands for."""

    days: tuple[int, ...]
    weights: tuple[float, ...]  # days represented by each chosen day; sum to 365
    method: str
    # the calendar days each chosen day stands for (its cluster; a kept peak day itself);
    # empty when built by hand: then each chosen day stands for its own month
    members: tuple[tuple[int, ...], ...] = ()
    # per chosen day, the factors (demand, solar, wind) that give it its cluster's mean
    # daily energy (``SCALED``; 1 for a kept day); empty: no scaling
    scale: tuple[tuple[float, ...], ...] = ()

    @property
    def hours(self) -> int:
        """Modelled hours per year."""
        return 24 * len(self.days)

    def hour_index(self) -> np.ndarray:
        """Hour-of-year indices (0..8759) of the modelled hours, in order."""
        return (np.asarray(self.days)[:, None] * 24 + np.arange(24)[None, :]).ravel()

    def hour_weights(self) -> np.ndarray:
        """Weight (hours represented) of each modelled hour."""
        return np.repeat(np.asarray(self.weights, dtype=float), 24)

    def profile_rows(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """The modelled hours of ``profiles`` (index 0..), each medoid's demand, solar and
        wind scaled to its cluster's mean daily energy (``scale``; solar and wind capped at
        1 p.u.), so the weighted days carry the calendar's energy; kept days unchanged."""
        prof = profiles.iloc[self.hour_index()].reset_index(drop=True)
        if not self.scale:
            return prof
        f = np.repeat(np.asarray(self.scale, dtype=float), 24, axis=0)
        for j, c in enumerate(SCALED):
            if c in prof.columns:
                v = prof[c].to_numpy(float) * f[:, j]
                prof[c] = v if c == "demand" else np.minimum(v, 1.0)
        return prof


def representative_days(profiles: pd.DataFrame, n_days: int, seed: int = 0,
                        keep: Sequence[int] = (),
                        seasons: Sequence[np.ndarray] | None = None) -> TimeSlices:
    """Pick ``n_days`` days: the peak days kept (weight 1) plus k-medoids of the rest.

    The days kept are the annual peak-demand day, or, if ``keep`` is given, the days in
    ``keep`` (near-peak days of the seasons that bind, tightest first; at most
    ``n_days - 1`` of them, so at least one cluster stands for the other days). Each other
    day is a 72-value vector (24 h of demand, solar, wind); they are clustered by k-means
    (k-means++ start from ``seed``), each cluster is represented by its medoid (the member
    day nearest the centre) weighted by the cluster's size. ``n_days >= 365`` models the
    whole year.

    With ``seasons`` (boolean masks over the 365 days, ``season_masks``) the other days are
    clustered within their season, each season getting clusters in proportion to its days
    (at least one), so each modelled day stands for days of one season and takes that
    season's availability (``seasonal_availability``), not a mean over seasons. The kept
    days then give way, least tight first, to one cluster per season (at least the first
    is kept); with fewer days than that the days are clustered as without seasons.
    """
    if n_days >= DAYS:
        return TimeSlices(tuple(range(DAYS)), (1.0,) * DAYS, "full year (8760 h)",
                          tuple((d,) for d in range(DAYS)))
    if n_days < 1:
        raise BadInput("need at least one representative day (--hours 24 or more)")
    x = np.hstack([profiles[c].to_numpy().reshape(DAYS, 24) for c in ("demand", "solar", "wind")])
    peak = int(np.argmax(profiles["demand"].to_numpy().reshape(DAYS, 24).max(axis=1)))
    if n_days == 1:
        return TimeSlices((peak,), (float(DAYS),), "peak-demand day standing for the year",
                          (tuple(range(DAYS)),))
    kept = list(dict.fromkeys(int(d) for d in keep)) if keep else [peak]
    if seasons:
        pure = _season_days(x, n_days, kept[: max(n_days - len(seasons), 1)], seasons, seed)
        if pure is not None:
            return pure
    kept = kept[: n_days - 1]
    rest = np.array([d for d in range(DAYS) if d not in kept])
    labels = _kmeans(x[rest], n_days - len(kept), np.random.default_rng(seed))
    days, weights = list(kept), [1.0] * len(kept)
    members: list[tuple[int, ...]] = [(d,) for d in kept]
    _add_medoids(x, rest, labels, n_days - len(kept), days, weights, members)
    order = np.argsort(days)
    what = "peak day" if not keep else f"{len(kept)} near-peak day{'s' * (len(kept) > 1)}"
    k = len(days) - len(kept)
    return TimeSlices(tuple(int(days[i]) for i in order), tuple(weights[i] for i in order),
                      f"{what} + k-medoids of {k} cluster{'s' * (k != 1)} (seed {seed})",
                      tuple(members[i] for i in order),
                      _energy_scale(x, [days[i] for i in order], [members[i] for i in order]))


def _energy_scale(x: np.ndarray, days: Sequence[int],
                  members: Sequence[tuple[int, ...]]) -> tuple[tuple[float, ...], ...]:
    """Per chosen day, for each of demand, solar and wind (``x``: 24 values each per
    calendar day), its members' mean daily energy over its own (1 for a kept day, which
    stands for itself, and for a day with no energy)."""
    e = x.reshape(DAYS, len(SCALED), 24).sum(axis=2)
    out = []
    for d, mem in zip(days, members, strict=True):
        mean = e[list(mem)].mean(axis=0)
        out.append(tuple(float(m / v) if v > 0 else 1.0 for m, v in zip(mean, e[d], strict=True)))
    return tuple(out)


def season_masks(ranges: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """Boolean masks over the 365 days: one per month range (``peak_months``; repeats
    dropped), then the days in none (possibly empty)."""
    month = month_of_day(np.arange(DAYS))
    masks = [in_season(month, m0, m1) for m0, m1 in dict.fromkeys(ranges)]
    masks.append(~np.any(masks, axis=0) if masks else np.ones(DAYS, bool))
    return masks


def _season_days(x: np.ndarray, n_days: int, kept: list[int], seasons: Sequence[np.ndarray],
                 seed: int) -> TimeSlices | None:
    """``kept`` days plus k-medoids within each season (None if too few days for one
    cluster per season)."""
    groups = [np.flatnonzero(m & ~np.isin(np.arange(DAYS), kept)) for m in seasons]
    groups = [g for g in groups if len(g)]
    k_all = n_days - len(kept)
    if k_all < len(groups):
        return None
    share = np.array([len(g) for g in groups], float) * k_all / DAYS
    k = np.maximum(np.floor(share).astype(int), 1)
    for i in np.argsort(-(share - np.floor(share))):
        if k.sum() < k_all:
            k[i] += 1
    while k.sum() > k_all:
        k[int(np.argmax(k))] -= 1
    rng = np.random.default_rng(seed)
    days, weights = list(kept), [1.0] * len(kept)
    members: list[tuple[int, ...]] = [(d,) for d in kept]
    for g, kg in zip(groups, k, strict=True):
        _add_medoids(x, g, _kmeans(x[g], int(kg), rng), int(kg), days, weights, members)
    order = np.argsort(days)
    return TimeSlices(tuple(days[i] for i in order), tuple(weights[i] for i in order),
                      f"{len(kept)} near-peak days + k-medoids within {len(groups)} "
                      f"availability seasons (seed {seed})",
                      tuple(members[i] for i in order),
                      _energy_scale(x, [days[i] for i in order], [members[i] for i in order]))


def _add_medoids(x: np.ndarray, idx: np.ndarray, labels: np.ndarray, k: int, days: list[int],
                 weights: list[float], members: list[tuple[int, ...]]) -> None:
    """Append each of the ``k`` clusters of the days ``idx`` (``labels``): its medoid (the
    member day nearest the cluster's centre), its size as weight, and its member days."""
    for j in range(k):
        mem = idx[labels == j]
        if len(mem):
            centre = x[mem].mean(axis=0)
            days.append(int(mem[np.argmin(((x[mem] - centre) ** 2).sum(axis=1))]))
            weights.append(float(len(mem)))
            members.append(tuple(int(d) for d in mem))


def _kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 50) -> np.ndarray:
    """Plain k-means with a k-means++ start; returns a label per row."""
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d2 = np.min([((x - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(x[rng.choice(len(x), p=d2 / d2.sum())] if d2.sum() > 0 else x[0])
    c = np.array(centres)
    labels = np.zeros(len(x), dtype=int)
    for _ in range(iters):
        new = np.argmin(((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for j in range(k):
            if (labels == j).any():
                c[j] = x[labels == j].mean(axis=0)
    return labels


_MONTH_START = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])


def month_of_day(days: Any) -> np.ndarray:
    """Calendar month (1..12) of days of the year (0..364)."""
    return np.searchsorted(_MONTH_START, np.asarray(days) % DAYS, side="right")


def parse_seasons(months: str, values: str) -> list[tuple[int, int, float]]:
    """Seasons from ``peak_months`` ("6-9;12-2": June to September, December to February;
    a range may wrap over the new year) and ``peak_availability`` ("0.85;0.60", one value
    per range). Raises ValueError naming the bad part."""
    rngs = [r.strip() for r in str(months).split(";")]
    vals = [v.strip() for v in str(values).split(";")]
    if len(rngs) != len(vals):
        raise ValueError(f"'{months}' has {len(rngs)} month ranges but '{values}' has "
                         f"{len(vals)} availabilities")
    out: list[tuple[int, int, float]] = []
    for r, v in zip(rngs, vals, strict=True):
        try:
            m0, m1 = (int(x) for x in r.split("-"))
        except ValueError:
            raise ValueError(f"'{r}' is not a month range like 6-9") from None
        if not (1 <= m0 <= 12 and 1 <= m1 <= 12):
            raise ValueError(f"'{r}' is not a month range like 6-9")
        try:
            a = float(v)
        except ValueError:
            raise ValueError(f"'{v}' is not a number") from None
        if not 0.0 <= a <= 1.0:
            raise ValueError(f"availability {a:g} is outside 0..1")
        out.append((m0, m1, a))
    return out


def in_season(month: np.ndarray, m0: int, m1: int) -> np.ndarray:
    """Whether each month lies in the range m0..m1 (wrapping over the new year if m0 > m1)."""
    return (month >= m0) & (month <= m1) if m0 <= m1 else (month >= m0) | (month <= m1)


def calendar_availability(annual: float, seasons: list[tuple[int, int, float]]) -> np.ndarray:
    """Availability of each of the 365 calendar days: each season's value in its months,
    and on the other days the value that keeps the mean over the year at ``annual``.
    Raises ValueError if seasons overlap or that value falls outside 0..1."""
    month = month_of_day(np.arange(DAYS))
    a = np.full(DAYS, np.nan)
    for m0, m1, v in seasons:
        sel = in_season(month, m0, m1)
        if (~np.isnan(a[sel])).any():
            raise ValueError(f"month range {m0}-{m1} overlaps another season")
        a[sel] = v
    rest = np.isnan(a)
    if rest.any():
        r = (DAYS * annual - np.nansum(a)) / rest.sum()
        if not 0.0 <= r <= 1.0:
            raise ValueError(f"availability {annual:g} on average with the seasons given "
                             f"leaves {r:.3f} for the other days (outside 0..1)")
        a[rest] = r
    return a


def seasonal_availability(annual: float, peak: float | str, months: str,
                          slices: TimeSlices) -> np.ndarray:
    """Hourly availability (p.u.) of the modelled hours of ``slices`` under seasons
    (``months`` "6-9" or "6-9;12-2", ``peak`` one value per range); the other days keep
    the annual mean over the calendar year. A modelled day takes the mean over the
    calendar days it stands for (``slices.members``), so representative days and the full
    year carry the same energy; hand-built slices without members fall back to each day's
    own month, the other days keeping the weighted mean at ``annual`` (one day standing for
    the whole year gets ``annual``). Raises ValueError on a bad range or a value outside
    0..1."""
    seasons = parse_seasons(months, str(peak))
    cal = calendar_availability(annual, seasons)
    if slices.members:
        per_day = np.array([cal[list(m)].mean() for m in slices.members])
        return np.repeat(per_day, 24)
    month = month_of_day(slices.days)
    w = np.asarray(slices.weights, dtype=float)
    val = np.full(len(slices.days), np.nan)
    for m0, m1, v in seasons:
        val[in_season(month, m0, m1)] = v
    other = np.isnan(val)
    if not other.any():
        return np.full(slices.hours, annual)
    r = (w.sum() * annual - (w[~other] * val[~other]).sum()) / w[other].sum()
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"availability {annual:g} on average with {peak} in months "
                         f"{months} leaves {r:.3f} for the other days (outside 0..1)")
    val[other] = r
    return np.repeat(val, 24)
