"""The ClusterQueues a cycle reads heads from (rule A70, docs/sched.md; speed only: the
same heads in the same order, so the same events and state).

A cycle reads one head per ClusterQueue with pending workloads (``Engine._active``). A
BestEffortFIFO queue without a stopPolicy whose every pending workload is set aside
(``parked``) and that has no nominee gives none: ``heads()`` finds no workload to try and
the idle walk (A13) nothing to walk (A61). On a loaded fleet most queues with pending
workloads are so between requeues (on the 1,000-ClusterQueue case's day 28, 7.8 queues
with pending workloads at a run's start on average and 0.6 that can give a head), and
each cost the walk a look every cycle.

So the engine keeps a superset of the queues that can give a head (``Live``): every queue
with pending workloads when ``parked`` is replaced (A2b's requeue puts set-aside workloads
back only so: a set-aside workload is never taken out of the set it is in), every queue a
workload joins since, less the queues found, since, to give no head (a queue found so
stays so until a workload joins it or ``parked`` is replaced: the set only grows, a
nominee is never set aside, and a queue gets a nominee only from a head it gave). Queues
that are not BestEffortFIFO without a stopPolicy are never taken out. The cycle reads the
queues of the set in the order it read all of them (sorted names; with fewer than 64
queues, the manifests' order), so it reads the same heads in the same order. Only
``_first``'s start (A10, a cache of where a queue's walk resumes) is left as it was for
the queues passed over; a later walk from an earlier start finds the same first workload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

ON = True  # A70 (tests, benchmarks/sched_replay.py --off A70)


class _Engine(Protocol):
    parked: set[str]
    _active: set[str]
    _live: Live | None

    @property
    def _members(self) -> Mapping[str, Mapping[str, object]]: ...


class Live:
    """The queues that may give a head, for one ``parked`` set."""

    __slots__ = ("names", "of")

    def __init__(self, eng: _Engine) -> None:
        self.names = set(eng._active)
        self.of = eng.parked  # (kept: its identity is not reused while it is held)


def queues(eng: _Engine) -> list[str]:
    """The ClusterQueues whose heads a cycle reads, in the order it reads them."""
    members = eng._members
    small = len(members) < 64
    if not ON:
        return [n for n in members if members[n]] if small else sorted(eng._active)
    live = eng._live
    if live is None or live.of is not eng.parked:
        live = eng._live = Live(eng)
    names = live.names
    return [n for n in members if members[n] and n in names] if small else sorted(names)


def joined(eng: _Engine, cq: str) -> None:
    """A workload joined ``cq``'s pending workloads."""
    if eng._live is not None:
        eng._live.names.add(cq)


def left(eng: _Engine, cq: str) -> None:
    """``cq`` has no pending workloads left."""
    if eng._live is not None:
        eng._live.names.discard(cq)


def dead(eng: _Engine, cq: str) -> None:
    """``cq`` (BestEffortFIFO, no stopPolicy) was found to give no head: no nominee, every
    pending workload set aside."""
    live = eng._live
    if live is not None and live.of is eng.parked:
        live.names.discard(cq)
