"""The national twin's look: HTML sections, terminal tables and the ``--out`` files of
``aifab simulate`` (Parquet tables, JSON summary, a self-contained report)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from rich.console import Console
from rich.table import Table

from aifab._io import to_json, versioned, write_text
from aifab.report._html import Section, figure_html, render_html, table_html
from aifab.report._style import (
    NEUTRAL,
    fmt_big,
    fmt_int,
    fmt_mapping,
    fmt_num,
    fmt_share,
    owner_colours,
    style_figure,
)
from aifab.sim.national import SimResult


def write_sim_outputs(result: SimResult, tmp: Path) -> None:
    """Write each table as Parquet, the summary as JSON and a self-contained report."""
    doc = result.to_dict()
    frames = result.to_frames()
    for name, df in frames.items():
        df.to_parquet(tmp / f"{name}.parquet", index=False)
    write_text(tmp / "summary.json", to_json(versioned(doc)))
    write_text(tmp / "report.html",
               render_html(f"aifab simulate: {doc['scenario']}", _sections(doc, frames),
                           subtitle=f"policy {doc['policy']}, seed {doc['seed']}, "
                                    f"{doc['days']:g} days, scale {doc['scale']:g}"))


def sim_sections(result: SimResult) -> list[Section]:
    """The "National simulation" HTML section(s): charts over time and tenant tables."""
    return _sections(result.to_dict(), result.to_frames())


def print_sim(result: SimResult, c: Console) -> None:
    """The run's headline table and the tenants table on a terminal."""
    doc = result.to_dict()
    st = doc["stranded"]
    t = Table("metric", "value", title=f"National twin: {doc['scenario']} "
              f"({doc['days']:g} days, {doc['policy']})", title_justify="left")
    fl = doc["fleet"]
    rows = [("accelerators", f"{fl['accelerators']:,} ({fl['gpus']:,} GPUs, "
                             f"{fl['npus']:,} NPUs)"),
            ("utilisation", f"{doc['utilization']:.1%}"),
            ("stranded: power / fragmentation / no demand",
             f"{st['power']:.1%} / {st['fragmentation']:.1%} / {st['idle']:.1%}"),
            ("energy", f"{doc['energy_mwh']:,.0f} MWh (mean {doc['mean_power_mw']:,.0f} MW)"),
            ("tokens served", f"{doc['tokens_served']:.3g} "
             f"(NPU share {doc['inference']['npu_share']:.1%})"),
            ("training runs completed", str(doc["training_runs_completed"])),
            ("jobs completed / preemptions",
             f"{doc['jobs']['completed']:,} / {doc['jobs']['preemptions']:,}"),
            ("events", f"{doc['events']['total']:,} in {doc['wall_s']:.1f} s")]
    for k, v in rows:
        t.add_row(k, v)
    c.print(t)
    tt = Table("tenant", "kind", "wait p50 h", "p95 h", "p99 h", "share of entitlement",
               "preemptions", title="Tenants", title_justify="left")
    for r in doc["tenants"]:
        tt.add_row(r["tenant"], r["kind"], *(f"{r[k]:.2f}" if r[k] == r[k] else "-" for k in
                   ("wait_p50_h", "wait_p95_h", "wait_p99_h", "share_of_entitlement")),
                   str(r["preemptions"]))
    c.print(tt)
    print_reliability(doc, c)


def _line(df: pd.DataFrame, cols: list[str], title: str, ytitle: str,
          stack: bool = False) -> go.Figure:
    fig = go.Figure()
    for c in cols:
        fig.add_trace(go.Scatter(x=df["t_h"] / 24.0, y=df[c], name=c, mode="lines",
                                 stackgroup="s" if stack else None))
    fig.update_layout(title=title, xaxis_title="day", yaxis_title=ytitle, height=340,
                      margin={"l": 50, "r": 20, "t": 40, "b": 40})
    return fig


def _sections(doc: dict[str, Any], frames: dict[str, pd.DataFrame]) -> list[Section]:
    ts = frames["timeseries"]
    tenants = frames["tenants"]
    st = doc["stranded"]
    head = pd.DataFrame([
        {"metric": "accelerators", "value": float(doc["fleet"]["accelerators"])},
        {"metric": "GPUs", "value": float(doc["fleet"]["gpus"])},
        {"metric": "NPUs", "value": float(doc["fleet"]["npus"])},
        {"metric": "utilisation (allocated)", "value": doc["utilization"]},
        {"metric": "stranded: no power", "value": st["power"]},
        {"metric": "stranded: fragmentation", "value": st["fragmentation"]},
        {"metric": "stranded: no demand", "value": st["idle"]},
        {"metric": "energy (MWh)", "value": doc["energy_mwh"]},
        {"metric": "tokens served", "value": doc["tokens_served"]},
        {"metric": "NPU share of tokens", "value": doc["inference"]["npu_share"]},
        {"metric": "training runs completed", "value": float(doc["training_runs_completed"])},
        {"metric": "preemptions", "value": float(doc["jobs"]["preemptions"])},
        {"metric": "gang topology misses (share)", "value": doc["jobs"]["topology_miss_share"]},
        {"metric": "Jain fairness (public tenants)",
         "value": doc["fairness"]["jain_public"]
         if doc["fairness"]["jain_public"] is not None else math.nan},
    ])
    figs = [
        _line(ts, ["allocated", "busy", "inference"], "Accelerators", "accelerators"),
        _line(ts, ["power_mw"], "Facility power", "MW"),
        _line(ts, ["queued_owner", "queued_public"], "Queued jobs", "jobs"),
        _line(ts, ["stranded_power", "stranded_fragmentation", "stranded_idle"],
              "Unallocated accelerators by cause", "accelerators", stack=True),
    ]
    share = go.Figure(go.Bar(x=tenants["tenant"], y=tenants["share_of_entitlement"]))
    share.update_layout(title="Accelerator-hours received / entitlement", height=320,
                        margin={"l": 50, "r": 20, "t": 40, "b": 40})
    waits = go.Figure([go.Bar(x=tenants["tenant"], y=tenants[c], name=c)
                       for c in ("wait_p50_h", "wait_p95_h", "wait_p99_h")])
    waits.update_layout(title="Queue wait (hours)", barmode="group", height=320,
                        margin={"l": 50, "r": 20, "t": 40, "b": 40})
    body = table_html(head, floatfmt="{:,.3f}")
    body += "".join(figure_html(f, f"nat-ts-{i}") for i, f in enumerate(figs))
    cols = ["tenant", "kind", "quota", "jobs_completed", "wait_p50_h", "wait_p95_h",
            "wait_p99_h", "jct_p50_h", "share_of_entitlement", "preemptions"]
    tenant_body = (table_html(tenants[cols]) + table_html(frames["classes"])
                   + figure_html(share, "nat-share") + figure_html(waits, "nat-waits"))
    return [Section("National simulation", body, anchor="national"),
            Section("Tenants and fairness", tenant_body, anchor="national-tenants"),
            *reliability_sections(doc, frames)]


# -- failures, repairs and goodput (the twin's reliability block) -------------------------
def print_reliability(doc: dict[str, Any], c: Console) -> None:
    """One table of what failures cost, when the run modelled them."""
    rel = doc.get("reliability")
    if not rel:
        return
    t = Table("metric", "value", title="Failures and repairs", title_justify="left")
    for k, v in (("interruptions per day", f"{rel['interruptions_per_day']:.2f}"),
                 ("goodput (useful / allocated)", fmt_share(rel["goodput"])),
                 ("ETTR by class", fmt_mapping(rel["ettr"], fmt_share)),
                 ("accelerator-hours lost (work + restart)",
                  f"{rel['lost_accelerator_hours']:,.0f}"),
                 ("in repair (share of accelerators)", fmt_share(rel["in_repair_share"], 2)),
                 ("hot spares swapped in (accelerators)", f"{rel['spares_used']:,}"),
                 ("technicians busy (mean)", f"{rel['technicians_busy']:.1f}")):
        t.add_row(k, v)
    c.print(t)


def reliability_sections(doc: dict[str, Any],
                         frames: dict[str, pd.DataFrame]) -> list[Section]:
    """"Failures and repairs": interruptions per day by cause, ETTR per job class and
    tenant, accelerators in repair over time; none when failures were off."""
    rel = doc.get("reliability")
    if not rel:
        return []
    head = pd.DataFrame([
        {"metric": "interruptions per day", "value": fmt_num(rel["interruptions_per_day"], 2)},
        {"metric": "goodput (useful / allocated accelerator-hours)",
         "value": fmt_share(rel["goodput"])},
        {"metric": "accelerator-hours lost to failures (work + restart)",
         "value": fmt_big(rel["lost_accelerator_hours"])},
        {"metric": "share of accelerators in repair",
         "value": fmt_share(rel["in_repair_share"], 2)},
        {"metric": "hot spares swapped in (accelerators)", "value": fmt_int(rel["spares_used"])},
        {"metric": "technicians busy (mean)", "value": fmt_num(rel["technicians_busy"], 1)},
        {"metric": "inference replicas lost to failures", "value": fmt_int(
            rel.get("replicas_removed", 0))},
    ])
    daily = frames.get("reliability")
    figs: list[go.Figure] = []
    if daily is not None and len(daily):
        causes = [c for c in rel["by_cause"] if c in daily.columns]
        fig = go.Figure([go.Bar(x=daily["day"], y=daily[c], name=c) for c in causes])
        fig.update_layout(barmode="stack", xaxis_title="day", yaxis_title="interruptions")
        figs.append(style_figure(fig, title="Interruptions per day by cause", height=340))
        rep = go.Figure(go.Scatter(x=daily["day"], y=daily["in_repair"], mode="lines",
                                   name="in repair"))
        rep.update_layout(xaxis_title="day", yaxis_title="accelerators")
        figs.append(style_figure(rep, title="Accelerators in repair (end of day)",
                                 height=320))
    else:
        fig = go.Figure(go.Bar(x=list(rel["by_cause"]), y=list(rel["by_cause"].values())))
        fig.update_layout(yaxis_title="interruptions per day")
        figs.append(style_figure(fig, title="Interruptions per day by cause", height=320))
    ettr = go.Figure(go.Bar(x=list(rel["ettr"]), y=list(rel["ettr"].values()),
                            text=[fmt_share(v) for v in rel["ettr"].values()]))
    ettr.update_layout(yaxis_title="ETTR", yaxis_tickformat=".0%")
    figs.append(style_figure(ettr, title="Effective training time ratio by job class",
                             height=320))
    by_tenant = rel.get("ettr_by_tenant", {})
    if by_tenant:
        owners = [t["owner"] for t in doc.get("tenants", [])]
        colours = owner_colours(owners)
        owner_of = {t["tenant"]: t["owner"] for t in doc.get("tenants", [])}
        tf = go.Figure(go.Bar(x=list(by_tenant), y=list(by_tenant.values()),
                              marker_color=[colours.get(owner_of.get(k, ""), NEUTRAL)
                                            for k in by_tenant]))
        tf.update_layout(yaxis_title="ETTR", yaxis_tickformat=".0%")
        figs.append(style_figure(tf, title="ETTR by tenant", height=320))
    body = table_html(head)
    body += "".join(figure_html(f, f"nat-rel-{i}") for i, f in enumerate(figs))
    return [Section("Failures and repairs", body, anchor="national-reliability",
                    summary=(("interruptions/day", fmt_num(rel["interruptions_per_day"], 1)),
                             ("goodput", fmt_share(rel["goodput"]))))]
