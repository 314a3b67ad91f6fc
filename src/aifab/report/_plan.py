"""The plan report: terminal tables and the HTML sections with charts."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from rich.console import Console

from aifab._plan import PlanResult
from aifab._terminal import fit, table
from aifab.catalog import Catalog, default_catalog
from aifab.power import METRICS
from aifab.report._html import Items, Section, figure_html, render_html, table_html
from aifab.report._style import (
    NEUTRAL,
    fmt_big,
    fmt_int,
    fmt_num,
    fmt_share,
    owner_colours,
    style_figure,
)

#: Short metric names for terminal columns (80 columns wide).
SHORT_LABELS = {"bf16": "BF16", "fp8": "FP8", "memory_bandwidth": "mem BW",
                "memory_capacity": "mem cap"}
METRIC_LABELS = {
    "bf16": "dense BF16",
    "fp8": "dense FP8",
    "memory_bandwidth": "memory bandwidth",
    "memory_capacity": "memory capacity",
}


def _n(v: float, digits: int = 0) -> str:
    return f"{v:,.{digits}f}"


def print_plan(r: PlanResult, console: Console) -> None:
    """The plan as rich tables on a terminal."""
    t = r.totals
    console.print(f"[bold]aifab plan: {r.scenario}[/bold]  {r.description}")

    cols = ("owner", "accelerator", "system", "count", "systems", "year", "IT MW", "")
    fleet = table(*cols, title="1. Fleet (* assumed: the public record is silent)",
                  right=("count", "systems", "IT MW"))
    for f in r.fleet:
        fleet.add_row(f.owner, f.accelerator, f.system, _n(f.count),
                      _n(f.systems, 1), str(f.delivery_year), _n(f.it_power_mw, 1),
                      "*" if f.assumed else "")
    console.print(fit(fleet), crop=False)

    labels = tuple(SHORT_LABELS[m] for m in METRICS)
    cap = table("owner", "GPUs", "NPUs", *labels, right=("GPUs", "NPUs", *labels),
                title="2. Capacity in H100-equivalents (H100 SXM = 1 on each metric: dense "
                      "BF16, dense FP8, memory bandwidth, memory capacity)")
    for s in [*r.owners, r.totals]:
        cap.add_row(s.name, _n(s.gpus), _n(s.npus),
                    *(_n(s.h100_equivalents[m]) for m in METRICS))
    console.print(fit(cap), crop=False)

    nums = ("IT MW", "facility MW", "TWh/yr", "bn KRW/yr", "M USD/yr", "Mt CO2/yr")
    pw = table("owner", *nums, right=nums, title="3. Power and energy (cost and CO2 per year)")
    for s in [*r.owners, r.totals]:
        pw.add_row(s.name, _n(s.it_power_mw, 1), _n(s.facility_power_mw, 1),
                   _n(s.annual_energy_twh, 2), _n(s.annual_cost_krw / 1e9),
                   _n(s.annual_cost_usd / 1e6), _n(s.annual_co2_mt, 2))
    console.print(fit(pw), crop=False)

    cmp_ = table("region", "consumption TWh", "year", "share", "source", wrap=("source",),
                 right=("consumption TWh", "share"),
                 title=f"4. Annual energy ({t.annual_energy_twh:.2f} TWh) compared")
    for c in r.comparisons:
        cmp_.add_row(c.region, _n(c.consumption_twh, 2), str(c.year), f"{c.share:.1%}", c.source)
    console.print(fit(cmp_), crop=False)

    peers = table("fleet", "accelerator", "count", "year", "rank by count",
                  wrap=("fleet", "accelerator"), right=("count", "rank by count"),
                  title="   Peers (rank 1 = largest)")
    ranks = table("fleet", *labels, right=labels, wrap=("fleet",),
                  title="   Peers in H100-equivalents (rank)")
    for p in r.peers:
        name = p.name + (" (assumed)" if p.assumed else "")
        peers.add_row(name, p.accelerator.replace("+", " + "), _n(p.count), str(p.year),
                      str(p.rank_by_count))
        ranks.add_row(name, *(f"{_n(p.h100_equivalents[m])} ({p.ranks[m]})" for m in METRICS))
    console.print(fit(peers), crop=False)
    console.print(fit(ranks), crop=False)

    if r.output:
        outs = ("T tokens", "405B runs", "T tokens/GW", "405B runs/GW")
        out = table("owner", *outs, right=outs,
                    title="   AI factory output (per year; per GW of facility power)")
        for row in r.output:
            out.add_row(row.owner, _n(row.tokens_per_year / 1e12),
                        _n(row.training_runs_per_year, 1),
                        _n(row.tokens_per_year_per_gw / 1e12),
                        _n(row.training_runs_per_year_per_gw, 1))
        console.print(fit(out), crop=False)
        console.print(f"   [dim]{r.output[-1].reference}[/dim]")

    if r.staffing:  # reliability: repair workload and people per owner (aifab.reliability)
        ppl_cols = ("fail/d", "swaps/d", "work h/d", "repair", "on shift", "tech FTE",
                    "ops FTE")
        ppl = table("owner", *ppl_cols, right=ppl_cols,
                    title="   People per owner campus (estimate, from the repair workload: "
                          "hands-on hours a day, share in repair, technicians on shift)")
        for st in r.staffing:
            ppl.add_row(st.owner, _n(st.failures_per_day, 1),
                        _n(st.hardware_swaps_per_day, 1), _n(st.hands_on_h_per_day),
                        f"{st.in_repair_share:.1%}", _n(st.technicians_on_shift),
                        _n(st.technicians_fte), _n(st.operators_fte))
        console.print(fit(ppl), crop=False)
        console.print(f"   [dim]{r.staffing[-1].basis}[/dim]")

    asm = table("parameter", "value", "unit", "source", wrap=("parameter", "unit", "source"),
                title="5. Assumptions")
    for a in r.assumptions:
        asm.add_row(a.parameter, str(a.value), a.unit, a.source)
    console.print(fit(asm), crop=False)


def plan_summary(r: PlanResult, catalog: Catalog | None = None) -> Items:
    """The plan's headline figures for the summary strip (label, formatted value)."""
    t = r.totals
    cat = catalog or default_catalog()
    npus = sum(f.count for f in r.fleet if accelerator_kind(cat, f.accelerator) == "npu")
    items: list[tuple[str, str]] = [
        ("GPUs", fmt_int(t.accelerators - npus)),
        *([("NPUs", fmt_int(npus)), ("NPU share of accelerators",
                                      fmt_share(npus / t.accelerators))] if npus else []),
        ("IT power (MW)", fmt_num(t.it_power_mw, 0)),
        ("facility power (MW)", fmt_num(t.facility_power_mw, 0)),
        ("energy (TWh/year)", fmt_num(t.annual_energy_twh, 2)),
        ("electricity cost (KRW/year)", fmt_big(t.annual_cost_krw)),
        ("CO2 (Mt/year)", fmt_num(t.annual_co2_mt, 2)),
    ]
    items += [(f"share of {c.region}'s electricity", fmt_share(c.share)) for c in r.comparisons[:1]]
    return tuple(items)


def plan_context(r: PlanResult) -> Items:
    """The plan's run context: scenario, delivery years and the facility/price assumptions."""
    years = sorted({f.delivery_year for f in r.fleet})
    span = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    items: list[tuple[str, str]] = [("scenario", r.scenario), ("deliveries", span)]
    for a in r.assumptions[:5]:
        unit = f" {a.unit}" if a.unit else ""
        value = fmt_num(a.value) if isinstance(a.value, (int, float)) else str(a.value)
        items.append((a.parameter, value + unit))
    return tuple(items)


def accelerator_kind(cat: Catalog, accelerator: str) -> str:
    """"gpu" or "npu" for a catalogue accelerator id ("gpu" when the id is unknown)."""
    acc = cat.accelerators.get(accelerator)
    return "gpu" if acc is None else str(acc.kind)


def plan_figures(r: PlanResult) -> dict[str, go.Figure]:
    """The plan's charts keyed by div id; owners in their one colour (``_style``)."""
    owners = [s.name for s in r.owners]
    col = owner_colours(owners)
    colours = [col[o] for o in owners]

    power = go.Figure([
        go.Bar(name="IT power", x=owners, y=[s.it_power_mw for s in r.owners],
               marker={"color": colours, "pattern": {"shape": "/", "fgcolor": "white"}},
               hovertemplate="%{x}: %{y:,.0f} MW IT<extra></extra>"),
        go.Bar(name="facility power (IT x PUE)", x=owners,
               y=[s.facility_power_mw for s in r.owners], marker={"color": colours},
               hovertemplate="%{x}: %{y:,.0f} MW facility<extra></extra>"),
    ])
    power.update_layout(barmode="group", yaxis_title="MW", yaxis_tickformat=",",
                        legend={"title": {"text": "hatched: IT; solid: facility"}})
    style_figure(power, title="Power by owner (MW)", height=380)
    energy = go.Figure(go.Bar(
        x=owners, y=[s.annual_energy_twh for s in r.owners], marker={"color": colours},
        text=[fmt_num(s.annual_energy_twh, 2) for s in r.owners],
        hovertemplate="%{x}: %{y:.2f} TWh/year<extra></extra>"))
    energy.update_layout(yaxis_title="TWh/year", showlegend=False)
    style_figure(energy, title="Annual energy by owner (TWh)", height=340)
    patterns = ["", "/", "x", "."]
    h100e = go.Figure([
        go.Bar(name=METRIC_LABELS[m], x=owners, y=[s.h100_equivalents[m] for s in r.owners],
               marker={"color": colours, "pattern": {"shape": patterns[i % len(patterns)],
                                                     "fgcolor": "white"}},
               hovertemplate="%{x}: %{y:,.0f} H100e (" + METRIC_LABELS[m] + ")<extra></extra>")
        for i, m in enumerate(METRICS)
    ])
    h100e.update_layout(barmode="group", yaxis_title="H100-equivalents", yaxis_tickformat=",",
                        legend={"title": {"text": "metric (pattern)"}})
    style_figure(h100e, title="H100-equivalents by metric", height=400)
    pnames = [p.name for p in r.peers]
    peers = go.Figure([
        go.Bar(name="accelerators", x=pnames, y=[p.count for p in r.peers],
               marker={"color": NEUTRAL}),
        *(go.Bar(name=f"H100e {METRIC_LABELS[m]}", x=pnames,
                 y=[p.h100_equivalents[m] for p in r.peers],
                 marker={"color": c}) for m, c in (("bf16", "#88CCEE"),
                                                   ("memory_capacity", "#DDCC77"))),
    ])
    peers.update_layout(barmode="group", yaxis_tickformat=",")
    style_figure(peers, title="Peers: count and H100-equivalents", height=420)
    by_year = pd.DataFrame(r.by_year)
    growth = go.Figure([
        go.Scatter(name=str(o), x=g["year"], y=g["facility_mw"], stackgroup="one",
                   mode="lines", line={"color": col.get(str(o), NEUTRAL)},
                   hovertemplate=f"{o} %{{x}}: %{{y:,.0f}} MW<extra></extra>")
        for o, g in by_year.groupby("owner", sort=False)
    ])
    growth.update_layout(xaxis={"dtick": 1, "tickformat": "d", "title": "year"},
                         yaxis={"title": "MW", "tickformat": ","})
    style_figure(growth, title="Installed facility power by year (MW, cumulative)", height=360)
    figs = {"power": power, "energy": energy, "growth": growth, "h100e": h100e,
            "peers": peers}
    if r.output:
        out = [o for o in r.output if o.owner in col]
        tok = go.Figure(go.Bar(
            x=[o.owner for o in out], y=[o.tokens_per_year / 1e12 for o in out],
            marker={"color": [col[o.owner] for o in out]},
            hovertemplate="%{x}: %{y:,.0f} T tokens/year<extra></extra>"))
        tok.update_layout(yaxis_title="trillion tokens/year", showlegend=False)
        style_figure(tok, title="AI factory output: inference tokens per year", height=340)
        figs["output"] = tok
    return figs


def plan_sections(r: PlanResult, catalog: Catalog | None = None) -> list[Section]:
    """HTML sections (tables and plotly charts) for a plan result."""
    figs = plan_figures(r)
    t = r.totals
    headline = (
        f"<p><b>{fmt_int(t.accelerators)}</b> accelerators (<b>{fmt_int(t.gpus)}</b> GPUs, "
        f"<b>{fmt_int(t.npus)}</b> NPUs); IT power "
        f"<b>{fmt_num(t.it_power_mw, 0)} MW</b>, facility power "
        f"<b>{fmt_num(t.facility_power_mw, 0)} MW</b>; "
        f"<b>{fmt_num(t.annual_energy_twh, 2)} TWh</b> a year "
        + ", ".join(f"{fmt_share(c.share)} of {html.escape(c.region)}" for c in r.comparisons)
        + "</p>"
    )
    cat = catalog or default_catalog()
    fleet_tbl = pd.DataFrame([{
        "owner": f.owner, "accelerator": f.accelerator_name,
        "kind": accelerator_kind(cat, f.accelerator).upper(), "system": f.system_name,
        "count": f.count, "year": f.delivery_year, "IT MW": f.it_power_mw,
        "facility MW": f.facility_power_mw, "assumed": f.assumed,
        "note": f.note} for f in r.fleet])
    owners_tbl = pd.DataFrame([{
        "owner": s.name, "GPUs": s.gpus, "NPUs": s.npus, "IT MW": s.it_power_mw,
        "facility MW": s.facility_power_mw, "TWh/yr": s.annual_energy_twh,
        "bn KRW/yr": s.annual_cost_krw / 1e9, "M USD/yr": s.annual_cost_usd / 1e6,
        "Mt CO2/yr": s.annual_co2_mt,
        **{f"H100e {METRIC_LABELS[m]}": round(s.h100_equivalents[m]) for m in METRICS},
    } for s in [*r.owners, r.totals]])
    cmp_tbl = pd.DataFrame([{
        "region": c.region, "TWh": c.consumption_twh, "year": c.year,
        "fleet share": c.share, "source": c.source} for c in r.comparisons])
    peers_tbl = pd.DataFrame([{
        "fleet": p.name + (" (assumed)" if p.assumed else ""), "accelerator": p.accelerator,
        "count": p.count, "year": f"{p.year} {p.status}".strip(),
        "rank (count)": p.rank_by_count,
        **{f"H100e {METRIC_LABELS[m]} (rank)": f"{fmt_int(p.h100_equivalents[m])} ({p.ranks[m]})"
           for m in METRICS},
        "source": p.source} for p in r.peers])
    out_html = ""
    if r.output:
        out_tbl = pd.DataFrame([{
            "owner": o.owner, "T tokens/yr": o.tokens_per_year / 1e12,
            "405B runs/yr": o.training_runs_per_year,
            "T tokens/yr per GW": o.tokens_per_year_per_gw / 1e12,
            "405B runs/yr per GW": o.training_runs_per_year_per_gw} for o in r.output])
        ref = html.escape(r.output[-1].reference)
        out_html = (figure_html(figs["output"], "output-tokens") + table_html(out_tbl)
                    + f'<p class="note">{ref}</p>')
    asm = pd.DataFrame([{"parameter": a.parameter,
                         "value": fmt_num(a.value) if isinstance(a.value, (int, float))
                         and not isinstance(a.value, bool) else str(a.value),
                         "unit": a.unit, "source": a.source} for a in r.assumptions])
    return [
        Section("Fleet", headline + table_html(fleet_tbl), "fleet",
                summary=plan_summary(r, catalog), context=plan_context(r)),
        Section("Power and energy", figure_html(figs["power"], "power")
                + figure_html(figs["energy"], "energy") + figure_html(figs["growth"], "growth")
                + table_html(owners_tbl), "power"),
        Section("Capacity (H100-equivalents)", figure_html(figs["h100e"], "h100e"), "capacity"),
        Section("Comparisons and peers", table_html(cmp_tbl)
                + figure_html(figs["peers"], "peers") + table_html(peers_tbl), "peers"),
        *([Section("AI factory output", out_html, "output")] if out_html else []),
        *([Section("People (estimate)", table_html(pd.DataFrame(
            [{"owner": s.owner, "failures/day": round(s.failures_per_day, 1),
              "swaps/day": round(s.hardware_swaps_per_day, 1),
              "in repair": s.in_repair_share, "techs/shift": s.technicians_on_shift,
              "tech FTE": round(s.technicians_fte), "operator FTE": round(s.operators_fte)}
             for s in r.staffing]))
                   + f'<p class="note">{html.escape(r.staffing[-1].basis)}</p>', "people")]
          if r.staffing else []),
        Section("Assumptions", table_html(asm), "assumptions"),
    ]


def plan_html(r: PlanResult) -> str:
    """The full self-contained plan report."""
    return render_html(f"aifab plan: {r.scenario}", plan_sections(r), r.description)
