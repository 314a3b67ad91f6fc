"""Admitted workloads by flavor-resource, and a memo of preemption searches that found
nothing (rule A7: speed only, the engine decides the same with or without them).

A preemption candidate must use a flavor-resource the preemptor needs (P2), so candidates
are looked up per flavor-resource instead of scanning every admitted workload. A search for
targets (classic or fair sharing) reads only the admitted workloads on the preemptor's
flavor-resources and the usage, on the flavor-resources they hold, of the nodes on the paths
from the root to the preemptor's ClusterQueue and to every ClusterQueue with quota on one of
those flavor-resources (fits, borrowing and the shares compared; a root cohort's own share
is never read, and what it has left is read only for the preemptor's flavor-resources).
Every change of usage bumps a version per flavor-resource, so a search that found nothing
is not run again while the same workload asks for the same usage and none of the versions
it read has moved.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping
from heapq import merge
from typing import Any

from aifab.sched import _moves, _vers
from aifab.sched._assign import Assignment
from aifab.sched._bound import Usage, hopeless
from aifab.sched._cert import Cert, certificate, holds
from aifab.sched._classic import classic_targets
from aifab.sched._model import FR, ClusterQueue, Manifests
from aifab.sched._moves import Moves
from aifab.sched._preempt import Admitted, fair_targets
from aifab.sched._quota import QuotaTree
from aifab.sched._spent import Spent
from aifab.sched._usage import _limits
from aifab.sched._workload import Workload

_Key = tuple[str, int, float | None, str, bool, str | None]  # (A66: the usage as text)
# usage versions of flavor-resources, None for one not moved yet (``Index._versions``)
Vers = tuple[int | None, ...]
_Failed = tuple[tuple[FR, ...], Vers, Cert | None]  # scope, versions, A39


def _two(t: tuple[int, int, Admitted] | tuple[int, int]) -> tuple[int, int]:
    return t[0], t[1]


class PerQueue:
    """Admitted workloads per flavor-resource and ClusterQueue, each list in P2's order
    (priority, then most recent admission; A19): sorted keys and the workloads."""

    def __init__(self) -> None:
        self.lists: dict[FR, dict[str, tuple[list[tuple[int, int]], list[Admitted]]]] = {}

    def add(self, a: Admitted, key: tuple[int, int], sign: int = 1) -> None:
        for fr in a.usage:
            per = self.lists.setdefault(fr, {})
            keys, objs = per.setdefault(a.cq, ([], []))
            i = bisect_left(keys, key)
            if sign > 0:
                keys.insert(i, key)
                objs.insert(i, a)
                continue
            del keys[i], objs[i]
            if not keys:
                del per[a.cq]

    def groups(self, frs: Mapping[FR, float]) -> dict[str, list[Admitted]]:
        """``pool()`` per ClusterQueue, each in P2's order (A19; do not modify the lists)."""
        pers = [self.lists[fr] for fr in frs if self.lists.get(fr)]
        if len(pers) == 1:
            return {q: v[1] for q, v in pers[0].items()}
        out: dict[str, list[Admitted]] = {}
        for q in {q for per in pers for q in per}:
            lists = [list(zip(*per[q], strict=True)) for per in pers if q in per]
            got: list[Admitted] = []
            for t in merge(*lists, key=lambda t: t[0]):
                if not got or got[-1] is not t[1]:  # on two of ``frs``: once
                    got.append(t[1])
            out[q] = got
        return out


def _quota_on(m: Manifests) -> dict[FR, list[str]]:
    """The ClusterQueues with quota on each flavor-resource."""
    out: dict[FR, list[str]] = {}
    for cq in m.cluster_queues.values():
        for fr in cq.quotas:
            out.setdefault(fr, []).append(cq.name)
    return out


class Index:
    """Admitted workloads per flavor-resource, usage versions, and failed searches."""

    shared = True  # A18: a failed search is kept per request too (False: per workload only)
    # A57: the certificates asked at one epoch and their answers (class default: an index
    # pickled before A57 has none)
    asked: tuple[int, dict[int, tuple[Cert, bool]]] | None = None
    grouped = True  # A19: fair-sharing searches read the pool per ClusterQueue (False: merged)
    # A44: searches' answers per state of the admitted workloads on their flavor-resource
    # (made at the first search: old recordings have none); ``held``: quota reserved for a
    # preemptor in a cycle, when no kept answer is read
    moves: Moves | None = None
    held = 0
    # A77 (``_vers``): the last version given, and the cycle's reservations (class
    # defaults: an index pickled before A77 has neither)
    tick = 0
    mark: _vers.Mark | bool | None = None

    def __init__(self, tree: QuotaTree, m: Manifests) -> None:
        self.tree, self.bound = tree, True  # bound: A8 on
        self.within = m.gates.get("FairSharingPreemptWithinNominal", True)  # F8
        self.by_fr: dict[FR, dict[str, Admitted]] = {}
        # per flavor-resource, (priority, -admission) sorted, kept as workloads come and go
        self.ordered: dict[FR, list[tuple[int, int, Admitted]]] = {}
        self.sorted_pool = True  # pool() gives P2's order (tests replace pool() unsorted)
        self.per_cq = PerQueue()  # A19: the same order per flavor-resource and ClusterQueue
        self.ver: dict[FR, int] = {}
        self._quota_on = _quota_on(m)
        self._scopes: dict[tuple[str, frozenset[FR]], tuple[FR, ...]] = {}
        self._failed: dict[str, tuple[_Key, tuple[FR, ...], Vers, Cert | None]] = {}
        # A18: failed searches per request (not per workload), with the same versions
        self._failed_req: dict[_Key, _Failed] = {}
        self.sums = Usage()  # per flavor-resource, ClusterQueue and priority (A8)
        self._bounds: dict[tuple[object, ...], tuple[Vers, bool, Cert | None,
                                                     dict[int, float] | None]] = {}
        # P10 (classic): a victim of another queue's preemptor, until admitted again -> it
        self.evictor: dict[str, str] = {}
        self.epoch = 0  # A33: moved by every change of usage or of the admitted workloads
        self._found: tuple[object, tuple[Admitted, ...]] | None = None  # A33: last found

    def touch(self, usage: Mapping[FR, float], cq: str | None = None) -> None:
        _vers.moved(self, usage, cq)  # (new versions, A7, A30, A33; A77)

    def reserve(self, cq: str, usage: Mapping[FR, float], sign: int = 1) -> None:
        """Quota held (or, with sign -1, given back) for a preemptor in this cycle (A5)."""
        _vers.reserve(self, cq, usage, sign)

    def add(self, a: Admitted) -> None:
        self.evictor.pop(a.wl.name, None)
        key = (a.wl.priority, -a.at)
        for fr in a.usage:
            self.by_fr.setdefault(fr, {})[a.wl.name] = a
            insort(self.ordered.setdefault(fr, []), (*key, a), key=_two)
        self.per_cq.add(a, key)
        self.sums.add(a.cq, a.wl.priority, a.usage)
        if self.moves is not None:
            self.moves.note(a, True)
        self.touch(a.usage, a.cq)

    def remove(self, a: Admitted) -> None:
        key = (a.wl.priority, -a.at)
        for fr in a.usage:
            del self.by_fr[fr][a.wl.name]
            lst = self.ordered[fr]
            del lst[bisect_left(lst, key, key=_two)]
        self.per_cq.add(a, key, -1)
        self.sums.add(a.cq, a.wl.priority, a.usage, -1)
        if self.moves is not None:
            self.moves.note(a, False)
        self.touch(a.usage, a.cq)

    def forget(self, name: str) -> None:
        self._failed.pop(name, None)

    def pool(self, frs: Mapping[FR, float]) -> list[Admitted]:
        """Admitted workloads using one of ``frs``, lowest priority first, then the most
        recently admitted (P2's order within a group; A9)."""
        lists = [self.ordered[fr] for fr in frs if self.ordered.get(fr)]
        if len(lists) == 1:
            return [t[2] for t in lists[0]]
        out: list[Admitted] = []
        for t in merge(*lists, key=_two):
            if not out or out[-1] is not t[2]:  # on two of ``frs``: once
                out.append(t[2])
        return out

    def _scope(self, cq: str, frs: frozenset[FR]) -> tuple[FR, ...]:
        key = (cq, frs)
        s = self._scopes.get(key)
        if s is None:
            out = set(frs)
            for name in {cq, *(q for fr in frs for q in self._quota_on.get(fr, ()))}:
                path = self.tree.cqs[name].path()
                for n in path[1:] if len(path) > 1 else path:
                    out.update(n.subtree)
            s = self._scopes[key] = tuple(sorted(out))
        return s

    def _versions(self, scope: tuple[FR, ...]) -> Vers:
        return tuple(map(self.ver.get, scope))  # (None: not moved yet, as in versions())

    def _key(self, cq: ClusterQueue, wl: Workload, asg: Assignment, fair: bool) -> _Key:
        return (cq.name, wl.priority, wl.created, asg.usage_text(), fair,
                None if fair else self.evictor.get(wl.name))

    def _req_key(self, cq: ClusterQueue, wl: Workload, asg: Assignment, fair: bool) -> _Key:
        """What a search reads of its workload (A18): its priority, its request, only
        under withinClusterQueue LowerOrNewerEqualPriority its creation time, and in a
        classic search the preemptor it spares (P10)."""
        newer = cq.preemption.within_cluster_queue == "LowerOrNewerEqualPriority"
        return (cq.name, wl.priority, wl.created if newer else None,
                asg.usage_text(), fair,
                None if fair else self.evictor.get(wl.name))

    def failed_before(self, cq: ClusterQueue, wl: Workload, asg: Assignment,
                      fair: bool) -> bool:
        e = self._failed.get(wl.name)
        if e is not None and e[0] == self._key(cq, wl, asg, fair) and _renewed(
                self, self._failed, wl.name, e[1:], e[:1]):
            return True
        if not self.shared:
            return False
        k = self._req_key(cq, wl, asg, fair)
        r = self._failed_req.get(k)
        return r is not None and _renewed(self, self._failed_req, k, r)

    def hopeless(self, cq: ClusterQueue, wl: Workload, asg: Assignment, fair: bool,
                 peek: bool = False) -> bool:
        """A8's bound, kept (``_kept_bound``). ``peek``: only a kept answer (False when none
        is kept)."""
        return bool(_kept_bound(self, cq, wl, asg, fair, peek))

    def sure_to_fail(self, cq: ClusterQueue, wl: Workload, asg: Assignment,
                     fair: bool) -> bool:
        """Whether ``targets()`` would find nothing, from what is kept alone (no search)."""
        return self.failed_before(cq, wl, asg, fair) or (
            self.bound and self.hopeless(cq, wl, asg, fair, peek=True))

    def note_failed(self, cq: ClusterQueue, wl: Workload, asg: Assignment,
                    fair: bool, cert: Cert | None = None) -> None:
        scope = self._scope(cq.name, asg.usage_frs())
        vers = self._versions(scope)
        self._failed[wl.name] = (self._key(cq, wl, asg, fair), scope, vers, cert)
        if self.shared:
            if len(self._failed_req) > 10_000:
                self._failed_req.clear()
            self._failed_req[self._req_key(cq, wl, asg, fair)] = (scope, vers, cert)


def _kept_bound(ix: Index, cq: ClusterQueue, wl: Workload, asg: Assignment, fair: bool,
                peek: bool | None, fresh: bool = False) -> bool | None:
    """A8's bound, kept per (ClusterQueue, priority, request) while the versions of the
    flavor-resources a search reads stand (A12: it reads no more than the search, and
    not the workload's name or creation time), or (A40) while a hopeless answer's A39
    certificate holds (A43: also its least shares when not hopeless, for the search).
    ``peek``: only a kept answer, else False (None: else None); ``fresh``: computed again
    without looking for a kept one (the caller just found none)."""
    key = _bound_key(cq, wl, asg, fair)
    scope = ix._scope(cq.name, asg.usage_frs())
    hit = None if fresh else ix._bounds.get(key)
    if hit is not None:
        now = _standing(ix, (scope, hit[0], hit[2]))  # (as a failed search's, A62 too)
        if now is not None:
            if now is not hit[0]:
                ix._bounds[key] = (now, *hit[1:])
            return hit[1]
    if peek is None:
        return None
    if peek:
        return False
    vers = ix._versions(scope)
    why, low = dict[FR, float](), dict[int, float]()  # (A40, A42: for a certificate)
    left = dict[int, dict[FR, float]]()  # (A54: what was counted leaving each side)
    out = hopeless(ix.sums, ix.tree, cq, wl.priority, asg.usage, fair, ix.within,
                   why, low, left)
    if len(ix._bounds) > 10_000:
        ix._bounds.clear()
    ix._bounds[key] = (vers, out, certificate(ix.sums, ix.tree, cq, asg, why, low,
                                                   ix.within, (left, _limits(cq, wl.priority)[1]))
                         if out and why else None, None if out else low)
    return out


def kept_bound(ix: Index, cq: ClusterQueue, wl: Workload, asg: Assignment,
               fair: bool) -> bool | None:
    """A8's bound as kept, or None when it would be computed again (A55)."""
    return _kept_bound(ix, cq, wl, asg, fair, None)


def fresh_bound(ix: Index, cq: ClusterQueue, wl: Workload, asg: Assignment,
                fair: bool) -> bool:
    """A8's bound computed again, after ``kept_bound`` found none kept (A55)."""
    return bool(_kept_bound(ix, cq, wl, asg, fair, False, fresh=True))


def _bound_key(cq: ClusterQueue, wl: Workload, asg: Assignment, fair: bool
               ) -> tuple[object, ...]:
    """What A8's bound reads of a request (A12): its queue, priority and usage."""
    return cq.name, wl.priority, asg.usage_text(), fair


def targets(ix: Index, m: Manifests, fair: bool, cq: ClusterQueue, wl: Workload,
            asg: Assignment) -> list[Admitted] | None:
    """The workloads to preempt so that ``wl`` fits (None or empty: none will do), over
    the index's quota tree; ``fair``: fair-sharing preemption (``m``'s strategies)."""
    if ix.failed_before(cq, wl, asg, fair):
        return None
    # A33: a search that found targets, asked again with nothing moved since (the idle walk
    # that finds it hands the cycle to step(), which asks again before anything moves)
    key = (ix.epoch, wl.name, ix._key(cq, wl, asg, fair), tuple(asg.usage))
    if FOUND and ix._found is not None and ix._found[0] == key:
        return list(ix._found[1])
    if not _moves.ON or ix.held or cq.preemption.within_cluster_queue == NEWER:
        return _search(ix, m, fair, cq, wl, asg, key)
    mv = ix.moves  # A44: asked before in the same state on its flavor-resource
    if mv is None:
        mv = ix.moves = Moves()
    k = mv.key(ix._req_key(cq, wl, asg, fair), asg.usage,
               ix._scope(cq.name, asg.usage_frs()))
    if k is None:
        return _search(ix, m, fair, cq, wl, asg, key)
    seen, got = mv.get(k)
    if seen:
        return got
    out = _search(ix, m, fair, cq, wl, asg, key)
    mv.put(k, out)
    return out


def _search(ix: Index, m: Manifests, fair: bool, cq: ClusterQueue, wl: Workload,
            asg: Assignment, key: object) -> list[Admitted] | None:
    """``targets()`` past its kept answers: A8's bound, then the search."""
    if ix.bound and ix.hopeless(cq, wl, asg, fair):
        # A48: with the bound's certificate (A40), the failed search stands while it holds
        hit = ix._bounds.get(_bound_key(cq, wl, asg, fair)) if BOUND_CERT else None
        ix.note_failed(cq, wl, asg, fair, hit[2] if hit is not None else None)
        return None
    srt, why, spent = ix.sorted_pool, dict[FR, float](), Spent() if SEARCH_COUNT else None
    if fair:  # A19: per ClusterQueue lists, not one merged pool
        pool = ix.per_cq.groups(asg.usage) if srt and ix.grouped else ix.pool(asg.usage)
        out = fair_targets(ix.tree, cq, wl, asg, pool, m.fs_strategies, srt, ix.within, why,
                           spent)
    else:
        out = classic_targets(ix.tree, cq, wl, asg, ix.pool(asg.usage), srt,
                              ix.evictor.get(wl.name))
    if not out:
        # A43: the least shares of the bound that ran (or was kept, its versions standing)
        # just before, in this state: it was not hopeless; A79: A54's count from the takes
        hit = ix._bounds.get(_bound_key(cq, wl, asg, fair)) if ix.bound else None
        low = hit[3] if hit is not None else None
        counted = (spent.taken, _limits(cq, wl.priority)[1]) if spent is not None and low else None
        ix.note_failed(cq, wl, asg, fair, certificate(
            ix.sums, ix.tree, cq, asg, why, low, ix.within, counted,
            spent.final if spent is not None else None) if why else None)
    else:
        ix._found = (key, tuple(out))
    return out


def _renewed(ix: Index, kept: dict[Any, Any], k: object, e: _Failed,
             head: tuple[object, ...] = ()) -> bool:
    """Whether failed search ``e`` (``kept[k]``, after ``head``) stands (``_standing``);
    A62: if by its certificate, kept again with the versions now."""
    now = _standing(ix, e)
    if now is not None and now is not e[1]:
        kept[k] = (*head, e[0], now, e[2])
    return now is not None


def _standing(ix: Index, e: _Failed) -> Vers | None:
    """Whether a failed search, or a hopeless bound (its scope, versions and certificate),
    fails again now: none of the versions it read has moved (A7), or its certificate holds
    (A39, A40, A43: src/aifab/sched/_cert.py). None when not; else the versions to keep it
    with (A62: the versions now when its certificate holds, the search failing in this
    state as in the state it ran in; its own when they have not moved)."""
    now = ix._versions(e[0])
    if e[1] == now:
        return e[1]
    if _holds(ix, e[2]):
        return now if RENEW else e[1]
    return None


def _holds(ix: Index, cert: Cert | None) -> bool:
    """Whether ``cert`` holds now (``_cert.holds``); A57: kept with the index's epoch, which
    every change of usage moves, so a certificate asked again in the same state (the idle
    walk, then ``step()``'s nominations and order) is answered from the first time."""
    if cert is None:
        return False
    memo = ix.asked
    if memo is None or memo[0] != ix.epoch:  # (only this epoch's: few, none kept alive)
        memo = ix.asked = (ix.epoch, {})
    hit = memo[1].get(id(cert)) if HELD else None
    if hit is not None and hit[0] is cert:
        return bool(hit[1])
    out = holds(ix.sums, ix.tree, cert)
    memo[1][id(cert)] = (cert, out)
    return out


# A62: a failed search or hopeless bound found to stand by its certificate is kept with the
# versions of the state it was found in (False: with those of the state it was made in, tests)
RENEW = True
HELD = True  # A57 (False: every certificate checked at every ask, tests)

# A44 keeps no answer under it: the candidates' creation times are compared too
NEWER = "LowerOrNewerEqualPriority"
BOUND_CERT = True  # A48 (False: a search ruled out by the bound is kept with no certificate)
SEARCH_COUNT = True  # A79 (False: a failed search's certificate counts nothing, tests)
FOUND = True  # A33: the last search that found targets kept while nothing moves (tests)
