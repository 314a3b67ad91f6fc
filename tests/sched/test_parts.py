"""Rule A72 (speed only): when a target side of A8's bound moved, what each of its children
gave to ``_usage._taken`` (the queues a search may take from and what they use) is kept with
the child's version, and only the children that moved are read again. Checked against the
side read afresh at every search of random workloads on nested cohorts (test_bound's
configuration)."""

from __future__ import annotations

import random
from itertools import pairwise
from typing import Any
from unittest import mock

import pytest
from test_bound import _log, _m

import aifab.sched._engine as engine_mod
from aifab.sched import Engine, _usage
from aifab.sched._quota import Borrows


def _sides(tree: Any) -> list[Any]:
    out, todo = [], [n for n in tree.cqs.values()]
    seen: set[int] = set()
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        if n.parent is not None:
            todo.append(n.parent)
    return sorted(out, key=lambda n: n.name)


# (seeds whose runs search and move a side with a child unmoved: 3, 4, 6, 8 and 9 do not)
@pytest.mark.parametrize("seed", [0, 1, 2, 5, 7, 10, 11])
def test_kept_children_give_the_side_read_again(seed: int) -> None:
    """At every search, for every node of the tree as a target side, every request on one
    or two of its flavor-resources and three priority limits: the queues and amounts
    ``_taken`` gives with A72 equal those of the side read afresh (A35's memo off), in the
    same order and to the same floats; and some sides that moved took up kept children."""
    rnd = random.Random(seed)
    e = Engine(_m(True, [None, ["LessThanInitialShare"]][seed % 2], deep=seed % 2 == 0))
    reused, checked = [0], [0]
    search = engine_mod.targets
    taken = _usage._taken

    def counting(u: Any, theirs: Any, req: Any, lim: int, borrows: Any) -> Any:
        hit = u.sides.get((id(theirs), tuple(req), lim))
        if hit is not None and hit[0] is theirs and hit[1] != theirs.ver:
            kids = theirs.children if not theirs.is_cq else [theirs]
            reused[0] += any(p[0] is c and p[1] == c.ver for p, c in zip(hit[4], kids, strict=True))
        return taken(u, theirs, req, lim, borrows)

    def both(ix: Any, m_: Any, fair_: bool, cq0: Any, wl: Any, asg: Any) -> Any:
        frs = sorted({fr for q in ix.tree.cqs.values() for fr in q.quotas})
        reqs = [{fr: 1.0} for fr in frs] + [{a: 1.0, b: 2.0} for a, b in pairwise(frs)]
        for side in _sides(ix.tree):
            for req in reqs:
                for lim in (0, 2, 10):
                    kept = counting(ix.sums, side, req, lim, Borrows(ix.tree, list(req)))
                    with pytest.MonkeyPatch.context() as mp:
                        mp.setattr(_usage, "SIDE_MEMO", False)
                        again = taken(ix.sums, side, req, lim, Borrows(ix.tree, list(req)))
                    assert kept == again, (side.name, req, lim)
                    checked[0] += 1
        return search(ix, m_, fair_, cq0, wl, asg)

    jobs = [(rnd.choice("abcder"), rnd.randint(1, 10), rnd.randint(0, 3), rnd.randint(0, 2),
             rnd.randint(0, 3)) for _ in range(60)]
    with mock.patch.object(engine_mod, "targets", both):
        _log(e, jobs)
    assert checked[0] > 0 and reused[0] > 0, (checked, reused)


def test_a_moved_child_is_read_again() -> None:
    """By hand: a side's memo after one of its queues admitted more gives the new sum, and
    an unmoved sibling's part is the same object as before (taken up, not read again)."""
    e = Engine(_m(True, None))
    from test_bound import _wl
    for i, (q, g) in enumerate([("a", 5), ("b", 4), ("a", 2)]):
        e.submit(_wl(i, q, g, 0, 0))
        e.run()
    u, tree = e.index.sums, e.tree
    x = tree.cqs["a"].parent
    gpu = next(fr for fr in tree.cqs["a"].quotas if fr[1] == "nvidia.com/gpu"
               and fr in tree.cqs["b"].quotas)
    first = _usage._taken(u, x, {gpu: 1.0}, 10, Borrows(tree, [gpu]))
    parts = u.sides[(id(x), (gpu,), 10)][4]
    e.submit(_wl(9, "a", 1, 0, 0))
    e.run()
    again = _usage._taken(u, x, {gpu: 1.0}, 10, Borrows(tree, [gpu]))
    now = u.sides[(id(x), (gpu,), 10)][4]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_usage, "SIDE_MEMO", False)
        assert again == _usage._taken(u, x, {gpu: 1.0}, 10, Borrows(tree, [gpu]))
    assert [p[0].name for p in now] == ["a", "b"]
    assert now[1] is parts[1] and now[0] is not parts[0]
    assert first != again or first[0] == {}
