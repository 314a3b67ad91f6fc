"""Monotonicity properties of the roofline (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aifab.catalog import default_catalog
from aifab.perf import inference
from aifab.perf._common import best_precision
from aifab.perf._infer import DEFAULT_TOKEN_BUDGET, budget_batch, max_batch
from aifab.perf._models import default_models

CASES = [("llama-3.1-8b", "h100-sxm", 1), ("llama-3.1-70b", "b200", 2),
         ("mixtral-8x7b", "h200-sxm", 1), ("llama-3.1-8b", "rngd", 1),
         ("gpt-j-6b", "rebel-quad", 1), ("deepseek-v3", "b300", 8)]
case = st.sampled_from(CASES)
lengths = st.tuples(st.integers(16, 1024), st.integers(1, 1000))  # fits every context


@settings(max_examples=40, deadline=None)
@given(case, lengths, st.integers(1, 256), st.floats(1.01, 4.0))
def test_more_bandwidth_never_slower_decode(c: tuple[str, str, int], io: tuple[int, int],
                                            batch: int, scale: float) -> None:
    model, dev, tp = c
    acc = default_catalog().accelerator(dev)
    prec = best_precision(acc)
    m = default_models().get(model)
    if max_batch(m, acc, tp, prec, sum(io)) < batch:
        return
    if budget_batch(io[0], io[1], 1, DEFAULT_TOKEN_BUDGET) < batch:
        return
    fast = acc.model_copy(update={"bw_tbps": acc.bw_tbps * scale})
    a = inference(m, acc, tp, precision=prec, batch=batch, input_tokens=io[0],
                  output_tokens=io[1], engine="roofline")  # the roofline's physics
    b = inference(m, fast, tp, precision=prec, batch=batch, input_tokens=io[0],
                  output_tokens=io[1], engine="roofline")
    assert b.tpot_s <= a.tpot_s
    assert b.tokens_per_s >= a.tokens_per_s


@settings(max_examples=40, deadline=None)
@given(case, lengths, st.integers(1, 2048), st.integers(1, 2048),
       st.sampled_from(["continuous", "static"]))
def test_bigger_batch_never_lower_throughput(c: tuple[str, str, int], io: tuple[int, int],
                                             b1: int, b2: int, serving: str) -> None:
    model, dev, tp = c
    acc = default_catalog().accelerator(dev)
    prec = best_precision(acc)
    m = default_models().get(model)
    lo, hi = sorted((b1, b2))
    if max_batch(m, acc, tp, prec, sum(io)) < hi:
        return  # beyond memory the model refuses (tested in the CLI tests)
    if serving == "continuous" and budget_batch(io[0], io[1], 1, DEFAULT_TOKEN_BUDGET) < hi:
        return  # beyond the step's token budget the model refuses (tested in test_serving)
    a = inference(m, acc, tp, precision=prec, batch=lo, input_tokens=io[0],
                  output_tokens=io[1], serving=serving, engine="roofline")  # its physics;
    b = inference(m, acc, tp, precision=prec, batch=hi, input_tokens=io[0],  # the table's
                  output_tokens=io[1], serving=serving, engine="roofline")  # are measured
    assert b.tokens_per_s >= a.tokens_per_s * (1 - 1e-9)
    assert b.tpot_s >= a.tpot_s


@settings(max_examples=30, deadline=None)
@given(case, st.integers(1, 4))
def test_more_compute_never_slower_training(c: tuple[str, str, int], k: int) -> None:
    from aifab.perf import training

    model, dev, _ = c
    acc = default_catalog().accelerator(dev)
    fast = acc.model_copy(update={"tflops_bf16": (acc.tflops_bf16 or 1) * (1 + k)})
    n = 4096
    assert (training(model, 1e12, fast, n).time_s <= training(model, 1e12, acc, n).time_s)
