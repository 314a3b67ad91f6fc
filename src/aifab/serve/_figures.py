"""Dashboard figures read from run folders: twin time series and tenants, sweeps, compare."""

from __future__ import annotations

import plotly.graph_objects as go

from aifab.report import (
    CAUSES,
    NEUTRAL,
    fmt_num,
    fmt_share,
    label,
    owner_colours,
    series_figure,
    style_figure,
)
from aifab.sim.national import RunSummary, SimResult

#: The tables of a twin run the Twin page draws.
TWIN_TABLES = ("timeseries", "tenants")


def twin_figures(res: SimResult) -> dict[str, go.Figure]:
    """Charts of a twin run (read with :data:`TWIN_TABLES`): accelerators, power, queues,
    stranded capacity by cause (stacked), tenants' waits and shares (owners in their
    colours)."""
    ts, ten = res.frames["timeseries"], res.frames["tenants"]
    figs: dict[str, go.Figure] = {
        "twin-acc": series_figure(ts, ["allocated", "busy", "inference"],
                                  "Accelerators in use", "accelerators"),
        "twin-power": series_figure(ts, ["power_mw"], "Facility power", "MW"),
        "twin-stranded": series_figure(ts, list(CAUSES), "Unallocated accelerators by cause",
                                       "accelerators", stack=True),
    }
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


def twin_context(res: SimResult, lang: str = "en") -> str:
    """One line of run context: days, policy, seed, scale and the warm-up that explains
    why the day axis does not start at 0 (``warmup_days`` from the summary when present,
    else the time before the first sample, less one sampling interval)."""
    doc = res.summary
    warm = doc.warmup_days
    first = None
    ts = res.frames["timeseries"]["t_h"]
    if len(ts):
        first = float(ts.iloc[0]) / 24.0
        if warm is None and len(ts) > 1:
            warm = max(0.0, (float(ts.iloc[0]) - float(ts.iloc[1] - ts.iloc[0])) / 24.0)
    if lang == "ko":
        from aifab.serve._i18n import t

        text = (f"시뮬레이션 {fmt_num(doc.days)}일, 대기열 정책 {t(doc.policy, 'ko')}, "
                f"시드 {doc.seed}, 보유 가속기의 {fmt_share(doc.scale, 0)} 규모.")
        if warm is not None and first is not None:
            text += (f" 처음 {fmt_num(round(float(warm), 2))}일은 예열 기간으로 모든 결과에서 "
                     f"제외되므로 일 축은 {fmt_num(round(first, 2))}일부터 시작합니다.")
        return text
    text = (f"{fmt_num(doc.days)} simulated days, policy {doc.policy}, seed "
            f"{doc.seed}, scale {fmt_share(doc.scale, 0)} of the fleet.")
    if warm is not None and first is not None:
        text += (f" The first {fmt_num(round(float(warm), 2))} days are a warm-up, left out "
                 f"of every result, so the day axis starts at {fmt_num(round(first, 2))}.")
    return text


def twin_headline(doc: RunSummary) -> dict[str, str]:
    """The headline figures of a twin run, formatted."""
    from aifab.report import fmt_int

    st = doc.stranded
    return {
        "days": fmt_num(doc.days), "policy": doc.policy, "seed": str(doc.seed),
        "scale": fmt_num(doc.scale), "accelerators": fmt_int(doc.fleet.accelerators),
        "utilisation": fmt_share(doc.utilization),
        "unallocated: no power": fmt_share(st.power),
        "unallocated: fragmentation": fmt_share(st.fragmentation),
        "unallocated: no demand": fmt_share(st.idle),
        "energy (MWh)": fmt_num(doc.energy_mwh),
        "jobs completed": fmt_int(doc.jobs.completed),
        "preemptions": fmt_int(doc.jobs.preemptions),
    }
