"""Inference roofline: prefill and decode per tensor-parallel group, with energy.

Each phase takes max(compute time, memory time) plus tensor-parallel all-reduce time.
Compute time divides FLOPs by peak x compute_eff; memory time divides bytes read by
bandwidth x bw_eff (factors per device family, data/factors.csv).
"""

from __future__ import annotations

from dataclasses import dataclass

from aifab.catalog import Accelerator, Catalog
from aifab.errors import BadInput
from aifab.perf._common import (
    KV_BYTES,
    USABLE_MEM,
    WEIGHT_BYTES,
    busy_utilisation,
    check_precision,
    device_power_w,
    host_share_w,
    resolve_device,
    resolve_model,
)
from aifab.perf._factors import Factors, factors_for
from aifab.perf._models import ModelSet, ModelSpec

#: All-reduce latency per call (s): NVLink-class fabrics vs PCIe or cross-node.
AR_LATENCY_NVLINK_S = 6e-6
AR_LATENCY_PCIE_S = 20e-6
#: Achieved share of the link bandwidth in an all-reduce.
LINK_EFF = 0.8
#: Cross-node bandwidth per device (GB/s) when a TP group spills out of its domain.
CROSS_NODE_GBPS = 50.0


@dataclass(frozen=True)
class InferenceResult:
    """One serving configuration: per-replica latency, fleet throughput, memory, energy."""

    model: str
    device: str
    devices: int
    tp: int
    replicas: int
    precision: str
    batch: int
    input_tokens: int
    output_tokens: int
    beams: int
    tokens_per_s: float
    tokens_per_s_per_device: float
    ttft_s: float
    tpot_s: float
    request_latency_s: float
    mem_gb_per_device: float
    mem_usable_gb: float
    weights_gb_per_device: float
    kv_cache_gb_per_device: float
    max_batch: int
    bottleneck: str
    compute_util: float
    bw_util: float
    power_w_per_device: float
    tokens_per_j: float
    j_per_token: float
    facility_w_per_device: float
    tokens_per_j_facility: float
    pue: float
    family: str
    factors_method: str
    notes: tuple[str, ...] = ()


def _allreduce_s(acc: Accelerator, tp: int, nbytes: float) -> float:
    """One ring all-reduce of ``nbytes`` across ``tp`` devices."""
    if tp <= 1:
        return 0.0
    nvlink = "nvlink" in acc.interconnect.lower() and tp <= acc.domain_size
    gbps = acc.link_gbps if tp <= acc.domain_size else min(acc.link_gbps, CROSS_NODE_GBPS)
    lat = AR_LATENCY_NVLINK_S if nvlink else AR_LATENCY_PCIE_S
    return lat + 2.0 * (tp - 1) / tp * nbytes / (gbps * 1e9 * LINK_EFF)


def kv_bytes_per_token(m: ModelSpec, precision: str) -> float:
    return m.kv_elems_per_token * KV_BYTES[precision]


def max_batch(m: ModelSpec, acc: Accelerator, tp: int, precision: str, context: int,
              beams: int = 1) -> int:
    """Largest batch whose weights and KV cache fit in ``tp`` devices' usable memory."""
    free = USABLE_MEM * acc.mem_gb * 1e9 * tp - m.params_b * 1e9 * WEIGHT_BYTES[precision]
    per_seq = kv_bytes_per_token(m, precision) * context * beams
    return max(0, int(free // per_seq))


def inference(model: str | ModelSpec, device: str | Accelerator, devices: int = 1, *,
              precision: str = "fp8", batch: int = 1, input_tokens: int = 2048,
              output_tokens: int = 128, tp: int | None = None, beams: int = 1,
              pue: float = 1.2, catalog: Catalog | None = None,
              models: ModelSet | None = None,
              factors: dict[str, Factors] | None = None) -> InferenceResult:
    """Predict serving ``batch`` requests per replica of ``tp`` devices (``devices`` in all).

    Throughput counts output tokens of all replicas; TTFT is the prefill time of one
    batch, TPOT the decode step time at the mean context (input + output / 2).
    """
    m = resolve_model(model, models)
    acc = resolve_device(device, catalog)
    prec, peak_tflops = check_precision(acc, precision)
    tp = devices if tp is None else tp
    for name, val in (("devices", devices), ("tp", tp), ("batch", batch),
                      ("input", input_tokens), ("output", output_tokens), ("beams", beams)):
        if val < 1:
            raise BadInput(f"must be at least 1, got {val}", where=name)
    if devices % tp:
        raise BadInput(f"devices ({devices}) must be a multiple of tp ({tp})", where="tp")
    if input_tokens + output_tokens > m.max_seq:
        raise BadInput(f"input + output = {input_tokens + output_tokens} exceeds the "
                       f"context of {m.id} ({m.max_seq})", where="input")
    if pue < 1.0:
        raise BadInput(f"must be at least 1.0, got {pue}", where="pue")
    f = factors_for(acc, factors)
    seqs = batch * beams
    context = input_tokens + output_tokens
    wbytes = m.params_b * 1e9 * WEIGHT_BYTES[prec]
    kv_tok = kv_bytes_per_token(m, prec)
    usable = USABLE_MEM * acc.mem_gb
    weights_dev_gb = wbytes / tp / 1e9
    kv_dev_gb = kv_tok * context * seqs / tp / 1e9
    if weights_dev_gb > usable:
        need = int(-(-wbytes / 1e9 // usable))
        raise BadInput(f"{m.id} {prec.upper()} weights need {weights_dev_gb:.1f} GB per device "
                       f"at tp={tp}; {acc.id} has {usable:.1f} GB usable (use tp >= {need})",
                       where="devices")
    mb = max_batch(m, acc, tp, prec, context, beams)
    if weights_dev_gb + kv_dev_gb > usable:
        raise BadInput(f"batch {batch} needs {weights_dev_gb + kv_dev_gb:.1f} GB per device; "
                       f"{acc.id} has {usable:.1f} GB usable (max batch {mb} at tp={tp})",
                       where="batch")

    flops_s = peak_tflops * 1e12 * f.compute_eff * tp
    bytes_s = acc.bw_tbps * 1e12 * f.bw_eff * tp
    act = 2.0 * m.hidden  # BF16 activation bytes per token per all-reduce
    # Prefill: the whole batch's prompts, once (beams share the prompt).
    pf_flops = batch * (2e9 * m.active_params_b * input_tokens
                        + 2.0 * m.layers * m.attn_dim * input_tokens ** 2)
    pf_bytes = m.weights_read_b(batch * input_tokens) * 1e9 * WEIGHT_BYTES[prec] \
        + kv_tok * input_tokens * batch
    pf_comp, pf_mem = pf_flops / flops_s, pf_bytes / bytes_s
    pf_comm = 2 * m.layers * _allreduce_s(acc, tp, act * batch * input_tokens)
    prefill_s = max(pf_comp, pf_mem) + pf_comm
    # Decode: one step at the mean context, all sequences (beams included).
    ctx = input_tokens + output_tokens / 2.0
    dc_flops = seqs * (2e9 * m.active_params_b + 4.0 * m.layers * m.attn_dim * ctx)
    dc_bytes = m.weights_read_b(seqs) * 1e9 * WEIGHT_BYTES[prec] + kv_tok * ctx * seqs
    dc_comp, dc_mem = dc_flops / flops_s, dc_bytes / bytes_s
    dc_comm = 2 * m.layers * _allreduce_s(acc, tp, act * seqs)
    tpot = max(dc_comp, dc_mem) + dc_comm
    total_s = prefill_s + output_tokens * tpot

    replicas = devices // tp
    tps = replicas * batch * output_tokens / total_s
    t_comp = pf_comp + output_tokens * dc_comp
    t_mem = pf_mem + output_tokens * dc_mem
    t_comm = pf_comm + output_tokens * dc_comm
    bottleneck = max((t_comp, "compute"), (t_mem, "memory bandwidth"),
                     (t_comm, "communication"))[1]
    all_flops = pf_flops + output_tokens * dc_flops
    all_bytes = pf_bytes + output_tokens * dc_bytes
    compute_util = all_flops / (peak_tflops * 1e12 * tp * total_s)
    bw_util = all_bytes / (acc.bw_tbps * 1e12 * tp * total_s)
    # Power: a floor when busy, rising to TDP as the run approaches its compute roofline.
    u = busy_utilisation(f.power_floor, compute_util / f.compute_eff)
    p_dev = device_power_w(acc, u)
    p_fac = (p_dev + host_share_w(acc, catalog) * u) * pue
    tok_per_dev_s = tps / devices
    notes: list[str] = []
    if acc.kind == "npu" or acc.uncertain:
        notes.append(f"{acc.id}: specs partly vendor claims or derived ({acc.note})")
    if acc.kind == "npu" or not f.method.startswith("fitted"):
        notes.append(f"efficiency factors for family {f.family}: {f.method} ({f.note})")
    return InferenceResult(
        model=m.id, device=acc.id, devices=devices, tp=tp, replicas=replicas, precision=prec,
        batch=batch, input_tokens=input_tokens, output_tokens=output_tokens, beams=beams,
        tokens_per_s=tps, tokens_per_s_per_device=tok_per_dev_s, ttft_s=prefill_s,
        tpot_s=tpot, request_latency_s=total_s,
        mem_gb_per_device=weights_dev_gb + kv_dev_gb, mem_usable_gb=usable,
        weights_gb_per_device=weights_dev_gb, kv_cache_gb_per_device=kv_dev_gb,
        max_batch=mb, bottleneck=bottleneck, compute_util=compute_util, bw_util=bw_util,
        power_w_per_device=p_dev, tokens_per_j=tok_per_dev_s / p_dev,
        j_per_token=p_dev / tok_per_dev_s, facility_w_per_device=p_fac,
        tokens_per_j_facility=tok_per_dev_s / p_fac, pue=pue, family=f.family,
        factors_method=f.method, notes=tuple(notes))
