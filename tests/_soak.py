"""How much of the random checks a test runs: a part in ``make test``, all of it in the soak
(``python benchmarks/soak.py``, which sets ``AIFAB_SOAK=1``).

The engine's on/off tests (tests/sched: each speed rule on and off over random fleets, the
same decisions asserted) run their first seeds in ``make test`` and every seed in the soak;
most of their cost was in the seeds after the first few. The soak of tests/sched
(``benchmarks/soak.py --sched``) is a gate before a change to ``aifab.sched`` lands
(docs/sched.md), beside ``benchmarks/sched_hash.py`` and ``sched_replay.py beside``. The
twin's invariant and property tests (tests/sim/national) and the siting's monotone
flexibility property (tests/grid/test_flex.py) run fewer hypothesis examples or shorter
horizons in ``make test`` and the full ones in the soak (``part``; docs/benchmarks.md)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, TypeVar

import pytest

SOAK = os.environ.get("AIFAB_SOAK", "") not in ("", "0")
_N = TypeVar("_N", int, float)
_V = TypeVar("_V")


def seeds(stop: int, ci: int, start: int = 0, ci_start: int | None = None) -> range:
    """``range(start, stop)`` under the soak, ``ci`` seeds from ``ci_start`` (default
    ``start``) otherwise."""
    if SOAK:
        return range(start, stop)
    first = start if ci_start is None else ci_start
    return range(first, min(stop, first + ci))


def but(values: Iterable[_V], *heavy: _V) -> list[_V]:
    """``values`` under the soak; without the ``heavy`` ones (a run that takes most of a
    test's time, e.g. a preemption loop run to the cycle limit) otherwise."""
    return [v for v in values if SOAK or v not in heavy]


def fast_first(values: Iterable[Any], n: int = 2, multi: bool = False) -> list[Any]:
    """Parameters for ``pytest.mark.parametrize``: the first ``n`` values as they are, the
    others marked slow (``make test`` runs every one, ``make test-fast`` the first ``n``).
    ``multi``: each value is a tuple of several arguments."""
    out: list[Any] = []
    for i, v in enumerate(values):
        if i < n:
            out.append(v)
        else:
            out.append(pytest.param(*(v if multi else (v,)), marks=pytest.mark.slow))
    return out


def part(full: _N, ci: _N) -> _N:
    """How much of a check to run (hypothesis ``max_examples``, a run's days): ``full``
    under the soak, at most ``ci`` otherwise."""
    return full if SOAK else min(full, ci)
