"""End-of-run results of the national twin: the JSON document and its tables."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aifab.sim.national._curtailck import curtailer_of
from aifab.sim.national._failures import failures_of
from aifab.sim.national._job import RECORD_FIELDS, acc_s_until
from aifab.sim.national._loadshape import campus_power_frame
from aifab.sim.national._meters import SERIES_COLUMNS
from aifab.sim.national._tree import (
    ClassRow,
    Events,
    Fairness,
    Fleet,
    Inference,
    Jobs,
    Reliability,
    RunSummary,
    Stranded,
    TenantRow,
)

if TYPE_CHECKING:
    from aifab.sim.national._protocol import RunView


def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if len(x) else math.nan


def jain(x: list[float]) -> float:
    """Jain's fairness index of non-negative values (1 = equal)."""
    a = np.asarray([v for v in x if math.isfinite(v)], dtype=float)
    if len(a) == 0 or float((a * a).sum()) == 0:
        return math.nan
    return float(a.sum() ** 2 / (len(a) * (a * a).sum()))


def job_frame(run: RunView) -> pd.DataFrame:
    """Jobs submitted after the warm-up: completed, then those still running or queued
    at the end (end = NaN)."""
    now = run.now
    df = pd.DataFrame({k: np.frombuffer(v, dtype=np.float64) if len(v) else np.zeros(0)
                       for k, v in run.records.r.items()})
    live = [(j.tenant, j.cls, j.n, j.submit, j.first, math.nan, j.preempt,
             acc_s_until(j, now),
             j.miss)
            for j in run.ops.jobs.values()]
    if live:
        df = pd.concat([df, pd.DataFrame(live, columns=list(RECORD_FIELDS))],
                       ignore_index=True)
    df = df[df["submit"] >= run.twin.warmup_s].reset_index(drop=True)
    df["first"] = df["first"].where(df["first"] >= 0)
    df["wait_s"] = df["first"] - df["submit"]
    df["jct_s"] = df["end"] - df["submit"]
    for c in ("tenant", "cls", "n", "preempt", "miss"):
        df[c] = df[c].astype(np.int64)
    return df


def tenant_frame(run: RunView, jobs: pd.DataFrame) -> pd.DataFrame:
    tw = run.twin
    horizon = max(run.now - tw.warmup_s, 1e-9)
    rows = []
    for t in tw.tenants:
        mine = jobs[jobs["tenant"] == t.index]
        w = mine["wait_s"].dropna().to_numpy() / 3600.0
        c = mine["jct_s"].dropna().to_numpy() / 3600.0
        acc_h = float(run.integrals.tenant_s[t.index]) / 3600.0
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
            "queue_mean": float(run.integrals.queue_s[t.index]) / horizon,
            "queued_at_end": int(run.queues.qlen[t.index]),
        })
    return pd.DataFrame(rows)


def class_frame(tenants: pd.DataFrame, jobs: pd.DataFrame, run: RunView) -> pd.DataFrame:
    """Waits and shares per tenant class (owner, university, startup, institute)."""
    kinds = {t.index: t.kind for t in run.twin.tenants}
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


def _row(rec: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in rec.items()}


def summarize(run: RunView, wall_s: float) -> tuple[RunSummary, dict[str, pd.DataFrame]]:
    """The run's typed result tree (its JSON document: ``to_dict()``) and its tables."""
    tw = run.twin
    horizon = max(run.now - tw.warmup_s, 1e-9)
    powered = sum(p.accelerators for p in tw.pools)
    dark = sum(p.dark_domains * p.domain_size for p in tw.pools)
    fleet = powered + dark
    acc_s = fleet * horizon
    jobs = job_frame(run)
    tenants = tenant_frame(run, jobs)
    classes = class_frame(tenants, jobs, run)
    series = pd.DataFrame(run.series.rows, columns=list(SERIES_COLUMNS))
    svc_state = run.services.per_service
    svc = pd.DataFrame([{"service": s.spec.name, "owner": s.spec.owner, "model": s.spec.model,
                         "npu_eligible": s.spec.npu_eligible,
                         "demand_tokens": svc_state[s.index].demand_tok,
                         "served_tokens": svc_state[s.index].served_tok,
                         "npu_tokens": svc_state[s.index].npu_tok,
                         "unmet_tokens": svc_state[s.index].unmet_tok}
                        for s in tw.services])
    served = float(svc["served_tokens"].sum()) if len(svc) else 0.0
    demand = float(svc["demand_tokens"].sum()) if len(svc) else 0.0
    st = run.series.stranded_s / acc_s
    pretrain = tw.class_names.index("pretrain") if "pretrain" in tw.class_names else -1
    c = {**run.counts.c, "events": run.n_events}
    public = tenants[tenants["owner"].isin([p.owner for p in tw.partitions if p.public])]
    fails, cur = failures_of(run.bus.observers), curtailer_of(run.bus.observers)
    rel = None if fails is None else Reliability.from_dict(fails.report())
    summary = RunSummary(
        scenario=tw.scenario, policy=run.policy.name, seed=tw.settings.seed,
        days=horizon / 86400.0, warmup_days=tw.warmup_s / 86400.0, scale=tw.settings.scale,
        fleet=Fleet(accelerators=fleet, powered=powered,
                    gpus=sum(p.accelerators for p in tw.pools if p.kind == "gpu"),
                    npus=sum(p.accelerators for p in tw.pools if p.kind == "npu"),
                    pools=len(tw.pools), power_mode=tw.settings.power_mode,
                    nameplate_mw=sum((p.accelerators + p.dark_domains * p.domain_size)
                                     * p.nameplate_kw for p in tw.pools)
                    / 1000.0 / tw.settings.scale),
        utilization=run.integrals.alloc_s / acc_s,
        busy_utilization=float(series["busy"].mean()) / fleet if len(series) else math.nan,
        stranded=Stranded(
            power=float(st[0]), fragmentation=float(st[1]), idle=float(st[2]),
            in_repair=None if rel is None else rel.in_repair_share * powered / fleet,
            spares=None if rel is None else rel.spares_held_share * powered / fleet),
        energy_mwh=run.integrals.energy_kwh / 1000.0,
        mean_power_mw=run.integrals.energy_kwh / (horizon / 3600.0) / 1000.0,
        peak_power_mw=float(series["power_mw"].max()) if len(series) else math.nan,
        tokens_served=served,
        inference=Inference(
            demand_tokens=demand, served_share=served / demand if demand else math.nan,
            npu_share=float(svc["npu_tokens"].sum()) / served if served else 0.0,
            services=len(tw.services)),
        training_runs_completed=int(((jobs["cls"] == pretrain) & jobs["end"].notna()).sum()),
        jobs=Jobs(submitted=c["arrivals"], started=c["starts"], completed=c["completions"],
                  preemptions=c["preemptions"],
                  preemptions_by_cause={k.removeprefix("preempt_"): v for k, v in c.items()
                                        if k.startswith("preempt_")},
                  multi_domain_starts=c["multi_domain"], topology_misses=c["topology_misses"],
                  topology_miss_share=c["topology_misses"] / c["multi_domain"]
                  if c["multi_domain"] else 0.0),
        tenants=tuple(TenantRow(**_row(r)) for r in tenants.to_dict(orient="records")),
        tenant_classes=tuple(ClassRow(**_row(r)) for r in classes.to_dict(orient="records")),
        fairness=Fairness(jain_public=jain(list(public["share_of_entitlement"])),
                          jain_all=jain(list(tenants["share_of_entitlement"]))),
        events=Events(total=c["events"], scaling=c["scaling"],
                      per_s=c["events"] / wall_s if wall_s > 0 else math.nan),
        wall_s=wall_s, reliability=rel, flexibility=None if cur is None else cur.summary())
    pools = pd.DataFrame([{"pool": p.index, "owner": p.owner, "accelerator": p.accelerator,
                           "system": p.system, "kind": p.kind, "domain_size": p.domain_size,
                           "accelerators": p.accelerators,
                           "dark": p.dark_domains * p.domain_size, "speed": p.speed}
                          for p in tw.pools])
    frames = {"timeseries": series, "tenants": tenants, "classes": classes, "jobs": jobs,
              "services": svc, "pools": pools, "campus_power": campus_power_frame(run)}
    if fails is not None:
        frames["reliability"] = fails.frame()
    return summary, frames
