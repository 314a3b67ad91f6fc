"""Rules A59 and A60 (docs/sched.md; speed, no change in outcome) in the fair-sharing
tournament of a cycle. A59: the heads sure to fail are read from the targets found as the
cycle began (a head that needs preemption and found none fails whatever comes before it),
and once only such heads are left the tournament stops ordering them. A60: each cohort
keeps its children's keys in a heap, so a pick looks again only at the children whose
nominee moved. Checked against the reference tournament (every child of every cohort,
every key computed afresh at every pick) and by engine runs with each rule on and off."""

from __future__ import annotations

import heapq
from types import SimpleNamespace
from typing import Any

import pytest
from _cfg import counting
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, STRATS, _m
from test_grouped import _log
from test_lone_nominee import WIDE_JOBS, _key, _reference, heads_of
from test_repeats import LOOP_SEEDS, _random_loops, _random_run, on_off
from test_scoped_tournament import _wide

from aifab.sched import Engine, _cycle, _fairorder, gang
from aifab.sched._cycle import heads


def _pushes(mp: pytest.MonkeyPatch) -> list[int]:
    """Count A60's heap pushes."""
    n = [0]

    def push(heap: list[Any], item: Any) -> None:
        n[0] += 1
        heapq.heappush(heap, item)

    mp.setattr(_fairorder, "heapq", SimpleNamespace(heappush=push, heappop=heapq.heappop))
    return n


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WIDE_JOBS, st.integers(0, 12), st.integers(1, 4))
def test_the_heap_order_is_the_reference_tournaments(jobs: list[tuple[int, int, int, int]],
                                                      done: int, nominal: int) -> None:
    """The heads of a state reached by random submissions and finishes, ordered by the
    tournament with A60 (nothing admitted between picks), come in the reference's order,
    and as without it."""
    e, entries = heads_of(jobs, done, nominal)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_fairorder, "HEAP", True)
        got = [x[1].name for x in _fairorder.tournament(e, entries, _key)]
        mp.setattr(_fairorder, "HEAP", False)
        old = [x[1].name for x in _fairorder.tournament(e, entries, _key)]
    assert got == _reference(e, entries) == old


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WIDE_JOBS, st.integers(1, 4), st.lists(st.booleans(), min_size=12, max_size=12))
def test_quiet_heads_leave_the_others_in_order(jobs: list[tuple[int, int, int, int]],
                                               nominal: int, quiet: list[bool]) -> None:
    """With any heads marked sure to fail (A59), every head comes once and the others in
    the reference tournament's order (nothing admitted between picks)."""
    e, entries = heads_of(jobs, 0, nominal, every=len(jobs) + 1)
    calm = {id(x) for i, x in enumerate(entries) if quiet[i % 12]}
    got = [x[1].name for x in _fairorder.tournament(e, entries, _key, calm)]
    loud = {x[1].name for x in entries if id(x) not in calm}
    assert sorted(got) == sorted(x[1].name for x in entries)
    assert [n for n in got if n in loud] == [n for n in _reference(e, entries) if n in loud]


def test_a_pick_pushes_only_what_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve heads in three cohorts (four queues each), nothing admitted between picks:
    the first pick pushes every key (12 queues at their cohorts, 3 cohorts at the root);
    each later pick pushes only the picked cohort's new nominee at the root, so no more
    than 15 + 11 in all."""
    e = Engine(_wide(2))
    for c in range(3):
        for q in range(4):
            e.submit(gang(f"a{c}{q}", f"q{c}{q}", 9))
    e.parked = set()
    entries = [(q, w, e.tries.get(e, q, w)) for q, w in heads(e)]
    assert len(entries) == 12
    n = _pushes(monkeypatch)
    got = [x[1].name for x in _fairorder.tournament(e, entries, _key)]
    assert got == _reference(e, entries)
    assert 15 <= n[0] <= 15 + 11


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_engine_runs_are_the_same_with_each_rule_off(
        jobs: list[tuple[str, int, int, int, int]], strategies: list[str] | None,
        deep: bool) -> None:
    m = _m(True, strategies, deep)
    fast = _log(m, jobs)
    for module, flag in ((_fairorder, "HEAP"), (_cycle, "QUIET"), (_fairorder, "DEAD")):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(module, flag, False)
            assert _log(m, jobs) == fast, flag


@pytest.mark.parametrize("seed", range(20))
def test_random_runs_are_the_same(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    pushes = _pushes(monkeypatch)
    on, off, n_on, n_off = on_off(monkeypatch, lambda: _random_run(seed), _fairorder,
                                  "HEAP", pushes)
    assert on == off
    assert n_on > 0 == n_off
    shares = counting(monkeypatch, _fairorder, "carried")
    on, off, n_on, n_off = on_off(monkeypatch, lambda: _random_run(seed), _cycle, "QUIET",
                                  shares)
    assert on == off
    assert n_on <= n_off  # A59 computes no share the tournament without it does not


def test_quiet_heads_spare_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the loop seeds (each cycle admits or preempts while other heads fail), A59
    leaves shares out, and both rules decide the same."""
    shares = counting(monkeypatch, _fairorder, "carried")
    pushes = _pushes(monkeypatch)
    spared = 0
    for seed in LOOP_SEEDS[:8]:
        shares[0] = 0
        on, off, n_on, n_off = on_off(monkeypatch, lambda s=seed: _random_loops(s), _cycle,
                                      "QUIET", shares)
        assert on == off
        assert n_on <= n_off
        spared += n_off - n_on
        pushes[0] = 0
        on, off, n_on, n_off = on_off(monkeypatch, lambda s=seed: _random_loops(s), _fairorder,
                                      "HEAP", pushes)
        assert on == off
        assert n_on > 0 == n_off
    assert spared > 0
