"""The fair-sharing admission order of a cycle (rules A3/F5, and A20 for speed): Kueue's
tournament over the heads of the ClusterQueues, one pick at a time."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from aifab.sched._assign import Assignment
from aifab.sched._model import ClusterQueue, Manifests
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
_Nominee = tuple[Entry | None, tuple[bool, bool, float, int, float, str] | None]


def tournament(eng: Engine, entries: list[Entry],
               key: Callable[[Entry], tuple[int, float, str]]) -> Iterator[Entry]:
    """A3/F5 as Kueue's fair-sharing tournament: at each cohort the child whose share with
    its nominee admitted is lowest (then priority, then age) nominates; with
    FairSharingPrioritizeNonBorrowing (on by default), a child that does not borrow, with its
    nominee admitted, on a flavor-resource the nominee requests goes before one that does.
    The root's winner goes next (a sort with the pairwise comparison at the lowest common
    cohort is not transitive across levels); when the pick admitted or preempted, the shares
    that read usage it moved are computed again (A20). With Kueue's
    PrioritizePreemptorWorkloads gate (alpha, off by default) a head waiting for the quota
    its preemptions freed (A5) goes first at every cohort, before those tests.
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
            gk = (id(n), n.ver, e[0].name, tuple(req.items()))
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

    def best(c: Node) -> Entry | None:
        if c.is_cq:
            return at.get(id(c))
        if id(c) in won:
            return won[id(c)]
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

    while at:  # between trees (a ClusterQueue without cohort is its own): by priority, age
        pick = min((w for r in roots.values() if (w := best(r)) is not None), key=key)
        node = tree.cqs[pick[0].name]
        del at[id(node)]
        seen = len(eng.events)
        yield pick
        if len(eng.events) != seen:  # admitted or preempted: usage moved on these paths
            qs = {node.name, *(getattr(ev, "cluster_queue", "") for ev in eng.events[seen:])}
            if not SCOPED:  # (tests) every head of the tree, as before A20
                root = node.path()[0]
                qs |= {e[0].name for e in at.values() if tree.cqs[e[0].name].path()[0] is root}
            _moved(tree, qs, under, memo, won, kw)
        for n in node.path():
            won.pop(id(n), None)
            kw.pop(id(n), None)


ALONE = True  # A46 (False: a lone child's share is computed too, tests)
SCOPED = True  # A20 (False: every head of a tree computed again after a change, tests)


def _moved(tree: QuotaTree, queues: set[str], under: dict[int, list[Entry]],
           memo: dict[tuple[int, int], tuple[bool, float]], won: dict[int, Entry | None],
           kw: dict[int, _Nominee]) -> None:
    """Usage moved on the paths of ``queues`` (A20): a head's share at a node (and its
    borrowing there) reads the usage of that node and of the nodes on its path below it
    (``carried``), so only the shares at or above a moved node of the heads below it are
    computed again, and only the moved nodes' nominees."""
    moved = {id(n): n for q in queues for n in tree.cqs[q].path()}
    for nid, n in moved.items():
        won.pop(nid, None)
        kw.pop(nid, None)
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
