"""H100-equivalents on four separate metrics, never one fudge factor."""

from __future__ import annotations

from aifab.catalog import Accelerator, Catalog

#: The reference device every fleet is expressed in.
REFERENCE = "h100-sxm"
METRICS = ("bf16", "fp8", "memory_bandwidth", "memory_capacity")


def metric_value(acc: Accelerator, metric: str) -> float:
    """One accelerator's figure on ``metric``.

    FP8 falls back to the BF16 figure for devices without FP8 (A100, ATOM, ATOM-Max):
    an FP8 workload runs at BF16 speed there.
    """
    if metric == "bf16":
        return acc.tflops_bf16 or 0.0
    if metric == "fp8":
        return acc.tflops_fp8 or acc.tflops_bf16 or 0.0
    if metric == "memory_bandwidth":
        return acc.bw_tbps
    if metric == "memory_capacity":
        return acc.mem_gb
    raise ValueError(f"unknown metric {metric!r}")


def h100_equivalents(acc: Accelerator, count: float, catalog: Catalog) -> dict[str, float]:
    """``count`` accelerators expressed as H100 SXM units on each metric."""
    ref = catalog.accelerator(REFERENCE)
    return {m: count * metric_value(acc, m) / metric_value(ref, m) for m in METRICS}
