"""Rule A61 (docs/sched.md; speed, no change in outcome): the idle walk (A13) passes over a
ClusterQueue whose workloads from its walk's start are all set aside and that has no
nominee, without reading its flavor versions or its kept walk (A14): a walk of it finds no
head. Checked by engine runs with the rule on and off (events with cycle numbers, cycle
count, reasons and set-aside workloads; in the random runs also admitted workloads,
creation times and nominees) and by counting the versions read."""

from __future__ import annotations

import pytest
from _cfg import counting
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_idle import JOBS, _log, _m2
from test_repeats import LOOP_SEEDS, _random_loops, _random_run, on_off
from test_tries import _m

import aifab.sched._cycle as cycle_mod
import aifab.sched._idle as idle_mod


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans())
def test_runs_are_the_same_without_the_rule(jobs: list[tuple[str, int, int, int]],
                                            fair: bool) -> None:
    for make in (_m, _m2):
        m = make(fair)
        fast = _log(m, jobs)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(idle_mod, "PASSED", False)
            assert _log(m, jobs) == fast


def test_random_runs_read_fewer_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random runs and loops: the same state with the rule on and off, no more versions
    read with it in any, fewer over all."""
    reads = counting(monkeypatch, cycle_mod.Tries, "versions")
    spared = 0
    for seed in [*range(12), *LOOP_SEEDS[:4]]:
        make = (lambda s=seed: _random_run(s)) if seed < 12 else (
            lambda s=seed: _random_loops(s))
        reads[0] = 0
        on, off, n_on, n_off = on_off(monkeypatch, make, idle_mod, "PASSED", reads)
        assert on == off
        assert n_on <= n_off
        spared += n_off - n_on
    assert spared > 0
