"""The comparison code for benchmarks/gpu_check.py output. The input below is fabricated
by this test to exercise the arithmetic; it is not a measurement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _scripts import load_benchmark
from aifab.catalog import default_catalog
from aifab.perf._factors import factors_for
from aifab.perf._gpucheck import compare_gpu_check, format_comparison

FAKE = {  # made-up numbers chosen to make the expected ratios easy to check
    "device_name": "fabricated by test", "gemm_bf16": {"tflops": 494.5},
    "gemm_fp8": {"error": "RuntimeError: fp8 not available (fabricated)"},
    "hbm": {"gbps": 2400.0}, "power": {"gemm_w_median": 630.0},
    "decode": {"layers": 32, "hidden": 4096, "heads": 32, "kv_heads": 8, "head_dim": 128,
               "ffn": 14336, "vocab": 128256, "batch": 32, "context": 2048,
               "ms_median": 5.0},
}


@pytest.mark.usefixtures("pure_roofline")  # the hand arithmetic leaves out the floors
def test_comparison_against_catalogue_and_model() -> None:
    rows = {r.quantity.split(",")[0]: r for r in compare_gpu_check(FAKE)}
    acc = default_catalog().accelerator("h200-sxm")
    f = factors_for(acc)
    bf16 = rows["GEMM BF16 8192^3"]
    assert bf16.peak == 989 and bf16.vs_peak == pytest.approx(0.5)
    assert bf16.predicted == pytest.approx(989 * f.compute_eff)
    assert rows["GEMM FP8 8192^3"].measured is None  # failed check: no ratio
    hbm = rows["HBM copy"]
    assert hbm.peak == 4800 and hbm.vs_peak == pytest.approx(0.5)
    assert rows["board power"].vs_predicted == pytest.approx(630 / 700)
    dec = next(r for q, r in rows.items() if q.startswith("decode step"))
    # Llama-3.1-8B shapes: 32 x (4096 x 6144 + 4096 x 4096 + 3 x 4096 x 14336) + lm head
    params = 32 * (4096 * 6144 + 4096 * 4096 + 3 * 4096 * 14336) + 128256 * 4096
    kv = 32 * 2 * 8 * 128 * 2 * 32 * 2048  # BF16 cache of 32 sequences x 2048 tokens
    assert dec.peak == pytest.approx((2 * params + kv) / 4.8e12 * 1000, rel=1e-6)
    assert dec.predicted == pytest.approx(dec.peak / f.bw_eff, rel=1e-6)
    text = format_comparison(list(rows.values()))
    assert "meas/model" in text and "HBM copy" in text


def test_script_compare_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mod = load_benchmark("gpu_check")
    p = tmp_path / "gpu_check.json"
    p.write_text(json.dumps(FAKE))
    assert mod.main(["--compare", str(p)]) == 0
    assert "GEMM BF16" in capsys.readouterr().out


SWEEP = {"decode": [{"batch": 4, "context": 1000, "ms": 10.0}],  # fabricated, as FAKE
         "prefill": [{"batch": 2, "seq": 1000, "ms": 100.0}]}
RATES = {"gemm_bf16": {"tflops": 494.5}, "hbm": {"gbps": 2400.0}}  # half of each peak


@pytest.mark.usefixtures("pure_roofline")  # the hand arithmetic leaves out the floors
def test_sweep_rooflines_by_hand() -> None:
    from aifab.perf._gpucheck import LLAMA8B_SHAPE, compare_sweep, format_sweep

    dec, pre = compare_sweep(SWEEP, RATES)
    f = factors_for(default_catalog().accelerator("h200-sxm"))
    s = LLAMA8B_SHAPE
    params = 32 * (4096 * 6144 + 4096 * 4096 + 3 * 4096 * 14336) + 128256 * 4096
    kv_tok = s["layers"] * 2 * s["kv_heads"] * s["head_dim"] * 2  # BF16 K and V
    # decode: memory-bound, weights once plus 4 x 1000 tokens of KV cache at 4.8 TB/s
    assert dec.bound == "memory"
    assert dec.peak_ms == pytest.approx((2 * params + kv_tok * 4000) / 4.8e12 * 1e3, rel=1e-9)
    assert dec.rates_ms == pytest.approx(2 * dec.peak_ms, rel=1e-9)
    assert dec.model_ms == pytest.approx(dec.peak_ms / f.bw_eff, rel=1e-9)
    # prefill: 2 FLOPs per parameter per token + causal attention (each token sees 500)
    flops = 2 * params * 2000 + 4 * 32 * 4096 * 2000 * 500
    assert pre.bound == "compute"
    assert pre.peak_ms == pytest.approx(flops / 989e12 * 1e3, rel=1e-9)
    assert pre.rates_ms == pytest.approx(2 * pre.peak_ms, rel=1e-9)
    assert pre.model_ms == pytest.approx(pre.peak_ms / f.compute_eff, rel=1e-9)
    assert pre.ratio(pre.peak_ms) == pytest.approx(100.0 / pre.peak_ms)
    assert compare_sweep(SWEEP)[0].rates_ms is None  # no gpu_check file: no rates roofline
    assert "m/rates" in format_sweep([dec, pre])


@pytest.mark.parametrize(("doc", "where"), [
    ({"decode": [{"batch": 4, "context": 1000}]}, "decode[0]"),
    ({"decode": [{"batch": 4, "context": 1000, "ms": -1}]}, "decode[0]"),
    ({"prefill": [{"batch": "2", "seq": 10, "ms": 1.0}]}, "prefill[0]"),
    ({"decode": {"batch": 1}}, "decode"),
    ({"model": {"layers": 2}, "decode": []}, "model"),
])
def test_sweep_bad_input_names_the_field(doc: dict[str, object], where: str) -> None:
    from aifab.errors import BadInput
    from aifab.perf._gpucheck import compare_sweep

    with pytest.raises(BadInput) as exc:
        compare_sweep(doc)
    assert str(exc.value).startswith(f"{where}: ")


def test_sweep_script_compare_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mod = load_benchmark("gpu_sweep_check")
    p, r = tmp_path / "sweep.json", tmp_path / "check.json"
    p.write_text(json.dumps(SWEEP))
    r.write_text(json.dumps(RATES))
    assert mod.main(["--compare-sweep", str(p), "--rates", str(r)]) == 0
    assert "decode batch 4, context 1000" in capsys.readouterr().out
