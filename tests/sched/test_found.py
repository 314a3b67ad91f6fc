"""Rule A33: a preemption search that found targets is kept while nothing moves (the index's
epoch, moved by every admission, release and reservation), so the cycle that the idle walk
hands to step() does not search again for the head the walk found targets for."""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_bound import _log, _m
from test_deeper import _xyz
from test_side_caps import _fill

import aifab.sched._index as index_mod
from aifab.sched import Engine, _moves, gang


def _jobs(seed: int) -> list[tuple[str, int, int, int, int]]:
    rnd = random.Random(seed)
    return [(rnd.choice("abcder"), rnd.randint(1, 10), rnd.randint(0, 3), rnd.randint(0, 2),
             rnd.randint(0, 3)) for _ in range(40)]


def _run(seed: int, found: bool, mp: pytest.MonkeyPatch) -> tuple[tuple[Any, ...], int]:
    """The events, pending and admitted workloads of a random run, and how many searches
    were answered from the kept one."""
    mp.setattr(index_mod, "FOUND", found)
    mp.setattr(_moves, "ON", False)  # (A44 would answer some of them)
    e = Engine(_m(seed % 2 == 0, [None, ["LessThanInitialShare"]][seed // 2 % 2],
                  deep=seed % 3 == 0))
    hits = [0]
    fair, classic = index_mod.fair_targets, index_mod.classic_targets
    calls = [0]

    def count(f: Any) -> Any:
        def g(*a: Any, **k: Any) -> Any:
            calls[0] += 1
            return f(*a, **k)
        return g

    mp.setattr(index_mod, "fair_targets", count(fair))
    mp.setattr(index_mod, "classic_targets", count(classic))
    search = index_mod.targets

    def kept(ix: Any, *a: Any) -> Any:
        before = calls[0]
        out = search(ix, *a)
        hits[0] += bool(out) and calls[0] == before and ix._found is not None
        return out

    import aifab.sched._engine as engine_mod
    import aifab.sched._idle as idle_mod
    mp.setattr(engine_mod, "targets", kept)
    mp.setattr(idle_mod, "targets", kept)
    return _log(e, _jobs(seed)), hits[0]


@pytest.mark.parametrize("seed", range(8))
def test_a_kept_search_decides_as_a_new_one(seed: int) -> None:
    """Random workloads on nested cohorts (test_bound's configuration), classic and fair:
    the same events, pending and admitted workloads with the kept search as without."""
    with pytest.MonkeyPatch.context() as mp:
        on = _run(seed, True, mp)[0]
    with pytest.MonkeyPatch.context() as mp:
        off, none = _run(seed, False, mp)
    assert on == off
    assert none == 0


def test_kept_searches_are_used() -> None:
    hits = 0
    for seed in range(8):
        with pytest.MonkeyPatch.context() as mp:
            hits += _run(seed, True, mp)[1]
    assert hits > 0


@pytest.mark.parametrize("frozen", [False, True])
def test_a_search_after_a_change_is_made_again(frozen: bool) -> None:
    """test_deeper's first case: a's 8-GPU gang takes 6 of b's and 2 of c's workloads.
    Asked again with nothing moved, the kept targets; after one of them finishes, a new
    search without it. With an epoch that never moves (mutation) the finished workload
    would be taken again."""
    e = Engine(_xyz(6, 10, 10, 9))
    _fill(e, [(f"b{i}", "b", 1) for i in range(18)] + [(f"c{i}", "c", 1) for i in range(17)])
    cq_ = e.m.cluster_queues["a"]
    wl = gang("a1", "a", 8)
    e.submit(wl)
    asg = e.tries.get(e, cq_, wl)
    first = index_mod.targets(e.index, e.m, e.fair, cq_, wl, asg)
    assert first is not None and len(first) == 8
    assert index_mod.targets(e.index, e.m, e.fair, cq_, wl, asg) == first
    with pytest.MonkeyPatch.context() as mp:
        if frozen:
            touch = index_mod.Index.touch

            def still(self: Any, *a: Any, **k: Any) -> None:
                epoch = self.epoch
                touch(self, *a, **k)
                self.epoch = epoch

            mp.setattr(index_mod.Index, "touch", still)
        e.finish(first[0].wl.name)
        asg = e.tries.get(e, cq_, wl)
        again = index_mod.targets(e.index, e.m, e.fair, cq_, wl, asg)
    assert again is not None
    assert (first[0] in again) is frozen
