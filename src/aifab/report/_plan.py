"""The plan report: terminal tables and the HTML sections with charts."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from rich.console import Console

from aifab._terminal import fit, table
from aifab.plan import PlanResult
from aifab.power import METRICS
from aifab.report._html import Section, figure_html, render_html, table_html

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
    cap = table("owner", "accelerators", *labels, right=("accelerators", *labels),
                title="2. Capacity in H100-equivalents (H100 SXM = 1 on each metric: dense "
                      "BF16, dense FP8, memory bandwidth, memory capacity)")
    for s in [*r.owners, r.totals]:
        cap.add_row(s.name, _n(s.accelerators), *(_n(s.h100_equivalents[m]) for m in METRICS))
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
            out.add_row(row["owner"], _n(row["tokens_per_year"] / 1e12),
                        _n(row["training_runs_per_year"], 1),
                        _n(row["tokens_per_year_per_gw"] / 1e12),
                        _n(row["training_runs_per_year_per_gw"], 1))
        console.print(fit(out), crop=False)
        console.print(f"   [dim]{r.output[-1]['reference']}[/dim]")

    asm = table("parameter", "value", "unit", "source", wrap=("parameter", "unit", "source"),
                title="5. Assumptions")
    for a in r.assumptions:
        asm.add_row(a.parameter, str(a.value), a.unit, a.source)
    console.print(fit(asm), crop=False)


def plan_sections(r: PlanResult) -> list[Section]:
    """HTML sections (tables and plotly charts) for a plan result."""
    owners = [s.name for s in r.owners]

    power = go.Figure([
        go.Bar(name="IT MW", x=owners, y=[s.it_power_mw for s in r.owners]),
        go.Bar(name="facility MW", x=owners, y=[s.facility_power_mw for s in r.owners]),
    ])
    power.update_layout(barmode="group", title="Power by owner (MW)", height=380)
    energy = go.Figure(go.Bar(x=owners, y=[s.annual_energy_twh for s in r.owners],
                              text=[f"{s.annual_energy_twh:.2f}" for s in r.owners]))
    energy.update_layout(title="Annual energy by owner (TWh)", height=340)
    h100e = go.Figure([
        go.Bar(name=METRIC_LABELS[m], x=owners, y=[s.h100_equivalents[m] for s in r.owners])
        for m in METRICS
    ])
    h100e.update_layout(barmode="group", title="H100-equivalents by metric", height=400)
    peers = go.Figure([
        go.Bar(name="accelerators", x=[p.name for p in r.peers], y=[p.count for p in r.peers]),
        *(go.Bar(name=f"H100e {METRIC_LABELS[m]}", x=[p.name for p in r.peers],
                 y=[p.h100_equivalents[m] for p in r.peers]) for m in ("bf16", "memory_capacity")),
    ])
    peers.update_layout(barmode="group", title="Peers: count and H100-equivalents", height=420)
    by_year = pd.DataFrame(r.by_year)
    growth = go.Figure([
        go.Scatter(name=o, x=g["year"], y=g["facility_mw"], stackgroup="one", mode="lines")
        for o, g in by_year.groupby("owner", sort=False)
    ])
    growth.update_layout(title="Installed facility power by year (MW, cumulative)", height=360,
                         xaxis={"dtick": 1, "tickformat": "d"})

    t = r.totals
    headline = (
        f"<p><b>{t.accelerators:,}</b> accelerators; IT power <b>{t.it_power_mw:,.0f} MW</b>, "
        f"facility power <b>{t.facility_power_mw:,.0f} MW</b>; "
        f"<b>{t.annual_energy_twh:.2f} TWh</b> a year "
        + ", ".join(f"{c.share:.1%} of {html.escape(c.region)}" for c in r.comparisons)
        + "</p>"
    )
    fleet_tbl = pd.DataFrame([{
        "owner": f.owner, "accelerator": f.accelerator_name, "system": f.system_name,
        "count": f"{f.count:,}", "year": f.delivery_year, "IT MW": f.it_power_mw,
        "facility MW": f.facility_power_mw, "assumed": "assumed" if f.assumed else "",
        "note": f.note} for f in r.fleet])
    owners_tbl = pd.DataFrame([{
        "owner": s.name, "accelerators": f"{s.accelerators:,}", "IT MW": s.it_power_mw,
        "facility MW": s.facility_power_mw, "TWh/yr": s.annual_energy_twh,
        "bn KRW/yr": s.annual_cost_krw / 1e9, "M USD/yr": s.annual_cost_usd / 1e6,
        "Mt CO2/yr": s.annual_co2_mt,
        **{f"H100e {METRIC_LABELS[m]}": f"{s.h100_equivalents[m]:,.0f}" for m in METRICS},
    } for s in [*r.owners, r.totals]])
    cmp_tbl = pd.DataFrame([{
        "region": c.region, "TWh": c.consumption_twh, "year": c.year,
        "fleet share": f"{c.share:.1%}", "source": c.source} for c in r.comparisons])
    peers_tbl = pd.DataFrame([{
        "fleet": p.name, "accelerator": p.accelerator, "count": f"{p.count:,}", "year": p.year,
        "status": p.status, "assumed": "assumed" if p.assumed else "",
        "rank (count)": p.rank_by_count,
        **{f"H100e {METRIC_LABELS[m]} (rank)": f"{p.h100_equivalents[m]:,.0f} ({p.ranks[m]})"
           for m in METRICS},
        "source": p.source} for p in r.peers])
    out_html = ""
    if r.output:
        out_tbl = pd.DataFrame([{
            "owner": o["owner"], "T tokens/yr": o["tokens_per_year"] / 1e12,
            "405B runs/yr": o["training_runs_per_year"],
            "T tokens/yr per GW": o["tokens_per_year_per_gw"] / 1e12,
            "405B runs/yr per GW": o["training_runs_per_year_per_gw"]} for o in r.output])
        ref = html.escape(r.output[-1]["reference"])
        out_html = table_html(out_tbl) + f'<p class="note">{ref}</p>'
    return [
        Section("Fleet", headline + table_html(fleet_tbl), "fleet"),
        Section("Power and energy", figure_html(power, "power") + figure_html(energy, "energy")
                + figure_html(growth, "growth") + table_html(owners_tbl), "power"),
        Section("Capacity (H100-equivalents)", figure_html(h100e, "h100e"), "capacity"),
        Section("Comparisons and peers", table_html(cmp_tbl)
                + figure_html(peers, "peers") + table_html(peers_tbl), "peers"),
        *([Section("AI factory output", out_html, "output")] if out_html else []),
        Section("Assumptions", table_html(pd.DataFrame(
            [{"parameter": a.parameter, "value": a.value, "unit": a.unit, "source": a.source}
             for a in r.assumptions])), "assumptions"),
    ]


def plan_html(r: PlanResult) -> str:
    """The full self-contained plan report."""
    return render_html(f"aifab plan: {r.scenario}", plan_sections(r), r.description)
