"""Rule A45 (docs/sched.md; speed, no change in outcome): the fair-sharing tournament's
share of a node for a head is kept across cycles and runs per (node, its version, the
head's queue and request), since what it reads moves only with a change below the node."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import counting
from test_repeats import LOOP_SEEDS, _random_loops, _random_run, on_off

from aifab.sched import _fairorder


def _both(monkeypatch: pytest.MonkeyPatch, make: Any) -> tuple[Any, Any, int, int]:
    # (A46 off: it leaves out the lone heads' shares, all that A45 keeps in some loops)
    monkeypatch.setattr(_fairorder, "ALONE", False)
    shares = counting(monkeypatch, _fairorder, "carried")
    return on_off(monkeypatch, make, _fairorder, "KEEP", shares)


@pytest.mark.parametrize("seed", range(40))
def test_random_runs_are_the_same_with_and_without(monkeypatch: pytest.MonkeyPatch,
                                                   seed: int) -> None:
    on, off, n_on, n_off = _both(monkeypatch, lambda: _random_run(seed))
    assert on == off
    assert n_on <= n_off


@pytest.mark.parametrize("seed", LOOP_SEEDS)
def test_random_loops_are_the_same_and_compute_fewer_shares(
        monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Loops run every cycle's tournament on a few states, but node versions only grow:
    what is kept is the shares of nodes below which nothing moved since, across cycles
    and the instants before."""
    on, off, n_on, n_off = _both(monkeypatch, lambda: _random_loops(seed))
    assert on == off
    assert n_on < n_off
