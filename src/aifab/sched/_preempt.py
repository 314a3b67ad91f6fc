"""Preemption: candidates (rules P1, P2), the minimisation of a target set (P6) and
fair-sharing preemption (F2-F8); classic preemption's targets are in _classic.py.

Written from Kueue's concepts/preemption.md ("Candidates", "Targets", "Fair Sharing",
"Algorithm overview"); see docs/sched.md for each rule and its reference.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from aifab.sched._assign import Assignment
from aifab.sched._model import FR, ClusterQueue
from aifab.sched._quota import Borrows, Node, QuotaTree, carried, leaves, off_path
from aifab.sched._shares import _hold, _Shares
from aifab.sched._spent import Spent
from aifab.sched._workload import Workload


@dataclass(eq=False)  # one object per admission: compared (and removed from lists) by identity
class Admitted:
    wl: Workload
    cq: str
    usage: dict[FR, float]
    at: int  # admission sequence number
    placement: dict[str, list[tuple[str, int, float]]]


def candidates(cq: ClusterQueue, wl: Workload, asg: Assignment, admitted: list[Admitted],
               tree: QuotaTree, ordered: bool = False) -> list[Admitted]:
    """Admitted workloads that use a flavor-resource the preemptor needs and that the
    ClusterQueue's policies allow to preempt (P1); other queues' first, then lowest priority,
    then most recently admitted (P2). ``ordered``: ``admitted`` is already by priority, then
    most recent admission (A9), so only other queues' are put first."""
    frs = asg.usage.keys()
    name, prio, created = cq.name, wl.priority, wl.created
    within, reclaim = cq.preemption.within_cluster_queue, cq.preemption.reclaim_within_cohort
    cqs = tree.cqs
    root = cqs[name].path()[0]
    own: list[Admitted] = []
    others: list[Admitted] = []
    for a in admitted:
        if not ordered and frs.isdisjoint(a.usage):
            continue
        p = a.wl.priority
        if a.cq == name:  # within the ClusterQueue
            if within == "Never" or not (p < prio or (
                    within == "LowerOrNewerEqualPriority" and p == prio
                    and a.wl.created > created)):
                continue
            own.append(a)
        elif reclaim == "Never" or (reclaim != "Any" and p >= prio) or \
                cqs[a.cq].path()[0] is not root:  # reclaim within the cohort
            continue
        else:
            others.append(a)
    if not ordered:
        own.sort(key=lambda a: (a.wl.priority, -a.at))
        others.sort(key=lambda a: (a.wl.priority, -a.at))
    return others + own


def _snap(tree: QuotaTree, cq: str, pool: list[Admitted]) -> list[tuple[Node, dict[FR, float]]]:
    """The usage of the nodes a search can change: those on the paths to ``cq`` and to the
    queues of ``pool`` (a search adds and removes usage only there; A9)."""
    return _snap_q(tree, {cq, *(a.cq for a in pool)})


def _snap_q(tree: QuotaTree, names: AbstractSet[str]) -> list[tuple[Node, dict[FR, float]]]:
    seen: dict[int, Node] = {}
    for name in names:
        for n in tree.cqs[name].path():
            seen[id(n)] = n
    return [(n, dict(n.usage)) for n in seen.values()]


def _restore(snap: list[tuple[Node, dict[FR, float]]]) -> None:
    for n, usage in snap:
        n.usage = dict(usage)


def _minimize(tree: QuotaTree, targets: list[Admitted], fits: Callable[[], bool],
              legal: Callable[[list[Admitted]], bool] | None = None) -> list[Admitted]:
    """Drop targets, last first, while the preemptor still fits (P6) and, with fair
    sharing, the targets left still pass a strategy (``legal``, F6)."""
    kept = list(targets)
    for t in reversed(targets):
        tree.add_all(t.cq, t.usage)
        rest = [k for k in kept if k is not t]
        if fits() and (legal is None or legal(rest)):
            kept = rest
        else:
            tree.add_all(t.cq, t.usage, -1)
    return kept


def _side(a: Node, b: Node) -> tuple[Node, Node]:
    """The children of the lowest common ancestor on the paths to ``a`` and ``b`` (kept per
    pair: the tree does not change once linked)."""
    hit = a._sides.get(id(b))
    if hit is not None and hit[0] is b:
        return hit[1], hit[2]
    pa, pb = a.path(), b.path()
    i = 0
    while i < min(len(pa), len(pb)) and pa[i] is pb[i]:
        i += 1
    out = pa[min(i, len(pa) - 1)], pb[min(i, len(pb) - 1)]
    a._sides[id(b)] = (b, *out)
    return out


def by_queue(cq: ClusterQueue, wl: Workload, pool: Mapping[str, list[Admitted]],
             tree: QuotaTree) -> dict[str, list[Admitted]]:
    """``candidates()`` grouped by ClusterQueue, from ``pool``: per ClusterQueue, its
    admitted workloads on the preemptor's flavor-resources in P2's order (lowest priority,
    then most recently admitted; A9, A19). The same workloads in the same order within
    each queue as ``candidates()`` over the merged pool: its tests read only the queue and
    the priority (and under LowerOrNewerEqualPriority, the creation time), and a list in
    P2's order holds those of lower priority as a prefix. A list may be ``pool``'s own
    (not copied): callers do not change them."""
    name, prio, created = cq.name, wl.priority, wl.created
    within, reclaim = cq.preemption.within_cluster_queue, cq.preemption.reclaim_within_cohort
    cqs = tree.cqs
    root = cqs[name].path()[0]
    out: dict[str, list[Admitted]] = {}
    for q, lst in pool.items():
        if q == name:  # within the ClusterQueue
            if within == "Never":
                continue
            i = bisect_left(lst, prio, key=_prio)
            got = lst[:i]
            if within == "LowerOrNewerEqualPriority":
                for a in lst[i:]:
                    if a.wl.priority != prio:
                        break
                    if a.wl.created > created:
                        got.append(a)
        elif reclaim == "Never" or cqs[q].path()[0] is not root:
            continue
        else:
            got = lst[:bisect_left(lst, prio, key=_prio)] if reclaim != "Any" else lst
        if got:
            out[q] = got
    return out


def _prio(a: Admitted) -> int:
    return a.wl.priority


CAPPED = True  # A26: a LessThanOrEqualToFinalShare pass drops a queue whose side's share
# is already below the preemptor side's (False: tries each candidate, tests)
PASS_SIDES = True  # A25: a search reads only queues of sides that borrow (False: all, tests)


def _borrowing(tree: QuotaTree, me: Node, frs: list[FR], pool: Mapping[str, list[Admitted]]
               ) -> dict[str, list[Admitted]]:
    """A25: of ``pool`` (per ClusterQueue), the preemptor's own queue and the queues whose
    every node from their side (the child, off the preemptor's path, of a cohort on it) down
    borrows on one of ``frs`` now; found side first, so a side that does not borrow is
    passed over without reading its queues. A search passes over every other queue at its
    pick without taking from it (F9: borrowing only stops as usage falls, and the
    preemptor's request is added on its own path, never below a side), and a pick that
    passes over a queue moves nothing, so the search takes the same targets in the same
    order."""
    out: dict[str, list[Admitted]] = {}
    own = pool.get(me.name)
    if own is not None:
        out[me.name] = own
    borrows = Borrows(tree, frs)
    for _, theirs in off_path(me, frs):
        if borrows(theirs):
            for name in _borrowers(theirs, frs, borrows):
                lst = pool.get(name)
                if lst:
                    out[name] = lst
    return out


def _borrowers(theirs: Node, frs: list[FR], borrows: Borrows) -> list[str]:
    """A38: the ClusterQueues under side ``theirs`` every node from the side down to which
    borrows on one of ``frs`` (in the tree's order), kept per side and flavor-resources with
    the side's version (A30): they read only the usage below the side, which moves with it
    (a search calls this before it adds its request or takes anything)."""
    key = (id(theirs), tuple(frs))
    hit = _BORROWERS.get(key) if BORROWERS else None
    if hit is not None and hit[0] is theirs and hit[1] == theirs.ver:
        return hit[2]
    out = [q.name for q in leaves(theirs) if borrows.below(theirs, q)]
    if len(_BORROWERS) > 100_000:
        _BORROWERS.clear()
    _BORROWERS[key] = (theirs, theirs.ver, out)
    return out


BORROWERS = True  # A38 (False: the queues read at every search, tests)
_BORROWERS: dict[tuple[int, tuple[FR, ...]], tuple[Node, int, list[str]]] = {}


def fair_targets(tree: QuotaTree, cq: ClusterQueue, wl: Workload, asg: Assignment,
                 admitted: list[Admitted] | Mapping[str, list[Admitted]],
                 strategies: tuple[str, ...], ordered: bool = False,
                 within_nominal: bool = True, why: dict[FR, float] | None = None,
                 spent: Spent | None = None) -> list[Admitted] | None:
    """Fair-sharing preemption (F2-F4, F8): per strategy, take from the highest-share queue
    workloads that keep the preemptor's share at most (or below) the target's; the shares
    are read with the preemptor's request added to its queue, as Kueue simulates it.
    ``admitted``: a list, or per ClusterQueue its lists in P2's order (A19).
    ``within_nominal``: Kueue's FairSharingPreemptWithinNominal gate."""
    frs = list(asg.usage)
    if isinstance(admitted, Mapping) and PASS_SIDES:
        # (A25's queues other than its own borrow on ``frs`` already: F7 holds)
        left = by_queue(cq, wl, _borrowing(tree, tree.cqs[cq.name], frs, admitted), tree)
    else:
        if isinstance(admitted, Mapping):
            left = by_queue(cq, wl, admitted, tree)
        else:
            left = {}
            for a in candidates(cq, wl, asg, admitted, tree, ordered):
                left.setdefault(a.cq, []).append(a)
        # other queues' workloads only while their queue borrows on a needed
        # flavor-resource now (F7; Kueue's findCandidates: cqIsBorrowing); once per queue
        left = {q: v for q, v in left.items()
                if q == cq.name or tree.borrowing(tree.cqs[q], frs)}
    me, req = tree.cqs[cq.name], asg.usage
    if not left:
        _short(tree, me, req, why)
        return None
    path = me.path()
    snap = _snap_q(tree, {cq.name, *left})
    targets: list[Admitted] = []

    fit_at, fit = -1, False  # A22: fits() while no take or put-back moved usage

    def fits() -> bool:  # with the request taken out again (F8; it changes only these)
        nonlocal fit_at, fit
        if fit_at == sh.moves:
            return fit
        saved = [(n, fr, n.usage.get(fr)) for n in path for fr in req]
        tree.add_all(cq.name, req, -1)
        ok = tree.fits(cq.name, req)
        for n, fr, v in saved:
            if v is None:
                n.usage.pop(fr, None)
            else:
                n.usage[fr] = v
        fit_at, fit = sh.moves, ok
        return ok

    tree.add_all(cq.name, req)  # F8: every share below is read with the request admitted
    # F8: a preemptor side (node on its path) that stays within its quota with the request
    # takes the first pass's targets beyond it without comparing shares
    nominal = {id(n) for n in path if within_nominal and not tree.borrowing(n, frs)}
    sh = _Shares(tree, frs, path)  # (the request is on ``path`` now)
    for si, strat in enumerate(strategies):
        active = {q: list(v) for q, v in left.items() if v}
        holders: dict[int, int] = {}  # kept as queues run out of candidates (A9)
        for name in active:
            _hold(tree, holders, name, 1)
        sh.start(holders)
        while not fits() and active:
            y = sh.pick(path[0])
            took = whole = None  # whole: a failed test no candidate of ``theirs`` passes
            # usages that failed the test: removing as much or more of every flavor-resource
            # leaves the target's share as low or lower, so fails too (A7)
            failed: list[dict[FR, float]] = []
            least: dict[FR, float] = {}  # the smallest failed one-resource usages
            final = strat == "LessThanOrEqualToFinalShare"
            if y != cq.name:
                mine, theirs = _side(me, tree.cqs[y])
                before = sh(theirs)
                mine_after = sh(mine)
                # F8: Kueue's target ordering passes over nodes that do not borrow (below
                # the lowest common cohort, off the preemptor's path); F9 (aifab's loop
                # guard): that do not borrow on a flavor-resource the preemptor needs
                pruned = not (sh.borrows(theirs) and sh.borrows.below(theirs, tree.cqs[y]))
            for a in active[y]:
                if y != cq.name:
                    if pruned:
                        break
                    if id(mine) in nominal:
                        if si:
                            break  # the first pass took all it reached of this side
                        sh.change(a.cq, a.usage, -1)
                        took = a
                        break
                    if before == 0 or not (final or mine_after < before):
                        whole = theirs  # (LessThanInitialShare: it does not depend on ``a``)
                        break
                    if final and CAPPED and mine_after > before:
                        whole = theirs  # A26: no removal raises the target's share above it
                        break
                    use = a.usage
                    if any(use.get(fr, 0.0) >= v for fr, v in least.items()) or any(
                            all(use.get(fr, 0.0) >= v for fr, v in f.items()) for f in failed):
                        continue
                    sh.change(a.cq, a.usage, -1)
                    if not (mine_after <= sh(theirs) if final else True):
                        sh.change(a.cq, a.usage, 1)
                        if len(use) == 1:
                            ((fr, v),) = use.items()
                            least[fr] = min(v, least.get(fr, v))
                        else:
                            failed.append(use)
                        continue
                else:
                    sh.change(a.cq, a.usage, -1)
                took = a
                break
            if took is None:
                for q in _passed(active, y, whole, mine if whole else None, sh):
                    del active[q]
                    _hold(tree, holders, q, -1)
                continue
            targets.append(took)
            active[y].remove(took)
            # (a new list: ``left``'s may be the index's own, by_queue does not copy them)
            left[y] = [a for a in left[y] if a is not took]
            if not active[y]:
                del active[y]
                _hold(tree, holders, y, -1)
    done = fits()
    if not done and spent is not None and len(path) > 1:  # A79
        spent.note(path, snap, frs, {id(n): sh(n) for n in path[1:] if id(n) not in nominal})
    tree.add_all(cq.name, req, -1)
    if not done:
        _short(tree, me, req, why)  # (with the targets taken out)
        _restore(snap)
        return None

    def legal(kept: list[Admitted]) -> bool:
        return _legal(tree, me, req, kept, strategies, nominal)

    out = _minimize(tree, targets, lambda: tree.fits(cq.name, req), legal)
    _restore(snap)
    return out


def _short(tree: QuotaTree, me: Node, req: Mapping[FR, float], why: dict[FR, float] | None
           ) -> None:
    """A39: per flavor-resource, how much ``req`` exceeds what ``me`` can use now."""
    if why is not None:
        why.update({fr: v - tree.available(me, fr) for fr, v in req.items()})


WHOLE = True  # A34: sides that fail a test no candidate changes are passed over whole


def _passed(active: Mapping[str, object], y: str, whole: Node | None, mine: Node | None,
            sh: _Shares) -> list[str]:
    """The queues a pass drops when ``y`` yields no take: ``y``; A34: when target side
    ``whole`` failed its share test without reading a candidate (``before`` 0, or not
    below the preemptor side ``mine``'s share), also every queue still holding candidates
    under it and under each other child of their cohort ranked below it in F3's order
    (share, name, position), up to ``mine`` if ``mine`` holds candidates. With nothing
    taken the picks that follow reach exactly those queues in turn (the cohort's pick
    stays on its highest child holding candidates), each on a side whose share is at most
    ``whole``'s against the same ``mine``, and each fails the same test or F9's."""
    if whole is None or mine is None or not WHOLE or whole.parent is None:
        return [y]
    kids, held = whole.parent.children, sh.holders
    # (``whole`` was picked: it ranks first among the children holding candidates)
    rank = {id(c): (sh(c), c.name, -i) for i, c in enumerate(kids) if held.get(id(c))}
    floor = rank.get(id(mine))
    return [q.name for c in kids if c is not mine and id(c) in rank
            and (floor is None or rank[id(c)] > floor) for q in leaves(c) if q.name in active]


def _legal(tree: QuotaTree, me: Node, req: dict[FR, float], kept: list[Admitted],
           strategies: tuple[str, ...], nominal: AbstractSet[int] = frozenset()) -> bool:
    """Rule F6: with the targets ``kept`` removed (the tree's state now), for every side
    (child of the lowest common ancestor) holding targets of another ClusterQueue, the
    preemptor side's share with its request passes one of the strategies: at most that
    side's share now (LessThanOrEqualToFinalShare), or below its share with those targets
    back (LessThanInitialShare)."""
    seen: set[int] = set()
    for t in kept:
        if t.cq == me.name:
            continue
        mine, theirs = _side(me, tree.cqs[t.cq])
        if id(theirs) in seen or id(mine) in nominal:  # F8: taken without a strategy
            continue
        seen.add(id(theirs))
        pre = tree.share(mine, carried(me, mine, req))
        if "LessThanOrEqualToFinalShare" in strategies and pre <= tree.share(theirs):
            continue
        if "LessThanInitialShare" in strategies:
            back = [u for u in kept if any(n is theirs for n in tree.cqs[u.cq].path())]
            snap = _snap(tree, t.cq, back)
            for u in back:
                tree.add_all(u.cq, u.usage)
            before = tree.share(theirs)
            _restore(snap)
            if pre < before:
                continue
        return False
    return True
