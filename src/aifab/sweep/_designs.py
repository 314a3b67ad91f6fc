"""Per-design results of a quota sweep: each design's metrics with their range over seeds.

A sweep with the ``quota`` stage usually crosses design parameters (``quota.startups``,
``quota.borrowing_limit``, ...) with seeds (``sim.seed``). :func:`design_rows` groups the
finished variants by every parameter that is not a seed and gives each metric's mean,
minimum and maximum over the seeds; :func:`sweep_document` adds them to the sweep's
typed ``--json`` document as ``designs``, and :func:`write_designs` writes ``designs.csv`` and a
"Designs" section into ``report.html`` (docs/sweep.md, "Quota designs").
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from aifab._sweep_doc import DesignRow, Designs, Spread, SweepDocument
from aifab.sweep._results import SweepResult, VariantRecord


def seed_params(params: list[str]) -> list[str]:
    """Parameters that draw replications rather than designs (``sim.seed``, ``*.seed``)."""
    return [p for p in params if p.rsplit(".", 1)[-1] == "seed"]


def design_rows(result: SweepResult) -> dict[str, Any]:
    """``{group_by, over, rows}``: one row per design (the variants' values of every
    non-seed parameter, in design order) with ``variants``, ``done`` and per metric
    ``{mean, min, max}`` over its finished variants (NaN when none finished)."""
    params = list(result.spec.parameters)
    over = seed_params(params)
    keys = [p for p in params if p not in over]
    groups: dict[str, list[VariantRecord]] = {}
    first: dict[str, dict[str, Any]] = {}
    for rec in result.records:
        design = {k: rec.params.get(k) for k in keys}
        key = repr(sorted(design.items(), key=lambda kv: kv[0]))
        groups.setdefault(key, []).append(rec)
        first.setdefault(key, design)
    rows = []
    for key, recs in groups.items():
        ok = [r for r in recs if r.ok]
        metrics = {}
        for m in result.spec.metrics:
            vals = [float(r.metrics[m]) for r in ok
                    if m in r.metrics and math.isfinite(float(r.metrics[m]))]
            metrics[m] = ({"mean": sum(vals) / len(vals), "min": min(vals), "max": max(vals)}
                          if vals else {"mean": math.nan, "min": math.nan, "max": math.nan})
        rows.append({"params": first[key], "variants": len(recs), "done": len(ok),
                     "metrics": metrics})
    return {"group_by": keys, "over": over, "rows": rows}


def sweep_document(result: SweepResult) -> SweepDocument:
    """The sweep's ``--json`` document, typed: with ``designs`` for a quota sweep."""
    doc = result.document()
    if not has_designs(result):
        return doc
    d = design_rows(result)
    rows = tuple(DesignRow(r["params"], r["variants"], r["done"],
                           {m: Spread(**v) for m, v in r["metrics"].items()})
                 for r in d["rows"])
    return replace(doc, designs=Designs(tuple(d["group_by"]), tuple(d["over"]), rows))


def has_designs(result: SweepResult) -> bool:
    """Whether the sweep runs the ``quota`` stage (whose output is read per design)."""
    return "quota" in result.spec.stages


def design_frame(designs: Designs) -> pd.DataFrame:
    """The ``designs`` block as a table: ``param.<path>`` per design parameter,
    ``variants``, ``done`` and ``<metric>.mean`` / ``.min`` / ``.max`` per metric."""
    out = []
    for row in designs.rows:
        r: dict[str, Any] = {f"param.{k}": v for k, v in row.params.items()}
        r.update(variants=row.variants, done=row.done)
        for m, v in row.metrics.items():
            r.update({f"{m}.mean": v.mean, f"{m}.min": v.min, f"{m}.max": v.max})
        out.append(r)
    return pd.DataFrame(out)


def _label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.split('.', 1)[-1]}={v}" for k, v in params.items()) or "all"


def designs_section(designs: Designs, metrics: list[str]) -> Any:
    """The report's "Designs" section: a table and one chart per metric (mean over seeds,
    bars from the minimum to the maximum)."""
    import plotly.graph_objects as go

    from aifab.report import Section, figure_html, label, table_html

    rows = designs.rows
    keys = designs.group_by
    # x: the first design parameter; one series per value of the others (design order)
    series: dict[str, list[DesignRow]] = {}
    for r in rows:
        rest = {k: v for k, v in r.params.items() if keys and k != keys[0]}
        series.setdefault(_label(rest) if rest else "", []).append(r)
    figs = []
    for i, m in enumerate(metrics):
        fig = go.Figure()
        for name, rs in series.items():
            mean = [r.metrics[m].mean for r in rs]
            fig.add_trace(go.Scatter(
                x=[str(r.params[keys[0]]) if keys else "all" for r in rs], y=mean,
                mode="markers+lines", name=name or label(m), error_y={
                    "type": "data", "array": [r.metrics[m].max - v
                                              for r, v in zip(rs, mean, strict=True)],
                    "arrayminus": [v - r.metrics[m].min
                                   for r, v in zip(rs, mean, strict=True)]}))
        fig.update_layout(title=f"{label(m)} per design (mean; bars: min-max over "
                                f"{', '.join(designs.over) or 'variants'})",
                          xaxis_title=keys[0].split(".", 1)[-1] if keys else "design",
                          xaxis_type="category", yaxis_title=label(m), height=360,
                          showlegend=len(series) > 1)
        figs.append(figure_html(fig, f"design-{i}"))
    table = design_frame(designs).rename(columns=lambda c: c.removeprefix("param."))
    over = ", ".join(designs.over) or "none"
    note = (f"<p>{len(rows)} designs; ranges over {html.escape(over)}. Each row: the mean "
            "of the finished variants, and their minimum and maximum.</p>")
    body = note + table_html(table, "{:,.4g}", labels=False) + "".join(figs)
    return Section("Designs", body, "designs")


def write_designs(result: SweepResult, tmp: Path, document: SweepDocument) -> None:
    """The sweep's files (:func:`~._results.write_sweep`) and, for a quota sweep,
    ``designs.csv`` and the "Designs" section in ``report.html``."""
    from aifab.sweep._results import write_sweep

    write_sweep(result, tmp, document)
    designs = document.designs
    if designs is None:
        return
    design_frame(designs).to_csv(tmp / "designs.csv", index=False)
    from aifab.report import render_html, sweep_sections, write_page

    secs = [*sweep_sections(document, result.metric_values), designs_section(
        designs, list(result.spec.metrics))]
    write_page(tmp / "report.html", render_html(
        f"Sweep: {document.name}", secs, document.description))
