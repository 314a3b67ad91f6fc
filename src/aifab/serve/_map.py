"""The Map page's one link to the siting map: read a ``site --out`` folder, draw it with
the report's map (``aifab.report._grid.siting_map``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aifab.serve._paths import safe_path

if TYPE_CHECKING:
    from aifab.grid import SiteResult


def load_siting(site_dir: Path, site: Any = None) -> Any:
    """The ``SitingResult`` the report's map draws, from a site run folder read typed
    (:func:`aifab.grid.read_site`, every path through :func:`safe_path`; or ``site``,
    already read) with the packaged grid coordinates (regions, where campuses are drawn)."""
    from aifab.grid import load_grid_data, read_site, site_coordinates

    res = site if site is not None else read_site(
        site_dir, resolve=lambda name: safe_path(site_dir, name))
    return res.to_siting(geo=site_coordinates(load_grid_data()))


def home_regions(name: str, scenario_files: list[Path]) -> dict[str, str]:
    """Owner -> home region of the scenario a siting run was made for: the embedded
    scenario of that name, else the first scenario file (of the results folder) that has
    it; {} when none does (the waiting-GPU layer is then left out)."""
    from aifab.errors import AifabError
    from aifab.scenario import embedded_scenarios, load_scenario

    try:
        if name in embedded_scenarios():
            return {o.name: o.home_region for o in load_scenario(name).owners
                    if o.home_region}
        for f in scenario_files:
            scn = load_scenario(str(f))
            if scn.name == name:
                return {o.name: o.home_region for o in scn.owners if o.home_region}
    except AifabError:
        pass
    return {}


def siting_figure(result: Any, year: int | None = None, site: SiteResult | None = None,
                  homes: dict[str, str] | None = None) -> Any:
    """The siting map of ``result`` in ``year`` (default: every year, with a slider): real
    province boundaries, corridors with a loading colour bar and a capacity legend,
    campuses in their owner's colour (the siting problem's owner order, as everywhere).

    With the run's typed result (``site``) and a ``year``, two layers (legend entries, so
    a click hides them): GPUs waiting for power, drawn at their owner's home region
    (``homes``; waiting GPUs have no campus), and the hosting capacity of each candidate
    site's substation (``--hosting`` runs). Region labels are placed so that they do not
    collide at 390 px (and so at any wider size)."""
    from aifab.report import siting_map

    fig = siting_map(result, year)
    fig.update_layout(width=None, autosize=True)
    if site is not None and year is not None:
        _waiting_layer(fig, site, result.geo, int(year), homes or {})
        _hosting_layer(fig, site, result.geo, int(year))
    place_labels(fig)
    return fig


def _coords(geo: pd.DataFrame, kind: str) -> dict[str, tuple[float, float]]:
    g = geo[geo["kind"] == kind]
    return {str(n): (float(x), float(y)) for n, x, y in zip(g["name"], g["lon"], g["lat"],
                                                           strict=True)}


def _waiting_layer(fig: Any, site: SiteResult, geo: pd.DataFrame, year: int,
                   homes: dict[str, str]) -> None:
    import plotly.graph_objects as go

    from aifab.report import owner_colours

    rows = [r for r in site.unpowered_gpus_by_owner if r.year == year and r.unpowered_gpus > 0]
    where = _coords(geo, "region")
    placed = [(r, where[homes[r.owner]]) for r in rows if homes.get(r.owner) in where]
    if not placed:
        return
    col = owner_colours([r.owner for r, _ in placed])
    fig.add_trace(go.Scatter(
        x=[xy[0] for _, xy in placed], y=[xy[1] for _, xy in placed], mode="markers",
        name=f"GPUs waiting for power, {year} (at the owner's home region)",
        marker={"symbol": "x", "size": [8 + r.unpowered_gpus ** 0.5 / 6 for r, _ in placed],
                "color": [col.get(r.owner, "#333") for r, _ in placed],
                "line": {"width": 1, "color": "#333"}},
        hovertext=[f"{r.owner}: {r.unpowered_gpus:,} GPUs waiting "
                   f"({r.unpowered_it_mw:,.0f} MW IT) in {year}, "
                   f"home region {homes[r.owner]}" for r, _ in placed],
        hoverinfo="text", legendgroup="waiting"))


def _hosting_layer(fig: Any, site: SiteResult, geo: pd.DataFrame, year: int) -> None:
    import plotly.graph_objects as go

    rows = [r for r in site.hosting or () if r.year == year]
    where = _coords(geo, "site")
    rows = [r for r in rows if r.site in where]
    if not rows:
        return
    fig.add_trace(go.Scatter(
        x=[where[r.site][0] for r in rows], y=[where[r.site][1] for r in rows],
        mode="markers", name=f"hosting capacity per substation, {year} (firm MW)",
        marker={"symbol": "diamond-open", "size": [6 + float(r.firm_mw) ** 0.5 / 4
                                                   for r in rows],
                "color": "#332288", "line": {"width": 1.5}},
        hovertext=[f"{r.site} ({r.bus}): {float(r.firm_mw):,.0f} MW firm, "
                   f"{float(r.connect_mw or 0):,.0f} MW connectable in {year}"
                   for r in rows],
        hoverinfo="text", legendgroup="hosting", visible="legendonly"))


#: Region labels: font size (px) and the map's scale at its narrowest, a 390 px window
#: with a scroll bar (measured there: 63 px per degree of longitude; taken lower, with
#: labels 0.7 em a character, for margin): pixels per degree of longitude (latitude is
#: stretched by the map's 1.25 aspect).
LABEL_PX, PX_PER_DEG, LAT_STRETCH = 9.0, 46.0, 1.25
_POSITIONS = ("middle center", "top center", "bottom center", "middle right", "middle left",
              "top right", "top left", "bottom right", "bottom left")


def _box(x: float, y: float, w: float, h: float, pos: str) -> tuple[float, ...]:
    """(x0, y0, x1, y1) in pixels of a label of ``w`` x ``h`` at ``pos`` around (x, y)."""
    v, hz = pos.split()
    x0 = {"center": x - w / 2, "right": x + 2, "left": x - w - 2}[hz]
    y0 = {"middle": y - h / 2, "top": y + 2, "bottom": y - h - 2}[v]
    return x0, y0, x0 + w, y0 + h


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return (max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            * max(0.0, min(a[3], b[3]) - max(a[1], b[1])))


def place_labels(fig: Any) -> None:
    """Give each region label the first position (centre, above, below, right, left, then
    the corners) where it overlaps no label placed before it, at the map's narrowest scale
    (labels keep their pixel size while the map grows, so no overlap there means none
    wider). A label with no free position takes the one it overlaps least."""
    for tr in fig.data:
        if tr.mode != "text" or tr.text is None or len(tr.text) < 2:
            continue
        placed: list[tuple[float, ...]] = []
        where = []
        for name, lon, lat in zip(tr.text, tr.x, tr.y, strict=True):
            x, y = float(lon) * PX_PER_DEG, float(lat) * PX_PER_DEG * LAT_STRETCH
            w, h = len(str(name)) * LABEL_PX * 0.7 + 4, LABEL_PX * 1.5
            best = min(_POSITIONS, key=lambda p: (sum(_overlap(_box(x, y, w, h, p), o)
                                                      for o in placed),
                                                  _POSITIONS.index(p)))
            placed.append(_box(x, y, w, h, best))
            where.append(best)
        tr.textposition = where
