"""Plain-Python plane geometry on lon/lat: point in polygon, nearest polygon, simplification.

Enough for assigning substations to provinces and drawing maps without shapely/geopandas
(the runtime default needs neither). Distances are in degrees scaled by cos(latitude).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

Ring = list[tuple[float, float]]
Polygon = list[Ring]  # outer ring, then holes

# KOSTAT first-level division codes -> aifab region names
KOSTAT_CODES: dict[str, str] = {
    "11": "Seoul", "21": "Busan", "22": "Daegu", "23": "Incheon", "24": "Gwangju",
    "25": "Daejeon", "26": "Ulsan", "29": "Sejong", "31": "Gyeonggi", "32": "Gangwon",
    "33": "Chungbuk", "34": "Chungnam", "35": "Jeonbuk", "36": "Jeonnam", "37": "Gyeongbuk",
    "38": "Gyeongnam", "39": "Jeju",
}


def _in_ring(x: float, y: float, ring: Sequence[Sequence[float]]) -> bool:
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_polygons(x: float, y: float, polygons: Sequence[Polygon]) -> bool:
    """True if (lon, lat) lies inside any polygon (holes excluded)."""
    for poly in polygons:
        if poly and _in_ring(x, y, poly[0]) and not any(_in_ring(x, y, h) for h in poly[1:]):
            return True
    return False


def _seg_dist2(px: float, py: float, a: Sequence[float], b: Sequence[float],
               k: float) -> float:
    ax, ay, bx, by = a[0] * k, a[1], b[0] * k, b[1]
    px = px * k
    dx, dy = bx - ax, by - ay
    L = dx * dx + dy * dy
    t = 0.0 if L == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / L))
    cx, cy = ax + t * dx, ay + t * dy
    return (px - cx) ** 2 + (py - cy) ** 2


def distance_deg(x: float, y: float, polygons: Sequence[Polygon]) -> float:
    """Distance (degrees of latitude) from (lon, lat) to the nearest polygon edge; 0 inside."""
    if in_polygons(x, y, polygons):
        return 0.0
    k = math.cos(math.radians(y))
    best = math.inf
    for poly in polygons:
        for ring in poly:
            for i in range(len(ring) - 1):
                best = min(best, _seg_dist2(x, y, ring[i], ring[i + 1], k))
    return math.sqrt(best)


def assign_region(x: float, y: float, regions: dict[str, list[Polygon]]) -> tuple[str, float]:
    """The region containing (lon, lat), else the nearest one; with the distance (deg)."""
    for name, polys in regions.items():
        if in_polygons(x, y, polys):
            return name, 0.0
    d = {name: distance_deg(x, y, polys) for name, polys in regions.items()}
    name = min(d, key=lambda n: d[n])
    return name, d[name]


def simplify(ring: Ring, tol: float) -> Ring:
    """Douglas-Peucker simplification of a closed ring (tolerance in degrees)."""
    if len(ring) < 5:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        i, j = stack.pop()
        best, idx = -1.0, -1
        for m in range(i + 1, j):
            d = _seg_dist2(ring[m][0], ring[m][1], ring[i], ring[j], 1.0)
            if d > best:
                best, idx = d, m
        if idx > 0 and best > tol * tol:
            keep[idx] = True
            stack.extend([(i, idx), (idx, j)])
    out = [p for p, k in zip(ring, keep, strict=True) if k]
    return out if len(out) >= 4 else ring


def ring_area(ring: Ring) -> float:
    """Unsigned shoelace area in square degrees."""
    s = 0.0
    for i in range(len(ring) - 1):
        s += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1]
    return abs(s) / 2


def feature_polygons(geometry: dict[str, Any]) -> list[Polygon]:
    """Polygons of a GeoJSON Polygon/MultiPolygon geometry as lists of (lon, lat) rings."""
    coords = geometry["coordinates"]
    polys = coords if geometry["type"] == "MultiPolygon" else [coords]
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in poly] for poly in polys]


@cache
def _provinces_text() -> str:
    return (resources.files("aifab.grid") / "data" / "provinces.geojson").read_text("utf-8")


def provinces_geojson() -> dict[str, Any]:
    """The 17 provinces (KOSTAT 2018, simplified; KOGL Type 1) as a GeoJSON FeatureCollection.

    Each feature's ``properties`` has ``region`` (aifab name), ``name_ko``, ``code``; use
    ``featureidkey="properties.region"`` with plotly choropleths.
    """
    return dict(json.loads(_provinces_text()))


def province_polygons() -> dict[str, list[Polygon]]:
    """Region name -> polygons, from the packaged simplified boundaries."""
    return {f["properties"]["region"]: feature_polygons(f["geometry"])
            for f in provinces_geojson()["features"]}
