"""The fair-sharing admission order of a cycle (rules A3/F5, and A20 for speed): Kueue's
tournament over the heads of the ClusterQueues, one pick at a time."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from aifab.sched._assign import Assignment
from aifab.sched._model import ClusterQueue, Manifests
from aifab.sched._preempt import Admitted
from aifab.sched._quota import Node, QuotaTree, borrowing_on, carried
from aifab.sched._workload import Workload


class Engine(Protocol):
    """What the tournament reads of the engine (``_cycle.Engine`` names the rest)."""

    m: Manifests
    tree: QuotaTree
    _nominated: dict[str, str]  # ClusterQueue -> its preemptor waiting for the quota (A5)

    @property
    def events(self) -> Sequence[object]: ...  # admissions and preemptions append here


Entry = tuple[ClusterQueue, Workload, Assignment]
_Key = tuple[bool, bool, float, int, float, str]
_Nominee = tuple[Entry | None, _Key | None]
_Pushed = tuple[_Key, int, int, _Nominee]  # A60: a child's key, order pushed, child, its kw


def tournament(eng: Engine, entries: list[Entry],
               key: Callable[[Entry], tuple[int, float, str]],
               quiet: set[int] | None = None,
               plan: Mapping[str, Sequence[Admitted] | None] | None = None) -> Iterator[Entry]:
    """A3/F5 as Kueue's fair-sharing tournament: at each cohort the child whose share with
    its nominee admitted is lowest (then priority, then age) nominates; with
    FairSharingPrioritizeNonBorrowing (on by default), a child that does not borrow, with its
    nominee admitted, on a flavor-resource the nominee requests goes before one that does.
    The root's winner goes next (a sort with the pairwise comparison at the lowest common
    cohort is not transitive across levels); when the pick admitted or preempted, the shares
    that read usage it moved are computed again (A20). With Kueue's
    PrioritizePreemptorWorkloads gate (alpha, off by default) a head waiting for the quota
    its preemptions freed (A5) goes first at every cohort, before those tests.

    A59 (speed only): ``quiet``, the heads sure to fail; once only those are left they go
    in the order given. A head that fails admits and preempts nothing and records only its
    own reasons, nomination and set-aside state; what it may hold for the rest of the cycle
    (A5c) reaches only heads after it that admit or preempt, and none is left. So their
    order changes nothing.

    A68 (speed only): ``plan``, the targets each head that needs preemption found as the
    cycle began (A5b); once a pick has preempted one of a head's targets, that head is
    counted with those sure to fail: when its turn comes it is skipped (a target no longer
    admitted: Kueue's preemptor whose targets were taken), recording nothing. A victim is
    not admitted again within the cycle (it is no head of it), so the head stays so; and
    once only such heads and those sure to fail are left, their order changes nothing (a
    skipped head is passed over before anything another could hold, A5c, is read).
    """
    tree = eng.tree
    nb = eng.m.gates.get("FairSharingPrioritizeNonBorrowing", True)
    # the waiting preemptors as the cycle began (Kueue's entry.IsPreemptor)
    pre = {id(e) for e in entries if eng._nominated.get(e[0].name) == e[1].name} \
        if eng.m.gates.get("PrioritizePreemptorWorkloads", False) else set()
    memo: dict[tuple[int, int], tuple[bool, float]] = {}  # (node, entry): while unchanged

    def share(n: Node, e: Entry) -> tuple[bool, float]:
        k = (id(n), id(e))
        v = memo.get(k)
        if v is None:
            # A45: across cycles and runs, while the node's version stands
            req = e[2].usage
            gk = (id(n), n.ver, e[0].name, e[2].usage_text())  # (A66: the usage as text)
            hit = _KEPT.get(gk) if KEEP else None
            if hit is not None and hit[0] is n:
                v = hit[1]
            else:
                extra = carried(tree.cqs[e[0].name], n, req)
                v = (nb and borrowing_on(n, extra, req), tree.share(n, extra))
                if KEEP:
                    if len(_KEPT) > 200_000:
                        _KEPT.clear()
                    _KEPT[gk] = (n, v)
            memo[k] = v
        return v

    at = {id(tree.cqs[e[0].name]): e for e in entries}  # one head per ClusterQueue
    roots = {id(r): r for r in (tree.cqs[e[0].name].path()[0] for e in entries)}
    won: dict[int, Entry | None] = {}
    # per child: its nominee and that nominee's key at the parent, while ``won`` stands
    kw: dict[int, _Nominee] = {}
    # A20: per node, the heads at or below it (what a change of usage there can move)
    under: dict[int, list[Entry]] = {}
    # A20: the children with heads below (A46: from the heads' paths, not every child; the
    # order does not matter: keys end with the nominee's name, so no two are equal)
    kids: dict[int, dict[int, Node]] = {}
    for e in entries:
        p = tree.cqs[e[0].name].path()
        for n in p:
            under.setdefault(id(n), []).append(e)
        for a, b in itertools.pairwise(p):
            kids.setdefault(id(a), {})[id(b)] = b

    # A60: per cohort, its live children (with a nominee left), the children whose nominee
    # is to be found again, and a heap of the live children's keys (an entry stands while
    # its child's ``kw`` is the one it was pushed with)
    live_of: dict[int, set[int]] = {}
    stale: dict[int, set[int]] = {}
    heaps: dict[int, list[_Pushed]] = {}
    pushed = itertools.count()

    def drop(n: Node) -> None:
        """``n``'s nominee is to be found again (and its parent's)."""
        won.pop(id(n), None)
        if kw.pop(id(n), None) is not None and n.parent is not None and HEAP:
            stale.setdefault(id(n.parent), set()).add(id(n))

    def best(c: Node) -> Entry | None:
        if c.is_cq:
            return at.get(id(c))
        if id(c) in won:
            return won[id(c)]
        if HEAP:
            top = _heap_best(c)
        else:
            top, tk, live = None, None, []  # live: the children with a nominee left
            for ch in kids[id(c)].values():
                hit = kw.get(id(ch))
                if hit is None:
                    hit = kw[id(ch)] = (best(ch), None)
                if hit[0] is not None:
                    live.append(ch)
            if len(live) == 1 and ALONE:  # A46: a lone nominee goes up without its share
                top = kw[id(live[0])][0]
            else:
                for ch in live:
                    w, k = kw[id(ch)]
                    if k is None:
                        assert w is not None
                        k = (id(w) not in pre, *share(ch, w), *key(w))
                        kw[id(ch)] = (w, k)
                    if tk is None or k < tk:  # type: ignore[operator]
                        top, tk = w, k
        won[id(c)] = top
        return top

    def _heap_best(c: Node) -> Entry | None:
        """A60: ``best`` with the keys of the children whose nominee stands kept in a heap:
        only the children whose nominee moved are looked at again (the same least key:
        keys are unique)."""
        cid, mine = id(c), kids[id(c)]
        live = live_of.get(cid)
        if live is None:
            live = live_of[cid] = set()
            todo, heap = list(mine), list[_Pushed]()
            heaps[cid] = heap
        else:
            todo, heap = list(stale.pop(cid, ())), heaps[cid]
        fresh = []
        for chid in todo:
            ch = mine.get(chid)
            if ch is None:
                continue  # (a moved node without heads below)
            hit = kw.get(chid)
            if hit is None:
                hit = kw[chid] = (best(ch), None)
            if hit[0] is not None:
                live.add(chid)
                fresh.append(chid)
            else:
                live.discard(chid)
        if not live:
            return None
        if len(live) == 1 and ALONE:  # A46: a lone nominee goes up without its share
            return kw[next(iter(live))][0]
        for chid in fresh:  # (the other live children's keys are in the heap)
            w, k = kw[chid]
            if k is None:
                assert w is not None
                k = (id(w) not in pre, *share(mine[chid], w), *key(w))
                kw[chid] = (w, k)
            heapq.heappush(heap, (k, next(pushed), chid, kw[chid]))
        while heap[0][2] not in live or kw.get(heap[0][2]) is not heap[0][3]:
            heapq.heappop(heap)
        return heap[0][3][0]

    loud = len(entries) - len(quiet) if quiet is not None else -1
    hit: dict[str, list[Entry]] | None = None  # A68: per target, the heads that found it
    while at:  # between trees (a ClusterQueue without cohort is its own): by priority, age
        if not loud:  # A59: only heads sure to fail are left
            yield from list(at.values())  # (in the order of ``entries``)
            return
        pick = min((w for r in roots.values() if (w := best(r)) is not None), key=key)
        node = tree.cqs[pick[0].name]
        del at[id(node)]
        if quiet is not None and id(pick) not in quiet:
            loud -= 1
        seen = len(eng.events)
        yield pick
        if len(eng.events) != seen:  # admitted or preempted: usage moved on these paths
            qs = {node.name, *(getattr(ev, "cluster_queue", "") for ev in eng.events[seen:])}
            if not SCOPED:  # (tests) every head of the tree, as before A20
                root = node.path()[0]
                qs |= {e[0].name for e in at.values() if tree.cqs[e[0].name].path()[0] is root}
            _moved(tree, qs, under, memo, drop)
            if quiet is not None and plan is not None and DEAD:
                if hit is None:
                    hit = _by_target(entries, plan, quiet)
                loud -= _taken(eng.events[seen:], hit, at, tree, quiet)
        for n in node.path():
            drop(n)


def _by_target(entries: list[Entry], plan: Mapping[str, Sequence[Admitted] | None],
               quiet: set[int]) -> dict[str, list[Entry]]:
    """A68: per workload, the heads not sure to fail whose targets (``plan``) hold it."""
    out: dict[str, list[Entry]] = {}
    for e in entries:
        if id(e) not in quiet:
            for t in plan.get(e[1].name) or ():
                out.setdefault(t.wl.name, []).append(e)
    return out


def _taken(events: Sequence[object], hit: dict[str, list[Entry]], at: dict[int, Entry],
           tree: QuotaTree, quiet: set[int]) -> int:
    """A68: the heads still to come, not yet counted sure to fail, one of whose targets a
    preemption among ``events`` took; they are counted so (added to ``quiet``)."""
    n = 0
    for ev in events:
        if getattr(ev, "kind", None) != "preempt":
            continue
        for e in hit.get(getattr(ev, "workload", ""), ()):
            if id(e) not in quiet and at.get(id(tree.cqs[e[0].name])) is e:
                quiet.add(id(e))
                n += 1
    return n


DEAD = True  # A68 (False: a head whose target was taken counts until it is picked, tests)
ALONE = True  # A46 (False: a lone child's share is computed too, tests)
HEAP = True  # A60 (False: every child of a cohort looked at again at each pick, tests)
SCOPED = True  # A20 (False: every head of a tree computed again after a change, tests)


def _moved(tree: QuotaTree, queues: set[str], under: dict[int, list[Entry]],
           memo: dict[tuple[int, int], tuple[bool, float]],
           drop: Callable[[Node], None]) -> None:
    """Usage moved on the paths of ``queues`` (A20): a head's share at a node (and its
    borrowing there) reads the usage of that node and of the nodes on its path below it
    (``carried``), so only the shares at or above a moved node of the heads below it are
    computed again, and only the moved nodes' nominees."""
    moved = {id(n): n for q in queues for n in tree.cqs[q].path()}
    for nid, n in moved.items():
        drop(n)  # its nominee (and its key at its parent) found again
        if n.parent is None:
            continue  # a root's share is never read (its children's are)
        for e in under.get(nid, ()):
            for m in tree.cqs[e[0].name].path():
                memo.pop((id(m), id(e)), None)
                if m is n:
                    break


# A45, as A41's ``_shares._KEPT``: a tournament's share of a node for a head (and whether the
# node borrows on what the head requests), kept per (node, its version, the head's queue
# and request), with the node (an id may be reused by another engine's). What they read (the
# node's usage, and what the request carries up to it through the nodes below it on the
# queue's path) moves only with a change below the node, which moves its version (A30);
# quotas and weights never change.
KEEP = True  # (tests: False keeps nothing across tournaments)
_KEPT: dict[tuple[object, ...], tuple[Node, tuple[bool, float]]] = {}
