"""What-if admission of one job manifest (``aifab admit``): admitted now, if not why, and
when (rules W6-W7).

The cluster's state is empty, a Kueue Workload export (``kubectl get workloads -A -o
json``: admitted and pending Workloads), or the end of a twin run (``aifab simulate --out
RUN``, read by the command layer and passed in as a :class:`~._history.RunState`):
its running jobs are admitted first and its queued jobs wait ahead of the new one, each
counted 1/``scale`` times (a run at scale s holds s of the fleet and of the jobs; gang sizes
are not scaled). The forecast of when is the run's wait distribution of the
job's tenant (jobs at least half the size, else all of that tenant's jobs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aifab.errors import BadInput
from aifab.sched._engine import Engine
from aifab.sched._export import TENANT, k8s_name
from aifab.sched._history import RunState
from aifab.sched._model import Manifests, is_gpu
from aifab.sched._workload import (
    PRIORITY_LABEL,
    QUEUE_LABEL,
    Workload,
    gang,
    read_job,
)

#: Copies of each running or queued job of a scaled run at most (a run at scale 0.001 is
#: read as 100 copies, not 1,000).
MAX_COPIES = 100


def _queue(m: Manifests, queue: str, ns: str, ctx_where: str, source: str) -> str:
    lq = m.local_queue(ns, queue)
    if lq is not None:
        return lq.cluster_queue
    if queue in m.kai_queues and queue in m.cluster_queues:
        return queue
    raise BadInput(f"no LocalQueue {ns}/{queue} (nor KAI leaf queue {queue!r})",
                   source=source, where=f"{ctx_where}: metadata.labels.{QUEUE_LABEL}")


def _tenant_of(m: Manifests, cq: str) -> str:
    return m.cluster_queues[cq].annotations.get(TENANT, cq)


def load_state(m: Manifests, run: RunState, eng: Engine) -> dict[str, Any]:
    """Admit a twin run's running jobs and queue its waiting ones; the run's facts."""
    jobs = run.jobs
    scale = run.scale
    by_tenant = {}
    for name in m.cluster_queues:
        by_tenant[_tenant_of(m, name)] = name
        by_tenant.setdefault(k8s_name(_tenant_of(m, name)), name)
    names = list(run.tenants)
    running = jobs[jobs["first"].notna() & jobs["end"].isna()]
    queued = jobs[jobs["first"].isna()].sort_values("submit")
    missing: set[str] = set()
    copies = max(1, min(MAX_COPIES, round(1.0 / scale)))
    for frame, stage in ((running, "run"), (queued, "queued")):
        rows = zip(frame["tenant"].tolist(), frame["n"].tolist(), frame["submit"].tolist(),
                   strict=True)
        for i, (tix, n, submit) in enumerate(rows):
            tname = names[int(tix)]
            cq = by_tenant.get(tname) or by_tenant.get(k8s_name(tname))
            if cq is None:
                missing.add(tname)
                continue
            for k in range(copies):
                eng.submit(gang(f"{stage}-{i}-{k}", cq, float(n),
                                created=float(submit) - 1e12 + k * 1e-6))
        eng.run()
    return {"run": run.source, "scale": scale, "copies": copies, "running": len(eng.admitted),
            "queued": len(eng.pending),
            "tenants_not_in_manifests": sorted(missing), "tenants": names, "jobs": jobs}


def load_workloads_state(m: Manifests, path: Path, eng: Engine) -> dict[str, Any]:
    """The cluster now from ``kubectl get workloads.kueue.x-k8s.io -A -o json``: Workloads
    admitted and not finished are admitted first, pending ones queued (by creation time)."""
    from aifab.sched._history import _cond, _time, workload_parts, workload_pod_sets

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"not a JSON Workload list: {exc}", source=str(path),
                       where="--state") from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise BadInput("no items (kubectl get workloads -A -o json)", source=str(path),
                       where="--state")
    admitted: list[Workload] = []
    pending: list[Workload] = []
    for i, it in enumerate(items):
        ctx, meta, spec, status, conds = workload_parts(str(path), i, it)
        if _cond(conds, "Finished"):
            continue
        pod_sets = workload_pod_sets(ctx, spec)
        created = _time(str(meta.get("creationTimestamp") or "1970-01-01T00:00:00+00:00"),
                        f"{ctx.obj}: metadata.creationTimestamp", str(path))
        adm = ctx.mapping(status.get("admission"), "status.admission").get("clusterQueue")
        if adm is None:
            lq = m.local_queue(str(meta.get("namespace") or "default"),
                               str(spec.get("queueName") or ""))
            if lq is None:
                continue
            adm_cq, bucket = lq.cluster_queue, pending
        else:
            adm_cq, bucket = str(adm), admitted
        if adm_cq not in m.cluster_queues:
            raise ctx.error("status.admission.clusterQueue",
                            f"ClusterQueue {adm_cq!r} is not in the manifests")
        prio = spec.get("priority")
        bucket.append(Workload(ctx.name, adm_cq, tuple(pod_sets),
                               prio if isinstance(prio, int) else 0, created - 1e12))
    for group in (admitted, pending):
        for w in sorted(group, key=lambda w: w.created):
            eng.submit(w)
        eng.run()
    return {"workloads": str(path), "running": len(eng.admitted), "queued": len(eng.pending)}


def forecast(state: dict[str, Any], tenant: str, gpus: float) -> dict[str, Any] | None:
    tenants = list(state["tenants"])
    if tenant not in tenants:
        return None
    jobs = state["jobs"]
    mine = jobs[(jobs["tenant"] == tenants.index(tenant)) & jobs["wait_s"].notna()]
    similar = mine[mine["n"] >= gpus / 2]
    basis = similar if len(similar) else mine
    if not len(basis):
        return None
    w = basis["wait_s"] / 3600.0
    return {"tenant": tenant, "jobs": len(basis), "similar_size": bool(len(similar)),
            "wait_p50_h": float(w.quantile(0.5)), "wait_p95_h": float(w.quantile(0.95)),
            "basis": f"{len(basis)} {'similar-size ' if len(similar) else ''}jobs of "
                     f"{tenant} in {state['run']}"}


def admit(m: Manifests, job: Path, state: Path | RunState | None = None) -> dict[str, Any]:
    """The what-if admission document for one job manifest. ``state``: the cluster now, as
    a Kueue Workload export (a JSON file) or a twin run's :class:`~._history.RunState`
    (the command layer reads the run folder)."""
    queue, ns, prio_name, pod_sets, ctx = read_job(job)
    cq = _queue(m, queue, ns, ctx.obj, str(job))
    prio = 0
    if prio_name is not None and not m.priority_classes:
        m.unsupported.append(f"{job}: {ctx.obj}: metadata.labels.{PRIORITY_LABEL}: no "
                             "WorkloadPriorityClass in the manifests; priority 0")
    elif prio_name is not None:
        if prio_name not in m.priority_classes:
            raise ctx.error(f"metadata.labels.{PRIORITY_LABEL}",
                            f"no WorkloadPriorityClass {prio_name!r}")
        prio = m.priority_classes[prio_name]
    eng = Engine(m)
    facts = None
    if isinstance(state, RunState):
        facts = load_state(m, state, eng)
    elif state is not None:
        doc_state = load_workloads_state(m, state, eng)
    wl = Workload(ctx.name, cq, pod_sets, prio, created=1e15, local_queue=f"{ns}/{queue}")
    eng.submit(wl)
    events = eng.run()
    admitted = wl.name in eng.admitted
    ev = next((e for e in events if e.kind == "admit" and e.workload == wl.name), None)
    request: dict[str, float] = {}
    for ps in pod_sets:
        for r, v in ps.per_pod.items():
            request[r] = request.get(r, 0.0) + v * ps.count
    gpus = sum(v for r, v in request.items() if is_gpu(r))
    doc: dict[str, Any] = {
        "job": ctx.name, "kind": ctx.kind, "local_queue": f"{ns}/{queue}", "cluster_queue": cq,
        "priority": prio, "request": request, "admitted": admitted,
        "flavors": ev.flavors if ev is not None else {},
        "preempts": [e.workload for e in events if e.kind == "preempt" and e.by == wl.name],
        "reasons": [] if admitted else [{"kind": k, "text": t}
                                         for k, t in eng.reasons.get(wl.name, [])],
        "unsupported": list(m.unsupported), "forecast": None, "state": None}
    if state is not None and facts is None:
        doc["state"] = doc_state
    if facts is not None:
        doc["state"] = {k: v for k, v in facts.items() if k not in ("tenants", "jobs")}
        if not admitted:
            doc["forecast"] = forecast(facts, _tenant_of(m, cq), gpus)
    return doc


def one_line(doc: dict[str, Any]) -> str:
    """The human answer in one line."""
    head = f"{doc['job']} -> {doc['cluster_queue']}"
    if doc["admitted"]:
        fl = sorted({f for ps in doc["flavors"].values() for f in ps.values()})
        on = ', '.join(fl) or 'no flavor'
        if doc["preempts"]:  # A5d: Kueue admits it once their pods are gone
            return (f"{head}: admitted on {on} once the workloads it preempts now have "
                    f"stopped ({', '.join(doc['preempts'])})")
        return f"{head}: admitted now on {on}"
    why = "; ".join(f"{r['kind']}: {r['text']}" for r in doc["reasons"][:2]) or "pending"
    when = ""
    if doc["forecast"] is not None:
        f = doc["forecast"]
        when = (f"; expected wait {f['wait_p50_h']:.1f} h (p95 {f['wait_p95_h']:.1f} h) from "
                f"{f['basis']}")
    return f"{head}: pending ({why}){when}"
