"""Best serving configuration for a device group: tensor x pipeline parallel layout,
replicas and batch, for the most throughput, the least latency or the most tokens per
joule, under optional TTFT / TPOT targets."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aifab.catalog import Accelerator, Catalog
from aifab.errors import BadInput
from aifab.perf._common import best_precision, resolve_device, resolve_model
from aifab.perf._factors import Factors
from aifab.perf._infer import (
    DEFAULT_TOKEN_BUDGET,
    InferenceResult,
    Point,
    budget_batch,
    check_serving,
    check_shape,
    evaluate,
    make_ctx,
    result,
)
from aifab.perf._models import ModelSet, ModelSpec
from aifab.perf._step import Ctx, max_seqs

OBJECTIVES = ("throughput", "latency", "energy")
#: Largest batch the search considers per replica.
BATCH_CAP = 4096
#: Devices per server when no catalogue system holds the device (assumed: 8, the common
#: accelerator count of HGX-class and NPU servers).
DEFAULT_SERVER = 8


@dataclass(frozen=True)
class SearchResult:
    """The best configuration, every layout's own best, and the static-batching best."""

    objective: str
    serving: str
    devices: int
    best: InferenceResult | None
    candidates: tuple[InferenceResult, ...]
    static_best: InferenceResult | None
    gain_vs_static: float | None
    tpot_slo_s: float | None
    ttft_slo_s: float | None

    def to_dict(self) -> dict[str, object]:
        from dataclasses import asdict
        return asdict(self)


def server_size(acc: Accelerator, catalog: Catalog | None) -> int:
    """Devices in the catalogue system that holds ``acc`` (else DEFAULT_SERVER)."""
    from aifab.catalog import default_catalog
    for s in (catalog or default_catalog()).systems.values():
        if s.accelerator == acc.id and s.form == "server":
            return s.accelerators_per_system
    for s in (catalog or default_catalog()).systems.values():
        if s.accelerator == acc.id:
            return min(s.accelerators_per_system, acc.domain_size)
    return DEFAULT_SERVER


def layouts(c: Ctx, devices: int, context: int, beams: int = 1) -> list[tuple[int, int]]:
    """(tp, pp) pairs of powers of two whose product divides ``devices`` and holds the
    weights plus one sequence; pp at most the layer count."""
    out = []
    tp = 1
    while tp <= devices:
        pp = 1
        while tp * pp <= devices and pp <= c.m.layers:
            if devices % (tp * pp) == 0 and max_seqs(c, tp * pp, context * beams) >= 1:
                out.append((tp, pp))
            pp *= 2
        tp *= 2
    return out


def _meets(p: Point | None, tpot: float | None, ttft: float | None) -> bool:
    return p is not None and (tpot is None or p.tpot_s <= tpot) and (
        ttft is None or p.ttft_s <= ttft)


def largest_batch(c: Ctx, tp: int, pp: int, inp: int, out: int, beams: int, serving: str,
                  budget: int, tpot: float | None, ttft: float | None,
                  cap: int = BATCH_CAP) -> Point | None:
    """The largest batch of one tp x pp replica meeting the targets (TTFT and TPOT grow
    with the batch, so bisection finds it); None if batch 1 misses them."""
    hi = min(cap, max_seqs(c, tp * pp, (inp + out) * beams))
    if serving == "continuous":
        hi = min(hi, budget_batch(inp, out, beams, budget))
    if hi < 1:
        return None
    best = evaluate(c, tp, pp, 1, inp, out, beams, serving, budget)
    if not _meets(best, tpot, ttft):
        return None
    lo = 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        p = evaluate(c, tp, pp, mid, inp, out, beams, serving, budget)
        if _meets(p, tpot, ttft):
            lo, best = mid, p
        else:
            hi = mid - 1
    return best


def _score(r: InferenceResult, objective: str) -> tuple[float, float]:
    if objective == "latency":
        return (-r.request_latency_s, r.tokens_per_s)
    if objective == "energy":
        return (r.tokens_per_j_facility, r.tokens_per_s)
    return (r.tokens_per_s, -r.request_latency_s)


def _search_ctx(c: Ctx, devices: int, objective: str, batch: int | None, inp: int, out: int,
                beams: int, serving: str, budget: int, tpot: float | None,
                ttft: float | None, pue: float, catalog: Catalog | None
                ) -> list[InferenceResult]:
    found = []
    for tp, pp in layouts(c, devices, inp + out, beams):
        if batch is None and objective != "latency":
            p = largest_batch(c, tp, pp, inp, out, beams, serving, budget, tpot, ttft)
        else:
            b = batch or 1
            fits = max_seqs(c, tp * pp, (inp + out) * beams) >= b
            q = evaluate(c, tp, pp, b, inp, out, beams, serving, budget) if fits else None
            p = q if _meets(q, tpot, ttft) else None
        if p is not None:
            found.append(result(c, p, devices, inp, out, beams, pue, catalog, budget))
    found.sort(key=lambda r: _score(r, objective), reverse=True)
    return found


def search(model: str | ModelSpec, device: str | Accelerator, devices: int | None = None, *,
           precision: str | None = None, objective: str = "throughput",
           batch: int | None = None, input_tokens: int = 2048, output_tokens: int = 256,
           tpot_slo_s: float | None = None, ttft_slo_s: float | None = None,
           serving: str = "continuous", token_budget: int = DEFAULT_TOKEN_BUDGET,
           beams: int = 1, pue: float = 1.2, compare_static: bool = True,
           catalog: Catalog | None = None, models: ModelSet | None = None,
           factors: dict[str, Factors] | None = None) -> SearchResult:
    """Search tp x pp layouts (powers of two dividing ``devices``, default one server) and
    the batch per replica for ``objective``: "throughput" (most output tokens/s of the
    group), "latency" (least request latency at ``batch``, default 1) or "energy" (most
    tokens per facility joule). ``batch`` None means the largest meeting the targets.
    With ``compare_static`` the same search under static batching is reported beside."""
    m = resolve_model(model, models)
    acc = resolve_device(device, catalog)
    if objective not in OBJECTIVES:
        raise BadInput(f"unknown objective {objective!r} (throughput, latency or energy)",
                       where="optimize")
    mode = check_serving(serving)
    n = server_size(acc, catalog) if devices is None else devices
    check_shape(m, n, input_tokens, output_tokens, beams, pue)
    if batch is not None and batch < 1:
        raise BadInput(f"must be at least 1, got {batch}", where="batch")
    for name, slo in (("tpot", tpot_slo_s), ("ttft", ttft_slo_s)):
        if slo is not None and not slo > 0:
            raise BadInput(f"must be positive, got {slo}", where=name)
    c = make_ctx(m, acc, precision or best_precision(acc), factors)
    if not layouts(c, n, input_tokens + output_tokens, beams):
        need = c.weight_bytes / (0.92 * acc.mem_gb * 1e9)
        raise BadInput(f"{m.id} {c.prec.upper()} needs about {math.ceil(need)} x {acc.id} "
                       f"for the weights and one sequence; the group has {n}",
                       where="devices")
    def run(serving_mode: str) -> list[InferenceResult]:
        return _search_ctx(c, n, objective, batch, input_tokens, output_tokens, beams,
                           serving_mode, token_budget, tpot_slo_s, ttft_slo_s, pue, catalog)

    found = run(mode)
    static = None
    if compare_static and mode == "continuous":
        st = run("static")
        static = st[0] if st else None
    best = found[0] if found else None
    gain = None
    if best is not None and static is not None:
        gain = _gain(best, static, objective)
    return SearchResult(objective, mode, n, best, tuple(found), static, gain, tpot_slo_s,
                        ttft_slo_s)


def _gain(best: InferenceResult, other: InferenceResult, objective: str) -> float:
    """Relative gain of ``best`` over ``other`` on the objective (positive = better)."""
    if objective == "latency":
        return other.request_latency_s / best.request_latency_s - 1.0
    if objective == "energy":
        return best.tokens_per_j_facility / other.tokens_per_j_facility - 1.0
    return best.tokens_per_s / other.tokens_per_s - 1.0
