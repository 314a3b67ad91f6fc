"""``aifab perf``: inference and training predictions, device comparison, calibration."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aifab._checks import finite
from aifab._io import to_json, versioned, write_text
from aifab.catalog import load_catalog
from aifab.commands._common import CatalogOpt, JsonOpt, OutOpt, emit, fit, table
from aifab.errors import BadInput

ModelsOpt = Annotated[
    list[Path] | None,
    typer.Option("--models", help="Extra model-description CSV (columns as perf/data/models.csv).",
                 metavar="FILE"),
]
ModelArg = Annotated[str, typer.Option("--model", help="Model id (see `aifab perf models`).")]

#: Devices in one job or serving fleet: ten times the largest national fleets.
MAX_DEVICES = 10_000_000
#: Training tokens: a thousand times the largest published pre-training runs (~4e13).
MAX_TOKENS = 1e17


def _check_common(devices: int | None = None, pue: float | None = None) -> None:
    """Bounds shared by the perf commands (flags parse as finite numbers already)."""
    if devices is not None and devices > MAX_DEVICES:
        raise BadInput(f"must be <= {MAX_DEVICES:,}, got {devices:,}", where="--devices")
    if pue is not None:
        finite(pue, "--pue", lo=1.0, hi=3.0)


def _asdict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def _kv_table(title: str, rows: list[tuple[str, str]]) -> Table:
    t = Table(title=title, show_header=False)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in rows:
        t.add_row(k, v)
    return t


def _write_json(doc: dict[str, Any]) -> Any:
    def write(tmp: Path) -> None:
        write_text(tmp / "perf.json", to_json(versioned(doc)) + "\n")
    return write


def infer_cmd(
    model: ModelArg,
    device: Annotated[str, typer.Option("--device", help="Accelerator id.")],
    devices: Annotated[int, typer.Option("--devices", help="Devices in all.")] = 1,
    tp: Annotated[int | None, typer.Option("--tp", help="Tensor-parallel degree per "
                                           "replica (default: all devices).")] = None,
    precision: Annotated[str, typer.Option("--precision", help="bf16, fp8, fp4 or int8.")] = "fp8",
    batch: Annotated[int, typer.Option("--batch", help="Requests per replica.")] = 1,
    input_tokens: Annotated[int, typer.Option("--input", help="Prompt tokens.")] = 2048,
    output_tokens: Annotated[int, typer.Option("--output", help="Generated tokens.")] = 128,
    pue: Annotated[float, typer.Option("--pue", help="Facility PUE for facility J/token.")] = 1.2,
    models_files: ModelsOpt = None, catalog_files: CatalogOpt = None,
    as_json: JsonOpt = False, out: OutOpt = None,
) -> None:
    """Predict prefill and decode for one serving configuration (roofline)."""
    from aifab.perf import inference, load_models

    _check_common(devices, pue)

    r = inference(model, device, devices, precision=precision, batch=batch,
                  input_tokens=input_tokens, output_tokens=output_tokens, tp=tp, pue=pue,
                  catalog=load_catalog(catalog_files or []),
                  models=load_models(models_files or []))
    inputs = {"model": model, "device": device, "devices": devices, "tp": r.tp,
              "precision": precision, "batch": batch, "input": input_tokens,
              "output": output_tokens, "pue": pue}
    doc = {"command": "perf infer", "inputs": inputs, "result": _asdict(r)}

    def show(c: Console) -> None:
        c.print(_kv_table(
            f"{r.model} on {r.devices} x {r.device} ({r.precision.upper()}, tp={r.tp}, "
            f"batch {r.batch}, {r.input_tokens} in / {r.output_tokens} out)",
            [("tokens/s (all replicas)", f"{r.tokens_per_s:,.0f}"),
             ("tokens/s per device", f"{r.tokens_per_s_per_device:,.1f}"),
             ("time to first token (s)", f"{r.ttft_s:.3f}"),
             ("time per output token (ms)", f"{r.tpot_s * 1000:.2f}"),
             ("memory per device (GB)", f"{r.mem_gb_per_device:.1f} of {r.mem_usable_gb:.1f}"),
             ("  weights / KV cache (GB)",
              f"{r.weights_gb_per_device:.1f} / {r.kv_cache_gb_per_device:.1f}"),
             ("max batch that fits", f"{r.max_batch}"),
             ("bottleneck", r.bottleneck),
             ("device power (W)", f"{r.power_w_per_device:.0f}"),
             ("tokens per joule (device / facility)",
              f"{r.tokens_per_j:.2f} / {r.tokens_per_j_facility:.2f}"),
             ("factors", f"{r.family}: {r.factors_method}")]))
        for n in r.notes:
            c.print(f"[yellow]note:[/] {n}")

    emit(doc, as_json=as_json, out=out, write_files=_write_json(doc), show=show)


def train_cmd(
    model: ModelArg,
    tokens: Annotated[float, typer.Option("--tokens", help="Training tokens, e.g. 15e12.")],
    device: Annotated[str, typer.Option("--device", help="Accelerator id.")],
    devices: Annotated[int, typer.Option("--devices", help="Devices in the job.")],
    precision: Annotated[str, typer.Option("--precision", help="bf16, fp8 or fp4.")] = "bf16",
    seq_len: Annotated[int | None, typer.Option("--seq-len", help="Sequence length.")] = None,
    lora: Annotated[bool, typer.Option("--lora", help="LoRA fine-tuning FLOPs.")] = False,
    pue: Annotated[float, typer.Option("--pue", help="Facility PUE.")] = 1.2,
    models_files: ModelsOpt = None, catalog_files: CatalogOpt = None,
    as_json: JsonOpt = False, out: OutOpt = None,
) -> None:
    """Predict training time, GPU-hours and energy (6ND + attention over peak x MFU)."""
    from aifab.perf import load_models, training

    _check_common(devices, pue)
    finite(tokens, "--tokens", lo=0, hi=MAX_TOKENS, lo_open=True)
    models = load_models(models_files or [])
    if seq_len is not None:
        spec = models.models.get(model)
        if seq_len < 1 or (spec is not None and seq_len > spec.max_seq):
            limit = f" and <= {spec.max_seq} (the context of {model})" if spec else ""
            raise BadInput(f"must be >= 1{limit}, got {seq_len}", where="--seq-len")
    r = training(model, tokens, device, devices, precision=precision, seq_len=seq_len,
                 mode="lora" if lora else "full", pue=pue,
                 catalog=load_catalog(catalog_files or []), models=models)
    inputs = {"model": model, "tokens": tokens, "device": device, "devices": devices,
              "precision": precision, "seq_len": r.seq_len, "lora": lora, "pue": pue}
    doc = {"command": "perf train", "inputs": inputs, "result": _asdict(r)}

    def show(c: Console) -> None:
        c.print(_kv_table(
            f"{r.model} on {r.devices:,} x {r.device} ({r.precision.upper()}, "
            f"{r.tokens:.3g} tokens, seq {r.seq_len}{', LoRA' if lora else ''})",
            [("time (days)", f"{r.time_days:,.2f}"),
             ("GPU-hours", f"{r.gpu_hours:,.0f}"),
             ("model TFLOP/s per device", f"{r.model_tflops_per_device:,.0f}"),
             ("MFU x scale efficiency", f"{r.mfu:.3f} x {r.scale_eff:.3f}"),
             ("tokens/s", f"{r.tokens_per_s:,.0f}"),
             ("device energy (MWh)", f"{r.energy_kwh / 1000:,.1f}"),
             ("facility energy incl. host and PUE (MWh)", f"{r.facility_energy_kwh / 1000:,.1f}"),
             ("factors", f"{r.family}: {r.factors_method}")]))
        for n in r.notes:
            c.print(f"[yellow]note:[/] {n}")

    emit(doc, as_json=as_json, out=out, write_files=_write_json(doc), show=show)


def compare_cmd(
    model: ModelArg,
    devices_list: Annotated[str, typer.Option("--devices-list",
                                              help="Comma-separated accelerator ids.")],
    precision: Annotated[str | None, typer.Option(
        "--precision", help="Force one precision (default: best per device).")] = None,
    input_tokens: Annotated[int, typer.Option("--input", help="Prompt tokens.")] = 2048,
    output_tokens: Annotated[int, typer.Option("--output", help="Generated tokens.")] = 256,
    tpot_ms: Annotated[float, typer.Option("--tpot-ms", help="Latency target per token.")] = 50,
    ttft_s: Annotated[float | None, typer.Option("--ttft-s", help="Optional TTFT target.")] = None,
    target: Annotated[float, typer.Option("--target-tokens-per-s",
                                          help="Throughput to provision.")] = 1e6,
    usd_per_kwh: Annotated[float, typer.Option("--usd-per-kwh", help="Electricity price.")] = 0.12,
    years: Annotated[float, typer.Option("--years", help="Capex amortisation years.")] = 5.0,
    load_factor: Annotated[float, typer.Option("--load-factor", help="Busy share.")] = 0.7,
    pue: Annotated[float, typer.Option("--pue", help="Facility PUE.")] = 1.2,
    models_files: ModelsOpt = None, catalog_files: CatalogOpt = None,
    as_json: JsonOpt = False, out: OutOpt = None,
) -> None:
    """Compare devices serving one model at the same latency target."""
    from aifab.perf import compare, load_models

    _check_common(pue=pue)
    finite(years, "--years", lo=0, hi=100, lo_open=True)
    finite(usd_per_kwh, "--usd-per-kwh", lo=0, hi=100)
    finite(tpot_ms, "--tpot-ms", lo=0, lo_open=True)
    if ttft_s is not None:
        finite(ttft_s, "--ttft-s", lo=0, lo_open=True)
    finite(target, "--target-tokens-per-s", lo=0, hi=1e15, lo_open=True)
    for name, tokens in (("--input", input_tokens), ("--output", output_tokens)):
        if tokens < 1:
            raise BadInput(f"must be at least 1, got {tokens}", where=name)
    devs = [d.strip() for d in devices_list.split(",") if d.strip()]
    rows = compare(model, devs, precision=precision, input_tokens=input_tokens,
                   output_tokens=output_tokens, tpot_slo_s=tpot_ms / 1000.0, ttft_slo_s=ttft_s,
                   target_tokens_per_s=target, load_factor=load_factor,
                   usd_per_kwh=usd_per_kwh, amortisation_years=years, pue=pue,
                   catalog=load_catalog(catalog_files or []),
                   models=load_models(models_files or []))
    inputs = {"model": model, "devices_list": devs, "precision": precision,
              "input": input_tokens, "output": output_tokens, "tpot_ms": tpot_ms,
              "ttft_s": ttft_s, "target_tokens_per_s": target, "usd_per_kwh": usd_per_kwh,
              "years": years, "load_factor": load_factor, "pue": pue}
    doc = {"command": "perf compare", "inputs": inputs, "rows": [_asdict(r) for r in rows]}

    def show(c: Console) -> None:
        t = table("device", "prec", "tp", "batch", "tok/s/dev", "devices", "kW", "tok/J",
                  "$/Mtok", "bound", title=f"{model}: {input_tokens} in / {output_tokens} out, "
                  f"TPOT <= {tpot_ms:g} ms, {target:,.0f} tokens/s to serve")
        for r in rows:
            usd = "n/a" if r.usd_per_mtok is None else f"{r.usd_per_mtok:.3f}"
            t.add_row(r.device, r.precision, str(r.tp), str(r.batch),
                      f"{r.tokens_per_s_per_device:,.0f}", f"{r.devices_needed:,}",
                      f"{r.facility_kw:,.0f}", f"{r.tokens_per_j:.2f}", usd, r.bottleneck)
        c.print(fit(t), crop=False)
        c.print("kW and tok/J: facility (device + host share) x PUE; $/Mtok: capex "
                "(estimates, perf/data/devices.csv) / years + electricity, at the load factor")
        for r in rows:
            for n in r.notes:
                c.print(f"[yellow]note:[/] {n}")

    emit(doc, as_json=as_json, out=out, write_files=_write_json(doc), show=show)


def calibrate_cmd(as_json: JsonOpt = False, out: OutOpt = None) -> None:
    """Predicted vs published for every calibration row, with relative errors."""
    from aifab.perf import calibrate
    from aifab.perf._calibrate import MAX_TOL, MEDIAN_TOL, summary
    from aifab.perf._report import calibration_markdown

    res = calibrate()
    med, worst, n = summary(res)
    doc = {"command": "perf calibrate", "inputs": {},
           "summary": {"median_abs_error": med, "max_abs_error": worst, "rows_included": n,
                       "median_tolerance": MEDIAN_TOL, "max_tolerance": MAX_TOL},
           "rows": [{"id": r.row.id, "published": r.row.value, "unit": r.row.unit,
                     "predicted": r.predicted, "error": r.error, "included": r.included,
                     "detail": r.detail, "exclude_reason": r.row.exclude_reason}
                    for r in res]}

    def write(tmp: Path) -> None:
        write_text(tmp / "perf.json", to_json(versioned(doc)) + "\n")
        write_text(tmp / "perf-calibration.md", calibration_markdown(res))

    def show(c: Console) -> None:
        t = table("row", "published", "predicted", "error", "note", wrap=("note",),
                  title="Calibration: predicted vs published")
        for r in res:
            pred = "-" if r.predicted is None else f"{r.predicted:,.4g}"
            err = "-" if r.error is None else f"{r.error * 100:+.1f} %"
            note = r.detail if r.included else f"excluded: {r.detail}"
            t.add_row(r.row.id, f"{r.row.value:,.4g} {r.row.unit}", pred, err, note)
        c.print(fit(t), crop=False)
        c.print(f"median |error| {med * 100:.1f} % (target <= {MEDIAN_TOL * 100:.0f} %), "
                f"max {worst * 100:.1f} % (target <= {MAX_TOL * 100:.0f} %), {n} rows")

    emit(doc, as_json=as_json, out=out, write_files=write, show=show)


def models_cmd(models_files: ModelsOpt = None, as_json: JsonOpt = False,
               out: OutOpt = None) -> None:
    """List the model descriptions."""
    from aifab.perf import load_models

    ms = load_models(models_files or []).models
    rows = [m.model_dump(mode="json") for m in ms.values()]
    doc = {"command": "perf models", "inputs": {}, "models": rows}

    def write(tmp: Path) -> None:
        import pandas as pd

        write_text(tmp / "perf.json", to_json(versioned(doc)) + "\n")
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


def register(app: typer.Typer) -> None:
    """Add the ``perf`` sub-app."""
    perf = typer.Typer(help="Performance and energy model: tokens/s, training time, "
                       "tokens per joule.", no_args_is_help=True)
    perf.command("infer")(infer_cmd)
    perf.command("train")(train_cmd)
    perf.command("compare")(compare_cmd)
    perf.command("calibrate")(calibrate_cmd)
    perf.command("models")(models_cmd)
    app.add_typer(perf, name="perf")
