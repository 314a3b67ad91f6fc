"""Rule A53 (docs/sched.md; speed only): a target side of A8's bound whose share equals the
preemptor side's least share, passed over when every take from it lowers its share; A58:
the least share of the preemptor's own ClusterQueue compared without A8's float margin."""

from __future__ import annotations

from collections.abc import Mapping

from aifab.sched._model import FR, ClusterQueue
from aifab.sched._quota import EPS, Node, QuotaTree, lending
from aifab.sched._usage import Usage, _limits

EQUAL = True  # A53 (False: a side whose share equals the least share is counted, tests)
EXACT = True  # A58 (False: only the least share with A8's margin, tests)


def level(u: Usage, tree: QuotaTree, d: Node, req: Mapping[FR, float], names: list[str],
          now: float, least: float, own: ClusterQueue | None = None, prio: int = 0) -> bool:
    """A53: whether target side ``d``, whose share ``now`` equals the preemptor side's
    least share ``least`` (at most that side's share throughout the search), is never
    taken from, as every take from it lowers its share: a request on one flavor-resource,
    which the side borrows on, and on no other resource (one resource sets its share); a
    positive weight, and a parent that lends the resource; no node below the side keeps
    quota of the flavor-resource back (lendingLimit), so a removal at a queue below reaches
    the side whole; and the side borrows at least one of the flavor-resource and every
    workload of its queues uses a whole number of at least one (all below 2**40), so a
    take lowers its borrowing by at least one and the share's float falls too. Shares
    only fall as a search removes usage, and the side is off the preemptor's path, so at
    each take the side's share before it is at most ``least``: LessThanInitialShare (the preemptor's
    share below the target's before the take) never holds, nor, as the take lowers it,
    LessThanOrEqualToFinalShare (at most the target's after it). ``own`` (A58): the
    preemptor's ClusterQueue (its priority ``prio``) when the preemptor's side is that
    queue: the side is also passed over when ``now`` is above ``least`` but at most the
    least share computed without A8's margin (``own_least``)."""
    if not EQUAL or len(req) != 1 or d.weight <= 0 or d.parent is None:
        return False
    if now != least:
        if own is None or not EXACT or now < least:
            return False
        exact = own_least(u, tree, own, prio, req)
        if exact is None or now > exact:
            return False
    ((fr, _),) = req.items()
    r0 = fr[1]
    if not 1.0 <= d.usage.get(fr, 0.0) - d.subtree.get(fr, 0.0) < 2.0 ** 40:
        return False
    if any(f[1] != r0 and d.usage.get(f, 0.0) - sub > EPS for f, sub in d.subtree.items()):
        return False
    if lending(tree, d.parent).get(r0, 0.0) <= 0:
        return False
    key = (id(d), fr)
    hit = _UNKEPT.get(key)
    if hit is None or hit[0] is not d:
        hit = _UNKEPT[key] = (d, _unkept(d, fr))
    if not hit[1]:
        return False
    sizes = u.sizes.get(fr, {})
    return all(v >= 1.0 and _whole(v) for q in names for by in sizes.get(q, {}).values()
               for v in by)


def _unkept(d: Node, fr: FR) -> bool:
    """Whether no node below ``d`` keeps back quota of ``fr`` (quotas never change)."""
    return all(c.guaranteed(fr) <= 0 and _unkept(c, fr) for c in d.children)


_UNKEPT: dict[tuple[int, FR], tuple[Node, bool]] = {}


def own_least(u: Usage, tree: QuotaTree, cq: ClusterQueue, prio: int,
              req: Mapping[FR, float]) -> float | None:
    """A58: the least share of the preemptor's ClusterQueue with the one-flavor-resource
    request ``req`` after any search (``_bound._mine_low`` at the queue's own level, where
    no side lies below it: its usage with ``req`` added and every workload of its own that
    a search may take removed), without the margin A8 adds to what may leave it, or None
    unless every amount it reads is a whole number below 2**40 (their float sums are then
    exact, as are the usages the search reads) and none of the queue's workloads uses
    several flavor-resources."""
    me = tree.cqs[cq.name]
    ((fr, v),) = req.items()
    if not _whole(v) or not all(_whole(x) for x in me.usage.values()):
        return None
    if any(u.multi.get(f, {}).get(cq.name) for f in me.usage):
        return None
    gone, lim = 0.0, _limits(cq, prio)[0]
    if lim is not None:
        for p, sizes in u.sizes.get(fr, {}).get(cq.name, {}).items():
            if p <= lim:
                if not all(_whole(x) for x in sizes):
                    return None
                gone += sum(x * n for x, n in sizes.items())
    return tree.share(me, {fr: v - gone})


def _whole(x: float) -> bool:
    return 0.0 <= x < 2.0 ** 40 and x == int(x)
