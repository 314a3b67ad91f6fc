"""Rule A41: a fair-sharing search reads the share of a node it has not moved from a memo
kept with the node's version between searches: every share it reads is the node's share
at that moment, and the engine decides the same with and without the memo."""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_bound import _log, _m

import aifab.sched._shares as shares_mod
from aifab.sched import Engine


def _jobs(seed: int) -> list[tuple[str, int, int, int, int]]:
    rnd = random.Random(seed)
    return [(rnd.choice("abcdelr"), rnd.randint(1, 10), rnd.randint(0, 3),
             rnd.choice([0, 1, 1, 2]), rnd.randint(0, 3)) for _ in range(60)]


def _run(seed: int, kept: bool, checked: bool, mp: pytest.MonkeyPatch) -> tuple[Any, ...]:
    mp.setattr(shares_mod, "KEPT", kept)
    mp.setattr(shares_mod, "_KEPT", {})
    if checked:
        call = shares_mod._Shares.__call__

        def check(self: Any, n: Any) -> float:
            v = call(self, n)
            assert v == self.tree.share(n), n.name
            return v
        mp.setattr(shares_mod._Shares, "__call__", check)
    e = Engine(_m(True, [None, ["LessThanInitialShare"]][seed % 2], deep=seed % 3 == 0))
    e.index.bound = seed % 2 == 0  # (without A8 more searches)
    return _log(e, _jobs(seed))


@pytest.mark.parametrize("seed", range(10))
def test_kept_shares_are_the_shares_now(seed: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        on = _run(seed, True, True, mp)
    with pytest.MonkeyPatch.context() as mp:
        off = _run(seed, False, False, mp)
    assert on == off


def test_kept_shares_are_used() -> None:
    hits = 0
    for seed in range(10):
        with pytest.MonkeyPatch.context() as mp:
            _run(seed, True, False, mp)
            hits += len(shares_mod._KEPT)
    assert hits > 0
