"""The Map page's one link to the siting map: a ``site --out`` folder's typed result
(read by the results folder's reader) drawn with the report's map
(``aifab.report.siting_map``) at the packaged coordinates, with the page's two layers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from aifab.grid import SiteResult


def map_coordinates() -> pd.DataFrame:
    """Where the map draws regions and campuses: the packaged grid's coordinates."""
    from aifab.grid import load_grid_data, site_coordinates

    return site_coordinates(load_grid_data())


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


def siting_figure(site: SiteResult, geo: pd.DataFrame, year: int | None = None,
                  homes: dict[str, str] | None = None) -> Any:
    """The siting map of the run's typed result ``site`` in ``year`` (default: every year,
    with a slider), drawn at ``geo`` (:func:`map_coordinates`): real province boundaries,
    corridors with a loading colour bar and a capacity legend, campuses in their owner's
    colour (the siting problem's owner order, as everywhere).

    With a ``year``, two layers (legend entries, so a click hides them): GPUs waiting for
    power, drawn at their owner's home region (``homes``; waiting GPUs have no campus), and
    the hosting capacity of each candidate site's substation (``--hosting`` runs). Region
    labels are placed so that they do not collide at 390 px (and so at any wider size)."""
    from aifab.report import siting_map

    fig = siting_map(site, geo, year)
    fig.update_layout(width=None, autosize=True)
    if year is not None:
        _waiting_layer(fig, site, geo, int(year), homes or {})
        _hosting_layer(fig, site, geo, int(year))
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
