"""Siting section of the report: a map of Korea's provinces, corridors and campuses by year.

The renderers take the site stage's typed result (:class:`aifab.grid.SiteResult`) and the
map's coordinates (``geo``: regions, candidate sites and, on a bus-level network, buses;
the solver's ``SitingResult.geo`` or ``grid.site_coordinates``); tables are the result's
own (:meth:`~aifab.grid.SiteResult.tables`). The map is drawn on plain longitude/latitude
axes from the province boundaries packaged with aifab.grid (KOSTAT 2018, simplified; KOGL
Type 1), so it needs no tiles or network. Corridors are coloured by their maximum loading
(cividis, colour-blind safe) and drawn with a width by transfer capacity; campuses sit at
the substation they connect to.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from aifab.report._html import Section, figure_html, render_html, table_html
from aifab.report._style import (
    LOADING_SCALE,
    NEUTRAL,
    fmt_mapping,
    fmt_num,
    label,
    loading_colour,
    owner_colours,
    style_figure,
)

if TYPE_CHECKING:
    from aifab.grid import SiteResult

_SCALE = LOADING_SCALE
_WIDTH_GW = (1.0, 5.0, 10.0)  # legend entries for line width
_MAX_CORRIDOR_TRACES = 80  # past this (bus-level network), lines are drawn in groups


def _width(p_nom_mw: float) -> float:
    return float(1.0 + 0.6 * (max(p_nom_mw, 0.0) / 1000.0) ** 0.5 * 2)


def _colour(pct: float) -> str:
    return loading_colour(pct)


def owner_order(site: SiteResult, owners: Sequence[str] | None = None) -> list[str]:
    """Owners in the scenario's order: ``owners`` when given, else the siting problem's
    (``unpowered_gpus_by_owner``), then any other owner with a placement. Passing the same
    list to :func:`~aifab.report._style.owner_colours` gives each owner its colour
    everywhere."""
    order = list(owners or ())
    order += [w.owner for w in site.unpowered_gpus_by_owner]
    order += [p.owner for p in site.placements]
    return list(dict.fromkeys(order))


def _province_traces() -> list[Any]:
    import plotly.graph_objects as go

    from aifab.grid import provinces_geojson

    traces = []
    for f in provinces_geojson()["features"]:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for poly in f["geometry"]["coordinates"]:
            for x, y in poly[0]:
                xs.append(x)
                ys.append(y)
            xs.append(None)
            ys.append(None)
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", fill="toself",
                                 fillcolor="rgba(210,210,210,0.45)",
                                 line={"color": "#999", "width": 0.7}, hoverinfo="text",
                                 hovertext=f["properties"]["region"], showlegend=False,
                                 name=f["properties"]["region"]))
    return traces


def _year_traces(site: SiteResult, geo: pd.DataFrame, placements: pd.DataFrame, year: int,
                 owners: Sequence[str] | None = None) -> list[Any]:
    """Corridors and campuses of one year (owners in their colours; ``placements``: the
    result's table)."""
    import plotly.graph_objects as go

    ends = geo[geo["kind"].isin(["region", "bus"])].drop_duplicates("name").set_index("name")
    rows = []
    for c in site.corridors:
        if c.expansion and (c.built_year is None or math.isnan(c.built_year)
                            or int(c.built_year) > year):
            continue
        if c.bus0 not in ends.index or c.bus1 not in ends.index:
            continue
        a, b = ends.loc[c.bus0], ends.loc[c.bus1]
        pct = float(c.loading_by_year.get(str(year), c.max_loading_pct))
        hvdc = c.kind == "hvdc" or "HVDC" in c.name
        rows.append((c, a, b, pct, hvdc))
    rows.sort(key=lambda r: r[3])  # the most loaded drawn last, on top
    out = []
    if len(rows) <= _MAX_CORRIDOR_TRACES:
        for c, a, b, pct, hvdc in rows:
            out.append(go.Scatter(
                x=[a["lon"], b["lon"]], y=[a["lat"], b["lat"]], mode="lines",
                line={"color": _colour(pct), "width": _width(float(c.p_nom_mw)),
                      "dash": "dash" if hvdc else "solid"},
                hovertext=f"{c.name}: {c.p_nom_mw:,.0f} MW, max loading {pct:.0f} % "
                          f"in {year}", hoverinfo="text", showlegend=False))
    else:  # bus-level network: one trace per loading decile and size class
        groups: dict[tuple[int, int], list[Any]] = {}
        for c, a, b, pct, _ in rows:
            size = 0 if c.p_nom_mw < 500 else 1 if c.p_nom_mw < 2000 else 2
            groups.setdefault((min(int(pct // 10), 9), size), []).append((a, b))
        for (dec, size), segs in sorted(groups.items()):
            xs: list[float | None] = []
            ys: list[float | None] = []
            for a, b in segs:
                xs += [a["lon"], b["lon"], None]
                ys += [a["lat"], b["lat"], None]
            out.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="text",
                                  hovertext=f"{len(segs)} lines at {dec * 10}-{dec * 10 + 10} %",
                                  line={"color": _colour(dec * 10 + 5),
                                        "width": _width((250, 1000, 3000)[size])},
                                  showlegend=False))
    sites = geo[geo["kind"] == "site"].set_index("name")
    p = placements[placements["year"] == year]
    used = p.groupby("site")["mw"].sum()
    free = sites.drop(index=[s for s in used.index if s in sites.index])
    out.append(go.Scatter(x=free["lon"], y=free["lat"], mode="markers",
                          marker={"size": 7, "symbol": "circle-open", "color": "#555"},
                          hovertext=[f"{s} (candidate, unused in {year})" for s in free.index],
                          hoverinfo="text", name="unused candidate site",
                          legendgroup="free", showlegend=True))
    order = owner_order(site, owners)
    col = owner_colours(order)
    placed = {q.owner for q in site.placements}
    owners = [o for o in order if o in placed]
    for i, owner in enumerate(owners):
        mine = p[p["owner"] == owner].groupby("site")["mw"].sum()
        xy = sites.reindex(mine.index)
        out.append(go.Scatter(
            x=xy["lon"] + 0.03 * (i - len(owners) / 2), y=xy["lat"], mode="markers",
            marker={"size": [6 + (v ** 0.5) * 2.2 for v in mine], "opacity": 0.85,
                    "color": col.get(owner, NEUTRAL),
                    "line": {"color": "white", "width": 0.5}},
            hovertext=[f"{owner} at {s}: {v:,.1f} MW in {year}" for s, v in mine.items()],
            hoverinfo="text", name=owner, legendgroup=owner, showlegend=True))
    return out


def siting_map(site: SiteResult, geo: pd.DataFrame, year: int | None = None,
               owners: Sequence[str] | None = None) -> Any:
    """Plotly figure of a siting (``geo``: the map's coordinates): provinces, corridors
    coloured by max loading (colour bar) and sized by capacity (legend), campuses at their
    substations in their owner's colour (``owners``: the scenario's order, see
    :func:`owner_order`); a year slider unless ``year`` is given. The figure follows the
    width of its container."""
    import plotly.graph_objects as go

    years = [int(year)] if year is not None else [int(y) for y in site.years]
    placements = site.tables()["placements.csv"]
    fig = go.Figure()
    for t in _province_traces():
        fig.add_trace(t)
    reg = geo[geo["kind"] == "region"]
    fig.add_trace(go.Scatter(x=reg["lon"], y=reg["lat"], mode="text", text=reg["name"],
                             textfont={"size": 9, "color": "#333"}, hoverinfo="skip",
                             showlegend=False))
    fig.add_trace(go.Scatter(  # colour bar for corridor loading
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"color": [0, 100], "cmin": 0, "cmax": 100, "colorscale": _SCALE,
                "showscale": True, "colorbar": {"title": {"text": "corridor max<br>loading %"},
                                                "x": 1.0, "len": 0.5, "y": 0.75}}))
    for gw in _WIDTH_GW:  # width legend
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines",
                                 line={"color": "#666", "width": _width(gw * 1000)},
                                 name=f"corridor {gw:g} GW", legendgroup="width"))
    for mw in (10, 100, 1000):  # campus size legend (marker size as drawn)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                                 marker={"size": 6 + (mw ** 0.5) * 2.2, "color": "#bbb",
                                         "line": {"color": "#666", "width": 1}},
                                 name=f"campus {mw:,} MW", legendgroup="size"))
    n_fixed = len(fig.data)
    spans = []
    for y in years:
        tr = _year_traces(site, geo, placements, y, owners)
        spans.append((len(fig.data), len(fig.data) + len(tr)))
        for t in tr:
            t.visible = y == years[-1]
            fig.add_trace(t)
    steps = []
    for y, (a, b) in zip(years, spans, strict=True):
        vis = [True] * n_fixed + [a <= i < b for i in range(n_fixed, len(fig.data))]
        steps.append({"method": "update", "label": str(y),
                      "args": [{"visible": vis}, {"title": _map_title(site, y)}]})
    layout: dict[str, Any] = {}
    if len(years) > 1:
        layout["sliders"] = [{"active": len(years) - 1, "steps": steps,
                              "currentvalue": {"prefix": "year "}, "pad": {"t": 10}}]
    style_figure(fig)
    fig.update_layout(title=_map_title(site, years[-1]),
                      height=760, autosize=True, plot_bgcolor="white",
                      xaxis={"visible": False, "range": [125.0, 130.2]},
                      yaxis={"visible": False, "range": [33.0, 38.8], "scaleanchor": "x",
                             "scaleratio": 1.25},
                      legend={"orientation": "h", "x": 0, "y": 0, "yanchor": "top",
                              "itemsizing": "trace", "bgcolor": "rgba(255,255,255,0.7)"},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, **layout)
    return fig


def _map_title(site: SiteResult, year: int) -> str:
    """The map's title names the year's shortage (GPUs waiting for power are not on a
    campus, so they are in the title rather than at a place)."""
    waiting = int(site.unpowered_gpus_by_year.get(str(year), 0))
    return f"Campuses and corridor loading, {year}<br>GPUs waiting for power: {waiting:,}"


def _charts(site: SiteResult, tables: Mapping[str, pd.DataFrame],
            owners: Sequence[str] | None = None) -> list[Any]:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    years = list(site.years)
    p = tables["placements.csv"]
    order = owner_order(site, owners)
    col = owner_colours(order)
    placed = set(p["owner"])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for owner in (o for o in order if o in placed):
        mw = p[p["owner"] == owner].groupby("year")["mw"].sum().reindex(years, fill_value=0.0)
        fig.add_trace(go.Bar(x=years, y=mw.to_numpy(), name=owner,
                             marker_color=col.get(owner, NEUTRAL)))
    fig.add_trace(go.Scatter(x=years, y=[site.unpowered_gpus_by_year[str(y)] for y in years],
                             name="GPUs waiting for power", mode="lines+markers",
                             line={"color": "black"}), secondary_y=True)
    style_figure(fig, title="Powered facility MW by owner, and GPUs waiting", height=420)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(dtick=1, tickformat="d")
    fig.update_yaxes(title_text="MW", secondary_y=False, rangemode="nonnegative",
                     tickformat=",")
    top = max([0, *site.unpowered_gpus_by_year.values()])
    fig.update_yaxes(title_text="GPUs waiting", secondary_y=True, rangemode="nonnegative",
                     range=[0, max(10.0, 1.1 * top)], tickformat=",", showgrid=False,
                     tickmode="auto")  # its own round ticks (synced ones read 2.0446875)

    cost = tables["annual_cost.csv"]
    cf = go.Figure()
    for c in ("site_build_krw", "corridor_expansion_krw", "shortfall_penalty_krw",
              "load_shed_krw"):
        cf.add_trace(go.Bar(x=years, y=cost[c] / 1e12, name=label(c).removesuffix(" (KRW)")
                            .replace(", KRW)", ")")))
    style_figure(cf, title="Costs added by the fleet, trillion KRW/year "
                           "(system generation cost shown in the table)", height=380)
    cf.update_layout(barmode="stack", yaxis_title="trillion KRW/year",
                     yaxis_rangemode="nonnegative")
    cf.update_xaxes(dtick=1, tickformat="d")
    cor = tables["corridors.csv"].sort_values("max_loading_pct", ascending=False).head(12)
    lf = go.Figure()
    for y in years:
        lf.add_trace(go.Bar(y=cor["name"], x=cor[f"max_loading_pct_{y}"], name=str(y),
                            orientation="h"))
    style_figure(lf, title="Most loaded corridors: max loading % by year", height=460)
    lf.update_layout(yaxis={"autorange": "reversed"}, xaxis_title="max loading (%)",
                     xaxis_rangemode="nonnegative", legend={"title": {"text": "year"}})
    return [fig, cf, lf]


def _table(df: pd.DataFrame) -> str:
    return table_html(df, floatfmt="{:,.1f}")


def site_sections(site: SiteResult, geo: pd.DataFrame,
                  owners: Sequence[str] | None = None) -> list[Section]:
    """The siting result as report sections: map, waiting GPUs, placements, charts, costs
    (``geo``: the map's coordinates; ``owners``: the scenario's order, for the owner
    colours)."""
    tables = site.tables()
    figs = [siting_map(site, geo, owners=owners), *_charts(site, tables, owners)]
    ids = ["site-map", "site-mw", "site-cost", "site-corridors"]
    parts = [figure_html(f, ids[i] if i < len(ids) else f"site-fig{i}")
             for i, f in enumerate(figs)]
    last = max(site.years)
    p = tables["placements.csv"]
    p = p[p["year"] == last]
    cost = tables["annual_cost.csv"].copy()
    for c in cost.columns:
        if c.endswith("_krw"):
            cost[c] = cost[c] / 1e12
    cost.columns = [label(c).replace("KRW)", "trillion KRW)").replace("(원)", "(조 원)")
                    if c.endswith("_krw")
                    else c for c in cost.columns]
    waiting = site.unpowered_gpus_by_year
    wait = pd.DataFrame({"year": [int(y) for y in waiting],
                         "GPUs waiting for power": list(waiting.values())})
    src = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>"
                  for k, v in site.data_files.items())
    gap = site.mip_gap * 100
    expansions = ", ".join(f"{k} ({v})" for k, v in site.expansions_built.items()) or "none"
    co2 = fmt_mapping(site.co2_mt, lambda v: fmt_num(v, 1))
    size, ts = site.model_size, site.time_slices
    head = (
        f"<p>Status <b>{html.escape(site.status)}</b>, MIP gap {gap:.2f} % of the cost the "
        f"fleet adds, build {site.build_s:.1f} s, solve {site.solve_s:.1f} s; "
        f"{size.variables:,} variables, {size.constraints:,} constraints; "
        f"{html.escape(ts.method)}, {ts.hours_per_year} h per year. "
        f"Corridor expansions chosen: {html.escape(expansions)}.</p>")
    return [
        Section("Siting (grid model)", head + '<div class="row"><div>' + parts[0]
                + "</div><div><h3>GPUs waiting for power</h3>" + _table(wait)
                + f"<h3>Placements, {last}</h3>" + _table(p) + "</div></div>", "siting"),
        Section("Siting by year", "".join(parts[1:]) + "<h3>Annual cost and CO2</h3>"
                + _table(cost) + f"<p>CO2 (Mt/year): {html.escape(co2)}</p>", "siting-years"),
        *_flex_sections(site, tables),
        *_hosting_sections(tables),
        Section("Grid data", f"<ul>{src}</ul>{_calibration_html(site)}<p>Network: "
                "OpenStreetMap contributors (ODbL 1.0), via PyPSA-Earth/PyPSA-KR; province "
                "boundaries: Statistics Korea (KOSTAT) 2018, KOGL Type 1, simplified.</p>",
                "grid-data"),
    ]


def _hosting_sections(tables: Mapping[str, pd.DataFrame]) -> list[Section]:
    hc = tables.get("hosting.csv")
    if hc is None or hc.empty:
        return []
    return [Section("Hosting capacity per site", "<p>MW of new load the network takes at "
                    "each candidate site's bus with no other campus: firm (every hour) and if "
                    "curtailable for 22/44/88 h a year; grid limits only, the substation's "
                    "connection limit beside.</p>" + _table(hc.loc[:, :"connect_mw"]), "hosting")]


def site_html(site: SiteResult, geo: pd.DataFrame) -> str:
    """One self-contained HTML page (plotly JS embedded, works offline) of a siting
    (``geo``: the map's coordinates)."""
    return render_html("aifab site: grid-aware siting", site_sections(site, geo))


def _calibration_html(site: SiteResult) -> str:
    rows = site.calibration
    if not rows:
        return ""
    df = pd.DataFrame([{"kind": r.kind, "metric": r.metric, "ours": r.ours,
                        "reported": r.reported,
                        "band": f"{r.low:g}-{r.high:g} {r.unit}",
                        "within": "yes" if r.within else "no", "source": r.source}
                       for r in rows])
    return "<h3>Calibration of the base case (no AI load)</h3>" + _table(df)


def _by_year(m: Mapping[str, Any] | None, years: Sequence[int]) -> list[Any]:
    return [(m or {}).get(str(y)) for y in years]


def _flex_sections(site: SiteResult, tables: Mapping[str, pd.DataFrame]) -> list[Section]:
    f = site.flexibility
    if f is None:
        return []
    years = list(site.years)
    gain = pd.DataFrame({"year": years,
                         "GPUs connected by flexibility": _by_year(f.connected_gain_by_year,
                                                                   years),
                         "GPUs waiting without": _by_year(f.unpowered_without_flex_by_year,
                                                          years),
                         "curtailed MWh": _by_year(f.curtailed_mwh, years),
                         "compute lost (GPU-h)": _by_year(f.compute_lost_gpu_h, years)})
    body = (f"<p>Every campus offers curtailment of up to {f.flex_share} of the year's "
            "hours at its scenario depth.</p>" + _table(gain)
            + "<h3>Curtailment by campus</h3>" + _table(tables["flexibility.csv"]))
    return [Section("Flexible campuses", body, "siting-flex")]


def flex_curve_figure(curve: pd.DataFrame) -> Any:
    """Trade-off chart: offered curtailment share vs GPUs connected earlier, by year."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for y, g in curve.groupby("year"):
        fig.add_trace(go.Scatter(x=g["flex_share"] * 100, y=g["gpus_connected_gain"],
                                 mode="lines+markers", name=str(y)))
    fig.update_layout(title="GPUs connected by flexibility vs curtailment offered",
                      xaxis_title="curtailment offered (% of the year's hours)",
                      yaxis_title="GPUs connected that would wait", height=420)
    return fig
