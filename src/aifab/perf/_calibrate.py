"""Calibration: predict every published row (data/calibration.csv), report relative errors,
and fit efficiency factors per device family by grid search on log error."""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from aifab.catalog import Accelerator, default_catalog
from aifab.errors import BadInput
from aifab.perf._factors import Factors, device_meta, device_table, factor_table
from aifab.perf._infer import (
    DEFAULT_TOKEN_BUDGET,
    InferenceResult,
    budget_batch,
    inference,
    make_ctx,
)
from aifab.perf._layout import moe_ctx
from aifab.perf._models import ModelSpec, default_models
from aifab.perf._step import max_seqs
from aifab.perf._table import table_first
from aifab.perf._train import training

#: Offline rows ("batch = max") use the largest batch that fits, capped here per replica.
OFFLINE_BATCH_CAP = 1024
#: Targets from the issue: median |error| and worst |error| over included rows.
MEDIAN_TOL = 0.15
MAX_TOL = 0.35
#: Included rows known to exceed MAX_TOL, with the reason (the tests check this list is
#: exactly the set of rows over the tolerance, so it cannot go stale either way).
#: The reason shared by the long-decode rows of the big models.
LONG_DECODE = (
    "long decode (128 in / 2048 out) of a big model at the largest batch memory allows: "
    "the model is compute-bound there and predicts the step at the fitted GEMM rate, but "
    "the published rate implies about two thirds of that; every 128/2048 cell of the 405B "
    "and Qwen3-235B columns errs the same way while their 128/128 and 2048/128 cells fit, "
    "so the likely cause is a smaller running batch than memory allows (trtllm-bench sizes "
    "max_batch_size and max_num_tokens by its own heuristic, not recorded in the table); "
    "not fitted away")
KNOWN_OUTLIERS = {
    "trtllm10-b200-llama31-405b-tp4pp1-128-2048": LONG_DECODE,
    "trtllm10-gb200-llama31-405b-tp4pp1-128-2048": LONG_DECODE,
    "trtllm10-h100-sxm-llama31-405b-tp8pp1-128-2048": LONG_DECODE,
    "trtllm10-b200-qwen3-235b-tp8pp1-128-2048": LONG_DECODE,
    "trtllm10-gb200-qwen3-30b-tp1pp1-128-128":
        "the published GB200 cell (24,107 tok/s) is 40 % below the B200 cell of the same "
        "table (39,827) although GB200 has the same GPU with more power; the model predicts "
        "both alike, so one of the two cells carries a run-specific loss",
    "trtllm10-b200-llama4-maverick-tp8pp1-128-128":
        "the row's layout is left to the model (TP 8 or attention DP 8); with attention DP "
        "the token budget is per rank, so the model runs 8,192 requests where the published "
        "run probably ran fewer; Maverick's dense and MoE layers alternate, and the model "
        "prices every layer as MoE (all-to-all and expert efficiency on all 48)",
    "trtllm10-h200-sxm-llama4-maverick-tp8pp1-128-2048":
        "long decode at attention DP 8: the token budget and the 1,024-request cap are per "
        "attention rank, so the model runs 2,523 requests (what memory allows) where the "
        "published run probably ran fewer (see the long-decode rows above); Maverick's "
        "alternating dense and MoE layers are all priced as MoE",
}


@dataclass(frozen=True)
class CalRow:
    """One published result with the scenario assumptions needed to predict it."""

    id: str
    kind: str
    model: str
    device: str
    devices: int | None
    precision: str
    metric: str
    value: float
    unit: str
    tp: int | None
    pp: int
    batch: str
    input_tokens: int | None
    output_tokens: int | None
    beams: int
    tokens: float | None
    seq_len: int | None
    mode: str
    serving: str
    source: str
    secondary: bool
    url: str
    date: str
    assumptions: str
    exclude_reason: str
    ep: int | None = None
    attn_dp: int | None = None


@dataclass(frozen=True)
class CalResult:
    """Predicted vs published for one row; ``error`` is predicted / published - 1."""

    row: CalRow
    predicted: float | None
    error: float | None
    included: bool
    detail: str


def _int(s: str) -> int | None:
    return int(float(s)) if s else None


@lru_cache(maxsize=1)
def calibration_rows() -> tuple[CalRow, ...]:
    """The packaged calibration rows (published value plus our scenario assumptions)."""
    text = (resources.files("aifab.perf") / "data" / "calibration.csv").read_text("utf-8")
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        rows.append(CalRow(
            id=r["id"], kind=r["kind"], model=r["model"], device=r["device"],
            devices=_int(r["devices"]), precision=r["precision"], metric=r["metric"],
            value=float(r["value"]), unit=r["unit"], tp=_int(r["tp"]), pp=_int(r["pp"]) or 1,
            batch=r["batch"],
            input_tokens=_int(r["input_tokens"]), output_tokens=_int(r["output_tokens"]),
            beams=_int(r["beams"]) or 1, tokens=float(r["tokens"]) if r["tokens"] else None,
            seq_len=_int(r["seq_len"]), mode=r["mode"] or "full",
            serving=r["serving"] or "continuous", source=r["source"],
            secondary=r["secondary"] == "yes", url=r["url"], date=r["date"],
            assumptions=r["assumptions"],
            exclude_reason=r["exclude_reason"], ep=_int(r.get("ep") or ""),
            attn_dp=_int(r.get("attn_dp") or "")))
    return tuple(rows)


def _top(row: CalRow, tp: int, pp: int, dp: int, ep: int) -> int:
    """Largest batch of one replica: what fits the memory, the continuous-batching token
    budget and OFFLINE_BATCH_CAP per attention rank. The efficiency factors move no part of
    it (weights, KV cache, the budget), so it is kept per model, device and layout
    (:func:`_top_of`; the leave-one-out fits ask for it about 120,000 times)."""
    return _top_of(default_models().get(row.model), default_catalog().accelerator(row.device),
                   row.precision, row.input_tokens or 128, row.output_tokens or 128,
                   row.beams, row.serving, tp, pp, dp, ep)


@lru_cache(maxsize=4096)
def _top_of(m: ModelSpec, acc: Accelerator, precision: str, inp: int, out: int, beams: int,
            serving: str, tp: int, pp: int, dp: int, ep: int) -> int:
    c = moe_ctx(make_ctx(m, acc, precision), tp, dp, ep)
    top = min(OFFLINE_BATCH_CAP * dp, max_seqs(c, tp * pp * dp, (inp + out) * beams, tp))
    if serving == "continuous":
        top = min(top, budget_batch(inp, out, beams, DEFAULT_TOKEN_BUDGET) * dp)
    return top


def _row_batch(row: CalRow, factors: dict[str, Factors] | None) -> int | None:
    """The batch a row is predicted at: a number, None for "max" (each layout's largest,
    see _top), "inferred" (the batch whose prediction matches the published value, on
    the row's stated layout) or "from:ROW" (the inferred batch of another row of the same
    published table)."""
    if row.batch.startswith("from:"):
        other = {r.id: r for r in calibration_rows()}[row.batch.removeprefix("from:")]
        return _row_batch(other, factors)
    if row.batch == "max":
        return None
    if row.batch == "inferred":
        lo, hi = 1, _top(row, row.tp or 1, row.pp, row.attn_dp or 1, row.ep or 1)
        while lo < hi:  # throughput grows with the batch: bisect for the published value
            mid = (lo + hi) // 2
            if _predict_at(row, mid, factors)[0] < row.value:
                lo = mid + 1
            else:
                hi = mid
        return lo
    return int(row.batch)


def _layouts(row: CalRow) -> list[tuple[int, int, int, int]]:
    """(tp, pp, dp, ep) to try: the published layout where the row states it; a row
    without tp takes every tp x pp of its devices, an MoE row without attention DP both
    plain TP and attention DP over the same width, without ep 1 or the whole width (the
    search's choices, perf._layout.ep_choices)."""
    m = default_models().get(row.model)
    n = row.devices or row.tp or 1
    shapes = [(row.tp, row.pp)] if row.tp else [
        (t, p) for t in (1, 2, 4, 8, 16) for p in (1, 2, 4, 8, 16) if n % (t * p) == 0]
    out = []
    for tp, pp in shapes:
        splits = [(tp, row.attn_dp)] if row.attn_dp or m.arch != "moe" else \
            [(tp, 1)] + ([(1, tp)] if tp > 1 else [])
        for t, d in splits:
            width = t * (d or 1)
            eps = [row.ep] if row.ep else [1] if m.arch != "moe" or width == 1 else (
                [1, width] if (m.experts or 1) % width == 0 else [1])
            out += [(t, pp, d or 1, e) for e in eps]
    return out


def _predict_at(row: CalRow, batch: int | None, factors: dict[str, Factors] | None,
                engine: str = "roofline") -> tuple[float, str]:
    """Prediction at ``batch`` (None: each layout's largest); the layouts of _layouts
    compete on throughput, as the search would. A "from:ROW" batch is the concurrency
    of the whole group (the same client load as ROW), so each of the layout's replicas
    gets its share."""
    n = row.devices or row.tp or 1
    best: InferenceResult | None = None
    shared = row.batch.startswith("from:")
    for tp, pp, dp, ep in _layouts(row):
        reps = n // (tp * pp * dp)
        if batch is None:
            b = _top(row, tp, pp, dp, ep)
        else:
            b = math.ceil(batch / reps) if shared and reps else batch
        try:
            r = inference(row.model, row.device, n, precision=row.precision, batch=max(b, 1),
                          input_tokens=row.input_tokens or 128,
                          output_tokens=row.output_tokens or 128, tp=tp, pp=pp,
                          beams=row.beams, serving=row.serving, factors=factors,
                          dp=dp, ep=ep, engine=engine)
        except BadInput:
            continue
        if best is None or table_first(r) > table_first(best):
            best = r
    if best is None:
        return math.nan, "no layout holds the model"
    lay = "" if row.tp and row.pp == 1 else f"tp {best.tp} x pp {best.pp}, "
    if best.dp > 1 or best.ep > 1:
        lay += f"dp {best.dp} ep {best.ep}, "
    conc = f"concurrency {batch} = {best.replicas} x " if shared else ""
    detail = f"{lay}{row.serving} {conc}batch {best.batch}, {best.bottleneck}-bound" + (
        "" if best.engine == "roofline" else f", engine {best.engine}")
    if row.metric == "energy":
        return best.j_per_token, detail + f", {best.power_w_per_device:.0f} W"
    return best.tokens_per_s, detail


def predict_row(row: CalRow, factors: dict[str, Factors] | None = None,
                engine: str = "roofline") -> tuple[float, str]:
    """The model's prediction for ``row`` in the row's unit, with a short detail (the
    roofline fits on "roofline"; "auto" times covered rows with the aiconfigurator table)."""
    if row.kind in ("inference", "energy"):
        return _predict_at(row, _row_batch(row, factors), factors, engine)
    n = row.devices or 1024
    if row.metric == "model_tflops_per_device":
        t = training(row.model, 1e12, row.device, n, precision=row.precision,
                     seq_len=row.seq_len, mode=row.mode, factors=factors)
        return t.model_tflops_per_device, f"MFU {t.mfu:.3f}"
    t = training(row.model, row.tokens or 1e9, row.device, n, precision=row.precision,
                 seq_len=row.seq_len, mode=row.mode, factors=factors)
    if row.metric == "gpu_hours":
        return t.gpu_hours, f"MFU {t.mfu:.3f} x scale {t.scale_eff:.2f}"
    if row.tokens is None:
        implied = row.value * 60.0 * t.tokens_per_s
        return math.nan, f"implied budget {implied:.3g} tokens at {t.tokens_per_s:.3g} tok/s"
    return t.time_s / 60.0, f"MFU {t.mfu:.3f} x scale {t.scale_eff:.2f}"


def calibrate(factors: dict[str, Factors] | None = None, engine: str = "roofline"
              ) -> list[CalResult]:
    """Predict every calibration row with the stored (or given) factors."""
    out = []
    for row in calibration_rows():
        pred, detail = predict_row(row, factors, engine)
        ok = math.isfinite(pred)
        err = pred / row.value - 1.0 if ok else None
        out.append(CalResult(row, pred if ok else None, err,
                             ok and not row.exclude_reason, detail))
    return out


def summary(results: list[CalResult]) -> tuple[float, float, int]:
    """(median |error|, max |error|, rows included) over included rows."""
    errs = [abs(r.error) for r in results if r.included and r.error is not None]
    return statistics.median(errs), max(errs), len(errs)


def _family(row: CalRow) -> str:
    return device_meta(default_catalog().accelerator(row.device)).family


def _is_moe(row: CalRow) -> bool:
    return default_models().get(row.model).arch == "moe"


def _loss(rows: list[CalRow], factors: dict[str, Factors]) -> float:
    return sum(math.log(predict_row(r, factors)[0] / r.value) ** 2 for r in rows)


AXES: dict[str, list[float]] = {
    "compute_eff": [x / 100 for x in range(20, 81)],
    "bw_eff": [x / 100 for x in range(40, 96)],
    "mfu_train": [x / 1000 for x in range(200, 601, 5)],
    "moe_eff": [x / 100 for x in range(10, 101, 2)],
}


def _descend(rows: list[CalRow], table: dict[str, Factors], base: Factors,
             axes: list[str]) -> Factors:
    """Coordinate descent: a ternary search on each axis's grid in turn until nothing
    moves (deterministic; the squared log error is unimodal along each axis in practice,
    and the ternary search visits about 12 of the 60-90 grid points)."""
    best = base

    def loss_at(name: str, v: float) -> float:
        return _loss(rows, {**table, base.family: replace(best, **{name: v})})  # type: ignore[arg-type]

    for _ in range(10):
        moved = False
        for name in axes:
            grid = AXES[name]
            lo, hi = 0, len(grid) - 1
            memo: dict[int, float] = {}

            def at(i: int, name: str = name, grid: list[float] = grid,
                   memo: dict[int, float] = memo) -> float:
                if i not in memo:
                    memo[i] = loss_at(name, grid[i])
                return memo[i]

            while hi - lo > 2:
                a, b = lo + (hi - lo) // 3, hi - (hi - lo) // 3
                if at(a) <= at(b):
                    hi = b - 1 if at(a) < at(b) else b
                else:
                    lo = a + 1
            i = min(range(lo, hi + 1), key=lambda j: (at(j), j))
            if grid[i] != getattr(best, name):
                moved = True
            best = replace(best, **{name: grid[i]})  # type: ignore[arg-type]
        if not moved:
            break
    return best


def _prior(table: dict[str, Factors], fam: str) -> Factors:
    """What a family's factors would be with no rows: its default-<kind> family's numbers
    (the kind read from the family's stored note is not reliable, so from its devices)."""
    kinds = {default_catalog().accelerators[d].kind for d, meta in device_table().items()
             if meta.family == fam and d in default_catalog().accelerators}
    kind = "npu" if kinds == {"npu"} else "gpu"
    d = table[f"default-{kind}"]
    return replace(table[fam], compute_eff=d.compute_eff, bw_eff=d.bw_eff,
                   mfu_train=d.mfu_train, moe_eff=d.moe_eff)


def fit_factors(rows: list[CalRow] | None = None, *, from_prior: bool = False,
                only: str | None = None) -> dict[str, Factors]:
    """Fit per family with calibration rows (default: every included row), by
    coordinate descent on squared log error.

    Throughput rows fit compute_eff if any of them is compute-bound and bw_eff if any is
    memory-bound; training rows fit mfu_train. A factor no row exercises keeps its stored
    value, or with ``from_prior`` (leave-one-out) the default family's value, so that a
    left-out row cannot leak into its own prediction. Families marked ``transferred from
    X`` then copy X's fitted numbers. ``only`` refits that one family (the others keep
    their stored factors), which is all a leave-one-out step needs.
    """
    table = dict(factor_table())
    use = [r for r in (calibration_rows() if rows is None else rows) if not r.exclude_reason]
    for fam in sorted({_family(r) for r in use} if only is None else {only}):
        base = _prior(table, fam) if from_prior else table[fam]
        parts: list[str] = []
        thr = [r for r in use if _family(r) == fam and r.metric == "throughput"]
        bounds = {predict_row(r, table)[1].rsplit(", ", 1)[-1] for r in thr}
        axes = [k for k, b in (("compute_eff", "compute-bound"),
                               ("bw_eff", "memory bandwidth-bound")) if b in bounds]
        if "communication-bound" in bounds and not axes:
            axes = ["compute_eff"]
        if axes:
            dense = [r for r in thr if not _is_moe(r)] or thr
            base = _descend(dense, table, base, axes)
            parts.append(f"{', '.join(axes)} fitted on {len(dense)} dense throughput row(s)")
        moe = [r for r in thr if _is_moe(r)]
        if moe:
            base = _descend(moe, table, base, ["moe_eff"])
            parts.append(f"moe_eff fitted on {len(moe)} MoE throughput row(s)")
        trn = [r for r in use if _family(r) == fam and r.kind == "training"]
        if trn:
            base = _descend(trn, table, base, ["mfu_train"])
            parts.append(f"mfu_train fitted on {len(trn)} training row(s)")
        kept = [k for k in ("compute_eff", "bw_eff", "mfu_train")
                if k not in axes and not (k == "mfu_train" and trn)]
        if kept:
            parts.append(f"{', '.join(kept)} kept (no row exercises it)")
        table[fam] = replace(base, method="fitted: " + "; ".join(parts))
    for fam, f in table.items():
        if f.method.startswith("transferred from "):
            src = table[f.method.removeprefix("transferred from ").split(" ")[0]]
            table[fam] = replace(f, compute_eff=src.compute_eff, bw_eff=src.bw_eff,
                                 mfu_train=src.mfu_train, moe_eff=src.moe_eff)
    return table

