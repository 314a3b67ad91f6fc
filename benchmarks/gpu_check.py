"""Short real-GPU check (pure PyTorch, no internet, random weights): GEMM TFLOP/s at BF16
and FP8, HBM bandwidth, board power under a sustained GEMM, and one decode step of a
Llama-3.1-8B-shaped model. Prints one JSON object; writes $OUT/gpu_check.json if OUT is set.

    python benchmarks/gpu_check.py                 # on the GPU machine (about 1-2 minutes)
    python benchmarks/gpu_check.py --compare FILE  # here: measured vs aifab (catalogue, model)

Timings use CUDA events after warm-up; each figure is the median of repeats.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

GEMM_N = 8192
WARMUP, REPEATS = 5, 20
POWER_SECONDS = 15.0
# Llama-3.1-8B shapes (Meta's config): the decode step runs on random BF16 weights.
LLAMA8B = dict(layers=32, hidden=4096, heads=32, kv_heads=8, head_dim=128, ffn=14336,
               vocab=128256)
DECODE_BATCH, DECODE_CONTEXT = 32, 2048


def _time_ms(torch: Any, fn: Any, warmup: int = WARMUP, repeats: int = REPEATS) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def gemm_bf16(torch: Any) -> dict[str, Any]:
    n = GEMM_N
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    ms = _time_ms(torch, lambda: a @ b)
    return {"m": n, "n": n, "k": n, "ms_median": ms, "tflops": 2 * n**3 / (ms / 1e3) / 1e12}


def gemm_fp8(torch: Any) -> dict[str, Any]:
    """FP8 (e4m3) GEMM via torch._scaled_mm; an error string if this build lacks it."""
    n = GEMM_N
    try:
        a = torch.randn(n, n, device="cuda").to(torch.float8_e4m3fn)
        b = torch.randn(n, n, device="cuda").to(torch.float8_e4m3fn).t()  # column-major
        one = torch.tensor(1.0, device="cuda")

        def run() -> Any:
            return torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)

        run()
        ms = _time_ms(torch, run)
    except Exception as exc:  # any failure means "not available here"
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"m": n, "n": n, "k": n, "ms_median": ms, "tflops": 2 * n**3 / (ms / 1e3) / 1e12}


def hbm(torch: Any) -> dict[str, Any]:
    nbytes = 4 * 1024**3
    src = torch.empty(nbytes // 2, device="cuda", dtype=torch.bfloat16).normal_()
    dst = torch.empty_like(src)
    ms = _time_ms(torch, lambda: dst.copy_(src))
    moved = 2 * nbytes  # read + write
    return {"bytes_copied": nbytes, "ms_median": ms, "gbps": moved / (ms / 1e3) / 1e9}


def _smi_power(index: int) -> float | None:
    try:
        out = subprocess.run(["nvidia-smi", f"--id={index}", "--query-gpu=power.draw",
                              "--format=csv,noheader,nounits"], capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        return float(out.splitlines()[0])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def power(torch: Any) -> dict[str, Any]:
    """Board power (nvidia-smi power.draw) idle, then sampled every 0.2 s during a sustained
    BF16 GEMM loop of POWER_SECONDS."""
    index = torch.cuda.current_device()
    idle = _smi_power(index)
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            p = _smi_power(index)
            if p is not None:
                samples.append(p)
            time.sleep(0.2)

    n = GEMM_N
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    th = threading.Thread(target=sample, daemon=True)
    t0 = time.time()
    th.start()
    while time.time() - t0 < POWER_SECONDS:
        for _ in range(20):
            a @ b
        torch.cuda.synchronize()
    stop.set()
    th.join(timeout=10)
    busy = samples[len(samples) // 3:]  # skip the ramp
    if idle is None and not busy:
        return {"error": "nvidia-smi power.draw unavailable"}
    return {"idle_w": idle, "samples": len(samples),
            "gemm_w_median": statistics.median(busy) if busy else None,
            "gemm_w_max": max(busy) if busy else None, "seconds": POWER_SECONDS}


def decode_step(torch: Any) -> dict[str, Any]:
    """One decode step (batch DECODE_BATCH, KV cache of DECODE_CONTEXT tokens) of a
    Llama-3.1-8B-shaped model, eager PyTorch, BF16, random weights."""
    import torch.nn.functional as fn

    s = LLAMA8B
    h, hd, nh, nkv, ffn = s["hidden"], s["head_dim"], s["heads"], s["kv_heads"], s["ffn"]
    bt, ctx, dt = DECODE_BATCH, DECODE_CONTEXT, torch.bfloat16
    try:
        layers = [dict(
            qkv=torch.randn(h, (nh + 2 * nkv) * hd, device="cuda", dtype=dt) * 0.02,
            o=torch.randn(nh * hd, h, device="cuda", dtype=dt) * 0.02,
            up=torch.randn(h, 2 * ffn, device="cuda", dtype=dt) * 0.02,
            down=torch.randn(ffn, h, device="cuda", dtype=dt) * 0.02,
            k=torch.randn(bt, nkv, ctx, hd, device="cuda", dtype=dt),
            v=torch.randn(bt, nkv, ctx, hd, device="cuda", dtype=dt),
        ) for _ in range(s["layers"])]
        head = torch.randn(h, s["vocab"], device="cuda", dtype=dt) * 0.02
        x0 = torch.randn(bt, h, device="cuda", dtype=dt)
        rep = nh // nkv

        def attend(q: Any, k: Any, v: Any) -> Any:
            try:
                return fn.scaled_dot_product_attention(q, k, v, enable_gqa=True)
            except TypeError:  # torch < 2.5: expand the KV heads (more memory traffic)
                return fn.scaled_dot_product_attention(
                    q, k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1))

        def step() -> Any:
            x = x0
            for w in layers:
                qkv = x @ w["qkv"]
                q = qkv[:, :nh * hd].view(bt, nh, 1, hd)
                att = attend(q, w["k"], w["v"])
                x = x + att.reshape(bt, nh * hd) @ w["o"]
                g, u = (x @ w["up"]).split(ffn, dim=-1)
                x = x + (fn.silu(g) * u) @ w["down"]
            return (x @ head).argmax(-1)

        with torch.no_grad():
            ms = _time_ms(torch, step, warmup=3, repeats=10)
    except Exception as exc:  # e.g. no enable_gqa in an old torch
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return {**s, "batch": bt, "context": ctx, "dtype": "bf16", "ms_median": ms,
            "mode": "eager PyTorch, one token per sequence"}


def run_checks() -> dict[str, Any]:
    try:
        import torch
    except ImportError:
        return {"error": "torch is not installed"}
    if not torch.cuda.is_available():
        return {"error": "no CUDA device"}
    doc: dict[str, Any] = {"device_name": torch.cuda.get_device_name(),
                           "torch": torch.__version__, "cuda": torch.version.cuda}
    for name, fn in (("gemm_bf16", gemm_bf16), ("gemm_fp8", gemm_fp8), ("hbm", hbm),
                     ("power", power), ("decode", decode_step)):
        t0 = time.time()
        try:
            doc[name] = fn(torch)
        except Exception as exc:  # report and carry on with the others
            doc[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        doc[name]["wall_s"] = round(time.time() - t0, 2)
        torch.cuda.empty_cache()
    return doc


def main(argv: list[str]) -> int:
    if argv[:1] == ["--compare"] and len(argv) == 2:
        from aifab.perf._gpucheck import compare_gpu_check, format_comparison

        with open(argv[1], encoding="utf-8") as fh:
            print(format_comparison(compare_gpu_check(json.load(fh))))
        return 0
    doc = run_checks()
    text = json.dumps(doc, indent=2)
    print(text)
    out = os.environ.get("OUT")
    if out:
        with open(os.path.join(out, "gpu_check.json"), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0 if "error" not in doc else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
