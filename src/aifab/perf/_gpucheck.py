"""Compare a benchmarks/gpu_check.py result (JSON) with aifab: the catalogue's peak and
the perf model's prediction for the same shapes (default device h200-sxm); and a
benchmarks/gpu_sweep_check.py result (decode steps and prefills) with the model's roofline
at peak, at the measured GEMM/HBM rates and with the fitted efficiency factors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.perf._common import device_power_w, resolve_device
from aifab.perf._factors import Factors, factors_for
from aifab.perf._models import ModelSpec
from aifab.perf._step import Ctx, stage_cost


@dataclass(frozen=True)
class CheckRow:
    """One measured quantity beside the catalogue peak and the model's prediction."""

    quantity: str
    unit: str
    measured: float | None
    peak: float
    predicted: float
    note: str

    @property
    def vs_peak(self) -> float | None:
        return None if self.measured is None else self.measured / self.peak

    @property
    def vs_predicted(self) -> float | None:
        return None if self.measured is None else self.measured / self.predicted


def _get(doc: dict[str, Any], section: str, key: str) -> float | None:
    sec = doc.get(section)
    if not isinstance(sec, dict) or "error" in sec:
        return None
    val = sec.get(key)
    if val is None:
        return None
    if not isinstance(val, (int, float)):
        raise BadInput(f"{section}.{key} must be a number, got {val!r}", where=section)
    return float(val)


def _decode_model(d: dict[str, Any], max_seq: int | None = None) -> ModelSpec:
    h, hd, nh, nkv, ffn = d["hidden"], d["head_dim"], d["heads"], d["kv_heads"], d["ffn"]
    per_layer = h * (nh + 2 * nkv) * hd + nh * hd * h + 3 * h * ffn
    params_b = (d["layers"] * per_layer + d["vocab"] * h) / 1e9  # lm head read, not embedding
    return ModelSpec(id="gpu-check", name="gpu_check decode shape", params_b=params_b,
                     active_params_b=params_b, layers=d["layers"], hidden=h, heads=nh,
                     kv_heads=nkv, head_dim=hd, ffn=ffn, vocab=d["vocab"],
                     max_seq=max_seq or d["context"] + 1, source="benchmarks/gpu_check.py")


def compare_gpu_check(doc: dict[str, Any], device: str = "h200-sxm",
                      catalog: Catalog | None = None) -> list[CheckRow]:
    """Rows for GEMM BF16/FP8 TFLOP/s, HBM GB/s, board power under GEMM (W) and the decode
    step (ms); ``measured`` is None where the check failed or was skipped."""
    acc = resolve_device(device, catalog)
    f = factors_for(acc)
    rows = []
    for prec in ("bf16", "fp8"):
        peak = acc.peak_tflops(prec)
        if peak:
            rows.append(CheckRow(f"GEMM {prec.upper()} 8192^3", "TFLOP/s",
                                 _get(doc, f"gemm_{prec}", "tflops"), peak,
                                 peak * f.compute_eff,
                                 f"model: peak x compute_eff {f.compute_eff:.2f} (fitted on "
                                 "whole-server LLM runs, not on one large GEMM)"))
    rows.append(CheckRow("HBM copy", "GB/s", _get(doc, "hbm", "gbps"), acc.bw_tbps * 1000,
                         acc.bw_tbps * 1000 * f.bw_eff, f"model: peak x bw_eff {f.bw_eff:.2f}"))
    rows.append(CheckRow("board power, sustained BF16 GEMM", "W",
                         _get(doc, "power", "gemm_w_median"), acc.tdp_w,
                         device_power_w(acc, 1.0),
                         "model: a compute-bound run draws TDP (catalogue)"))
    dec = doc.get("decode")
    if isinstance(dec, dict) and "error" not in dec and "ms_median" in dec:
        try:
            m = _decode_model(dec)
        except (KeyError, TypeError) as exc:
            raise BadInput(f"decode section lacks {exc}", where="decode") from None
        c = Ctx(m, acc, f, "bf16", acc.peak_tflops("bf16") or 0.0)
        st = stage_cost(c, 1, 1, seqs=dec["batch"], ctx=dec["context"], prefill_tokens=0,
                        prefill_ctx=0)
        rows.append(CheckRow(f"decode step, {m.params_b:.2f}B params, batch {dec['batch']}, "
                             f"context {dec['context']}", "ms", float(dec["ms_median"]),
                             max(st.flops / (c.peak_tflops * 1e12),
                                 st.nbytes / (acc.bw_tbps * 1e12)) * 1000,
                             st.time_s * 1000,
                             "peak = roofline at 100 % of peak; eager PyTorch adds launch "
                             "overhead the model does not count"))
    return rows


def format_comparison(rows: list[CheckRow]) -> str:
    """Plain-text table: measured, catalogue peak, model, and the two ratios."""
    out = [f"{'quantity':55s} {'unit':8s} {'measured':>10s} {'peak':>10s} {'model':>10s} "
           f"{'meas/peak':>9s} {'meas/model':>10s}"]
    for r in rows:
        meas = "-" if r.measured is None else f"{r.measured:10.1f}"
        vp = "-" if r.vs_peak is None else f"{r.vs_peak:9.2f}"
        vm = "-" if r.vs_predicted is None else f"{r.vs_predicted:10.2f}"
        out.append(f"{r.quantity:55s} {r.unit:8s} {meas:>10s} {r.peak:10.1f} "
                   f"{r.predicted:10.1f} {vp:>9s} {vm:>10s}")
        out.append(f"    {r.note}")
    return "\n".join(out)


#: Llama-3.1-8B shapes (Meta's config.json), as LLAMA8B in benchmarks/gpu_check.py: the
#: shape of a sweep document that does not carry its own "model" (the 2026-11-28 run).
LLAMA8B_SHAPE = {"layers": 32, "hidden": 4096, "heads": 32, "kv_heads": 8, "head_dim": 128,
                 "ffn": 14336, "vocab": 128256}


@dataclass(frozen=True)
class SweepRow:
    """One timed decode step or prefill beside three rooflines of the model (ms).

    peak_ms: the model's roofline at catalogue peak (efficiency factors 1);
    rates_ms: the same roofline at the GEMM TFLOP/s and HBM GB/s measured by gpu_check.py
    (None without that file); model_ms: with the fitted factors (whole-server fits).
    """

    phase: str
    batch: int
    tokens: int
    measured_ms: float
    peak_ms: float
    rates_ms: float | None
    model_ms: float
    bound: str

    @property
    def label(self) -> str:
        what = "context" if self.phase == "decode" else "prompt"
        return f"{self.phase} batch {self.batch}, {what} {self.tokens}"

    def ratio(self, predicted_ms: float | None) -> float | None:
        """measured / predicted (above 1: the model is optimistic)."""
        return None if predicted_ms is None else self.measured_ms / predicted_ms


def _num(entry: Any, key: str, where: str) -> float:
    val = entry.get(key) if isinstance(entry, dict) else None
    if isinstance(val, bool) or not isinstance(val, (int, float)) or not val > 0:
        raise BadInput(f"{key} must be a positive number, got {val!r}", where=where)
    return float(val)


def _points(doc: dict[str, Any], phase: str, key: str) -> list[tuple[int, int, float]]:
    entries = doc.get(phase, [])
    if not isinstance(entries, list):
        raise BadInput(f"{phase} must be a list of points", where=phase)
    return [(int(_num(e, "batch", f"{phase}[{i}]")), int(_num(e, key, f"{phase}[{i}]")),
             _num(e, "ms", f"{phase}[{i}]")) for i, e in enumerate(entries)]


def _rate_factors(f: Factors, acc: Any, rates: dict[str, Any] | None) -> Factors | None:
    """Factors that make the roofline run at gpu_check's measured BF16 GEMM and HBM rates."""
    if rates is None:
        return None
    tflops, gbps = _get(rates, "gemm_bf16", "tflops"), _get(rates, "hbm", "gbps")
    peak = acc.peak_tflops("bf16")
    if tflops is None or gbps is None or not peak:
        return None
    return replace(f, compute_eff=tflops / peak, bw_eff=gbps / (acc.bw_tbps * 1000))


def _step_ms(c: Ctx, phase: str, batch: int, tokens: int) -> tuple[float, str]:
    if phase == "decode":
        st = stage_cost(c, 1, 1, seqs=batch, ctx=tokens, prefill_tokens=0, prefill_ctx=0)
    else:  # causal prompt: each token attends to tokens / 2 earlier ones on average
        st = stage_cost(c, 1, 1, seqs=0, ctx=0, prefill_tokens=batch * tokens,
                        prefill_ctx=tokens / 2)
    return st.time_s * 1000, "compute" if st.comp_s >= st.mem_s else "memory"


def compare_sweep(doc: dict[str, Any], rates: dict[str, Any] | None = None,
                  device: str = "h200-sxm", catalog: Catalog | None = None) -> list[SweepRow]:
    """A row per decode and prefill point of a gpu_sweep_check.py document; ``rates`` is a
    gpu_check.py document whose measured BF16 GEMM and HBM rates give ``rates_ms``."""
    if not isinstance(doc, dict):
        raise BadInput("a sweep result must be a JSON object", where="document")
    shape = doc.get("model", LLAMA8B_SHAPE)
    dec, pre = _points(doc, "decode", "context"), _points(doc, "prefill", "seq")
    longest = max([t for _, t, _ in dec + pre], default=1)
    try:
        m = _decode_model(shape, max_seq=longest + 1)
    except (KeyError, TypeError) as exc:
        raise BadInput(f"model shape lacks {exc}", where="model") from None
    acc = resolve_device(device, catalog)
    f = factors_for(acc)
    peak = acc.peak_tflops("bf16") or 0.0
    ctx_of = {name: Ctx(m, acc, fac, "bf16", peak) for name, fac in
              (("peak", replace(f, compute_eff=1.0, bw_eff=1.0)), ("model", f),
               ("rates", _rate_factors(f, acc, rates))) if fac is not None}
    rows = []
    for phase, pts in (("decode", dec), ("prefill", pre)):
        for batch, tokens, ms in pts:
            peak_ms, bound = _step_ms(ctx_of["peak"], phase, batch, tokens)
            rates_ms = (_step_ms(ctx_of["rates"], phase, batch, tokens)[0]
                        if "rates" in ctx_of else None)
            rows.append(SweepRow(phase, batch, tokens, ms, peak_ms, rates_ms,
                                 _step_ms(ctx_of["model"], phase, batch, tokens)[0], bound))
    return rows


def format_sweep(rows: list[SweepRow]) -> str:
    """Plain-text table: measured ms beside each roofline and measured / roofline."""
    out = [f"{'point':32s} {'bound':7s} {'measured':>8s} {'peak':>8s} {'rates':>8s} "
           f"{'fitted':>8s} {'m/peak':>7s} {'m/rates':>7s} {'m/fitted':>8s}"]
    for r in rows:
        rates = "-" if r.rates_ms is None else f"{r.rates_ms:8.2f}"
        rr = r.ratio(r.rates_ms)
        out.append(f"{r.label:32s} {r.bound:7s} {r.measured_ms:8.2f} {r.peak_ms:8.2f} "
                   f"{rates:>8s} {r.model_ms:8.2f} {r.ratio(r.peak_ms):7.2f} "
                   f"{'-' if rr is None else f'{rr:7.2f}':>7s} {r.ratio(r.model_ms):8.2f}")
    out.append("ms per step on one device; peak: roofline at catalogue peak; rates: at the "
               "measured BF16 GEMM and HBM rates; fitted: with the fitted efficiency factors; "
               "m/x = measured / x (above 1: the roofline is optimistic)")
    return "\n".join(out)
