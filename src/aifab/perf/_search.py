"""Best serving configuration for a device group: tensor x pipeline parallel layout,
replicas and batch, for the most throughput, the least latency or the most tokens per
joule, under optional TTFT / TPOT targets."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from statistics import NormalDist

from aifab.catalog import Accelerator, Catalog
from aifab.errors import BadInput
from aifab.perf._common import best_precision, resolve_device, resolve_model
from aifab.perf._factors import Factors
from aifab.perf._infer import (
    CALIBRATED_BATCH,
    DEFAULT_TOKEN_BUDGET,
    InferenceResult,
    Point,
    budget_batch,
    check_serving,
    check_shape,
    evaluate,
    make_ctx,
    result,
    roofline_point,
)
from aifab.perf._layout import ep_choices, moe_ctx
from aifab.perf._models import ModelSet, ModelSpec
from aifab.perf._step import Ctx, max_seqs
from aifab.perf._table import check_table_engine, table_tpot

OBJECTIVES = ("throughput", "latency", "energy")
#: Largest batch the search considers per replica (per attention-DP rank): the
#: calibrated range (results above it would be extrapolated; an explicit --batch may
#: still go there, marked so).
BATCH_CAP = CALIBRATED_BATCH
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


Layout = tuple[int, int, int, int]  # (tp, pp, dp, ep)


def layouts(c: Ctx, devices: int, context: int, beams: int = 1, *, tp: int | None = None,
            pp: int | None = None, dp: int | None = None, ep: int | None = None
            ) -> list[Layout]:
    """(tp, pp, dp, ep) of powers of two whose replica (tp x pp x dp devices) divides
    ``devices`` and holds the weights plus one sequence; pp at most the layer count; dp
    and ep > 1 only for MoE models (ep 1 or the whole stage, see ep_choices; attention DP
    is not combined with a pipeline). A layout value the user gave is kept fixed."""
    def pows(fixed: int | None, top: int) -> list[int]:
        if fixed is not None:
            return [fixed]
        out, v = [], 1
        while v <= top:
            out.append(v)
            v *= 2
        return out

    moe = c.m.arch == "moe"
    found = []
    for t in pows(tp, devices):
        for p in pows(pp, min(devices, c.m.layers)):
            for d in pows(dp, devices if moe else 1):
                if d > 1 and p > 1 and dp is None and pp is None:
                    continue  # attention DP with a pipeline: not searched unless asked
                n = t * p * d
                if n > devices or devices % n:
                    continue
                for e in [ep] if ep is not None else ep_choices(c, t * d):
                    if (t * d) % e or (moe and (c.m.experts or 1) % e) or (e > 1 and not moe):
                        continue
                    q = replace(c, dp=d, ep=e)
                    if max_seqs(q, n, context * beams, t) >= 1:
                        found.append((t, p, d, e))
    return found


def _meets(p: Point | None, tpot: float | None, ttft: float | None) -> bool:
    return p is not None and (tpot is None or p.tpot_s <= tpot) and (
        ttft is None or p.ttft_s <= ttft)


def largest_batch(c: Ctx, tp: int, pp: int, inp: int, out: int, beams: int, serving: str,
                  budget: int, tpot: float | None, ttft: float | None,
                  cap: int = BATCH_CAP, tail_z: float = 0.0) -> Point | None:
    """The largest batch of one tp x pp (x dp) replica meeting the targets (TTFT and TPOT
    grow with the batch, so bisection finds it); None if batch 1 misses them. ``tail_z``
    > 0: the TPOT target is a percentile (see ``tail_batch``)."""
    hi = min(cap * c.dp, max_seqs(c, tp * pp * c.dp, (inp + out) * beams, tp))
    if serving == "continuous":
        hi = min(hi, budget_batch(inp, out, beams, budget) * c.dp)
    if hi < 1:
        return None
    if tail_z > 0 and tpot is not None and serving == "continuous":
        return _tail_largest(c, tp, pp, inp, out, beams, budget, tpot, ttft, hi, tail_z)
    need = ttft is not None  # TTFT only when a target asks for it; the result gets it

    def at(b: int) -> Point | None:
        return evaluate(c, tp, pp, b, inp, out, beams, serving, budget, with_ttft=need)

    def final(p: Point) -> Point | None:
        return p if need else evaluate(c, tp, pp, p.batch, inp, out, beams, serving, budget)

    if not need and tpot is not None and c.engine != "roofline" and beams == 1 and \
            c.power_cap >= 1.0:
        # the same bisection on the TPOT alone, without building the retimed points
        def tp_at(b: int) -> float | None:
            return lean_tpot(c, tp, pp, b, inp, out, serving, budget)

        t_top = tp_at(hi)
        if t_top is not None and t_top <= tpot:
            return evaluate(c, tp, pp, hi, inp, out, beams, serving, budget)
        t_one = tp_at(1)
        if t_one is None or t_one > tpot:
            return None
        lo = 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            t = tp_at(mid)
            if t is not None and t <= tpot:
                lo = mid
            else:
                hi = mid - 1
        return evaluate(c, tp, pp, lo, inp, out, beams, serving, budget)
    top = at(hi)
    if top is not None and _meets(top, tpot, ttft):
        return final(top)  # the largest batch already meets the targets (always without any)
    best = at(1)
    if best is None or not _meets(best, tpot, ttft):
        return None
    lo = 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        p = at(mid)
        if p is not None and _meets(p, tpot, ttft):
            lo, best = mid, p
        else:
            hi = mid - 1
    return final(best)


def tail_batch(batch: int, dp: int, z: float) -> int:
    """Concurrency a replica of mean concurrency ``batch`` reaches at the percentile whose
    standard-normal quantile is ``z``: under Poisson arrivals the requests sharing each
    attention rank's steps over one request's life are Poisson with mean r = batch / dp
    (Little's law), so their tail is r + z sqrt(r) (normal approximation); the decode
    batch and the prefills of new arrivals a request's steps carry both follow it."""
    r = batch / dp
    return math.ceil(dp * (r + z * math.sqrt(r)))


def _tail_largest(c: Ctx, tp: int, pp: int, inp: int, out: int, beams: int, budget: int,
                  tpot: float, ttft: float | None, hi: int, z: float) -> Point | None:
    """The largest mean batch whose tail concurrency (``tail_batch``) fits the replica
    (memory and token budget: else requests queue) and meets the TPOT target there; a
    TTFT target is checked at the mean batch (no prefill queue is modelled)."""
    cap = hi

    def ok(b: int) -> bool:
        e = tail_batch(b, c.dp, z)
        if e > cap:
            return False
        p = evaluate(c, tp, pp, e, inp, out, beams, "continuous", budget, with_ttft=False)
        if p is None or p.tpot_s > tpot:
            return False
        if ttft is None:
            return True
        q = evaluate(c, tp, pp, b, inp, out, beams, "continuous", budget)
        return q is not None and q.ttft_s <= ttft

    if not ok(1):
        return None
    lo = 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
    return evaluate(c, tp, pp, lo, inp, out, beams, "continuous", budget)


def lean_tpot(c: Ctx, tp: int, pp: int, batch: int, inp: int, out: int, serving: str,
              budget: int) -> float | None:
    """``evaluate(..., with_ttft=False).tpot_s`` for the table engines (no beams, no power
    cap), computed without building the retimed points: the table's TPOT where it
    answers, times the roofline's pipeline ratio for pp > 1 (as ``pipeline_scaled``);
    else the roofline's. None where the roofline finds the batch infeasible."""
    p = roofline_point(c, tp, pp, batch, inp, out, 1, serving, budget, with_ttft=False)
    if p is None:
        return None
    t = table_tpot(c, tp, batch, inp, out, serving)
    if t is None:
        return p.tpot_s
    if pp == 1:
        return t
    p1 = roofline_point(c, tp, 1, batch, inp, out, 1, serving, budget, with_ttft=False)
    return p.tpot_s if p1 is None else p.tpot_s * (t / p1.tpot_s)


def _score(r: InferenceResult, objective: str) -> tuple[float, float]:
    if objective == "latency":
        return (-r.request_latency_s, r.tokens_per_s)
    if objective == "energy":
        return (r.tokens_per_j_facility, r.tokens_per_s)
    return (r.tokens_per_s, -r.request_latency_s)


def _search_ctx(c: Ctx, devices: int, objective: str, batch: int | None, inp: int, out: int,
                beams: int, serving: str, budget: int, tpot: float | None,
                ttft: float | None, pue: float, catalog: Catalog | None,
                fixed: dict[str, int | None], tail_z: float = 0.0) -> list[InferenceResult]:
    found = []
    for tp, pp, dp, ep in layouts(c, devices, inp + out, beams, **fixed):
        q = replace(c, dp=dp, ep=ep)
        if batch is None and objective != "latency":
            p = largest_batch(q, tp, pp, inp, out, beams, serving, budget, tpot, ttft,
                              tail_z=tail_z)
        else:
            b = batch or 1
            fits = max_seqs(q, tp * pp * dp, (inp + out) * beams, tp) >= b
            r0 = evaluate(q, tp, pp, b, inp, out, beams, serving, budget) if fits else None
            p = r0 if _meets(r0, tpot, ttft) else None
        if p is not None and (c.engine != "table" or p.engine.startswith("table")):
            found.append(result(q, p, devices, inp, out, beams, pue, catalog, budget))
    if c.engine == "auto" and any(r.engine.startswith("table") for r in found):
        # the table covers this model and device: its candidates compete alone (mixed
        # engines would favour whichever is more optimistic)
        found = [r for r in found if r.engine.startswith("table")]
    if objective == "energy":
        found += _capped(c, found, devices, inp, out, beams, serving, budget, tpot, ttft,
                         pue, catalog)
    found.sort(key=lambda r: _score(r, objective), reverse=True)
    return found


#: Power caps (share of TDP) the energy search tries on each layout's best point.
POWER_CAPS = (0.85, 0.7, 0.6)


def _capped(c: Ctx, found: list[InferenceResult], devices: int, inp: int, out: int,
            beams: int, serving: str, budget: int, tpot: float | None, ttft: float | None,
            pue: float, catalog: Catalog | None) -> list[InferenceResult]:
    """Each uncapped candidate again under each power cap, at the same batch: the clock
    (and compute peak) falls as the cube root of the dynamic power (P ~ f V^2, V ~ f),
    memory bandwidth is kept, and the device draws at most the cap."""
    out_rows = []
    for r in found:
        for cap in POWER_CAPS:
            q = replace(c, dp=r.dp, ep=r.ep, power_cap=cap,
                        peak_tflops=c.peak_tflops * cap ** (1.0 / 3.0))
            p = evaluate(q, r.tp, r.pp, r.batch, inp, out, beams, serving, budget)
            if _meets(p, tpot, ttft) and p is not None:
                out_rows.append(result(q, p, devices, inp, out, beams, pue, catalog, budget))
    return out_rows


def search(model: str | ModelSpec, device: str | Accelerator, devices: int | None = None, *,
           precision: str | None = None, objective: str = "throughput",
           batch: int | None = None, input_tokens: int = 2048, output_tokens: int = 256,
           tpot_slo_s: float | None = None, ttft_slo_s: float | None = None,
           serving: str = "continuous", token_budget: int = DEFAULT_TOKEN_BUDGET,
           beams: int = 1, pue: float = 1.2, compare_static: bool = True,
           catalog: Catalog | None = None, models: ModelSet | None = None,
           factors: dict[str, Factors] | None = None, tp: int | None = None,
           pp: int | None = None, dp: int | None = None, ep: int | None = None,
           spec_k: int = 0, spec_accept: float = 0.0, engine: str = "auto",
           slo_percentile: float | None = None) -> SearchResult:
    """Search tp x pp layouts (powers of two dividing ``devices``, default one server) and
    the batch per replica for ``objective``: "throughput" (most output tokens/s of the
    group), "latency" (least request latency at ``batch``, default 1) or "energy" (most
    tokens per facility joule). ``batch`` None means the largest meeting the targets (at
    most the calibrated BATCH_CAP). ``tp``, ``pp``, ``dp`` and ``ep`` given are kept.
    With ``compare_static`` the same search under static batching is reported beside.
    ``engine`` "auto" times each candidate with the aiconfigurator table where it covers
    it (else the roofline; each result names its engine), "roofline", or "table" (only
    the candidates the table covers). ``slo_percentile`` (e.g. 99): the TPOT target is
    that percentile of per-request TPOT under Poisson arrivals (MLPerf's server and
    interactive limits), not the mean of a steady batch (``tail_batch``); None (the
    default) keeps the mean."""
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
    eng = check_table_engine(engine)
    if slo_percentile is not None and not 50 <= slo_percentile < 100:
        raise BadInput(f"must be in [50, 100), got {slo_percentile}", where="--slo-percentile")
    tail_z = 0.0 if slo_percentile is None else NormalDist().inv_cdf(slo_percentile / 100)
    if eng == "aiconfigurator":
        raise BadInput("the live aiconfigurator engine predicts one configuration (give "
                       "--batch N, no --optimize); the search uses --engine table or auto",
                       where="--engine")
    c = moe_ctx(make_ctx(m, acc, precision or best_precision(acc), factors, eng), tp or 1,
                dp or 1, 1, spec_k=spec_k, spec_accept=spec_accept)
    fixed = {"tp": tp, "pp": pp, "dp": dp, "ep": ep}
    for name, val in fixed.items():
        if val is not None and (val < 1 or n % val):
            raise BadInput(f"{name} {val} must be a positive divisor of the {n} devices",
                           where=name)
    if ep is not None:
        moe_ctx(c, (tp or 1) * (dp or 1) if tp and dp else ep, 1, ep)  # names a bad --ep
    if not layouts(c, n, input_tokens + output_tokens, beams, **fixed):
        need = c.weight_bytes / (0.92 * acc.mem_gb * 1e9)
        raise BadInput(f"{m.id} {c.prec.upper()} needs about {math.ceil(need)} x {acc.id} "
                       f"for the weights and one sequence; the group has {n}"
                       + ("" if not any(fixed.values()) else " in the layout given"),
                       where=next((k for k, v in fixed.items() if v is not None),
                                  "devices"))
    def run(serving_mode: str) -> list[InferenceResult]:
        return _search_ctx(c, n, objective, batch, input_tokens, output_tokens, beams,
                           serving_mode, token_budget, tpot_slo_s, ttft_slo_s, pue, catalog,
                           fixed, tail_z)

    found = run(mode)
    if eng == "table" and not any(r.engine.startswith("table") for r in found):
        raise BadInput(f"the aiconfigurator table covers no candidate of {m.id} on {acc.id} "
                       f"{c.prec.upper()} here (use --engine auto)", where="--engine")
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
