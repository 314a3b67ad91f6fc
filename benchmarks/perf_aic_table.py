"""Regenerate aifab's precomputed aiconfigurator table (src/aifab/perf/data/aic_table.json):
per (model, GPU, precision, layout) the prefill time of a batch and the decode step time,
on a grid of batch per attention rank x sequence length, from NVIDIA's aiconfigurator-core
(Apache-2.0; its TensorRT-LLM kernel databases measured on each GPU). aifab's ``auto``
engine interpolates in this table (src/aifab/perf/_table.py) and falls back to the roofline
outside it. aiconfigurator-core is not an aifab dependency; run this where it is installed:

    python -m venv /tmp/aic && /tmp/aic/bin/pip install aiconfigurator-core==0.12.0
    PYTHONPATH=src nice -n 10 /tmp/aic/bin/python benchmarks/perf_aic_table.py

About 5-10 minutes of one CPU core. Method: for each grid point, aiconfigurator's static run
``run_static(batch, isl=L, osl=2)`` gives the prefill of ``batch`` prompts of L tokens
(ctx) and one decode step at a context of L tokens (step); a request of (isl, osl) then
takes ctx(b, isl) + (osl - 1) x step(b, isl + osl / 2) (checked against full static runs
within 1 % on the probe points, see docs/perf-engines.md).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from aifab.errors import BadInput
from aifab.perf import inference
from aifab.perf._aic import MODELS, SYSTEMS, quant_modes

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "aifab" / "perf" / "data" / "aic_table.json"
VERSION = "0.12.0"
#: Batch per attention-DP rank and sequence length (tokens) of the grid.
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
LENGTHS = (128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
#: Models the table holds: those whose calibration rows aiconfigurator predicts better
#: than the roofline (docs/perf-engines.md). Left to the roofline: gpt-oss-120b and the
#: Qwen3 MoE models (worse in the side-by-side table) and Llama 4 Maverick (on the rows'
#: best layout, attention DP 8, the table is 33-65 % high against the roofline's 8-68 %).
TABLE_MODELS = ("llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "deepseek-r1")
MOE = ("deepseek-r1",)
DEVICES = ("h100-sxm", "h200-sxm", "b200", "gb200", "b300", "gb300", "rtx-pro-6000")
EXTRA_SYSTEMS = {"b300": "b300_sxm", "gb300": "gb300"}
BLACKWELL = ("b200", "gb200", "b300", "gb300", "rtx-pro-6000")


def layouts(model: str) -> list[tuple[int, int, int, int]]:
    """(tp, pp, dp, ep): tensor parallel 1-8 for dense models; for MoE attention DP with
    experts over the whole group (DEP) and TP with experts over the group, at 4 and 8."""
    if model in MOE:
        return [(1, 1, n, n) for n in (4, 8)] + [(n, 1, 1, n) for n in (4, 8)]
    return [(t, 1, 1, 1) for t in (1, 2, 4, 8)]


def fits(model: str, device: str, prec: str, lay: tuple[int, int, int, int]) -> bool:
    tp, pp, dp, ep = lay
    try:
        inference(model, device, tp * pp * dp, precision=prec, batch=1, input_tokens=128,
                  output_tokens=128, tp=tp, pp=pp, dp=dp, ep=ep, serving="static",
                  engine="roofline")
    except BadInput:
        return False
    return True


def sig(x: float) -> float:
    return float(f"{x:.4g}")


def main() -> int:
    from aiconfigurator_core.sdk.engine import EngineHandle  # optional, see docstring
    logging.disable(logging.WARNING)
    systems = {**SYSTEMS, **EXTRA_SYSTEMS}
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    entries: dict[str, dict[str, list[list[float]]]] = {}
    failed: list[str] = []
    t_all = time.perf_counter()
    for model in TABLE_MODELS:
        for device in DEVICES:
            for prec in ("fp8", "fp4") if device in BLACKWELL else ("fp8",):
                for lay in layouts(model):
                    key = "|".join([model, device, prec, *map(str, lay)])
                    if (only and only not in key) or not fits(model, device, prec, lay):
                        continue
                    tp, pp, dp, ep = lay
                    kw = {"tp_size": tp, "pp_size": pp, "attention_dp_size": dp,
                          **quant_modes(model, device, prec)}
                    if model in MOE:
                        kw.update(moe_ep_size=ep, moe_tp_size=tp * dp // ep)
                    t0 = time.perf_counter()
                    try:
                        h = EngineHandle.compile(MODELS[model], systems[device], "trtllm",
                                                 **kw)
                        ctx, step = [], []
                        for b in BATCHES:
                            row = [h.run_static(batch_size=b, isl=n, osl=2)
                                   for n in LENGTHS]
                            ctx.append([sig(r[0]) for r in row])
                            step.append([sig(r[1]) for r in row])
                    except Exception as exc:  # a database gap: left out, listed
                        failed.append(f"{key}: {type(exc).__name__}: {str(exc)[:120]}")
                        print("FAILED", failed[-1], flush=True)
                        continue
                    entries[key] = {"ctx_ms": ctx, "step_ms": step}
                    print(f"{key} {time.perf_counter() - t0:.1f} s", flush=True)
    doc = {
        "source": (f"aiconfigurator-core {VERSION} (NVIDIA, Apache-2.0, "
                   "https://pypi.org/project/aiconfigurator-core/), TensorRT-LLM backend, "
                   "default database version per system; derived data, see "
                   "src/aifab/perf/data/aiconfigurator-LICENSE.txt"),
        "generator": "benchmarks/perf_aic_table.py",
        "key": "model|device|precision|tp|pp|dp|ep",
        "batch_per_rank": list(BATCHES),
        "length_tokens": list(LENGTHS),
        "ctx_ms": "prefill of batch x length prompt tokens (per attention rank)",
        "step_ms": "one decode step of batch sequences at that context length",
        "failed": failed,
        "entries": entries,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"{len(entries)} entries, {len(failed)} failed, "
          f"{time.perf_counter() - t_all:.0f} s -> {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
