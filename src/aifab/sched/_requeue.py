"""When set-aside workloads are tried again (rules A2b, A2c; docs/sched.md): Kueue
v0.19.2's requeuer, which serves each cohort tree once a batch period after the first
request not yet served, and its scheduling equivalence hashing's gate."""

from __future__ import annotations

from typing import Protocol

from aifab.sched._model import Manifests
from aifab.sched._workload import Workload

Classes = dict[str, dict[str, list[tuple[str, str]]]]  # A2c: per queue, class -> reasons


class Engine(Protocol):
    """What the requeue reads and moves of :class:`~._engine.Engine`."""

    clock: float | None
    requeue_s: float
    _due: dict[str, float] | None
    _root: dict[str, str]
    _fixed: bool
    parked: set[str]
    pending: dict[str, Workload]
    bulk: Classes | None


# A2b: Kueue v0.19.2's requeue batch period (pkg/cache/queue/inadmissible_workloads.go:
# requeueBatchPeriod 1 s, requeueLongBatchPeriod 10 s with SchedulerLongRequeueInterval)
REQUEUE_S, LONG_REQUEUE_S = 1.0, 10.0


def requeue_delay(m: Manifests) -> float:
    """A2b: seconds from a freed quota to its tree's requeue: Kueue's batch period; 0 (at
    once) for KAI queues, whose scheduler has no such requeuer."""
    if m.kai_queues:
        return 0.0
    return LONG_REQUEUE_S if m.gates.get("SchedulerLongRequeueInterval", False) else REQUEUE_S


def equivalence(m: Manifests) -> bool:
    """A2c: whether Kueue's scheduling equivalence hashing is on (its gate; not for KAI)."""
    return not m.kai_queues and m.gates.get("SchedulingEquivalenceHashing", True)


def next_time(eng: Engine) -> float | None:
    """A2b: the next requeue time of a cohort tree that has workloads set aside, or
    classes (A2c), or of any tree when the last run ended at its cycle limit. A requeue
    of a tree with neither moves nothing, and after a run that reached a fixed point a
    run that nothing moved changes nothing, so no caller needs to run the engine then
    (the requeue is served at its next run)."""
    due = eng._due
    assert due
    if not eng._fixed:
        return min(due.values())
    root, pending = eng._root, eng.pending
    live = {root[q] for q, got in (eng.bulk or {}).items() if got}
    for n in eng.parked:
        if len(live) == len(due):
            break
        w = pending.get(n)
        if w is not None:
            live.add(root[w.queue])
    return min((t for r, t in due.items() if r in live), default=None)


def batched(eng: Engine) -> bool:
    """A2b: whether requeues wait for the batch period (a clock, a delay, and an engine
    made since A2b); else they are at once (the counter mode, KAI, older pickles)."""
    return eng.clock is not None and eng.requeue_s > 0.0 and eng._due is not None


def requeue(eng: Engine, cq: str) -> None:
    """Quota freed in ``cq``'s cohort tree: its set-aside workloads are tried again, at
    once when requeues are not ``batched``, else ``requeue_s`` after the first such event
    not yet served (A2b: Kueue's requeuer batches per root)."""
    if not batched(eng):
        eng.parked = set()  # a new set: head walks (A10) start again from the top
        if eng.bulk:
            eng.bulk.clear()  # A2c: a requeue forgets the classes set aside
        return
    assert eng._due is not None and eng.clock is not None
    root = eng._root[cq]
    if root not in eng._due:
        eng._due[root] = eng.clock + eng.requeue_s


def serve(eng: Engine) -> tuple[set[str], Classes]:
    """A2b: requeue the set-aside workloads of every cohort tree whose time has come; the
    workloads and classes (A2c) put back in their queues (A67 reads them)."""
    due, now = eng._due, eng.clock
    assert due is not None and now is not None
    fired = {r for r, t in due.items() if t <= now + 1e-6}  # (a caller's float sums)
    if not fired:
        return set(), {}
    for r in fired:
        del due[r]
    root, pending = eng._root, eng.pending
    # a new set: head walks (A10) start again from the top
    keep, back = set[str](), set[str]()
    for n in eng.parked:
        w = pending.get(n)
        if w is not None:
            (back if root[w.queue] in fired else keep).add(n)
    eng.parked = keep
    classes = {}
    if eng.bulk:  # A2c: a requeue forgets the classes set aside
        for q in [q for q in eng.bulk if root[q] in fired]:
            classes[q] = eng.bulk.pop(q)
    return back, classes
