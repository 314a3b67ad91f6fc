"""Workload mixes: several models and request shapes, each a share of the output tokens
(served per device by ``_serve.mix_point`` with the same search ``perf infer`` uses).

A fleet serving the mix gives each workload the device time its token share needs, so the
mix rate per device is the share-weighted harmonic mean of the workloads' own rates:
1 / sum(share_i / rate_i); facility power is the time-weighted mean of theirs."""

from __future__ import annotations

from dataclasses import dataclass

from aifab.errors import BadInput


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
