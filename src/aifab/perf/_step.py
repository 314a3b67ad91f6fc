"""The roofline core shared by every serving mode: the time one pipeline stage of a
tensor-parallel group takes for a mix of decode sequences and prefill tokens.

A stage runs ``layers / pp`` layers over ``tp`` devices. Time = max(FLOPs / (tp x peak x
compute_eff), bytes / (tp x BW x bw_eff)) + two ring all-reduces per layer + one
point-to-point activation send to the next stage (pp > 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from aifab.catalog import Accelerator
from aifab.perf._common import KV_BYTES, USABLE_MEM, WEIGHT_BYTES
from aifab.perf._factors import Factors
from aifab.perf._models import ModelSpec

#: All-reduce latency per call (s): NVLink-class fabrics vs PCIe or cross-node.
AR_LATENCY_NVLINK_S = 6e-6
AR_LATENCY_PCIE_S = 20e-6
#: Achieved share of the link bandwidth in an all-reduce or a send.
LINK_EFF = 0.8
#: Cross-node bandwidth per device (GB/s) when a group spills out of its scale-up domain
#: (assumed: one 400 Gb/s NIC per device, the common HGX/DGX layout).
CROSS_NODE_GBPS = 50.0


@dataclass(frozen=True)
class Ctx:
    """Everything about one (model, device, precision, factors) that the step needs."""

    m: ModelSpec
    acc: Accelerator
    f: Factors
    prec: str
    peak_tflops: float

    @property
    def weight_bytes(self) -> float:
        return self.m.params_b * 1e9 * WEIGHT_BYTES[self.prec]

    @property
    def kv_tok(self) -> float:
        """KV-cache bytes per token over all layers."""
        return self.m.kv_elems_per_token * KV_BYTES[self.prec]


@dataclass(frozen=True)
class Cost:
    """Work and time of one stage pass (seconds; FLOPs and bytes summed over the group)."""

    flops: float
    nbytes: float
    comp_s: float
    mem_s: float
    comm_s: float

    @property
    def time_s(self) -> float:
        return max(self.comp_s, self.mem_s) + self.comm_s


def link(acc: Accelerator, group: int) -> tuple[float, float]:
    """(GB/s per device, latency s) of a collective across ``group`` devices."""
    inside = group <= acc.domain_size
    gbps = acc.link_gbps if inside else min(acc.link_gbps, CROSS_NODE_GBPS)
    nvlink = "nvlink" in acc.interconnect.lower() and inside
    return gbps, AR_LATENCY_NVLINK_S if nvlink else AR_LATENCY_PCIE_S


def allreduce_s(acc: Accelerator, tp: int, nbytes: float) -> float:
    """One ring all-reduce of ``nbytes`` across ``tp`` devices."""
    if tp <= 1:
        return 0.0
    gbps, lat = link(acc, tp)
    return lat + 2.0 * (tp - 1) / tp * nbytes / (gbps * 1e9 * LINK_EFF)


def stage_cost(c: Ctx, tp: int, pp: int, *, seqs: float, ctx: float,
               prefill_tokens: float, prefill_ctx: float) -> Cost:
    """One pass of a stage over ``seqs`` decoding sequences at mean context ``ctx`` and
    ``prefill_tokens`` prompt tokens that attend to ``prefill_ctx`` earlier tokens on
    average (causal prompt of length I: I / 2)."""
    m = c.m
    frac = 1.0 / pp
    tokens = seqs + prefill_tokens
    attn = 4.0 * m.layers * m.attn_dim * (seqs * ctx + prefill_tokens * prefill_ctx)
    flops = frac * (2e9 * m.active_params_b * tokens + attn)
    wread = m.weights_read_b(tokens) * 1e9 * WEIGHT_BYTES[c.prec]
    kv = c.kv_tok * (seqs * ctx + prefill_tokens)
    nbytes = frac * (wread + kv)
    comp = flops / (c.peak_tflops * 1e12 * c.f.compute_eff * tp)
    mem = nbytes / (c.acc.bw_tbps * 1e12 * c.f.bw_eff * tp)
    act = 2.0 * m.hidden * tokens  # BF16 activations
    comm = 2 * m.layers * frac * allreduce_s(c.acc, tp, act)
    if pp > 1:
        gbps, lat = link(c.acc, tp * pp)
        comm += lat + act / tp / (gbps * 1e9 * LINK_EFF)
    return Cost(flops, nbytes, comp, mem, comm)


def max_seqs(c: Ctx, n_devices: int, context: float) -> int:
    """Sequences of ``context`` tokens whose KV cache fits beside the weights on
    ``n_devices`` (0 if the weights alone do not fit)."""
    free = USABLE_MEM * c.acc.mem_gb * 1e9 * n_devices - c.weight_bytes
    return max(0, int(free // (c.kv_tok * context)))
