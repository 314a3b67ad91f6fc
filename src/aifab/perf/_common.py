"""Shared resolution of models, devices and precisions; the power model."""

from __future__ import annotations

from aifab.catalog import Accelerator, Catalog, default_catalog
from aifab.errors import BadInput
from aifab.perf._models import ModelSet, ModelSpec, default_models

#: Bytes per weight by precision (FP4 includes one 8-bit scale per 16 values, NVFP4-style).
WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5625}
#: Bytes per KV-cache element: BF16 runs keep a BF16 cache, lower precisions an 8-bit one.
KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 1.0}
#: Share of device memory usable for weights and KV cache (runtime, activations, fragmentation).
USABLE_MEM = 0.92
#: Host share per device when no system in the catalogue holds the device (fraction of TDP).
DEFAULT_HOST_SHARE = 0.3


def resolve_model(model: str | ModelSpec, models: ModelSet | None) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    return (models or default_models()).get(model)


def resolve_device(device: str | Accelerator, catalog: Catalog | None) -> Accelerator:
    if isinstance(device, Accelerator):
        return device
    return (catalog or default_catalog()).accelerator(device, where="device")


#: Formats a device without native support can still hold weights in, and the native
#: format their GEMMs then run in (weight-only quantisation, dequantised in the kernel).
DEQUANT_TO = {"fp4": ("bf16", "fp8"), "fp8": ("bf16",), "int8": ("bf16",)}
#: Share of the compute format's peak kept when weights are dequantised in the GEMM
#: (assumed: W4A16/W8A16 kernels such as Marlin reach 80-90 % of the dense BF16 rate at
#: large batch; 0.85 taken).
DEQUANT_EFF = 0.85


def check_precision(acc: Accelerator, precision: str) -> tuple[str, float]:
    """Normalised weight precision and the dense peak (TFLOPS) its GEMMs run at; BadInput
    if neither the format nor a wider format it can be dequantised to is native. Weights
    in a format the device lacks (FP4 on Hopper, FP8 on Ampere) keep their size and run
    at the next native format's peak x DEQUANT_EFF."""
    p = precision.lower()
    if p not in WEIGHT_BYTES:
        raise BadInput(f"unknown precision {precision!r} (use bf16, fp8, fp4 or int8)",
                       where="precision")
    p = "bf16" if p == "fp16" else p
    peak = acc.peak_tflops(p)
    if peak is not None:
        return p, peak
    for q in DEQUANT_TO.get(p, ()):
        native = acc.peak_tflops(q)
        if native is not None:
            return p, native * DEQUANT_EFF
    have = [q for q in ("bf16", "fp8", "fp4", "int8") if acc.peak_tflops(q)]
    raise BadInput(f"{acc.id} has no {p.upper()} support (has: {', '.join(have)})",
                   where="precision")


def dequantised(acc: Accelerator, precision: str) -> str | None:
    """The native format ``precision`` weights run in on ``acc`` when it lacks that
    format (None when native)."""
    p = "bf16" if precision.lower() == "fp16" else precision.lower()
    if acc.peak_tflops(p) is not None:
        return None
    return next((q for q in DEQUANT_TO.get(p, ()) if acc.peak_tflops(q)), None)


def best_precision(acc: Accelerator) -> str:
    """The lowest-precision float format the device supports (FP4, else FP8, else INT8/BF16)."""
    for p in ("fp4", "fp8", "int8", "bf16"):
        if acc.peak_tflops(p):
            return p
    return "bf16"


def host_share_w(acc: Accelerator, catalog: Catalog | None) -> float:
    """Host power per device at full load (W): system power / devices - device TDP."""
    cat = catalog or default_catalog()
    for s in cat.systems.values():
        if s.accelerator == acc.id:
            return max(0.0, s.kw_per_accelerator * 1000.0 - acc.tdp_w)
    return DEFAULT_HOST_SHARE * acc.tdp_w


def device_power_w(acc: Accelerator, utilisation: float) -> float:
    """Device draw (W) = idle + utilisation x (TDP - idle); utilisation clipped to [0, 1]."""
    u = min(1.0, max(0.0, utilisation))
    return acc.idle_w + u * (acc.tdp_w - acc.idle_w)


def busy_utilisation(power_floor: float, compute_util: float) -> float:
    """Power utilisation of a busy device: a floor for memory-bound work, rising with FLOPs."""
    c = min(1.0, max(0.0, compute_util))
    return power_floor + (1.0 - power_floor) * c


def positive(value: float, name: str) -> None:
    if not value > 0:
        raise BadInput(f"must be positive, got {value}", where=name)
