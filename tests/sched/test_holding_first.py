"""Rules A36 (the sides of a bound or search are only the children with quota on one of the
request's flavor-resources), A37 (the idle walk first looks for a head that fits in the
first cycle) and A38 (a search's borrowing queues kept per side with its version): the
engine decides the same with and without them."""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_bound import _log, _m

import aifab.sched._idle as idle_mod
import aifab.sched._index as index_mod
import aifab.sched._preempt as preempt_mod
import aifab.sched._quota as quota_mod
from aifab.sched import Engine


def _jobs(seed: int) -> list[tuple[str, int, int, int, int]]:
    rnd = random.Random(seed)
    return [(rnd.choice("abcdelr"), rnd.randint(1, 10), rnd.randint(0, 3), rnd.randint(0, 2),
             rnd.randint(0, 3)) for _ in range(40)]


def _run(seed: int, on: bool, mp: pytest.MonkeyPatch) -> tuple[Any, ...]:
    mp.setattr(quota_mod, "HOLDING", on)
    mp.setattr(quota_mod, "_HOLDING", {})
    mp.setattr(idle_mod, "FIRST", on)
    mp.setattr(preempt_mod, "BORROWERS", on)
    mp.setattr(preempt_mod, "_BORROWERS", {})
    m = _m(seed % 2 == 0, [None, ["LessThanInitialShare"]][seed // 2 % 2], deep=seed % 3 == 0)
    return _log(Engine(m), _jobs(seed))


@pytest.mark.parametrize("seed", range(12))
def test_the_same_decisions_with_and_without(seed: int) -> None:
    """Random workloads on test_bound's configuration (cohort x's queues on flavors f1 and
    f2, y's on the default flavor: the root's children hold disjoint flavor-resources),
    classic and fair: the same events, pending and admitted workloads."""
    with pytest.MonkeyPatch.context() as mp:
        on = _run(seed, True, mp)
    with pytest.MonkeyPatch.context() as mp:
        off = _run(seed, False, mp)
    assert on == off


def test_holding_passes_over_children_without_the_flavors() -> None:
    e = Engine(_m(True, None))
    root = e.tree.cqs["a"].path()[0]
    f1 = [fr for fr in e.tree.cqs["a"].quotas if fr[0] == "f1"]
    dflt = [fr for fr in e.tree.cqs["c"].quotas if fr[0] == "default"]
    names = {c.name for c in root.children}
    assert {"x", "y"} <= names
    assert {c.name for c in quota_mod.holding(root, f1)} == {"x"}
    assert {"y"} <= {c.name for c in quota_mod.holding(root, dflt)} and \
        "x" not in {c.name for c in quota_mod.holding(root, dflt)}


def _counted(on: bool) -> tuple[int, int]:
    """Over the random runs: walks that returned at once on a fitting head, bounds computed."""
    hits, bounds = [0], [0]
    first, orig = idle_mod._heads, index_mod.Index.hopeless

    def spy(*a: Any) -> Any:
        out = first(*a)
        hits[0] += out[1]
        return out

    def count(self: Any, *a: Any, **k: Any) -> bool:
        bounds[0] += not k.get("peek", False)
        return orig(self, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(idle_mod, "_heads", spy)
        mp.setattr(index_mod.Index, "hopeless", count)
        for seed in range(12):
            _run(seed, on, mp)
    return hits[0], bounds[0]


def test_the_first_fitting_head_is_found_first() -> None:
    """Over the random runs the walk sometimes returns at once on a head that fits, and
    computes no more bounds than without A37 (the same decisions, above)."""
    on, off = _counted(True), _counted(False)
    assert on[0] > 0 and off[0] == 0
    assert on[1] <= off[1]


def test_kept_borrowers_are_the_borrowers_now() -> None:
    """A38: at every fair-sharing search of the random runs, each side's kept list of
    borrowing queues is the list read again (memo off), for every queue's sides; and some
    are taken from the memo."""
    from aifab.sched._quota import Borrows, off_path

    hits = [0]
    search = index_mod.fair_targets

    def checked(tree: Any, cq: Any, wl: Any, asg: Any, *a: Any, **k: Any) -> Any:
        frs = list(asg.usage)
        for name in tree.cqs:
            if not tree.cqs[name].is_cq:
                continue
            for _, theirs in off_path(tree.cqs[name], frs):
                before = preempt_mod._BORROWERS.get((id(theirs), tuple(frs)))
                hits[0] += before is not None and before[1] == theirs.ver
                kept = preempt_mod._borrowers(theirs, frs, Borrows(tree, frs))
                with pytest.MonkeyPatch.context() as mp:
                    mp.setattr(preempt_mod, "BORROWERS", False)
                    assert kept == preempt_mod._borrowers(theirs, frs, Borrows(tree, frs))
        return search(tree, cq, wl, asg, *a, **k)

    for seed in range(6):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(index_mod, "fair_targets", checked)
            mp.setattr(preempt_mod, "_BORROWERS", {})
            e = Engine(_m(True, [None, ["LessThanInitialShare"]][seed % 2],
                          deep=seed % 3 == 0))
            e.index.bound = False  # (more searches)
            _log(e, _jobs(seed))
    assert hits[0] > 0
