"""Rule A21: a fair-sharing search's pick (F3) reads, per cohort, its children holding
candidates kept sorted by (share, name) instead of comparing every child at each pick. The
engine must give the same events (with their cycle numbers), cycle count, reasons and
set-aside workloads as with every child compared (``_Shares.ordered = False``), and each
pick must be the one ``_pick`` makes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, STRATS, _m
from test_grouped import _log
from test_scoped_tournament import _both, _wide

from aifab.sched import Engine, gang
from aifab.sched._shares import _pick, _Shares


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_sorted_picks_change_nothing(jobs: list[tuple[str, int, int, int, int]],
                                     strategies: list[str] | None, deep: bool) -> None:
    fast, slow = _both(_m(True, strategies, deep), lambda m: _log(m, jobs), _Shares, "ordered")
    assert fast == slow


picks: list[int] = []


def _checked_pick(self: _Shares, root: Any) -> str:
    got = real_pick(self, root)
    assert got == _pick(root, self.holders, self)
    picks.append(1)
    return got


real_pick = _Shares.pick


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(1, 6),
                          st.integers(0, 2)), min_size=4, max_size=40))
def test_every_pick_is_the_compared_one(jobs: list[tuple[int, int, int, int]]) -> None:
    """Wide tree (three cohorts of four queues, weights 1-2.5), workloads of every queue,
    some finishing, higher priorities later: searches pick among many queues."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_Shares, "pick", _checked_pick)
        e = Engine(_wide())
        for i, (c, q, g, p) in enumerate(jobs):
            e.submit(gang(f"j{i}", f"q{c}{q}", g, priority=p + i // 10))
            e.run()
            for name in sorted(e.admitted)[: i % 2]:
                e.finish(name)


def test_the_picks_were_checked() -> None:
    picks.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_Shares, "pick", _checked_pick)
        e = Engine(_wide())
        for i in range(24):  # a full tree, some queues borrowing
            e.submit(gang(f"j{i}", f"q{i % 3}{(i // 3) % 4}", 1 + i % 2))
        e.run()
        for i in range(8):  # within nominal quota, reclaiming from borrowers
            e.submit(gang(f"h{i}", f"q{i % 3}{i % 4}", 2, priority=5))
            e.run()
    assert len(picks) > 10
