"""Builders for small Kueue configurations in tests (manifests as dicts, read by the real
loader so every case also goes through its checks)."""

from __future__ import annotations

import math
from typing import Any

from aifab.sched import Engine, Manifests, load_docs
from aifab.sched._load import check

API = "kueue.x-k8s.io/v1beta2"
Q = dict[str, Any]


def res(name: str, nominal: float, borrow: float | None = None,
        lend: float | None = None) -> Q:
    r: Q = {"name": name, "nominalQuota": nominal}
    if borrow is not None:
        r["borrowingLimit"] = borrow
    if lend is not None:
        r["lendingLimit"] = lend
    return r


def group(flavors: dict[str, list[Q]]) -> Q:
    covered = [r["name"] for r in next(iter(flavors.values()))]
    return {"coveredResources": covered,
            "flavors": [{"name": f, "resources": rs} for f, rs in flavors.items()]}


def cq(name: str, cohort: str | None = None, gpu: float | None = None, *,
       borrow: float | None = None, lend: float | None = None,
       flavors: dict[str, list[Q]] | None = None, **spec: Any) -> Q:
    s: Q = dict(spec)
    if cohort is not None:
        s["cohortName"] = cohort
    if flavors is None and gpu is not None:
        flavors = {"default": [res("nvidia.com/gpu", gpu, borrow, lend)]}
    if flavors is not None:
        s["resourceGroups"] = [group(flavors)]
    return {"apiVersion": API, "kind": "ClusterQueue", "metadata": {"name": name}, "spec": s}


def cohort(name: str, parent: str | None = None, gpu: float | None = None, *,
           borrow: float | None = None, lend: float | None = None,
           weight: float | None = None) -> Q:
    s: Q = {}
    if parent is not None:
        s["parentName"] = parent
    if gpu is not None:
        s["resourceGroups"] = [group({"default": [res("nvidia.com/gpu", gpu, borrow, lend)]})]
    if weight is not None:
        s["fairSharing"] = {"weight": weight}
    return {"apiVersion": API, "kind": "Cohort", "metadata": {"name": name}, "spec": s}


def flavor(name: str, **spec: Any) -> Q:
    meta: Q = {"name": name}
    if "annotations" in spec:
        meta["annotations"] = spec.pop("annotations")
    return {"apiVersion": API, "kind": "ResourceFlavor", "metadata": meta, "spec": spec}


def config(*docs: Q, fair: bool = False, strategies: list[str] | None = None,
           flavors: tuple[str, ...] = ("default",)) -> Manifests:
    m = Manifests()
    all_docs = [flavor(f) for f in flavors if not any(
        d["kind"] == "ResourceFlavor" and d["metadata"]["name"] == f for d in docs)]
    all_docs += list(docs)
    if fair:
        fs: Q = {} if strategies is None else {"preemptionStrategies": strategies}
        all_docs.append({"apiVersion": "config.kueue.x-k8s.io/v1beta2",
                         "kind": "Configuration", "metadata": {"name": "kueue"},
                         "fairSharing": fs})
    load_docs(m, "test.yaml", all_docs)
    check(m)
    return m


def engine(*docs: Q, **kw: Any) -> Engine:
    return Engine(config(*docs, **kw))


def kinds(events: list[Any], kind: str) -> list[str]:
    return [e.workload for e in events if e.kind == kind]


def counting(mp: Any, module: Any, name: str) -> list[int]:
    """Replace ``module.name`` (with ``mp``, a pytest MonkeyPatch) by a wrapper that counts
    its calls; the count, in a one-item list."""
    n = [0]
    f = getattr(module, name)

    def counted(*a: Any, **k: Any) -> Any:
        n[0] += 1
        return f(*a, **k)

    mp.setattr(module, name, counted)
    return n


def kept_as(before: Any, after: Any) -> bool:
    """Whether a kept A8 bound (``Index._bounds`` entry) was given again rather than
    computed: the same entry, or (A62) the same answer and certificate kept with the
    versions of the state it was found to hold in."""
    return before is not None and after is not None and (after is before or (
        before[2] is not None and after[2] is before[2] and after[1] == before[1]))


def pods_gone(e: Engine, gone: dict[str, float], t: float) -> None:
    """Drive a held engine (A5d) as the twin does: set its clock to ``t`` and report
    evicted the victims whose pods are gone by then (``gone``: name -> time)."""
    e.clock = t
    for name in sorted(k for k, v in gone.items() if v <= t):
        del gone[name]
        if e.ghosts and name in e.ghosts:
            e.evicted(name)


def next_instant(e: Engine, gone: dict[str, float], t: float, step: float) -> float:
    """After a run at ``t``: note when its new victims' pods are gone (a second after
    their preemption) and return the next instant the twin would run the engine: ``step``
    later, or a victim's pods gone, or a requeue due (A2b), whichever is first."""
    for name, at in (e.ghosts or {}).items():
        gone.setdefault(name, at + 1.0)
    due = e.next_requeue()
    nxt = min([t + step, *gone.values(), math.inf if due is None else due])
    return max(nxt, math.nextafter(t, math.inf))


#: A small twin scenario (64 B200 GPUs, two tenants of the government) and a 32-GPU job
#: for its universities queue (`aifab admit` tests and the scheduler fuzz family).
TOY = {
    "name": "toy-run", "owners": [{"name": "Gov", "kind": "public"}],
    "fleets": [{"owner": "Gov", "accelerator": "b200", "system": "dgx-b200", "count": 64,
                "delivery_year": 2026}],
    "sim": {"npu_pools": [], "services_per_owner": 0, "warmup_days": 0, "days": 0.5,
            "reference_accelerator": "b200",
            "classes": {"j": {"sizes": [8, 16], "median_h": 3.0, "sigma": 0.8}},
            "tenants": [{"name": "universities", "owner": "Gov", "kind": "university",
                         "quota": 0.5, "load": 1.5, "mix": {"j": 1.0}},
                        {"name": "startups", "owner": "Gov", "kind": "startup", "quota": 0.5,
                         "load": 1.5, "mix": {"j": 1.0}}]}}
JOB = {"apiVersion": "batch/v1", "kind": "Job",
       "metadata": {"name": "ft", "namespace": "universities",
                    "labels": {"kueue.x-k8s.io/queue-name": "universities"}},
       "spec": {"parallelism": 4, "template": {"spec": {"containers": [
           {"name": "m", "resources": {"limits": {"nvidia.com/gpu": 8}}}]}}}}


#: A sacct export (--parsable2): jobs of accounts a (with its step) and b, and one of b
#: cancelled before it started.
SACCT = """JobID|Account|User|Submit|Start|End|Elapsed|AllocTRES|State
1|a|u1|2025-01-01T00:00:00|2025-01-01T00:00:00|2025-01-01T01:00:00|01:00:00|cpu=8,gres/gpu=8|COMPLETED
1.batch|a|u1|2025-01-01T00:00:00|2025-01-01T00:00:00|2025-01-01T01:00:00|01:00:00|gres/gpu=8|COMPLETED
2|b|u2|2025-01-01T00:30:00|2025-01-01T01:00:00||01:00:00|cpu=4,gres/gpu:b200=4|COMPLETED
3|b|u2|2025-01-01T00:40:00|Unknown|Unknown|00:00:00|cpu=8|CANCELLED
"""
