"""Continuous batching, the configuration search and disaggregation on a toy device and
model, with the expected numbers and known-best layouts derived by hand."""

from __future__ import annotations

import pytest

from aifab.catalog import Accelerator
from aifab.errors import BadInput
from aifab.perf import Factors, ModelSpec, inference
from aifab.perf._disagg import disaggregated
from aifab.perf._search import largest_batch, search, tail_batch
from aifab.perf._step import Ctx

ACC = Accelerator(
    id="toy", name="Toy", vendor="Test", kind="gpu", mem_gb=100, bw_tbps=1.0,
    tflops_bf16=100, tflops_fp8=200, tdp_w=500, idle_w=100, interconnect="NVLink",
    link_gbps=100, domain_size=8, year=2025, source="test")
# 8 GB and PCIe with no scale-up domain: the 10 GB (FP8) model needs two devices.
SMALL = ACC.model_copy(update={"id": "toy-pcie", "mem_gb": 8.0, "interconnect": "PCIe",
                               "link_gbps": 64.0, "domain_size": 1})
MODEL = ModelSpec(
    id="toy-10b", name="Toy 10B", params_b=10, active_params_b=10, layers=10, hidden=1000,
    heads=10, kv_heads=2, head_dim=100, vocab=1000, max_seq=10000, source="test")
F = {"default-gpu": Factors("default-gpu", compute_eff=0.5, bw_eff=0.5, mfu_train=0.4,
                            power_floor=0.5, method="test")}
# Effective rates: 200e12 x 0.5 = 1e14 FLOP/s, 1e12 x 0.5 = 5e11 B/s per device.
# KV bytes per token (FP8): 10 layers x 2 x 2 KV heads x 100 = 4000.
IO = dict(input_tokens=1000, output_tokens=100)


pytestmark = pytest.mark.usefixtures("pure_roofline")

def test_continuous_step_by_hand() -> None:
    r = inference(MODEL, ACC, batch=10, precision="fp8", factors=F, **IO)  # type: ignore[arg-type]
    # Steady state: 10 decode tokens + 10 x 1000 / 100 = 100 prompt tokens per step.
    # FLOPs 2e10 x 110 + 4 x 10 x 1000 x (10 x 1050 + 100 x 500) = 2.20242e12 -> 22.0242 ms;
    # bytes 1e10 + 4000 x (10 x 1050 + 100) = 1.00424e10 -> 20.0848 ms: compute-bound.
    assert r.serving == "continuous"
    assert r.tpot_s == pytest.approx(2.20242e12 / 1e14)
    assert r.tokens_per_s == pytest.approx(10 / r.tpot_s)
    # A new prompt gets one 1000-token chunk (budget 8192 - 10 decodes): one step of
    # 2e10 x 1010 + 4e4 x (10500 + 1000 x 500) = 2.022042e13 FLOP.
    assert r.ttft_s == pytest.approx(2.022042e13 / 1e14)
    s = inference(MODEL, ACC, batch=10, precision="fp8", factors=F, serving="static", **IO)  # type: ignore[arg-type]
    # Static: prefill 2e10 x 1e4 + 4e4 x 1e4 x 500 = 2.002e14 FLOP (2.002 s), then 100 steps
    # of (1e10 + 4000 x 10 x 1050) / 5e11 = 20.084 ms: 1000 tokens in 4.0104 s.
    assert s.tokens_per_s == pytest.approx(1000 / (2.002 + 100 * 0.020084))
    assert r.tokens_per_s > 1.8 * s.tokens_per_s  # the prompt rides on memory-bound decode


def test_token_budget_caps_continuous_batch() -> None:
    # 8192 // (1 + 1000 / 100) = 744 requests per replica
    inference(MODEL, ACC, batch=744, precision="fp8", factors=F, **IO)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="tokens per continuous-batching step"):
        inference(MODEL, ACC, batch=745, precision="fp8", factors=F, **IO)  # type: ignore[arg-type]


def test_latency_best_is_widest_tensor_parallel() -> None:
    # Batch 1 is memory-bound: a tp x pp replica's TPOT = (10 GB + KV) / tp at 500 GB/s +
    # 20 all-reduces x (6 us + 2 (tp - 1) hops of 1 us + 1.5 x 2000 B / 80 GB/s) (tp > 1)
    # + pp sends; pipelining a single request does not shorten its step. Least latency on
    # 4 devices: tp 4, pp 1 (4 > 2 KV heads: the 4.2 MB KV cache is held twice).
    s = search(MODEL, ACC, 4, precision="fp8", objective="latency", factors=F,
               serving="static", **IO)  # type: ignore[arg-type]
    assert s.best is not None and (s.best.tp, s.best.pp, s.best.batch) == (4, 1, 1)
    assert s.best.tpot_s == pytest.approx((1e10 + 2 * 4.2e6) / 4 / 5e11
                                          + 20 * (12e-6 + 1.5 * 2000 / 8e10))
    assert {(r.tp, r.pp) for r in s.candidates} == {(1, 1), (1, 2), (1, 4), (2, 1), (2, 2),
                                                    (4, 1)}


def test_throughput_best_is_independent_replicas() -> None:
    # Memory is ample, so every replica runs the budget's 744 requests; a tp x pp replica's
    # step is at best the single device's divided by tp x pp, plus communication, so four
    # one-device replicas deliver the most: 4 x 744 / TPOT(1 device).
    s = search(MODEL, ACC, 4, precision="fp8", factors=F, **IO)  # type: ignore[arg-type]
    assert s.best is not None and (s.best.tp, s.best.pp, s.best.replicas) == (1, 1, 4)
    one = inference(MODEL, ACC, batch=744, precision="fp8", factors=F, **IO)  # type: ignore[arg-type]
    assert s.best.batch == 744
    assert s.best.tokens_per_s == pytest.approx(4 * one.tokens_per_s)
    assert all(r.tokens_per_s <= s.best.tokens_per_s for r in s.candidates)
    assert s.static_best is not None and s.gain_vs_static is not None
    assert s.gain_vs_static == pytest.approx(s.best.tokens_per_s / s.static_best.tokens_per_s
                                             - 1)


def test_pipeline_beats_tensor_parallel_over_a_slow_link() -> None:
    # Two 8 GB PCIe devices must share the model: tp 2 or pp 2. At the budget's 744
    # requests the step (8184 tokens) is compute-bound and splits evenly either way; tp 2
    # adds 20 all-reduces of 16.4 MB at 40 GB/s (about 8.6 ms; latency 20 us + 2 PCIe hops
    # of 5 us), pp 2 two sends of 8.2 MB (about 0.4 ms). Known best: pp 2.
    s = search(MODEL, SMALL, 2, precision="fp8", factors=F, **IO)  # type: ignore[arg-type]
    assert s.best is not None and (s.best.tp, s.best.pp) == (1, 2)
    assert [(r.tp, r.pp) for r in s.candidates] == [(1, 2), (2, 1)]
    tp2 = s.candidates[1]
    assert tp2.tpot_s - s.best.tpot_s == pytest.approx(
        20 * (30e-6 + 2 * 1000 * 8184 / 4e10) - 2 * (20e-6 + 2 * 1000 * 4092 / 4e10),
        rel=0.02)


def test_energy_picks_most_tokens_per_joule() -> None:
    s = search(MODEL, ACC, 4, precision="fp8", objective="energy", tpot_slo_s=0.05,
               factors=F, **IO)  # type: ignore[arg-type]
    assert s.best is not None
    assert s.best.tokens_per_j_facility == max(r.tokens_per_j_facility for r in s.candidates)
    assert all(r.tpot_s <= 0.05 for r in s.candidates)


def test_targets_bound_the_batch() -> None:
    c = Ctx(MODEL, ACC, F["default-gpu"], "fp8", 200.0)
    p = largest_batch(c, 1, 1, 1000, 100, 1, "continuous", 8192, 0.03, None)
    assert p is not None and p.tpot_s <= 0.03
    q = largest_batch(c, 1, 1, 1000, 100, 1, "continuous", 8192, None, None)
    assert q is not None and q.batch == 744 and q.tpot_s > 0.03
    assert largest_batch(c, 1, 1, 1000, 100, 1, "continuous", 8192, 0.001, None) is None


def test_search_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown objective"):
        search(MODEL, ACC, 4, objective="speed", factors=F)
    with pytest.raises(BadInput, match="the group has 1"):
        search(MODEL, SMALL, 1, precision="fp8", factors=F)


def test_disaggregation_on_a_real_server() -> None:
    d = disaggregated("llama-3.1-70b", "h100-sxm", tpot_slo_s=0.02)
    assert d is not None
    assert d.prefill_replicas * d.prefill_tp + d.decode_replicas * d.decode_tp <= 8
    assert d.tpot_s <= 0.02
    # KV of one 2048-token prompt: 80 layers x 2 x 8 KV heads x 128 x 1 B = 163,840 B/token
    assert d.kv_gb_per_request == pytest.approx(2048 * 163840 / 1e9)
    assert d.kv_transfer_s == pytest.approx(
        6e-6 + 2048 * 163840 / (d.prefill_tp * 900e9 * 0.8))
    colo = search("llama-3.1-70b", "h100-sxm", 8, tpot_slo_s=0.02, compare_static=False).best
    assert colo is not None
    assert d.colocated_tokens_per_s == pytest.approx(colo.tokens_per_s)
    assert d.gain_vs_colocated == pytest.approx(d.tokens_per_s / colo.tokens_per_s - 1)



def test_tail_batch_by_hand() -> None:
    # Poisson concurrency of mean r per attention rank: r + z sqrt(r), z(99 %) = 2.3263
    assert tail_batch(100, 1, 2.3263) == 124  # 100 + 23.26
    assert tail_batch(64, 4, 2.3263) == 102  # 4 x (16 + 2.3263 x 4) = 101.2
    assert tail_batch(7, 1, 0.0) == 7


def test_a_percentile_target_needs_headroom_in_the_batch() -> None:
    c = Ctx(MODEL, ACC, F["default-gpu"], "fp8", 200.0)
    mean = largest_batch(c, 1, 1, 1000, 100, 1, "continuous", 8192, 0.03, None)
    p99 = largest_batch(c, 1, 1, 1000, 100, 1, "continuous", 8192, 0.03, None,
                        tail_z=2.3263)
    assert mean is not None and p99 is not None
    # the tail of the p99 batch is the largest that meets the target at the mean
    assert tail_batch(p99.batch, 1, 2.3263) <= mean.batch
    assert tail_batch(p99.batch + 1, 1, 2.3263) > mean.batch
    s = search(MODEL, ACC, 4, factors=F, tpot_slo_s=0.03, slo_percentile=99,
               compare_static=False)
    m = search(MODEL, ACC, 4, factors=F, tpot_slo_s=0.03, compare_static=False)
    assert s.best is not None and m.best is not None
    assert s.best.tokens_per_s < m.best.tokens_per_s
    with pytest.raises(BadInput, match="slo-percentile"):
        search(MODEL, ACC, 4, factors=F, tpot_slo_s=0.03, slo_percentile=40)
