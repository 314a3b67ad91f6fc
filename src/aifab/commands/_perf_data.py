"""``aifab perf calibrate`` and ``aifab perf models``: the perf model's data (calibration
rows with in-sample and leave-one-out errors; the model descriptions)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from aifab._io import to_json, versioned, write_text
from aifab.commands._common import JsonOpt, OutOpt, emit, fit, table

ModelsOpt = Annotated[
    list[Path] | None,
    typer.Option("--models", help="Extra model-description CSV (columns as perf/data/models.csv).",
                 metavar="FILE"),
]


def calibrate_cmd(as_json: JsonOpt = False, out: OutOpt = None) -> None:
    """Predicted vs published for every calibration row: in-sample and leave-one-out
    errors, overall and per device family."""
    from aifab.perf import (
        FAMILY_TOL,
        GROUP_MIN,
        KNOWN_OUTLIERS,
        LOO_MEDIAN_TOL,
        MAX_TOL,
        MEDIAN_TOL,
        calibrate,
        calibration_markdown,
        family_errors,
        group_errors,
        leave_one_out,
        loo_summary,
        perf_file,
    )
    from aifab.perf import calibration_summary as summary

    res = calibrate()
    med, worst, n = summary(res)
    loo = leave_one_out()
    _, loo_med, fam_worst = loo_summary(loo)
    fams = family_errors(loo)
    by_id = {r.id: r for r in loo}
    doc = {"command": "perf calibrate", "inputs": {},
           "summary": {"median_abs_error": med, "max_abs_error": worst, "rows_included": n,
                       "median_tolerance": MEDIAN_TOL, "max_tolerance": MAX_TOL,
                       "known_outliers": KNOWN_OUTLIERS,
                       "loo_median_abs_error": loo_med, "loo_median_tolerance": LOO_MEDIAN_TOL,
                       "worst_family_loo_median": fam_worst, "family_tolerance": FAMILY_TOL},
           "families": [dataclasses.asdict(f) for f in fams],
           "groups": [dataclasses.asdict(g) for g in group_errors(loo)],
           "rows": [{"id": r.row.id, "published": r.row.value, "unit": r.row.unit,
                     "predicted": r.predicted, "error": r.error,
                     "loo_error": by_id[r.row.id].loo_error if r.row.id in by_id else None,
                     "included": r.included, "detail": r.detail, "source": r.row.source,
                     "url": r.row.url, "date": r.row.date,
                     "exclude_reason": r.row.exclude_reason}
                    for r in res]}

    def write(tmp: Path) -> None:
        write_text(perf_file(tmp), to_json(versioned(doc)) + "\n")
        write_text(tmp / "perf-calibration.md", calibration_markdown(res))

    def show(c: Console) -> None:
        t = table("row", "published", "predicted", "error", "LOO error", "note", wrap=("note",),
                  title="Calibration: predicted vs published")
        for r in res:
            pred = "-" if r.predicted is None else f"{r.predicted:,.4g}"
            err = "-" if r.error is None else f"{r.error * 100:+.1f} %"
            lo = by_id.get(r.row.id)
            loo_s = "-" if lo is None else f"{lo.loo_error * 100:+.1f} %"
            note = r.detail if r.included else f"excluded: {r.detail}"
            t.add_row(r.row.id, f"{r.row.value:,.4g} {r.row.unit}", pred, err, loo_s, note)
        c.print(fit(t), crop=False)
        f = table("family", "rows", "in-sample", "leave-one-out", "LOO max", "note",
                  title="Per device family (|error| medians)")
        for fe in fams:
            f.add_row(fe.family, str(fe.rows), f"{fe.in_sample_median * 100:.1f} %",
                      f"{fe.loo_median * 100:.1f} %", f"{fe.loo_max * 100:.1f} %",
                      "rests on one row" if fe.single_row else "")
        c.print(fit(f), crop=False)
        g = table("group", "rows", "leave-one-out", "LOO max", "note",
                  title="Per family x dense/MoE x replica width (|error| medians)")
        for ge in group_errors(loo):
            g.add_row(ge.group, str(ge.rows), f"{ge.loo_median * 100:.1f} %",
                      f"{ge.loo_max * 100:.1f} %",
                      f"fewer than {GROUP_MIN} rows" if ge.few_rows else "")
        c.print(fit(g), crop=False)
        c.print(f"in-sample: median |error| {med * 100:.1f} % (target <= "
                f"{MEDIAN_TOL * 100:.0f} %), max {worst * 100:.1f} % (target <= "
                f"{MAX_TOL * 100:.0f} %), {n} rows")
        c.print(f"leave-one-out: median |error| {loo_med * 100:.1f} % (target <= "
                f"{LOO_MEDIAN_TOL * 100:.0f} %); worst family median "
                f"{fam_worst * 100:.1f} % (target <= {FAMILY_TOL * 100:.0f} %)")

    emit(doc, as_json=as_json, out=out, write_files=write, show=show)


def models_cmd(models_files: ModelsOpt = None, as_json: JsonOpt = False,
               out: OutOpt = None) -> None:
    """List the model descriptions."""
    from aifab.perf import load_models, perf_file

    ms = load_models(models_files or []).models
    rows = [m.model_dump(mode="json") for m in ms.values()]
    doc = {"command": "perf models", "inputs": {}, "models": rows}

    def write(tmp: Path) -> None:
        import pandas as pd

        write_text(perf_file(tmp), to_json(versioned(doc)) + "\n")
        pd.DataFrame(rows).to_csv(tmp / "models.csv", index=False)

    def show(c: Console) -> None:
        t = table("id", "arch", "params B", "active B", "layers", "hidden", "KV heads",
                  title="Models")
        for m in ms.values():
            t.add_row(m.id, m.arch, f"{m.params_b:g}", f"{m.active_params_b:g}",
                      str(m.layers), str(m.hidden), str(m.kv_heads))
        c.print(fit(t), crop=False)
        src = table("id", "source", wrap=("source",), title="Sources")
        for m in ms.values():
            src.add_row(m.id, m.source)
        c.print(fit(src), crop=False)

    emit(doc, as_json=as_json, out=out, write_files=write, show=show)


def result_rows(r: Any) -> list[tuple[str, str]]:
    rows = [("tokens/s (all replicas)", f"{r.tokens_per_s:,.0f}"),
            ("tokens/s per device", f"{r.tokens_per_s_per_device:,.1f}"),
            ("time to first token (s)", f"{r.ttft_s:.3f}"),
            ("time per output token (ms)", f"{r.tpot_s * 1000:.2f}"),
            ("memory per device (GB)", f"{r.mem_gb_per_device:.1f} of {r.mem_usable_gb:.1f}"),
            ("  weights / KV cache (GB)",
             f"{r.weights_gb_per_device:.1f} / {r.kv_cache_gb_per_device:.1f}"),
            ("max batch that fits", f"{r.max_batch}"),
            ("bottleneck", r.bottleneck),
            ("engine", r.engine),
            ("device power (W)", f"{r.power_w_per_device:.0f}"),
            ("tokens per joule (device / facility)",
             f"{r.tokens_per_j:.2f} / {r.tokens_per_j_facility:.2f}"),
            ("factors", f"{r.family}: {r.factors_method}")]
    cap = [("power cap", f"{r.power_cap:.0%} of TDP")] if r.power_cap < 1 else []
    return [*cap, *rows]


def title(r: Any) -> str:
    moe = f" x dp={r.dp}, ep={r.ep}" if r.dp > 1 or r.ep > 1 else ""
    spec = (f", {r.spec_k} draft tokens at {r.spec_accept:g} acceptance "
            f"({r.tokens_per_step:.2f} tokens/step)" if r.spec_k else "")
    return (f"{r.model} on {r.devices} x {r.device} ({r.precision.upper()}, tp={r.tp} x "
            f"pp={r.pp}{moe} x {r.replicas} replica(s), {r.serving} batching, batch "
            f"{r.batch}, {r.input_tokens} in / {r.output_tokens} out{spec})")
