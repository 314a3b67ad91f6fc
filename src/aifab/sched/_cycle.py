"""One scheduling cycle's choices for :class:`~._engine.Engine`: the head of each
ClusterQueue (A1, A2, A5, A6) and the order the heads are tried in (A3, F2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from aifab.sched import _classes, _fairorder, _live
from aifab.sched._assign import FIT, NOFIT, PREEMPT, Assignment, Domains, assign, text
from aifab.sched._fairorder import Entry, tournament
from aifab.sched._index import Index, Vers
from aifab.sched._model import FR, ClusterQueue, Manifests
from aifab.sched._preempt import Admitted
from aifab.sched._quota import EPS, QuotaTree
from aifab.sched._workload import Workload


class Engine(Protocol):
    """What a cycle's choices read and keep of :class:`~._engine.Engine` (named here so
    this module does not import the engine that imports it)."""

    m: Manifests
    tree: QuotaTree
    index: Index
    domains: Domains
    fair: bool
    prune: bool
    pruned_now: bool
    pending: dict[str, Workload]
    parked: set[str]
    reasons: dict[str, list[tuple[str, str]]]
    _members: dict[str, dict[str, Workload]]
    _sorted: dict[str, list[Workload]]
    _active: set[str]
    _live: _live.Live | None
    _classes: _classes.Index | None
    _nofit: dict[str, dict[str, float]]
    _nopreempt: dict[str, list[tuple[dict[str, float], int, float]]]
    _nominated: dict[str, str]
    _skip: dict[str, tuple[set[str], int]]
    cycle: int
    tries: Tries
    hashing: bool
    bulk: dict[str, dict[str, list[tuple[str, str]]]] | None

    @property
    def events(self) -> Sequence[object]: ...  # admissions and preemptions append here


Fail = tuple[Workload, Assignment, list[tuple[str, str]], int]  # a failing head, its index
# A14: a queue's walk in which all its workloads failed, with the flavor versions (A12) and
# the versions of the preemption searches' scopes (A7) it read, and whether A8 was on
Walk = tuple[Vers, tuple[FR, ...], Vers, bool, list[Fail]]


class Tries:
    """Flavor assignments, per ClusterQueue and request, kept while nothing they read has
    moved (rules A12, A15, A16; speed only). An assignment reads the usage, on the nodes
    from the root to its ClusterQueue, of the flavor-resources it tries (all on the ClusterQueue's
    flavors), and the free topology domains of those flavors. Every change of usage bumps
    the index's version of that flavor-resource (A7), and every change of a flavor's
    domains comes with a change of usage of that flavor (an admission or removal with a
    placement there), so a try is kept with the versions of every flavor-resource, of any
    ClusterQueue, on its ClusterQueue's flavors, and not made again while they are equal."""

    fits = True  # A16: tries that fit are kept too (False: only failing ones, tests)

    def __init__(self, m: Manifests) -> None:
        frs = {fr for cq in m.cluster_queues.values() for fr in cq.quotas}
        self._frs: dict[str, tuple[FR, ...]] = {}
        for cq in m.cluster_queues.values():
            mine = {f for g in cq.groups for f in g.flavors}
            self._frs[cq.name] = tuple(sorted(fr for fr in frs if fr[0] in mine))
        # A13: kept per (ClusterQueue, pod sets' values): assign() reads nothing else of
        # the workload (not its name, priority or creation time)
        self._kept: dict[tuple[str, _Sig], tuple[Vers, Assignment]] = {}
        # A14: per ClusterQueue, its last walk in which every workload failed (``_idle``)
        self.walks: dict[str, Walk] = {}
        # A15: what a ClusterQueue can use unused of a flavor-resource, at its version
        self._avail: dict[tuple[str, FR], tuple[int, float]] = {}

    def versions(self, eng: Engine, cq: ClusterQueue) -> Vers:
        """What a kept try of ``cq`` is kept with: the usage versions of its flavors."""
        # (a flavor-resource not yet moved reads None, not 0: tuples made the same way
        # compare the same)
        return tuple(map(eng.index.ver.get, self._frs[cq.name]))

    def get(self, eng: Engine, cq: ClusterQueue, wl: Workload,
            key: Vers | None = None) -> Assignment:
        """``assign()`` of ``wl`` in ``cq`` now (``key``: ``versions()`` now, if known)."""
        if key is None:
            key = self.versions(eng, cq)
        k = (cq.name, _sig(wl))
        hit = self._kept.get(k)
        if hit is not None:
            if hit[0] == key:
                return hit[1]
            if hit[1].above is not None and self._still_above(eng, cq.name, hit[1].above):
                self._kept[k] = (key, hit[1])  # A15: the same comparisons, the same result
                return hit[1]
        asg = assign(eng.tree, eng.m, eng.domains, cq, wl, eng.fair)
        # one that fits too (A16): the idle walk (A13) that finds it hands the cycle to
        # ``step()``, which asks again with nothing moved; admitting it moves the versions
        if asg.mode == FIT and not self.fits:
            self._kept.pop(k, None)
            return asg
        if len(self._kept) > 100_000:
            self._kept.clear()
        self._kept[k] = (key, asg)
        return asg

    def _still_above(self, eng: Engine, cq: str,
                     above: list[tuple[FR, float, str | None]]) -> bool:
        """Whether every quota comparison of a kept try (A15) still finds its need above
        what ``cq`` can use unused, and the unused quota its reasons print is the same.
        What a node can use of a flavor-resource moves only with that flavor-resource's
        usage version (A7), so it is kept per (ClusterQueue, flavor-resource, version)."""
        ver, memo, tree = eng.index.ver, self._avail, eng.tree
        for fr, need, shown in above:
            v = ver.get(fr, 0)
            hit = memo.get((cq, fr))
            if hit is not None and hit[0] == v:
                avail = hit[1]
            else:
                avail = tree.available(tree.cqs[cq], fr)
                memo[(cq, fr)] = (v, avail)
            if need <= avail + EPS or (shown is not None and f"{max(avail, 0):g}" != shown):
                return False
        return True

    def moved(self, queue: str, skip: dict[str, tuple[set[str], int]]) -> None:
        """A workload joined or left ``queue`` (kept tries are shared by the workloads of
        one request, A13, and stay): where its head walks start (A10) and its kept walk
        (A14) go."""
        skip.pop(queue, None)
        self.walks.pop(queue, None)


_Sig = str


def _sig(w: Workload) -> _Sig:
    """The values of a workload's pod sets (all ``assign()`` reads of it), kept per pod-set
    tuple (pod sets are frozen; their dicts are not changed after a workload is made), as
    the text of their tuple: a string keeps its hash, so the kept tries are looked up
    without hashing the nested values again (A66; the same values give the same text, and
    the text of names, numbers and None tells different values apart)."""
    key = id(w.pod_sets)
    hit = _SIG.get(key)
    if hit is not None and hit[0] is w.pod_sets:
        return hit[1]
    out = text(tuple((ps.name, ps.count, tuple(sorted(ps.per_pod.items())),
                      tuple(sorted(ps.node_selector.items())), ps.required, ps.preferred)
                     for ps in w.pod_sets))
    if len(_SIG) > 100_000:
        _SIG.clear()
    _SIG[key] = (w.pod_sets, out)
    return out


_SIG: dict[int, tuple[object, _Sig]] = {}


NO_VICTIMS = ("priority", "fits only by preemption, and no admitted workload it may preempt "
                          "frees enough quota")
NO_QUOTA = ("quota", "does not fit in the ClusterQueue's flavors")


def _order_key(w: Workload) -> tuple[int, float, str]:
    return (-w.priority, w.created, w.name)


def _plain(w: Workload) -> dict[str, float] | None:
    """The request of a one-pod-set workload without node selector or topology (whose fit
    only worsens as it grows); None for others (kept per pod-set tuple: pod sets are
    frozen)."""
    key = id(w.pod_sets)
    hit = _PLAIN.get(key)
    if hit is not None and hit[0] is w.pod_sets:
        return hit[1]
    out = _plain_of(w)
    if len(_PLAIN) > 100_000:
        _PLAIN.clear()
    _PLAIN[key] = (w.pod_sets, out)
    return out


_PLAIN: dict[int, tuple[object, dict[str, float] | None]] = {}


def _plain_of(w: Workload) -> dict[str, float] | None:
    if len(w.pod_sets) != 1:
        return None
    ps = w.pod_sets[0]
    if ps.node_selector or ps.required or ps.preferred:
        return None
    return {r: ps.count * v for r, v in ps.per_pod.items() if v > 0}


def queue_order(eng: Engine, cq: str) -> list[Workload]:
    """Pending workloads of ``cq``: priority, then creation time (A1)."""
    if cq not in eng._sorted:
        eng._sorted[cq] = sorted(eng._members[cq].values(), key=_order_key)
    return eng._sorted[cq]


def pruned(eng: Engine, cq: str, w: Workload) -> bool:
    """A plain gang at least as large as one that did not fit (quota only grows
    scarcer until something is freed): set aside without a try."""
    req = _plain(w) if eng.prune else None
    if req is None:
        return False

    def covers(small: dict[str, float]) -> bool:
        return set(req) == set(small) and all(req[r] >= small[r] for r in req)

    small = eng._nofit.get(cq)
    why = None
    if small is not None and covers(small):
        why = "a smaller workload of its queue did not fit either"
    elif any(w.priority <= p and w.created >= c and covers(r)
             for r, p, c in eng._nopreempt.get(cq, ())):
        why = ("a smaller, no later, no lower-priority workload of its queue found "
               "nothing to preempt")
    if why is None:
        return False
    eng.parked.add(w.name)
    eng.reasons[w.name] = eng.reasons.get(w.name) or [("quota", why)]
    return True


def _first(eng: Engine, cq: str, ws: list[Workload]) -> Workload | None:
    """The first workload of ``ws`` (``cq``'s pending, in order) not set aside. Set-aside
    workloads stay so until ``parked`` is replaced by an empty set, so a walk starts where
    the last one stopped while ``parked`` is the same set and the queue has not changed
    (the engine drops the start on every change to the queue) (A10)."""
    skip = eng._skip.get(cq)
    start = skip[1] if skip is not None and skip[0] is eng.parked else 0
    for i in range(start, len(ws)):
        w = ws[i]
        if w.name in eng.parked:
            continue
        eng._skip[cq] = (eng.parked, i)
        if pruned(eng, cq, w):  # A6: set aside as its failed try would be, and like that
            eng._nominated.pop(cq, None)  # try it takes the queue's turn in this cycle
            eng.pruned_now = True  # and counts as a change (the next one heads next cycle)
            return None
        return w
    eng._skip[cq] = (eng.parked, len(ws))
    _live.dead(eng, cq)  # A70: no head (heads() calls it only for a queue without nominee)
    return None


def heads(eng: Engine) -> list[tuple[ClusterQueue, Workload]]:
    out = []
    for name in _live.queues(eng):  # (A70: those that may give a head)
        ws = queue_order(eng, name)
        cq = eng.m.cluster_queues[name]
        if cq.stop_policy != "None":
            for w in ws:
                eng.reasons[w.name] = [("stopped", f"ClusterQueue {cq.name!r} has "
                                                    f"stopPolicy {cq.stop_policy}")]
            continue
        order = ws
        nom = eng.pending.get(eng._nominated.get(name, ""))
        if nom is not None:
            order = [nom]
        elif cq.strategy == "BestEffortFIFO":
            order = [] if (head := _first(eng, name, ws)) is None else [head]
        if order:
            out.append((cq, order[0]))
            for w in order[1:]:
                if cq.strategy == "StrictFIFO":
                    eng.reasons[w.name] = [("fifo", f"StrictFIFO: behind {order[0].name!r}"
                                                     " at the head of the queue")]
    return out


def order(eng: Engine, entries: list[Entry],
          plan: Mapping[str, Sequence[Admitted] | None] | None = None) -> Iterator[Entry]:
    """The heads in the order they are tried (A3, F2, F5). With fair sharing the order is
    made one pick at a time, as Kueue's fair-sharing iterator pops: each pick reads the
    quota tree as the admissions and preemptions before it in the cycle left it.
    ``plan``: the targets each head that needs preemption found as the cycle began (A59)."""
    def key(e: Entry) -> tuple[int, float, str]:
        return (-e[1].priority, e[1].created, e[1].name)

    if len(entries) == 1 and _fairorder.ALONE:  # A46: one head, no order to make
        yield from entries
        return
    # the heads sure to fail: A12 from kept answers; A59 from the targets found as the cycle
    # began (none: it fails)
    quiet = {id(e) for e in entries if e[2].mode == NOFIT or (e[2].mode == PREEMPT and (
        not plan.get(e[1].name) if plan is not None and QUIET else eng.index.sure_to_fail(
            e[0], e[1], e[2], eng.fair)))}
    if len(quiet) == len(entries):
        yield from entries  # A12: no head can admit or preempt; what each records is its own
        return
    if not eng.fair:  # A3: a waiting preemptor under a nested cohort first, then level
        # (every waiting preemptor with Kueue's PrioritizePreemptorWorkloads gate)
        nom, cqs = eng._nominated, eng.tree.cqs
        gated = eng.m.gates.get("PrioritizePreemptorWorkloads", False)
        yield from sorted(entries, key=lambda e: (
            nom.get(e[0].name) != e[1].name or (not gated and len(cqs[e[0].name].path()) < 3),
            e[2].level, *key(e)))
        return
    yield from tournament(eng, entries, key, quiet if plan is not None and QUIET else None,
                          plan)


# A59: the heads sure to fail are read from the cycle's targets, and the tournament stops
# ordering once only such heads are left (False: A12's kept answers only, tests)
QUIET = True


def eq_class(w: Workload) -> str:
    """A2c: a workload's scheduling equivalence class (Kueue's SchedulingHash: its pod
    sets' values and its priority)."""
    return f"{_sig(w)}#{w.priority}"


def bulk_move(eng: Engine, cq: str, wl: Workload, reasons: list[tuple[str, str]]) -> None:
    """A2c: ``wl`` of BestEffortFIFO queue ``cq`` was set aside (no fit, or nothing to
    preempt): every pending workload of ``cq`` of its class is set aside with it, with its
    reasons, and the class is kept until the queue's next requeue (new ones of it are set
    aside on arrival, ``Engine._enqueue``)."""
    bulk = eng.bulk
    assert bulk is not None
    c = eq_class(wl)
    got = bulk.setdefault(cq, {})
    if c in got:  # moved before: its workloads are set aside (and new ones on arrival)
        return
    got[c] = reasons
    parked = eng.parked
    moved = [n for n in _classes.members(eng, cq, c, eq_class) if n not in parked]
    parked.update(moved)
    eng.reasons.update(dict.fromkeys(moved, reasons))


def arrived(eng: Engine, wl: Workload) -> None:
    """A2c: a workload queued (new, or evicted) while its class is set aside in its queue
    is set aside at once, with the class's reasons; A71: it joins its class."""
    got = eng.bulk.get(wl.queue) if eng.bulk else None
    if got is None and eng._classes is None:
        return
    c = eq_class(wl)
    if eng._classes is not None:
        _classes.joined(eng, wl, c)
    why = got.get(c) if got else None
    if why is not None:
        eng.parked.add(wl.name)
        eng.reasons[wl.name] = why


def failed(eng: Engine, cq: ClusterQueue, wl: Workload, asg: Assignment,
           reasons: list[tuple[str, str]]) -> bool:
    """Record why a head was not admitted (and what that rules out for larger plain gangs,
    A6); set it aside under BestEffortFIFO. Whether it was newly set aside."""
    eng.reasons[wl.name] = reasons
    eng._nominated.pop(cq.name, None)
    req = _plain(wl) if eng.prune else None  # what A6 rules out is read only under A6
    if asg.mode == NOFIT and req is not None:
        old = eng._nofit.get(cq.name)
        if old is None or sum(req.values()) < sum(old.values()):
            eng._nofit[cq.name] = req
    elif asg.mode == PREEMPT and req is not None:
        seen = eng._nopreempt.setdefault(cq.name, [])
        if len(seen) < 16:
            seen.append((req, wl.priority, wl.created))
    if cq.strategy == "BestEffortFIFO" and wl.name not in eng.parked:
        eng.parked.add(wl.name)
        if eng.hashing:
            bulk_move(eng, cq.name, wl, reasons)
        return True
    return False
