"""Compare a benchmarks/gpu_check.py result (JSON) with aifab: the catalogue's peak and
the perf model's prediction for the same shapes (default device h200-sxm)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.perf._common import device_power_w, resolve_device
from aifab.perf._factors import factors_for
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


def _decode_model(d: dict[str, Any]) -> ModelSpec:
    h, hd, nh, nkv, ffn = d["hidden"], d["head_dim"], d["heads"], d["kv_heads"], d["ffn"]
    per_layer = h * (nh + 2 * nkv) * hd + nh * hd * h + 3 * h * ffn
    params_b = (d["layers"] * per_layer + d["vocab"] * h) / 1e9  # lm head read, not embedding
    return ModelSpec(id="gpu-check", name="gpu_check decode shape", params_b=params_b,
                     active_params_b=params_b, layers=d["layers"], hidden=h, heads=nh,
                     kv_heads=nkv, head_dim=hd, ffn=ffn, vocab=d["vocab"],
                     max_seq=d["context"] + 1, source="benchmarks/gpu_check.py")


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
