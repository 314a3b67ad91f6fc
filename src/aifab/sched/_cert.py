"""Certificates that a failed fair-sharing search, or a hopeless A8 bound, still stands
after versions moved (rules A39, A40, A42, A43, A54; speed only: the engine decides the same
with or without them; docs/sched.md).

A certificate is taken when a search finds nothing (or the bound finds it hopeless) and
records, level by level down the preemptor's path, the child on the path with its version
and every other child with quota on the request's flavor-resources (its "sides") with its
version, whether it borrowed on them and whether the walk passed over it; the usage of
each node above the preemptor's ClusterQueue; and by how much the request was short at the
end. It holds while:

- the preemptor's ClusterQueue has not moved;
- at a level whose child on the path has not moved, every side that moved was passed over
  then and is now (A39: it borrows on none of the flavor-resources, F9; A42, where A8's
  least shares are known: or its share is 0 or below the least share of the preemptor's
  side at that level, which reads only that unmoved side);
- A43: at a level whose child on the path moved (a release or admission in the
  preemptor's own cohort), the moved child keeps back no quota of the flavor-resources
  (no lendingLimit), and every side borrowed on none of them then and borrows on none now;
  or, where least shares are known, a side that borrowed then was passed over by its
  share and still is, against a lower bound of the moved child's least share now: the
  least share then less, per resource, what the child's usage of it fell (its shares'
  numerator falls by no more), and the child does not stay within its quota with the
  request now (F8);
- the usage of a flavor-resource on which the request was short fell, summed over the
  moved nodes above the preemptor's queue, by less than the shortfall.

A54, for a hopeless bound's certificate, at the top level (the children of the root): a
side that moved and was not passed over then, or is not now, no longer breaks it. It
counts: what the bound would count leaving the side now (with the least share of then
when the path's child has not moved, else with A43's lower bound of it, which counts more),
less what it counted then, in what of each reaches the root (``QuotaTree.remove``: no more
than the side uses beyond its kept-back quota), summed over such sides and added to the
falls of the path's usage, must stay below the shortfall. Exact: the bound removes what it
counts at each side's node; at the top level that reaches only the root, and nothing else
reads it (no least share above), so what the preemptor can use after the removals grows by
no more than the added removals at the root and the falls above its queue, and the request
stays short.

Least shares are known for a bound's certificate, and for a failed search's when A8's
bound ran in the same state (the index's epoch). Exact: a search (or the bound) takes only
from sides that borrow (F9) and compares only their shares with the preemptor's side's,
which stays at or above its least share throughout the search (A8); a side that does not
borrow, or whose share is below that least share, never yields a take, so whether the
tournament picks it changes no take, and the share of the path's child at that level
matters only against such sides. A moved child thus changes nothing but the usage fits()
reads. Sides that did not move hold the same workloads at the same shares, and the
preemptor's own queue is the same, so the search takes the same workloads in the same
order (the bound counts the same removals). Without kept-back quota on the moved nodes a
removal is carried up whole, so what the preemptor can use grows by at most the summed
falls of the usage above it, and every fits() of the search fails again. In the bound, the
moved child's least share reads its usage, what may leave the sides below it (passed over
or unmoved there: the same) and its own queue's (unmoved), so it falls by no more than the
lower bound allows; a side passed over against it then is passed over now.

A79, a failed search's certificate: the search also leaves (``_spent.Spent``) the share of
each node on the path that compared shares at its end, the least it had in the search, and
what its takes below each child of the root moved off the root. While the path's child at
a level has not moved, a moved side whose share is now below that final share yields no
take (either strategy needs the preemptor side's share, never below it, at most or below
the side's share now), and a side that is not passed over counts, at the top level, what
A54 counts leaving it now less what the search took from it then: a side's takes depend
only on its queues and the preemptor side's shares, fixed while the path's child has not
moved. Where it moved, the final share less what its usage fell also bounds its share now.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress
from operator import attrgetter, ne
from typing import Any

from aifab.sched import _equal
from aifab.sched._assign import Assignment
from aifab.sched._bound import Usage, _leaving, _node, _within
from aifab.sched._model import FR, ClusterQueue
from aifab.sched._quota import EPS, Borrows, Node, QuotaTree, carried, holding, lending, within
from aifab.sched._usage import _taken

_Counted = list[dict[FR, float]]
# per level down the path: its child on the path, that child's version and usage, the
# least share of the preemptor's side compared there (A42), and the sides, whether each
# borrowed on the request's flavor-resources and whether it was passed over
_Level = tuple[Node, int, dict[FR, float], float | None, list[Node], list[bool], list[bool],
               list[int], bool, tuple[list[int], list[int]], _Counted | None, "_Up", list[int],
               "_Memo", float | None]
# (and the sides that borrowed, whether A43 may apply, and the versions at which ``holds``
# last found each side passed over, and not borrowing, first those of then: a side's state
# is its version's; A54, for a bound's certificate, at the top level: per side, what of
# what the bound counted leaving it reached the root, per flavor-resource; A64: what of the
# request reaches the path's child, with the versions of the nodes between it and the
# preemptor's queue, which it reads with the queue; A65: the version of the level's cohort
# when the sides' versions last matched the first of those lists; A73: what the last check
# of A54's branch found; A79, a failed search's: the path child's share at its end)
_Up = tuple[Mapping[FR, float], list[tuple[Node, int]]]
# A73: the path's child's version at the last check of A54's branch and the lower bound of
# its least share then, and per side its version, that bound and what it added to ``more``
_Memo = list[Any]
# the preemptor's queue and version, the levels, the usage above it, the shortfall, the
# request, and (A54, a bound's certificate) the highest priority it may take from others
Cert = tuple[Node, int, list[_Level], list[tuple[Node, int, dict[FR, float]]], dict[FR, float],
             dict[FR, float], int | None]

_VER = attrgetter("ver")  # a node's version (A30)

CERT = True  # A39-A42 (False: a failed search stands only while no version moves, tests)
OWN = True  # A43: also after a move in the preemptor's own cohort (False: tests)
COUNTED = True  # A54: a bound's counted sides may move (False: tests)
UP = True  # A64: what reaches the path's child, as the certificate found it (False: tests)
SYNC = True  # A65: sides not read again while their cohort has not moved (False: tests)
MEMO = True  # A73: A54's lower bound and sides kept while they have not moved (False: tests)


def certificate(u: Usage, tree: QuotaTree, cq: ClusterQueue, asg: Assignment,
                short: dict[FR, float], lows: dict[int, float] | None = None,
                within_nominal: bool = True,
                counted: tuple[dict[int, dict[FR, float]], int | None] | None = None,
                final: dict[int, float] | None = None) -> Cert | None:
    """The certificate of a failed search, or with ``lows`` (the least shares of the
    preemptor's sides that A8's side walk compared) of a hopeless bound; None when the
    request was not short (nothing to keep). ``counted`` (A54, a bound's): what it counted
    leaving each target side, and the highest priority it may take from other queues."""
    path = tree.cqs[cq.name].path()
    if len(path) < 2 or not any(v > 0 for v in short.values()):
        return None
    me, frs = path[-1], list(asg.usage)
    levels: list[_Level] = []
    for k in range(len(path) - 1):
        q = path[k + 1]
        low = None  # A42: the bound passes over a side whose share is below it
        if lows is not None and not (within_nominal and _within(tree, me, q, asg.usage)):
            low = lows.get(id(q))
        nodes = [d for d in holding(path[k], frs) if d is not q]
        nbs, passed = [], []
        for d in nodes:
            over, share = _node(u, tree, d)
            nbs.append(nb := over.isdisjoint(frs))
            passed.append(nb or _below(share, low))
        borrowed = [i for i, nb in enumerate(nbs) if not nb]
        own = q is not me and all(q.guaranteed(fr) <= 0 for fr in frs) and all(
            passed[i] for i in borrowed) and (not borrowed or (low is not None and q.weight > 0))
        vers = [d.ver for d in nodes]
        left = None
        if counted is not None and counted[1] is not None and low is not None and k == 0:
            left = [_up(d, counted[0].get(id(d), {})) for d in nodes]
        up = (dict(carried(me, q, asg.usage)), [(n, n.ver) for n in path[k + 2:-1]])
        levels.append((q, q.ver, dict(q.usage) if q is not me else {}, low, nodes, nbs, passed,
                       borrowed, own, (vers, list(vers)), left, up, [path[k].ver],
                       [None, 0.0, {}], final.get(id(q)) if final is not None else None))
    use = [(p, p.ver, {fr: p.usage.get(fr, 0.0) for fr in frs}) for p in path[:-1]]
    return (me, me.ver, levels, use, short, dict(asg.usage),
            counted[1] if counted is not None else None)


def holds(u: Usage, tree: QuotaTree, cert: Cert | None) -> bool:
    """Whether ``cert`` holds now (see the module docstring)."""
    if cert is None or not CERT or cert[0].ver != cert[1] or len(cert) != 7:
        return False  # (a certificate pickled before A54 is taken again)
    me, _, levels, use, short, req, lim = cert
    fall = dict.fromkeys(req, 0.0)  # (the cheapest test first)
    for p, ver, then in use:
        if p.ver != ver:
            for fr, v in then.items():
                fall[fr] += max(0.0, v - p.usage.get(fr, 0.0))
    for fr, v in short.items():  # (a loop: fewer instructions than any() of a generator)
        if v > 0 and fall[fr] < v - 2 * EPS - 1e-9 * (1 + v):
            break
    else:
        return False
    frs = list(req)
    more: dict[FR, float] = {}  # A54: what more may reach the path from counted sides
    for k, lv in enumerate(levels):
        q, ver, _, low, nodes, _, passed, _, own, seen, left = lv[:11]
        count = COUNTED and left is not None and k == 0  # (A54: at the top level only)
        if q.ver == ver:  # (nothing below ``q`` moved: the levels below are as they were)
            # A65: no side moved since their versions last matched ``ok``: the cohort's
            # version moves with every change of usage below it
            sync = lv[12] if SYNC and len(lv) > 12 else None
            par = q.parent
            assert par is not None
            if sync is not None and sync[0] == par.ver:
                break
            ok = seen[0]  # the versions at which each side was found passed over (or then)
            now = list(map(_VER, nodes))
            if now != ok:
                fin = _final(lv)
                for i in compress(range(len(now)), map(ne, now, ok)):  # (those that moved)
                    if not (passed[i] and _passed(u, tree, nodes[i], frs, low)) and not (
                            fin is not None and _passed(u, tree, nodes[i], frs, fin)):
                        if not count:
                            return False
                        assert left is not None and low is not None
                        if _more(u, tree, nodes[i], q, req, lim, low if fin is None else fin,
                                 left, i, more):
                            sync = None  # (counted again at each check: not matched)
                            continue
                    ok[i] = now[i]
            if sync is not None:
                sync[0] = par.ver
            break
        now = list(map(_VER, nodes))
        if not (OWN and (own or (count and q.weight > 0 and q is not me and all(
                q.guaranteed(fr) <= 0 for fr in frs)))):
            return False  # (no kept-back quota, every side that borrowed passed or counted)
        if not _own(u, tree, cert, k, now, more):
            return False
    return not more or any(v > 0 and fall[fr] + more.get(fr, 0.0) < v - 2 * EPS - 1e-9 * (1 + v)
                           for fr, v in short.items())


def _own(u: Usage, tree: QuotaTree, cert: Cert, k: int, now: list[int],
         more: dict[FR, float]) -> bool:
    """A43 at level ``k`` of ``cert``, whose child on the path moved (``now``: its sides'
    versions); A54: a side that borrows (or borrowed) and is not passed over against the
    lower bound of the moved child's least share adds what more may leave it to ``more``."""
    me, _, levels, _, _, req, lim = cert
    lv = levels[k]
    q, _, q_use, low, nodes, nbs, _, borrowed, _, seen, left = lv[:11]
    up = lv[11] if len(lv) > 11 else None  # (a certificate pickled before A64: None)
    frs = list(req)
    ok = seen[1]  # the versions at which each side was found not borrowing (or then)
    if not (COUNTED and left is not None and k == 0):
        if now != ok:
            for i, (a, b) in enumerate(zip(now, ok, strict=True)):
                if a != b and nbs[i]:
                    if not _node(u, tree, nodes[i])[0].isdisjoint(frs):
                        return False
                    ok[i] = a
        if borrowed:
            assert low is not None
            if _within_at(tree, me, q, req, up):
                return False
            least = _floor(tree, q, q_use, low, lv)
            if not all(_passed(u, tree, nodes[i], frs, least) for i in borrowed):
                return False
        return True
    assert low is not None
    # A73: what the last check found, while the path's child (hence ``_within_at`` and the
    # bound ``lb``) and each side have not moved (``me`` has not: ``holds`` checks it first)
    memo = lv[13] if MEMO and len(lv) > 13 else None
    lb: float | None = None
    for i, d in enumerate(nodes):
        if nbs[i]:
            if now[i] == ok[i]:
                continue
            if _node(u, tree, d)[0].isdisjoint(frs):
                ok[i] = now[i]
                continue
        if lb is None:
            if memo is not None and memo[0] == q.ver:
                lb = memo[1]
            else:
                if _within_at(tree, me, q, req, up):
                    return False
                lb = _floor(tree, q, q_use, low, lv)
                if memo is not None:
                    memo[0], memo[1] = q.ver, lb
        hit = memo[2].get(i) if memo is not None else None
        if hit is not None and hit[0] == now[i] and hit[1] == lb:
            adds = hit[2]
        else:  # (A64: ``_gain`` adds nothing when ``_none_counted``)
            adds = () if _none_counted(u, tree, d, req, lim, lb) else _gain(
                u, tree, d, q, req, lim, lb, left, i, False)
            if memo is not None:
                memo[2][i] = (now[i], lb, adds)
        for fr, x in adds:
            more[fr] = more.get(fr, 0.0) + x
    return True


def _within_at(tree: QuotaTree, me: Node, q: Node, req: dict[FR, float], up: _Up | None
               ) -> bool:
    """``_bound._within`` (F8: the path's child ``q`` stays within its quota with ``req``
    added at ``me``), A64: with what of ``req`` reaches ``q`` as the certificate found it,
    while ``me`` (``holds`` checks it first) and the nodes between them have not moved:
    ``carried`` reads only their usage and kept-back quota."""
    if up is None or not UP:
        return _within(tree, me, q, req)
    for n, v in up[1]:
        if n.ver != v:
            return _within(tree, me, q, req)
    return within(q, up[0], req)


def _more(u: Usage, tree: QuotaTree, d: Node, mine: Node, req: dict[FR, float],
          lim: int | None, low: float, left: _Counted, i: int, more: dict[FR, float]
          ) -> bool:
    """A54: add to ``more`` what more of what A8's bound counts leaving side ``d`` (the
    ``i``-th of the top level, a child of the root) reaches the root now than then, with
    ``low`` the least share (exact; A43's branch calls ``_gain`` with a lower bound of it);
    whether it added any."""
    adds = _gain(u, tree, d, mine, req, lim, low, left, i, True)
    for fr, x in adds:
        more[fr] = more.get(fr, 0.0) + x
    return bool(adds)


def _gain(u: Usage, tree: QuotaTree, d: Node, mine: Node, req: dict[FR, float],
          lim: int | None, low: float, left: _Counted, i: int, exact: bool
          ) -> tuple[tuple[FR, float], ...]:
    """What ``_more`` adds to ``more`` (per flavor-resource, in order; A73 keeps it): it
    reads side ``d`` (its version), ``low`` and the certificate's constants."""
    up = left[i]
    return tuple((fr, x) for fr, v in _up(d, _counted(u, tree, d, mine, req, lim, low,
                                                     exact)).items()
                 if (x := v - up.get(fr, 0.0)) > 0)


def _counted(u: Usage, tree: QuotaTree, d: Node, mine: Node, req: dict[FR, float],
             lim: int | None, low: float, exact: bool) -> dict[FR, float]:
    """What A8's bound counts leaving target side ``d`` now (``_bound._by_side``), the
    preemptor side ``mine`` not within its quota, with ``low`` its least share (``exact``)
    or a lower bound of it (more may leave; A53 is then not applied, which only counts
    more)."""
    if lim is None or _none_counted(u, tree, d, req, lim, low):
        return {}
    gone, names = _taken(u, d, req, lim, Borrows(tree, list(req)))
    if not names or (exact and _equal.level(u, tree, d, req, names, _node(u, tree, d)[1],
                                            low)):
        return {}
    return _leaving(u, tree, (d, mine, gone, False, names), {id(mine): low}, lim, req)


def _none_counted(u: Usage, tree: QuotaTree, d: Node, req: dict[FR, float], lim: int | None,
                  low: float) -> bool:
    """Whether A8's bound passes over target side ``d`` now, counting nothing leaving it: it
    may take from no other queue, or ``d`` borrows on none of ``req``'s flavor-resources
    (F9), or its share is 0 or below ``low`` (A42)."""
    if lim is None:
        return True
    over, share = _node(u, tree, d)
    return over.isdisjoint(req) or _below(share, low)


def _up(d: Node, gone: dict[FR, float]) -> dict[FR, float]:
    """What of ``gone``, removed at ``d``, reaches its parent (``QuotaTree.remove``)."""
    return {fr: min(v, max(0.0, d.usage.get(fr, 0.0) - d.guaranteed(fr)))
            for fr, v in gone.items()}


def _least(tree: QuotaTree, q: Node, then: dict[FR, float], low: float) -> float:
    """A lower bound of the least share ``low`` of side ``q`` computed when its usage was
    ``then``: per resource, its borrowed amount falls by at most what its usage of the
    resource's flavors fell (QuotaTree.share; the sides below it and its queue as then)."""
    assert q.parent is not None
    lend = lending(tree, q.parent)
    fall: dict[str, float] = {}
    for fr, v in then.items():
        fall[fr[1]] = fall.get(fr[1], 0.0) + max(0.0, v - q.usage.get(fr, 0.0))
    drop = 0.0
    for r, f in fall.items():  # (max() of the ratios; the same floats, fewer instructions)
        if lend.get(r, 0.0) > 0 and (x := f * 1000.0 / lend[r]) > drop:
            drop = x
    return low - drop / q.weight - 1e-9 * (1.0 + abs(low))


def _floor(tree: QuotaTree, q: Node, then: dict[FR, float], low: float, lv: _Level) -> float:
    """A lower bound now of the share of the moved path child ``q`` throughout the search:
    from A8's least share ``low`` (``_least``), or A79, for a failed search's certificate,
    from the search's final share when that is higher (the search's takes below ``q``
    are no more than then, while the level below holds)."""
    lb = _least(tree, q, then, low)
    fin = _final(lv)
    return lb if fin is None else max(lb, _least(tree, q, then, fin))


def _final(lv: _Level) -> float | None:
    """A79: a failed search's final share of the level's path child (None: a bound's
    certificate, a node within its quota, or a certificate pickled before A79)."""
    return lv[14] if len(lv) > 14 else None


def _passed(u: Usage, tree: QuotaTree, d: Node, frs: list[FR], low: float | None) -> bool:
    """Whether a search passes over side ``d`` now (it borrows on none of ``frs``, F9), or
    with ``low`` whether A8's bound does (F9, or its share is 0 or below ``low``)."""
    over, share = _node(u, tree, d)
    return over.isdisjoint(frs) or _below(share, low)


def _below(share: float, low: float | None) -> bool:
    """A42: whether A8's bound passes over a borrowing side of share ``share`` against the
    least share ``low`` of the preemptor's side (``_bound._short``)."""
    return low is not None and (share <= 0 or low > share)
