"""The ``quota`` stage: one quota design of a public GPU programme, run through the twin.

A design says how many startups share the public owner's fleet, how much of it they hold
nominally, what each offers, how far a queue may borrow beyond its nominal quota and the
startups' fair-sharing weight. The stage rebuilds the public owner's tenants from it,
writes the scenario as Kueue manifests (aifab.sched's exporter), applies the design's
borrowing limits and weights to the ClusterQueues, and runs the twin under Kueue semantics
exactly as ``aifab simulate --kueue DIR`` does (``engine: kueue``; ``engine: kai``: KAI
Queues, as ``--kai DIR``), or the twin's own queue policy on the same tenants (``engine:
native``: no borrowing limits or weights there).
Its document gives per-tenant and per-kind waits, utilisation, preemptions and fairness
(docs/sweep.md, "Quota designs").
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.scenario import Scenario, TenantSpec

#: TenantSpec.load's upper bound (offered load as a share of the tenant's quota).
MAX_LOAD = 5.0
OWNER_LABEL, KIND_LABEL = "aifab.io/owner", "aifab.io/kind"


def programme_owner(scn: Scenario, name: str | None) -> str:
    """The public owner whose fleet the programme shares (``quota.owner``, or the only
    public owner)."""
    public = [o.name for o in scn.owners if o.kind == "public"]
    if name is not None:
        if name not in [o.name for o in scn.owners]:
            raise BadInput(f"no owner {name!r} in scenario {scn.name} (owners: "
                           f"{', '.join(o.name for o in scn.owners)})", where="quota.owner")
        return name
    if len(public) != 1:
        raise BadInput(f"scenario {scn.name} has {len(public)} public owners; name the "
                       "programme's owner", where="quota.owner")
    return public[0]


def at_full_scale(scn: Scenario, cat: Catalog) -> Scenario:
    """``scn`` with ``sim.scale`` applied to its fleets (each row to whole NVLink domains,
    at least one, as the twin shrinks them), NPU pools, explicit arrival rates and power
    caps, and ``sim.scale`` 1: Kueue quotas are written from the fleets, so the manifests
    and the twin's pools then hold the same GPUs."""
    st = scn.sim
    k = st.scale
    if k >= 1:
        return scn

    def shrink(count: int, system: str) -> int:
        d = cat.system(system, where="system").accelerators_per_system
        return max(1, round(count * k / d)) * d

    fleets = [f.model_copy(update={"count": shrink(f.count, f.system)}) for f in scn.fleets]
    npus = None if st.npu_pools is None else [
        p.model_copy(update={"count": shrink(p.count, p.system)}) for p in st.npu_pools]
    tenants = None if st.tenants is None else [
        t.model_copy(update={"rates_per_h": {c: r * k for c, r in t.rates_per_h.items()}})
        for t in st.tenants]
    public = None if st.public_tenants is None else [
        t.model_copy(update={"rates_per_h": {c: r * k for c, r in t.rates_per_h.items()}})
        for t in st.public_tenants]
    sim = st.model_copy(update={
        "scale": 1.0, "npu_pools": npus, "tenants": tenants, "public_tenants": public,
        "power_cap_mw": {o: v * k for o, v in st.power_cap_mw.items()}})
    return scn.model_copy(update={"fleets": fleets, "sim": sim})


def design_scenario(scn: Scenario, o: dict[str, Any]) -> Scenario:
    """``scn`` with the owner's tenants rebuilt: ``startups`` startups holding
    ``startup_quota`` of the owner's accelerators in equal shares, each offering
    ``startup_demand`` of them on average; the other tenants of the owner keep their
    relative quotas in the rest and their offered accelerator-hours."""
    owner = programme_owner(scn, o.get("owner"))
    n, sq, demand = int(o["startups"]), float(o["startup_quota"]), float(o["startup_demand"])
    from aifab.sched import tenants_of

    tenants = tenants_of(scn)  # the tenants the twin builds for scn
    mine = [t for t in tenants if t.owner == owner]
    others = [t for t in mine if t.kind != "startup"]
    old_startups = [t for t in mine if t.kind == "startup"]
    if others and sq >= 1:
        raise BadInput(f"startup_quota {sq} leaves nothing for "
                       f"{', '.join(t.name for t in others)} (must be below 1)",
                       where="quota.startup_quota")
    rebuilt: list[TenantSpec] = []
    total_q = sum(t.quota for t in others)
    for t in others:
        q = t.quota * (1 - sq) / total_q
        load = (t.load if t.load is not None else scn.sim.load) * t.quota / q
        if load > MAX_LOAD:
            raise BadInput(f"{t.name}'s offered load would be {load:.3g} times its quota "
                           f"{q:.3g} (at most {MAX_LOAD:g}): lower startup_quota",
                           where="quota.startup_quota")
        rebuilt.append(t.model_copy(update={"quota": q, "load": load}))
    each = sq / n
    load = demand / each
    if load > MAX_LOAD:
        raise BadInput(f"each startup would offer {load:.3g} times its quota {each:.3g} "
                       f"(demand {demand:g} of the fleet; at most {MAX_LOAD:g} times): fewer "
                       "startups, more startup_quota or less startup_demand",
                       where="quota.startups")
    mix = dict(old_startups[0].mix) if old_startups else {}
    width = len(str(n))
    taken = {t.name for t in tenants}
    for i in range(1, n + 1):
        name = f"startup-{i:0{width}d}"
        if name in taken:
            raise BadInput(f"tenant {name!r} already exists in the scenario", where="quota")
        rebuilt.append(TenantSpec(name=name, owner=owner, kind="startup", quota=each,
                                  load=load, mix=mix))
    kept = [t for t in tenants if t.owner != owner]
    sim = scn.sim.model_copy(update={"tenants": [*kept, *rebuilt], "public_tenants": None})
    return scn.model_copy(update={"sim": sim})


def _apply_design(cq_file: Path, owner: str, o: dict[str, Any]) -> None:
    """Set the design's borrowing limits and startup weights on the exported queues:
    Kueue ``borrowingLimit`` and ``fairSharing.weight``; KAI leaf queues' ``limit`` (quota x
    (1 + borrowing limit)) and ``overQuotaWeight``."""
    docs = list(yaml.safe_load_all(cq_file.read_text(encoding="utf-8")))
    limit, weight = o.get("borrowing_limit"), o.get("startup_weight")
    for d in docs:
        labels = d["metadata"].get("labels", {})
        if labels.get(OWNER_LABEL) != owner:
            continue
        if d["kind"] == "Queue":  # KAI: leaf queues of the owner (tenants), not the owner's
            gpu = d["spec"]["resources"]["gpu"]
            if "parentQueue" not in d["spec"]:
                continue
            if limit is not None:
                gpu["limit"] = round(gpu["quota"] * (1 + float(limit)))
            if weight is not None and labels.get(KIND_LABEL) == "startup":
                gpu["overQuotaWeight"] = float(weight)
            continue
        if limit is not None:
            for group in d["spec"]["resourceGroups"]:
                for fl in group["flavors"]:
                    for r in fl["resources"]:
                        r["borrowingLimit"] = round(float(limit) * r["nominalQuota"])
        if weight is not None and labels.get(KIND_LABEL) == "startup":
            d["spec"]["fairSharing"] = {"weight": repr(float(weight))}
    cq_file.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def run_design(scn: Scenario, cat: Catalog, o: dict[str, Any]
               ) -> tuple[Any, list[str], tuple[int, int] | None]:
    """Run the twin on the design: the :class:`~aifab.sim.national.SimResult`, the
    manifest fields the twin does not model, and the preemptions undone within their
    instant and those of workloads preempted again and again (rules L10 and L11,
    docs/sched.md; Kueue or KAI engine, else None)."""
    from aifab.sim.national import TwinRequest, run_twin

    scn = design_scenario(scn, o)
    if o.get("engine", "kueue") == "native":
        for key in ("borrowing_limit", "startup_weight"):
            if o.get(key) is not None:
                raise BadInput("borrowing limits and fair-sharing weights are Kueue/KAI "
                               "fields: use engine kueue or kai", where=f"quota.{key}")
        return run_twin(TwinRequest(scn, catalog=cat).check()), [], None
    from aifab.sched import export_manifests, read_dir, twin_policy, with_manifests

    notes: list[str] = []
    owner = programme_owner(scn, o.get("owner"))
    kai = o.get("engine") == "kai"
    with tempfile.TemporaryDirectory(prefix="aifab-quota-") as tmp:
        path = Path(tmp)
        export_manifests(scn, cat, kueue=None if kai else path, kai=path if kai else None)
        _apply_design(path / ("kai-queues.yaml" if kai else "cluster-queues.yaml"), owner, o)
        read = read_dir(path)
        kscn = with_manifests(scn, cat, None if kai else path, path if kai else None,
                              notes.append, read=read)
        policy = twin_policy(read, kscn)
    result = run_twin(TwinRequest(kscn, catalog=cat, policy=policy).check())
    return result, notes, (policy.undone.report()["preemptions"],
                           policy.flaps.report()["preemptions"])


def _pct(w: np.ndarray, q: float) -> float:
    return float(np.percentile(w, q)) if len(w) else math.nan


def jain(x: list[float]) -> float:
    """Jain's fairness index of non-negative values (1 = equal; NaN when all are zero)."""
    a = np.asarray([v for v in x if math.isfinite(v)], dtype=float)
    if len(a) == 0 or float((a * a).sum()) == 0:
        return math.nan
    return float(a.sum() ** 2 / (len(a) * (a * a).sum()))


def group_stats(tenants: pd.DataFrame, jobs: pd.DataFrame, end_s: float) -> dict[str, Any]:
    """Waits, shares and preemptions of a group of tenants (rows of the twin's tenants
    table) over their jobs (rows of its jobs table). ``wait_*`` are over jobs that started,
    as the twin reports them; ``wait_*_all_h`` count jobs still queued at the end as
    waiting until then (a lower bound on their wait)."""
    started = jobs["first"].notna()
    w = jobs.loc[started, "wait_s"].to_numpy(dtype=float) / 3600.0
    w_all = np.where(started, jobs["wait_s"].fillna(0.0),
                     end_s - jobs["submit"]).astype(float) / 3600.0
    ent_h = (tenants["accelerator_h"] / tenants["share_of_entitlement"]).sum()
    return {
        "tenants": len(tenants), "jobs": len(jobs), "started": int(started.sum()),
        "unstarted": int((~started).sum()),
        "wait_mean_h": float(w.mean()) if len(w) else math.nan,
        "wait_p95_h": _pct(w, 95),
        "wait_mean_all_h": float(w_all.mean()) if len(w_all) else math.nan,
        "wait_p95_all_h": _pct(w_all, 95),
        "worst_tenant_wait_mean_h": float(tenants["wait_mean_h"].max())
        if tenants["wait_mean_h"].notna().any() else math.nan,
        "accelerator_h": float(tenants["accelerator_h"].sum()),
        "share_of_entitlement": float(tenants["accelerator_h"].sum() / ent_h)
        if ent_h > 0 else math.nan,
        "jain": jain(list(tenants["share_of_entitlement"])),
        "preemptions": int(jobs["preempt"].sum()),
    }


def quota_doc(result: Any, o: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The stage's document from the twin's result and the design's flags."""
    doc = result.to_dict()
    frames = result.frames
    tenants, jobs = frames["tenants"], frames["jobs"]
    names = list(tenants["tenant"])
    jobs = jobs.assign(name=jobs["tenant"].map(dict(enumerate(names))))
    end_s = (float(doc["warmup_days"]) + float(doc["days"])) * 86400.0
    owner = str(o["owner"])
    public = tenants[tenants["owner"] == owner]
    pool_acc = frames["pools"]
    owner_acc = float(pool_acc.loc[pool_acc["owner"] == owner, "accelerators"].sum())
    per_tenant = {}
    for _, row in tenants.iterrows():
        mine = jobs[jobs["name"] == row["tenant"]]
        per_tenant[str(row["tenant"])] = {"owner": row["owner"], "kind": row["kind"],
                                          "quota": float(row["quota"]),
                                          **group_stats(tenants[tenants["tenant"] ==
                                                                row["tenant"]], mine, end_s)}
    kinds = {}
    for kind, grp in public.groupby("kind", sort=True):
        kinds[str(kind)] = group_stats(grp, jobs[jobs["name"].isin(grp["tenant"])], end_s)
    design = {k: o.get(k) for k in ("startups", "startup_quota", "startup_demand",
                                   "borrowing_limit", "startup_weight")}
    design["startup_quota_each"] = float(o["startup_quota"]) / int(o["startups"])
    horizon_h = float(doc["days"]) * 24.0
    return {
        "command": "quota", "engine": o.get("engine", "kueue"), "owner": owner,
        "scenario": doc["scenario"], "seed": doc["seed"], "days": doc["days"],
        "design": design, "utilization": doc["utilization"],
        "busy_utilization": doc["busy_utilization"],
        "programme_usage": float(public["accelerator_h"].sum()) / (owner_acc * horizon_h)
        if owner_acc > 0 and horizon_h > 0 else math.nan,
        "preemptions": int(doc["jobs"]["preemptions"]),
        "fairness": {**doc["fairness"],
                     "jain_programme": jain(list(public["share_of_entitlement"]))},
        "startups": kinds.get("startup", {}), "kinds": kinds, "tenants": per_tenant,
        "not_modelled": notes,
    }


def quota_stage(scn: Scenario, cat: Catalog, opts: dict[str, Any]) -> dict[str, Any]:
    """The ``quota`` stage: run one design (the variant's ``quota.*`` flags)."""
    o = dict(opts)
    o["owner"] = programme_owner(scn, o.get("owner"))
    scale = scn.sim.scale
    result, notes, churn = run_design(at_full_scale(scn, cat), cat, o)
    doc = quota_doc(result, o, notes)
    doc["preemptions_undone"], doc["preemptions_again"] = churn or (None, None)
    doc["scale"] = scale  # applied to the fleet rows (at_full_scale)
    return doc


def check_designs(scenario: Scenario, options: dict[str, Any],
                  values: dict[str, list[Any]], bad: Any) -> None:
    """Build every design a spec can reach one flag at a time (``options.quota`` with each
    value of each ``quota.*`` parameter, the others at their first value), so a design that
    cannot be built (no such owner, a startup offering more than five times its quota)
    is a spec error naming the parameter, not a sweep of failed variants."""
    from pydantic import ValidationError

    from aifab.sweep._options import QuotaOptions

    first = {k: v[0] for k, v in values.items() if v}
    tries: list[tuple[dict[str, Any], list[Any]]] = [({**options, **first}, ["options", "quota"])]
    for key, vals in values.items():
        tries += [({**options, **first, key: v}, ["parameters", f"quota.{key}"]) for v in vals]
    for opts, loc in tries:
        try:
            o = QuotaOptions.model_validate(opts).model_dump()
            o["owner"] = programme_owner(scenario, o["owner"])
            design_scenario(scenario, o)
        except ValidationError as exc:
            msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise bad(f"{msg} (with {_show(opts)})", loc) from None
        except BadInput as exc:
            raise bad(f"{exc} (with {_show(opts)})", loc) from None


def _show(opts: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(opts.items())) or "the defaults"
