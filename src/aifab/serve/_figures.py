"""Dashboard figures read from run folders: twin time series and tenants, sweeps, compare."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aifab.report._style import NEUTRAL, PALETTE, fmt_num, label, owner_colours, style_figure
from aifab.serve._paths import safe_path

_CAUSES = (("stranded_power", "#D55E00"), ("stranded_fragmentation", "#E69F00"),
           ("stranded_idle", "#56B4E9"))


def twin_figures(run_dir: Path, doc: dict[str, Any]) -> dict[str, go.Figure]:
    """Charts of a ``simulate --out`` folder: accelerators, power, queues, stranded
    capacity by cause (stacked), tenants' waits and shares (owners in their colours)."""
    ts = pd.read_parquet(safe_path(run_dir, "timeseries.parquet"))
    ten = pd.read_parquet(safe_path(run_dir, "tenants.parquet"))
    day = ts["t_h"] / 24.0
    figs: dict[str, go.Figure] = {}
    acc = go.Figure([go.Scatter(x=day, y=ts[c], name=label(c), mode="lines",
                                line={"color": col})
                     for c, col in (("allocated", "#0072B2"), ("busy", "#009E73"),
                                    ("inference", "#CC79A7")) if c in ts])
    acc.update_layout(xaxis_title="simulated day (from the start, warm-up included)",
                      yaxis_title="accelerators",
                      yaxis_rangemode="nonnegative", yaxis_tickformat=",")
    figs["twin-acc"] = style_figure(acc, title="Accelerators in use", height=340)
    pw = go.Figure(go.Scatter(x=day, y=ts["power_mw"], name=label("power_mw"), mode="lines",
                              line={"color": NEUTRAL}))
    pw.update_layout(xaxis_title="simulated day", yaxis_title="MW",
                     yaxis_rangemode="nonnegative")
    figs["twin-power"] = style_figure(pw, title="Facility power", height=300)
    st = go.Figure([go.Scatter(x=day, y=ts[c], name=label(c), mode="lines", stackgroup="s",
                               line={"color": col}) for c, col in _CAUSES if c in ts])
    st.update_layout(xaxis_title="simulated day", yaxis_title="accelerators",
                     yaxis_rangemode="nonnegative", yaxis_tickformat=",")
    figs["twin-stranded"] = style_figure(st, title="Unallocated accelerators by cause",
                                         height=340)
    col = owner_colours(ten["owner"]) if "owner" in ten else {}
    colours = [col.get(str(o), NEUTRAL) for o in ten.get("owner", ten["tenant"])]
    waits = go.Figure([
        go.Bar(x=ten["tenant"], y=ten[c], name=label(c),
               marker={"color": colours, "pattern": {"shape": p, "fgcolor": "white"}})
        for c, p in (("wait_p50_h", ""), ("wait_p95_h", "/"), ("wait_p99_h", "x")) if c in ten])
    waits.update_layout(barmode="group", yaxis_title="hours",
                        legend={"title": {"text": "pattern"}})
    figs["twin-waits"] = style_figure(waits, title="Queue wait by tenant (hours)", height=340)
    share = go.Figure(go.Bar(x=ten["tenant"], y=ten["share_of_entitlement"],
                             marker={"color": colours},
                             hovertemplate="%{x}: %{y:.0%}<extra></extra>"))
    share.add_hline(y=1.0, line={"dash": "dot", "color": NEUTRAL},
                    annotation_text="entitlement")
    share.update_layout(yaxis_tickformat=".0%", yaxis_title="received / entitled")
    figs["twin-share"] = style_figure(share, title="Accelerator-hours received / entitlement",
                                      height=320)
    return figs


def twin_context(run_dir: Path, doc: dict[str, Any]) -> str:
    """One line of run context: days, policy, seed, scale and the warm-up that explains
    why the day axis does not start at 0 (``warmup_days`` from the summary when present,
    else the time before the first sample, less one sampling interval)."""
    warm = doc.get("warmup_days")
    first = None
    ts = pd.read_parquet(safe_path(run_dir, "timeseries.parquet"), columns=["t_h"])["t_h"]
    if len(ts):
        first = float(ts.iloc[0]) / 24.0
        if warm is None and len(ts) > 1:
            warm = max(0.0, (float(ts.iloc[0]) - float(ts.iloc[1] - ts.iloc[0])) / 24.0)
    text = (f"{fmt_num(doc.get('days'))} simulated days, policy {doc.get('policy')}, seed "
            f"{doc.get('seed')}, scale {fmt_num(doc.get('scale'))} of the fleet.")
    if warm is not None and first is not None:
        text += (f" The first {fmt_num(round(float(warm), 2))} days are a warm-up, left out "
                 f"of every result, so the day axis starts at {fmt_num(round(first, 2))}.")
    return text


_YEAR = re.compile(r"^(.*?)[._](\d{4})$")


def sweep_metrics(variants: pd.DataFrame) -> list[str]:
    """Metric columns (``metric.<name>``) of a sweep's variants table."""
    return [c for c in variants.columns if c.startswith("metric.")]


def _ok(variants: pd.DataFrame) -> pd.DataFrame:
    if "status" in variants:
        return variants[variants["status"].astype(str).isin(["ok", "done", "success"])]
    return variants


def fan_figure(variants: pd.DataFrame) -> go.Figure:
    """Fan chart: P5-P95 and P25-P75 bands and the median of every metric that has one
    value per year (``metric.<name>.<year>``); a range chart of the others otherwise."""
    v = _ok(variants)
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in sweep_metrics(v):
        m = _YEAR.match(c.removeprefix("metric."))
        if m:
            groups.setdefault(m.group(1), []).append((int(m.group(2)), c))
    fig = go.Figure()
    if groups:
        for i, (name, cols) in enumerate(sorted(groups.items())):
            cols.sort()
            years = [y for y, _ in cols]
            q = np.nanpercentile(v[[c for _, c in cols]].to_numpy(float), [5, 25, 50, 75, 95],
                                 axis=0)
            colour = PALETTE[i % len(PALETTE)]
            for lo, hi, alpha in ((0, 4, 0.18), (1, 3, 0.35)):
                fig.add_trace(go.Scatter(x=years + years[::-1],
                                         y=list(q[hi]) + list(q[lo])[::-1], fill="toself",
                                         mode="lines", line={"width": 0}, opacity=alpha,
                                         fillcolor=colour, hoverinfo="skip",
                                         name=f"{label(name)}: P{[5, 25][lo]}-P{[95, 75][lo]}"))
            fig.add_trace(go.Scatter(x=years, y=q[2], mode="lines+markers",
                                     line={"color": colour}, name=f"{label(name)}: median"))
        fig.update_layout(xaxis={"dtick": 1, "tickformat": "d", "title": "year"})
        return style_figure(fig, title="Fan chart: P5-P95 (light), P25-P75 (dark), median",
                            height=420)
    for i, c in enumerate(sweep_metrics(v)):
        x = v[c].to_numpy(float)
        med = float(np.nanmedian(x)) or 1.0
        p5, p95 = np.nanpercentile(x, [5, 95])
        fig.add_trace(go.Scatter(x=[p5 / med, p95 / med], y=[label(c[7:])] * 2, mode="lines",
                                 line={"width": 8, "color": PALETTE[i % len(PALETTE)]},
                                 name=label(c[7:]),
                                 hovertext=f"P5 {fmt_num(p5)}, median {fmt_num(med)}, "
                                           f"P95 {fmt_num(p95)}", hoverinfo="text"))
    fig.add_vline(x=1.0, line={"dash": "dot", "color": NEUTRAL})
    fig.update_layout(xaxis={"title": "P5 to P95, relative to the median",
                             "tickformat": ".0%"}, showlegend=False)
    return style_figure(fig, title="Range of every metric across the variants", height=360)


def tornado_figure(variants: pd.DataFrame, metric: str) -> go.Figure:
    """Tornado: the median of ``metric`` among variants with each parameter at its low end
    (lowest fifth) and high end (highest fifth), minus the overall median; widest first."""
    v = _ok(variants)
    params = [c for c in v.columns if c.startswith("param.")]
    base = float(np.nanmedian(v[metric].to_numpy(float)))
    rows = []
    for p in params:
        x = pd.to_numeric(v[p], errors="coerce")
        if x.nunique() < 2:
            continue
        lo_cut, hi_cut = x.quantile(0.2), x.quantile(0.8)
        lo = float(np.nanmedian(v.loc[x <= lo_cut, metric].to_numpy(float))) - base
        hi = float(np.nanmedian(v.loc[x >= hi_cut, metric].to_numpy(float))) - base
        rows.append((p.removeprefix("param."), lo, hi))
    rows.sort(key=lambda r: abs(r[2] - r[1]))
    fig = go.Figure([
        go.Bar(y=[r[0] for r in rows], x=[r[1] for r in rows], orientation="h",
               name="parameter low", marker={"color": "#56B4E9"}),
        go.Bar(y=[r[0] for r in rows], x=[r[2] for r in rows], orientation="h",
               name="parameter high", marker={"color": "#D55E00"}),
    ])
    fig.update_layout(barmode="overlay", xaxis_title=f"change of {label(metric[7:])} from "
                      f"its median ({fmt_num(base)})")
    return style_figure(fig, title=f"Tornado: what moves {label(metric[7:])}",
                        height=120 + 36 * max(1, len(rows)))


def headline(kind: str, doc: dict[str, Any]) -> dict[str, str]:
    """Comparable headline figures of a run document, formatted."""
    from aifab.report import fmt_int, fmt_share

    if kind == "simulate":
        st = doc.get("stranded", {})
        return {
            "days": fmt_num(doc.get("days")), "policy": str(doc.get("policy", "")),
            "seed": str(doc.get("seed", "")), "scale": fmt_num(doc.get("scale")),
            "accelerators": fmt_int(doc.get("fleet", {}).get("accelerators")),
            "utilisation": fmt_share(doc.get("utilization")),
            "unallocated: no power": fmt_share(st.get("power")),
            "unallocated: fragmentation": fmt_share(st.get("fragmentation")),
            "unallocated: no demand": fmt_share(st.get("idle")),
            "energy (MWh)": fmt_num(doc.get("energy_mwh")),
            "jobs completed": fmt_int(doc.get("jobs", {}).get("completed")),
            "preemptions": fmt_int(doc.get("jobs", {}).get("preemptions")),
        }
    if kind == "site":
        wait = doc.get("unpowered_gpus_by_year", {})
        return {"status": str(doc.get("status", "")),
                **{f"GPUs waiting, {y}": fmt_int(n) for y, n in wait.items()},
                "corridor expansions": ", ".join(doc.get("expansions_built", {})) or "none"}
    if kind in ("plan", "report"):
        t = doc.get("totals") or doc.get("plan", {})
        return {"accelerators": fmt_int(t.get("accelerators")),
                "facility power (MW)": fmt_num(t.get("facility_power_mw")),
                "energy (TWh/year)": fmt_num(t.get("annual_energy_twh"))}
    if kind == "sweep":
        return {k: fmt_num(doc[k]) for k in ("variants", "done", "failed", "wall_s") if k in doc}
    return {}
