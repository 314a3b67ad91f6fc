"""Compare two runs: each headline figure for A and B, B - A and the change in %, with
counts of twin runs put on one footing (per day, for the whole fleet: a run at 1 % of the
fleet and one at 2 % compare), and the inputs that differ."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from aifab import PlanResult
from aifab.report import fmt_int, fmt_money, fmt_num, fmt_share
from aifab.serve._i18n import t, tl
from aifab.sim.national import SimResult

#: (label, kind): kind is "share" (difference in percentage points), "count", "num" or
#: "money"
Figure = tuple[str, str]


def _num(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _twin_figures(res: SimResult) -> dict[Figure, float | None]:
    """A twin run's comparable figures: counts per day of the whole fleet (divided by days
    and by the simulated share of the fleet)."""
    doc = res.summary
    per = 1.0 / ((_num(doc.scale) or 1.0) * (_num(doc.days) or 1.0))

    def norm(v: float) -> float | None:
        x = _num(v)
        return None if x is None else x * per

    return {
        ("utilisation", "share"): _num(doc.utilization),
        ("unallocated: no power", "share"): _num(doc.stranded.power),
        ("unallocated: fragmentation", "share"): _num(doc.stranded.fragmentation),
        ("unallocated: no demand", "share"): _num(doc.stranded.idle),
        ("goodput", "share"): None if doc.reliability is None
        else _num(doc.reliability.goodput),
        ("energy per day, whole fleet (MWh)", "num"): norm(doc.energy_mwh),
        ("jobs completed per day, whole fleet", "count"): norm(doc.jobs.completed),
        ("preemptions per day, whole fleet", "count"): norm(doc.jobs.preemptions),
    }


def _plan_figures(totals: Any) -> dict[Figure, float | None]:
    """A plan's comparable figures from its totals (a :class:`aifab.PlanResult`'s, or the
    ``plan`` block of a combined report's document)."""
    def get(key: str) -> Any:
        return totals.get(key) if isinstance(totals, dict) else getattr(totals, key, None)

    return {("accelerators", "count"): _num(get("accelerators")),
            ("facility power (MW)", "num"): _num(get("facility_power_mw")),
            ("energy (TWh/year)", "num"): _num(get("annual_energy_twh")),
            ("electricity cost (KRW/year)", "money"): _num(get("annual_cost_krw"))}


def figures(kind: str, doc: dict[str, Any] | SimResult | PlanResult,
            ) -> dict[Figure, float | None]:
    """Comparable figures of a run (a twin run and a plan typed, the others' documents), as
    numbers; twin counts per day of the whole fleet."""
    if isinstance(doc, SimResult):
        return _twin_figures(doc)
    if isinstance(doc, PlanResult):
        return _plan_figures(doc.totals)
    if kind == "site":
        return {(f"GPUs waiting for power, {y}", "count"): _num(n)
                for y, n in sorted(doc.get("unpowered_gpus_by_year", {}).items())}
    if kind == "report":
        return _plan_figures(doc.get("plan", {}))
    if kind == "sweep":
        return {(k, "count"): _num(doc.get(k)) for k in ("variants", "done", "failed")}
    return {}


_INPUTS = {"simulate": ("days", "policy", "seed", "scale", "warmup_days"),
           "site": ("scenario", "years"), "sweep": ("name", "design")}

#: A run to compare: its kind and its result (a twin run and a plan typed, the others'
#: documents).
Compared = tuple[str, dict[str, Any] | SimResult | PlanResult]


def _input(run: Compared, key: str) -> Any:
    kind, doc = run
    if key == "kind":
        return kind
    if isinstance(doc, SimResult):
        return getattr(doc.summary, key)
    if isinstance(doc, PlanResult):
        return getattr(doc, key, None)
    return doc.get(key)


def _fmt(v: float | None, kind: str, lang: str) -> str:
    if v is None:
        return "-"
    return {"share": fmt_share, "count": fmt_int}.get(kind, fmt_num)(v) if kind != "money" \
        else fmt_money(v, lang)


def compare_frames(a: Compared, b: Compared, lang: str = "en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(figures: figure | A | B | B - A | change %, inputs that differ: input | A | B)."""
    fa, fb = figures(*a), figures(*b)
    rows = []
    for key in dict.fromkeys([*fa, *fb]):
        name, kind = key
        va, vb = fa.get(key), fb.get(key)
        diff = None if va is None or vb is None else vb - va
        if diff is None:
            d = "-"
        elif kind == "share":
            d = f"{diff * 100:+,.1f} pp"
        elif kind == "money":
            d = ("+" if diff >= 0 else "-") + fmt_money(abs(diff), lang)
        else:
            d = ("+" if diff >= 0 else "") + (fmt_int(diff) if kind == "count"
                                              else fmt_num(diff))
        pct = (f"{diff / va * 100:+,.1f}%" if diff is not None and va else "-")
        rows.append({t("figure", lang): tl(name, lang), "A": _fmt(va, kind, lang),
                     "B": _fmt(vb, kind, lang), "B − A": d, t("change", lang): pct})
    inputs = []
    keys = _INPUTS.get(a[0], ()) if a[0] == b[0] else ("kind",)
    for k in keys:
        ia, ib = _input(a, k), _input(b, k)
        if ia != ib:
            inputs.append({t("input", lang): t(k, lang), "A": _show(ia, lang),
                           "B": _show(ib, lang)})
    return pd.DataFrame(rows), pd.DataFrame(inputs)


def _show(v: Any, lang: str) -> str:
    if isinstance(v, str):
        return t(v, lang)
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return fmt_num(v)


def fleet_counts(scn: Any, is_npu: Any) -> tuple[dict[str, int], int]:
    """A scenario's GPUs by owner and its NPU cards (the Plan page's count knobs)."""
    gpus: dict[str, int] = {}
    npus = 0
    for f in scn.fleets:
        if is_npu(f.accelerator):
            npus += f.count
        else:
            gpus[f.owner] = gpus.get(f.owner, 0) + f.count
    return gpus, npus


def _knobs(scn: Any, is_npu: Any) -> dict[str, Any]:
    """The Plan page's knob values of a scenario: GPUs per owner, NPU cards, facility and
    price assumptions (keyed by the label the registry knows)."""
    gpus, npus = fleet_counts(scn, is_npu)
    return {**{f"GPUs of {o}": n for o, n in gpus.items()}, "NPU cards": npus,
            "facility.pue": scn.facility.pue, "facility.load_factor": scn.facility.load_factor,
            "facility.system_power": scn.facility.system_power,
            "prices.tariff_krw_per_kwh": scn.prices.tariff_krw_per_kwh}


def plan_changes(base: Any, scn: Any, base_plan: PlanResult, now: PlanResult,
                 is_npu: Any, lang: str = "en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """What changed against the scenario's own values on the Plan page: (headline figures:
    figure | scenario | now | B - A | change %; the knobs that differ: input | scenario |
    now). ``base``/``scn`` are scenarios, ``base_plan``/``now`` their plans."""
    from aifab.report import param_label

    figs, _ = compare_frames(("plan", base_plan), ("plan", now), lang)
    a, b = _knobs(base, is_npu), _knobs(scn, is_npu)
    rows = []
    for k in dict.fromkeys([*a, *b]):
        va, vb = a.get(k, 0), b.get(k, 0)
        if va != vb:
            name = param_label(k, lang) if "." in k else (
                k.replace("GPUs of ", f"{t('count_of', lang)} ") if k.startswith("GPUs of ")
                else t("npu_cards", lang))
            rows.append({t("input", lang): name, "A": _show(va, lang), "B": _show(vb, lang)})
    cols = {"A": t("scenario_value", lang), "B": t("now_value", lang)}
    return figs.rename(columns=cols), pd.DataFrame(rows).rename(columns=cols)
