"""Time series samples and end-of-run results of the national twin."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from aifab.sim.national.engine import NationalSim

SERIES_COLUMNS = ("t_h", "allocated", "busy", "inference", "power_mw", "queued",
                  "queued_owner", "queued_public", "running", "stranded_power",
                  "stranded_fragmentation", "stranded_idle")


def svc_accelerators(sim: NationalSim) -> tuple[int, float]:
    """Accelerators held by inference replicas, and how many of them are busy."""
    held, busy = 0, 0.0
    for svc, ss, load in zip(sim.twin.services, sim.svc_state, sim.svc_load, strict=True):
        size = {r[0]: r[1] for r in svc.replica}
        n = sum(len(d) * size[p] for p, d in ss.reps.items())
        held += n
        busy += n * load
    return held, busy


def sample_row(sim: NationalSim) -> tuple[tuple[float, ...], np.ndarray]:
    """One time-series row and the stranded split (power, fragmentation, idle) now.

    Free accelerators count as fragmentation when a tenant that may use their pool has
    queued work (so the work did not fit: gang, topology or power), else as idle (no
    demand); under a power cap those that cannot be energised count as power.
    """
    tw = sim.twin
    public_wait = any(sim.qlen[t] > 0 for p in tw.partitions if p.public for t in p.tenants)
    demand = [any(sim.qlen[t] > 0 for t in p.tenants)
              or (tw.settings.borrowing and public_wait and not p.public
                  and sim.policy.name == "fairshare")
              for p in tw.partitions]
    power = frag = idle = 0.0
    for cam in tw.campuses:
        free_c = sum(sim.pools[i].free_total for i in cam.pools)
        dark = sum(tw.pools[i].dark_domains * tw.pools[i].domain_size for i in cam.pools)
        pw = float(min(free_c, cam.power_stranded)) if dark == 0 else 0.0
        power += pw + dark
        keep = (free_c - pw) / free_c if free_c else 0.0
        for i in cam.pools:
            f = sim.pools[i].free_total * keep
            part = sim.pool_part[i]
            if part >= 0 and demand[part]:
                frag += f
            else:
                idle += f
    held, busy_inf = svc_accelerators(sim)
    queued = int(sim.qlen.sum())
    owner_q = sum(int(sim.qlen[t.index]) for t in tw.tenants if t.kind == "owner")
    running = sum(len(r) for r in sim.running)
    row = (sim.now / 3600.0, float(sim.alloc_total),
           float(sim.alloc_total - sim.svc_alloc) + busy_inf, float(held),
           sim.power_kw / 1000.0, float(queued), float(owner_q), float(queued - owner_q),
           float(running), power, frag, idle)
    return row, np.array([power, frag, idle])


def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if len(x) else math.nan


def jain(x: list[float]) -> float:
    """Jain's fairness index of non-negative values (1 = equal)."""
    a = np.asarray([v for v in x if math.isfinite(v)], dtype=float)
    if len(a) == 0 or float((a * a).sum()) == 0:
        return math.nan
    return float(a.sum() ** 2 / (len(a) * (a * a).sum()))


def job_frame(sim: NationalSim) -> pd.DataFrame:
    """Jobs submitted after the warm-up: completed, then those still running or queued
    at the end (end = NaN)."""
    df = pd.DataFrame({k: np.frombuffer(v, dtype=np.float64) if len(v) else np.zeros(0)
                       for k, v in sim.records.items()})
    live = [(j.tenant, j.cls, j.n, j.submit, j.first, math.nan, j.preempt,
             j.acc_s + (j.n * (sim.now - j.start) if j.state in (1, 2) else 0.0), j.miss)
            for j in sim.jobs.values()]
    if live:
        df = pd.concat([df, pd.DataFrame(live, columns=list(sim.records))], ignore_index=True)
    df = df[df["submit"] >= sim.twin.warmup_s].reset_index(drop=True)
    df["first"] = df["first"].where(df["first"] >= 0)
    df["wait_s"] = df["first"] - df["submit"]
    df["jct_s"] = df["end"] - df["submit"]
    for c in ("tenant", "cls", "n", "preempt", "miss"):
        df[c] = df[c].astype(np.int64)
    return df


def tenant_frame(sim: NationalSim, jobs: pd.DataFrame) -> pd.DataFrame:
    tw = sim.twin
    horizon = max(sim.now - tw.warmup_s, 1e-9)
    rows = []
    for t in tw.tenants:
        mine = jobs[jobs["tenant"] == t.index]
        w = mine["wait_s"].dropna().to_numpy() / 3600.0
        c = mine["jct_s"].dropna().to_numpy() / 3600.0
        acc_h = float(sim.m_tenant_s[t.index]) / 3600.0
        ent_h = t.entitled * horizon / 3600.0
        rows.append({
            "tenant": t.name, "owner": t.owner, "kind": t.kind, "quota": t.quota,
            "entitled_accelerators": t.entitled, "jobs_submitted": len(mine),
            "jobs_completed": int(mine["end"].notna().sum()),
            "wait_p50_h": _pct(w, 50), "wait_p95_h": _pct(w, 95), "wait_p99_h": _pct(w, 99),
            "wait_mean_h": float(w.mean()) if len(w) else math.nan,
            "jct_p50_h": _pct(c, 50), "jct_mean_h": float(c.mean()) if len(c) else math.nan,
            "accelerator_h": acc_h,
            "share_of_entitlement": acc_h / ent_h if ent_h > 0 else math.nan,
            "preemptions": int(mine["preempt"].sum()),
            "queue_mean": float(sim.m_queue_s[t.index]) / horizon,
            "queued_at_end": int(sim.qlen[t.index]),
        })
    return pd.DataFrame(rows)


def class_frame(tenants: pd.DataFrame, jobs: pd.DataFrame, sim: NationalSim) -> pd.DataFrame:
    """Waits and shares per tenant class (owner, university, startup, institute)."""
    kinds = {t.index: t.kind for t in sim.twin.tenants}
    j = jobs.assign(kind=jobs["tenant"].map(kinds))
    rows = []
    for kind, grp in tenants.groupby("kind", sort=True):
        w = j.loc[j["kind"] == kind, "wait_s"].dropna().to_numpy() / 3600.0
        c = j.loc[j["kind"] == kind, "jct_s"].dropna().to_numpy() / 3600.0
        ent = float((grp["accelerator_h"] / grp["share_of_entitlement"]).sum())
        rows.append({"kind": kind, "tenants": len(grp), "wait_p50_h": _pct(w, 50),
                     "wait_p95_h": _pct(w, 95), "wait_p99_h": _pct(w, 99),
                     "jct_p50_h": _pct(c, 50),
                     "share_of_entitlement": float(grp["accelerator_h"].sum()) / ent
                     if ent > 0 else math.nan,
                     "jain": jain(list(grp["share_of_entitlement"])),
                     "preemptions": int(grp["preemptions"].sum())})
    return pd.DataFrame(rows)


def summarize(sim: NationalSim, wall_s: float) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The run's JSON document and its tables."""
    tw = sim.twin
    horizon = max(sim.now - tw.warmup_s, 1e-9)
    powered = sum(p.accelerators for p in tw.pools)
    dark = sum(p.dark_domains * p.domain_size for p in tw.pools)
    fleet = powered + dark
    acc_s = fleet * horizon
    jobs = job_frame(sim)
    tenants = tenant_frame(sim, jobs)
    classes = class_frame(tenants, jobs, sim)
    series = pd.DataFrame(sim.series, columns=list(SERIES_COLUMNS))
    svc = pd.DataFrame([{"service": s.spec.name, "owner": s.spec.owner, "model": s.spec.model,
                         "npu_eligible": s.spec.npu_eligible,
                         "demand_tokens": sim.svc_state[s.index].demand_tok,
                         "served_tokens": sim.svc_state[s.index].served_tok,
                         "npu_tokens": sim.svc_state[s.index].npu_tok,
                         "unmet_tokens": sim.svc_state[s.index].unmet_tok}
                        for s in tw.services])
    served = float(svc["served_tokens"].sum()) if len(svc) else 0.0
    demand = float(svc["demand_tokens"].sum()) if len(svc) else 0.0
    st = sim.m_stranded_s / acc_s
    pretrain = tw.class_names.index("pretrain") if "pretrain" in tw.class_names else -1
    c = sim.counts
    public = tenants[tenants["owner"].isin([p.owner for p in tw.partitions if p.public])]
    doc: dict[str, Any] = {
        "scenario": tw.scenario, "policy": sim.policy.name, "seed": tw.settings.seed,
        "days": horizon / 86400.0, "scale": tw.settings.scale,
        "fleet": {"accelerators": fleet, "powered": powered,
                  "gpus": sum(p.accelerators for p in tw.pools if p.kind == "gpu"),
                  "npus": sum(p.accelerators for p in tw.pools if p.kind == "npu"),
                  "pools": len(tw.pools), "power_mode": tw.settings.power_mode},
        "utilization": sim.m_alloc_s / acc_s,
        "busy_utilization": float(series["busy"].mean()) / fleet if len(series) else math.nan,
        "stranded": {"power": float(st[0]), "fragmentation": float(st[1]),
                     "idle": float(st[2])},
        "energy_mwh": sim.m_energy_kwh / 1000.0,
        "mean_power_mw": sim.m_energy_kwh / (horizon / 3600.0) / 1000.0,
        "peak_power_mw": float(series["power_mw"].max()) if len(series) else math.nan,
        "tokens_served": served,
        "inference": {"demand_tokens": demand, "served_share": served / demand
                      if demand else math.nan,
                      "npu_share": float(svc["npu_tokens"].sum()) / served if served else 0.0,
                      "services": len(tw.services)},
        "training_runs_completed": int(((jobs["cls"] == pretrain) & jobs["end"].notna()).sum()),
        "jobs": {"submitted": c["arrivals"], "started": c["starts"],
                 "completed": c["completions"], "preemptions": c["preemptions"],
                 "preemptions_by_cause": {k.removeprefix("preempt_"): v for k, v in c.items()
                                          if k.startswith("preempt_")},
                 "multi_domain_starts": c["multi_domain"],
                 "topology_misses": c["topology_misses"],
                 "topology_miss_share": c["topology_misses"] / c["multi_domain"]
                 if c["multi_domain"] else 0.0},
        "tenants": tenants.to_dict(orient="records"),
        "tenant_classes": classes.to_dict(orient="records"),
        "fairness": {"jain_public": jain(list(public["share_of_entitlement"])),
                     "jain_all": jain(list(tenants["share_of_entitlement"]))},
        "events": {"total": c["events"], "scaling": c["scaling"],
                   "per_s": c["events"] / wall_s if wall_s > 0 else math.nan},
        "wall_s": wall_s,
    }
    pools = pd.DataFrame([{"pool": p.index, "owner": p.owner, "accelerator": p.accelerator,
                           "system": p.system, "kind": p.kind, "domain_size": p.domain_size,
                           "accelerators": p.accelerators,
                           "dark": p.dark_domains * p.domain_size, "speed": p.speed}
                          for p in tw.pools])
    frames = {"timeseries": series, "tenants": tenants, "classes": classes, "jobs": jobs,
              "services": svc, "pools": pools}
    return doc, frames
