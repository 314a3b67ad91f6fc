"""An exact upper bound checked before a preemption search (rule A8: speed only, the engine
decides the same with or without it).

A search (classic or fair sharing, src/aifab/sched/_preempt.py) only ever removes
candidates (P1, P2) from the quota tree, and removing usage never lowers what a ClusterQueue
can still use (every node's usage only goes down, and what a node may use only falls with
usage). So if the preemptor does not fit even when every workload the search could possibly
take is removed, the search finds nothing, and it is not run. The workloads it could take:

- of its own ClusterQueue, those withinClusterQueue allows (LowerPriority: lower priority;
  LowerOrNewerEqualPriority: lower or equal: the "newer" test is left out, which only
  removes more);
- of another ClusterQueue under the same root cohort, those reclaimWithinCohort allows
  (Any: all; LowerPriority: lower priority), and only
  - classic preemption (P3-P5): if that ClusterQueue borrows on one of the preemptor's
    flavor-resources now (a search takes others' workloads only from queues that borrow,
    and a queue stops borrowing only as usage goes down);
  - fair sharing (F3, F7): if it borrows on one of the preemptor's flavor-resources now
    (as for classic) and the share of its side (the child of the two queues' lowest common
    cohort on its path) is above 0 now and not below a lower bound of the preemptor side's
    share after admission. Both strategies take a workload only when the preemptor side's
    share with the workload admitted is at most the target side's share at that moment,
    and shares only fall as usage is removed: the target side's share is at most its share
    now, and the preemptor side's share is at least its share with the preemptor added
    and every workload the search could take below it removed (its usage falls by at most
    what is removed below it).

With fair sharing (rule A23) the bound is tighter, still exact: a queue of another side
counts only while every node from its side down to it borrows on one of the preemptor's
flavor-resources now (F9 passes over the others, and borrowing only stops as usage falls);
and what leaves a target side is at most what can leave it while its share stays at least
the preemptor side's lower bound (every take needs the side's share, just before it, above
0 and at least the preemptor side's share then) plus one take (the last, which may cross
it: at most the side's largest candidate). That amount is removed at the side's node, which
lowers every node above it at least as much as the same removed at queues below it.

Usage is summed per flavor-resource, ClusterQueue and priority as workloads are admitted
and released, so the bound costs a few operations per ClusterQueue holding the
preemptor's flavor-resources, not per workload. The sums are floats: the amounts removed
are enlarged by a relative 1e-9 (and 1e-6 absolute), which can only remove more.
"""

from __future__ import annotations

from collections.abc import Mapping

from aifab.sched import _equal, _quota
from aifab.sched._model import FR, ClusterQueue
from aifab.sched._preempt import _side
from aifab.sched._quota import EPS, Borrows, Node, QuotaTree, carried, holding, leaves, lending
from aifab.sched._usage import (
    Usage,
    _big,
    _elig,
    _eligible,
    _grow,
    _Level,
    _limits,
    _Side,
    _taken,
)

__all__ = ["Usage", "hopeless"]

_Sides = dict[int, _Side]


def hopeless(u: Usage, tree: QuotaTree, cq: ClusterQueue, prio: int, req: Mapping[FR, float],
             fair: bool, within_nominal: bool = True, why: dict[FR, float] | None = None,
             lows: dict[int, float] | None = None,
             leaves: dict[int, dict[FR, float]] | None = None) -> bool:
    """Whether a search for targets of a workload of priority ``prio`` asking ``req`` in
    ``cq`` is sure to find nothing (see the module docstring). ``within_nominal``: Kueue's
    FairSharingPreemptWithinNominal gate (F8): a preemptor whose queue stays within its
    nominal quota with ``req`` takes from borrowing queues without comparing shares.
    ``why`` (fair sharing, A40): filled, when hopeless, with what ``req`` is short of per
    flavor-resource after every removal counted; ``lows`` (A42): with the least shares of
    the preemptor's sides that the side walk compared; ``leaves`` (A54): with what was
    counted leaving each target side, per side node."""
    frs = list(req)
    if not fair:
        take: dict[str, dict[FR, float]] = {}  # per ClusterQueue, what the search may remove
        for fr in req:
            for name, v in _eligible(u, False, tree, cq, prio, fr).items():
                take.setdefault(name, {})[fr] = v
        for name in [n for n in take if n != cq.name]:
            if not tree.borrowing(tree.cqs[name], frs):
                del take[name]
        return not _fits_after(tree, cq.name, req, [
            (tree.cqs[name], fr, v) for name, t in take.items() for fr, v in t.items()])
    lim_w, lim = _limits(cq, prio)
    me = tree.cqs[cq.name]
    # removed at its own queue, then at each target side's node
    out = [(me, fr, v) for fr in req if (v := _elig(u, False, fr, cq.name, lim_w)) > 0] \
        if lim_w is not None else []
    if lim is not None:  # (reclaimWithinCohort Never: no other queue's workloads)
        low: dict[int, float] = {}  # per preemptor side: its least share after any search
        # A23: per target side, the preemptor's side, what may leave it (per
        # flavor-resource), whether it is taken from without comparing shares (F8), and its
        # queues taken from
        sides: _Sides = {}
        (_by_side if SIDES else _by_queue)(u, tree, cq, prio, req, within_nominal, low, sides)
        for e in sides.values():
            gone = _leaving(u, tree, e, low, lim, req)
            out += [(e[0], fr, v) for fr, v in gone.items()]
            if leaves is not None:
                leaves[id(e[0])] = gone
        if lows is not None:
            lows.update(low)
    return not _fits_after(tree, cq.name, req, out, why)


def _leaving(u: Usage, tree: QuotaTree, e: _Side, low: dict[int, float], lim: int,
             req: Mapping[FR, float]) -> dict[FR, float]:
    """What may leave a target side (an entry of ``_Sides``) in any search, per
    flavor-resource: what its queues' workloads a search may take use, capped (A23) unless
    its preemptor side takes without comparing shares (F8); A47: for a request on one
    flavor-resource, capped by what the side borrows of it."""
    theirs, mine, gone, within, names = e
    one = next(iter(req)) if len(req) == 1 and F9CAP else None
    if within and one is None:
        return gone
    out = {}
    for fr, v in gone.items():
        c = None if within else _cap(tree, theirs, fr, low[id(mine)])
        if c is None and fr == one:
            # A47: F9 takes from the side only while it borrows on ``fr``: what leaves it
            # before the last take is less than what it uses beyond its subtree quota now
            c = max(0.0, theirs.usage.get(fr, 0.0) - theirs.subtree.get(fr, 0.0))
        out[fr] = v if c is None else min(v, _grow(c + _big(u, theirs, names, fr, lim)))
    return out


F9CAP = True  # A47 (False: no cap from F9, tests)


SIDES = True  # A24: walk the target sides, then their queues (False: every queue, tests)


NODES = True  # A32: a node's borrowing and share kept with its version (False: tests)
LEVELS = True  # A30: a walk's lower levels kept while nothing below moved (False: tests)


def _by_side(u: Usage, tree: QuotaTree, cq: ClusterQueue, prio: int, req: Mapping[FR, float],
             within_nominal: bool, low: dict[int, float], sides: _Sides) -> None:
    """A24: the target sides and their queues a search may take from, side first: the
    children, off the preemptor's path, of each cohort on it, the lowest cohort first
    (A28: a preemptor side's least share reads what may leave the sides below it). A side
    that does not borrow on ``req``'s flavor-resources, or whose share rules it out, is
    passed over without reading its queues (each of its queues would be, A23). The same
    sides and queues as ``_by_queue``. A30: what the walk found from a cohort down (its
    sides, least shares and what may leave them) reads only the usage and admitted
    workloads below that cohort; it is kept per request with the cohort's version, which
    the engine moves at every admission, release and reservation below it, and taken up
    again from the highest cohort on the path that has not moved."""
    me = tree.cqs[cq.name]
    lim = _limits(cq, prio)[1]
    if lim is None:  # reclaimWithinCohort Never: no other queue's workloads
        return
    borrows = Borrows(tree, list(req))
    path = me.path()
    deeper: dict[FR, float] = {}  # A28: what may leave the sides below the cohort walked
    top = len(path) - 1  # the lowest cohort walked last (none yet)
    kept: list[_Level | None] | None = None
    if LEVELS:
        key = (cq.name, prio, tuple(sorted(req.items())), within_nominal)
        kept = u.levels.get(key)
        if kept is None:
            if len(u.levels) > 10_000:
                u.levels.clear()
            kept = u.levels[key] = [None] * (len(path) - 1)
        for k, lv in enumerate(kept):
            if lv is not None and lv[0] == path[k].ver:
                for e in lv[1]:
                    sides[id(e[0])] = e
                low.update(lv[2])
                deeper, top = dict(lv[3]), k
                break
    for k in range(top - 1, -1, -1):
        mine = path[k + 1]
        within = within_nominal and _within(tree, me, mine, req)
        level = []
        for theirs in holding(path[k], req):
            if theirs is mine:
                continue
            over, share = _node(u, tree, theirs)
            if over.isdisjoint(req):  # F9 at the side's own node
                continue
            if not within and _short(u, tree, cq, prio, req, mine, share, low, deeper):
                continue  # (F8: a side within its quota takes without comparing shares)
            gone, names = _taken(u, theirs, req, lim, borrows)
            if names and not within and _equal.level(
                    u, tree, theirs, req, names, share, low[id(mine)], cq if mine is me else None,
                    prio):
                continue  # (A53)
            if names:
                e = sides[id(theirs)] = (theirs, mine, gone, within, names)
                level.append(e)
        _deeper(u, tree, level, low, lim, deeper, req)
        if kept is not None:
            kept[k] = (path[k].ver, list(sides.values()), dict(low), dict(deeper))


def _node(u: Usage, tree: QuotaTree, n: Node) -> tuple[frozenset[FR], float]:
    """A32: the flavor-resources on which ``n`` uses more than its subtree quota
    (``QuotaTree.borrowing``) and its share, kept with its version (A30; the bound reads
    the engine's state between its changes, never a search's)."""
    hit = u.nodes.get(id(n)) if NODES else None
    if hit is not None and hit[0] is n and hit[1] == n.ver:
        return hit[2], hit[3]
    use, sub = n.usage, n.subtree
    over = frozenset(fr for fr in use.keys() | sub.keys()
                     if use.get(fr, 0.0) > sub.get(fr, 0.0) + EPS)
    out = over, tree.share(n)
    if len(u.nodes) > 100_000:
        u.nodes.clear()
    u.nodes[id(n)] = (n, n.ver, *out)
    return out


def _deeper(u: Usage, tree: QuotaTree, level: list[_Side], low: dict[int, float], lim: int,
            deeper: dict[FR, float], req: Mapping[FR, float]) -> None:
    """Add to ``deeper`` what may leave the target sides of one cohort (A28)."""
    for e in level:
        for fr, v in _leaving(u, tree, e, low, lim, req).items():
            deeper[fr] = deeper.get(fr, 0.0) + v


def _by_queue(u: Usage, tree: QuotaTree, cq: ClusterQueue, prio: int, req: Mapping[FR, float],
              within_nominal: bool, low: dict[int, float], sides: _Sides) -> None:
    """A23: the target sides and their queues a search may take from, queue by queue (every
    queue with usage it may take; tests compare ``_by_side`` with it): the queues grouped
    by side, then the sides' tests, the lowest cohort first (A28)."""
    me = tree.cqs[cq.name]
    lim = _limits(cq, prio)[1]
    if lim is None:
        return
    take: dict[str, dict[FR, float]] = {}
    for fr in req:
        for name, v in _eligible(u, False, tree, cq, prio, fr).items():
            if name != cq.name:
                take.setdefault(name, {})[fr] = v
    borrows = Borrows(tree, list(req))
    found: dict[int, tuple[Node, Node, dict[FR, float], list[str]]] = {}
    for name, t in take.items():
        other = tree.cqs[name]
        mine, theirs = _side(me, other)
        # F7, F9: taken from only while every node from its side down to it borrows on a
        # flavor-resource the preemptor needs
        if not borrows(theirs) or not borrows.below(theirs, other):
            continue
        f = found.setdefault(id(theirs), (theirs, mine, {}, []))
        for fr, v in t.items():
            f[2][fr] = f[2].get(fr, 0.0) + v
        f[3].append(name)
    deeper: dict[FR, float] = {}
    for depth in sorted({len(f[1].path()) for f in found.values()}, reverse=True):
        level = []
        for theirs, mine, gone, names in found.values():
            if len(mine.path()) != depth:
                continue
            within = within_nominal and _within(tree, me, mine, req)
            now = tree.share(theirs)
            if not within and (_short(u, tree, cq, prio, req, mine, now, low, deeper) or
                               _equal.level(u, tree, theirs, req, names, now, low[id(mine)],
                                            cq if mine is me else None, prio)):
                continue
            e = sides[id(theirs)] = (theirs, mine, gone, within, names)
            level.append(e)
        _deeper(u, tree, level, low, lim, deeper, req)


def _short(u: Usage, tree: QuotaTree, cq: ClusterQueue, prio: int, req: Mapping[FR, float],
           mine: Node, now: float, low: dict[int, float], deeper: Mapping[FR, float]) -> bool:
    """Whether a target side whose share is ``now`` is never taken from by a preemptor on
    side ``mine``: both strategies need its share above 0 and at least the preemptor
    side's, which is at least ``low`` (its lower bound, computed once per side, A8, A28;
    ``deeper``: what may leave the target sides below ``mine``)."""
    if now <= 0:
        return True
    if id(mine) not in low:
        low[id(mine)] = _mine_low(u, tree, cq, prio, mine, req, deeper)
    return low[id(mine)] > now


def _within(tree: QuotaTree, me: Node, mine: Node, req: Mapping[FR, float]) -> bool:
    """Whether the preemptor's side ``mine`` stays within its quota with ``req`` added at
    ``me`` (F8; what the search reads before it removes anything)."""
    return _quota.within(mine, carried(me, mine, req), req)


def _mine_low(u: Usage, tree: QuotaTree, cq: ClusterQueue, prio: int, mine: Node,
              req: Mapping[FR, float], deeper: Mapping[FR, float]) -> float:
    """A lower bound of ``mine``'s share with ``req`` added after any search: per
    flavor-resource, its usage less all that may leave below it. Of ``req``'s
    flavor-resources (A28) that is what the preemptor's own queue may give up and what may
    leave the target sides below ``mine`` (``deeper``: the sides of the cohorts below it on
    the preemptor's path; a search takes from no other queue below ``mine``); of the
    others, what every workload the search may take below it uses (a candidate uses one of
    ``req``'s flavor-resources: only workloads using several flavor-resources can remove
    usage of the others)."""
    # what of ``req`` reaches ``mine``: at least all but what the nodes below it keep back
    # (lendingLimit), however much of that is unused (F8: the request is added at its queue)
    path = tree.cqs[cq.name].path()
    below = path[path.index(mine) + 1:]
    extra = {fr: max(0.0, v - sum(n.guaranteed(fr) for n in below)) if below else v
             for fr, v in req.items()}
    own, other = _limits(cq, prio)
    for fr in set(mine.usage) | set(req):
        if fr in req:
            gone = deeper.get(fr, 0.0) + (
                _elig(u, False, fr, cq.name, own) if own is not None else 0.0)
        else:
            gone = 0.0
            if u.multi.get(fr):  # (else no workload on several: nothing to take)
                for q in leaves(mine):  # what ``_eligible`` gives each queue below ``mine``
                    lim = own if q.name == cq.name else other
                    if lim is not None:
                        gone += _elig(u, True, fr, q.name, lim)
        extra[fr] = extra.get(fr, 0.0) - gone
    return tree.share(mine, extra)


def _cap(tree: QuotaTree, n: Node, fr: FR, low: float) -> float | None:
    """A23: the most of ``fr`` that can leave target side ``n`` before the last take from
    it, when every take needs the side's share above 0 and at least ``low`` just before it
    (both strategies, F3; a share only falls as usage leaves). None when no such limit
    follows from the share: ``fr`` does not count in it (not in the side's quota, zero
    weight, nothing to lend), or what the side borrows of another resource, or of another
    flavor of ``fr``'s resource, could hold the share up alone (taken at its value now,
    which only falls)."""
    if n.weight == 0 or n.parent is None or fr not in n.subtree:
        return None
    lend = lending(tree, n.parent)
    r0 = fr[1]
    if lend.get(r0, 0.0) <= 0:
        return None
    borrowed: dict[str, float] = {}  # per resource, on flavor-resources other than ``fr``
    for f, sub in n.subtree.items():
        b = n.usage.get(f, 0.0) - sub
        if b > EPS and f != fr:
            borrowed[f[1]] = borrowed.get(f[1], 0.0) + b
    for r, b in borrowed.items():
        if r != r0 and lend.get(r, 0.0) > 0 and b * 1000.0 / lend[r] / n.weight >= low:
            return None
    other = borrowed.get(r0, 0.0)
    need = low * n.weight * lend[r0] / 1000.0  # borrowed of ``r0`` that holds ``low``
    if other > 0 if low <= 0 else other >= need:
        return None
    return max(0.0, n.usage.get(fr, 0.0) - n.subtree[fr] - max(0.0, need - other))


def _fits_after(tree: QuotaTree, cq: str, req: Mapping[FR, float],
                gone: list[tuple[Node, FR, float]], why: dict[FR, float] | None = None
                ) -> bool:
    """Whether ``req`` fits at ``cq`` with each (node, flavor-resource, amount) of ``gone``
    removed at that node, in order (the saved values are put back; a key that was absent
    is dropped again). Removing an amount at a target side's node lowers every node above
    it at least as much as removing it, or less, at queues below it (Q: ``remove`` carries
    up what the node used beyond its kept-back quota)."""
    saved: dict[tuple[int, FR], tuple[Node, FR, float | None]] = {}
    for start, fr, _ in gone:
        for n in start.path():
            if (id(n), fr) not in saved:
                saved[(id(n), fr)] = (n, fr, n.usage.get(fr))
    try:
        for n, fr, v in gone:
            tree.remove(n, fr, v)
        ok = tree.fits(cq, req)
        if not ok and why is not None:  # (A40: the shortfall with everything removed)
            why.update({fr: v - tree.available(tree.cqs[cq], fr) for fr, v in req.items()})
        return ok
    finally:
        for n, fr, old in saved.values():
            if old is None:
                n.usage.pop(fr, None)
            else:
                n.usage[fr] = old
