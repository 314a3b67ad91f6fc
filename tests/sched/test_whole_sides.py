"""Rule A34: in a fair-sharing search, a target side that fails its share test without
reading a candidate is passed over with every queue under it and under the sides ranked
below it in the same cohort (F3's order), as the picks that follow would pass over each in
turn; the search takes the same targets."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq
from test_bound import PRE, _log
from test_side_caps import _fill

import aifab.sched._preempt as preempt_mod
from aifab.sched import Engine, gang


def _flat() -> Any:
    """x: a (4 GPUs); y: c1, c2, c3 (2 each); z: e (4). 14 GPUs in all."""
    return config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
                  cohort("z", "root"), cq("a", "x", 4, preemption=PRE),
                  *[cq(f"c{i}", "y", 2, preemption=PRE) for i in (1, 2, 3)],
                  cq("e", "z", 4, preemption=PRE), fair=True)


def _spy(mp: pytest.MonkeyPatch) -> list[list[str]]:
    seen: list[list[str]] = []
    passed = preempt_mod._passed

    def spy(*a: Any) -> list[str]:
        out = passed(*a)
        seen.append(out)
        return out
    mp.setattr(preempt_mod, "_passed", spy)
    return seen


@pytest.mark.parametrize("whole", [True, False])
def test_a_side_below_the_preemptor_is_passed_over_whole(whole: bool) -> None:
    """c1-c3 run three 1-GPU workloads each (y borrows 3 of 14: share 214); e runs 4. a
    asks for 8: with it x borrows 4 (share 286), above y's, so neither strategy takes from
    y (LessThanInitialShare needs 286 < 214; A26 rules out LessThanOrEqualToFinalShare)
    and e does not borrow: the search finds nothing. The first pick of each pass reaches a
    queue of y; with A34 that pass drops all three at once, without it one per pick."""
    e = Engine(_flat())
    e.index.bound = False  # (A8 rules this search out: run it)
    _fill(e, [(f"c{i}{j}", f"c{i}", 1) for i in (1, 2, 3) for j in range(3)]
          + [(f"e{j}", "e", 1) for j in range(4)])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(preempt_mod, "WHOLE", whole)
        seen = _spy(mp)
        e.submit(gang("a1", "a", 8))
        assert e.run() == []
    assert "a1" in e.pending and len(e.admitted) == 13
    sizes = sorted(len(s) for s in seen)
    assert sizes == ([3, 3] if whole else [1] * 6)


def _nested() -> Any:
    """Three cohorts under the root, one of them with a cohort below it, ten queues."""
    return config(cohort("root"), cohort("x", "root"), cohort("y", "root", weight=2),
                  cohort("w", "y"), cohort("z", "root"),
                  *[cq(n, "x", 2, preemption=PRE) for n in "abc"],
                  *[cq(n, "y", 3, preemption=PRE) for n in "de"],
                  *[cq(n, "w", 1, preemption=PRE) for n in "fg"],
                  *[cq(n, "z", 2, preemption=PRE) for n in "hij"], fair=True,
                  strategies=None)


@pytest.mark.parametrize("seed", range(10))
def test_whole_sides_take_the_same_targets(seed: int) -> None:
    """Random workloads on nested cohorts: the same admissions, preemptions, pending and
    admitted workloads with A34 as without."""
    rnd = random.Random(seed)
    jobs = [(rnd.choice("abcdefghij"), rnd.randint(1, 7), rnd.randint(0, 3), rnd.randint(0, 2),
             0) for _ in range(60)]
    logs = []
    for whole in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(preempt_mod, "WHOLE", whole)
            eng = Engine(_nested())
            eng.index.bound = seed % 3 != 0  # (without A8 more searches fail)
            logs.append(_log(eng, jobs))
    assert logs[0] == logs[1]


def test_some_random_runs_batch() -> None:
    """Over those runs some passes drop several queues at once (so the runs above compare
    A34 at work)."""
    n = 0
    for seed in range(10):
        rnd = random.Random(seed)
        jobs = [(rnd.choice("abcdefghij"), rnd.randint(1, 7), rnd.randint(0, 3),
                 rnd.randint(0, 2), 0) for _ in range(60)]
        with pytest.MonkeyPatch.context() as mp:
            seen = _spy(mp)
            eng = Engine(_nested())
            eng.index.bound = seed % 3 != 0
            _log(eng, jobs)
            n += sum(len(s) > 1 for s in seen)
    assert n > 0


def test_sides_ranked_below_the_preemptor_side_stay() -> None:
    """LessThanInitialShare only. 14 GPUs: x: a 4; y: c 2; z: e 2; w: g 6. a runs one
    2-GPU workload of priority 0, c four 1-GPU workloads (y borrows 2), e three (z borrows
    1), g four (within its quota). a asks for 4 at priority 1: with it x borrows 2, as y
    does: y ranks first (same share, name), and fails (2 < 2 is false): A34 drops y. x holds
    a candidate of its own and ranks next, so z (share of 1 borrowed) stays: the search
    takes a's own workload (x then borrows 0), then one of e's (0 < 1), and a fits. Were z
    dropped with y, the search would find nothing."""
    m = config(cohort("root"), *[cohort(n, "root") for n in "xyzw"],
               cq("a", "x", 4, preemption=PRE), cq("c", "y", 2, preemption=PRE),
               cq("e", "z", 2, preemption=PRE), cq("g", "w", 6, preemption=PRE),
               fair=True, strategies=["LessThanInitialShare"])
    e = Engine(m)
    e.index.bound = False
    e.submit(gang("a0", "a", 2, priority=0))
    e.run()
    _fill(e, [(f"c{j}", "c", 1) for j in range(4)] + [(f"e{j}", "e", 1) for j in range(3)]
          + [(f"g{j}", "g", 1) for j in range(4)])
    with pytest.MonkeyPatch.context() as mp:
        seen = _spy(mp)
        e.submit(gang("a1", "a", 4, priority=1))
        evs = e.run()
    first = [(ev.kind, ev.workload[0]) for ev in evs][:3]
    assert first == [("preempt", "a"), ("preempt", "e"), ("admit", "a")]
    assert seen[0] == ["c"]  # y alone; z stays
