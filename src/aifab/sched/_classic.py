"""Classic preemption (rules P3-P6, P7-P9): the targets Kueue's classical candidate
generator chooses, flat and hierarchical cohorts alike.

Written from kubernetes-sigs/kueue pkg/scheduler/preemption/classical/
hierarchical_preemption.go (collectCandidatesForHierarchicalReclaim,
collectCandidatesInSubtree, classifyPreemptionVariant), candidate_generator.go
(NewCandidateIterator, candidateIsValid) and preemption.go (classicalPreemptions,
fillBackWorkloads, workloadFits, queueUnderNominalInResourcesNeedingPreemption) at
v0.19.2 (8eab687) and ff69552 (the same there): read, re-implemented, not copied. See
docs/sched.md for each rule.

- Candidates of another ClusterQueue are sorted into *hierarchy* candidates (the preemptor
  has a hierarchical advantage at their lowest common cohort: its request fits within the
  quota of its own queue, or of a cohort below that one, on the path) and *priority*
  candidates (the rest). Only priority candidates are subject to borrowWithinCohort and
  its maxPriorityThreshold; hierarchy candidates may be taken while the preemptor borrows.
- Order: hierarchy candidates, then priority candidates, then the preemptor's own queue's,
  each by lowest priority, then most recent admission (P5).
- A candidate of another queue is taken only while its queue, and every cohort between it
  and the lowest common cohort, uses more than its quota on a needed flavor-resource.
- One or two greedy passes (with and without borrowing allowed, P6), then minimised.
"""

from __future__ import annotations

from dataclasses import dataclass

from aifab.sched._assign import Assignment
from aifab.sched._model import FR, ClusterQueue
from aifab.sched._preempt import Admitted, _minimize, _restore, _side, _snap, candidates
from aifab.sched._quota import EPS, Node, QuotaTree
from aifab.sched._workload import Workload

# Kueue's preemption variants of a candidate of another ClusterQueue
WITHOUT_BORROWING, WHILE_BORROWING, HIERARCHY = 0, 1, 2


@dataclass(frozen=True)
class _Cand:
    a: Admitted
    variant: int  # for other queues' candidates; the own queue's: HIERARCHY (always valid)
    below: tuple[Node, ...]  # nodes from the child of the lowest common cohort to its queue


def fits_in_quota(n: Node, req: dict[FR, float]) -> bool:
    """Kueue's QuantitiesFitInQuota: ``req`` added to ``n``'s usage stays within its
    subtree quota on every flavor-resource."""
    return all(n.usage.get(fr, 0.0) + v <= n.subtree.get(fr, 0.0) + EPS
               for fr, v in req.items())


def advantage(me: Node, req: dict[FR, float]) -> dict[int, bool]:
    """Per cohort on ``me``'s path (by id), whether a preemptor asking ``req`` in ClusterQueue
    ``me`` has a hierarchical advantage over the candidates whose lowest common cohort with
    ``me`` is that cohort: its request, less what each node below keeps back unused
    (lendingLimit), fits within the quota of ``me`` or of a cohort below that one."""
    adv = fits_in_quota(me, req)
    rem = {fr: max(0.0, v - me.local_free(fr)) for fr, v in req.items()}
    out: dict[int, bool] = {}
    for n in reversed(me.path()[:-1]):  # parent to root
        out[id(n)] = adv
        adv = adv or fits_in_quota(n, rem)
        rem = {fr: max(0.0, v - n.local_free(fr)) for fr, v in rem.items()}
    return out


def _variant(cq: ClusterQueue, wl: Workload, a: Admitted, adv: bool) -> int:
    """Kueue's classifyPreemptionVariant for another queue's candidate (the reclaim policy
    already holds, P2)."""
    if adv:
        return HIERARCHY
    pre = cq.preemption
    if pre.borrow_within_cohort == "Never":
        return WITHOUT_BORROWING
    thr = pre.max_priority_threshold
    p = a.wl.priority
    if p >= wl.priority or (thr is not None and p > thr):
        return WITHOUT_BORROWING
    return WHILE_BORROWING


def collect(tree: QuotaTree, cq: ClusterQueue, wl: Workload, asg: Assignment,
            admitted: list[Admitted], ordered: bool = False, spare: str | None = None
            ) -> tuple[list[_Cand], list[_Cand], list[_Cand]]:
    """Hierarchy, priority and own-queue candidates (P7), each in P5's order. Another
    queue's workloads are collected only when that queue and the cohorts between it and
    the lowest common cohort borrow on a needed flavor-resource now; ``spare``: the
    workload that preempted ``wl`` from another queue (P10), never a candidate."""
    me = tree.cqs[cq.name]
    frs = list(asg.usage)
    adv = advantage(me, asg.usage) if me.parent is not None else {}
    info: dict[str, tuple[bool, tuple[Node, ...]] | None] = {}
    hier: list[_Cand] = []
    prio: list[_Cand] = []
    same: list[_Cand] = []
    for a in candidates(cq, wl, asg, admitted, tree, ordered):
        if a.cq == cq.name:
            same.append(_Cand(a, HIERARCHY, ()))
            continue
        if a.wl.name == spare:
            continue
        if a.cq not in info:
            other = tree.cqs[a.cq]
            theirs = _side(me, other)[1]
            path = other.path()
            below = tuple(path[path.index(theirs):])
            lca = theirs.parent
            info[a.cq] = None if lca is None or not all(
                tree.borrowing(n, frs) for n in below) else (adv[id(lca)], below)
        got = info[a.cq]
        if got is None:
            continue
        v = _variant(cq, wl, a, got[0])
        (hier if v == HIERARCHY else prio).append(_Cand(a, v, got[1]))
    return hier, prio, same


def _under_nominal(me: Node, frs: list[FR]) -> bool:
    """Kueue's queueUnderNominalInResourcesNeedingPreemption: the queue's usage now (without
    the request) is below its nominal quota on every needed flavor-resource."""
    return all(me.usage.get(fr, 0.0) + EPS < me.subtree.get(fr, 0.0) for fr in frs)


def classic_targets(tree: QuotaTree, cq: ClusterQueue, wl: Workload, asg: Assignment,
                    admitted: list[Admitted], ordered: bool = False,
                    spare: str | None = None) -> list[Admitted] | None:
    """Classic preemption (P3-P10): greedy passes over the candidates, with and without
    borrowing allowed, in the order Kueue's classicalPreemptions tries them."""
    hier, prio, same = collect(tree, cq, wl, asg, admitted, ordered, spare)
    if not (hier or prio or same):
        return None
    req, frs = asg.usage, list(asg.usage)
    forbidden = cq.preemption.borrow_within_cohort == "Never"
    if not (hier or prio) or (forbidden and not _under_nominal(tree.cqs[cq.name], frs)):
        attempts: tuple[bool, ...] = (True,)
    elif forbidden and not hier:
        attempts = (False, True)
    else:
        attempts = (True, False)
    order = hier + prio + same
    snap = _snap(tree, cq.name, [c.a for c in order])
    for borrow in attempts:
        def fits(borrow: bool = borrow) -> bool:
            return tree.fits(cq.name, req, borrow=borrow)

        targets: list[Admitted] = []
        for c in order:
            a = c.a
            if a.cq != cq.name and ((borrow and c.variant == WITHOUT_BORROWING) or not all(
                    tree.borrowing(n, frs) for n in c.below)):
                continue  # Kueue's candidateIsValid, read at the candidate's turn
            tree.add_all(a.cq, a.usage, -1)
            targets.append(a)
            if fits():
                out = _minimize(tree, targets, fits)
                _restore(snap)
                return out
        _restore(snap)
    return None
