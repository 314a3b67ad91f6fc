"""Per-device inference output of a workload mix: several models and request shapes, each
a share of the output tokens, served by the same search that ``perf infer`` uses.

A fleet serving the mix gives each workload the device time its token share needs, so the
mix rate per device is the share-weighted harmonic mean of the workloads' own rates:
1 / sum(share_i / rate_i); facility power is the time-weighted mean of theirs."""

from __future__ import annotations

from dataclasses import dataclass

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.perf._common import best_precision, resolve_device, resolve_model


@dataclass(frozen=True)
class MixItem:
    """One workload of the mix: ``share`` of the output tokens."""

    model: str
    share: float
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class MixPoint:
    """The mix on one device type: tokens/s and facility W per device (PUE excluded)."""

    precision: str
    tokens_per_s_per_device: float
    facility_w_per_device: float
    served: tuple[str, ...]
    skipped: tuple[str, ...]


def check_mix(items: tuple[MixItem, ...]) -> None:
    """Shares positive and summing to 1 (within 1e-6), lengths positive."""
    if not items:
        raise BadInput("a workload mix needs at least one item", where="workload")
    for i, it in enumerate(items):
        if not it.share > 0 or it.input_tokens < 1 or it.output_tokens < 1:
            raise BadInput("share, input_tokens and output_tokens must be positive",
                           where=f"workload[{i}]")
    total = sum(it.share for it in items)
    if abs(total - 1.0) > 1e-6:
        raise BadInput(f"shares sum to {total:.6g}, not 1", where="workload")


def mix_point(accelerator_id: str, items: tuple[MixItem, ...], tpot_slo_s: float,
              catalog: Catalog | None = None) -> MixPoint:
    """The mix served on ``accelerator_id`` at its lowest native precision, each workload
    at the search's best layout under the TPOT target. A workload the device cannot
    serve (too little memory in a group, or the target unreachable) is skipped and the
    others' shares renormalised; ``skipped`` names it."""
    from aifab.perf._serve import best_serving

    check_mix(items)
    acc = resolve_device(accelerator_id, catalog)
    prec = best_precision(acc)
    time_per_tok, watt_time, served, skipped = 0.0, 0.0, [], []
    weight = 0.0
    for it in items:
        m = resolve_model(it.model, None)
        try:
            r = best_serving(m, acc, prec, input_tokens=it.input_tokens,
                             output_tokens=it.output_tokens, tpot_slo_s=tpot_slo_s, pue=1.0,
                             catalog=catalog)
        except BadInput:
            r = None
        if r is None or r.tokens_per_s_per_device <= 0:
            skipped.append(it.model)
            continue
        t = it.share / r.tokens_per_s_per_device  # device-seconds per mix token
        time_per_tok += t
        watt_time += t * r.facility_w_per_device
        weight += it.share
        served.append(it.model)
    if not served:
        return MixPoint(prec, 0.0, acc.tdp_w, (), tuple(skipped))
    return MixPoint(prec, weight / time_per_tok, watt_time / time_per_tok, tuple(served),
                    tuple(skipped))
