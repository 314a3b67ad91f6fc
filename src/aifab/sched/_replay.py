"""Replay a workload history through a quota design and compare designs (rules C1-C5).

C1 jobs arrive at their submit time on their tenant's ClusterQueue and run for their
recorded run time once admitted (their recorded start is ignored: the design decides);
C2 a preempted job goes back to its queue and starts over (the run time it had is lost,
as with no checkpoint); C4 a job whose priority class (sacct QOS, a Workload's
priorityClassName) names a WorkloadPriorityClass of the design takes its value, else its
own priority (0 for sacct); C3 per tenant: jobs, wait (admission - submit; jobs never admitted
count their wait to the end), GPU-hours, preemptions; per design: utilisation = GPU-hours /
(GPUs under quota x span), and Jain's fairness index over tenants of GPU-hours / quota;
C5 a preempted job's pods are gone ``grace_s`` after its preemption (30 s, Kubernetes'
default terminationGracePeriodSeconds; ``--grace``), and Kueue holds its quota until then
(A5d): its preemptor is admitted then, and the victim goes back to its queue.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aifab.errors import BadInput
from aifab.sched._engine import Engine
from aifab.sched._history import History
from aifab.sched._hold import GRACE_S
from aifab.sched._model import Manifests, is_gpu
from aifab.sched._workload import gang


@dataclass
class TenantStats:
    jobs: int = 0
    waits_s: list[float] = field(default_factory=list)
    gpu_h: float = 0.0
    preemptions: int = 0


def tenant_queues(m: Manifests, hist: History, mapping: Mapping[str, str]) -> dict[str, str]:
    """History tenant -> ClusterQueue: ``mapping`` first, then a ClusterQueue of that
    name, then one whose ``aifab.io/tenant`` annotation names it."""
    by_ann = {cq.annotations.get("aifab.io/tenant", ""): n for n, cq in m.cluster_queues.items()}
    out: dict[str, str] = {}
    missing = []
    for t in sorted({j.tenant for j in hist.jobs}):
        cq = mapping.get(t) or (t if t in m.cluster_queues else by_ann.get(t))
        if cq is None or cq not in m.cluster_queues:
            missing.append(t)
        else:
            out[t] = cq
    if missing:
        raise BadInput(f"no ClusterQueue for {', '.join(missing[:5])}"
                       f"{' and more' if len(missing) > 5 else ''}; map them with "
                       "--map TENANT=CLUSTERQUEUE", source=hist.source, where="tenant")
    return out


def replay(m: Manifests, hist: History, queues: Mapping[str, str],
           grace_s: float = GRACE_S) -> dict[str, Any]:
    """Replay ``hist`` on design ``m``; per-tenant and overall figures. ``grace_s``: a
    preempted job's pods are gone that long after its preemption (C5; 0: at once)."""
    eng = Engine(m)
    eng.hold = grace_s > 0  # C5, A5d
    stats = {cq: TenantStats() for cq in m.cluster_queues}
    jobs = {j.name: j for j in hist.jobs}
    started: dict[str, float] = {}
    token: dict[str, int] = {}
    heap: list[tuple[float, int, int, str]] = []
    for k, j in enumerate(hist.jobs):
        heapq.heappush(heap, (j.submit_s, 1, k, j.name))
    seq = len(hist.jobs)
    now = last = moved = 0.0
    # C6: with no arrival and no job finished for longer than the longest run (plus two
    # graces and requeues) every admission since was undone by a preemption: only Kueue's
    # flapping is left, which would go on forever
    stall = max((j.run_s for j in hist.jobs), default=0.0) + 2.0 * grace_s + 2.0
    stalled: float | None = None
    wakes: set[float] = set()  # A2b: requeue times already on the heap
    while heap:
        now, kind, tok, name = heapq.heappop(heap)
        if kind >= 2 and now - moved > stall:
            stalled = moved
            break
        eng.clock = now + 1.0  # on the same axis as the creation times (submit + 1 s)
        if kind == 2:  # A2b: the set-aside workloads' requeue (nothing else)
            pass
        elif kind == 3:  # C5: a victim's pods are gone: its quota is freed
            if eng.ghosts and name in eng.ghosts:
                eng.evicted(name)
        elif kind == 0:  # finish
            if token.get(name) != tok or name not in eng.admitted:
                continue
            eng.finish(name)
            stats[queues[jobs[name].tenant]].gpu_h += jobs[name].gpus * (
                now - started.pop(name)) / 3600.0
            moved = now
        else:
            moved = now
            j = jobs[name]
            stats[queues[j.tenant]].jobs += 1
            eng.submit(gang(name, queues[j.tenant], j.gpus, priority=m.priority_classes.get(
                j.priority_class, j.priority), created=j.submit_s + 1.0))
        if heap and heap[0][0] == now:
            continue
        evs = eng.run()
        if kind != 2 or evs:
            last = now  # (a requeue that admits nothing ends no span)
        for ev in evs:
            j = jobs[ev.workload]
            st = stats[queues[j.tenant]]
            if ev.kind == "admit":
                if j.name not in token:  # first admission: its wait
                    st.waits_s.append(now - j.submit_s)
                started[ev.workload] = now
                seq += 1
                token[ev.workload] = seq
                heapq.heappush(heap, (now + j.run_s, 0, seq, ev.workload))
            elif ev.kind == "preempt":
                st.preemptions += 1
                st.gpu_h += j.gpus * (now - started.pop(ev.workload)) / 3600.0
                if eng.hold:  # C5: it never finishes this run; its quota held until then
                    token[ev.workload] = 0
                    heapq.heappush(heap, (now + grace_s, 3, 0, ev.workload))
        due = eng.next_requeue()  # on the creation times' axis (now + 1 s)
        if due is not None and due - 1.0 not in wakes:
            wakes.add(due - 1.0)
            heapq.heappush(heap, (due - 1.0, 2, 0, ""))
    for name in eng.pending:
        j = jobs[name]
        if name not in token:
            stats[queues[j.tenant]].waits_s.append(last - j.submit_s)
    for name, t in started.items():
        stats[queues[jobs[name].tenant]].gpu_h += jobs[name].gpus * (last - t) / 3600.0
    out = summarise(m, stats, hist, last)
    out["stalled_h"] = None if stalled is None else stalled / 3600.0  # C6
    return out


def summarise(m: Manifests, stats: Mapping[str, TenantStats], hist: History,
              end_s: float) -> dict[str, Any]:
    span = max(end_s, 1.0)
    total = sum(q.nominal for cq in m.cluster_queues.values() for (_, r), q in cq.quotas.items()
                if is_gpu(r)) + sum(q.nominal for co in m.cohorts.values()
                                    for (_, r), q in co.quotas.items() if is_gpu(r))
    rows = {}
    ratios = []
    for cq, s in stats.items():
        quota = sum(q.nominal for (_, r), q in m.cluster_queues[cq].quotas.items() if is_gpu(r))
        w = np.array(s.waits_s) / 3600.0
        rows[cq] = {"jobs": s.jobs, "gpu_h": s.gpu_h, "preemptions": s.preemptions,
                    "wait_p50_h": float(np.median(w)) if len(w) else 0.0,
                    "wait_p95_h": float(np.quantile(w, 0.95)) if len(w) else 0.0,
                    "wait_mean_h": float(w.mean()) if len(w) else 0.0}
        if s.jobs and quota > 0:
            ratios.append(s.gpu_h / quota)
    r = np.array(ratios)
    jain = float(r.sum() ** 2 / (len(r) * (r ** 2).sum())) if len(r) and (r ** 2).sum() else 1.0
    classes = {j.priority_class for j in hist.jobs if j.priority_class}
    return {"source": hist.source, "jobs": len(hist.jobs), "skipped": hist.skipped,
            "priority_classes_not_in_design": sorted(classes - set(m.priority_classes)),
            "span_h": span / 3600.0,
            "utilization": sum(s.gpu_h for s in stats.values()) / (total * span / 3600.0)
            if total else 0.0,
            "jain_fairness": jain,
            "preemptions": sum(s.preemptions for s in stats.values()),
            "tenants": rows}
