"""Rule A55 (docs/sched.md; speed, no change in outcome): in the idle walk (A13), a head
whose kept A8 bound would be computed again fails without it when its failed search still
stands (A7, A39, A43, A48), as ``targets()`` would answer from that search first. Checked
on random nested configurations (test_own_cert's) and on four cohorts of small queues:
every head the rule fails is checked by running the search (it finds nothing), the runs
decide the same with the rule off, and the rule spares bounds."""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_bound import _log
from test_cert import _wide
from test_own_cert import _random

import aifab.sched._idle as idle_mod
import aifab.sched._index as index_mod
from _soak import fast_first
from aifab.sched import Engine


def _run(m: Any, names: list[str], seed: int, on: bool, counts: dict[str, int]
         ) -> tuple[Any, ...]:
    rnd = random.Random(seed)
    big = max(4, len(names))
    jobs = [(rnd.choice(names), rnd.choice([1, 2, 3, rnd.randint(4, big)]),
             rnd.randint(0, 3), rnd.choice([0, 0, 1, 1, 2, 3]), 0) for _ in range(90)]
    kept_bound, failed_before = idle_mod.kept_bound, index_mod.Index.failed_before
    fresh = idle_mod.fresh_bound
    last: list[object] = [None]

    def kb(ix: Any, cq_: Any, wl: Any, asg: Any, fair: bool) -> Any:
        out = kept_bound(ix, cq_, wl, asg, fair)
        last[0] = wl if out is None else None
        return out

    def fb(ix: Any, cq_: Any, wl: Any, asg: Any, fair: bool) -> bool:
        out = failed_before(ix, cq_, wl, asg, fair)
        if last[0] is wl:  # (just after a bound that would be computed again: A55)
            last[0] = None
            if out and on:
                counts["settled"] += 1
                pool = ix.per_cq.groups(asg.usage)
                assert not index_mod.fair_targets(ix.tree, cq_, wl, asg, pool,
                                                  e.m.fs_strategies, True, ix.within)
        return out

    def fr(ix: Any, *a: Any) -> bool:
        counts["bounds"] += 1
        return fresh(ix, *a)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(idle_mod, "SETTLED", on)
        mp.setattr(idle_mod, "kept_bound", kb)
        mp.setattr(index_mod.Index, "failed_before", fb)
        mp.setattr(idle_mod, "fresh_bound", fr)
        e = Engine(m)
        return _log(e, jobs)


@pytest.mark.parametrize("part", fast_first(range(3), 1))
def test_heads_whose_search_stands_fail_without_the_bound(part: int) -> None:
    """Random runs (the nested configurations; four cohorts of small queues in one part,
    where the rule does not act: the same decisions too)."""
    on_c = {"settled": 0, "bounds": 0}
    off_c = {"settled": 0, "bounds": 0}
    for seed in range(40 * part, 40 * part + 40):
        if part == 2 and seed % 4 == 0:
            m, names = _wide(), [f"{c}{i}" for c in "wxyz" for i in range(3)]
        else:
            m, names = _random(random.Random(seed))
        assert _run(m, names, seed, True, on_c) == _run(m, names, seed, False, off_c), seed
    assert on_c["settled"] > 0
    assert on_c["bounds"] < off_c["bounds"]
