"""Inference services: replica sets that follow a diurnal token demand.

Every ``scale_interval_h`` the autoscaler sets each service's replicas to meet the demand
of the coming interval: NPU-eligible demand (and ``npu_min_share`` of all demand) goes to
NPU pools first, the rest (and NPU overflow) to the owner's GPU pools. Replicas that do not
fit are unmet demand for that interval and ask the owner's lenders to reclaim.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aifab.errors import BadInput
from aifab.scenario import Scenario
from aifab.scenario._sim import ServiceSpec, SimSettings

if TYPE_CHECKING:
    from aifab.sim.national.engine import NationalSim
    from aifab.sim.national.model import Partition, PoolSpec, Service

ReplicaFn = Callable[[str, str, int, float], tuple[int, float]]


def diurnal(t_s: float, amplitude: float, peak_hour: float) -> float:
    """Demand as a share of the daily peak at time ``t_s`` (1 at the peak hour)."""
    h = (t_s / 3600.0) % 24.0
    return (1 - amplitude) + amplitude * (1 + math.cos(2 * math.pi * (h - peak_hour) / 24)) / 2


def _generated(scn: Scenario, st: SimSettings, pools: Sequence[PoolSpec],
               parts: Sequence[Partition], replica: ReplicaFn) -> list[ServiceSpec]:
    from aifab.sim.national.model import DEFAULT_INFERENCE_SHARE, SERVICE_MODELS

    shares = st.inference_share or DEFAULT_INFERENCE_SHARE
    out: list[ServiceSpec] = []
    n = st.services_per_owner
    n_npu = round(n * st.npu_eligible_share)
    for part in parts:
        share = shares.get(part.owner, 0.1)
        gpus = [pools[i] for i in part.pools]
        total = sum(p.accelerators for p in gpus)
        if n == 0 or share <= 0 or total == 0:
            continue
        main = max(gpus, key=lambda p: p.accelerators)
        for k in range(n):
            model = SERVICE_MODELS[k % len(SERVICE_MODELS)]
            dev, cap = replica(model, main.accelerator, main.domain_size, 50.0)
            if dev == 0:
                continue
            peak = share * total * cap / dev / n
            out.append(ServiceSpec(name=f"{part.owner}-{model}-{k}", owner=part.owner,
                                   model=model, peak_tokens_per_s=peak,
                                   npu_eligible=k < n_npu))
    return out


def build_services(scn: Scenario, st: SimSettings, pools: Sequence[PoolSpec],
                   parts: Sequence[Partition], replica: ReplicaFn) -> list[Service]:
    """Services with, per usable pool, the replica size and its tokens/s."""
    from aifab.sim.national.model import Service

    specs = st.services if st.services is not None else _generated(scn, st, pools, parts,
                                                                    replica)
    owners = [p.owner for p in parts]
    npu_pools = [p for p in pools if p.kind == "npu"]
    out: list[Service] = []
    for i, s in enumerate(specs):
        if s.owner not in owners:
            raise BadInput(f"unknown owner {s.owner!r}", where=f"sim.services[{i}].owner")
        part = parts[owners.index(s.owner)]
        reps: list[tuple[int, int, float]] = []
        for p in [*npu_pools, *(pools[j] for j in part.pools)]:
            dev, cap = replica(s.model, p.accelerator, p.domain_size, s.tpot_ms)
            if dev:
                reps.append((p.index, dev, cap))
        if not reps:
            raise BadInput(f"model {s.model!r} fits no pool of {s.owner}",
                           where=f"sim.services[{i}].model")
        has_npu = any(pools[r[0]].kind == "npu" for r in reps)
        share = (1.0 if s.npu_eligible else st.npu_min_share) if has_npu else 0.0
        out.append(Service(index=i, spec=s, partition=part.index, npu_share=share,
                           replica=tuple(reps)))
    return out


class ServiceState:
    """Replicas currently placed for one service: (pool, domain) each."""

    __slots__ = ("demand_tok", "npu_tok", "reps", "served_tok", "unmet_tok")

    def __init__(self) -> None:
        self.reps: dict[int, list[int]] = {}  # pool -> domains of its replicas
        self.served_tok = 0.0
        self.unmet_tok = 0.0
        self.npu_tok = 0.0
        self.demand_tok = 0.0


def _fit(sim: NationalSim, svc: Service, st: ServiceState, pool_ids: list[int],
         need: float) -> float:
    """Resize replicas in ``pool_ids`` (in order) to carry ``need`` tokens/s; return the
    capacity placed."""
    have = 0.0
    for pool, dev, cap in ((r[0], r[1], r[2]) for r in svc.replica if r[0] in pool_ids):
        doms = st.reps.setdefault(pool, [])
        want = max(0, math.ceil((need - have) / cap - 1e-9))
        if len(doms) > want:
            sim.release_replicas(pool, doms[want:], dev)
            del doms[want:]
        elif len(doms) < want:
            doms.extend(sim.place_replicas(pool, dev, want - len(doms)))
        have += len(doms) * cap
    return have


def autoscale(sim: NationalSim, t: float, dt: float) -> None:
    """Resize every service for the interval [t, t + dt) and account its tokens."""
    tw = sim.twin
    st_ = tw.settings
    f = diurnal(t + dt / 2, st_.diurnal_amplitude, st_.peak_hour)
    for svc in tw.services:
        ss = sim.svc_state[svc.index]
        demand = svc.spec.peak_tokens_per_s * f
        npu_ids = [r[0] for r in svc.replica if tw.pools[r[0]].kind == "npu"]
        gpu_ids = [r[0] for r in svc.replica if tw.pools[r[0]].kind == "gpu"]
        want_npu = demand * svc.npu_share
        cap_npu = _fit(sim, svc, ss, npu_ids, want_npu) if npu_ids else 0.0
        rest = demand - min(want_npu, cap_npu)
        cap_gpu = _fit(sim, svc, ss, gpu_ids, rest) if gpu_ids else 0.0
        if cap_gpu < rest - 1e-9 and want_npu < demand and npu_ids:
            cap_npu = _fit(sim, svc, ss, npu_ids, demand - cap_gpu)
        served_npu = min(cap_npu, demand)
        served = min(demand, served_npu + cap_gpu)
        if cap_gpu < demand - served_npu - 1e-9:
            short = demand - served_npu - cap_gpu
            r = next(r for r in svc.replica if r[0] in gpu_ids) if gpu_ids else None
            if r is not None:
                sim.reclaim_for(svc.partition, math.ceil(short / r[2]) * r[1])
        ss.demand_tok += demand * dt
        ss.served_tok += served * dt
        ss.npu_tok += served_npu * dt
        ss.unmet_tok += (demand - served) * dt
        busy = 0.0
        for pool, doms in ss.reps.items():
            cap = next(r[2] for r in svc.replica if r[0] == pool)
            busy += len(doms) * cap
        sim.svc_load[svc.index] = (served / busy) if busy > 0 else 0.0
