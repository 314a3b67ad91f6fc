"""Training time: model FLOPs (6 N D plus attention, as Megatron/NeMo count them) over
n devices x peak x MFU, with a mild penalty for very large scale-out."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aifab.catalog import Accelerator, Catalog
from aifab.errors import BadInput
from aifab.perf._common import (
    USABLE_MEM,
    busy_utilisation,
    check_precision,
    device_power_w,
    host_share_w,
    resolve_device,
    resolve_model,
)
from aifab.perf._factors import Factors, factors_for
from aifab.perf._models import ModelSet, ModelSpec

#: Below this many devices MFU is taken as fitted; above it, each doubling costs SCALE_LOSS.
SCALE_REF_DEVICES = 1024
SCALE_LOSS = 0.03
#: Bytes of model state per parameter: BF16 weights and grads, FP32 master and Adam moments.
STATE_BYTES_FULL = 16.0
#: LoRA: frozen BF16 weights only (adapters are negligible).
STATE_BYTES_LORA = 2.0


@dataclass(frozen=True)
class TrainingResult:
    """Time, device-hours and energy for one training run."""

    model: str
    device: str
    devices: int
    precision: str
    tokens: float
    seq_len: int
    mode: str
    flops_per_token: float
    total_flops: float
    mfu: float
    scale_eff: float
    model_tflops_per_device: float
    tokens_per_s: float
    time_s: float
    time_days: float
    gpu_hours: float
    power_w_per_device: float
    energy_kwh: float
    facility_energy_kwh: float
    pue: float
    family: str
    factors_method: str
    notes: tuple[str, ...] = ()


def flops_per_token(m: ModelSpec, seq_len: int, mode: str = "full") -> float:
    """Training FLOPs per token: 6N + 12 L d s (full) or 4N + 8 L d s (LoRA: no weight grads)."""
    attn = m.layers * m.attn_dim * seq_len
    if mode == "lora":
        return 4e9 * m.active_params_b + 8.0 * attn
    return 6e9 * m.active_params_b + 12.0 * attn


#: Expert-parallel group of MoE training (assumed: 64, DeepSeek-V3's EP degree; it spans
#: nodes, so the all-to-all runs at the scale-out bandwidth) and the share of the
#: all-to-all time not hidden behind compute (assumed: 0.25; DeepSeek-V3's DualPipe hides
#: nearly all of it, plain Megatron expert parallelism much less).
TRAIN_EP = 64
A2A_EXPOSED = 0.25


def moe_slowdown(m: ModelSpec, seq_len: int, mode: str, moe_eff: float) -> float:
    """Time factor of an MoE's training FLOPs against a dense model's at the same MFU:
    the routed experts' share of the FLOPs runs at ``moe_eff`` (the grouped-GEMM
    efficiency fitted on inference rows, used here as a proxy); 1 for dense models."""
    _, expert_b, _, expert_act = m.split_b()
    if expert_b <= 0:
        return 1.0
    total = flops_per_token(m, seq_len, mode)
    expert = (4e9 if mode == "lora" else 6e9) * expert_act
    return (total - expert + expert / moe_eff) / total


def moe_alltoall_s_per_token(m: ModelSpec, acc: Accelerator) -> float:
    """Exposed expert-parallel all-to-all seconds per token on one device: dispatch and
    combine, forward and backward (4 passes) of top-k x hidden BF16 activations per MoE
    layer, (ep - 1) / ep of it leaving the device at the scale-out bandwidth."""
    from aifab.perf._step import CROSS_NODE_GBPS, LINK_EFF

    if m.arch != "moe" or not m.experts_active:
        return 0.0
    ep = min(TRAIN_EP, m.experts or 1)
    per_tok = 4 * m.experts_active * m.hidden * 2.0 * m.layers * (ep - 1) / ep
    gbps = min(acc.link_gbps, CROSS_NODE_GBPS) if ep > acc.domain_size else acc.link_gbps
    return A2A_EXPOSED * per_tok / (gbps * 1e9 * LINK_EFF)


def scale_efficiency(devices: int) -> float:
    """1 up to SCALE_REF_DEVICES, then minus SCALE_LOSS per doubling (estimate, not fitted)."""
    if devices <= SCALE_REF_DEVICES:
        return 1.0
    return 1.0 / (1.0 + SCALE_LOSS * math.log2(devices / SCALE_REF_DEVICES))


#: Formats a training run may use (documented for ``aifab perf train``): mixed precision
#: in BF16 (or FP16), FP8 or FP4 matmuls; INT8 is an inference format.
TRAIN_PRECISIONS = ("bf16", "fp16", "fp8", "fp4")


def training(model: str | ModelSpec, tokens: float, device: str | Accelerator,
             devices: int, *, precision: str = "bf16", seq_len: int | None = None,
             mode: str = "full", pue: float = 1.2, catalog: Catalog | None = None,
             models: ModelSet | None = None,
             factors: dict[str, Factors] | None = None) -> TrainingResult:
    """Predict a training run of ``tokens`` tokens of ``model`` on ``devices`` devices."""
    m = resolve_model(model, models)
    acc = resolve_device(device, catalog)
    if precision.lower() not in TRAIN_PRECISIONS:
        raise BadInput(f"unknown training precision {precision!r} (use "
                       f"{', '.join(TRAIN_PRECISIONS)})", where="precision")
    prec, peak = check_precision(acc, precision)
    if devices < 1:
        raise BadInput(f"must be at least 1, got {devices}", where="devices")
    if not tokens > 0:
        raise BadInput(f"must be positive, got {tokens}", where="tokens")
    if mode not in ("full", "lora"):
        raise BadInput(f"unknown mode {mode!r} (full or lora)", where="mode")
    seq = seq_len or min(m.max_seq, 8192)
    state_gb = m.params_b * (STATE_BYTES_LORA if mode == "lora" else STATE_BYTES_FULL)
    if state_gb / devices > USABLE_MEM * acc.mem_gb:
        need = math.ceil(state_gb / (USABLE_MEM * acc.mem_gb))
        raise BadInput(f"{m.id} model state needs {state_gb:.0f} GB even fully sharded; "
                       f"{devices} x {acc.id} is too small (need >= {need} devices)",
                       where="devices")
    f = factors_for(acc, factors)
    fpt = flops_per_token(m, seq, mode)
    total = fpt * tokens
    se = scale_efficiency(devices)
    slow = moe_slowdown(m, seq, mode, f.moe_eff)
    a2a_s = moe_alltoall_s_per_token(m, acc) * tokens / devices
    mfu = f.mfu_train / slow
    achieved = peak * 1e12 * mfu * se
    time_s = total / (devices * achieved) + a2a_s
    u = busy_utilisation(f.power_floor, mfu * se / max(f.compute_eff, mfu))
    p_dev = device_power_w(acc, u)
    energy_kwh = p_dev * devices * time_s / 3.6e6
    fac_kwh = (p_dev + host_share_w(acc, catalog) * u) * pue * devices * time_s / 3.6e6
    notes: list[str] = []
    if acc.kind == "npu":
        notes.append(f"{acc.id} is an inference NPU: training MFU is a default, "
                     "no published training results")
    if not f.method.startswith("fitted"):
        notes.append(f"training MFU for family {f.family}: {f.method}")
    return TrainingResult(
        model=m.id, device=acc.id, devices=devices, precision=prec, tokens=tokens,
        seq_len=seq, mode=mode, flops_per_token=fpt, total_flops=total, mfu=mfu,
        scale_eff=se, model_tflops_per_device=achieved / 1e12, tokens_per_s=tokens / time_s,
        time_s=time_s, time_days=time_s / 86400.0, gpu_hours=devices * time_s / 3600.0,
        power_w_per_device=p_dev, energy_kwh=energy_kwh, facility_energy_kwh=fac_kwh,
        pue=pue, family=f.family, factors_method=f.method, notes=tuple(notes))
