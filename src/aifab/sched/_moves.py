"""A preemption search's answer kept within one ``run()`` of the engine, for the states of
the admitted workloads that come back (rule A44, docs/sched.md; speed only: the engine
decides the same with or without it).

Within one ``run()`` nothing is submitted or finishes and quotas never change, so the
admitted workloads differ from those the run started with only by what the run admitted
and evicted. A search for targets (``_index.targets``: A8's bound, then the fair-sharing
or classic search) reads of the engine's state only the admitted workloads (their queue,
priority, usage, and their order of admission, P2), the quota tree's usage, which is the
sum of their usage, and, of the preemptor, what A18's request key holds. So two states of
one run in which the workloads it moved are admitted alike (the same ones, in the same
queues with the same usage, admitted in the same order after all the others, since each
admission in the run takes a new sequence number) and the others are as the run found
them get the same answer. In a preemption loop (kubernetes-sigs/kueue#14543, A27) the
engine comes back to the same few states every cycle, and A5b's nomination searches every
preempting head in each: on the 1,000-ClusterQueue case's day 12 about two searches in
three are such repeats.
"""

from __future__ import annotations

from typing import Any

from aifab.sched._preempt import Admitted

ON = True  # off: every search runs (tests compare both)


class Moves:
    """The workloads one ``run()`` admitted (their ``Admitted``) or evicted (None), and the
    searches' answers per state of them: the targets, or None and () as the search gave
    them."""

    def __init__(self) -> None:
        self.moved: dict[str, Admitted | None] = {}
        self.found: dict[tuple[Any, Any], tuple[Admitted, ...] | None] = {}
        self._key: tuple[Any, ...] | None = None
        self.hits = 0

    def note(self, name: str, a: Admitted | None) -> None:
        """``name`` admitted as ``a``, or (None) evicted or finished."""
        self.moved[name] = a
        self._key = None

    def key(self) -> tuple[Any, ...]:
        """The state of the moved workloads: those not admitted, and the admitted ones in
        their order of admission with their queue and usage (equal keys: the same admitted
        workloads, usage and order of admission)."""
        k = self._key
        if k is None:
            live = sorted((a for a in self.moved.values() if a is not None),
                          key=lambda a: a.at)
            k = self._key = (
                frozenset(n for n, a in self.moved.items() if a is None),
                tuple((a.wl.name, a.cq, tuple(sorted(a.usage.items()))) for a in live))
        return k

    def get(self, req: Any) -> tuple[bool, list[Admitted] | None]:
        """(True, the answer) when a search for request ``req`` ran in this state of the
        run's moved workloads; (False, None) otherwise."""
        k = (req, self.key())
        if k not in self.found:
            return False, None
        self.hits += 1
        got = self.found[k]
        if got is None:
            return True, None
        # a target the run moved is admitted again in an equal state, as another object
        moved = self.moved
        return True, [moved.get(a.wl.name) or a for a in got]

    def put(self, req: Any, out: list[Admitted] | None) -> None:
        self.found[(req, self.key())] = None if out is None else tuple(out)
