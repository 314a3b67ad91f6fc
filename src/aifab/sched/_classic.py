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

from collections.abc import Callable

from aifab.sched._assign import Assignment
from aifab.sched._model import FR, ClusterQueue
from aifab.sched._preempt import Admitted, _minimize, _restore, _side, _snap
from aifab.sched._quota import EPS, Node, QuotaTree
from aifab.sched._workload import Workload

# Kueue's preemption variants of a candidate of another ClusterQueue
WITHOUT_BORROWING, WHILE_BORROWING, HIERARCHY = 0, 1, 2


# a candidate: the workload, its variant (the own queue's: HIERARCHY, always valid) and the
# nodes from the child of the lowest common cohort down to its queue (P3's test)
_Cand = tuple[Admitted, int, tuple[Node, ...]]


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


def collect(tree: QuotaTree, cq: ClusterQueue, wl: Workload, asg: Assignment,
            admitted: list[Admitted], ordered: bool = False, spare: str | None = None
            ) -> tuple[list[_Cand], list[_Cand], list[_Cand]]:
    """Hierarchy, priority and own-queue candidates (P1, P2, P7), each in P5's order
    (``ordered``: ``admitted`` holds only workloads on the request's flavor-resources, by
    priority, then most recent admission, A9). Another queue's workloads are collected only
    when that queue and the cohorts between it and the lowest common cohort borrow on a
    needed flavor-resource now; ``spare``: the workload that preempted ``wl`` from another
    queue (P10), never a candidate. Variants as Kueue's classifyPreemptionVariant: a
    hierarchical advantage at the lowest common cohort makes a hierarchy candidate;
    otherwise one of lower priority than ``wl`` and not above maxPriorityThreshold may be
    taken while borrowing when borrowWithinCohort allows it, any other only without."""
    me = tree.cqs[cq.name]
    frs = list(asg.usage)
    name, prio, created = cq.name, wl.priority, wl.created
    pre = cq.preemption
    within, reclaim = pre.within_cluster_queue, pre.reclaim_within_cohort
    forbidden, thr = pre.borrow_within_cohort == "Never", pre.max_priority_threshold
    others = reclaim != "Never" and me.parent is not None
    adv = advantage(me, asg.usage) if others else {}
    info: dict[str, tuple[bool, tuple[Node, ...]] | None] = {}
    hier: list[_Cand] = []
    low: list[_Cand] = []
    same: list[_Cand] = []
    if not ordered:
        keys = asg.usage.keys()
        admitted = sorted((a for a in admitted if not keys.isdisjoint(a.usage)),
                          key=lambda a: (a.wl.priority, -a.at))
    for a in admitted:
        p = a.wl.priority
        if a.cq == name:  # withinClusterQueue (P1)
            if within != "Never" and (p < prio or (
                    within == "LowerOrNewerEqualPriority" and p == prio
                    and a.wl.created > created)):
                same.append((a, HIERARCHY, ()))
            continue
        if not others or (reclaim != "Any" and p >= prio) or a.wl.name == spare:
            continue  # reclaimWithinCohort (P2), P10
        if a.cq in info:
            got = info[a.cq]
        else:
            other = tree.cqs[a.cq]
            theirs = _side(me, other)[1]
            path = other.path()
            below = tuple(path[path.index(theirs):])
            lca = theirs.parent  # None: another root
            got = info[a.cq] = None if lca is None or not all(
                tree.borrowing(n, frs) for n in below) else (adv[id(lca)], below)
        if got is None:
            continue
        if got[0]:
            hier.append((a, HIERARCHY, got[1]))
        elif forbidden or p >= prio or (thr is not None and p > thr):
            low.append((a, WITHOUT_BORROWING, got[1]))
        else:
            low.append((a, WHILE_BORROWING, got[1]))
    return hier, low, same


def _under_nominal(me: Node, frs: list[FR]) -> bool:
    """Kueue's queueUnderNominalInResourcesNeedingPreemption: the queue's usage now (without
    the request) is below its nominal quota on every needed flavor-resource."""
    return all(me.usage.get(fr, 0.0) + EPS < me.subtree.get(fr, 0.0) for fr in frs)


def _could_fit(tree: QuotaTree, cq: str, order: list[_Cand], frs: list[FR], borrow: bool,
               fits: Callable[[], bool]) -> bool:
    """(speed, A17) Whether the preemptor fits with every candidate valid now for the pass
    removed at once: a pass takes only candidates valid at their turn, validity only ends
    as usage falls (queues stop borrowing) and removing usage never makes the preemptor fit
    less, so when this fails the pass fails (the sums are enlarged a little, as A8's, so
    float rounding cannot rule out a pass). The tree is left as it was."""
    take: dict[str, dict[FR, float]] = {}
    for a, variant, below in order:
        if a.cq != cq and ((borrow and variant == WITHOUT_BORROWING) or not all(
                tree.borrowing(n, frs) for n in below)):
            continue
        t = take.setdefault(a.cq, {})
        for fr, v in a.usage.items():
            t[fr] = t.get(fr, 0.0) + v
    snap = [(n, dict(n.usage)) for name in {cq, *take} for n in tree.cqs[name].path()]
    for name, t in take.items():  # enlarged as A8's sums are: rounding only removes more
        tree.add_all(name, {fr: v * (1 + 1e-9) + 1e-6 for fr, v in t.items()}, -1)
    ok = fits()
    for n, usage in snap:
        n.usage = usage
    return ok


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
    snap = _snap(tree, cq.name, [c[0] for c in order])
    for borrow in attempts:
        def fits(borrow: bool = borrow) -> bool:
            return tree.fits(cq.name, req, borrow=borrow)

        if not _could_fit(tree, cq.name, order, frs, borrow, fits):
            continue
        targets: list[Admitted] = []
        for a, variant, below in order:
            if a.cq != cq.name and ((borrow and variant == WITHOUT_BORROWING) or not all(
                    tree.borrowing(n, frs) for n in below)):
                continue  # Kueue's candidateIsValid, read at the candidate's turn
            tree.add_all(a.cq, a.usage, -1)
            targets.append(a)
            if fits():
                out = _minimize(tree, targets, fits)
                _restore(snap)
                return out
        _restore(snap)
    return None
