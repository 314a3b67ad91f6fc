"""The national twin's look: HTML sections, terminal tables and the ``--out`` files of
``aifab simulate`` (Parquet tables, JSON summary, a report)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from rich.console import Console
from rich.table import Table

from aifab._terminal import fit, table
from aifab.report._bundle import write_page
from aifab.report._html import Items, Section, figure_html, render_html, table_html
from aifab.report._style import (
    NEUTRAL,
    SERIES_COLOURS,
    fmt_big,
    fmt_int,
    fmt_mapping,
    fmt_num,
    fmt_share,
    label,
    owner_colours,
    style_figure,
)
from aifab.sim.national import RunSummary, SimResult, report_file

#: The three causes of unallocated accelerators (colours: ``_style.SERIES_COLOURS``).
_CAUSES = ("stranded_power", "stranded_fragmentation", "stranded_idle")
CAUSES = _CAUSES
"""The stranded-capacity causes, in stacking order (report and dashboard draw the same)."""
#: The row that makes the tenants' preemptions add up to the run's total.
WARMUP_ROW = "jobs submitted in the warm-up"


def write_sim_outputs(result: SimResult, tmp: Path) -> None:
    """Write each table as Parquet, the summary as JSON and the report (loading the
    folder's ``plotly-<version>.min.js``)."""
    s = result.summary
    result.write(tmp)  # the run folder's names: aifab.sim.national._runfolder
    write_page(report_file(tmp),
               render_html(f"aifab simulate: {s.scenario}", sim_sections(result),
                           subtitle=f"policy {s.policy}, seed {s.seed}, "
                                    f"{fmt_num(s.days)} days, scale {fmt_num(s.scale)}"))


def sim_sections(result: SimResult, owners: Sequence[str] | None = None) -> list[Section]:
    """The "National simulation" HTML sections: a summary strip and the run context, charts
    over time and tenant tables. ``owners`` (the scenario's, in order) fixes each owner's
    colour as in the other sections; by default the tenants' owners in their order."""
    s, frames = result.summary, result.to_frames()
    secs = _sections(s, frames, owners)
    if secs:
        secs[0] = replace(secs[0], summary=sim_summary(s), context=sim_context(s))
    return secs


def sim_summary(s: RunSummary) -> Items:
    """The run's headline figures for the summary strip (label, formatted value)."""
    return (("GPUs", fmt_int(s.fleet.gpus)),
            *((("NPUs", fmt_int(s.fleet.npus)),) if s.fleet.npus else ()),
            ("utilisation (allocated)", fmt_share(s.utilization)),
            ("unallocated: no power", fmt_share(s.stranded.power)),
            ("mean facility power (MW)", fmt_num(s.mean_power_mw, 0)),
            ("tokens served", fmt_big(s.tokens_served)))


def sim_context(s: RunSummary) -> Items:
    """The run's context: days, policy, seed, scale and the warm-up left out (why the day
    axis of the charts does not start at 0)."""
    items: list[tuple[str, str]] = [
        ("simulated days", fmt_num(s.days)), ("queue policy", s.policy),
        ("seed", str(s.seed)), ("scale", f"{fmt_share(s.scale, 0)} of the fleet")]
    warm = s.warmup_days
    if warm is not None:
        items.append(("warm-up", f"{fmt_num(warm)} days, left out; the day axis starts there"))
    return tuple(items)


def preemption_rows(s: RunSummary) -> list[tuple[str, int]]:
    """Preemptions per tenant, then those of jobs submitted during the warm-up (the tenant
    rows count only jobs submitted after it, the total every requeue after it), so the
    rows add up to ``s.jobs.preemptions``."""
    rows = [(t.tenant, t.preemptions) for t in s.tenants]
    rest = s.jobs.preemptions - sum(n for _, n in rows)
    return [*rows, (WARMUP_ROW, rest)] if rest else rows


def _h(v: Any) -> str:
    return fmt_num(v, 2) if v == v and v is not None else "-"


def print_sim(result: SimResult, c: Console) -> None:
    """The run's headline table and the tenants table on a terminal."""
    s = result.summary
    st, fl, jobs, warm = s.stranded, s.fleet, s.jobs, s.warmup_days
    t = Table("metric", "value", title=f"National twin: {s.scenario} "
              f"({fmt_num(s.days)} days after a {fmt_num(warm)}-day warm-up, "
              f"{s.policy})" if warm is not None else
              f"National twin: {s.scenario} ({fmt_num(s.days)} days, {s.policy})",
              title_justify="left")
    rows = [("accelerators", f"{fmt_int(fl.accelerators)} ({fmt_int(fl.gpus)} GPUs, "
                             f"{fmt_int(fl.npus)} NPUs)"),
            ("utilisation", fmt_share(s.utilization)),
            ("unallocated: no power / fragmentation / no demand",
             f"{fmt_share(st.power)} / {fmt_share(st.fragmentation)} / "
             f"{fmt_share(st.idle)}"),
            ("energy", f"{fmt_num(s.energy_mwh, 0)} MWh "
                       f"(mean {fmt_num(s.mean_power_mw, 0)} MW)"),
            ("tokens served", f"{fmt_big(s.tokens_served)} "
             f"(NPU share {fmt_share(s.inference.npu_share)})"),
            ("training runs completed", fmt_int(s.training_runs_completed)),
            ("jobs completed / preemptions",
             f"{fmt_int(jobs.completed)} / {fmt_int(jobs.preemptions)}"),
            ("events", f"{fmt_int(s.events.total)} in {fmt_num(s.wall_s, 1)} s")]
    for k, v in rows:
        t.add_row(k, v)
    c.print(t)
    nums = ("wait p50 h", "p95 h", "p99 h", "share", "preempt")
    tt = table("tenant", "kind", *nums, right=nums, wrap=("tenant",),
               title="Tenants (share: of entitlement; preempt: preemptions)")
    pre = dict(preemption_rows(s))
    for r in s.tenants:
        tt.add_row(r.tenant, r.kind, *(_h(v) for v in (r.wait_p50_h, r.wait_p95_h,
                                                         r.wait_p99_h)),
                   fmt_share(r.share_of_entitlement), fmt_int(r.preemptions))
    if WARMUP_ROW in pre:
        tt.add_row("(warm-up jobs)", "", "", "", "", "", fmt_int(pre[WARMUP_ROW]))
    tt.add_row("total", "", "", "", "", "", fmt_int(jobs.preemptions))
    c.print(fit(tt), crop=False)
    print_reliability(s, c)


def series_figure(df: pd.DataFrame, cols: list[str], title: str, ytitle: str,
                  stack: bool = False) -> go.Figure:
    """Time series of a twin's ``timeseries`` columns over the simulated day, each series in
    its one colour (``SERIES_COLOURS``); the report and the dashboard both draw with it."""
    fig = go.Figure()
    for c in cols:
        if c not in df:
            continue
        fig.add_trace(go.Scatter(x=df["t_h"] / 24.0, y=df[c], name=label(c), mode="lines",
                                 stackgroup="s" if stack else None,
                                 line={"color": SERIES_COLOURS.get(c, NEUTRAL)}))
    fig.update_layout(xaxis_title="day (from the start, warm-up included)", yaxis_title=ytitle,
                      yaxis_rangemode="nonnegative", yaxis_tickformat=",",
                      showlegend=len(cols) > 1)
    return style_figure(fig, title=title, height=340)


def _head_table(s: RunSummary) -> pd.DataFrame:
    fl, st, jobs = s.fleet, s.stranded, s.jobs
    jain = s.fairness.jain_public
    causes = jobs.preemptions_by_cause
    rows = [
        ("accelerators", fmt_int(fl.accelerators)),
        ("GPUs", fmt_int(fl.gpus)),
        ("NPUs", fmt_int(fl.npus)),
        ("utilisation (allocated)", fmt_share(s.utilization)),
        ("unallocated: no power", fmt_share(st.power)),
        ("unallocated: fragmentation", fmt_share(st.fragmentation)),
        ("unallocated: no demand", fmt_share(st.idle)),
        ("energy (MWh)", fmt_num(s.energy_mwh, 0)),
        ("mean facility power (MW)", fmt_num(s.mean_power_mw, 0)),
        ("tokens served", fmt_big(s.tokens_served)),
        ("NPU share of tokens", fmt_share(s.inference.npu_share)),
        ("training runs completed", fmt_int(s.training_runs_completed)),
        ("jobs completed", fmt_int(jobs.completed)),
        ("preemptions", fmt_int(jobs.preemptions)
         + (f" (by cause, at eviction: {fmt_mapping(causes, fmt_int)})" if causes else "")),
        ("gang topology misses (share)", fmt_share(jobs.topology_miss_share)),
        ("Jain fairness (public tenants)", fmt_num(jain, 3)),
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])


def _tenant_table(s: RunSummary, tenants: pd.DataFrame) -> pd.DataFrame:
    """Tenants' waits and shares (numbers stay numbers: the table formats them), then the
    rows that make the preemptions column add up to the run's total."""
    cols = ["tenant", "kind", "quota", "jobs_completed", "wait_p50_h", "wait_p95_h",
            "wait_p99_h", "jct_p50_h", "share_of_entitlement"]
    out = tenants[cols].rename(columns={"quota": "quota_share"})
    pre = preemption_rows(s)
    out["preemptions"] = [n for _, n in pre[:len(out)]]
    extra = pd.DataFrame([{"tenant": n, "kind": "", "preemptions": v} for n, v in
                          [*pre[len(out):], ("total", s.jobs.preemptions)]])
    return pd.concat([out, extra], ignore_index=True)


def _tenant_figures(tenants: pd.DataFrame, owners: Sequence[str] | None
                    ) -> tuple[go.Figure, go.Figure]:
    col = owner_colours([*(owners or ()), *map(str, tenants["owner"])])
    colours = [col.get(str(o), NEUTRAL) for o in tenants["owner"]]
    share = go.Figure(go.Bar(x=tenants["tenant"], y=tenants["share_of_entitlement"],
                             marker={"color": colours},
                             hovertemplate="%{x}: %{y:.0%}<extra></extra>"))
    share.add_hline(y=1.0, line={"dash": "dot", "color": NEUTRAL},
                    annotation_text="entitlement")
    share.update_layout(yaxis_tickformat=".0%", yaxis_title="received / entitled",
                        yaxis_rangemode="nonnegative", showlegend=False)
    style_figure(share, title="Accelerator-hours received / entitlement", height=320)
    waits = go.Figure([
        go.Bar(x=tenants["tenant"], y=tenants[c], name=label(c),
               marker={"color": colours, "pattern": {"shape": p, "fgcolor": "white"}})
        for c, p in (("wait_p50_h", ""), ("wait_p95_h", "/"), ("wait_p99_h", "x"))])
    waits.update_layout(barmode="group", yaxis_title="hours", yaxis_rangemode="nonnegative",
                        legend={"title": {"text": "bar pattern; colour: owner"}})
    style_figure(waits, title="Queue wait (hours)", height=320)
    return share, waits


def _sections(s: RunSummary, frames: dict[str, pd.DataFrame],
              owners: Sequence[str] | None = None) -> list[Section]:
    ts = frames["timeseries"]
    tenants = frames["tenants"]
    figs = [
        series_figure(ts, ["allocated", "busy", "inference"], "Accelerators", "accelerators"),
        series_figure(ts, ["power_mw"], "Facility power", "MW"),
        series_figure(ts, ["queued_owner", "queued_public"], "Queued jobs", "jobs"),
        series_figure(ts, list(_CAUSES), "Unallocated accelerators by cause", "accelerators",
              stack=True),
    ]
    share, waits = _tenant_figures(tenants, owners)
    warm = s.warmup_days
    note = (f'<p class="note">The first {html.escape(fmt_num(warm))} simulated days are a '
            "warm-up, left out of every figure and table: the day axis starts there.</p>"
            if warm else "")
    body = table_html(_head_table(s)) + note
    body += "".join(figure_html(f, f"nat-ts-{i}") for i, f in enumerate(figs))
    pre_note = ('<p class="note">Tenant rows count jobs submitted after the warm-up; '
                f"preemptions after it of jobs submitted during it are in "
                f"&ldquo;{WARMUP_ROW}&rdquo;, so the column adds up to the total.</p>"
                if len(preemption_rows(s)) > len(tenants) else "")
    tenant_body = (table_html(_tenant_table(s, tenants)) + pre_note
                   + table_html(frames["classes"])
                   + figure_html(share, "nat-share") + figure_html(waits, "nat-waits"))
    return [Section("National simulation", body, anchor="national"),
            Section("Tenants and fairness", tenant_body, anchor="national-tenants"),
            *flexibility_sections(s), *reliability_sections(s, frames)]


def flexibility_sections(s: RunSummary) -> list[Section]:
    """The "Curtailment response" section of a run with curtailment windows (else none)."""
    f = s.flexibility
    if f is None:
        return []
    head = pd.DataFrame([{"metric": k.replace("_", " "), "value": float(getattr(f, k))}
                         for k in ("windows", "windows_met", "requested_mwh", "jobs_delayed",
                                   "accelerator_h_paused", "replicas_moved", "replicas_shed",
                                   "inference_unmet_tokens")])
    body = table_html(head, floatfmt="{:,.1f}")
    if f.by_window:
        body += table_html(pd.DataFrame([asdict(w) for w in f.by_window]),
                           floatfmt="{:,.2f}")
    return [Section("Curtailment response", body, anchor="national-flexibility")]


# -- failures, repairs and goodput (the twin's reliability block) -------------------------
def print_reliability(s: RunSummary, c: Console) -> None:
    """One table of what failures cost, when the run modelled them."""
    rel = s.reliability
    if rel is None:
        return
    t = Table("metric", "value", title="Failures and repairs", title_justify="left")
    for k, v in (("interruptions per day", f"{rel.interruptions_per_day:.2f}"),
                 ("goodput (useful / allocated)", fmt_share(rel.goodput)),
                 ("ETTR by class", fmt_mapping(rel.ettr, fmt_share)),
                 ("accelerator-hours lost (work + restart)",
                  f"{rel.lost_accelerator_hours:,.0f}"),
                 ("in repair (share of accelerators)", fmt_share(rel.in_repair_share, 2)),
                 ("hot spares swapped in (accelerators)", f"{rel.spares_used:,}"),
                 ("technicians busy (mean)", f"{rel.technicians_busy:.1f}")):
        t.add_row(k, v)
    c.print(t)


def reliability_sections(s: RunSummary,
                         frames: Mapping[str, pd.DataFrame]) -> list[Section]:
    """"Failures and repairs": interruptions per day by cause, ETTR per job class and
    tenant, accelerators in repair over time; none when failures were off."""
    rel = s.reliability
    if rel is None:
        return []
    head = pd.DataFrame([
        {"metric": "interruptions per day", "value": fmt_num(rel.interruptions_per_day, 2)},
        {"metric": "goodput (useful / allocated accelerator-hours)",
         "value": fmt_share(rel.goodput)},
        {"metric": "accelerator-hours lost to failures (work + restart)",
         "value": fmt_big(rel.lost_accelerator_hours)},
        {"metric": "share of accelerators in repair",
         "value": fmt_share(rel.in_repair_share, 2)},
        {"metric": "hot spares swapped in (accelerators)", "value": fmt_int(rel.spares_used)},
        {"metric": "technicians busy (mean)", "value": fmt_num(rel.technicians_busy, 1)},
        {"metric": "inference replicas lost to failures",
         "value": fmt_int(rel.replicas_removed)},
    ])
    daily = frames.get("reliability")
    figs: list[go.Figure] = []
    if daily is not None and len(daily):
        causes = [c for c in rel.by_cause if c in daily.columns]
        fig = go.Figure([go.Bar(x=daily["day"], y=daily[c], name=label(c),
                                marker_color=SERIES_COLOURS.get(c, NEUTRAL)) for c in causes])
        fig.update_layout(barmode="stack", xaxis_title="day", yaxis_title="interruptions")
        figs.append(style_figure(fig, title="Interruptions per day by cause", height=340))
        rep = go.Figure(go.Scatter(x=daily["day"], y=daily["in_repair"], mode="lines",
                                   name="accelerators in repair", line={"color": NEUTRAL}))
        rep.update_layout(xaxis_title="day", yaxis_title="accelerators")
        figs.append(style_figure(rep, title="Accelerators in repair (end of day)",
                                 height=320))
    else:
        fig = go.Figure(go.Bar(x=[label(c) for c in rel.by_cause],
                               y=list(rel.by_cause.values()),
                               marker_color=[SERIES_COLOURS.get(c, NEUTRAL)
                                             for c in rel.by_cause]))
        fig.update_layout(yaxis_title="interruptions per day")
        figs.append(style_figure(fig, title="Interruptions per day by cause", height=320))
    ettr = go.Figure(go.Bar(x=list(rel.ettr), y=list(rel.ettr.values()),
                            text=[fmt_share(v) for v in rel.ettr.values()]))
    ettr.update_layout(yaxis_title="ETTR", yaxis_tickformat=".0%")
    figs.append(style_figure(ettr, title="Effective training time ratio by job class",
                             height=320))
    by_tenant = rel.ettr_by_tenant
    if by_tenant:
        colours = owner_colours([t.owner for t in s.tenants])
        owner_of = {t.tenant: t.owner for t in s.tenants}
        tf = go.Figure(go.Bar(x=list(by_tenant), y=list(by_tenant.values()),
                              marker_color=[colours.get(owner_of.get(k, ""), NEUTRAL)
                                            for k in by_tenant]))
        tf.update_layout(yaxis_title="ETTR", yaxis_tickformat=".0%")
        figs.append(style_figure(tf, title="ETTR by tenant", height=320))
    body = table_html(head)
    body += "".join(figure_html(f, f"nat-rel-{i}") for i, f in enumerate(figs))
    return [Section("Failures and repairs", body, anchor="national-reliability",
                    summary=(("interruptions/day", fmt_num(rel.interruptions_per_day, 1)),
                             ("goodput", fmt_share(rel.goodput))))]
