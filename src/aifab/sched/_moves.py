"""A preemption search's answer kept per state of the admitted workloads on its
flavor-resource, and given again when that state comes back (rule A44, docs/sched.md;
speed only: the engine decides the same with or without it).

A search for targets (``_index.targets``: A8's bound, then the fair-sharing or classic
search) for a request on one flavor-resource reads of the engine's state only the admitted
workloads on that flavor-resource (their queue, priority, usage there, and their order of
admission, P2), the quota tree's usage on the flavor-resources of its scope (those of the
ClusterQueues with quota on the request's: the shares compared are over all of a queue's
flavor-resources; ``Index._scope``, as A7's versions), which is the sum of the admitted
workloads' usage there, and, of the preemptor, what A18's request key holds; quotas never
change. So the state that decides it is, per flavor-resource of the scope, what changed
since a moment taken as its base: each workload on it admitted since (its ``Admitted``) or
released (None). Every admission takes a new sequence
number, so the workloads admitted since the base come after all those admitted before it,
in their order of admission. Two states with the same changes since the same base get the
same answer. In a preemption loop (kubernetes-sigs/kueue#14543, A27) the engine comes back
to the same few states every cycle, and A5b's nomination searches every preempting head in
each; and a loop started again at the next instant (after a submission, or a release on
another flavor-resource) comes back to the states of the last.

Requests on several flavor-resources are not kept: the order of admission between
workloads of two of them would depend on when each one's base was taken.
"""

from __future__ import annotations

from typing import Any

from aifab.sched._model import FR
from aifab.sched._preempt import Admitted

ON = True  # off: every search runs (tests compare both)
MOVES = 64  # changes kept per flavor-resource before its base is taken again
ANSWERS = 20_000  # answers kept before all are dropped


class _Changes:
    """One flavor-resource's changes since its base (``gen``: which base)."""

    __slots__ = ("gen", "key", "moved")

    def __init__(self, gen: int) -> None:
        self.gen = gen
        self.moved: dict[str, Admitted | None] = {}
        self.key: tuple[Any, ...] | None = None


class Moves:
    """Per flavor-resource the workloads admitted (their ``Admitted``) or released (None)
    since its base, and the searches' answers per state: the targets, or None and () as
    the search gave them."""

    def __init__(self) -> None:
        self.per: dict[FR, _Changes] = {}
        self.found: dict[tuple[Any, ...], tuple[Admitted, ...] | None] = {}
        self.gens = 0

    def note(self, a: Admitted, admitted: bool) -> None:
        """``a`` admitted, or (``admitted`` False) released."""
        name = a.wl.name
        for fr in a.usage:
            c = self.per.get(fr)
            if c is None:  # its base: the state before this change
                c = self.per[fr] = _Changes(self._gen())
            elif len(c.moved) >= MOVES:  # a new base: the state after this change
                self.per[fr] = _Changes(self._gen())
                continue
            c.moved[name] = a if admitted else None
            c.key = None

    def _gen(self) -> int:
        self.gens += 1
        return self.gens

    def _key(self, fr: FR) -> tuple[Any, ...]:
        """The state on ``fr``: its base, the workloads released since, and those admitted
        since in their order of admission with their queue and usage there (equal keys:
        the same admitted workloads on ``fr``, usage and order of admission)."""
        c = self.per.get(fr)
        if c is None:
            c = self.per[fr] = _Changes(self._gen())
        k = c.key
        if k is None:
            live = sorted((a for a in c.moved.values() if a is not None), key=lambda a: a.at)
            k = c.key = (c.gen, frozenset(n for n, a in c.moved.items() if a is None),
                         tuple((a.wl.name, a.cq, a.usage[fr]) for a in live))
        return k

    def key(self, req: Any, frs: Any, scope: tuple[FR, ...]) -> tuple[Any, ...] | None:
        """The key of a search for request ``req`` on the one flavor-resource in ``frs``
        in the state now on it and on the others of ``scope`` (what the search reads:
        ``Index._scope``); None for a request on several (not kept)."""
        if len(frs) != 1:
            return None
        fr = next(iter(frs))
        return (fr, req, self._key(fr), tuple(self._key(f) for f in scope if f != fr))

    def get(self, k: tuple[Any, ...]) -> tuple[bool, list[Admitted] | None]:
        """(True, the answer) when a search with key ``k`` ran; (False, None) otherwise."""
        if k not in self.found:
            return False, None
        got = self.found[k]
        if got is None:
            return True, None
        # a target admitted since the base is admitted again in an equal state, maybe as
        # another object
        moved = self.per[k[0]].moved
        return True, [moved.get(a.wl.name) or a for a in got]

    def put(self, k: tuple[Any, ...], out: list[Admitted] | None) -> None:
        if len(self.found) >= ANSWERS:
            self.found.clear()
        self.found[k] = None if out is None else tuple(out)
