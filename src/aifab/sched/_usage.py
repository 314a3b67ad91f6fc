"""Usage of admitted workloads summed per flavor-resource, ClusterQueue and priority, and
what a search may take of it (rule A8's sums, read by ``_bound``; speed only). Kept as
workloads are admitted and released, so a bound costs a few operations per ClusterQueue,
not per workload. The sums are floats: the amounts a bound removes are enlarged by a
relative 1e-9 (and 1e-6 absolute), which can only remove more."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from aifab.sched._model import FR, ClusterQueue
from aifab.sched._quota import Borrows, Node, QuotaTree, leaves

_Agg = dict[FR, dict[str, dict[int, list[float]]]]  # fr -> cq -> priority -> [sum, count]
_Sizes = dict[FR, dict[str, dict[int, dict[float, int]]]]  # ... -> priority -> {usage: count}
# a target side of A8's bound: its node, the preemptor's side, what its queues' workloads a
# search may take use, whether it is taken from without comparing shares (F8), its queues
_Side = tuple[Node, Node, dict[FR, float], bool, list[str]]
# A30: a side walk from one cohort down: the cohort's version, the sides found (lowest
# cohort first), the preemptor sides' least shares and what may leave those sides
_Level = tuple[int, list[_Side], dict[int, float], dict[FR, float]]


class Usage:
    """Usage of admitted workloads per flavor-resource, ClusterQueue and priority: of all
    (``agg``), and of those using more than one flavor-resource (``multi``)."""

    def __init__(self) -> None:
        self.agg: _Agg = {}
        self.multi: _Agg = {}
        self.ver: dict[FR, int] = {}  # bumped as the sums of a flavor-resource change
        # A23: per flavor-resource, ClusterQueue and priority, how many admitted workloads
        # use each amount of it (for the largest one a search could take last)
        self.sizes: _Sizes = {}
        # _eligible's answers: (multi?, ClusterQueue, priority, fr) -> (version, answer)
        self.memo: dict[tuple[bool, str, int, FR], tuple[int, dict[str, float]]] = {}
        # A30: per request (ClusterQueue, priority, usage, F8 gate), per cohort on its path
        self.levels: dict[tuple[object, ...], list[_Level | None]] = {}
        # A32: per node, its version, the flavor-resources it borrows on and its share
        self.nodes: dict[int, tuple[Node, int, frozenset[FR], float]] = {}
        # A35: per (side, request's flavor-resources, priority limit), its version, what
        # a search may take of its queues and those queues; A72: what each child gave
        self.sides: dict[tuple[object, ...], tuple[Node, int, dict[FR, float], list[str],
                                                   list[Any]]] = {}
        # A56: per (side, flavor-resource, priority limit), its version, the queues A35
        # gave, and the most of it one of their workloads a search may take uses
        self.big: dict[tuple[object, ...], tuple[Node, int, list[str], float]] = {}

    _BY_ID = ("levels", "nodes", "sides", "big")  # memos keyed by node identity

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the memos keyed by node identity (``id()`` differs once
        loaded; benchmarks/sched_replay.py pickles an engine)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._BY_ID}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        for k in self._BY_ID:
            setattr(self, k, {})

    def add(self, cq: str, prio: int, usage: Mapping[FR, float], sign: int = 1) -> None:
        for fr in usage:
            self.ver[fr] = self.ver.get(fr, 0) + 1
        for agg in (self.agg, self.multi) if len(usage) > 1 else (self.agg,):
            for fr, v in usage.items():
                by_p = agg.setdefault(fr, {}).setdefault(cq, {})
                s = by_p.setdefault(prio, [0.0, 0])
                s[0] += sign * v
                s[1] += sign
                if s[1] == 0:  # none left: drop the entry (no float residue)
                    del by_p[prio]
                    if not by_p:
                        del agg[fr][cq]
        for fr, v in usage.items():
            sizes = self.sizes.setdefault(fr, {}).setdefault(cq, {})
            n = sizes.setdefault(prio, {})
            n[v] = n.get(v, 0) + sign
            if n[v] == 0:
                del n[v]
                if not n:
                    del sizes[prio]
                    if not sizes:
                        del self.sizes[fr][cq]

    def largest(self, cq: str, fr: FR, lim: int) -> float:
        """The most of ``fr`` one admitted workload of ``cq`` with priority at most ``lim``
        uses (0 if none)."""
        by_p = self.sizes.get(fr, {}).get(cq, {})
        return max((max(n) for p, n in by_p.items() if p <= lim), default=0.0)


ANY = sys.maxsize  # a priority limit that takes every priority


def _limits(cq: ClusterQueue, prio: int) -> tuple[int | None, int | None]:
    """The highest priority a workload of priority ``prio`` in ``cq`` may preempt (P1): of
    its own ClusterQueue (withinClusterQueue; LowerOrNewerEqualPriority's "newer" test left
    out, which only takes more), and of the other queues under its root
    (reclaimWithinCohort); None for Never."""
    pre = cq.preemption
    within, reclaim = pre.within_cluster_queue, pre.reclaim_within_cohort
    own = None if within == "Never" else (
        prio if within == "LowerOrNewerEqualPriority" else prio - 1)
    other = None if reclaim == "Never" else (prio - 1 if reclaim == "LowerPriority" else ANY)
    return own, other


def _grow(v: float) -> float:
    return v * (1 + 1e-9) + 1e-6


def _eligible(u: Usage, multi: bool, tree: QuotaTree, cq: ClusterQueue, prio: int, fr: FR
              ) -> dict[str, float]:
    """Per ClusterQueue, the usage of ``fr`` of admitted workloads (``multi``: of those on
    several flavor-resources) that the policies of ``cq`` allow a workload of priority
    ``prio`` to preempt (P1; over-counted, see ``_bound``). Kept until the sums of ``fr``
    change (the answer reads only them; the tree's links and the policies are fixed); do
    not modify the dict returned."""
    key = (multi, cq.name, prio, fr)
    ver = u.ver.get(fr, 0)
    hit = u.memo.get(key)
    if hit is not None and hit[0] == ver:
        return hit[1]
    out = _eligible_now(u.multi if multi else u.agg, tree, cq, prio, fr)
    u.memo[key] = (ver, out)
    return out


def _eligible_now(agg: _Agg, tree: QuotaTree, cq: ClusterQueue, prio: int, fr: FR
                  ) -> dict[str, float]:
    own, other = _limits(cq, prio)
    root = tree.cqs[cq.name].path()[0]
    out: dict[str, float] = {}
    for name, by_p in agg.get(fr, {}).items():
        lim = own if name == cq.name else other
        if lim is None or (name != cq.name and tree.cqs[name].path()[0] is not root):
            continue
        v = sum(s[0] for p, s in by_p.items() if p <= lim)
        if v > 0:
            out[name] = _grow(v)
    return out


def _elig(u: Usage, multi: bool, fr: FR, q: str, lim: int) -> float:
    """What the admitted workloads of ``q`` with priority at most ``lim`` use of ``fr``
    (``multi``: of those on several flavor-resources), enlarged (``_grow``); 0 if none
    (``_eligible``'s value for one queue)."""
    by_p = (u.multi if multi else u.agg).get(fr, {}).get(q)
    if not by_p:
        return 0.0
    v = sum(s[0] for p, s in by_p.items() if p <= lim)
    return _grow(v) if v > 0 else 0.0


BIG = True  # A56 (False: read every queue's sizes, tests)


def _big(u: Usage, side: Node, names: list[str], fr: FR, lim: int) -> float:
    """The most of ``fr`` one workload of ``names`` (a side's queues, as A35 gave them)
    with priority at most ``lim`` uses (A23's last take); A56: kept with the side's version
    (the sizes of the workloads below it move it) and those queues."""
    key = (id(side), fr, lim)
    hit = u.big.get(key) if BIG else None
    if hit is not None and hit[0] is side and hit[1] == side.ver and hit[2] is names:
        return hit[3]
    v = max(u.largest(q, fr, lim) for q in names)
    if len(u.big) > 100_000:
        u.big.clear()
    u.big[key] = (side, side.ver, names, v)
    return v


def _taken(u: Usage, theirs: Node, req: Mapping[FR, float], lim: int, borrows: Borrows
           ) -> tuple[dict[FR, float], list[str]]:
    """What the workloads a search may take of a target side's queues use, per
    flavor-resource of ``req``, and those queues (each with such usage and borrowing on
    ``req``'s flavor-resources from the side down, F9). A35: kept per side, ``req``'s
    flavor-resources (in order) and priority limit with the side's version (A30): it reads
    only the usage sums and the nodes' usage below the side. A72: when the side moved,
    what each of its children gave is kept with the child's version, and only the children
    that moved are read again (the sums are added up again in the queues' order). Do not
    modify what it returns."""
    key = (id(theirs), tuple(req), lim)
    hit = u.sides.get(key) if SIDE_MEMO else None
    parts: list[_Part] | None = None
    if hit is not None and hit[0] is theirs:
        if hit[1] == theirs.ver:
            return hit[2], hit[3]
        parts = hit[4] if PARTS else None
    kids = theirs.children if not theirs.is_cq else [theirs]
    fresh: list[_Part] = []
    gone: dict[FR, float] = {}
    names: list[str] = []
    for i, c in enumerate(kids):
        p = parts[i] if parts is not None else None
        if p is None or p[0] is not c or p[1] != c.ver:
            rows = []
            for q in leaves(c):
                vs = [(fr, v) for fr in req if (v := _elig(u, False, fr, q.name, lim)) > 0]
                if vs and borrows.below(theirs, q):
                    rows.append((q.name, vs))
            p = (c, c.ver, rows)
        fresh.append(p)
        for name, vs in p[2]:
            for fr, v in vs:
                gone[fr] = gone.get(fr, 0.0) + v
            names.append(name)
    if len(u.sides) > 100_000:
        u.sides.clear()
    u.sides[key] = (theirs, theirs.ver, gone, names, fresh)
    return gone, names


# A72: a child of a target side, its version, and the queues below it that a search may take
# from with what each uses of the request's flavor-resources
_Part = tuple[Node, int, list[tuple[str, list[tuple[FR, float]]]]]
PARTS = True  # A72 (False: a moved side's queues all read again, tests)


SIDE_MEMO = True  # A35 (False: every walk reads the side's queues, tests)
