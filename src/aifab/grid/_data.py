"""Grid data: regions, carriers, generators, corridors and candidate sites, validated.

Every table is a CSV file under ``aifab/grid/data`` with a ``source`` column (a citation
or ``estimate: how``). A user directory can replace a table (``sites.csv``) or extend it
(``sites.*.csv``: rows added, or replacing packaged rows with the same key).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aifab._io import read_text_file
from aifab.errors import BadInput
from aifab.grid._lines import load_substations

#: Region (bus) names, exactly as used across aifab.
REGIONS: tuple[str, ...] = (
    "Seoul", "Busan", "Daegu", "Incheon", "Gwangju", "Daejeon", "Ulsan", "Sejong",
    "Gyeonggi", "Gangwon", "Chungbuk", "Chungnam", "Jeonbuk", "Jeonnam", "Gyeongbuk",
    "Gyeongnam", "Jeju",
)

_NUM = "num"
_INT = "int"
_STR = "str"
_BOOL = "bool"

# table -> (key columns, {column: (type, required, minimum)})
_SCHEMA: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, bool, float | None]]]] = {
    "regions": (("region",), {
        "region": (_STR, True, None), "lat": (_NUM, True, None), "lon": (_NUM, True, None),
        "demand_twh": (_NUM, True, 0.0), "demand_year": (_INT, True, None),
        "new_load_headroom_mw": (_NUM, True, 0.0), "source": (_STR, True, None),
    }),
    "carriers": (("carrier",), {
        "carrier": (_STR, True, None), "marginal_cost_krw_per_mwh": (_NUM, True, 0.0),
        "co2_t_per_mwh": (_NUM, True, 0.0), "availability": (_STR, True, None),
        "must_run_pu": (_NUM, False, 0.0), "peak_months": (_STR, False, None),
        "peak_availability": (_STR, False, None), "budget_max_pu": (_NUM, False, 0.0),
        "source": (_STR, True, None),
    }),
    "generators": (("name",), {
        "region": (_STR, True, None), "carrier": (_STR, True, None), "name": (_STR, True, None),
        "p_nom_mw": (_NUM, True, 0.0), "from_year": (_INT, False, None),
        "to_year": (_INT, False, None), "lat": (_NUM, False, None),
        "lon": (_NUM, False, None), "source": (_STR, True, None),
    }),
    "corridors": (("name",), {
        "name": (_STR, True, None), "bus0": (_STR, True, None), "bus1": (_STR, True, None),
        "p_nom_mw": (_NUM, True, 0.0), "length_km": (_NUM, True, 0.0),
        "expandable": (_BOOL, True, None), "capital_cost_krw": (_NUM, False, 0.0),
        "earliest_year": (_INT, False, None), "kind": (_STR, False, None),
        "n_lines": (_INT, False, 0.0), "thermal_mw": (_NUM, False, 0.0),
        "from_year": (_INT, False, None), "x_pu": (_NUM, False, 0.0),
        "lat0": (_NUM, False, None), "lon0": (_NUM, False, None),
        "lat1": (_NUM, False, None), "lon1": (_NUM, False, None),
        "source": (_STR, True, None),
    }),
    "interfaces": (("name",), {
        "name": (_STR, True, None), "from_regions": (_STR, True, None),
        "to_regions": (_STR, True, None), "limit_mw": (_NUM, True, 0.0),
        "from_plants": (_STR, False, None), "pocket_only": (_BOOL, False, None),
        "source": (_STR, True, None),
    }),
    "sites": (("site",), {
        "site": (_STR, True, None), "region": (_STR, True, None), "lat": (_NUM, True, None),
        "lon": (_NUM, True, None), "build_cost_krw_per_mw": (_NUM, True, 0.0),
        "pue": (_NUM, True, 1.0), "de_zone": (_BOOL, True, None),
        "headroom_mw": (_NUM, True, 0.0), "substation": (_INT, False, None),
        "source": (_STR, True, None),
    }),
}
_SCHEMA["hvdc"] = _SCHEMA["corridors"]  # the same columns
_SITE_YEAR = re.compile(r"^mw_(\d{4})$")


@dataclass(frozen=True)
class GridData:
    """The zonal grid description: one DataFrame per table, plus where each came from.

    ``sites`` has one ``mw_YYYY`` column per year (MW available by the end of that year).
    ``profiles`` holds 8760 hourly values: ``demand`` (mean 1), ``solar``, ``wind`` (p.u.).
    ``corridors`` holds the AC corridors derived from OSM lines and the HVDC links
    (``hvdc.csv``). ``interfaces`` are reported transfer limits on groups of corridors
    (flow from ``from_regions`` to ``to_regions``). ``substations`` are the OSM substations;
    each site connects to one (its ``substation``, ``sub_lon``/``sub_lat``, ``connect_mw``).
    """

    regions: pd.DataFrame
    carriers: pd.DataFrame
    generators: pd.DataFrame
    corridors: pd.DataFrame
    sites: pd.DataFrame
    profiles: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)
    interfaces: pd.DataFrame = field(default_factory=pd.DataFrame)
    substations: pd.DataFrame = field(default_factory=pd.DataFrame)

    def site_years(self) -> list[int]:
        """Years for which sites.csv gives MW available."""
        return sorted(int(m.group(1)) for c in self.sites.columns if (m := _SITE_YEAR.match(c)))

    def site_mw(self, site: str, year: int) -> float:
        """MW available at ``site`` by ``year`` (held at the last given year afterwards)."""
        years = self.site_years()
        y = min(max(year, years[0]), years[-1])
        if year < years[0]:
            return 0.0
        return fnum(self.sites.at[site, f"mw_{y}"])


def _parse(text: str, table: str, source: str) -> pd.DataFrame:
    """Parse and validate one CSV table; errors name file, line and column."""
    keys, cols = _SCHEMA[table]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    extra_num = [c for c in header if table == "sites" and _SITE_YEAR.match(c)]
    for col, (_, required, _) in cols.items():
        if required and col not in header:
            raise BadInput(f"missing column '{col}'", source=source, where="line 1")
    if table == "sites" and not extra_num:
        raise BadInput("needs at least one mw_YYYY column", source=source, where="line 1")
    rows: list[dict[str, object]] = []
    for i, raw in enumerate(reader):
        line = i + 2
        if None in raw:
            raise BadInput("more fields than the header", source=source, where=f"line {line}")
        row: dict[str, object] = {}
        for col in header:
            kind, required, minimum = cols.get(col, (_NUM if col in extra_num else _STR,
                                                     col in extra_num, 0.0))
            val = (raw.get(col) or "").strip()
            where = f"line {line}, column {col}"
            if val == "":
                if required:
                    raise BadInput("empty value", source=source, where=where)
                row[col] = None
                continue
            if kind == _STR:
                row[col] = val
                continue
            if kind == _BOOL:
                if val.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise BadInput(f"'{val}' is not true/false", source=source, where=where)
                row[col] = val.lower() in ("true", "1", "yes")
                continue
            try:
                num = float(val)
            except ValueError:
                raise BadInput(f"'{val}' is not a number", source=source, where=where) from None
            if num != num or num in (float("inf"), float("-inf")):
                raise BadInput(f"'{val}' is not a finite number", source=source, where=where)
            if minimum is not None and num < minimum:
                raise BadInput(f"{val} is below the minimum {minimum:g}", source=source,
                               where=where)
            row[col] = int(num) if kind == _INT else num
        row["_line"] = line
        rows.append(row)
    if not rows:
        raise BadInput("no rows", source=source)
    df = pd.DataFrame(rows)
    dup = df.duplicated(list(keys), keep="first")
    if dup.any():
        line = int(df.loc[dup, "_line"].iloc[0])
        raise BadInput(f"duplicate {keys[0]} '{df.loc[dup, keys[0]].iloc[0]}'", source=source,
                       where=f"line {line}, column {keys[0]}")
    df["_file"] = source
    return df


def _check_refs(data: dict[str, pd.DataFrame]) -> None:
    """Cross-table checks: region and carrier names, site ramps, availability values."""
    regions = set(data["regions"]["region"])
    carriers = set(data["carriers"]["carrier"])

    def fail(df: pd.DataFrame, idx: object, col: str, msg: str) -> None:
        raise BadInput(msg, source=str(df.at[idx, "_file"]),
                       where=f"line {df.at[idx, '_line']!s}, column {col}")

    for idx, r in data["regions"].iterrows():
        if r["region"] not in REGIONS:
            fail(data["regions"], idx, "region",
                 f"unknown region '{r['region']}' (expected one of: {', '.join(REGIONS)})")
    for idx, r in data["carriers"].iterrows():
        a = str(r["availability"])
        if a not in ("profile", "storage"):
            try:
                ok = 0.0 <= float(a) <= 1.0
            except ValueError:
                ok = False
            if not ok:
                fail(data["carriers"], idx, "availability",
                     f"'{a}' must be a number in [0, 1], 'profile' or 'storage'")
        mr = r.get("must_run_pu")
        if mr is not None and not pd.isna(mr) and (
                float(mr) > 1 or (a not in ("profile", "storage") and float(mr) > float(a))):
            fail(data["carriers"], idx, "must_run_pu",
                 f"{mr} is above the carrier's availability {a}")
        if a == "profile" and r["carrier"] not in ("solar", "wind"):
            fail(data["carriers"], idx, "availability", "profiles exist for solar and wind only")
    for idx, r in data["generators"].iterrows():
        if r["region"] not in regions:
            fail(data["generators"], idx, "region", f"unknown region '{r['region']}'")
        if r["carrier"] not in carriers:
            fail(data["generators"], idx, "carrier", f"unknown carrier '{r['carrier']}'")
    for idx, r in data["corridors"].iterrows():
        for col in ("bus0", "bus1"):
            if r[col] not in regions:
                fail(data["corridors"], idx, col, f"unknown region '{r[col]}'")
        if r["bus0"] == r["bus1"]:
            fail(data["corridors"], idx, "bus1", "a corridor needs two different regions")
        if r["expandable"] and (r.get("capital_cost_krw") is None or r.get("earliest_year") is None
                                or pd.isna(r.get("capital_cost_krw"))
                                or pd.isna(r.get("earliest_year"))):
            fail(data["corridors"], idx, "capital_cost_krw",
                 "an expandable corridor needs capital_cost_krw and earliest_year")
    for idx, r in data["interfaces"].iterrows():
        for col in ("from_regions", "to_regions"):
            for reg in str(r[col]).split(";"):
                if reg.strip() not in regions:
                    fail(data["interfaces"], idx, col, f"unknown region '{reg.strip()}'")
        if set(str(r["from_regions"]).split(";")) & set(str(r["to_regions"]).split(";")):
            fail(data["interfaces"], idx, "to_regions", "a region on both sides")
        gens = data["generators"].set_index("name")["region"]
        for p in [x.strip() for x in str(r.get("from_plants") or "").split(";") if x.strip()]:
            if gens.get(p) not in str(r["from_regions"]).split(";"):
                fail(data["interfaces"], idx, "from_plants", f"'{p}' is no plant of from_regions")
    sites = data["sites"]
    years = sorted(c for c in sites.columns if _SITE_YEAR.match(c))
    for idx, r in sites.iterrows():
        if r["region"] not in regions:
            fail(sites, idx, "region", f"unknown region '{r['region']}'")
        prev = 0.0
        for col in years:
            if r[col] < prev:
                fail(sites, idx, col, f"MW available falls from {prev:g} to {r[col]:g} "
                                      "(ramps must not decrease)")
            prev = r[col]


def _package_text(name: str) -> str:
    return (resources.files("aifab.grid") / "data" / name).read_text(encoding="utf-8")


def load_grid_data(data_dir: str | Path | None = None) -> GridData:
    """Load the packaged Korean grid data, replaced or extended from ``data_dir``.

    Raises BadInput naming the file, line and column of any bad value.
    """
    from aifab.grid._profiles import load_profiles

    user = Path(data_dir) if data_dir is not None else None
    if user is not None and not user.is_dir():
        raise BadInput("grid data directory not found", source=str(user))
    data: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for table, (keys, _) in _SCHEMA.items():
        own = user / f"{table}.csv" if user is not None else None
        if own is not None and own.exists():
            src = str(own)
            df = _parse(read_text_file(own, f"{table} table"), table, src)
        else:
            src = f"aifab/grid/data/{table}.csv"
            df = _parse(_package_text(f"{table}.csv"), table, src)
        if user is not None:
            for ext in sorted(user.glob(f"{table}.*.csv")):
                add = _parse(read_text_file(ext, f"{table} table"), table, str(ext))
                df = pd.concat([df[~df[keys[0]].isin(add[keys[0]])], add], ignore_index=True)
                src += f" + {ext}"
        data[table] = df.reset_index(drop=True)
        files[table] = src
    if user is not None and (user / "lines.csv").exists():
        data["corridors"] = corridors_from_lines(user / "lines.csv", data["corridors"])
        files["corridors"] = f"{user / 'lines.csv'} (AC corridors recomputed)"
    cor = pd.concat([data["corridors"], data.pop("hvdc")], ignore_index=True)
    dup = cor.duplicated("name")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise BadInput(f"duplicate corridor name '{cor.at[i, 'name']!s}' (corridors and hvdc)",
                       source=str(cor.at[i, "_file"]), where=f"line {cor.at[i, '_line']!s}")
    data["corridors"] = cor
    files["corridors"] += " + " + files.pop("hvdc")
    _check_refs(data)
    profiles, files["profiles"] = load_profiles(user)
    subs = load_substations()
    sites = connect_sites(data["sites"].set_index("site", drop=False), subs)
    return GridData(
        regions=data["regions"].set_index("region", drop=False),
        carriers=data["carriers"].set_index("carrier", drop=False),
        generators=data["generators"],
        corridors=data["corridors"],
        sites=sites,
        profiles=profiles,
        files=files,
        interfaces=data["interfaces"],
        substations=subs,
    )


def corridors_from_lines(path: Path, packaged: pd.DataFrame) -> pd.DataFrame:
    """AC corridors recomputed from a user's line list (same columns as the packaged
    ``lines.csv``): each corridor's capacity is the sum of its lines' ratings x N1_FACTOR."""
    from aifab.grid._lines import N1_FACTOR, corridor_capacity_mw, load_line_types

    src = str(path)
    text = read_text_file(path, "lines table")
    try:
        lines = pd.read_csv(io.StringIO(text), dtype={"corridor": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadInput(f"cannot parse CSV ({exc})", source=src) from None
    for col in ("line_id", "kind", "cables", "corridor", "length_km"):
        if col not in lines.columns:
            raise BadInput(f"missing column '{col}'", source=src, where="line 1")
    lines["corridor"] = lines["corridor"].fillna("").astype(str)
    types = load_line_types()
    for i, (k, c, name) in enumerate(zip(lines["kind"], lines["cables"], lines["corridor"],
                                         strict=True)):
        where = f"line {i + 2}"
        if str(k) not in types:
            raise BadInput(f"unknown kind '{k}' (one of {', '.join(types)})", source=src,
                           where=f"{where}, column kind")
        if pd.isna(pd.to_numeric(c, errors="coerce")) or float(c) <= 0:
            raise BadInput(f"'{c}' is not a positive number", source=src,
                           where=f"{where}, column cables")
        if name and (len(name.split("-")) != 2 or any(r not in REGIONS
                                                       for r in name.split("-"))):
            raise BadInput(f"corridor '{name}' is not REGION-REGION", source=src,
                           where=f"{where}, column corridor")
    lines["cables"] = lines["cables"].astype(float)
    cap = corridor_capacity_mw(lines, types)
    length = lines[lines["corridor"] != ""].groupby("corridor")["length_km"].mean()
    rows = []
    for name, mw in cap.items():
        a, b = str(name).split("-")
        n = int((lines["corridor"] == name).sum())
        rows.append({"name": name, "bus0": a, "bus1": b, "p_nom_mw": float(mw),
                     "length_km": float(length[str(name)]), "expandable": False,
                     "capital_cost_krw": None, "earliest_year": None, "kind": "ac",
                     "n_lines": n, "thermal_mw": float(mw) / N1_FACTOR,
                     "source": f"recomputed from {n} lines in {src}", "_file": src,
                     "_line": 1})
    return pd.DataFrame(rows, columns=list(packaged.columns))


def connect_sites(sites: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """Attach each site to a substation: its ``substation`` column if given, else the nearest
    345/765 kV connection point in its region (else the region's nearest substation)."""

    sites = sites.copy()
    chosen, lon, lat, cap = [], [], [], []
    for _, r in sites.iterrows():
        given = r.get("substation")
        if given is not None and not pd.isna(given):
            if int(given) not in subs.index:
                raise BadInput(f"unknown substation {int(given)}", source=str(r["_file"]),
                               where=f"line {r['_line']}, column substation")
            k = int(given)
        else:
            here = subs[subs["region"] == r["region"]]
            cp = here[here["connection_point"].astype(bool)]
            pool = cp if len(cp) else here if len(here) else subs
            d = [haversine_km(fnum(r["lat"]), fnum(r["lon"]), fnum(a), fnum(b))
                 for a, b in zip(pool["lat"], pool["lon"], strict=True)]
            k = int(pool.index[int(np.argmin(d))])
        chosen.append(k)
        lon.append(fnum(subs.at[k, "lon"]))
        lat.append(fnum(subs.at[k, "lat"]))
        cap.append(fnum(subs.at[k, "connect_mw"]))
    sites["substation"] = chosen
    sites["sub_lon"] = lon
    sites["sub_lat"] = lat
    sites["connect_mw"] = cap
    return sites


def fnum(value: Any) -> float:
    """A table cell as float (pandas' stubs type cells as a wide union)."""
    return float(value)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))
