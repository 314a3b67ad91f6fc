"""Compare devices serving one model at the same latency target: devices needed for a
target throughput, facility power, tokens per joule and cost per million tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.perf._common import best_precision, check_precision, resolve_device, resolve_model
from aifab.perf._factors import device_meta
from aifab.perf._models import ModelSet
from aifab.perf._search import search
from aifab.perf._serve import REF_INPUT, REF_OUTPUT, REF_TPOT_S, min_tp


@dataclass(frozen=True)
class CompareRow:
    """One device serving the model at the shared latency target."""

    device: str
    precision: str
    tp: int
    batch: int
    ttft_s: float
    tpot_s: float
    tokens_per_s_per_device: float
    devices_needed: int
    facility_kw: float
    tokens_per_j: float
    capex_usd_per_device: float | None
    usd_per_mtok: float | None
    bottleneck: str
    capex_source: str
    notes: tuple[str, ...] = ()
    pp: int = 1
    group_devices: int = 0
    gain_vs_static: float | None = None
    dp: int = 1
    ep: int = 1


def compare(model: str, devices_list: list[str], *, precision: str | None = None,
            input_tokens: int = REF_INPUT, output_tokens: int = REF_OUTPUT,
            tpot_slo_s: float = REF_TPOT_S, ttft_slo_s: float | None = None,
            target_tokens_per_s: float = 1e6, load_factor: float = 0.7,
            usd_per_kwh: float = 0.12, amortisation_years: float = 5.0, pue: float = 1.2,
            catalog: Catalog | None = None, models: ModelSet | None = None) -> list[CompareRow]:
    """Each device at its best precision (or ``precision``) and the configuration the
    search (``search``) finds best for throughput on a group of max(8, the smallest
    power-of-two group that holds the model) devices: tp x pp layout and the largest
    batch meeting the latency target, continuous batching.

    Cost per million tokens = (capex / amortisation years + electricity per year) per
    device / tokens per year per device at ``load_factor``; facility power includes the
    host share and PUE.
    """
    if not devices_list:
        raise BadInput("give at least one device", where="devices-list")
    if not target_tokens_per_s > 0:
        raise BadInput(f"must be positive, got {target_tokens_per_s}", where="target")
    if not 0.0 < load_factor <= 1.0:
        raise BadInput(f"must be within (0, 1], got {load_factor}", where="load-factor")
    if input_tokens < 0 or output_tokens < 1:
        raise BadInput(f"need at least one output token and no negative input, got "
                       f"{input_tokens} in / {output_tokens} out", where="output")
    m = resolve_model(model, models)
    rows = []
    for dev in devices_list:
        acc = resolve_device(dev, catalog)
        prec = precision or best_precision(acc)
        check_precision(acc, prec)
        tp0 = min_tp(m, acc, prec, input_tokens + output_tokens)
        s = search(m, acc, max(tp0, 8), precision=prec, input_tokens=input_tokens,
                   output_tokens=output_tokens, tpot_slo_s=tpot_slo_s, ttft_slo_s=ttft_slo_s,
                   pue=pue, catalog=catalog)
        r = s.best
        tp = tp0 if r is None else r.tp
        meta = device_meta(acc)
        if r is None:
            rows.append(CompareRow(acc.id, prec, tp, 0, math.nan, math.nan, 0.0, 0, math.nan,
                                   0.0, meta.capex_usd, None, "latency target not met",
                                   meta.capex_source, ("misses the latency target at batch 1",)))
            continue
        tpd = r.tokens_per_s_per_device
        group = r.tp * r.pp * r.dp  # devices of one replica (MoE attention DP included)
        n = math.ceil(target_tokens_per_s / tpd / group) * group
        usd = None
        if meta.capex_usd is not None:
            kwh_year = r.facility_w_per_device / 1000.0 * 8760.0 * load_factor
            usd_year = meta.capex_usd / amortisation_years + kwh_year * usd_per_kwh
            usd = usd_year / (tpd * 8760.0 * 3600.0 * load_factor) * 1e6
        rows.append(CompareRow(
            device=acc.id, precision=prec, tp=tp, batch=r.batch, ttft_s=r.ttft_s,
            tpot_s=r.tpot_s, tokens_per_s_per_device=tpd, devices_needed=n,
            facility_kw=n * r.facility_w_per_device / 1000.0,
            tokens_per_j=r.tokens_per_j_facility, capex_usd_per_device=meta.capex_usd,
            usd_per_mtok=usd, bottleneck=r.bottleneck, capex_source=meta.capex_source,
            notes=r.notes, pp=r.pp, group_devices=s.devices, gain_vs_static=s.gain_vs_static,
            dp=r.dp, ep=r.ep))
    return rows
