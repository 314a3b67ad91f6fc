"""The quota tree: ClusterQueues and Cohorts as nodes with quota, usage, borrowing and
lending limits (docs/sched.md, rules Q1-Q6).

A node's *subtree quota* is its nominal quota plus what its children put in common (their
subtree quota less what their lendingLimit keeps back). Usage a node cannot cover from the
quota it keeps back is carried by its parent. What a node may still use is what it keeps
back unused plus what its parent has available, the latter capped by its borrowingLimit.
This is the model of Kueue's hierarchical cohorts (concepts/cohort.md, cluster_queue.md
"BorrowingLimit", "LendingLimit"); its exact accounting follows Kueue's
pkg/cache/scheduler/resource_node.go and fair_sharing.go (read, re-implemented here).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from aifab.sched._model import FR, Manifests, Quota

EPS = 1e-9


class Node:
    __slots__ = ("_g", "_path", "_sides", "children", "is_cq", "name", "parent", "quotas",
                 "subtree", "usage", "ver", "weight")

    def __init__(self, name: str, is_cq: bool, quotas: Mapping[FR, Quota], weight: float):
        self.name, self.is_cq, self.weight = name, is_cq, weight
        self.quotas = dict(quotas)
        self.parent: Node | None = None
        self.children: list[Node] = []
        self.subtree: dict[FR, float] = {}
        self.usage: dict[FR, float] = {}
        self._path: list[Node] | None = None
        self._g: dict[FR, float] | None = None  # guaranteed(), once the tree is linked
        self._sides: dict[int, tuple[Node, Node, Node]] = {}  # preemption._side, per node
        # A30: moved by the engine at every admission, release and reservation below it
        # (searches change usage only for a while and put it back)
        self.ver = 0

    def guaranteed(self, fr: FR) -> float:
        """Quota kept back from the parent: subtree quota less the lendingLimit (0 when there
        is no lendingLimit: everything is lent)."""
        g = self._g
        if g is not None:
            return g.get(fr, 0.0)
        q = self.quotas.get(fr)
        if q is None or q.lending_limit is None or self.parent is None:
            return 0.0
        return max(0.0, self.subtree.get(fr, 0.0) - q.lending_limit)

    def local_free(self, fr: FR) -> float:
        return max(0.0, self.guaranteed(fr) - self.usage.get(fr, 0.0))

    def path(self) -> list[Node]:
        """Root first, this node last (the tree does not change once linked: kept; do not
        modify the list)."""
        if self._path is not None:
            return self._path
        out: list[Node] = []
        n: Node | None = self
        while n is not None:
            out.append(n)
            n = n.parent
        self._path = out[::-1]
        return self._path


class QuotaTree:
    """Every ClusterQueue and Cohort of a configuration, with live usage."""

    def __init__(self, m: Manifests) -> None:
        self.nodes: dict[str, Node] = {}
        self.cqs: dict[str, Node] = {}
        for co in m.cohorts.values():
            self.nodes["cohort:" + co.name] = Node(co.name, False, co.quotas, co.weight)
        for cq in m.cluster_queues.values():
            n = Node(cq.name, True, cq.quotas, cq.weight)
            self.cqs[cq.name] = self.nodes["cq:" + cq.name] = n
            if cq.cohort is not None:
                self._link(n, self.nodes["cohort:" + cq.cohort])
        for co in m.cohorts.values():
            if co.parent is not None:
                self._link(self.nodes["cohort:" + co.name], self.nodes["cohort:" + co.parent])
        for n in self.nodes.values():
            if n.parent is None:
                self._subtree(n)
        for n in self.nodes.values():  # quotas and links are fixed from here on (_g: only
            n._g = {fr: g for fr in n.quotas if (g := n.guaranteed(fr)) > 0}  # what is kept)
        # quotas never change after loading: what a node could use and what a parent can
        # lend are computed once (fair sharing asks for them on every comparison)
        self._pot: dict[tuple[int, FR], float] = {}
        self._lend: dict[int, dict[str, float]] = {}

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the memos keyed by node identity (made again once loaded)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_pot", "_lend")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, _pot={}, _lend={})

    @staticmethod
    def _link(child: Node, parent: Node) -> None:
        child.parent = parent
        parent.children.append(child)

    def _subtree(self, n: Node) -> None:
        n.subtree = {fr: q.nominal for fr, q in n.quotas.items()}
        for c in n.children:
            self._subtree(c)
            for fr, v in c.subtree.items():
                n.subtree[fr] = n.subtree.get(fr, 0.0) + v - c.guaranteed(fr)

    # -- usage -------------------------------------------------------------------------
    def add(self, n: Node | None, fr: FR, v: float) -> None:
        while n is not None and v > 0:
            free = n.local_free(fr)
            n.usage[fr] = n.usage.get(fr, 0.0) + v
            v -= free
            n = n.parent

    def remove(self, n: Node | None, fr: FR, v: float) -> None:
        while n is not None and v > 0:
            above = n.usage.get(fr, 0.0) - n.guaranteed(fr)
            n.usage[fr] = n.usage.get(fr, 0.0) - v
            if n.usage[fr] < EPS:
                n.usage[fr] = 0.0
            if above <= 0:
                return
            v = min(v, above)
            n = n.parent

    def add_all(self, cq: str, req: Mapping[FR, float], sign: int = 1) -> None:
        for fr, v in req.items():
            (self.add if sign > 0 else self.remove)(self.cqs[cq], fr, v)

    # -- capacity ----------------------------------------------------------------------
    def available(self, n: Node, fr: FR) -> float:
        """What ``n`` can still use of ``fr``, borrowing included (from the root down: the
        root's unused subtree quota; below, what the node keeps back unused plus its
        parent's availability capped by its borrowingLimit)."""
        path = n.path()
        root = path[0]
        up = root.subtree.get(fr, 0.0) - root.usage.get(fr, 0.0)
        for m in path[1:]:
            q = m.quotas.get(fr)
            g = m.guaranteed(fr)
            used = m.usage.get(fr, 0.0)
            if q is not None and q.borrowing_limit is not None:
                in_parent = m.subtree.get(fr, 0.0) - g
                used_parent = max(0.0, used - g)
                up = min(up, in_parent - used_parent + q.borrowing_limit)
            up = max(0.0, g - used) + up
        return up

    def potential(self, n: Node, fr: FR) -> float:
        """What ``n`` could use of ``fr`` if nothing else were running."""
        key = (id(n), fr)
        v = self._pot.get(key)
        if v is None:
            v = self._pot[key] = self._potential(n, fr)
        return v

    def _potential(self, n: Node, fr: FR) -> float:
        if n.parent is None:
            return n.subtree.get(fr, 0.0)
        v = n.guaranteed(fr) + self.potential(n.parent, fr)
        q = n.quotas.get(fr)
        if q is not None and q.borrowing_limit is not None:
            v = min(v, n.subtree.get(fr, 0.0) + q.borrowing_limit)
        return v

    def fits(self, cq: str, req: Mapping[FR, float], borrow: bool = True) -> bool:
        n = self.cqs[cq]
        for fr, v in req.items():
            if v <= EPS:
                continue
            if v > self.available(n, fr) + EPS:
                return False
            if not borrow and n.usage.get(fr, 0.0) + v > n.subtree.get(fr, 0.0) + EPS:
                return False
        return True

    def borrowing(self, n: Node, frs: Iterable[FR] | None = None) -> bool:
        """Whether ``n`` uses more than its subtree quota (on ``frs``, default any)."""
        keys = n.usage if frs is None else frs
        return any(n.usage.get(fr, 0.0) > n.subtree.get(fr, 0.0) + EPS for fr in keys)

    # -- fair sharing ------------------------------------------------------------------
    def share(self, n: Node, extra: Mapping[FR, float] | None = None) -> float:
        """Weighted dominant resource share (rule F1): per resource, what ``n`` uses beyond
        its subtree quota over what its parent could lend, times 1000, the largest over
        resources, divided by the fair-sharing weight (0 weight: infinite when borrowing)."""
        if n.parent is None:
            return 0.0
        borrowed: dict[str, float] = {}
        use = n.usage
        if not extra:  # the common case: no set of keys to build
            for fr, sub in n.subtree.items():
                b = use.get(fr, 0.0) - sub
                if b > EPS:
                    borrowed[fr[1]] = borrowed.get(fr[1], 0.0) + b
        else:
            for fr in set(n.subtree) | set(extra):
                b = use.get(fr, 0.0) + extra.get(fr, 0.0) - n.subtree.get(fr, 0.0)
                if b > EPS:
                    borrowed[fr[1]] = borrowed.get(fr[1], 0.0) + b
        if not borrowed:
            return 0.0
        lendable = self._lend.get(id(n.parent))
        if lendable is None:
            lendable = lending(self, n.parent)
        ratio = max((b * 1000.0 / lendable[r] for r, b in borrowed.items()
                     if lendable.get(r, 0.0) > 0), default=0.0)
        if ratio == 0.0:
            return 0.0
        return float("inf") if n.weight == 0 else ratio / n.weight


def lending(tree: QuotaTree, p: Node) -> dict[str, float]:
    """Per resource name, what ``p`` could lend its children (the denominator of their
    shares, rule F1; kept on the tree: quotas are fixed)."""
    out = tree._lend.get(id(p))
    if out is None:
        out = tree._lend[id(p)] = {}
        for fr in p.path()[0].subtree:
            out[fr[1]] = out.get(fr[1], 0.0) + tree.potential(p, fr)
    return out


def within(n: Node, add: Mapping[FR, float], req: Mapping[FR, float]) -> bool:
    """Whether ``n``'s usage plus ``add`` (what reaches it of ``req``) stays within its
    subtree quota on every flavor-resource of ``req`` (F8's within-quota test)."""
    use, sub = n.usage, n.subtree
    for fr in req:  # noqa: SIM110 (a loop: fewer instructions than all() of a generator)
        if not use.get(fr, 0.0) + add.get(fr, 0.0) <= sub.get(fr, 0.0) + EPS:
            return False
    return True


def carried(cq: Node, upto: Node, req: Mapping[FR, float]) -> Mapping[FR, float]:
    """What of ``req``, added at ClusterQueue ``cq``, reaches ``upto`` (a node on its
    path) in usage: each node below keeps what its unused kept-back quota (lendingLimit)
    covers, as ``add()`` does (Kueue's simulated usage addition before a share is
    computed: fair_sharing_iterator.go computeDRS, preemption's fairPreemptions)."""
    n, out = cq, req
    while n is not upto and n.parent is not None:
        g = n._g  # (empty: it keeps back nothing, everything is carried)
        if g is None or g:
            for fr in out:  # (any() of a generator, in fewer instructions)
                if n.local_free(fr) > 0:
                    out = {fr: v - f for fr, v in out.items()
                           if v - (f := n.local_free(fr)) > 0}
                    break
        n = n.parent
    return out


def borrowing_on(n: Node, extra: Mapping[FR, float], req: Mapping[FR, float]) -> bool:
    """Whether ``n``, with ``extra`` added to its usage, uses more than its subtree
    quota on one of the flavor-resources a workload requests (``req``, above 0): Kueue's
    DRS.IsBorrowingOn, read by FairSharingPrioritizeNonBorrowing."""
    use, sub = n.usage, n.subtree
    return any(v > 0 and use.get(fr, 0.0) + extra.get(fr, 0.0) > sub.get(fr, 0.0) + EPS
               for fr, v in req.items())


def leaves(n: Node) -> list[Node]:
    """The ClusterQueues below ``n`` (``n`` itself if it is one), in the tree's order (kept
    per node: the tree does not change once linked)."""
    hit = _LEAVES.get(id(n))
    if hit is not None and hit[0] is n:
        return hit[1]
    out = [n] if n.is_cq else [q for c in n.children for q in leaves(c)]
    if len(_LEAVES) > 100_000:
        _LEAVES.clear()
    _LEAVES[id(n)] = (n, out)
    return out


_LEAVES: dict[int, tuple[Node, list[Node]]] = {}


def off_path(me: Node, frs: Iterable[FR] | None = None) -> Iterator[tuple[Node, Node]]:
    """(the preemptor's side, a target side): for each cohort on ``me``'s path, root first,
    its child on the path and each of its other children (the sides of a preemption,
    F5); with ``frs``, only the children with quota on one of them (``holding``)."""
    path = me.path()
    for k in range(len(path) - 1):
        mine = path[k + 1]
        for theirs in path[k].children if frs is None else holding(path[k], frs):
            if theirs is not mine:
                yield mine, theirs


def holding(n: Node, frs: Iterable[FR]) -> list[Node]:
    """A36: the children of ``n`` with quota below them on one of ``frs``: no other child
    ever uses (or borrows on) one of them (a node's usage is its ClusterQueues' admitted
    and reserved usage, all on flavor-resources in their quotas, in its subtree quota's
    keys). Kept per node and set of flavor-resources: quotas are fixed."""
    key = (id(n), frozenset(frs))
    hit = _HOLDING.get(key)
    if hit is not None and hit[0] is n:
        return hit[1]
    out = [c for c in n.children if not key[1].isdisjoint(c.subtree)] if HOLDING \
        else list(n.children)
    if len(_HOLDING) > 100_000:
        _HOLDING.clear()
    _HOLDING[key] = (n, out)
    return out


HOLDING = True  # A36 (False: every child, tests)
_HOLDING: dict[tuple[int, frozenset[FR]], tuple[Node, list[Node]]] = {}


class Borrows:
    """Whether a node uses more than its subtree quota on one of ``frs``, kept per node
    while nothing moves (``QuotaTree.borrowing``; one flavor-resource read directly)."""

    __slots__ = ("fr", "frs", "memo", "tree")

    def __init__(self, tree: QuotaTree, frs: list[FR]) -> None:
        self.tree, self.frs = tree, frs
        self.fr = frs[0] if len(frs) == 1 else None
        self.memo: dict[int, bool] = {}

    def __call__(self, n: Node) -> bool:
        b = self.memo.get(id(n))
        if b is None:
            fr = self.fr
            b = self.memo[id(n)] = (
                n.usage.get(fr, 0.0) > n.subtree.get(fr, 0.0) + EPS if fr is not None
                else self.tree.borrowing(n, self.frs))
        return b

    def below(self, side: Node, q: Node) -> bool:
        """Whether every node below ``side`` down to ``q`` (a ClusterQueue under it)
        borrows."""
        for n in q.path()[len(side.path()):]:  # noqa: SIM110 (fewer instructions than all())
            if not self(n):
                return False
        return True
