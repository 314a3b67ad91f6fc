"""The comparison code for benchmarks/gpu_check.py output. The input below is fabricated
by this test to exercise the arithmetic; it is not a measurement."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from aifab.catalog import default_catalog
from aifab.perf._factors import factors_for
from aifab.perf._gpucheck import compare_gpu_check, format_comparison

REPO = Path(__file__).resolve().parents[2]
FAKE = {  # made-up numbers chosen to make the expected ratios easy to check
    "device_name": "fabricated by test", "gemm_bf16": {"tflops": 494.5},
    "gemm_fp8": {"error": "RuntimeError: fp8 not available (fabricated)"},
    "hbm": {"gbps": 2400.0}, "power": {"gemm_w_median": 630.0},
    "decode": {"layers": 32, "hidden": 4096, "heads": 32, "kv_heads": 8, "head_dim": 128,
               "ffn": 14336, "vocab": 128256, "batch": 32, "context": 2048,
               "ms_median": 5.0},
}


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
    spec = importlib.util.spec_from_file_location("gpu_check", REPO / "benchmarks" /
                                                  "gpu_check.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    p = tmp_path / "gpu_check.json"
    p.write_text(json.dumps(FAKE))
    assert mod.main(["--compare", str(p)]) == 0
    assert "GEMM BF16" in capsys.readouterr().out
