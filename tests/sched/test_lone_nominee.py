"""Rule A46 (docs/sched.md; speed, no change in outcome): the fair-sharing tournament
compares shares only where two or more children nominate. A cohort whose one child with a
head left nominates that head without computing its share, the children compared are taken
from the heads' paths rather than every child of the cohort, and a cycle of one head does
not run the tournament. Checked against a reference tournament written from Kueue's rule
(every child of every cohort, every key computed afresh at every pick) and by engine runs
with the shortcut on and off."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import counting
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, STRATS, _m
from test_grouped import _log
from test_repeats import LOOP_SEEDS, _random_loops, _random_run, on_off
from test_scoped_tournament import _wide

from aifab.sched import Engine, _fairorder, gang
from aifab.sched._cycle import heads
from aifab.sched._quota import borrowing_on, carried


def _key(e: Any) -> tuple[int, float, str]:
    return (-e[1].priority, e[1].created, e[1].name)


def _reference(eng: Engine, entries: list[Any]) -> list[str]:
    """Kueue's tournament as documented: at each cohort, over all its children in order,
    the child whose nominee has the lowest (non-borrowing first, share, priority, age)
    nominates; the root's winner is popped and everything is computed again."""
    tree, left, out = eng.tree, list(entries), []
    nb = eng.m.gates.get("FairSharingPrioritizeNonBorrowing", True)

    def best(n: Any) -> Any:
        if n.is_cq:
            return next((e for e in left if e[0].name == n.name), None)
        top, tk = None, None
        for ch in n.children:
            w = best(ch)
            if w is None:
                continue
            extra = carried(tree.cqs[w[0].name], ch, w[2].usage)
            k = (True, nb and borrowing_on(ch, extra, w[2].usage), tree.share(ch, extra),
                 *_key(w))
            if tk is None or k < tk:
                top, tk = w, k
        return top

    while left:
        roots = {id(r): r for r in (tree.cqs[e[0].name].path()[0] for e in left)}
        pick = min((w for r in roots.values() if (w := best(r)) is not None), key=_key)
        left.remove(pick)
        out.append(pick[1].name)
    return out


# (cohort, queue, GPUs, priority) of random gangs on ``_wide``
WIDE_JOBS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(1, 6),
                               st.integers(0, 2)), min_size=1, max_size=40)


def heads_of(jobs: list[tuple[int, int, int, int]], done: int, nominal: int,
             every: int = 5) -> tuple[Engine, list[Any]]:
    """The engine after ``jobs`` (a run after each ``every``) and the first ``done`` of
    its admitted workloads finished, everything set aside put back; its heads (entries)."""
    e = Engine(_wide(nominal))
    for i, (c, q, g, p) in enumerate(jobs):
        e.submit(gang(f"j{i}", f"q{c}{q}", g, priority=p))
        if i % every == every - 1:
            e.run()
    for name in sorted(e.admitted)[:done]:
        e.finish(name)
    e.parked = set()
    return e, [(q, w, e.tries.get(e, q, w)) for q, w in heads(e)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WIDE_JOBS, st.integers(0, 12), st.integers(1, 4))
def test_the_order_is_the_reference_tournaments(jobs: list[tuple[int, int, int, int]],
                                                 done: int, nominal: int) -> None:
    """The heads of a state reached by random submissions and finishes, ordered by the
    tournament (nothing admitted between picks), come in the reference's order."""
    e, entries = heads_of(jobs, done, nominal)
    got = [x[1].name for x in _fairorder.tournament(e, entries, _key)]
    assert got == _reference(e, entries)


def test_a_lone_head_computes_no_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heads in two cohorts: at each cohort one child nominates (no share computed there),
    and at the root the two cohorts' nominees are compared (two shares); with the
    shortcut off, each head's share is computed at its queue too (four)."""
    e = Engine(_wide(2))
    for i, q in enumerate(("q00", "q01", "q10", "q11")):
        e.submit(gang(f"a{i}", q, 2))
    e.run()
    e.submit(gang("x", "q02", 3))
    e.submit(gang("y", "q12", 3))
    e.parked = set()
    entries = [(q, w, e.tries.get(e, q, w)) for q, w in heads(e)]
    assert len(entries) == 2
    n = counting(monkeypatch, _fairorder, "carried")
    monkeypatch.setattr(_fairorder, "KEEP", False)
    assert [x[1].name for x in _fairorder.tournament(e, entries, _key)] == \
        _reference(e, entries)
    on = n[0]
    monkeypatch.setattr(_fairorder, "ALONE", False)
    list(_fairorder.tournament(e, entries, _key))
    assert (on, n[0] - on) == (2, 4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_engine_runs_are_the_same_without_the_shortcut(
        jobs: list[tuple[str, int, int, int, int]], strategies: list[str] | None,
        deep: bool) -> None:
    m = _m(True, strategies, deep)
    fast = _log(m, jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_fairorder, "ALONE", False)
        slow = _log(m, jobs)
    assert fast == slow


@pytest.mark.parametrize("seed", range(20))
def test_random_runs_are_the_same(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    shares = counting(monkeypatch, _fairorder, "carried")
    on, off, n_on, n_off = on_off(monkeypatch, lambda: _random_run(seed), _fairorder,
                                  "ALONE", shares)
    assert on == off
    assert n_on <= n_off


@pytest.mark.parametrize("seed", LOOP_SEEDS[:6])
def test_random_loops_are_the_same(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    shares = counting(monkeypatch, _fairorder, "carried")
    on, off, n_on, n_off = on_off(monkeypatch, lambda: _random_loops(seed), _fairorder,
                                  "ALONE", shares)
    assert on == off
    assert n_on < n_off
