"""Cycles in which no head can be admitted or issue preemptions, run a queue at a time
(rule A13, docs/sched.md; speed only: the same heads fail with the same reasons in the same
cycles, and the cycle count is the same).

In such a cycle nothing changes the quota tree, the topology domains or the admitted
workloads: each head only records its reasons, drops its queue's nomination and, under
BestEffortFIFO, is set aside (A2, A5), all of it its own queue's. So while every head fails,
each queue's heads are known in advance (its nominee, then its pending workloads in order,
skipping those set aside), each fails exactly as it would in its own cycle, and the queues
do not interact: the engine walks each queue's heads with the state of the first such
cycle, up to the first cycle with a head that fits or finds workloads to preempt, and
applies the failures of every cycle before it at once. ``step()`` then runs that cycle.
"""

from __future__ import annotations

from itertools import islice

from aifab.sched import _classes, _live
from aifab.sched._assign import FIT, PREEMPT, Assignment
from aifab.sched._cycle import (
    NO_QUOTA,
    NO_VICTIMS,
    Engine,
    Fail,
    Walk,
    _Sig,
    _sig,
    bulk_move,
    eq_class,
    queue_order,
)
from aifab.sched._index import Vers, fresh_bound, kept_bound, targets
from aifab.sched._model import FR, ClusterQueue
from aifab.sched._workload import Workload


def idle_cycles(eng: Engine, budget: int) -> tuple[int, bool]:
    """Run, up to ``budget``, the cycles before the first in which some head is admitted
    or issues preemptions, as ``step()`` would. Returns the cycles run and whether the
    last of them changed nothing (``run()`` ends). Only queues that are all BestEffortFIFO
    without a stopPolicy and without A6 (``prune``); otherwise (0, False): ``step()``."""
    if eng.prune or budget <= 0:
        return 0, False
    names = _live.queues(eng)  # (A70: those that may give a head)
    heads, fits = _heads(eng, names, FIRST)
    if heads is None or fits:
        # (not all BestEffortFIFO without a stopPolicy: step(); or A37: a head in the first
        # cycle fits, the walk below would stop at that cycle and change nothing)
        return 0, False
    stop = budget  # the first cycle (from now) with a head that does not fail, at most
    walks: list[tuple[str, list[Fail], bool]] = []
    kept_walks = eng.tries.walks
    for name, cq, nom, ws, start, j, key in heads:
        if nom is not None and nom.name in eng.parked:
            return 0, False  # (not reached: a nominee is never set aside)
        if PASSED and nom is None and j == len(ws):
            # A61: every workload set aside, no nominee: nothing to walk (as a walk of
            # it: no head, done unless an earlier queue's head already stopped the walk)
            walks.append((name, [], stop > 0))
            continue
        kept = kept_walks.get(name)
        if kept is not None and nom is None and _still(eng, kept, key):
            # at most ``stop`` heads, as the walk below (a kept walk can be thousands long)
            seq = list(islice((f for f in kept[4] if f[3] >= start and
                               f[0].name not in eng.parked), stop))
            walks.append((name, seq, len(seq) < stop))
            continue
        seq = []
        bounds: dict[tuple[int, int], bool] = {}  # (try, priority) -> A8's bound holds
        asgs: dict[_Sig, Assignment] = {}  # this walk's tries, per request (A15)
        # per try, the reasons its failing heads record (shared: lists nobody changes, as
        # A14's kept walks already share them)
        why: dict[int, list[tuple[str, str]]] = {}
        done = True  # the walk reached the end of the queue
        # A2c: the classes of the heads failed in this walk (their other workloads were set
        # aside with them, so no later cycle heads them) and how many that passed over
        moved: set[str] | None = set() if eng.hashing else None
        # A71: with the classes kept, the names of the queue's workloads in those classes
        # (the same workloads: a class's workloads are those pending in the queue); for a
        # queue of a few workloads, their classes are read as before (cheaper there)
        mates: set[str] | None = set() if moved is not None and _classes.ON and \
            len(ws) > MATES else None
        passed = 0
        i = start - 1 if nom is None else -2
        while True:
            if len(seq) >= stop:
                done = False
                break
            if i == -2:
                w, i = nom, start - 1
            else:
                i += 1
                if i >= len(ws):
                    break
                w = ws[i]
                if w.name in eng.parked or w is nom:
                    continue
                if moved and (w.name in mates if mates is not None else eq_class(w) in moved):
                    passed += 1
                    continue
            assert w is not None
            sig = _sig(w)
            asg = asgs.get(sig)  # nothing moves during the walk: the same try
            if asg is None:
                asg = asgs[sig] = eng.tries.get(eng, cq, w, key)
            if asg.mode == FIT:
                stop, done = len(seq), False
                break
            if asg.mode == PREEMPT:
                b = (id(asg), w.priority)  # A8's bound reads no more of the workload
                hope = bounds.get(b)  # type: ignore[assignment]
                if hope is None:
                    ix = eng.index
                    held = kept_bound(ix, cq, w, asg, eng.fair) if ix.bound else False
                    if held is None and SETTLED and ix.failed_before(cq, w, asg, eng.fair):
                        hope = True  # A55: its search fails again (not kept: per workload)
                    else:
                        hope = bounds[b] = held if held is not None else fresh_bound(
                            ix, cq, w, asg, eng.fair)
                if not hope and targets(eng.index, eng.m, eng.fair, cq, w, asg):
                    stop, done = len(seq), False
                    break
            reasons = why.get(id(asg))
            if reasons is None:
                reasons = why[id(asg)] = list(asg.reasons)
                if asg.mode == PREEMPT:
                    reasons.append(NO_VICTIMS)
                elif not reasons:
                    reasons.append(NO_QUOTA)
            seq.append((w, asg, reasons, i if w is not nom else -1))
            if moved is not None:
                c = eq_class(w)
                moved.add(c)
                if mates is not None:
                    mates.update(_classes.members(eng, name, c, eq_class))
        walks.append((name, seq, done))
        if done and nom is None and len(seq) + passed == len(ws):  # every workload failed
            kept_walks[name] = _kept(eng, cq.name, key, seq)
    longest = max((len(s) for _, s, _ in walks), default=0)
    over = all(d for _, _, d in walks) and longest < budget
    n = longest + 1 if over else stop
    for name, seq, _ in walks:
        part = seq[:n]
        if not part:
            continue
        # failed() of each, in order, for BestEffortFIFO without A6: its reasons, the
        # queue's nomination dropped, set aside
        eng.reasons.update((f[0].name, f[2]) for f in part)
        eng._nominated.pop(name, None)
        eng.parked.update(f[0].name for f in part)
        if eng.hashing:  # A2c: each failure sets its class aside in its queue
            for f in part:
                bulk_move(eng, name, f[0], f[2])
        last = max(f[3] for f in part)
        if last >= 0:
            eng._skip[name] = (eng.parked, last)
    eng.cycle += n
    eng.pruned_now = False
    return n, over


MATES = 4  # A71: the backlog above which the walk reads a failed class's workloads by name
PASSED = True  # A61: a queue whose workloads are all set aside is not walked (tests)
FIRST = True  # A37: a head that fits in the first cycle is looked for first (tests)
# A55: a head whose kept bound would be computed again, but whose failed search stands,
# fails without the bound (``targets()`` would answer from the failed search first)
SETTLED = True


# per queue, as the walk reads it first: its name and ClusterQueue, its nominee, its
# workloads in order, where its walk starts (A10), its first workload not set aside from
# there, and the usage versions of its flavors (its tries' key, A12)
_Head = tuple[str, ClusterQueue, Workload | None, list[Workload], int, int, Vers]


def _heads(eng: Engine, names: list[str], first: bool) -> tuple[list[_Head] | None, bool]:
    """What the walk reads first of each queue (``_Head``), read once for A37 and the walk
    (nothing moves in between); None when a queue is not BestEffortFIFO without a
    stopPolicy (the walk returns at once: ``step()``). ``first`` (A37): also whether some
    queue's head in the first cycle (its nominee, else its first workload not set aside)
    fits, reading the queues up to it. Then the walk would stop at the first cycle whatever
    the other queues' heads do, and change nothing: looking for it first spares the
    preemption bounds and searches of the queues walked before it (``step()`` runs that
    cycle and tries every head again). Reads nothing a walk does not; each try is kept
    (A12)."""
    out: list[_Head] = []
    parked, tries = eng.parked, eng.tries
    for name in names:
        cq = eng.m.cluster_queues[name]
        if cq.strategy != "BestEffortFIFO" or cq.stop_policy != "None":
            return None, False
        nom = eng.pending.get(eng._nominated.get(name, ""))
        ws = queue_order(eng, name)
        skip = eng._skip.get(name)
        start = j = skip[1] if skip is not None and skip[0] is parked else 0
        if nom is None:
            while j < len(ws) and ws[j].name in parked:
                j += 1
        w = nom if nom is not None else ws[j] if j < len(ws) else None
        if w is None:
            _live.dead(eng, name)  # A70: no nominee, every workload set aside
        key = tries.versions(eng, cq) if w is not None or not PASSED else ()  # (A61: unread)
        out.append((name, cq, nom, ws, start, j, key))
        if first and w is not None and tries.get(eng, cq, w, key).mode == FIT:
            return out, True
    return out, False


def _kept(eng: Engine, cq: str, key: Vers, seq: list[Fail]) -> Walk:
    """A walk in which every workload of ``cq`` failed, with what it read (A14)."""
    ix, scope = eng.index, set[FR]()
    for asg in {id(f[1]): f[1] for f in seq if f[1].mode == PREEMPT}.values():
        scope.update(ix._scope(cq, asg.usage_frs()))
    frs = tuple(sorted(scope))
    return key, frs, ix._versions(frs), ix.bound, seq


def _still(eng: Engine, kept: Walk, key: Vers) -> bool:
    """Whether nothing a kept walk read has moved: its queue's workloads are the same (a
    kept walk goes when one joins or leaves), and so are its flavor versions (A12), the
    versions of its searches' scopes (A7) and whether A8 is on."""
    return kept[0] == key and kept[3] == eng.index.bound and \
        eng.index._versions(kept[1]) == kept[2]
