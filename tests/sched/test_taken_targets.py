"""Rule A68 (docs/sched.md; speed, no change in outcome): once a pick of a cycle's
fair-sharing tournament preempts one of the targets another head found as the cycle began,
that head counts with the heads sure to fail (A59): when its turn comes it is skipped, and
once only such heads are left the tournament stops ordering them. Checked by engine runs
with the rule on and off (the same events and state, with no more shares computed), and on
a hand-made cycle where it acts."""

from __future__ import annotations

import pytest
from _cfg import counting
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, STRATS, _m
from test_grouped import _log
from test_repeats import LOOP_SEEDS, _random_loops, _random_run, on_off

from aifab.sched import _fairorder


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_engine_runs_are_the_same_with_the_rule_off(
        jobs: list[tuple[str, int, int, int, int]], strategies: list[str] | None,
        deep: bool) -> None:
    m = _m(True, strategies, deep)
    fast = _log(m, jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_fairorder, "DEAD", False)
        assert _log(m, jobs) == fast


@pytest.mark.parametrize("seed", range(20))
def test_random_runs_are_the_same(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    shares = counting(monkeypatch, _fairorder, "carried")
    on, off, n_on, n_off = on_off(monkeypatch, lambda: _random_run(seed), _fairorder, "DEAD",
                                  shares)
    assert on == off
    assert n_on <= n_off  # A68 computes no share the tournament without it does not


def test_taken_targets_spare_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the loop seeds (cycles in which several heads found the same targets), the
    rule leaves shares out, and decides the same."""
    shares = counting(monkeypatch, _fairorder, "carried")
    spared = 0
    for seed in LOOP_SEEDS:
        shares[0] = 0
        on, off, n_on, n_off = on_off(monkeypatch, lambda s=seed: _random_loops(s), _fairorder,
                                      "DEAD", shares)
        assert on == off
        assert n_on <= n_off
        spared += n_off - n_on
    assert spared > 0


@pytest.mark.parametrize("seed", [1789, 2888])
def test_heads_whose_targets_stand_still_count(monkeypatch: pytest.MonkeyPatch,
                                               seed: int) -> None:
    """Random runs (found by a search over 3,000 seeds) with a cycle in which a head
    still preempts after another's preemption: its targets were not taken, so it is not
    counted with the heads that fail (counting every head that found targets once any
    preemption is made changes their order, and the outcome)."""
    on, off, _, _ = on_off(monkeypatch, lambda: _random_run(seed), _fairorder, "DEAD", [0])
    assert on == off
