"""The perf model against our own H200 measurements (docs/data/, 2026-11-28; machine, software
and method in docs/data/README.md): one NVIDIA H200 at 700 W, eager PyTorch, BF16.

Each tolerance below comes from the physics of the check and is stated in its docstring.
They were not widened to make the data pass: the two points where the model was off
(batch-1 and batch-8 decode, a fixed per-step cost the roofline did not count) were
strict expected failures until the issue-19 latency floors (docs/perf.md, "Checked on a
real H200").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _scripts import load_benchmark
from aifab.catalog import default_catalog
from aifab.perf._common import device_power_w
from aifab.perf._factors import factors_for
from aifab.perf._gpucheck import LLAMA8B_SHAPE, SweepRow, compare_gpu_check, compare_sweep

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "docs" / "data"
CHECK = json.loads((DATA / "h200-gpu-check-2026-11-28.json").read_text("utf-8"))
SWEEP = json.loads((DATA / "h200-decode-sweep-2026-11-28.json").read_text("utf-8"))
ACC = default_catalog().accelerator("h200-sxm")
FIT = factors_for(ACC)
ROWS = compare_sweep(SWEEP, CHECK)
DECODE = {(r.batch, r.tokens): r for r in ROWS if r.phase == "decode"}
PREFILL = [r for r in ROWS if r.phase == "prefill"]


def _id(r: SweepRow) -> str:
    return f"{r.phase}-b{r.batch}-{r.tokens}"


def test_files_are_one_h200_run_and_reproduce() -> None:
    """Both files come from the same machine; the batch-32, 2,048-context decode step was
    timed by both scripts (separate processes, fresh random weights): two medians of the
    same kernel sequence agree within 2 % (CUDA-event jitter is well under 1 %)."""
    assert CHECK["device_name"] == "NVIDIA H200" and CHECK["torch"].startswith("2.11")
    assert {k: CHECK["decode"][k] for k in LLAMA8B_SHAPE} == LLAMA8B_SHAPE
    again = DECODE[(32, 2048)].measured_ms
    assert again == pytest.approx(CHECK["decode"]["ms_median"], rel=0.02)
    assert len(DECODE) == 7 and len(PREFILL) == 4


def test_sweep_shape_matches_the_benchmark_script() -> None:
    """The comparison assumes the sweep ran benchmarks/gpu_check.py's LLAMA8B shape."""
    mod = load_benchmark("gpu_check")
    assert mod.LLAMA8B == LLAMA8B_SHAPE


def test_gemm_rate_against_catalogue_peak() -> None:
    """Measured 8192^3 GEMM / catalogue dense peak. The peak (989 BF16, 1,979 FP8 TFLOP/s)
    assumes the 1,980 MHz maximum clock; a sustained dense GEMM holds the 700 W cap at a
    lower clock, and cuBLAS reaches ~85-90 % of the clock-limited peak: BF16 between 0.60
    and 0.90 of peak. FP8 through torch._scaled_mm (per-tensor scales, BF16 output) loses a
    little more to the output conversion and clock: between 0.50 and 0.90."""
    rows = {r.quantity: r for r in compare_gpu_check(CHECK)}
    bf16, fp8 = rows["GEMM BF16 8192^3"].vs_peak, rows["GEMM FP8 8192^3"].vs_peak
    assert bf16 is not None and 0.60 <= bf16 <= 0.90
    assert fp8 is not None and 0.50 <= fp8 <= 0.90


def test_hbm_copy_against_catalogue_peak() -> None:
    """A large device-to-device copy on HBM3e reaches 80-95 % of the 4.8 TB/s peak (refresh,
    read/write turnaround); outside that the catalogue bandwidth or the check is wrong."""
    ratio = CHECK["hbm"]["gbps"] / (ACC.bw_tbps * 1000)
    assert 0.80 <= ratio <= 0.95


def test_board_power_under_gemm_is_the_tdp() -> None:
    """A sustained dense GEMM is power-limited, so the board sits at its cap; the model says
    a compute-bound device draws its catalogue TDP (700 W). Within 5 %: nvidia-smi documents
    power.draw to +-5 W and the power controller holds the board a few % under its cap. No
    sample may exceed the cap by more than 2 % (the 700 W limit was in force)."""
    measured = CHECK["power"]["gemm_w_median"]
    assert device_power_w(ACC, 1.0) == ACC.tdp_w == 700
    assert measured == pytest.approx(ACC.tdp_w, rel=0.05)
    assert CHECK["power"]["gemm_w_max"] <= 1.02 * ACC.tdp_w


def test_fitted_factors_do_not_exceed_the_hardware() -> None:
    """The fitted Hopper factors are whole-server averages; a factor above what the best
    single kernel reaches (8192^3 GEMM, HBM copy) would be unphysical."""
    assert FIT.compute_eff <= CHECK["gemm_bf16"]["tflops"] / ACC.peak_tflops("bf16")
    assert FIT.bw_eff <= CHECK["hbm"]["gbps"] / (ACC.bw_tbps * 1000)


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_no_step_beats_the_roofline(row: SweepRow) -> None:
    """The roofline is a lower bound: no step can run faster than its bytes at peak HBM
    bandwidth or its FLOPs at peak (2 % for timer noise); nor more than 10 % faster than at
    the measured copy and GEMM rates (a read-only stream can beat a read+write copy by up
    to ~10 %). A failure would mean the model over-counts bytes or FLOPs."""
    assert row.measured_ms >= 0.98 * row.peak_ms
    assert row.rates_ms is not None and row.measured_ms >= 0.90 * row.rates_ms


@pytest.mark.parametrize(("low", "high"), [((32, 2048), (32, 8192)), ((8, 2048), (64, 2048))],
                         ids=["context-2048-to-8192", "batch-8-to-64"])
def test_kv_cache_traffic_costs_what_the_model_says(low: tuple[int, int],
                                                    high: tuple[int, int]) -> None:
    """Between two memory-bound decode points with the same weights, only KV-cache bytes
    grow (GQA: 8 KV heads, BF16), so the time added must be those bytes at HBM bandwidth:
    the model's added time at the measured copy rate within 15 % of the measured one
    (a read stream runs up to ~10 % faster than a copy, kernels a little slower; the
    difference of two medians adds a few %). Counting 32 heads instead of 8 would be 4x."""
    lo, hi = DECODE[low], DECODE[high]
    assert hi.rates_ms is not None and lo.rates_ms is not None
    predicted = hi.rates_ms - lo.rates_ms
    assert predicted == pytest.approx(hi.measured_ms - lo.measured_ms, rel=0.15)


@pytest.mark.parametrize("row", [pytest.param(r, id=_id(r))
                                 for r in DECODE.values() if r.batch <= 64])
def test_memory_bound_decode_at_measured_bandwidth(row: SweepRow) -> None:
    """Decode at batch 1-64 is memory-bound on an H200 (at most ~64 FLOP per weight byte
    against a ridge of ~180 at the measured rates): the model's roofline at the measured
    HBM copy rate should give the step time within 25 % (decode GEMV and attention kernels
    reach ~85-95 % of copy bandwidth, and launch gaps between kernels stay small while each
    step moves >= 15 GB). Batch 1 and 8 failed this (strict xfail) until issue 19 gave the
    model a per-layer and per-step latency floor (0.5 ms for this 32-layer model) and the
    activation traffic between kernels; eager PyTorch's ~300 kernels still cost ~1.5 ms,
    so batch 1 passes only at the edge (-25 %); the floor constants were set from kernel
    counts of CUDA-graph serving, not fitted to this run."""
    assert row.rates_ms is not None and row.bound == "memory"
    assert row.rates_ms == pytest.approx(row.measured_ms, rel=0.25)


@pytest.mark.parametrize("row", PREFILL, ids=_id)
def test_compute_bound_prefill_at_measured_gemm_rate(row: SweepRow) -> None:
    """Prefill of >= 512 tokens is compute-bound: the model's roofline at the measured
    8192^3 BF16 GEMM rate within 15 % (GEMMs with >= 512 rows run at 85-100 % of that rate;
    FlashAttention is slower per FLOP but <= 12 % of the FLOPs here; the model also counts
    the LM head for every prompt token, ~7 % of the FLOPs, where the script takes the last)."""
    assert row.rates_ms is not None and row.bound == "compute"
    assert row.rates_ms == pytest.approx(row.measured_ms, rel=0.15)


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_fitted_model_is_pessimistic_for_one_device(row: SweepRow) -> None:
    """The fitted factors (compute 0.49, bandwidth 0.59) come from whole-server
    TensorRT-LLM runs and absorb tensor-parallel all-reduces, scheduling and mixed batches;
    one device running one step has none of these, so the fitted model must not be
    optimistic: measured <= 1.05 x fitted (5 %: timer noise plus the small-batch launch
    cost that the fitted bandwidth happens to cover)."""
    assert row.measured_ms <= 1.05 * row.model_ms
