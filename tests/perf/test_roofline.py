"""Hand-computed roofline, training and energy cases on a toy device and model."""

from __future__ import annotations

import pytest

from aifab.catalog import Accelerator
from aifab.perf import Factors, ModelSpec, inference, training
from aifab.perf._infer import max_batch

ACC = Accelerator(
    id="toy", name="Toy", vendor="Test", kind="gpu", mem_gb=100, bw_tbps=1.0,
    tflops_bf16=100, tflops_fp8=200, tdp_w=500, idle_w=100, interconnect="NVLink",
    link_gbps=100, domain_size=8, year=2025, source="test")
MODEL = ModelSpec(
    id="toy-10b", name="Toy 10B", params_b=10, active_params_b=10, layers=10, hidden=1000,
    heads=10, kv_heads=2, head_dim=100, vocab=1000, max_seq=10000, source="test")
# User-added devices fall back to family default-gpu; override its factors.
F = {"default-gpu": Factors("default-gpu", compute_eff=0.5, bw_eff=0.5, mfu_train=0.4,
                            power_floor=0.5, method="test")}


def run(**kw: object) -> object:
    args: dict[str, object] = dict(precision="fp8", batch=1, input_tokens=1000, serving="static",
                                   output_tokens=100, factors=F)
    args.update(kw)
    return inference(MODEL, ACC, **args)  # type: ignore[arg-type]


pytestmark = pytest.mark.usefixtures("pure_roofline")

def test_single_request_fp8() -> None:
    r = run()
    # prefill: 2 x 10e9 x 1000 + 2 x 10 layers x 1000 x 1000^2 = 2.002e13 FLOP at 1e14 FLOP/s
    assert r.ttft_s == pytest.approx(0.2002)
    # decode at mean context 1050: 1e10 weight bytes + 4000 B/token KV x 1050, at 5e11 B/s
    assert r.tpot_s == pytest.approx((1e10 + 4000 * 1050) / 5e11)
    assert r.tokens_per_s == pytest.approx(100 / (0.2002 + 100 * r.tpot_s))
    assert r.bottleneck == "memory bandwidth"
    assert r.weights_gb_per_device == pytest.approx(10.0)
    assert r.kv_cache_gb_per_device == pytest.approx(4000 * 1100 / 1e9)


def test_bf16_doubles_weight_bytes() -> None:
    r = run(precision="bf16")
    assert r.weights_gb_per_device == pytest.approx(20.0)
    assert r.tpot_s == pytest.approx((2e10 + 8000 * 1050) / 5e11)


def test_tensor_parallel_allreduce() -> None:
    r1, r2 = run(), run(devices=2, tp=2)
    # per step: 2 all-reduces x 10 layers of 2 x 1000 bytes; ring term 2(tp-1)/tp = 1;
    # tp 2 = 2 KV heads, so the KV cache is split, not replicated
    ar = 8e-6 + 1.0 * 2000 / (100e9 * 0.8)  # 6 us + 2 ring hops of 1 us
    assert r2.tpot_s == pytest.approx(r1.tpot_s / 2 + 20 * ar)
    assert r2.weights_gb_per_device == pytest.approx(5.0)


def test_replicas_multiply_throughput() -> None:
    r1, r4 = run(), run(devices=4, tp=1)
    assert r4.replicas == 4
    assert r4.tokens_per_s == pytest.approx(4 * r1.tokens_per_s)


def test_large_batch_is_compute_bound() -> None:
    r = run(batch=1000, input_tokens=100, output_tokens=100)
    assert r.bottleneck == "compute"
    flops = 1000 * (2e10 + 4 * 10 * 1000 * 150)
    assert r.tpot_s == pytest.approx(max(flops / 1e14, (1e10 + 4000 * 150 * 1000) / 5e11))


def test_max_batch() -> None:
    free = 0.92 * 100e9 - 10e9
    assert max_batch(MODEL, ACC, 1, "fp8", 1100) == int(free // (4000 * 1100))


def test_power_model() -> None:
    r = run()
    # memory-bound: utilisation = floor + (1 - floor) x compute activity
    activity = r.compute_util / 0.5
    u = 0.5 + 0.5 * activity
    assert r.power_w_per_device == pytest.approx(100 + u * 400)
    assert r.j_per_token == pytest.approx(r.power_w_per_device / r.tokens_per_s)
    # facility: (device + host share x u) x PUE; toy device has no system: host = 0.3 x TDP
    assert r.facility_w_per_device == pytest.approx((r.power_w_per_device + 150 * u) * 1.2)


def test_training_hand_case() -> None:
    t = training(MODEL, 1e12, ACC, 8, precision="bf16", seq_len=1000, factors=F)
    fpt = 6e9 * 10 + 12 * 10 * 1000 * 1000
    assert t.flops_per_token == pytest.approx(fpt)
    assert t.time_s == pytest.approx(fpt * 1e12 / (8 * 100e12 * 0.4))
    assert t.gpu_hours == pytest.approx(8 * t.time_s / 3600)
    lora = training(MODEL, 1e12, ACC, 8, precision="bf16", seq_len=1000, mode="lora",
                    factors=F)
    assert lora.flops_per_token == pytest.approx(4e9 * 10 + 8 * 10 * 1000 * 1000)


def test_training_scale_penalty() -> None:
    small = training(MODEL, 1e12, ACC, 1024, factors=F)
    big = training(MODEL, 1e12, ACC, 4096, factors=F)
    assert small.scale_eff == 1.0
    assert big.scale_eff == pytest.approx(1 / (1 + 0.03 * 2))


def test_moe_reads_only_touched_experts() -> None:
    moe = ModelSpec(id="toy-moe", name="Toy MoE", arch="moe", params_b=46.7,
                    active_params_b=12.9, layers=32, hidden=4096, heads=32, kv_heads=8,
                    head_dim=128, vocab=32000, experts=8, experts_active=2, source="test")
    assert moe.weights_read_b(1) == pytest.approx(12.9)
    assert moe.weights_read_b(1e6) == pytest.approx(46.7)
    assert 12.9 < moe.weights_read_b(4) < 46.7
