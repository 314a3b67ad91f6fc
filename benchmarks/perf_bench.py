"""Prediction latency of the performance model (targets: well under 1 ms per prediction;
a prediction including the configuration search under 10 ms).

    python benchmarks/perf_bench.py

Prints one line per call type: median and 95th-percentile wall microseconds over repeated
calls, and the median CPU microseconds (the process's own time: steadier on a shared
machine). Searches run with the default engine (auto: the aiconfigurator table where it
covers the case) and, marked "roofline", with the roofline alone.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable

from aifab.perf import (
    MixItem,
    disaggregated,
    factory_output,
    inference,
    job_duration_s,
    mix_point,
    replica_capacity,
    search,
    serving_point,
    training,
)
from aifab.perf._serve import _capacity_cached, _per_device


def _time(fn: Callable[[], object], n: int) -> tuple[float, float, float]:
    fn()  # warm caches (catalogue, models, factors, the engine table)
    samples, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - t0) * 1e6)
        cpu.append((time.process_time() - c0) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (n - 1))], statistics.median(cpu)


def _uncached_capacity() -> object:
    _capacity_cached.cache_clear()
    return replica_capacity("llama-3.1-70b", "h100-sxm", 4, "fp8")


def _uncached_factory() -> object:
    _per_device.cache_clear()
    return factory_output("b200", 1000, 0.7)


KOREA_MIX = (MixItem("llama-3.1-70b", 0.4, 2048, 256), MixItem("deepseek-r1", 0.3, 5000, 1000),
             MixItem("qwen3-235b-a22b", 0.3, 20000, 500))

CASES: list[tuple[str, Callable[[], object], int]] = [
    ("inference (70B, 8 x B200, FP8, batch 64)",
     lambda: inference("llama-3.1-70b", "b200", 8, precision="fp8", batch=64), 5000),
    ("training (405B, 16384 x H100)",
     lambda: training("llama-3.1-405b", 15e12, "h100-sxm", 16384), 5000),
    ("job_duration_s train (8B, 8 x H100)",
     lambda: job_duration_s("llama-3.1-8b", 1e10, "h100-sxm", 8), 5000),
    ("serving_point (bisect on batch, 70B, 4 x H100)",
     lambda: serving_point("llama-3.1-70b", "h100-sxm", 4, "fp8"), 500),
    ("replica_capacity, cached", lambda: replica_capacity("llama-3.1-70b", "h100-sxm", 4,
                                                          "fp8"), 5000),
    ("replica_capacity, cache cleared", _uncached_capacity, 300),
    ("factory_output, cached", lambda: factory_output("b200", 1000, 0.7), 5000),
    ("factory_output, cache cleared (TP search)", _uncached_factory, 100),
    ("search: 70B, 8 x H100, TPOT 50 ms, + static", lambda: search(
        "llama-3.1-70b", "h100-sxm", 8, tpot_slo_s=0.05), 200),
    ("search: 70B, 8 x H100, TPOT 50 ms, + static, roofline", lambda: search(
        "llama-3.1-70b", "h100-sxm", 8, tpot_slo_s=0.05, engine="roofline"), 200),
    ("search: 70B, 72 x GB200, throughput, + static", lambda: search(
        "llama-3.1-70b", "gb200", 72), 100),
    ("search: 405B, 8 x B200, energy", lambda: search(
        "llama-3.1-405b", "b200", 8, objective="energy", tpot_slo_s=0.05), 200),
    ("search: DeepSeek-R1 (MoE), 8 x B200, TPOT 50 ms", lambda: search(
        "deepseek-r1", "b200", 8, tpot_slo_s=0.05, compare_static=False), 100),
    ("search: DeepSeek-R1 (MoE), 8 x B200, TPOT 50 ms, roofline", lambda: search(
        "deepseek-r1", "b200", 8, tpot_slo_s=0.05, compare_static=False,
        engine="roofline"), 100),
    ("search: Qwen3-235B (MoE), 8 x H200, throughput", lambda: search(
        "qwen3-235b-a22b", "h200-sxm", 8, compare_static=False), 100),
    ("mix_point: korea-2025 mix on B200 (3 searches)", lambda: mix_point(
        "b200", KOREA_MIX, 0.05), 20),
    ("disaggregated: 70B, 8 x H100, TPOT 20 ms", lambda: disaggregated(
        "llama-3.1-70b", "h100-sxm", tpot_slo_s=0.02), 100),
]


def main() -> None:
    print(f"python {platform.python_version()} on {platform.machine()}")
    for name, fn, n in CASES:
        med, p95, cpu = _time(fn, n)
        print(f"{name:58s} median {med:8.1f} us  p95 {p95:8.1f} us  CPU {cpu:8.1f} us "
              f"(n={n})")


if __name__ == "__main__":
    main()
