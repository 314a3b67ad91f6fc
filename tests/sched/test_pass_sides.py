"""Rule A25: a fair-sharing search reads only its own queue and the queues whose every node
from their side down borrows on a flavor-resource it needs; it takes the same targets in the
same order as when it reads every queue (F9 passes over the others at their pick)."""

from __future__ import annotations

from typing import Any
from unittest import mock

from _cfg import cohort, config, cq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, PRE, STRATS, _log, _m
from test_side_caps import _fill

import aifab.sched._preempt as preempt_mod
from aifab.sched import Engine, gang
from aifab.sched._preempt import _borrowing, _side


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_passing_sides_over_changes_nothing(jobs: list[tuple[str, int, int, int, int]],
                                            strategies: list[str] | None, deep: bool) -> None:
    """Same events, pending and admitted workloads with and without (``PASS_SIDES``); and
    at every search the queues read are exactly the preemptor's own and those whose nodes
    from their side down all borrow on the request's flavor-resources."""
    m = _m(True, strategies, deep)
    real = preempt_mod._borrowing

    def check(tree: Any, me: Any, frs: Any, pool: Any) -> Any:
        out = real(tree, me, frs, pool)
        want = set()
        for q, lst in pool.items():
            if not lst:
                continue
            if q == me.name:
                want.add(q)
                continue
            other = tree.cqs[q]
            theirs = _side(me, other)[1]
            if other.path()[0] is me.path()[0] and all(
                    tree.borrowing(n, frs) for n in other.path()[len(theirs.path()) - 1:]):
                want.add(q)
        assert set(out) == want
        assert all(out[q] is pool[q] for q in out)
        return out

    with mock.patch.object(preempt_mod, "_borrowing", check):
        want = _log(Engine(m), jobs)
    with mock.patch.object(preempt_mod, "PASS_SIDES", False):
        assert _log(Engine(m), jobs) == want


def test_a_side_that_does_not_borrow_is_not_read() -> None:
    """Cohorts x (a, b), y (c, d) and z (f, g), 4 GPUs each queue. b borrows 1 beside a; in
    y, c borrows 2 and d lends 1, so y borrows 1; in z, f borrows 1 and g lends 2, so z
    borrows nothing. A search for a reads a, b and c: not d or g (they do not borrow), and
    not f, whose side z does not borrow."""
    m = config(cohort("root"), *(cohort(c, "root") for c in "xyz"),
               *(cq(q, c, 4, preemption=PRE) for q, c in zip("abcdfg", "xxyyzz", strict=True)),
               fair=True)
    e = Engine(m)
    _fill(e, [("b1", "b", 5), ("c1", "c", 6), ("d1", "d", 3), ("f1", "f", 5), ("g1", "g", 2),
              ("a1", "a", 3)])
    fr = ("default", "nvidia.com/gpu")
    pool = e.index.per_cq.groups({fr: 1.0})
    assert sorted(pool) == ["a", "b", "c", "d", "f", "g"]
    assert sorted(_borrowing(e.tree, e.tree.cqs["a"], [fr], pool)) == ["a", "b", "c"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_dropping_a_queue_below_the_preemptors_share_changes_nothing(
        jobs: list[tuple[str, int, int, int, int]], strategies: list[str] | None,
        deep: bool) -> None:
    """A26: same events, pending and admitted workloads with and without (``CAPPED``):
    under LessThanOrEqualToFinalShare a queue whose side's share is below the preemptor
    side's is dropped at its pick instead of trying each candidate (each would fail)."""
    m = _m(True, strategies, deep)
    want = _log(Engine(m), jobs)
    with mock.patch.object(preempt_mod, "CAPPED", False):
        assert _log(Engine(m), jobs) == want


def test_the_final_share_pass_still_skips_to_a_smaller_candidate() -> None:
    """a, b, c with 40, 40, 60 GPUs (140 lent). b runs 65 one-GPU workloads, then a 5-GPU
    one (its most recent, so its first candidate): 30 borrowed, share 214. c uses 4; a uses
    66 and asks for 2 (with it 28 borrowed, share 200, above 0.9 x 214). The
    LessThanOrEqualToFinalShare pass passes over b's 5-GPU workload (b would fall to 25
    borrowed, below a) and takes two one-GPU ones; a rule that dropped b for a share near
    a's would leave the 5-GPU workload to the LessThanInitialShare pass."""
    m = config(cohort("root"), cq("a", "root", 40, preemption=PRE),
               cq("b", "root", 40, preemption=PRE), cq("c", "root", 60, preemption=PRE),
               fair=True)
    e = Engine(m)
    _fill(e, [(f"b{i}", "b", 1) for i in range(65)] + [("big", "b", 5), ("c1", "c", 4)]
          + [(f"a{i}", "a", 6) for i in range(11)])
    e.submit(gang("new", "a", 2))
    evs = e.run() + e.run()
    taken = sorted(ev.workload for ev in evs if ev.kind == "preempt")
    assert len(taken) == 2 and "big" not in taken and "new" in e.admitted
