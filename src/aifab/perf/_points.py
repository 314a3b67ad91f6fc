"""The results of the inference roofline, in a leaf module (no aifab.perf imports), so
:mod:`._table` can name them without importing :mod:`._infer`, which imports it:
:class:`InferenceResult` (one serving configuration) and :class:`Point` (the timing of
one replica, what the search compares)."""

from __future__ import annotations

from dataclasses import dataclass

#: Tokens one continuous-batching step may carry (decode + prompt chunk); assumed:
#: TensorRT-LLM's default max_num_tokens (8192); vLLM's max_num_batched_tokens is the same knob.
DEFAULT_TOKEN_BUDGET = 8192


@dataclass(frozen=True)
class InferenceResult:
    """One serving configuration: per-replica latency, fleet throughput, memory, energy."""

    model: str
    device: str
    devices: int
    tp: int
    replicas: int
    precision: str
    batch: int
    input_tokens: int
    output_tokens: int
    beams: int
    tokens_per_s: float
    tokens_per_s_per_device: float
    ttft_s: float
    tpot_s: float
    request_latency_s: float
    mem_gb_per_device: float
    mem_usable_gb: float
    weights_gb_per_device: float
    kv_cache_gb_per_device: float
    max_batch: int
    bottleneck: str
    compute_util: float
    bw_util: float
    power_w_per_device: float
    tokens_per_j: float
    j_per_token: float
    facility_w_per_device: float
    tokens_per_j_facility: float
    pue: float
    family: str
    factors_method: str
    notes: tuple[str, ...] = ()
    pp: int = 1
    serving: str = "static"
    token_budget: int = DEFAULT_TOKEN_BUDGET
    dp: int = 1
    ep: int = 1
    spec_k: int = 0
    spec_accept: float = 0.0
    tokens_per_step: float = 1.0
    extrapolated: bool = False
    power_cap: float = 1.0
    engine: str = "roofline"


@dataclass(frozen=True)
class Point:
    """Timing of one replica (no power, no memory checks): what the search compares."""

    tp: int
    pp: int
    batch: int
    serving: str
    ttft_s: float
    tpot_s: float
    request_latency_s: float
    tokens_per_s: float  # one replica
    t_comp: float
    t_mem: float
    t_comm: float
    flops_per_s: float  # achieved over the replica's run
    bytes_per_s: float
    engine: str = "roofline"  # which engine timed it: "roofline" or "table"
