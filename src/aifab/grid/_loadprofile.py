"""The twin's load shape as siting's AI load (``aifab site --load-profile DIR``).

Without a profile a campus draws ``facility.load_factor`` x its nameplate facility MW in
every modelled hour. With one, each owner draws, in a modelled hour of the day h, the
share of its nameplate the twin's campus drew at that hour of the day, averaged over the
simulated days (``facility_mw / nameplate_mw`` of ``campus_power_hourly.csv``, rows with
``hour`` mod 24 in [h, h+1)). The same 24 values apply on every representative day and in
every year (the twin simulates days to weeks, not a season). Owners the profile lacks (no
fleet in the simulated year) keep the flat load factor. A profile flat in every hour and
owner is the scalar load factor itself, so siting with it is today's model exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aifab._io import read_text_file
from aifab.errors import BadInput

PROFILE_FILE = "campus_power_hourly.csv"
COLUMNS = ("hour", "owner", "facility_mw", "nameplate_mw")


@dataclass(frozen=True)
class LoadProfile:
    """Per owner, the 24 hour-of-day shares of nameplate facility MW the campus draws."""

    by_owner: dict[str, tuple[float, ...]]
    source: str = "flat"
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "mean_share": {o: float(np.mean(v))
                                                      for o, v in self.by_owner.items()},
                "by_owner": {o: list(v) for o, v in self.by_owner.items()}}


def flat_profile(owners: list[str], load_factor: float) -> LoadProfile:
    """The same share in every hour for every owner (today's model)."""
    return LoadProfile({o: (float(load_factor),) * 24 for o in owners}, "flat")


def profile_from_frame(df: pd.DataFrame, source: str = "frame") -> LoadProfile:
    """A profile from the twin's campus power table (``SimResult.frames['campus_power']``
    or its CSV): hour-of-day means of facility_mw / nameplate_mw per owner."""
    for col in COLUMNS:
        if col not in df.columns:
            raise BadInput(f"missing column '{col}'", source=source, where="line 1")
    num = {c: pd.to_numeric(df[c], errors="coerce") for c in ("hour", "facility_mw",
                                                            "nameplate_mw")}
    for c, v in num.items():
        bad = v.isna() | (v < 0) | ((v <= 0) if c == "nameplate_mw" else False)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BadInput(f"'{df[c].iloc[i]}' is not a valid value", source=source,
                           where=f"line {i + 2}, column {c}")
    if df.empty:
        raise BadInput("no rows", source=source)
    share = num["facility_mw"] / num["nameplate_mw"]
    hod = (np.floor(num["hour"].to_numpy(float)) % 24).astype(int)
    out: dict[str, tuple[float, ...]] = {}
    tab = pd.DataFrame({"owner": df["owner"].astype(str), "hod": hod, "share": share})
    for owner, g in tab.groupby("owner", sort=True):
        m = g.groupby("hod")["share"].mean()
        if len(m) < 24:
            missing = sorted(set(range(24)) - set(m.index))
            raise BadInput(f"owner {owner!r} has no rows for hour(s) of day {missing[:4]}"
                           " (simulate at least one day with sample_h <= 1)", source=source)
        out[str(owner)] = tuple(float(m[h]) for h in range(24))
    return LoadProfile(out, source)


def read_load_profile(path: Path | str) -> LoadProfile:
    """Read ``DIR/campus_power_hourly.csv`` (an ``aifab simulate --out DIR``) or the file."""
    p = Path(path)
    f = p / PROFILE_FILE if p.is_dir() else p
    src = str(f)
    import io

    try:
        df = pd.read_csv(io.StringIO(read_text_file(f, "load profile")))
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadInput(f"cannot parse CSV ({exc})", source=src) from None
    return profile_from_frame(df, src)


def check_owners(profile: LoadProfile, owners: list[str]) -> None:
    """Bad input if the profile names an owner the scenario lacks."""
    extra = sorted(set(profile.by_owner) - set(owners))
    if extra:
        raise BadInput(f"owner {extra[0]!r} is not in the scenario", source=profile.source,
                       where="column owner")


def _values(profile: LoadProfile | None, owners: list[str], lf: float) -> np.ndarray | None:
    """owner x 24 shares, or None when the profile is flat at one value (a scalar)."""
    if profile is None:
        return None
    v = np.array([profile.by_owner.get(o, (lf,) * 24) for o in owners], dtype=float)
    return None if v.size == 0 or bool(np.all(v == v.flat[0])) else v


def scalar_factor(profile: LoadProfile | None, lf: float) -> float:
    """The scalar load factor when the profile is absent or flat, else ``lf``."""
    if profile is None or not profile.by_owner:
        return lf
    v = np.array(list(profile.by_owner.values()), dtype=float)
    return float(v.flat[0]) if bool(np.all(v == v.flat[0])) else lf


def hourly_factor(profile: LoadProfile | None, owners: list[str], lf: float,
                  snapshots: Any) -> float | xr.DataArray:
    """Share of nameplate drawn per owner and snapshot (snapshots are whole days of 24
    hours, hour of day = snapshot mod 24); a float when it does not vary."""
    v = _values(profile, owners, lf)
    if v is None:
        return scalar_factor(profile, lf)
    hod = np.asarray(snapshots, dtype=int) % 24
    return xr.DataArray(v[:, hod], coords={"owner": owners, "snapshot": snapshots},
                        dims=("owner", "snapshot"))


def mean_factor(profile: LoadProfile | None, owners: list[str],
                lf: float) -> float | xr.DataArray:
    """Yearly mean share per owner (for the shortfall's MWh); a float when flat."""
    v = _values(profile, owners, lf)
    if v is None:
        return scalar_factor(profile, lf)
    return xr.DataArray(v.mean(axis=1), coords={"owner": owners}, dims="owner")
