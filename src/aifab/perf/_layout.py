"""MoE and speculative-decoding settings of a serving context, checked against the model:
attention data parallelism, expert parallelism and draft tokens."""

from __future__ import annotations

from dataclasses import replace

from aifab.errors import BadInput
from aifab.perf._step import Ctx


def moe_ctx(c: Ctx, tp: int, dp: int = 1, ep: int = 1, *, spec_k: int = 0,
            spec_accept: float = 0.0, draft_layers: int = 1) -> Ctx:
    """``c`` with attention data parallelism ``dp``, expert parallelism ``ep`` and
    speculative decoding; BadInput naming the flag when the model cannot take them."""
    m = c.m
    if (dp > 1 or ep > 1) and m.arch != "moe":
        raise BadInput(f"{m.id} is dense: attention data / expert parallelism apply to MoE "
                       "models (use replicas: --devices)", where="ep" if ep > 1 else "dp")
    if ep > 1:
        experts = m.experts or 1
        if experts % ep:
            raise BadInput(f"ep {ep} does not divide the {experts} experts of {m.id}",
                           where="ep")
        if (tp * dp) % ep:
            raise BadInput(f"ep {ep} must divide tp x dp = {tp * dp} (the devices of a "
                           "stage)", where="ep")
    if spec_k < 0 or spec_k > 16:
        raise BadInput(f"draft tokens must be 0 to 16, got {spec_k}", where="spec-tokens")
    if not 0.0 <= spec_accept < 1.0:
        raise BadInput(f"acceptance rate must be in [0, 1), got {spec_accept}",
                       where="spec-accept")
    if draft_layers < 1 or draft_layers > m.layers:
        raise BadInput(f"draft layers must be 1 to {m.layers}, got {draft_layers}",
                       where="draft-layers")
    if (c.dp, c.ep, c.spec_k, c.spec_accept, c.draft_layers) == (dp, ep, spec_k, spec_accept,
                                                                  draft_layers):
        return c  # (a frozen context: the same one serves; most calls change nothing)
    return replace(c, dp=dp, ep=ep, spec_k=spec_k, spec_accept=spec_accept,
                   draft_layers=draft_layers)


def ep_choices(c: Ctx, width: int) -> list[int]:
    """Expert-parallel degrees a stage of ``width`` devices is searched over: 1 (experts
    split by tensor parallelism) and the whole stage (wide EP, as TensorRT-LLM, SGLang
    and vLLM deploy it), when the width divides the expert count. Other degrees can be
    given (``ep``)."""
    if c.m.arch != "moe" or width <= 1:
        return [1]
    return [1] + ([width] if (c.m.experts or 1) % width == 0 else [])
