"""Self-contained HTML section for ``aifab site --out``: a map of Korea and charts by year.

The map is drawn on plain longitude/latitude axes from a simplified outline shipped with the
package (``data/korea_outline.json``), so it needs no map tiles or network access.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

import pandas as pd

from aifab.report import Section, figure_html, render_html, table_html

_OWNER_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _outline() -> dict[str, Any]:
    text = (resources.files("aifab.grid") / "data" / "korea_outline.json").read_text("utf-8")
    return dict(json.loads(text))


def _loading_colour(pct: float) -> str:
    """Green (idle) to red (full) for a corridor's max loading."""
    x = max(0.0, min(1.0, pct / 100.0))
    return f"rgb({int(40 + 215 * x)},{int(170 - 130 * x)},60)"


def map_figure(result: Any, year: int | None = None) -> Any:
    """Plotly figure: outline, corridors coloured by max loading, sites sized by MW."""
    import plotly.graph_objects as go

    year = max(result.years) if year is None else year
    fig = go.Figure()
    for name, poly in _outline()["polygons"].items():
        xs, ys = zip(*poly, strict=True)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself",
                                 fillcolor="rgba(200,200,200,0.35)",
                                 line={"color": "#888", "width": 1}, hoverinfo="skip",
                                 showlegend=False, name=name))
    geo = result.geo
    reg = geo[geo["kind"] == "region"].set_index("name")
    for _, c in result.corridors.iterrows():
        if c["expansion"] and c["built_year"] is None:
            continue
        a, b = reg.loc[c["bus0"]], reg.loc[c["bus1"]]
        pct = float(c.get(f"max_loading_pct_{year}", c["max_loading_pct"]))
        fig.add_trace(go.Scatter(
            x=[a["lon"], b["lon"]], y=[a["lat"], b["lat"]], mode="lines",
            line={"color": _loading_colour(pct), "width": 1 + c["p_nom_mw"] / 1500,
                  "dash": "dash" if c["expansion"] else "solid"},
            hovertext=f"{c['name']}: {c['p_nom_mw']:,.0f} MW, max loading {pct:.0f} % in {year}",
            hoverinfo="text", showlegend=False))
    fig.add_trace(go.Scatter(x=reg["lon"], y=reg["lat"], mode="markers+text", text=reg.index,
                             textposition="top center", textfont={"size": 9, "color": "#444"},
                             marker={"size": 5, "color": "#444"}, hoverinfo="text",
                             showlegend=False, name="regions"))
    sites = geo[geo["kind"] == "site"].set_index("name")
    p = result.placements[result.placements["year"] == year]
    used = p.groupby("site")["mw"].sum()
    free = sites.drop(index=[s for s in used.index if s in sites.index])
    fig.add_trace(go.Scatter(x=free["lon"], y=free["lat"], mode="markers",
                             marker={"size": 7, "symbol": "circle-open", "color": "#555"},
                             hovertext=[f"{s} (candidate, unused in {year})" for s in free.index],
                             hoverinfo="text", name="unused candidate site"))
    owners = sorted(set(result.placements["owner"]))
    for i, owner in enumerate(owners):
        mine = p[p["owner"] == owner].groupby("site")["mw"].sum()
        if mine.empty:
            continue
        xy = sites.loc[mine.index]
        fig.add_trace(go.Scatter(
            x=xy["lon"] + 0.04 * (i - len(owners) / 2), y=xy["lat"], mode="markers",
            marker={"size": [6 + (v ** 0.5) * 2.2 for v in mine], "opacity": 0.8,
                    "color": _OWNER_COLOURS[i % len(_OWNER_COLOURS)]},
            hovertext=[f"{owner} at {s}: {v:,.1f} MW in {year}" for s, v in mine.items()],
            hoverinfo="text", name=owner))
    fig.update_layout(title=f"Campuses and corridor loading, {year} (simplified outline)",
                      height=720, width=640, plot_bgcolor="white",
                      xaxis={"visible": False, "range": [125.6, 131.2]},
                      yaxis={"visible": False, "range": [33.0, 38.8], "scaleanchor": "x",
                             "scaleratio": 1.25},
                      legend={"x": 0.72, "y": 0.05}, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def _charts(result: Any) -> list[Any]:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    years = list(result.years)
    p = result.placements
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for i, owner in enumerate(sorted(set(p["owner"]))):
        mw = p[p["owner"] == owner].groupby("year")["mw"].sum().reindex(years, fill_value=0.0)
        fig.add_trace(go.Bar(x=years, y=mw.to_numpy(), name=owner,
                             marker_color=_OWNER_COLOURS[i % len(_OWNER_COLOURS)]))
    fig.add_trace(go.Scatter(x=years, y=[result.unpowered_gpus_by_year[y] for y in years],
                             name="GPUs waiting for power", mode="lines+markers",
                             line={"color": "black"}), secondary_y=True)
    fig.update_layout(barmode="stack", title="Powered facility MW by owner, and GPUs waiting",
                      height=420)
    fig.update_xaxes(dtick=1, tickformat="d")
    fig.update_yaxes(title_text="MW", secondary_y=False)
    fig.update_yaxes(title_text="GPUs waiting", secondary_y=True)

    cost = result.annual_cost
    cf = go.Figure()
    for col, label in (("site_build_krw", "campus build (annuity)"),
                       ("corridor_expansion_krw", "corridor expansion (annuity)"),
                       ("shortfall_penalty_krw", "GPUs waiting (penalty)"),
                       ("load_shed_krw", "load shed")):
        cf.add_trace(go.Bar(x=years, y=cost[col] / 1e12, name=label))
    cf.update_layout(barmode="stack", height=380,
                     title="Costs added by the fleet, trillion KRW/year "
                           "(system generation cost shown in the table)")
    cor = result.corridors.sort_values("max_loading_pct", ascending=False).head(12)
    lf = go.Figure()
    for y in years:
        lf.add_trace(go.Bar(y=cor["name"], x=cor[f"max_loading_pct_{y}"], name=str(y),
                            orientation="h"))
    lf.update_layout(title="Most loaded corridors: max loading % by year", height=460,
                     yaxis={"autorange": "reversed"})
    return [fig, cf, lf]


def _table(df: pd.DataFrame) -> str:
    return table_html(df, floatfmt="{:,.1f}")


def site_sections(result: Any) -> list[Section]:
    """The siting result as report sections: map, waiting GPUs, placements, charts, costs."""
    figs = [map_figure(result), *_charts(result)]
    ids = ["site-map", "site-mw", "site-cost", "site-corridors"]
    parts = [figure_html(f, ids[i] if i < len(ids) else f"site-fig{i}")
             for i, f in enumerate(figs)]
    last = max(result.years)
    p = result.placements[result.placements["year"] == last]
    cost = result.annual_cost.copy()
    for c in cost.columns:
        if c.endswith("_krw"):
            cost[c] = cost[c] / 1e12
    cost.columns = [c.replace("_krw", " (trn KRW)") for c in cost.columns]
    wait = pd.DataFrame({"year": list(result.unpowered_gpus_by_year),
                         "GPUs waiting for power": list(result.unpowered_gpus_by_year.values())})
    src = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>"
                  for k, v in result.data_files.items())
    gap = result.mip_gap * 100
    expansions = ", ".join(f"{k} ({v})" for k, v in result.expansions_built.items()) or "none"
    co2 = json.dumps({str(k): round(v, 2) for k, v in result.co2_mt_by_year.items()})
    head = (
        f"<p>Status <b>{html.escape(result.status)}</b>, MIP gap {gap:.2f} % of the cost the "
        f"fleet adds, build {result.build_s:.1f} s, solve {result.solve_s:.1f} s; "
        f"{result.model_size['variables']:,} variables, "
        f"{result.model_size['constraints']:,} constraints; "
        f"{html.escape(result.time_method)}, {result.hours_per_year} h per year. "
        f"Corridor expansions chosen: {html.escape(expansions)}.</p>")
    return [
        Section("Siting (grid model)", head + '<div class="row"><div>' + parts[0]
                + "</div><div><h3>GPUs waiting for power</h3>" + _table(wait)
                + f"<h3>Placements, {last}</h3>" + _table(p) + "</div></div>", "siting"),
        Section("Siting by year", "".join(parts[1:]) + "<h3>Annual cost and CO2</h3>"
                + _table(cost) + f"<p>CO2 (Mt/year): {html.escape(co2)}</p>", "siting-years"),
        Section("Grid data", f"<ul>{src}</ul><p>The outline of Korea is simplified and "
                "approximate (hand-traced), for orientation only.</p>", "grid-data"),
    ]


def site_html(result: Any) -> str:
    """One self-contained HTML page (plotly JS embedded, works offline)."""
    return render_html("aifab site: grid-aware siting", site_sections(result))
