"""Each queue's pending workloads by scheduling equivalence class (rule A71, docs/sched.md;
speed only: the same workloads set aside in the same order, so the same events and state).

A2c sets aside, with a head that fails, every pending workload of its queue in its class
(Kueue's SchedulingHash). The engine found them by reading every pending workload of the
queue and its class, once per failing head: a queue with a backlog of hundreds paid that for
each head walked (on korea-2025 about a twentieth of a run). The engine now keeps, once A2c
first sets a class aside, per queue and class, the pending workloads in the order they
joined the queue (``Engine._members``' order restricted to the class: both are written only
where a workload joins or leaves, ``_enqueue`` and ``_dequeue``), and reads the class
directly. A workload's class does not change while it is pending (its pod sets and
priority are fixed; a requeue changes only its creation time, which the class does not
read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from aifab.sched._workload import Workload

ON = True  # A71 (tests, benchmarks/sched_replay.py --off A71)

Index = dict[str, dict[str, dict[str, Workload]]]  # queue -> class -> name -> workload


class _Engine(Protocol):
    _classes: Index | None

    @property
    def _members(self) -> Mapping[str, Mapping[str, Workload]]: ...


def members(eng: _Engine, cq: str, c: str, cls: Callable[[Workload], str]
            ) -> Mapping[str, Workload]:
    """The pending workloads of ``cq`` whose class (``cls``) is ``c``, by name, in the order
    they joined it (do not modify the mapping)."""
    if not ON:
        eng._classes = None  # (none kept: turned on again, it is made afresh)
        return {n: w for n, w in eng._members[cq].items() if cls(w) == c}
    idx = eng._classes
    if idx is None:
        idx = eng._classes = {}
        for q, ws in eng._members.items():
            for w in ws.values():
                idx.setdefault(q, {}).setdefault(cls(w), {})[w.name] = w
    got = idx.get(cq)
    return got.get(c, _NONE) if got else _NONE


_NONE: Mapping[str, Workload] = {}


def joined(eng: _Engine, wl: Workload, c: str) -> None:
    """``wl``, of class ``c``, joined its queue's pending workloads (kept only once made)."""
    idx = eng._classes
    if idx is not None:
        idx.setdefault(wl.queue, {}).setdefault(c, {})[wl.name] = wl


def left(eng: _Engine, wl: Workload, c: str) -> None:
    """``wl``, of class ``c``, left its queue's pending workloads."""
    idx = eng._classes
    if idx is not None:
        got = idx[wl.queue]
        ws = got[c]
        del ws[wl.name]
        if not ws:
            del got[c]
