"""KAI scheduler queues (scheduling.run.ai/v2 Queue): reading, the fair-share division of
docs/fairness/README.md, and the mapping onto the ClusterQueue/Cohort tree.

Rules (docs/sched.md, K1-K4): a leaf queue is a ClusterQueue, a parent queue a Cohort whose
nominal quota is its own quota less its children's (KAI's parent quota covers its subtree,
a Kueue cohort's quota is extra); every top-level queue sits under one root cohort (KAI
queues share the whole cluster); ``limit`` caps usage (borrowingLimit = limit - quota,
-1 none, 0 or unset: no more than the quota, per the docs' special-values table);
``overQuotaWeight`` is the fair-sharing weight; reclaim is quota reclaim (reclaimWithinCohort
Any) plus fair-share reclaim (fair sharing on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aifab.sched._fields import Ctx, labels_of
from aifab.sched._model import (
    ClusterQueue,
    Cohort,
    KaiQueue,
    Manifests,
    Preemption,
    Quota,
    ResourceGroup,
)

KAI_ROOT = "kai-root"
KAI_FLAVOR = "default"
KAI_GPU = "nvidia.com/gpu"


def read_kai_queue(ctx: Ctx, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> KaiQueue:
    ctx.known(spec, "spec", ("displayName", "parentQueue", "priority", "resources"))
    res = ctx.mapping(spec.get("resources"), "spec.resources")
    for k in res:
        if k != "gpu":
            ctx.unsupported(f"spec.resources.{k}", "only GPU quotas are modelled")
    gpu = ctx.mapping(res.get("gpu"), "spec.resources.gpu")
    ctx.known(gpu, "spec.resources.gpu", ("quota", "limit", "overQuotaWeight"))
    quota = ctx.quantity(gpu.get("quota", 0), "spec.resources.gpu.quota", allow_negative=True)
    limit = ctx.quantity(gpu.get("limit", 0), "spec.resources.gpu.limit", allow_negative=True)
    weight = ctx.quantity(gpu.get("overQuotaWeight", 1), "spec.resources.gpu.overQuotaWeight")
    for name, v in (("quota", quota), ("limit", limit)):
        if v < 0 and v != -1:
            raise ctx.error(f"spec.resources.gpu.{name}", f"must be -1 (unlimited) or not "
                            f"negative (got {v:g})")
    if quota == -1:
        ctx.unsupported("spec.resources.gpu.quota", "-1 (unlimited quota) is read as no "
                        "guaranteed quota with no limit")
        quota, limit = 0.0, -1.0
    if 0 < limit < quota:
        raise ctx.error("spec.resources.gpu.limit", f"{limit:g} is below the quota {quota:g}")
    prio = spec.get("priority")
    if prio is not None:
        ctx.unsupported("spec.priority", "orders over-quota shares in kai_fair_shares; the "
                        "admission engine orders by fair-sharing weight only")
    return KaiQueue(ctx.name, ctx.string(spec.get("parentQueue"), "spec.parentQueue"),
                    0 if prio is None else ctx.integer(prio, "spec.priority"), quota, limit,
                    weight, labels_of(ctx, meta, "labels"), ctx.file,
                    labels_of(ctx, meta, "annotations"))


def kai_to_tree(m: Manifests) -> None:
    """Add the KAI queues to ``m`` as ClusterQueues (leaves) and Cohorts (parents)."""
    qs = m.kai_queues
    children: dict[str, list[str]] = {}
    for q in qs.values():
        if q.parent is not None:
            if q.parent not in qs:
                raise Ctx(q.source, "Queue", q.name, m.unsupported).error(
                    "spec.parentQueue", f"Queue {q.parent!r} is not defined")
            children.setdefault(q.parent, []).append(q.name)
    fr = (KAI_FLAVOR, KAI_GPU)
    m.cohorts.setdefault(KAI_ROOT, Cohort(KAI_ROOT, declared=False))
    m.fair_sharing = True
    for q in qs.values():
        parent = q.parent or KAI_ROOT
        borrow = None if q.gpu_limit < 0 else max(0.0, q.gpu_limit - q.gpu_quota)
        if q.name in children:
            own = q.gpu_quota - sum(qs[c].gpu_quota for c in children[q.name])
            m.cohorts[q.name] = Cohort(q.name, parent, {fr: Quota(max(0.0, own), borrow)},
                                       q.gpu_weight, q.labels, q.source)
            continue
        m.cluster_queues[q.name] = ClusterQueue(
            name=q.name, cohort=parent, groups=(ResourceGroup((KAI_GPU,), (KAI_FLAVOR,)),),
            quotas={fr: Quota(q.gpu_quota, borrow)},
            preemption=Preemption("LowerPriority", "Any"), weight=q.gpu_weight,
            labels=q.labels, source=q.source, annotations=q.annotations)


def kai_fair_shares(queues: Sequence[KaiQueue], requests: Mapping[str, float],
                    total: float) -> dict[str, float]:
    """Fair share of each queue (docs/fairness/README.md): at each level, every queue first
    gets min(quota, request); what is left goes to the highest over-quota priority first,
    split by overQuotaWeight and capped by each queue's remaining request and limit; a
    parent's share is divided among its children the same way."""
    kids: dict[str | None, list[KaiQueue]] = {}
    for q in queues:
        kids.setdefault(q.parent, []).append(q)

    def demand(q: KaiQueue) -> float:
        d = (sum(demand(c) for c in kids[q.name]) if q.name in kids
             else requests.get(q.name, 0.0))
        return d if q.gpu_limit < 0 else min(d, max(q.gpu_limit, q.gpu_quota))

    out: dict[str, float] = {}

    def divide(level: list[KaiQueue], amount: float) -> None:
        want = {q.name: demand(q) for q in level}
        share = {q.name: min(q.gpu_quota, want[q.name]) for q in level}
        left = amount - sum(share.values())
        for prio in sorted({q.priority for q in level}, reverse=True):
            group = [q for q in level if q.priority == prio]
            while left > 1e-9:
                hungry = [q for q in group if want[q.name] - share[q.name] > 1e-9
                          and q.gpu_weight > 0]
                if not hungry:
                    break
                wsum = sum(q.gpu_weight for q in hungry)
                given = 0.0
                for q in hungry:
                    give = min(left * q.gpu_weight / wsum, want[q.name] - share[q.name])
                    share[q.name] += give
                    given += give
                left -= given
        for q in level:
            out[q.name] = share[q.name]
            if q.name in kids:
                divide(kids[q.name], share[q.name])

    divide(kids.get(None, []), total)
    return out
