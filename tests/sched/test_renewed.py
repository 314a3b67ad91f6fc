"""Rule A62 (docs/sched.md; speed, no change in outcome): a failed search or a hopeless A8
bound found to stand by its certificate (A39-A43, A54) is kept with the versions of the
state it was found in, so that asked again before anything it reads moves, it is answered
without the certificate. Every answer so given is checked against the search or the bound
by test_cert.py, test_own_cert.py and test_counted_cert.py (the rule is on there); here:
the same decisions with the rule off, and fewer certificate checks with it."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import counting
from test_bound import _log
from test_cert import _wide
from test_own_cert import _random
from test_repeats import LOOP_SEEDS, _random_loops, _state, on_off

import aifab.sched._index as index_mod
from _soak import seeds
from aifab.sched import Engine


def _jobs(seed: int, names: list[str]) -> list[tuple[str, int, int, int, int]]:
    rnd = random.Random(seed)
    return [(rnd.choice(names), rnd.randint(2, 12), rnd.randint(0, 3),
             rnd.choice([0, 0, 1, 1, 2]), 0) for _ in range(80)]


@pytest.mark.parametrize("wide", [True, pytest.param(False, marks=pytest.mark.slow)])
def test_runs_decide_the_same_with_fewer_checks(monkeypatch: pytest.MonkeyPatch,
                                                wide: bool) -> None:
    """Loaded random runs on four cohorts of three queues (``wide``) or on nested cohorts:
    the same events, cycles, reasons and set-aside workloads with the rule on and off, and
    fewer certificates checked with it over the runs (none more in any)."""
    checks = counting(monkeypatch, index_mod, "_holds")
    spared = 0
    for seed in seeds(10, 3) if wide else range(10):
        if wide:
            m, names = _wide(), [f"{c}{i}" for c in "wxyz" for i in range(3)]
        else:
            m, names = _random(random.Random(seed))
        jobs = _jobs(seed, names)
        checks[0] = 0
        on, off, n_on, n_off = on_off(monkeypatch, lambda m=m, j=jobs: _run(m, j), index_mod,
                                      "RENEW", checks, state=lambda x: x)
        assert on == off
        assert n_on <= n_off
        spared += n_off - n_on
    assert spared > 0


def _run(m: Any, jobs: list[tuple[str, int, int, int, int]]) -> Any:
    return _log(Engine(m), jobs)


def test_loops_decide_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = counting(monkeypatch, index_mod, "_holds")
    for seed in LOOP_SEEDS[:6]:
        checks[0] = 0
        on, off, n_on, n_off = on_off(monkeypatch, lambda s=seed: _random_loops(s), index_mod,
                                      "RENEW", checks, state=_state)
        assert on == off
        assert n_on <= n_off
