"""Prefill/decode disaggregation: prompts run on prefill replicas, their KV cache moves over
the interconnect, decode replicas only decode (no prefill chunks in their steps). Reported
beside the best colocated (continuous-batching) configuration of the same devices."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from aifab.catalog import Accelerator, Catalog
from aifab.errors import BadInput
from aifab.perf._common import best_precision, resolve_device, resolve_model
from aifab.perf._infer import DEFAULT_TOKEN_BUDGET, check_shape, make_ctx
from aifab.perf._models import ModelSet, ModelSpec
from aifab.perf._search import largest_batch, search, server_size
from aifab.perf._step import LINK_EFF, link, max_seqs, stage_cost


@dataclass(frozen=True)
class DisaggResult:
    """The best prefill/decode split of ``devices`` and its gain over colocated serving."""

    model: str
    device: str
    devices: int
    prefill_tp: int
    prefill_replicas: int
    decode_tp: int
    decode_replicas: int
    decode_batch: int
    prompts_per_prefill_batch: int
    tokens_per_s: float
    ttft_s: float
    tpot_s: float
    kv_transfer_s: float
    kv_gb_per_request: float
    limit: str
    colocated_tokens_per_s: float
    gain_vs_colocated: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def disaggregated(model: str | ModelSpec, device: str | Accelerator,
                  devices: int | None = None, *, precision: str | None = None,
                  input_tokens: int = 2048, output_tokens: int = 256,
                  tpot_slo_s: float | None = None, ttft_slo_s: float | None = None,
                  token_budget: int = DEFAULT_TOKEN_BUDGET, catalog: Catalog | None = None,
                  models: ModelSet | None = None, engine: str = "auto"
                  ) -> DisaggResult | None:
    """Best split of ``devices`` (default one server) into prefill and decode replicas
    (tensor-parallel, powers of two) for output tokens/s under the targets; None when no
    split meets them. Prefill replicas run batches of ``token_budget // input`` prompts;
    each prompt's KV cache (input x KV bytes per token) crosses the link (scale-up link
    inside the domain, else the cross-node rate) while the next batch computes, so the
    transfer limits the rate and adds to TTFT. Queueing delay is not modelled.
    ``engine`` times the decode pool and the colocated search (the prefill pool is the
    roofline's)."""
    m = resolve_model(model, models)
    acc = resolve_device(device, catalog)
    n = server_size(acc, catalog) if devices is None else devices
    check_shape(m, n, input_tokens, output_tokens, 1, 1.0)
    if n < 2:
        raise BadInput("disaggregation needs at least 2 devices", where="devices")
    c = make_ctx(m, acc, precision or best_precision(acc), engine=engine)
    inp, out = input_tokens, output_tokens
    tps = [t for t in (1, 2, 4, 8, 16, 32, 64) if t < n and max_seqs(c, t, inp + out) >= 1]
    prompts = max(1, token_budget // inp)
    kv_bytes = inp * c.kv_tok
    gbps, lat = link(acc, n)
    best: DisaggResult | None = None
    colo = search(m, acc, n, precision=c.prec, input_tokens=inp, output_tokens=out,
                  tpot_slo_s=tpot_slo_s, ttft_slo_s=ttft_slo_s, compare_static=False,
                  catalog=catalog, token_budget=token_budget, engine=engine).best
    colo_tps = 0.0 if colo is None else colo.tokens_per_s
    for tp_p in tps:
        pf = stage_cost(c, tp_p, 1, seqs=0, ctx=0, prefill_tokens=prompts * inp,
                        prefill_ctx=inp / 2.0)
        xfer_s = lat + kv_bytes / (tp_p * gbps * 1e9 * LINK_EFF)
        rate_p = min(prompts / pf.time_s, 1.0 / xfer_s)  # requests/s per prefill replica
        ttft = pf.time_s + xfer_s
        if ttft_slo_s is not None and ttft > ttft_slo_s:
            continue
        for tp_d in tps:
            dc = largest_batch(c, tp_d, 1, inp, out, 1, "static", token_budget,
                               tpot_slo_s, None)
            if dc is None:
                continue
            rate_d = dc.batch / (out * dc.tpot_s)  # requests/s per decode replica
            for n_p in range(1, n // tp_p):
                n_d = (n - n_p * tp_p) // tp_d
                if n_d < 1:
                    break
                pre, dec = n_p * rate_p, n_d * rate_d
                tok = min(pre, dec) * out
                if best is None or tok > best.tokens_per_s:
                    lim = "decode" if dec <= pre else (
                        "kv transfer" if 1.0 / xfer_s < prompts / pf.time_s else "prefill")
                    best = DisaggResult(
                        m.id, acc.id, n, tp_p, n_p, tp_d, n_d, dc.batch, prompts, tok,
                        ttft, dc.tpot_s, xfer_s, kv_bytes / 1e9, lim, colo_tps,
                        tok / colo_tps - 1.0 if colo_tps > 0 else float("inf"))
    return best
