"""Decode-step and prefill timing sweep of a Llama-3.1-8B-shaped model on one CUDA GPU
(pure PyTorch, eager, random BF16 weights, no downloads). Prints one JSON object; writes
$OUT/sweep_check.json if OUT is set.

    python benchmarks/gpu_sweep_check.py        # on the GPU machine (about 1 minute, ~60 GB)
    python benchmarks/gpu_sweep_check.py --compare-sweep SWEEP.json [--rates GPU_CHECK.json]
        # here: each point beside the perf model's roofline (aifab.perf._gpucheck); --rates
        # adds the roofline at the GEMM TFLOP/s and HBM GB/s that gpu_check.py measured

Decode points: one step (one new token per sequence) at batch 1..256 and KV-cache context
1,024..8,192 (the cache is random and not appended to). Prefill points: 512..8,192 causal
prompt tokens, logits for the last token only. No RMSNorm or RoPE (tiny next to the GEMMs).
Timings as benchmarks/gpu_check.py: CUDA events after warm-up, median of repeats (decode:
3 warm-up, 10 timed; prefill: 2 warm-up, 5 timed). Our H200 run of 2026-11-28 is in
docs/data/h200-decode-sweep-2026-11-28.json (see docs/data/README.md and docs/perf.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_check  # the sibling script: shapes and the CUDA-event timer

#: (batch, context) of each decode step timed.
DECODE_POINTS = [(1, 2048), (8, 2048), (32, 2048), (64, 2048), (128, 2048), (256, 1024),
                 (32, 8192)]
#: (batch, prompt tokens) of each prefill timed.
PREFILL_POINTS = [(1, 512), (1, 2048), (4, 2048), (1, 8192)]


def _weights(torch: Any) -> tuple[list[dict[str, Any]], Any]:
    s = gpu_check.LLAMA8B
    h, hd, nh, nkv, ffn = s["hidden"], s["head_dim"], s["heads"], s["kv_heads"], s["ffn"]
    dt = torch.bfloat16

    def rnd(*shape: int) -> Any:
        return torch.randn(*shape, device="cuda", dtype=dt) * 0.02

    layers = [dict(qkv=rnd(h, (nh + 2 * nkv) * hd), o=rnd(nh * hd, h), up=rnd(h, 2 * ffn),
                   down=rnd(ffn, h)) for _ in range(s["layers"])]
    return layers, rnd(h, s["vocab"])


def decode_sweep(torch: Any, layers: list[dict[str, Any]], head: Any) -> list[dict[str, Any]]:
    """Median ms of one decode step at each DECODE_POINTS (batch, context)."""
    import torch.nn.functional as fn

    s = gpu_check.LLAMA8B
    h, hd, nh, nkv, ffn = s["hidden"], s["head_dim"], s["heads"], s["kv_heads"], s["ffn"]
    dt, out = torch.bfloat16, []
    for bt, ctx in DECODE_POINTS:
        kc = [torch.randn(bt, nkv, ctx, hd, device="cuda", dtype=dt) for _ in layers]
        vc = [torch.randn(bt, nkv, ctx, hd, device="cuda", dtype=dt) for _ in layers]
        x0 = torch.randn(bt, h, device="cuda", dtype=dt)

        def step(bt: int = bt, x0: Any = x0, kc: list[Any] = kc, vc: list[Any] = vc) -> Any:
            x = x0
            for w, k, v in zip(layers, kc, vc, strict=True):
                q = (x @ w["qkv"])[:, :nh * hd].view(bt, nh, 1, hd)
                att = fn.scaled_dot_product_attention(q, k, v, enable_gqa=True)
                x = x + att.reshape(bt, nh * hd) @ w["o"]
                g, u = (x @ w["up"]).split(ffn, dim=-1)
                x = x + (fn.silu(g) * u) @ w["down"]
            return (x @ head).argmax(-1)

        with torch.no_grad():
            ms = gpu_check._time_ms(torch, step, warmup=3, repeats=10)
        out.append({"batch": bt, "context": ctx, "ms": ms, "tokens_per_s": bt / (ms / 1e3)})
        del kc, vc
        torch.cuda.empty_cache()
    return out


def prefill_sweep(torch: Any, layers: list[dict[str, Any]], head: Any) -> list[dict[str, Any]]:
    """Median ms of one causal prefill at each PREFILL_POINTS (batch, prompt tokens)."""
    import torch.nn.functional as fn

    s = gpu_check.LLAMA8B
    h, hd, nh, nkv, ffn = s["hidden"], s["head_dim"], s["heads"], s["kv_heads"], s["ffn"]
    out = []
    for bt, seq in PREFILL_POINTS:
        x0 = torch.randn(bt, seq, h, device="cuda", dtype=torch.bfloat16)

        def pre(bt: int = bt, seq: int = seq, x0: Any = x0) -> Any:
            x = x0
            for w in layers:
                qkv = x @ w["qkv"]
                q = qkv[..., :nh * hd].view(bt, seq, nh, hd).transpose(1, 2)
                k = qkv[..., nh * hd:(nh + nkv) * hd].view(bt, seq, nkv, hd).transpose(1, 2)
                v = qkv[..., (nh + nkv) * hd:].view(bt, seq, nkv, hd).transpose(1, 2)
                att = fn.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
                x = x + att.transpose(1, 2).reshape(bt, seq, nh * hd) @ w["o"]
                g, u = (x @ w["up"]).split(ffn, dim=-1)
                x = x + (fn.silu(g) * u) @ w["down"]
            return (x[:, -1] @ head).argmax(-1)

        with torch.no_grad():
            ms = gpu_check._time_ms(torch, pre, warmup=2, repeats=5)
        out.append({"batch": bt, "seq": seq, "ms": ms, "tokens_per_s": bt * seq / (ms / 1e3)})
    return out


def run_sweep() -> dict[str, Any]:
    """The sweep document, or {"error": ...} where torch or a CUDA device is missing."""
    try:
        import torch
    except ImportError:
        return {"error": "torch is not installed"}
    if not torch.cuda.is_available():
        return {"error": "no CUDA device"}
    layers, head = _weights(torch)
    return {"device_name": torch.cuda.get_device_name(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "model": dict(gpu_check.LLAMA8B),
            "decode": decode_sweep(torch, layers, head),
            "prefill": prefill_sweep(torch, layers, head)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare-sweep", metavar="SWEEP.json",
                    help="compare a sweep result with the perf model instead of measuring")
    ap.add_argument("--rates", metavar="GPU_CHECK.json",
                    help="gpu_check.py result whose GEMM/HBM rates give a third roofline")
    args = ap.parse_args(argv)
    if args.compare_sweep:
        from aifab.errors import BadInput
        from aifab.perf._gpucheck import compare_sweep, format_sweep

        try:
            docs: list[Any] = []
            for path in (args.compare_sweep, args.rates):
                if path is None:
                    docs.append(None)
                    continue
                with open(path, encoding="utf-8") as fh:
                    docs.append(json.load(fh))
            print(format_sweep(compare_sweep(docs[0], docs[1])))
        except (OSError, ValueError, BadInput) as exc:  # one line, exit 2 (project rule)
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    doc = run_sweep()
    text = json.dumps(doc, indent=1)
    print(text)
    out = os.environ.get("OUT")
    if out and "error" not in doc:
        with open(os.path.join(out, "sweep_check.json"), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0 if "error" not in doc else 1  # as gpu_check.py: 1 where nothing was measured


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
