"""Derive a :class:`~.model.Twin` from a scenario: pools, campuses, tenants, services."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NamedTuple

from aifab.catalog import Catalog, default_catalog
from aifab.errors import BadInput
from aifab.perf import job_duration_s, replica_capacity
from aifab.power import AcceleratorPower, accelerator_power
from aifab.scenario import Scenario, ServiceSpec, SimSettings
from aifab.sim.national._model import Campus, Partition, PoolSpec, Service, Tenant, Twin
from aifab.workload.philly import read_philly
from aifab.workload.synthetic import DEFAULT_CLASSES, DEFAULT_MIX, ClassSampler

SPEED_MODEL = "llama-3.1-70b"
"""Training model whose perf-model time sets the speed of each device type."""

SERVICE_MODELS = ("llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b")

ReplicaFn = Callable[[str, str, int, float], tuple[int, float]]


@lru_cache(maxsize=64)
def _train_time(acc: str) -> float:
    return job_duration_s(SPEED_MODEL, 1.0e10, acc, 64, kind="train")


def device_speed(acc: str, ref: str, catalog: Catalog) -> float:
    """Training speed of ``acc`` relative to ``ref`` from the perf model (peak BF16 ratio
    where the perf model cannot run the reference job)."""
    try:
        return _train_time(ref) / _train_time(acc)
    except Exception:
        a, r = catalog.accelerator(acc), catalog.accelerator(ref)
        return (a.tflops_bf16 or 1.0) / (r.tflops_bf16 or 1.0)


@lru_cache(maxsize=1024)
def _replica(model: str, acc: str, domain: int, tpot_ms: float) -> tuple[int, float]:
    """Smallest replica (devices, tokens/s) of ``model`` on ``acc`` within one domain."""
    n = 1
    while n <= domain:
        try:
            cap = replica_capacity(model, acc, n, tpot_slo_s=tpot_ms / 1000.0)
        except Exception:
            return 0, 0.0
        if cap > 0:
            return n, float(cap)
        n *= 2
    return 0, 0.0


class _Raw(NamedTuple):
    owner: str
    accelerator: str
    system: str
    kind: str
    domain_size: int
    domains: int
    power: AcceleratorPower


def _pools(scn: Scenario, st: SimSettings, cat: Catalog) -> list[_Raw]:
    merged: dict[tuple[str, str, str], int] = {}
    for f in scn.fleets:
        if st.year is not None and f.delivery_year > st.year:
            continue
        key = (f.owner, f.accelerator, f.system)
        merged[key] = merged.get(key, 0) + f.count
    for p in st.npu_pools or []:
        if p.owner not in [o.name for o in scn.owners]:
            raise BadInput(f"unknown owner {p.owner!r}", where="sim.npu_pools.owner")
        key = (p.owner, p.accelerator, p.system)
        merged[key] = merged.get(key, 0) + p.count
    out = []
    for (owner, acc_id, sys_id), count in merged.items():
        acc = cat.accelerator(acc_id, where="accelerator")
        sysm = cat.system(sys_id, where="system")
        d = sysm.accelerators_per_system
        domains = max(1, round(count * st.scale / d))
        out.append(_Raw(owner, acc_id, sys_id, acc.kind, d, domains,
                        accelerator_power(sysm, acc, scn.facility)))
    return out


def _apply_power(raw: list[_Raw], st: SimSettings, owners: list[str],
                 ref: str, cat: Catalog) -> tuple[list[PoolSpec], list[Campus]]:
    pools: list[PoolSpec] = []
    campuses: list[Campus] = []
    for name in st.power_cap_mw:
        if name not in owners:
            raise BadInput(f"unknown owner {name!r}", where=f"sim.power_cap_mw.{name}")
    for owner in owners:
        mine = [r for r in raw if r.owner == owner]
        if not mine:
            continue
        nameplate = sum(r.power.busy_kw * r.domains * r.domain_size for r in mine)
        cap_kw = st.power_cap_mw.get(owner, math.inf) * 1000.0 * st.scale
        frac = min(1.0, cap_kw / nameplate) if nameplate > 0 else 1.0
        idx: list[int] = []
        stranded = 0
        for r in mine:
            doms, d = r.domains, r.domain_size
            speed = 1.0 if r.kind == "npu" else device_speed(r.accelerator, ref, cat)
            busy, idle = r.power.busy_kw, r.power.idle_kw
            dark = 0
            if frac < 1.0 and st.power_mode == "strand":
                dark = doms - math.floor(doms * frac)
                stranded += dark * d
            elif frac < 1.0 and st.power_mode == "throttle":
                speed *= frac ** (1.0 / 3.0)  # DVFS: P ~ f^3, compute-bound speed ~ f
                busy *= frac
            pools.append(PoolSpec(index=len(pools), owner=owner,
                                  accelerator=r.accelerator, system=r.system,
                                  kind=r.kind, domain_size=d, domains=doms - dark,
                                  dark_domains=dark, busy_kw=busy, idle_kw=idle, speed=speed,
                                  nameplate_kw=r.power.facility_kw))
            idx.append(len(pools) - 1)
        if st.power_mode == "wait" and frac < 1.0:
            n = sum(pools[i].accelerators for i in idx)
            idle_all = sum(pools[i].idle_kw * pools[i].accelerators for i in idx)
            delta = (nameplate - idle_all) / n
            stranded = n - max(0, min(n, math.floor((cap_kw - idle_all) / delta)))
        if st.power_mode != "wait":
            cap_kw = math.inf
        campuses.append(Campus(owner=owner, pools=tuple(idx), cap_kw=cap_kw,
                               nameplate_kw=nameplate, power_stranded=stranded))
    return pools, campuses


def build_twin(scn: Scenario, catalog: Catalog | None = None) -> Twin:
    """Derive pools, tenants, arrival rates and services from a scenario."""
    cat = catalog or default_catalog()
    st = scn.sim
    ref = st.reference_accelerator
    cat.accelerator(ref, where="sim.reference_accelerator")
    owners = [o.name for o in scn.owners]
    pools, campuses = _apply_power(_pools(scn, st, cat), st, owners, ref, cat)
    if not pools:
        raise BadInput(f"no fleet is delivered by {st.year}: nothing to simulate",
                       where="sim.year")
    from aifab.sched import tenants_of  # the one tenant builder (aifab.sched is a layer below)

    specs = tenants_of(scn)
    names = [t.name for t in specs]
    if len(set(names)) != len(names):
        raise BadInput("duplicate tenant names", where="sim.tenants")
    classes = dict(st.classes if st.classes is not None else DEFAULT_CLASSES)
    class_names = tuple(classes)
    partitions: list[Partition] = []
    max_sizes: list[int] = []
    for o in scn.owners:
        gp = sorted((p for p in pools if p.owner == o.name and p.kind == "gpu"),
                    key=lambda p: (-p.speed, p.index))
        tids = tuple(i for i, t in enumerate(specs) if t.owner == o.name)
        partitions.append(Partition(index=len(partitions), owner=o.name,
                                    public=o.kind == "public",
                                    pools=tuple(p.index for p in gp), tenants=tids,
                                    monotone_fit=all(p.busy_kw >= p.idle_kw for p in gp)))
        max_sizes.append(max(1, max((p.accelerators for p in gp), default=0) // 2))
    tenants: list[Tenant] = []
    for i, t in enumerate(specs):
        if t.owner not in owners:
            raise BadInput(f"unknown owner {t.owner!r}", where=f"sim.tenants[{i}].owner")
        part = partitions[owners.index(t.owner)]
        gpus = sum(pools[p].accelerators for p in part.pools)
        speed = (sum(pools[p].speed * pools[p].accelerators for p in part.pools) / gpus
                 if gpus else 1.0)
        streams: list[tuple[int, float]] = []
        mix = t.mix or DEFAULT_MIX[t.kind]
        load = st.load if t.load is None else t.load
        inf = (st.inference_share or {}).get(t.owner, st.default_inference_share)
        inf_mean = 0.0 if part.public else inf * (1 - st.diurnal_amplitude / 2)
        for c, cname in enumerate(class_names):
            if cname in t.rates_per_h:
                streams.append((c, t.rates_per_h[cname] * st.scale / 3600.0))
            elif mix.get(cname, 0.0) > 0 and gpus > 0:
                smp = ClassSampler(classes[cname], max_size=max_sizes[part.index])
                offered = load * t.quota * gpus * (1 - inf_mean) * mix[cname] * speed
                streams.append((c, offered / smp.mean_gpu_s()))
        for k in t.rates_per_h:
            if k not in classes:
                raise BadInput(f"unknown job class {k!r}", where=f"sim.tenants[{i}].rates_per_h")
        tenants.append(Tenant(index=i, name=t.name, owner=t.owner, kind=t.kind,
                              quota=t.quota, entitled=round(t.quota * gpus),
                              streams=tuple(streams)))
    replay, replay_tenant = None, -1
    if st.philly_trace is not None:
        if st.philly_tenant not in names:
            raise BadInput(f"unknown tenant {st.philly_tenant!r}", where="sim.philly_tenant")
        replay, replay_tenant = read_philly(st.philly_trace), names.index(st.philly_tenant)
        tenants[replay_tenant] = dataclasses.replace(tenants[replay_tenant], streams=())
    services = build_services(scn, st, pools, partitions, _replica)
    return Twin(scenario=scn.name, settings=st, horizon_s=(st.warmup_days + st.days) * 86400.0,
                warmup_s=st.warmup_days * 86400.0,
                pools=tuple(pools), campuses=tuple(campuses), partitions=tuple(partitions),
                tenants=tuple(tenants), class_names=class_names,
                classes=tuple(classes[c] for c in class_names), max_sizes=tuple(max_sizes),
                services=tuple(services), replay=replay, replay_tenant=replay_tenant,
                pue=float(scn.facility.pue), reliability=scn.reliability)


def _generated(scn: Scenario, st: SimSettings, pools: Sequence[PoolSpec],
               parts: Sequence[Partition], replica: ReplicaFn) -> list[ServiceSpec]:
    shares = st.inference_share or {}
    out: list[ServiceSpec] = []
    n = st.services_per_owner
    n_npu = round(n * st.npu_eligible_share)
    for part in parts:
        share = shares.get(part.owner, st.default_inference_share)
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
