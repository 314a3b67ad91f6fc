"""``aifab perf``: inference and training predictions, device comparison, calibration."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aifab._checks import finite
from aifab.catalog import load_catalog
from aifab.commands._common import CatalogOpt, JsonOpt, OutOpt, emit, fit, table
from aifab.commands._perf_data import ModelsOpt, calibrate_cmd, models_cmd, result_rows, title
from aifab.errors import BadInput

ModelArg = Annotated[str, typer.Option("--model", help="Model id (see `aifab perf models`).")]

#: Devices in one job or serving fleet: ten times the largest national fleets.
MAX_DEVICES = 10_000_000
#: Training tokens: a thousand times the largest published pre-training runs (~4e13).
MAX_TOKENS = 1e17


def _check_common(devices: int | None = None, pue: float | None = None) -> None:
    """Bounds shared by the perf commands (flags parse as finite numbers already)."""
    if devices is not None and devices < 1:
        raise BadInput(f"must be >= 1, got {devices:,}", where="--devices")
    if devices is not None and devices > MAX_DEVICES:
        raise BadInput(f"must be <= {MAX_DEVICES:,}, got {devices:,}", where="--devices")
    if pue is not None:
        finite(pue, "--pue", lo=1.0, hi=3.0)


def _kv_table(title: str, rows: list[tuple[str, str]]) -> Table:
    t = Table(title=title, show_header=False)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in rows:
        t.add_row(k, v)
    return t


def infer_cmd(
    model: ModelArg,
    device: Annotated[str, typer.Option("--device", help="Accelerator id.")],
    devices: Annotated[int | None, typer.Option(
        "--devices", help="Devices in all (default 1; one server with --optimize).")] = None,
    tp: Annotated[int | None, typer.Option("--tp", help="Tensor-parallel degree per "
                                           "replica (default: devices / pp).")] = None,
    pp: Annotated[int | None, typer.Option(
        "--pp", help="Pipeline stages per replica (default 1; searched with --batch max).")
    ] = None,
    precision: Annotated[str | None, typer.Option(
        "--precision", help="bf16, fp8, fp4 or int8 (default: the lowest format the device "
        "runs natively, stated in the output).")] = None,
    dp: Annotated[int | None, typer.Option(
        "--dp", help="MoE attention data-parallel ranks per stage.")] = None,
    ep: Annotated[int | None, typer.Option(
        "--ep", help="MoE expert-parallel degree (divides tp x dp and the experts).")] = None,
    spec_tokens: Annotated[int, typer.Option(
        "--spec-tokens", help="Speculative decoding: draft tokens per step (MTP, EAGLE).")] = 0,
    spec_accept: Annotated[float, typer.Option(
        "--spec-accept", help="Speculative decoding: acceptance rate per draft token.")] = 0.7,
    engine: Annotated[str, typer.Option(
        "--engine", help="auto (default: the precomputed aiconfigurator table where it "
        "covers the case, else the roofline), roofline, table, or aiconfigurator (optional "
        "package; one configuration).")] = "auto",
    batch: Annotated[str | None, typer.Option(
        "--batch", help="Requests per replica (default 1), or 'max' (largest meeting the "
        "targets; searches the layout; the default with --optimize).")] = None,
    optimize: Annotated[str | None, typer.Option(
        "--optimize", help="Search tp x pp x batch for throughput, latency or energy.")] = None,
    serving: Annotated[str, typer.Option(
        "--serving", help="continuous (in-flight, chunked prefill) or static.")] = "continuous",
    token_budget: Annotated[int, typer.Option(
        "--token-budget", help="Tokens per continuous-batching step.")] = 8192,
    tpot_ms: Annotated[float | None, typer.Option("--tpot-ms", help="TPOT target.")] = None,
    ttft_s: Annotated[float | None, typer.Option("--ttft-s", help="TTFT target.")] = None,
    slo_percentile: Annotated[float | None, typer.Option(
        "--slo-percentile", help="Read --tpot-ms as this percentile of per-request TPOT "
        "under Poisson arrivals (e.g. 99, as MLPerf), not the mean.")] = None,
    disaggregate: Annotated[bool, typer.Option(
        "--disaggregate", help="Also report prefill/decode disaggregation.")] = False,
    input_tokens: Annotated[int, typer.Option("--input", help="Prompt tokens.")] = 2048,
    output_tokens: Annotated[int, typer.Option("--output", help="Generated tokens.")] = 128,
    pue: Annotated[float, typer.Option("--pue", help="Facility PUE for facility J/token.")] = 1.2,
    models_files: ModelsOpt = None, catalog_files: CatalogOpt = None,
    as_json: JsonOpt = False, out: OutOpt = None,
) -> None:
    """Predict one serving configuration, or search the best one (--optimize, --batch max)."""
    from aifab.errors import BadInput
    from aifab.perf import (
        InferInputs,
        InferReport,
        SearchReport,
        aic_inference,
        best_precision,
        check_engine,
        disaggregated,
        inference,
        load_models,
        search,
    )

    _check_common(devices, pue)
    if batch is not None and batch != "max" and not (batch.isdigit() and int(batch) > 0):
        raise BadInput(f"must be a positive integer or 'max', got {batch!r}", where="batch")
    cat = load_catalog(catalog_files or [])
    ms = load_models(models_files or [])
    ms.get(model, where="--model")
    native = best_precision(cat.accelerator(device, where="--device"))
    prec_note = None if precision else (
        f"precision {native.upper()}: the lowest format {device} runs natively "
        "(--precision to change)")
    precision = precision or native
    spec_a = spec_accept if spec_tokens else 0.0
    tpot = None if tpot_ms is None else tpot_ms / 1000.0
    engine = engine.lower()
    if slo_percentile is not None and (tpot is None or (optimize is None and batch != "max")):
        raise BadInput("reads the --tpot-ms target of a search (give --tpot-ms and "
                       "--batch max or --optimize)", where="--slo-percentile")
    inputs = InferInputs(
        model=model, device=device, devices=devices, tp=tp, pp=pp, dp=dp, ep=ep,
        spec_tokens=spec_tokens, spec_accept=spec_a, precision=precision,
        batch=int(batch) if batch and batch.isdigit() else (batch or 1), optimize=optimize,
        serving=serving, token_budget=token_budget, tpot_ms=tpot_ms, ttft_s=ttft_s,
        disaggregate=disaggregate, input=input_tokens, output=output_tokens, pue=pue,
        engine=engine, slo_percentile=slo_percentile)
    check_engine(engine, single=not (optimize or batch == "max" or disaggregate
                                     or spec_tokens))
    if optimize is None and batch != "max" and not disaggregate:
        if engine == "aiconfigurator":
            r = aic_inference(model, device, devices or 1, precision=precision,
                              batch=int(batch or 1), input_tokens=input_tokens,
                              output_tokens=output_tokens, tp=tp, pp=pp or 1, dp=dp or 1,
                              ep=ep or 1, pue=pue, catalog=cat, models=ms)
        else:
            r = inference(model, device, devices or 1, precision=precision,
                          batch=int(batch or 1), input_tokens=input_tokens,
                          output_tokens=output_tokens, tp=tp, pp=pp or 1, serving=serving,
                          token_budget=token_budget, pue=pue, catalog=cat, models=ms,
                          dp=dp or 1, ep=ep or 1, spec_k=spec_tokens, spec_accept=spec_a,
                          engine=engine)
        if prec_note:
            r = dataclasses.replace(r, notes=(prec_note, *r.notes))
        report: InferReport | SearchReport = InferReport("perf infer", inputs, r)

        def show(c: Console) -> None:
            c.print(_kv_table(title(r), result_rows(r)))
            for n in r.notes:
                c.print(f"[yellow]note:[/] {n}")

        emit(report.to_dict(), as_json=as_json, out=out, write_files=report.write, show=show)
        return
    res = search(model, device, devices, precision=precision,
                 objective=optimize or "throughput",
                 batch=None if batch in (None, "max") else int(batch),
                 input_tokens=input_tokens,
                 output_tokens=output_tokens, tpot_slo_s=tpot, ttft_slo_s=ttft_s,
                 serving=serving, token_budget=token_budget, pue=pue, catalog=cat, models=ms,
                 tp=tp, pp=pp, dp=dp, ep=ep,
                 spec_k=spec_tokens, spec_accept=spec_a, engine=engine,
                 slo_percentile=slo_percentile)
    if prec_note and res.best is not None:
        res = dataclasses.replace(res, best=dataclasses.replace(
            res.best, notes=(prec_note, *res.best.notes)))
    dis = disaggregated(model, device, res.devices, precision=precision,
                        input_tokens=input_tokens, output_tokens=output_tokens,
                        tpot_slo_s=tpot, ttft_slo_s=ttft_s, token_budget=token_budget,
                        catalog=cat, models=ms, engine=engine) if disaggregate else None
    report = SearchReport("perf infer", inputs, res, res.best, dis)

    def show_search(c: Console) -> None:
        if res.best is None:
            c.print(f"[red]no configuration of {res.devices} x {device} meets the targets[/]")
            return
        c.print(_kv_table("best for " + res.objective + ": " + title(res.best),
                          result_rows(res.best)))
        t = Table(title=f"every layout of {res.devices} devices at its best batch")
        for col in ("tp", "pp", "dp/ep", "replicas", "batch", "tok/s", "TTFT s", "TPOT ms",
                    "tok/J fac.", "bound"):
            t.add_column(col, justify="left" if col == "bound" else "right")
        for r in res.candidates:
            t.add_row(str(r.tp), str(r.pp), f"{r.dp}/{r.ep}", str(r.replicas), str(r.batch),
                      f"{r.tokens_per_s:,.0f}", f"{r.ttft_s:.3f}", f"{r.tpot_s * 1000:.1f}",
                      f"{r.tokens_per_j_facility:.2f}",
                      r.bottleneck + ("" if r.engine == "roofline" else f"; {r.engine}"))
        c.print(t)
        if res.static_best is not None and res.gain_vs_static is not None:
            sb = res.static_best
            c.print(f"static batching, same search: tp={sb.tp} x pp={sb.pp}, batch "
                    f"{sb.batch}, {sb.tokens_per_s:,.0f} tok/s; continuous gains "
                    f"{res.gain_vs_static * 100:+.1f} % on {res.objective}")
        if disaggregate:
            if dis is None:
                c.print("disaggregation: no split meets the targets")
            else:
                c.print(f"disaggregation: {dis.prefill_replicas} x tp{dis.prefill_tp} prefill "
                        f"+ {dis.decode_replicas} x tp{dis.decode_tp} decode (batch "
                        f"{dis.decode_batch}): {dis.tokens_per_s:,.0f} tok/s, TTFT "
                        f"{dis.ttft_s:.3f} s (KV transfer {dis.kv_transfer_s * 1000:.1f} ms), "
                        f"TPOT {dis.tpot_s * 1000:.1f} ms; {dis.gain_vs_colocated * 100:+.1f} % "
                        f"vs colocated ({dis.limit}-limited)")
        for n in res.best.notes:
            c.print(f"[yellow]note:[/] {n}")

    emit(report.to_dict(), as_json=as_json, out=out, write_files=report.write,
         show=show_search)


def train_cmd(
    model: ModelArg,
    tokens: Annotated[float, typer.Option("--tokens", help="Training tokens, e.g. 15e12.")],
    device: Annotated[str, typer.Option("--device", help="Accelerator id.")],
    devices: Annotated[int, typer.Option("--devices", help="Devices in the job.")],
    precision: Annotated[str, typer.Option("--precision", help="bf16, fp8 or fp4.")] = "bf16",
    seq_len: Annotated[int | None, typer.Option("--seq-len", help="Sequence length.")] = None,
    lora: Annotated[bool, typer.Option("--lora", help="LoRA fine-tuning FLOPs.")] = False,
    pue: Annotated[float, typer.Option("--pue", help="Facility PUE.")] = 1.2,
    ckpt_write_s: Annotated[float | None, typer.Option(
        "--checkpoint-write-s", help="Seconds a checkpoint blocks training "
        "(default: aifab/reliability/data).")] = None,
    restart_s: Annotated[float | None, typer.Option(
        "--restart-s", help="Restart overhead after an interruption (s).")] = None,
    ckpt_interval_h: Annotated[float | None, typer.Option(
        "--checkpoint-interval-h", help="Checkpoint interval (default: Young/Daly).")] = None,
    models_files: ModelsOpt = None, catalog_files: CatalogOpt = None,
    as_json: JsonOpt = False, out: OutOpt = None,
    failure_scale: Annotated[float, typer.Option("--failure-scale", help="Multiply every "
        "failure rate (0 to 1000; 2 doubles the expected interruptions).")] = 1.0,
) -> None:
    """Predict training time, GPU-hours and energy (6ND + attention over peak x MFU), and
    the expected interruptions, checkpoint interval and ETTR (aifab.reliability)."""
    from aifab.errors import BadInput
    from aifab.perf import TrainInputs, TrainReport, load_models, training
    from aifab.reliability import train_failure_model, training_reliability

    fm = train_failure_model(ckpt_write_s, restart_s, ckpt_interval_h, failure_scale)

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
                 catalog=load_catalog(catalog_files or []),
                 models=models)
    rel = training_reliability(
        r.devices, r.time_days, r.family,
        fm,
        interval_s=None if ckpt_interval_h is None else ckpt_interval_h * 3600.0)
    report = TrainReport("perf train", TrainInputs(
        model=model, tokens=tokens, device=device, devices=devices, precision=precision,
        seq_len=r.seq_len, lora=lora, pue=pue, checkpoint_write_s=rel.checkpoint_write_s,
        restart_s=rel.restart_s, checkpoint_interval_h=ckpt_interval_h,
        failure_scale=failure_scale), r, rel.to_dict())

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
        c.print(_kv_table(
            "Failures (Llama 3 rates x family multiplier; aifab.reliability)",
            [("expected unexpected interruptions", f"{rel.interruptions:,.0f}"),
             ("job mean time to interrupt (h)", f"{rel.mtti_h:,.2f}"),
             ("checkpoint interval (h)" + (" Young/Daly" if rel.optimal else ""),
              f"{rel.checkpoint_interval_h:,.2f}"),
             ("ETTR", f"{rel.ettr:.3f}"),
             (f"ETTR over {rel.detect_range_s[0]:.0f}-{rel.detect_range_s[1]:.0f} s of"
              " hardware detection", f"{rel.ettr_range[0]:.3f}-{rel.ettr_range[1]:.3f}"),
             ("wall-clock days with failures", f"{rel.wall_days:,.2f}"),
             ("detection time per interruption (s)", f"{rel.detect_s:,.0f}"),
             ("accelerator-hours lost (work + detection + restarts)",
              f"{rel.lost_accelerator_hours:,.0f}")]))
        for n in r.notes:
            c.print(f"[yellow]note:[/] {n}")

    emit(report.to_dict(), as_json=as_json, out=out, write_files=report.write, show=show)


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
    from aifab.perf import CompareReport, compare, load_models

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
    report = CompareReport("perf compare", {
        "model": model, "devices_list": tuple(devs), "precision": precision,
        "input": input_tokens, "output": output_tokens, "tpot_ms": tpot_ms, "ttft_s": ttft_s,
        "target_tokens_per_s": target, "usd_per_kwh": usd_per_kwh, "years": years,
        "load_factor": load_factor, "pue": pue}, tuple(rows))

    def show(c: Console) -> None:
        t = table("device", "prec", "tp/pp", "batch", "tok/s/dev", "devs", "kW", "tok/J",
                  "$/Mtok", "bound", title=f"{model}: {input_tokens} in / {output_tokens} out, "
                  f"TPOT <= {tpot_ms:g} ms, {target:,.0f} tokens/s to serve")
        for r in rows:
            usd = "n/a" if r.usd_per_mtok is None else f"{r.usd_per_mtok:.3f}"
            lay = f"{r.tp}/{r.pp}" + (f" dp{r.dp} ep{r.ep}" if r.dp > 1 or r.ep > 1 else "")
            t.add_row(r.device, r.precision, lay, str(r.batch),
                      f"{r.tokens_per_s_per_device:,.0f}", f"{r.devices_needed:,}",
                      f"{r.facility_kw:,.0f}", f"{r.tokens_per_j:.2f}", usd,
                      r.bottleneck.replace(" bandwidth", ""))
        c.print(fit(t), crop=False)
        c.print("tp/pp: tensor x pipeline parallel (dp/ep: MoE attention data / expert "
                "parallel); devs: devices needed; bound: what limits it "
                "(memory = memory bandwidth)")
        c.print("layout and batch: the configuration search on a group of max(8, the "
                "smallest that holds the model) devices, continuous batching; kW and tok/J: "
                "facility (device + host share) x PUE; $/Mtok: capex (estimates, "
                "perf/data/devices.csv) / years + electricity, at the load factor")
        for r in rows:
            for n in r.notes:
                c.print(f"[yellow]note:[/] {n}")

    emit(report.to_dict(), as_json=as_json, out=out, write_files=report.write, show=show)


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
