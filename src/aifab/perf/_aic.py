"""Optional measured engine: NVIDIA's aiconfigurator-core (per-kernel TensorRT-LLM
databases measured on H100, H200, B200, GB200, RTX PRO 6000 ...), behind aifab's own
result type. Not a dependency: ``pip install aiconfigurator-core`` (the ``engines`` extra)
enables ``perf infer --engine aiconfigurator`` for one configuration. Evaluation and the
reasons it is not the default: docs/perf-engines.md.

Timing comes from aiconfigurator's static run (prefill of the batch, then decode; the
batch per attention-DP rank); memory, power and the work counted for power come from the
roofline at the same configuration."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import replace
from functools import lru_cache
from typing import Any

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.perf._common import resolve_device, resolve_model
from aifab.perf._infer import InferenceResult, Point, evaluate, inference, make_ctx, result
from aifab.perf._layout import moe_ctx
from aifab.perf._models import ModelSet
from aifab.perf._table import check_table_engine

#: aifab accelerator id -> aiconfigurator system name.
SYSTEMS = {"h100-sxm": "h100_sxm", "h200-sxm": "h200_sxm", "b200": "b200_sxm",
           "gb200": "gb200", "rtx-pro-6000": "rtx_pro_6000_server"}
#: aifab model id -> the Hugging Face id aiconfigurator ships a config for.
MODELS = {"llama-3.1-8b": "meta-llama/Meta-Llama-3.1-8B",
          "llama-3.1-70b": "meta-llama/Meta-Llama-3.1-70B",
          "llama-3.1-405b": "meta-llama/Meta-Llama-3.1-405B",
          "qwen3-235b-a22b": "Qwen/Qwen3-235B-A22B", "qwen3-30b-a3b": "Qwen/Qwen3-30B-A3B",
          "llama-4-maverick": "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
          "deepseek-r1": "deepseek-ai/DeepSeek-R1", "gpt-oss-120b": "openai/gpt-oss-120b"}
def check_engine(engine: str, *, single: bool) -> None:
    """``--engine`` is known (auto, roofline, table, aiconfigurator), and the live
    aiconfigurator engine is asked for one configuration only."""
    if check_table_engine(engine) == "aiconfigurator" and not single:
        raise BadInput("the aiconfigurator engine predicts one configuration: give "
                       "--batch N, no --optimize, --disaggregate or --spec-tokens",
                       where="--engine")


def available() -> bool:
    return importlib.util.find_spec("aiconfigurator_core") is not None


def quant_modes(model: str, device: str, precision: str) -> dict[str, str]:
    """aiconfigurator quant modes for an aifab precision (as benchmarks/perf_engine_eval)."""
    if model == "gpt-oss-120b":
        moe = "w4a8_mxfp4_mxfp8" if device in ("b200", "gb200") else "w4a16_mxfp4"
        gemm = "fp8" if moe.startswith("w4a8") else "bfloat16"
        return {"gemm_quant_mode": gemm, "moe_quant_mode": moe, "kvcache_quant_mode": "fp8"}
    fmha = "bfloat16" if model == "deepseek-r1" else "fp8"
    if precision == "fp4":
        return {"gemm_quant_mode": "nvfp4", "moe_quant_mode": "nvfp4",
                "kvcache_quant_mode": "fp8", "fmha_quant_mode": fmha}
    if precision == "fp8":
        q = "fp8_block" if model == "deepseek-r1" else "fp8"
        return {"gemm_quant_mode": q, "moe_quant_mode": q, "kvcache_quant_mode": "fp8",
                "fmha_quant_mode": fmha}
    raise BadInput(f"the aiconfigurator engine covers fp8 and fp4, not {precision}",
                   where="precision")


@lru_cache(maxsize=64)
def _engine(model: str, system: str, tp: int, pp: int, dp: int, ep: int,
            modes: tuple[tuple[str, str], ...]) -> Any:
    eng = importlib.import_module("aiconfigurator_core.sdk.engine")
    logging.getLogger("aiconfigurator_core").setLevel(logging.ERROR)
    kw: dict[str, Any] = {"tp_size": tp, "pp_size": pp, "attention_dp_size": dp, **dict(modes)}
    if model in ("qwen3-235b-a22b", "qwen3-30b-a3b", "llama-4-maverick", "deepseek-r1",
                 "gpt-oss-120b"):
        kw.update(moe_ep_size=ep, moe_tp_size=tp * dp // ep)
    return eng.EngineHandle.compile(MODELS[model], system, "trtllm", **kw)


def aic_inference(model: str, device: str, devices: int = 1, *, precision: str = "fp8",
                  batch: int = 1, input_tokens: int = 2048, output_tokens: int = 128,
                  tp: int | None = None, pp: int = 1, dp: int = 1, ep: int = 1,
                  pue: float = 1.2, catalog: Catalog | None = None,
                  models: ModelSet | None = None) -> InferenceResult:
    """One configuration timed by aiconfigurator-core; BadInput (``engine``) if the package
    is missing or the model / device is outside what it covers."""
    if model not in MODELS or device not in SYSTEMS:
        raise BadInput(f"the aiconfigurator engine covers models {', '.join(sorted(MODELS))} "
                       f"on {', '.join(sorted(SYSTEMS))}", where="engine")
    # the roofline validates the configuration (memory, layout) and prices power
    base = inference(model, device, devices, precision=precision, batch=batch,
                     input_tokens=input_tokens, output_tokens=output_tokens, tp=tp, pp=pp,
                     dp=dp, ep=ep, serving="static", pue=pue, catalog=catalog,
                     models=models, engine="roofline")
    if not available():
        raise BadInput("aiconfigurator-core is not installed (pip install "
                       "aiconfigurator-core, or aifab[engines])", where="engine")
    modes = tuple(sorted(quant_modes(model, device, base.precision).items()))
    try:
        h = _engine(model, SYSTEMS[device], base.tp, base.pp, base.dp, base.ep, modes)
        ctx_ms, gen_ms, total_ms = h.run_static(batch_size=max(1, batch // base.dp),
                                                isl=input_tokens, osl=output_tokens)
    except Exception as exc:  # its database errors become one line
        raise BadInput(f"aiconfigurator could not predict this configuration: "
                       f"{type(exc).__name__}: {str(exc)[:160]}", where="engine") from None
    c = moe_ctx(make_ctx(resolve_model(model, models), resolve_device(device, catalog),
                         base.precision), base.tp, base.dp, base.ep)
    roof = evaluate(c, base.tp, base.pp, batch, input_tokens, output_tokens, 1, "static")
    assert roof is not None  # static serving has no token budget
    total = total_ms / 1000.0
    served = max(1, batch // base.dp) * base.dp
    p = Point(base.tp, base.pp, served, "static", ctx_ms / 1000.0,
              gen_ms / 1000.0 / output_tokens, total, served * output_tokens / total,
              roof.t_comp, roof.t_mem, roof.t_comm,
              roof.flops_per_s * roof.request_latency_s / total,
              roof.bytes_per_s * roof.request_latency_s / total, engine="aiconfigurator")
    r = result(c, p, devices, input_tokens, output_tokens, 1, pue, catalog)
    return replace(r, notes=("engine: aiconfigurator-core (TensorRT-LLM kernel database, "
                             "static batching); memory and power from the roofline",
                             *r.notes))

