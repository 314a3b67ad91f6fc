"""Inference roofline: one serving configuration (tensor x pipeline parallel replicas,
static or continuous batching), with latency, memory and energy.

Static batching: the replica prefills the whole batch, then decodes it; TTFT is that
prefill, TPOT the decode step at the mean context. Continuous batching with chunked
prefill: every step decodes one token for each running sequence and carries the prompt
tokens of newly admitted requests (on average batch x input / output per step, within a
token budget per step); TPOT is that mixed step, TTFT the steps a new prompt needs.
"""

from __future__ import annotations

import math
from dataclasses import replace

from aifab.catalog import Accelerator, Catalog
from aifab.errors import BadInput
from aifab.perf._common import (
    DEQUANT_EFF,
    USABLE_MEM,
    busy_utilisation,
    check_precision,
    dequantised,
    device_power_w,
    host_share_w,
    resolve_device,
    resolve_model,
)
from aifab.perf._factors import Factors, factors_for
from aifab.perf._layout import moe_ctx
from aifab.perf._models import ModelSet, ModelSpec
from aifab.perf._points import DEFAULT_TOKEN_BUDGET as DEFAULT_TOKEN_BUDGET
from aifab.perf._points import InferenceResult as InferenceResult
from aifab.perf._points import Point as Point
from aifab.perf._step import Ctx, max_seqs, stage_cost
from aifab.perf._table import check_table_engine, pipeline_scaled, table_point

SERVING = ("continuous", "static")
#: Largest batch per replica the calibration rows cover (their "max" batches are capped
#: here); results above it are marked extrapolated.
CALIBRATED_BATCH = 1024
#: Micro-batches per pipeline stage in flight (assumed: 2, so an 8-stage pipeline pays
#: (16 + 7) / 16 = 1.44x per step; TensorRT-LLM keeps pp micro-batches plus the next).
PIPELINE_MICROBATCHES = 2


def max_batch(m: ModelSpec, acc: Accelerator, tp: int, precision: str, context: int,
              beams: int = 1) -> int:
    """Largest batch whose weights and KV cache fit in ``tp`` devices' usable memory."""
    prec, peak = check_precision(acc, precision)
    c = Ctx(m, acc, factors_for(acc), prec, peak)
    return max_seqs(c, tp, context * beams, tp)


def budget_batch(input_tokens: int, output_tokens: int, beams: int, budget: int) -> int:
    """Largest continuous batch whose decode tokens plus amortised prompt tokens per step
    (batch x (beams + input / output)) fit the step's token budget."""
    return int(budget // (beams + input_tokens / output_tokens))


def _draft_s(c: Ctx, tp: int, pp: int, seqs: float, ctx: float) -> float:
    """Time to draft ``spec_k`` tokens for ``seqs`` sequences: k passes of the draft's
    ``draft_layers`` layers (MTP module or EAGLE head), priced as that share of a decode
    pass (its own floor included)."""
    if c.spec_k == 0:
        return 0.0
    one = stage_cost(c, tp, pp, seqs=seqs, ctx=ctx, prefill_tokens=0, prefill_ctx=0)
    return c.spec_k * pp * one.time_s * c.draft_layers / c.m.layers


def evaluate(c: Ctx, tp: int, pp: int, batch: int, input_tokens: int, output_tokens: int,
             beams: int = 1, serving: str = "continuous",
             budget: int = DEFAULT_TOKEN_BUDGET, with_ttft: bool = True) -> Point | None:
    """Timing of one replica by ``c.engine``: the roofline (``roofline_point``), or for
    "auto" and "table" the aiconfigurator table where it covers the configuration (_table;
    the roofline decides feasibility: memory, token budget). "table" leaves an uncovered
    point to the roofline too, marked so; the search drops those."""
    p = roofline_point(c, tp, pp, batch, input_tokens, output_tokens, beams, serving,
                       budget, with_ttft)
    if p is None or c.engine == "roofline":
        return p
    slowdown = 1.0
    if c.power_cap < 1.0:  # the table times the uncapped device; the cap's slowdown
        free = replace(c, power_cap=1.0, peak_tflops=c.peak_tflops / c.power_cap ** (1 / 3))
        q = roofline_point(free, tp, pp, batch, input_tokens, output_tokens, beams,
                           serving, budget, with_ttft=False)
        slowdown = p.tpot_s / q.tpot_s if q is not None else 1.0
    t = table_point(c, p, input_tokens, output_tokens, beams, slowdown)
    if t is None and pp > 1:  # the table's tp x 1 replica, the roofline's pipeline effect
        p1 = roofline_point(c, tp, 1, batch, input_tokens, output_tokens, beams, serving,
                            budget, with_ttft)
        t1 = None if p1 is None else table_point(c, p1, input_tokens, output_tokens, beams,
                                                 slowdown)
        t = None if t1 is None or p1 is None else pipeline_scaled(p, p1, t1, output_tokens)
    return p if t is None else t


def roofline_point(c: Ctx, tp: int, pp: int, batch: int, input_tokens: int,
                   output_tokens: int, beams: int = 1, serving: str = "continuous",
                   budget: int = DEFAULT_TOKEN_BUDGET, with_ttft: bool = True
                   ) -> Point | None:
    """Roofline timing of one replica of tp x pp (x dp) devices; None when a continuous batch
    exceeds the token budget (the server could not admit prompts as fast as requests
    finish). ``with_ttft`` False skips the TTFT (NaN) for probes that do not need it.
    Pipeline stages overlap over micro-batches, with the bubble of a pipeline fed
    PIPELINE_MICROBATCHES x pp micro-batches charged."""
    inp, out = input_tokens, output_tokens
    seqs = batch * beams
    ctx = inp + out / 2.0
    w = 1 + c.spec_k
    e = c.tokens_per_step
    bubble = pipeline_bubble(pp)
    if serving == "static":
        m_dc = min(pp, seqs)
        dc = stage_cost(c, tp, pp, seqs=seqs / m_dc, ctx=ctx, prefill_tokens=0,
                        prefill_ctx=0, decode_width=w)
        tpot = (pp * dc.time_s * bubble + _draft_s(c, tp, pp, seqs, ctx)) / e
        if not with_ttft:  # a probe: the TPOT alone (no prefill pass; the rest NaN)
            nan = math.nan
            return Point(tp, pp, batch, serving, nan, tpot, nan, nan, nan, nan, nan, nan, nan)
        m_pf = min(pp, batch)
        pf = stage_cost(c, tp, pp, seqs=0, ctx=0, prefill_tokens=batch * inp / m_pf,
                        prefill_ctx=inp / 2.0)
        ttft = (m_pf + pp - 1) * pf.time_s
        total = ttft + out * tpot
        n_pf, n_dc = m_pf + pp - 1, out * pp / e
        t_comp = n_pf * pf.comp_s + n_dc * dc.comp_s
        t_mem = n_pf * pf.mem_s + n_dc * dc.mem_s
        t_comm = n_pf * pf.comm_s + n_dc * dc.comm_s
        flops = pp * (m_pf * pf.flops + out / e * m_dc * dc.flops)
        nbytes = pp * (m_pf * pf.nbytes + out / e * m_dc * dc.nbytes)
        return Point(tp, pp, batch, serving, ttft, tpot, total, batch * out / total,
                     t_comp, t_mem, t_comm, flops / total, nbytes / total)
    prompt = batch * inp * e / out  # prompt tokens per step in steady state
    budget *= c.dp  # each attention-DP rank schedules its own token budget
    if seqs * w + prompt > budget:
        return None
    mb = min(pp, seqs)
    st = stage_cost(c, tp, pp, seqs=seqs / mb, ctx=ctx, prefill_tokens=prompt / mb,
                    prefill_ctx=inp / 2.0, decode_width=w)
    step = pp * st.time_s * bubble + _draft_s(c, tp, pp, seqs, ctx)
    tpot = step / e
    ttft = math.nan  # skipped on request (search probes without a TTFT target)
    if with_ttft:
        chunk = min(inp, (budget - seqs * w) / c.dp)  # prompt tokens a new request gets
        ch = stage_cost(c, tp, pp, seqs=seqs / mb, ctx=ctx, prefill_tokens=chunk,
                        prefill_ctx=inp / 2.0, decode_width=w)
        ttft = math.ceil(inp / chunk) * pp * ch.time_s * bubble
    return Point(tp, pp, batch, serving, ttft, tpot, ttft + out * tpot, batch / tpot,
                 st.comp_s, st.mem_s, st.comm_s, pp * mb * st.flops / step,
                 pp * mb * st.nbytes / step)


def pipeline_bubble(pp: int) -> float:
    """Step-time factor of a pipeline of ``pp`` stages fed m = PIPELINE_MICROBATCHES x pp
    micro-batches: (m + pp - 1) / m (GPipe-style fill and drain each step)."""
    if pp <= 1:
        return 1.0
    m = PIPELINE_MICROBATCHES * pp
    return (m + pp - 1) / m


_TABLE_NOTES = {"table+pp": " without the pipeline, whose effect is the roofline's",
                "table+spec": " with a speculative verification step of k + 1 tokens"}


def make_ctx(m: ModelSpec, acc: Accelerator, precision: str,
             factors: dict[str, Factors] | None = None, engine: str = "roofline") -> Ctx:
    prec, peak = check_precision(acc, precision)
    return Ctx(m, acc, factors_for(acc, factors), prec, peak, engine=engine)


def result(c: Ctx, p: Point, devices: int, input_tokens: int, output_tokens: int,
           beams: int, pue: float, catalog: Catalog | None,
           budget: int = DEFAULT_TOKEN_BUDGET) -> InferenceResult:
    """The full result (memory, power, notes) for an evaluated point on ``devices``."""
    acc, m, f = c.acc, c.m, c.f
    n = p.tp * p.pp * c.dp
    context = input_tokens + output_tokens
    weights_dev_gb = c.weight_bytes / n / 1e9
    kv_dev_gb = c.kv_tok * context * p.batch * beams * m.kv_copies(p.tp) / n / 1e9
    replicas = devices // n
    tps = replicas * p.tokens_per_s
    bottleneck = max((p.t_comp, "compute"), (p.t_mem, "memory bandwidth"),
                     (p.t_comm, "communication"))[1]
    compute_util = p.flops_per_s / (c.peak_tflops * 1e12 * n)
    bw_util = p.bytes_per_s / (acc.bw_tbps * 1e12 * n)
    # Power: a floor when busy, rising to TDP as the run approaches its compute roofline.
    u = busy_utilisation(f.power_floor, compute_util / f.compute_eff)
    p_dev = min(device_power_w(acc, u), c.power_cap * acc.tdp_w)
    p_fac = (p_dev + host_share_w(acc, catalog) * u) * pue
    tok_dev = tps / devices
    notes: list[str] = []
    if acc.kind == "npu" or acc.uncertain:
        notes.append(f"{acc.id}: specs partly vendor claims or derived ({acc.note})")
    if acc.kind == "npu" or not f.method.startswith("fitted"):
        notes.append(f"efficiency factors for family {f.family}: {f.method} ({f.note})")
    native = dequantised(acc, c.prec)
    if native is not None:
        notes.append(f"{acc.id} has no native {c.prec.upper()}: weights stay "
                     f"{c.prec.upper()} and are dequantised to {native.upper()} in the GEMMs "
                     f"(peak x {DEQUANT_EFF})")
    if p.engine.startswith("table"):
        notes.append("engine: aiconfigurator table (TensorRT-LLM kernel database, "
                     "interpolated)" + _TABLE_NOTES.get(p.engine, "")
                     + "; memory and power from the roofline")
    elif c.engine != "roofline":
        notes.append("engine: roofline (outside the aiconfigurator table's coverage)")
    extrapolated = p.batch > CALIBRATED_BATCH * c.dp
    if extrapolated:
        notes.append(f"batch {p.batch} is above the largest calibrated batch "
                     f"({CALIBRATED_BATCH} per attention rank): extrapolated")
    return InferenceResult(
        model=m.id, device=acc.id, devices=devices, tp=p.tp, replicas=replicas,
        precision=c.prec, batch=p.batch, input_tokens=input_tokens,
        output_tokens=output_tokens, beams=beams, tokens_per_s=tps,
        tokens_per_s_per_device=tok_dev, ttft_s=p.ttft_s, tpot_s=p.tpot_s,
        request_latency_s=p.request_latency_s,
        mem_gb_per_device=weights_dev_gb + kv_dev_gb, mem_usable_gb=USABLE_MEM * acc.mem_gb,
        weights_gb_per_device=weights_dev_gb, kv_cache_gb_per_device=kv_dev_gb,
        max_batch=max_seqs(c, n, context * beams, p.tp), bottleneck=bottleneck,
        compute_util=compute_util, bw_util=bw_util, power_w_per_device=p_dev,
        tokens_per_j=tok_dev / p_dev, j_per_token=p_dev / tok_dev,
        facility_w_per_device=p_fac, tokens_per_j_facility=tok_dev / p_fac, pue=pue,
        family=f.family, factors_method=f.method, notes=tuple(notes), pp=p.pp,
        serving=p.serving, token_budget=budget, dp=c.dp, ep=c.ep, spec_k=c.spec_k,
        spec_accept=c.spec_accept, tokens_per_step=c.tokens_per_step,
        extrapolated=extrapolated, power_cap=c.power_cap, engine=p.engine)


def check_serving(serving: str) -> str:
    s = serving.lower()
    if s not in SERVING:
        raise BadInput(f"unknown serving mode {serving!r} (continuous or static)",
                       where="serving")
    return s


def check_shape(m: ModelSpec, devices: int, input_tokens: int, output_tokens: int,
                beams: int, pue: float) -> None:
    for name, val in (("devices", devices), ("input", input_tokens),
                      ("output", output_tokens), ("beams", beams)):
        if val < 1:
            raise BadInput(f"must be at least 1, got {val}", where=name)
    if input_tokens + output_tokens > m.max_seq:
        raise BadInput(f"input + output = {input_tokens + output_tokens} exceeds the "
                       f"context of {m.id} ({m.max_seq})", where="input")
    if pue < 1.0:
        raise BadInput(f"must be at least 1.0, got {pue}", where="pue")


def inference(model: str | ModelSpec, device: str | Accelerator, devices: int = 1, *,
              precision: str = "fp8", batch: int = 1, input_tokens: int = 2048,
              output_tokens: int = 128, tp: int | None = None, pp: int = 1, beams: int = 1,
              serving: str = "continuous", token_budget: int = DEFAULT_TOKEN_BUDGET,
              pue: float = 1.2, catalog: Catalog | None = None,
              models: ModelSet | None = None,
              factors: dict[str, Factors] | None = None, dp: int = 1, ep: int = 1,
              spec_k: int = 0, spec_accept: float = 0.0,
              draft_layers: int = 1, engine: str = "auto") -> InferenceResult:
    """Predict serving ``batch`` requests per replica of ``tp`` x ``pp`` (x ``dp``)
    devices (``devices`` in all; ``tp`` defaults to devices / (pp x dp)).

    MoE layouts: ``dp`` attention data-parallel ranks per stage, routed experts split
    over ``ep`` devices (a divisor of tp x dp and of the expert count). Speculative
    decoding: ``spec_k`` draft tokens per step, each accepted with ``spec_accept``.
    ``engine``: "auto" (the aiconfigurator table where it covers the configuration, else
    the roofline), "roofline" or "table" (BadInput outside the table's coverage).

    Throughput counts output tokens of all replicas. ``serving`` "continuous" (default)
    models in-flight batching with chunked prefill under ``token_budget`` tokens per step;
    "static" the batch-at-once model (prefill of the batch, then decode).
    """
    m = resolve_model(model, models)
    acc = resolve_device(device, catalog)
    mode = check_serving(serving)
    check_shape(m, devices, input_tokens, output_tokens, beams, pue)
    for name, val in (("pp", pp), ("batch", batch), ("token-budget", token_budget),
                      ("dp", dp), ("ep", ep)):
        if val < 1:
            raise BadInput(f"must be at least 1, got {val}", where=name)
    tp = devices // (pp * dp) if tp is None else tp
    if tp < 1 or devices % (tp * pp * dp):
        raise BadInput(f"devices ({devices}) must be a multiple of tp x pp x dp "
                       f"({tp} x {pp} x {dp})", where="tp")
    if pp > m.layers:
        raise BadInput(f"pp ({pp}) exceeds the {m.layers} layers of {m.id}", where="pp")
    eng = check_table_engine(engine)
    if eng == "aiconfigurator":
        raise BadInput("the live aiconfigurator engine is aic_inference", where="--engine")
    c = moe_ctx(make_ctx(m, acc, precision, factors, eng), tp, dp, ep,
                spec_k=spec_k, spec_accept=spec_accept, draft_layers=draft_layers)
    n = tp * pp * dp
    usable = USABLE_MEM * acc.mem_gb
    weights_dev_gb = c.weight_bytes / n / 1e9
    if weights_dev_gb > usable:
        need = int(-(-c.weight_bytes / 1e9 // usable))
        raise BadInput(f"{m.id} {c.prec.upper()} weights need {weights_dev_gb:.1f} GB per "
                       f"device at tp x pp = {n}; {acc.id} has {usable:.1f} GB usable "
                       f"(use tp x pp >= {need})", where="devices")
    mb = max_seqs(c, n, (input_tokens + output_tokens) * beams, tp)
    if batch > mb:
        kv = c.kv_tok * (input_tokens + output_tokens) * batch * beams * m.kv_copies(tp) \
            / n / 1e9
        raise BadInput(f"batch {batch} needs {weights_dev_gb + kv:.1f} GB per device; "
                       f"{acc.id} has {usable:.1f} GB usable (max batch {mb} at "
                       f"tp x pp = {n})", where="batch")
    p = evaluate(c, tp, pp, batch, input_tokens, output_tokens, beams, mode, token_budget)
    if p is None:
        top = budget_batch(input_tokens, output_tokens, beams, token_budget)
        raise BadInput(f"batch {batch} needs more than {token_budget} tokens per "
                       f"continuous-batching step (largest batch {top}; raise "
                       "--token-budget or use --serving static)", where="batch")
    if eng == "table" and not p.engine.startswith("table"):
        raise BadInput(f"the aiconfigurator table does not cover {m.id} on {acc.id} "
                       f"{c.prec.upper()} at tp {tp} pp {pp} dp {dp} ep {ep}, batch {batch}, "
                       f"{input_tokens}/{output_tokens} tokens (use --engine auto)",
                       where="--engine")
    return result(c, p, devices, input_tokens, output_tokens, beams, pue, catalog,
                  token_budget)
