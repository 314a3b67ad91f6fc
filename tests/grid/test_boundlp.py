"""The warm rolling horizon's LP with one-variable rows as bounds (grid._boundlp): the
same optimum as the LP it copies, before and after right-hand sides change. The warm
blocks of a real network: tests/grid/test_fullcheck.py (blocks of days equal one LP over
all hours, solved warm)."""

from __future__ import annotations

import numpy as np
import pytest

from aifab.grid._boundlp import BoundLP

INF = float("inf")


def _lp() -> object:
    """min x0 + 2 x1 + 3 x2 with rows 2 x0 <= 10, -x1 <= -1, x0 + x1 + x2 >= 7,
    1 <= x2 <= 3 (three of the four rows are singletons, one with a negative
    coefficient, one with both bounds)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    h.addVars(3, np.full(3, -inf), np.full(3, inf))
    h.changeColsCost(3, np.arange(3, dtype=np.int32), np.array([1.0, 2.0, 3.0]))
    for idx, val, lo, hi in (([0], [2.0], -inf, 10.0), ([1], [-1.0], -inf, -1.0),
                             ([0, 1, 2], [1.0, 1.0, 1.0], 7.0, inf),
                             ([2], [1.0], 1.0, 3.0)):
        h.addRow(lo, hi, len(idx), np.array(idx, dtype=np.int32), np.array(val))
    return h


def test_singleton_rows_become_bounds_and_follow_changes() -> None:
    b = BoundLP(_lp())
    assert list(b.keep) == [2]  # only the three-variable row stays a row
    assert b.run() == "optimal"
    x, obj = b.solution()
    # by hand: x0 <= 5 (cheapest), x1 >= 1, x2 >= 1, so 5 + 1 + 1 = 7: cost 5 + 2 + 3
    assert x == pytest.approx([5.0, 1.0, 1.0]) and obj == pytest.approx(10.0)
    b.change_rows(np.array([0]), np.array([-INF]), np.array([4.0]))  # x0 <= 2
    assert b.run() == "optimal"
    x, obj = b.solution()
    assert x == pytest.approx([2.0, 4.0, 1.0]) and obj == pytest.approx(13.0)
    b.change_rows(np.array([3]), np.array([2.0]), np.array([3.0]))  # x2 >= 2
    assert b.run() == "optimal"
    x, obj = b.solution()
    assert x == pytest.approx([2.0, 3.0, 2.0]) and obj == pytest.approx(14.0)
