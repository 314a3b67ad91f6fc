"""Rule A5d (docs/sched.md): a preempted workload keeps its quota until its pods are gone.

Kueue evicts a preemption's targets by setting their Evicted condition; the job's
integration then stops the job (a batch/v1 Job is suspended, its pods deleted), and only
once the job has no active pods does Kueue clear the workload's quota reservation and put
it back in its queue (jobframework's reconciler, "The job is no longer active, clear the
workloads admission"; KEP-83, "Workload preemption doesn't imply immediate Pod
termination"). Until then the victim is still admitted: its usage counts, later cycles may
find it again as a target (issuing nothing: "Preemption ongoing"), and its preemptor,
which stays its queue's head (A5), waits ("Pending the preemption of N workload(s)").
Within the cycle that preempts, the targets' usage counts as freed for the heads after it,
as Kueue's fits() simulates removing the workloads preempted in the cycle.

With ``Engine.hold`` the engine keeps such victims (``Engine.ghosts``: name -> the
eviction time it is requeued at, A1) until the caller says their pods are gone
(``Engine.evicted``); without it (the conformance cases, ``compare-queues``, ``aifab
admit``) a victim's quota is freed at once, as if its pods were gone in the same cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aifab.sched import _period, _vers

if TYPE_CHECKING:
    from aifab.sched._engine import Engine
    from aifab.sched._preempt import Admitted
    from aifab.sched._workload import Workload

PENDING = "preemption"  # the reason a waiting preemptor records
# seconds from a preemption until the victim's pods are gone where no job says (Kubernetes'
# default terminationGracePeriodSeconds): ``compare-queues --grace`` (C5)
GRACE_S = 30.0


def doom(eng: Engine, a: Admitted, created: float) -> None:
    """``a`` is preempted under ``hold``: admitted still, its usage freed for the rest of
    this cycle only (given back by ``restore``)."""
    assert eng.ghosts is not None and eng._doomed is not None
    _period.moves(eng, a.wl.name)  # (A75: how a unit found it)
    eng.ghosts[a.wl.name] = created
    eng._doomed.append(a)
    _out(eng, a, -1)


def restore(eng: Engine) -> None:
    """At the end of a cycle: the usage of the workloads it preempted counts again."""
    assert eng._doomed is not None
    for a in eng._doomed:
        _out(eng, a, 1)
    eng._doomed.clear()


def _out(eng: Engine, a: Admitted, sign: int) -> None:
    # (versions move, A30, and come back with the usage at the cycle's end, A78; kept
    # answers unread, A44)
    _vers.reserve(eng.index, a.cq, a.usage, sign, doom=True)


def gone(eng: Engine, name: str) -> None:
    """``Engine.evicted``: the victim's pods are gone: its quota is freed (the cohort
    tree's set-aside workloads are requeued, A2b) and it is back in its queue at its
    eviction time."""
    assert eng.ghosts is not None
    eng._calls += 1
    created = eng.ghosts.pop(name)
    a = eng.admitted[name]
    eng._release(a)
    a.wl.created = created
    if eng.above is not None:
        eng.above.note(a.wl, eng.clock)
    eng._enqueue(a.wl)


def fresh(eng: Engine, victims: list[Admitted]) -> list[Admitted]:
    """Of a preemptor's targets, those not already being evicted (the others: "Preemption
    ongoing", nothing issued)."""
    return [t for t in victims if t.wl.name not in eng.ghosts] if eng.ghosts else victims


def waiting(eng: Engine, wl: Workload, victims: list[Admitted]) -> None:
    """Under ``hold``, a preemptor records why it waits (Kueue's message, also when its
    targets were already being evicted)."""
    eng.reasons[wl.name] = [(PENDING, f"Pending the preemption of {len(victims)} "
                                      f"workload(s)")]
