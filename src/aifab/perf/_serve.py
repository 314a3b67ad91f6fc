"""Serving capacity at a latency target, job durations for the simulator, and the
fleet-level output used by ``aifab plan``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from aifab.catalog import Accelerator, Catalog, default_catalog
from aifab.errors import BadInput
from aifab.perf._common import (
    USABLE_MEM,
    WEIGHT_BYTES,
    best_precision,
    resolve_device,
    resolve_model,
)
from aifab.perf._infer import (
    DEFAULT_TOKEN_BUDGET,
    InferenceResult,
    check_serving,
    inference,
    make_ctx,
    max_batch,
    result,
)
from aifab.perf._mix import MixItem, MixPoint, check_mix
from aifab.perf._models import ModelSet, ModelSpec
from aifab.perf._search import largest_batch, search
from aifab.perf._step import max_seqs
from aifab.perf._train import training

#: Reference workloads for fleet output.
REF_SERVE_MODEL = "llama-3.1-70b"
REF_INPUT, REF_OUTPUT, REF_TPOT_S = 2048, 256, 0.05
REF_TRAIN_MODEL, REF_TRAIN_TOKENS, REF_TRAIN_PRECISION = "llama-3.1-405b", 15.6e12, "bf16"
REF_TRAIN_JOB_DEVICES = 16384
YEAR_S = 365.0 * 86400.0


def min_tp(m: ModelSpec, acc: Accelerator, precision: str, context: int = 4096) -> int:
    """Smallest power-of-two tensor-parallel degree that holds the weights plus one
    ``context``-token sequence, up to 64; BadInput if none does."""
    tp = 1
    while tp <= 64:
        if max_batch(m, acc, tp, precision, context) >= 1:
            return tp
        tp *= 2
    need = m.params_b * WEIGHT_BYTES[precision] / (USABLE_MEM * acc.mem_gb)
    raise BadInput(f"{m.id} {precision.upper()} needs about {need:.0f} x {acc.id} for the "
                   "weights alone (more than tp=64)", where="devices")


def serving_point(model: str | ModelSpec, device: str | Accelerator, n_devices: int,
                  precision: str | None = None, *, input_tokens: int = REF_INPUT,
                  output_tokens: int = REF_OUTPUT, tpot_slo_s: float = REF_TPOT_S,
                  ttft_slo_s: float | None = None, pue: float = 1.2,
                  serving: str = "continuous", catalog: Catalog | None = None,
                  models: ModelSet | None = None) -> InferenceResult | None:
    """The largest-batch configuration of one replica of ``n_devices`` (tensor-parallel)
    that meets the TPOT (and optional TTFT) target; None if even batch 1 misses it."""
    m = resolve_model(model, models)
    acc = resolve_device(device, catalog)
    prec = precision or best_precision(acc)
    c = make_ctx(m, acc, prec, engine="auto")
    mode = check_serving(serving)
    if max_seqs(c, n_devices, input_tokens + output_tokens) < 1:
        inference(m, acc, n_devices, precision=prec, batch=1, input_tokens=input_tokens,
                  output_tokens=output_tokens, pue=pue, catalog=catalog)  # raises
        return None
    tpot = None if math.isinf(tpot_slo_s) else tpot_slo_s
    p = largest_batch(c, n_devices, 1, input_tokens, output_tokens, 1, mode,
                      DEFAULT_TOKEN_BUDGET, tpot, ttft_slo_s)
    if p is None:
        return None
    return result(c, p, n_devices, input_tokens, output_tokens, 1, pue, catalog)


def best_serving(m: ModelSpec, acc: Accelerator, precision: str, *,
                 input_tokens: int = REF_INPUT, output_tokens: int = REF_OUTPUT,
                 tpot_slo_s: float = REF_TPOT_S, ttft_slo_s: float | None = None,
                 pue: float = 1.2, serving: str = "continuous",
                 catalog: Catalog | None = None) -> InferenceResult | None:
    """The configuration search (``search``) over a group of max(8, smallest
    power-of-two group that holds the model) devices: the tp x pp layout and batch with
    the most tokens/s per device at the latency target."""
    tp = min_tp(m, acc, precision, input_tokens + output_tokens)
    r = search(m, acc, max(tp, 8), precision=precision, input_tokens=input_tokens,
               output_tokens=output_tokens, tpot_slo_s=tpot_slo_s, ttft_slo_s=ttft_slo_s,
               serving=serving, pue=pue, compare_static=False, catalog=catalog)
    return r.best


@lru_cache(maxsize=4096)
def _capacity_cached(model: str, device: str, n_devices: int, precision: str | None,
                     input_tokens: int, output_tokens: int, tpot_slo_s: float,
                     ttft_slo_s: float | None) -> float:
    r = serving_point(model, device, n_devices, precision, input_tokens=input_tokens,
                      output_tokens=output_tokens, tpot_slo_s=tpot_slo_s, ttft_slo_s=ttft_slo_s)
    return 0.0 if r is None else r.tokens_per_s


def replica_capacity(model: str, device_id: str, n_devices: int,
                     precision: str | None = None, *, input_tokens: int = REF_INPUT,
                     output_tokens: int = REF_OUTPUT, tpot_slo_s: float = REF_TPOT_S,
                     ttft_slo_s: float | None = None, catalog: Catalog | None = None,
                     models: ModelSet | None = None) -> float:
    """Output tokens/s one replica of ``n_devices`` sustains at the latency target
    (0.0 if the target cannot be met); cached for the packaged catalogue and models."""
    if catalog is None and models is None:
        return _capacity_cached(model, device_id, n_devices, precision, input_tokens,
                                output_tokens, tpot_slo_s, ttft_slo_s)
    r = serving_point(model, device_id, n_devices, precision, input_tokens=input_tokens,
                      output_tokens=output_tokens, tpot_slo_s=tpot_slo_s,
                      ttft_slo_s=ttft_slo_s, catalog=catalog, models=models)
    return 0.0 if r is None else r.tokens_per_s


def job_duration_s(model: str, tokens: float, device_id: str, n_devices: int, *,
                   kind: str = "train", precision: str = "bf16", seq_len: int | None = None,
                   catalog: Catalog | None = None, models: ModelSet | None = None) -> float:
    """Seconds a job takes on ``n_devices`` of ``device_id``.

    kind "train" (full pre-training, ``tokens`` trained), "finetune" (LoRA) or "infer"
    (``tokens`` output tokens generated by n_devices at the largest batch that fits,
    2048 in / 256 out per request, no latency target).
    """
    if kind in ("train", "finetune"):
        return training(model, tokens, device_id, n_devices, precision=precision,
                        seq_len=seq_len, mode="lora" if kind == "finetune" else "full",
                        catalog=catalog, models=models).time_s
    if kind != "infer":
        raise BadInput(f"unknown job kind {kind!r} (train, finetune or infer)", where="kind")
    m = resolve_model(model, models)
    acc = resolve_device(device_id, catalog)
    tp = min_tp(m, acc, precision)
    if n_devices < tp:
        raise BadInput(f"{m.id} needs at least {tp} x {acc.id} at {precision}",
                       where="devices")
    tps = replica_capacity(m.id, acc.id, tp, precision, tpot_slo_s=math.inf, catalog=catalog,
                           models=models)
    return tokens / (tps * (n_devices // tp))


@dataclass(frozen=True)
class FactoryOutput:
    """What a fleet of one accelerator type produces in a year (reference workloads)."""

    accelerator: str
    count: int
    load_factor: float
    precision: str
    tp: int
    tokens_per_s_per_device: float
    tokens_per_year: float
    training_run_days: float
    training_runs_per_year: float
    facility_w_per_device: float
    tokens_per_kwh: float
    reference: str
    pp: int = 1


@lru_cache(maxsize=256)
def _per_device(acc_id: str) -> tuple[str, int, int, float, float, float, float]:
    return _per_device_uncached(acc_id, None)


def _per_device_uncached(acc_id: str, catalog: Catalog | None
                         ) -> tuple[str, int, int, float, float, float, float]:
    """(precision, tp, pp, serve tokens/s per device, facility W per device at that point,
    405B run time on REF_TRAIN_JOB_DEVICES devices (s) or inf, job size)."""
    acc = resolve_device(acc_id, catalog)
    prec = best_precision(acc)
    m = resolve_model(REF_SERVE_MODEL, None)
    r = best_serving(m, acc, prec, pue=1.0, catalog=catalog)
    tp = min_tp(m, acc, prec, REF_INPUT + REF_OUTPUT) if r is None else r.tp
    pp = 1 if r is None else r.pp
    tpd = 0.0 if r is None else r.tokens_per_s_per_device
    fac_w = acc.tdp_w if r is None else r.facility_w_per_device
    tprec = REF_TRAIN_PRECISION if acc.peak_tflops(REF_TRAIN_PRECISION) else prec
    try:
        t = training(REF_TRAIN_MODEL, REF_TRAIN_TOKENS, acc, REF_TRAIN_JOB_DEVICES,
                     precision=tprec, catalog=catalog).time_s
    except BadInput:
        t = math.inf
    return prec, tp, pp, tpd, fac_w, t, float(REF_TRAIN_JOB_DEVICES)


def mix_point(accelerator_id: str, items: tuple[MixItem, ...], tpot_slo_s: float,
              catalog: Catalog | None = None) -> MixPoint:
    """The mix served on ``accelerator_id`` at its lowest native precision, each workload
    at the search's best layout under the TPOT target. A workload the device cannot
    serve (too little memory in a group, or the target unreachable) is skipped and the
    others' shares renormalised; ``skipped`` names it."""
    check_mix(items)
    acc = resolve_device(accelerator_id, catalog)
    prec = best_precision(acc)
    time_per_tok, watt_time, served, skipped = 0.0, 0.0, [], []
    weight = 0.0
    for it in items:
        m = resolve_model(it.model, None)
        try:
            r = best_serving(m, acc, prec, input_tokens=it.input_tokens,
                             output_tokens=it.output_tokens, tpot_slo_s=tpot_slo_s, pue=1.0,
                             catalog=catalog)
        except BadInput:
            r = None
        if r is None or r.tokens_per_s_per_device <= 0:
            skipped.append(it.model)
            continue
        t = it.share / r.tokens_per_s_per_device  # device-seconds per mix token
        time_per_tok += t
        watt_time += t * r.facility_w_per_device
        weight += it.share
        served.append(it.model)
    if not served:
        return MixPoint(prec, 0.0, acc.tdp_w, (), tuple(skipped))
    return MixPoint(prec, weight / time_per_tok, watt_time / time_per_tok, tuple(served),
                    tuple(skipped))


@lru_cache(maxsize=256)
def _mix_cached(acc_id: str, mix: tuple[MixItem, ...], tpot_slo_s: float) -> MixPoint:
    return mix_point(acc_id, mix, tpot_slo_s)


def factory_output(accelerator_id: str, count: int, load_factor: float,
                   catalog: Catalog | None = None, mix: tuple[MixItem, ...] | None = None,
                   tpot_slo_s: float = REF_TPOT_S) -> FactoryOutput:
    """Yearly inference tokens and 405B-scale training runs for ``count`` devices busy
    ``load_factor`` of the time (each figure as if the whole fleet did only that).
    Inference serves ``mix`` (see ``mix_point``) when given, else the reference model."""
    if count < 0:
        raise BadInput(f"must not be negative, got {count}", where="count")
    if not 0.0 <= load_factor <= 1.0:
        raise BadInput(f"must be within [0, 1], got {load_factor}", where="load_factor")
    # The packaged catalogue (what load_catalog() returns without user files) is immutable
    # and cached, so its per-device figures are memoised too; a user catalogue is not.
    packaged = catalog is None or catalog is default_catalog()
    prec, tp, pp, tpd, fac_w, run_s, job_n = (_per_device(accelerator_id) if packaged
                                          else _per_device_uncached(accelerator_id, catalog))
    ref_serve = (f"inference: {REF_SERVE_MODEL} {prec.upper()} tp={tp} x pp={pp}, "
                 f"continuous batching, {REF_INPUT} in / {REF_OUTPUT} out tokens, TPOT <= "
                 f"{REF_TPOT_S * 1000:.0f} ms")
    if mix:
        mp = (_mix_cached(accelerator_id, mix, tpot_slo_s) if packaged
              else mix_point(accelerator_id, mix, tpot_slo_s, catalog))
        tpd, fac_w = mp.tokens_per_s_per_device, mp.facility_w_per_device
        ref_serve = (f"inference: workload mix of {len(mix)} ({', '.join(mp.served)}) at "
                     f"{mp.precision.upper()}, TPOT <= {tpot_slo_s * 1000:.0f} ms" +
                     (f"; not servable here: {', '.join(mp.skipped)}" if mp.skipped else ""))
    busy_s = YEAR_S * load_factor
    tokens_year = tpd * count * busy_s
    runs = 0.0 if not math.isfinite(run_s) else count / job_n * busy_s / run_s
    ref = (f"{ref_serve}; training: "
           f"{REF_TRAIN_MODEL} on {REF_TRAIN_TOKENS:.3g} tokens in jobs of "
           f"{int(job_n)} devices; facility power excludes PUE")
    return FactoryOutput(
        accelerator=accelerator_id, count=count, load_factor=load_factor, precision=prec,
        tp=tp, tokens_per_s_per_device=tpd, tokens_per_year=tokens_year,
        training_run_days=run_s / 86400.0, training_runs_per_year=runs,
        facility_w_per_device=fac_w,
        tokens_per_kwh=tpd * 3.6e6 / fac_w if fac_w > 0 else 0.0, reference=ref, pp=pp)
