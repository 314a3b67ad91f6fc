"""HTML for sweeps (aifab.sweep's renderer): fan charts of the metrics and a tornado
(or Sobol/Spearman) chart."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aifab.report._html import Section, figure_html, render_html, table_html
from aifab.report._style import PALETTE

_BANDS = ((5, 95, "rgba(0,114,178,0.18)", "P5-P95"), (25, 75, "rgba(0,114,178,0.35)",
                                                         "P25-P75"))


def fan_figure(values: dict[str, list[float]], title: str) -> go.Figure:
    """A fan chart: for each metric (one row), nested P5-P95 and P25-P75 bands and the
    median, as a ratio to the metric's median so metrics of different units share an axis."""
    fig = go.Figure()
    names = list(values)
    for lo, hi, colour, label in _BANDS:
        for i, m in enumerate(names):
            arr = np.asarray(values[m], dtype=np.float64)
            arr = arr[np.isfinite(arr)]
            if not len(arr):
                continue
            med = float(np.median(arr)) or 1.0
            a, b = np.percentile(arr, [lo, hi]) / med
            fig.add_trace(go.Scatter(
                x=[a, b, b, a, a], y=[i - 0.3, i - 0.3, i + 0.3, i + 0.3, i - 0.3],
                fill="toself", fillcolor=colour, line={"width": 0}, mode="lines",
                name=label, legendgroup=label, showlegend=i == 0, hoverinfo="text",
                text=f"{m}: {label} {a * med:,.4g} to {b * med:,.4g}"))
    fig.add_trace(go.Scatter(x=[1.0] * len(names), y=list(range(len(names))), mode="markers",
                             marker={"symbol": "line-ns-open", "size": 18, "color": "black"},
                             name="median", hoverinfo="skip"))
    fig.update_layout(title=title, xaxis_title="value / median", height=120 + 60 * len(names),
                      yaxis={"tickvals": list(range(len(names))), "ticktext": names},
                      margin={"l": 180})
    return fig


def series_fan_figure(x: list[Any], samples: np.ndarray, title: str, y_title: str) -> go.Figure:
    """A classic fan chart over ``x`` (e.g. years): bands of a series' samples (rows)."""
    fig = go.Figure()
    for lo, hi, colour, label in _BANDS:
        a, b = np.nanpercentile(samples, [lo, hi], axis=0)
        fig.add_trace(go.Scatter(x=[*x, *x[::-1]], y=[*a, *b[::-1]], fill="toself",
                                 fillcolor=colour, line={"width": 0}, name=label,
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=np.nanmedian(samples, axis=0), mode="lines+markers",
                             name="median", line={"color": "black"}))
    fig.update_layout(title=title, yaxis_title=y_title, height=420)
    return fig


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def tornado_figure(per_param: dict[str, dict[str, Any]], metric: str) -> go.Figure:
    """Bars from the base value to the metric at each parameter's low and high end."""
    items = list(per_param.items())[::-1]
    base = items[0][1]["base_metric"] if items else 0.0
    fig = go.Figure()
    for key, colour, label in (("metric_low", PALETTE[0], "parameter low"),
                               ("metric_high", PALETTE[1], "parameter high")):
        fig.add_trace(go.Bar(
            y=[p for p, _ in items], x=[v[key] - base for _, v in items], base=base,
            orientation="h", marker_color=colour, name=label,
            text=[_fmt(v["low" if key == "metric_low" else "high"]) for _, v in items],
            hovertemplate="%{y}: %{text} -> %{x:,.4g}<extra></extra>"))
    fig.update_layout(title=f"Tornado: {metric}", barmode="overlay", xaxis_title=metric,
                      height=140 + 40 * len(items), margin={"l": 220})
    return fig


def indices_figure(per_param: dict[str, dict[str, float]], metric: str,
                   keys: tuple[str, ...]) -> go.Figure:
    """Grouped bars of sensitivity indices (S1/ST or Spearman rho) per parameter."""
    fig = go.Figure()
    params = list(per_param)
    for k in keys:
        err = [per_param[p].get(f"{k}_conf") for p in params]
        fig.add_trace(go.Bar(x=params, y=[per_param[p][k] for p in params], name=k,
                             error_y={"type": "data", "array": err} if all(
                                 e is not None for e in err) else None))
    fig.update_layout(title=f"Sensitivity of {metric}", barmode="group", height=380)
    return fig


def sweep_sections(doc: dict[str, Any], values: dict[str, list[float]]) -> list[Section]:
    """Sections for a sweep (its ``--json`` document and each metric over the variants):
    summary, fan chart, sensitivity charts, failed variants."""
    summ = pd.DataFrame([{"metric": m, **v} for m, v in doc["summary"].items()])
    head = (f"<p>{doc['variants']:,} variants ({doc['design']} design): {doc['done']:,} "
            f"done, {doc['failed']:,} failed, {doc['ran']:,} run now, {doc['wall_s']:,.1f} s "
            f"wall.</p>")
    secs = [Section("Summary", head + table_html(summ, "{:,.4g}"), "summary"),
            Section("Fan chart", figure_html(fan_figure(values, "Metric ranges"), "sweep-fan"),
                    "fan")]
    sens = doc["sensitivity"]
    figs = []
    for i, (m, per) in enumerate(sens["metrics"].items()):
        if not per:
            continue
        if sens["method"] == "tornado":
            fig = tornado_figure(per, m)
        elif sens["method"] == "sobol":
            fig = indices_figure(per, m, ("S1", "ST"))
        else:
            fig = indices_figure(per, m, ("rho",))
        figs.append(figure_html(fig, f"sweep-sens-{i}"))
    note = f"<p class=\"note\">{html.escape(sens.get('note', ''))}</p>"
    secs.append(Section(f"Sensitivity ({sens['method']})", note + "".join(figs), "sensitivity"))
    if doc["errors"]:
        secs.append(Section("Failed variants", table_html(pd.DataFrame(doc["errors"])),
                            "failed"))
    return secs


def sweep_page(doc: dict[str, Any], values: dict[str, list[float]]) -> str:
    """A self-contained page (plotly.js inlined, works offline)."""
    return render_html(f"Sweep: {doc['name']}", sweep_sections(doc, values),
                       doc["spec"].get("description", ""))
