"""Sweep figures and pages (aifab.sweep's renderer, and the dashboard's Sweeps page).

One set of builders: :func:`sweep_figures` takes a sweep's typed document
(:class:`aifab.sweep.SweepDocument`, as ``SweepResult.document()`` builds it and
:func:`aifab.sweep.read_sweep` reads ``sweep.json``, with the sensitivity the sweep
computed: one-at-a-time tornado, Sobol or Spearman) and each
metric's values over the variants, and returns the figures that both the static report
and ``aifab serve`` draw. Nothing here recomputes a sensitivity.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aifab._sweep_doc import SobolIndices, SpearmanRho, TornadoSwing
from aifab.report._html import Section, figure_html, render_html, table_html
from aifab.report._labels import label, param_label
from aifab.report._style import (
    NEUTRAL,
    SERIES_COLOURS,
    fmt_value,
    is_share_column,
    money_axis,
    style_figure,
)

if TYPE_CHECKING:  # the type only (a document of the lowest layer: sweep writes it)
    from aifab._sweep_doc import SweepDocument

#: The sweep bands' colour (``SERIES_COLOURS["spread"]``) in two opacities.
_BANDS = ((5, 95, "rgba(51,34,136,0.18)", ("5th to 95th percentile", "5~95 백분위")),
          (25, 75, "rgba(51,34,136,0.40)", ("25th to 75th percentile", "25~75 백분위")))
#: Tornado bars: parameter at its low end / high end (not owner colours).
LOW_HIGH = (SERIES_COLOURS["low"], SERIES_COLOURS["high"])
_YEAR = re.compile(r"^(.*?)[._](\d{4})$")


def _l(lang: str, en: str, ko: str) -> str:
    return ko if lang == "ko" else en


def sweep_values(variants: pd.DataFrame) -> dict[str, list[float]]:
    """Each metric (``metric.<name>`` columns of ``variants.parquet``) over the variants,
    NaN where a variant did not finish (the same values the sweep's report is drawn from)."""
    ok = (variants["status"].astype(str) == "ok") if "status" in variants else None
    out: dict[str, list[float]] = {}
    for c in variants.columns:
        if c.startswith("metric."):
            col = pd.to_numeric(variants[c], errors="coerce").astype("float64")
            if ok is not None:
                col = col.where(ok)
            out[c.removeprefix("metric.")] = [float(v) for v in col]
    return out


def _finite(vals: list[float]) -> np.ndarray:
    arr = np.asarray(vals, dtype=np.float64)
    return arr[np.isfinite(arr)]


def summary_frame(values: dict[str, list[float]], lang: str = "en") -> pd.DataFrame:
    """Metric | P5 | median | P95, formatted with each metric's unit (money in 억/조 원 in
    Korean), over the variants that finished."""
    rows = []
    for m, vals in values.items():
        arr = _finite(vals)
        qs = np.percentile(arr, [5, 50, 95]) if len(arr) else [math.nan] * 3
        rows.append({_l(lang, "metric", "지표"): label(m, lang),
                     _l(lang, "5th percentile", "5백분위"): fmt_value(m, qs[0], lang),
                     _l(lang, "median", "중앙값"): fmt_value(m, qs[1], lang),
                     _l(lang, "95th percentile", "95백분위"): fmt_value(m, qs[2], lang)})
    return pd.DataFrame(rows)


def fan_figure(values: dict[str, list[float]], lang: str = "en") -> go.Figure:
    """Range of every metric: nested 5-95 and 25-75 percentile bands and the median, as a
    share of the metric's median so metrics of different units share an axis."""
    fig = go.Figure()
    names = list(values)
    for lo, hi, colour, band in _BANDS:
        name = band[lang == "ko"]
        for i, m in enumerate(names):
            arr = _finite(values[m])
            if not len(arr):
                continue
            med = float(np.median(arr)) or 1.0
            a, b = np.percentile(arr, [lo, hi]) / med
            fig.add_trace(go.Scatter(
                x=[a, b, b, a, a], y=[i - 0.3, i - 0.3, i + 0.3, i + 0.3, i - 0.3],
                fill="toself", fillcolor=colour, line={"width": 0}, mode="lines",
                name=name, legendgroup=name, showlegend=i == 0, hoverinfo="text",
                text=f"{label(m, lang)}: {name} {fmt_value(m, a * med, lang)} ~ "
                     f"{fmt_value(m, b * med, lang)}"))
    fig.add_trace(go.Scatter(x=[1.0] * len(names), y=list(range(len(names))), mode="markers",
                             marker={"symbol": "line-ns-open", "size": 18, "color": "black"},
                             name=_l(lang, "median", "중앙값"), hoverinfo="skip"))
    fig.update_layout(xaxis={"title": _l(lang, "value as a share of the median",
                                         "중앙값 대비 값"), "tickformat": ".0%"},
                      yaxis={"tickvals": list(range(len(names))),
                             "ticktext": [label(m, lang) for m in names]},
                      margin={"l": 220})
    return style_figure(fig, title=_l(lang, "Range of each metric across the variants",
                                      "변형별 지표 범위"), height=140 + 60 * len(names))


def series_fan_figure(x: list[Any], samples: np.ndarray, title: str, y_title: str,
                      lang: str = "en") -> go.Figure:
    """A classic fan chart over ``x`` (e.g. years): bands of a series' samples (rows)."""
    fig = go.Figure()
    for lo, hi, colour, band in _BANDS:
        a, b = np.nanpercentile(samples, [lo, hi], axis=0)
        fig.add_trace(go.Scatter(x=[*x, *x[::-1]], y=[*a, *b[::-1]], fill="toself",
                                 fillcolor=colour, line={"width": 0}, name=band[lang == "ko"],
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=np.nanmedian(samples, axis=0), mode="lines+markers",
                             name=_l(lang, "median", "중앙값"), line={"color": "black"}))
    fig.update_layout(yaxis={"title": y_title, "tickformat": ",.4~r", "rangemode": "tozero"},
                      xaxis={"dtick": 1, "tickformat": "d",
                             "title": _l(lang, "year", "연도")})
    return style_figure(fig, title=title, height=400)


def year_fans(values: dict[str, list[float]], lang: str = "en") -> dict[str, go.Figure]:
    """One fan chart over the years for each metric measured per year
    (``unpowered_gpus.2026``, ``unpowered_gpus.2027``...)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for m in values:
        g = _YEAR.match(m)
        if g:
            groups.setdefault(g.group(1), []).append((int(g.group(2)), m))
    out = {}
    for name, cols in sorted(groups.items()):
        if len(cols) < 2:
            continue
        cols.sort()
        samples = np.array([values[m] for _, m in cols], dtype=np.float64).T
        title = _l(lang, f"{label(name)} by year: spread across the variants",
                   f"연도별 {label(name, 'ko')}: 변형 간 분포")
        out[name] = series_fan_figure([y for y, _ in cols], samples, title,
                                      label(name, lang), lang)
    return out


def tornado_figure(per_param: Mapping[str, TornadoSwing], metric: str,
                   lang: str = "en") -> go.Figure:
    """The stored one-at-a-time swings: a bar from the base value to the metric at each
    parameter's low and high end, widest on top."""
    # Stored widest first; plotly draws bottom-up. A failed variant's metric is NaN (null
    # in sweep.json, read back as NaN).
    items = list(per_param.items())[::-1]
    base = float(items[0][1].base_metric) if items else 0.0
    div, unit = money_axis(metric, lang)
    fig = go.Figure()
    for high, colour, en, ko in ((False, LOW_HIGH[0], "parameter at its low end",
                                  "매개변수 하한"),
                                 (True, LOW_HIGH[1], "parameter at its high end",
                                  "매개변수 상한")):
        ends = [(p, v.high if high else v.low, v.metric_high if high else v.metric_low)
                for p, v in items]
        fig.add_trace(go.Bar(
            y=[param_label(p, lang) for p, _, _ in ends],
            x=[(float(y) - base) / div for _, _, y in ends], base=base / div,
            orientation="h", marker_color=colour, name=_l(lang, en, ko),
            customdata=[[_value_text(end), fmt_value(metric, y, lang)] for _, end, y in ends],
            hovertemplate="%{y}: %{customdata[0]} → %{customdata[1]}<extra></extra>"))
    fig.add_vline(x=base / div, line={"dash": "dot", "color": NEUTRAL})
    name = label(metric, lang) + (f" ({unit})" if unit else "")
    fig.update_layout(barmode="overlay", margin={"l": 220},
                      xaxis={"title": _l(lang, f"{name}; base {fmt_value(metric, base)}",
                                         f"{name}; 기준 {fmt_value(metric, base, 'ko')}"),
                             "tickformat": ".1%" if is_share_column(metric) else ",.4~r"})
    return style_figure(fig, title=_l(lang, f"What moves {label(metric)}: one parameter at a "
                                      "time", f"{label(metric, 'ko')}: 매개변수별 영향 "
                                      "(한 번에 하나씩)"), height=150 + 44 * len(items))


def _value_text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    return str(v)


_INDEX_NAMES = {"S1": ("first-order index (S1)", "1차 지수 (S1)"),
                "ST": ("total index (ST)", "총 지수 (ST)"),
                "rho": ("Spearman rank correlation", "스피어만 순위 상관")}


def indices_figure(per_param: Mapping[str, SobolIndices | SpearmanRho], metric: str,
                   lang: str = "en") -> go.Figure:
    """Grouped bars of the stored sensitivity indices (S1/ST with their half-widths, or
    Spearman rho)."""
    fig = go.Figure()
    params = list(per_param)
    series: list[tuple[str, list[float], list[float] | None]] = []
    for k in ("S1", "ST"):
        sobol = [e for e in per_param.values() if isinstance(e, SobolIndices)]
        if sobol:
            series.append((k, [e.S1 if k == "S1" else e.ST for e in sobol],
                           [e.S1_conf if k == "S1" else e.ST_conf for e in sobol]))
    rho = [e.rho for e in per_param.values() if isinstance(e, SpearmanRho)]
    if rho:
        series.append(("rho", rho, None))
    for (k, ys, err), colour in zip(series, (SERIES_COLOURS["low"], SERIES_COLOURS["high"]),
                                    strict=False):
        fig.add_trace(go.Bar(
            x=[param_label(p, lang) for p in params],
            y=[y if math.isfinite(y) else None for y in ys],
            name=_INDEX_NAMES[k][lang == "ko"], marker_color=colour,
            error_y={"type": "data", "array": err} if err is not None else None))
    fig.update_layout(barmode="group", yaxis={"tickformat": ".2f"})
    return style_figure(fig, title=_l(lang, f"Sensitivity of {label(metric)}",
                                      f"{label(metric, 'ko')}의 민감도"), height=380)


def sensitivity_figures(doc: SweepDocument, lang: str = "en") -> list[go.Figure]:
    """The charts of the sensitivity stored in a sweep's document, one per metric."""
    sens = doc.sensitivity
    figs: list[go.Figure] = []
    if sens is None:
        return figs
    for m, per in sens.metrics.items():
        if not per:
            continue
        swings = {p: e for p, e in per.items() if isinstance(e, TornadoSwing)}
        if swings:
            figs.append(tornado_figure(swings, m, lang))
        else:
            figs.append(indices_figure({p: e for p, e in per.items()
                                        if not isinstance(e, TornadoSwing)}, m, lang))
    return figs


_METHOD = {"tornado": ("one parameter at a time around the base variant",
                       "기준 변형에서 한 번에 한 매개변수씩 변경"),
           "sobol": ("first-order (S1) and total (ST) Sobol indices (SALib), 95 % bootstrap "
                     "half-widths", "1차(S1) 및 총(ST) Sobol 지수 (SALib), 95 % 부트스트랩 구간"),
           "spearman": ("Spearman rank correlation of each parameter with the metric",
                        "각 매개변수와 지표의 스피어만 순위 상관"),
           "none": ("grid designs report the full table; use oat, lhs or saltelli for "
                    "sensitivity", "격자 설계는 전체 표만 제공합니다 (민감도는 oat, lhs, "
                    "saltelli 설계)")}


def sensitivity_note(doc: SweepDocument, lang: str = "en") -> str:
    """What the stored sensitivity is, in words (or that the sweep stored none)."""
    sens = doc.sensitivity
    if sens is None:
        return _l(lang, "This sweep's sweep.json stores no sensitivity.",
                  "이 스윕의 sweep.json에는 민감도가 저장되어 있지 않습니다.")
    method = _METHOD.get(sens.method, ("", ""))[lang == "ko"]
    if not sens.metrics:
        return _l(lang, f"No sensitivity: {sens.note}.",
                  "민감도 없음: 실패한 변형이 있습니다.") if sens.method != "none" \
            else method
    return method


_DESIGN_KO = {"oat": "한 번에 하나씩(OAT)", "lhs": "라틴 하이퍼큐브(LHS)", "grid": "격자",
              "random": "무작위", "saltelli": "Saltelli"}


def headline_text(doc: SweepDocument, values: dict[str, list[float]], lang: str = "en") -> str:
    """"N of M variants finished" (and the design), in words."""
    n_all = int(doc.variants or len(next(iter(values.values()), [])))
    n_ok = int(doc.done)
    design = doc.design
    if lang == "ko":
        design = _DESIGN_KO.get(str(design), design)
        return (f"변형 {n_all:,}개 중 {n_ok:,}개 완료"
                + (f" ({design} 설계)." if design else "."))
    return f"{n_ok:,} of {n_all:,} variants finished" + (f" ({design} design)." if design
                                                          else ".")


def sweep_figures(doc: SweepDocument, values: dict[str, list[float]],
                  lang: str = "en") -> dict[str, go.Figure]:
    """Every figure of a sweep, keyed by its element id: ``sweep-fan``, ``sweep-year-<i>``
    (metrics measured per year) and ``sweep-sens-<i>`` (the stored sensitivity)."""
    figs = {"sweep-fan": fan_figure(values, lang)}
    for i, fig in enumerate(year_fans(values, lang).values()):
        figs[f"sweep-year-{i}"] = fig
    for i, fig in enumerate(sensitivity_figures(doc, lang)):
        figs[f"sweep-sens-{i}"] = fig
    return figs


def sweep_sections(doc: SweepDocument, values: dict[str, list[float]],
                   lang: str = "en") -> list[Section]:
    """Sections for a sweep (its ``--json`` document and each metric over the variants):
    summary, fan charts, the stored sensitivity, failed variants."""
    figs = sweep_figures(doc, values, lang)
    head = f"<p>{html.escape(headline_text(doc, values, lang))}</p>"
    secs = [Section(_l(lang, "Summary", "요약"),
                    head + table_html(summary_frame(values, lang), labels=False), "summary"),
            Section(_l(lang, "Ranges", "범위"), "".join(
                figure_html(f, k) for k, f in figs.items() if not k.startswith("sweep-sens")),
                "fan")]
    note = f"<p class=\"note\">{html.escape(sensitivity_note(doc, lang))}</p>"
    secs.append(Section(_l(lang, "Sensitivity", "민감도"), note + "".join(
        figure_html(f, k) for k, f in figs.items() if k.startswith("sweep-sens")),
        "sensitivity"))
    if doc.errors:
        secs.append(Section(_l(lang, "Failed variants", "실패한 변형"),
                            table_html(pd.DataFrame([asdict(e) for e in doc.errors])),
                            "failed"))
    return secs


def sweep_page(doc: SweepDocument, values: dict[str, list[float]], lang: str = "en") -> str:
    """A self-contained page (plotly.js inlined, works offline)."""
    return render_html(_l(lang, f"Sweep: {doc.name}", f"스윕: {doc.name}"),
                       sweep_sections(doc, values, lang),
                       doc.description, lang=lang)
