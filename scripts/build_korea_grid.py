"""Regenerate the packaged Korean grid tables from ../shared/data/korea-grid (OSM + KOSTAT).

Writes, under src/aifab/grid/data/: ``substations.csv`` (one row per substation, its
province and connection limit), ``lines.csv`` (every AC line with its substations, provinces,
circuits, rating and the corridor it belongs to), ``corridors.csv`` (inter-provincial AC
corridors summed from those lines) and ``provinces.geojson`` (simplified boundaries).
Reads ``line_types.csv`` (ratings per voltage, hand-documented) from the same folder.

    python scripts/build_korea_grid.py [--src ../shared/data/korea-grid] [--dst DIR]

Pure Python plus the standard library and aifab itself: deterministic, no shapely needed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections import defaultdict
from pathlib import Path

from aifab.grid._data import REGIONS
from aifab.grid._geo import KOSTAT_CODES, assign_region, feature_polygons, ring_area, simplify
from aifab.grid._lines import (
    N1_FACTOR,
    circuits_from_cables,
    line_kind,
    load_line_types,
)

ROOT = Path(__file__).resolve().parents[1]
SIMPLIFY_DEG = 0.006  # Douglas-Peucker tolerance, about 600 m
MIN_ISLAND_DEG2 = 0.0015  # drop islands below about 15 km2 from the drawing
OSM_SOURCE = "OpenStreetMap (ODbL 1.0) via PyPSA-Earth/PyPSA-KR"


def _csv(rows: list[dict[str, object]], cols: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in cols})
    return buf.getvalue()


def _fmt(x: float, nd: int) -> str:
    return f"{round(x, nd):.{nd}f}"


def _substations(src: Path) -> tuple[dict[int, int], dict[int, dict[str, float]]]:
    """Bus id -> substation id (buses joined by a transformer or at the same point)."""
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    bus: dict[int, dict[str, float]] = {}
    for r in csv.DictReader((src / "osm_lines.csv").open(encoding="utf-8")):
        for end in ("0", "1"):
            b = int(r[f"bus{end}"])
            bus[b] = {"lon": float(r[f"bus{end}_lon"]), "lat": float(r[f"bus{end}_lat"]),
                      "kv": max(bus.get(b, {}).get("kv", 0.0), float(r["voltage_v"]) / 1e3)}
            find(b)
    for r in csv.DictReader((src / "osm_transformers.csv").open(encoding="utf-8")):
        for end in ("0", "1"):
            b = int(r[f"bus{end}"])
            kv = float(r[f"voltage_bus{end}"]) / 1e3
            prev = bus.get(b)
            bus[b] = {"lon": float(r[f"bus{end}_lon"]), "lat": float(r[f"bus{end}_lat"]),
                      "kv": max(prev["kv"] if prev else 0.0, kv)}
        union(int(r["bus0"]), int(r["bus1"]))
    at: dict[tuple[float, float], int] = {}
    for b in sorted(bus):
        key = (round(bus[b]["lon"], 4), round(bus[b]["lat"], 4))
        if key in at:
            union(b, at[key])
        else:
            at[key] = b
    return {b: find(b) for b in bus}, bus


def build(src: Path, dst: Path) -> dict[str, str]:
    """Return {file name: text} of the derived tables (written by ``main``)."""
    gj = json.loads((src / "provinces-2018.geojson").read_text(encoding="utf-8"))
    provinces = {KOSTAT_CODES[f["properties"]["code"]]: feature_polygons(f["geometry"])
                 for f in gj["features"]}
    types = load_line_types((dst / "line_types.csv").read_text(encoding="utf-8"))
    sub_of, bus = _substations(src)

    subs: dict[int, dict[str, object]] = {}
    for b, s in sub_of.items():
        row = subs.setdefault(s, {"substation": s, "buses": [], "kv": 0.0})
        row["buses"].append(b)  # type: ignore[attr-defined]
        if bus[b]["kv"] >= float(row["kv"]):  # type: ignore[arg-type]
            row.update(kv=bus[b]["kv"], lon=bus[b]["lon"], lat=bus[b]["lat"])
    sub_rows = []
    for s in sorted(subs):
        row = subs[s]
        region, dist = assign_region(float(row["lon"]), float(row["lat"]),  # type: ignore[arg-type]
                                     provinces)
        kv = float(row["kv"])  # type: ignore[arg-type]
        t = types.get(line_kind(kv, dc=False))
        row.update(region=region, off_km=round(dist * 111.2, 2))
        sub_rows.append({
            "substation": s, "region": region, "lon": _fmt(float(row["lon"]), 4),  # type: ignore[arg-type]
            "lat": _fmt(float(row["lat"]), 4), "voltage_kv": f"{kv:g}",  # type: ignore[arg-type]
            "connection_point": str(kv >= 345).lower(),
            "connect_mw": f"{t.connect_mw:g}" if t else "0",
            "buses": ";".join(str(b) for b in sorted(row["buses"])),  # type: ignore[arg-type]
            "outside_polygon_km": f"{row['off_km']:g}",
            "source": f"{OSM_SOURCE}; province: point in KOSTAT 2018 polygon"
                      + (" (nearest: point offshore/on a border)" if dist > 0 else ""),
        })

    line_rows = []
    corridors: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    order = {r: i for i, r in enumerate(REGIONS)}
    for r in csv.DictReader((src / "osm_lines.csv").open(encoding="utf-8")):
        kv = float(r["voltage_v"]) / 1e3
        dc = r["dc"] == "True"
        s0, s1 = sub_of[int(r["bus0"])], sub_of[int(r["bus1"])]
        if s0 == s1:
            continue
        kind = line_kind(kv, dc=dc, underground=r["underground"] == "True")
        cables = float(r["circuits"])
        circ = circuits_from_cables(cables)
        t = types[kind]
        rating = circ * t.thermal_mva_per_circuit
        g0, g1 = str(subs[s0]["region"]), str(subs[s1]["region"])
        corridor = ""
        if g0 != g1 and not dc and r["under_construction"] != "True":
            a, b = sorted((g0, g1), key=lambda x: order[x])
            corridor = f"{a}-{b}"
        row = {"line_id": r["line_id"], "substation0": s0, "substation1": s1,
               "region0": g0, "region1": g1, "voltage_kv": f"{kv:g}", "kind": kind,
               "cables": f"{cables:g}", "circuits": circ,
               "length_km": _fmt(float(r["length_m"]) / 1e3, 2),
               "underground": r["underground"].lower(), "dc": str(dc).lower(),
               "under_construction": r["under_construction"].lower(),
               "rating_mw": f"{rating:g}", "corridor": corridor}
        line_rows.append(row)
        if corridor:
            corridors[(corridor, "")].append(row)

    cor_rows = []
    for (name, _), rows in sorted(corridors.items()):
        a, b = name.split("-")
        thermal = sum(float(str(x["rating_mw"])) for x in rows)
        length = sum(float(str(x["length_km"])) for x in rows) / len(rows)
        kinds = defaultdict(int)
        for x in rows:
            kinds[f"{x['kind']}"] += int(str(x["circuits"]))
        mix = ", ".join(f"{n} x {k}" for k, n in sorted(kinds.items()))
        cor_rows.append({
            "name": name, "bus0": a, "bus1": b,
            "p_nom_mw": f"{round(thermal * N1_FACTOR):g}", "length_km": _fmt(length, 1),
            "expandable": "false", "capital_cost_krw": "", "earliest_year": "",
            "kind": "ac", "n_lines": len(rows), "thermal_mw": f"{thermal:g}",
            "source": f"derived: {len(rows)} OSM lines ({mix} circuits) x per-circuit "
                      f"rating (line_types.csv) x {N1_FACTOR:g} N-1 operating factor "
                      "(assumed); lines.csv lists them",
        })

    feats = []
    total_pts = 0
    for f in gj["features"]:
        region = KOSTAT_CODES[f["properties"]["code"]]
        polys = []
        for poly in feature_polygons(f["geometry"]):
            if ring_area(poly[0]) < MIN_ISLAND_DEG2:
                continue
            ring = simplify(poly[0], SIMPLIFY_DEG)
            total_pts += len(ring)
            polys.append([[[round(x, 3), round(y, 3)] for x, y in ring]])
        feats.append({"type": "Feature",
                      "properties": {"region": region, "name_ko": f["properties"]["name_ko"],
                                     "code": f["properties"]["code"]},
                      "geometry": {"type": "MultiPolygon", "coordinates": polys}})
    geo = {"type": "FeatureCollection",
           "source": "Statistics Korea (KOSTAT) SGIS 2018 boundaries via southkorea/"
                     "southkorea-maps, KOGL Type 1; further simplified (Douglas-Peucker "
                     f"{SIMPLIFY_DEG} deg, islands under {MIN_ISLAND_DEG2} deg2 dropped) by "
                     "scripts/build_korea_grid.py",
           "features": feats}

    return {
        "substations.csv": _csv(sub_rows, ["substation", "region", "lon", "lat", "voltage_kv",
                                           "connection_point", "connect_mw", "buses",
                                           "outside_polygon_km", "source"]),
        "lines.csv": _csv(line_rows, ["line_id", "substation0", "substation1", "region0",
                                      "region1", "voltage_kv", "kind", "cables", "circuits",
                                      "length_km", "underground", "dc", "under_construction",
                                      "rating_mw", "corridor"]),
        "corridors.csv": _csv(cor_rows, ["name", "bus0", "bus1", "p_nom_mw", "length_km",
                                         "expandable", "capital_cost_krw", "earliest_year",
                                         "kind", "n_lines", "thermal_mw", "source"]),
        "provinces.geojson": json.dumps(geo, separators=(",", ":"), ensure_ascii=False) + "\n",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=ROOT.parent / "shared" / "data" / "korea-grid")
    ap.add_argument("--dst", type=Path, default=ROOT / "src" / "aifab" / "grid" / "data")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the shipped tables differ from a fresh build")
    args = ap.parse_args()
    out = build(args.src, args.dst)
    bad = []
    for name, text in out.items():
        path = args.dst / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                bad.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(text):,} bytes)")
    if bad:
        raise SystemExit(f"differ from a fresh build: {', '.join(bad)}")


if __name__ == "__main__":
    main()
