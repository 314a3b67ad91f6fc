"""Shares of the quota tree's nodes during one fair-sharing preemption search, and its
pick of the ClusterQueue to preempt from (rules F3, A11, A21, A22; speed only)."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable

from aifab.sched._model import FR
from aifab.sched._quota import Borrows, Node, QuotaTree


def _pick(root: Node, holders: dict[int, int], share: Callable[[Node], float]) -> str:
    """The ClusterQueue to preempt from: at each cohort, the child with the highest share
    among those holding candidates (F3; ``holders``: per node id, how many ClusterQueues
    below it hold candidates)."""
    n = root
    while not n.is_cq:
        best: Node | None = None
        top: tuple[float, str] | None = None
        for c in n.children:
            if holders.get(id(c)):
                k = (share(c), c.name)
                if top is None or k > top:
                    best, top = c, k
        assert best is not None
        n = best
    return n.name


class _Shares:
    """Shares of the tree's nodes during one search, each kept until the usage on its
    node changes (only the nodes on the path to a ClusterQueue change when it does), and
    (A21) per cohort its children holding candidates, sorted by (share, name), for F3's
    pick: within a strategy pass holders only run out, and a share moves only when a
    target is taken or put back (``change``): the nodes on its path are re-sorted at the
    next pick that reads their cohort."""

    ordered = True  # A21 (False: each pick compares every child, as ``_pick``; tests)

    def __init__(self, tree: QuotaTree, frs: list[FR], moved: list[Node]) -> None:
        self.tree = tree
        self.memo: dict[int, float] = {}
        # A41: the nodes whose usage this search has moved (its request's path, then the
        # paths of the queues it takes from); any other node's share is the engine's
        self.moved = {id(n) for n in moved}
        # per cohort: (share, name, -position, child) ascending (the pick is the last);
        # per child listed: its entry
        self.lists: dict[int, list[tuple[float, str, int, Node]]] = {}
        self.entry: dict[int, tuple[float, str, int, Node]] = {}
        self.dirty: dict[int, dict[int, Node]] = {}  # per cohort listed: children to re-sort
        self.holders: dict[int, int] = {}
        # A22: changes so far, and whether a node borrows on the search's flavor-resources
        # (kept while none since)
        self.moves = 0
        self.borrows = Borrows(tree, frs)

    def __call__(self, n: Node) -> float:
        v = self.memo.get(id(n))
        if v is None:
            if id(n) in self.moved or not KEPT:
                v = self.memo[id(n)] = self.tree.share(n)
                return v
            hit = _KEPT.get(id(n))  # A41: kept with the node's version between searches
            if hit is not None and hit[0] is n and hit[1] == n.ver:
                v = hit[2]
            else:
                v = self.tree.share(n)
                if len(_KEPT) > 100_000:
                    _KEPT.clear()
                _KEPT[id(n)] = (n, n.ver, v)
            self.memo[id(n)] = v
        return v

    def change(self, cq: str, usage: dict[FR, float], sign: int) -> None:
        self.tree.add_all(cq, usage, sign)
        self.moves += 1
        self.moved.update(id(n) for n in self.tree.cqs[cq].path())
        self.borrows.memo.clear()
        memo, dirty = self.memo, self.dirty
        for n in self.tree.cqs[cq].path():
            memo.pop(id(n), None)
            if n.parent is not None and id(n.parent) in self.lists:
                dirty.setdefault(id(n.parent), {})[id(n)] = n

    def _resort(self, p: Node, lst: list[tuple[float, str, int, Node]]) -> None:
        """Children of ``p`` whose share may have moved since listed: moved in ``lst``
        if it did (a take put back leaves it where it was)."""
        entry = self.entry
        for n in self.dirty.pop(id(p)).values():
            old = entry.get(id(n))
            if old is None or old[0] == (v := self(n)):
                continue
            del lst[bisect_left(lst, old)]
            entry[id(n)] = new = (v, n.name, old[2], n)
            insort(lst, new)

    def start(self, holders: dict[int, int]) -> None:
        """A strategy pass begins with these holders (only falling from here on)."""
        self.holders = holders
        self.lists.clear()
        self.entry.clear()
        self.dirty.clear()

    def pick(self, root: Node) -> str:
        """F3's ClusterQueue to preempt from (as ``_pick``: the highest (share, name) among
        the children holding candidates, the first child of equal ones)."""
        if not self.ordered:
            return _pick(root, self.holders, self)
        holders, lists, entry = self.holders, self.lists, self.entry
        n = root
        while not n.is_cq:
            lst = lists.get(id(n))
            if lst is None:
                lst = lists[id(n)] = sorted(
                    (self(c), c.name, -i, c) for i, c in enumerate(n.children)
                    if holders.get(id(c)))
                for e in lst:
                    entry[id(e[3])] = e
            elif id(n) in self.dirty:
                self._resort(n, lst)
            while not holders.get(id(lst[-1][3])):  # ran out of candidates: for good
                del entry[id(lst.pop()[3])]
            n = lst[-1][3]
        return n.name


KEPT = True  # A41 (False: every search computes every share it reads, tests)
_KEPT: dict[int, tuple[Node, int, float]] = {}


def _hold(tree: QuotaTree, holders: dict[int, int], cq: str, sign: int) -> None:
    for n in tree.cqs[cq].path():
        holders[id(n)] = holders.get(id(n), 0) + sign
