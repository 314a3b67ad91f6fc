"""Usage versions, and rule A77 (docs/sched.md; speed only): a cycle whose only changes of
usage were quota reservations, all given back, puts back every version it moved.

Every change of usage moves a version of each flavor-resource it changes and of each node
on its ClusterQueue's path, and the index's epoch (A7, A30, A33); what the engine keeps
(tries, walks, failed searches, bounds, certificates' levels, shares) is kept with the
versions it read and read again when one has moved. A preemptor that issues or waits for
preemptions, and a head that holds quota under A5c, reserve quota in ``step()`` for the rest
of the cycle and give it back at its end (Kueue's cycle-local usage): the usage is then what
it was, but the versions have moved twice, so everything the engine kept on those
flavor-resources was made again in the next cycle (on the 1,000-ClusterQueue case, a
waiting 4,096-GPU gang made every kept bound and search of its flavor be computed again at
every requeue).

Versions are numbers never given twice (``tick``), so a version names one state of what it
covers. When everything that moved usage since the cycle's first reservation was a
reservation, and each node's usage of the reserved flavor-resources is again exactly what
it was (the same floats, the same keys), the state is the one those versions named before
the reservations: ``settle()`` puts back each version and the epoch. What was kept during
the reservations carries versions no later state is given.

A78 does the same for a cycle whose preemptor's targets had their usage freed for the rest
of the cycle (A5d, ``_hold``) and given back at its end: they stay admitted, and nothing
the versions stand for reads which workloads are being evicted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aifab.sched._model import FR

ON = True  # A77 (False: the versions a reservation moved stay moved, tests)
DOOM = True  # A78: also in a cycle whose victims' usage came back at its end (False: tests)

# the cycle's reservations so far: (the epoch before them, per flavor-resource its version
# before them, per node its version before them, per (node, flavor-resource) its usage
# before them); False once something else moved usage in the same cycle
Mark = tuple[int, dict[FR, int | None], dict[Any, int], dict[tuple[Any, FR], float | None]]


def touch(ix: Any, usage: Mapping[FR, float], cq: str | None) -> None:
    """A change of usage (or of the admitted workloads) on ``usage``'s flavor-resources in
    ``cq``: a new version for each, for each node on ``cq``'s path and for the epoch."""
    # (an index pickled before A77 has no tick: every version it gave is at most its epoch)
    t = ix.tick = max(ix.tick, ix.epoch) + 1
    ver = ix.ver
    for fr in usage:
        ver[fr] = t
    ix.epoch = t
    if cq is not None:
        for n in ix.tree.cqs[cq].path():  # A30: node versions
            n.ver = t


def moved(ix: Any, usage: Mapping[FR, float], cq: str | None) -> None:
    """``Index.touch``: anything but a reservation ends A77 for the cycle."""
    if ix.mark is not None:
        ix.mark = False
    touch(ix, usage, cq)


def reserve(ix: Any, cq: str, usage: Mapping[FR, float], sign: int,
            doom: bool = False) -> None:
    """``Index.reserve`` (``doom``, A78: a victim's usage freed, ``sign`` -1, for the rest of
    the cycle by ``_hold``, and given back, 1): the first of a cycle notes the versions
    before it, each one what it moves before it moves it."""
    m = ix.mark
    if m is None and ON and (DOOM or not doom):
        m = ix.mark = (ix.epoch, {}, {}, {})
    elif m and doom and not DOOM:
        m = ix.mark = False
    if m:
        vers, nodes, use = m[1], m[2], m[3]
        for fr in usage:
            vers.setdefault(fr, ix.ver.get(fr))
        for n in ix.tree.cqs[cq].path():
            nodes.setdefault(n, n.ver)
            for fr in usage:
                use.setdefault((n, fr), n.usage.get(fr))
    ix.tree.add_all(cq, usage, sign)
    touch(ix, usage, cq)
    ix.held += -sign if doom else sign


def settle(ix: Any) -> None:
    """At the end of a cycle, its reservations given back: A77."""
    m, ix.mark = ix.mark, None
    if not m:
        return
    epoch, vers, nodes, use = m
    if any(n.usage.get(fr) != v for (n, fr), v in use.items()):
        return
    ver = ix.ver
    for fr, v in vers.items():
        if v is None:
            del ver[fr]
        else:
            ver[fr] = v
    for n, v in nodes.items():
        n.ver = v
    ix.epoch = epoch
