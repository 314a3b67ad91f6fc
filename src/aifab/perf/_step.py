"""The roofline core shared by every serving mode: the time one pipeline stage of a
replica takes for a mix of decode sequences and prefill tokens.

A replica is ``tp`` x ``dp`` devices per stage (``dp`` > 1 only for MoE attention data
parallelism) times ``pp`` stages. One stage pass costs

    max(FLOPs / (devices x peak x compute_eff), bytes per device / (BW x bw_eff))
    + collectives + a per-layer and per-step latency floor,

with expert GEMMs at a further ``moe_eff`` share of the compute roof (grouped GEMMs over many
small experts: the grouped GEMMs' compute, not their weight streaming), the dense part
of an MoE replicated over ``dp``, experts split over
``ep`` devices (all-to-all dispatch and combine per layer), TP all-reduces whose latency
grows with the group (2 (tp - 1) hops), and KV heads replicated when the TP group is
wider than the KV heads (an MLA latent is held whole by every TP device).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from aifab.catalog import Accelerator
from aifab.perf._common import KV_BYTES, USABLE_MEM, WEIGHT_BYTES
from aifab.perf._factors import Factors
from aifab.perf._models import ModelSpec

#: Fixed part of a collective's latency (s): NVLink-class fabrics vs PCIe or cross-node.
AR_LATENCY_NVLINK_S = 6e-6
AR_LATENCY_PCIE_S = 20e-6
#: Latency per ring hop (s); a ring all-reduce over n devices takes 2 (n - 1) hops
#: (assumed: about 1 us per NVLink hop, 5 us over PCIe or the scale-out network; NCCL's
#: small-message all-reduce on 8 H100s measures in the 15-25 us range).
HOP_NVLINK_S = 1e-6
HOP_PCIE_S = 5e-6
#: Achieved share of the link bandwidth in an all-reduce, all-to-all or send.
LINK_EFF = 0.8
#: Cross-node bandwidth per device (GB/s) when a group spills out of its scale-up domain
#: (assumed: one 400 Gb/s NIC per device, the common HGX/DGX layout).
CROSS_NODE_GBPS = 50.0
#: Latency floor per transformer layer and per step (s): kernel launches and gaps that
#: CUDA graphs do not hide (assumed: about 8 kernels per dense layer at ~0.75 us, an MoE
#: layer twice that for routing and token permutation; 0.3 ms per step for sampling and
#: the scheduler). They dominate only at small batch (single-user latency).
#: aiconfigurator's measured kernels imply about 3.7 us per kernel at batch 1
#: (benchmarks/perf_floors.py); not adopted yet: with it Llama 4 Maverick, whose
#: interleaved dense layers are priced as MoE, falls further below its latency record
#: and one calibration group passes 25 % (docs/perf-engines.md, latency rows).
KERNEL_FLOOR_S = 0.75e-6
KERNELS_DENSE = 8
KERNELS_MOE = 16
LAYER_FLOOR_S = KERNELS_DENSE * KERNEL_FLOOR_S
#: Activation bytes each token moves per layer between unfused kernels, in units of
#: (2-byte) elements: 4 x hidden around attention and the norms, 3 x ffn through the MLP
#: (gate/up out, activation, down in); an MoE layer moves its top-k copies through
#: permute, expert MLP and combine: k x (2 x hidden + 3 x expert ffn). These kernels are
#: memory-bound and run between the GEMMs, so their time adds to the GEMM roofline.
ACT_BYTES = 2.0
MOE_LAYER_FLOOR_S = KERNELS_MOE * KERNEL_FLOOR_S
STEP_FLOOR_S = 3e-4


@dataclass(frozen=True)
class Ctx:
    """Everything about one (model, device, precision, factors, MoE layout, speculative
    decoding) that the step needs. ``dp``: attention data-parallel ranks per stage;
    ``ep``: devices the routed experts are split over (1: experts split like dense
    layers, by tensor parallelism); ``spec_k`` draft tokens per step accepted with
    probability ``spec_accept`` each, drafted by ``draft_layers`` layers (MTP, EAGLE)."""

    m: ModelSpec
    acc: Accelerator
    f: Factors
    prec: str
    peak_tflops: float
    dp: int = 1
    ep: int = 1
    spec_k: int = 0
    spec_accept: float = 0.0
    draft_layers: int = 1
    power_cap: float = 1.0
    #: timing engine: "roofline", "auto" (the aiconfigurator table where it covers the
    #: configuration, else the roofline) or "table" (the table only)
    engine: str = "roofline"

    @property
    def weight_bytes(self) -> float:
        """Weight bytes of one replica (the dense part of an MoE once per ``dp`` rank)."""
        dense, _, _, _ = self.m.split_b()
        return (self.m.params_b + (self.dp - 1) * dense) * 1e9 * WEIGHT_BYTES[self.prec]

    @property
    def kv_tok(self) -> float:
        """KV-cache bytes per token over all layers (one copy)."""
        return self.m.kv_elems_per_token * KV_BYTES[self.prec]

    @property
    def tokens_per_step(self) -> float:
        """Expected tokens a sequence emits per verification step: 1 + a + a^2 + ... + a^k
        for k draft tokens each accepted with probability a (stops at the first miss)."""
        a, k = self.spec_accept, self.spec_k
        return float(sum(a ** i for i in range(k + 1)))


@dataclass(slots=True)  # not frozen: built for every stage pass, frozen init is 3x slower
class Cost:
    """Work and time of one stage pass (seconds; FLOPs and bytes summed over the group)."""

    flops: float
    nbytes: float
    comp_s: float
    mem_s: float
    comm_s: float
    floor_s: float = 0.0

    act_s: float = 0.0

    @property
    def time_s(self) -> float:
        return max(self.comp_s, self.mem_s) + self.act_s + self.comm_s + self.floor_s


def link(acc: Accelerator, group: int) -> tuple[float, float]:
    """(GB/s per device, fixed latency s) of a collective across ``group`` devices."""
    inside = group <= acc.domain_size
    gbps = acc.link_gbps if inside else min(acc.link_gbps, CROSS_NODE_GBPS)
    nvlink = inside and _nvlink(acc.interconnect)
    return gbps, AR_LATENCY_NVLINK_S if nvlink else AR_LATENCY_PCIE_S


@lru_cache(maxsize=64)
def _nvlink(interconnect: str) -> bool:
    return "nvlink" in interconnect.lower()


def collective_latency_s(acc: Accelerator, group: int) -> float:
    """Latency of one all-reduce across ``group`` devices: fixed + 2 (group - 1) hops."""
    if group <= 1:
        return 0.0
    _, lat = link(acc, group)
    hop = HOP_NVLINK_S if lat == AR_LATENCY_NVLINK_S else HOP_PCIE_S
    return lat + 2 * (group - 1) * hop


def allreduce_s(acc: Accelerator, tp: int, nbytes: float) -> float:
    """One ring all-reduce of ``nbytes`` across ``tp`` devices."""
    if tp <= 1:
        return 0.0
    gbps, _ = link(acc, tp)
    return collective_latency_s(acc, tp) + 2.0 * (tp - 1) / tp * nbytes / (
        gbps * 1e9 * LINK_EFF)


def alltoall_s(acc: Accelerator, ep: int, nbytes: float) -> float:
    """One all-to-all in which each of ``ep`` devices holds ``nbytes`` and keeps 1/ep."""
    if ep <= 1:
        return 0.0
    gbps, lat = link(acc, ep)
    return lat + (ep - 1) * (HOP_NVLINK_S if lat == AR_LATENCY_NVLINK_S else HOP_PCIE_S) \
        + (ep - 1) / ep * nbytes / (gbps * 1e9 * LINK_EFF)


def stage_cost(c: Ctx, tp: int, pp: int, *, seqs: float, ctx: float,
               prefill_tokens: float, prefill_ctx: float, decode_width: int = 1) -> Cost:
    """One pass of a stage over ``seqs`` decoding sequences at mean context ``ctx`` and
    ``prefill_tokens`` prompt tokens that attend to ``prefill_ctx`` earlier tokens on
    average (causal prompt of length I: I / 2). Each sequence carries ``decode_width``
    tokens (1 + draft tokens under speculative decoding)."""
    m, dp, ep = c.m, c.dp, c.ep
    frac = 1.0 / pp
    g = tp * dp
    dec = seqs * decode_width
    tokens = dec + prefill_tokens
    dense_b, expert_b, dense_act, expert_act = m.split_b()
    moe_eff = c.f.moe_eff if expert_b > 0 else 1.0
    attn = m.attn_flops_per_ctx * (dec * ctx + prefill_tokens * prefill_ctx)
    dense_fl = 2e9 * dense_act * tokens + attn
    expert_fl = 2e9 * expert_act * tokens
    flops = frac * (dense_fl + expert_fl)
    wb = WEIGHT_BYTES[c.prec] * 1e9
    touched = m.weights_read_b(tokens) - dense_b  # routed-expert params read this step
    kv = c.kv_tok * (seqs * ctx + prefill_tokens) * m.kv_copies(tp)
    dev_bytes = frac * (dense_b * wb / tp + kv / g)  # per device, dense part + KV
    dev_expert = frac * touched * wb / g
    peak = c.peak_tflops * 1e12 * c.f.compute_eff
    bw = c.acc.bw_tbps * 1e12 * c.f.bw_eff
    comp = frac * (dense_fl + expert_fl / moe_eff) / (peak * g)
    mem = (dev_bytes + dev_expert) / bw  # streaming expert weights runs at full rate
    layers = m.layers * frac
    act = 2.0 * m.hidden * tokens  # BF16 activations of the whole replica's tokens
    comm = layers * allreduce_s(c.acc, tp, act / dp)  # attention output
    if expert_b > 0 and ep > 1:
        k = m.experts_active or 1
        per_dev = act / g * k  # each device's tokens, one copy per chosen expert
        comm += layers * 2.0 * alltoall_s(c.acc, ep, per_dev)  # dispatch and combine
        moe_tp = g // ep
        comm += layers * allreduce_s(c.acc, moe_tp, act * k / g) if moe_tp > 1 else 0.0
    else:
        comm += layers * allreduce_s(c.acc, g, act / (dp if g == tp else 1))  # MLP / MoE
    if pp > 1:
        gbps, lat = link(c.acc, g * pp)
        comm += lat + act / g / (gbps * 1e9 * LINK_EFF)
    floor = layers * (MOE_LAYER_FLOOR_S if expert_b > 0 else LAYER_FLOOR_S) + \
        frac * STEP_FLOOR_S
    dense_el, expert_el = activation_elems(m)
    act_b = layers * tokens * (dense_el + expert_el) * ACT_BYTES / g
    act_s = layers * tokens * (dense_el + expert_el / moe_eff) * ACT_BYTES / g / bw
    nbytes = dev_bytes * g + dev_expert * g + act_b * g
    return Cost(flops, nbytes, comp, mem, comm, floor, act_s)


def activation_elems(m: ModelSpec) -> tuple[float, float]:
    """(dense, expert) activation elements one token moves through one layer's
    memory-bound kernels; the expert part (routing, permutation, the k expert MLPs,
    combine) runs at ``moe_eff`` of the bandwidth, like the grouped GEMMs' compute."""
    ffn = m.ffn or 4 * m.hidden
    if m.arch == "moe" and m.experts_active:
        return 4.0 * m.hidden, m.experts_active * (2.0 * m.hidden + 3.0 * ffn)
    return 4.0 * m.hidden + 3.0 * ffn, 0.0


def max_seqs(c: Ctx, n_devices: int, context: float, tp: int = 1) -> int:
    """Sequences of ``context`` tokens whose KV cache (``kv_copies(tp)`` copies) fits
    beside the replica's weights on ``n_devices`` (0 if the weights alone do not fit)."""
    free = USABLE_MEM * c.acc.mem_gb * 1e9 * n_devices - c.weight_bytes
    return max(0, int(free // (c.kv_tok * context * c.m.kv_copies(tp))))
