"""A HiGHS re-solve in this thread after another thread count ran in it (grid._solver's
``run_highs``): HiGHS sizes one thread pool per calling thread at its first run, so the
calibration's west-coast re-solve (two threads) after a one-thread block LP (``BoundLP``,
stage 2) failed and its row went missing, in a test worker that had run one before."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aifab.grid._boundlp import BoundLP
from aifab.grid._calibration import _raised_limit_cost
from aifab.grid._network import build_network, quiet_pypsa, time_slices
from aifab.grid._solver import run_highs, solve_dispatch

from .conftest import toy_data


def _lp(threads: int) -> object:
    """min x0 + x1 with x0 + x1 >= 1 (0 <= x <= 10): optimum 1."""
    import highspy

    h = highspy.Highs()
    for k, v in (("output_flag", False), ("threads", threads)):
        h.setOptionValue(k, v)
    h.addVars(2, np.zeros(2), np.full(2, 10.0))
    h.changeColsCost(2, np.arange(2, dtype=np.int32), np.ones(2))
    h.addRow(1.0, highspy.kHighsInf, 2, np.arange(2, dtype=np.int32), np.ones(2))
    return h


def _one_thread_block_lp_here() -> None:
    """What stage 2 leaves in this thread: a BoundLP solved with one thread."""
    assert BoundLP(_lp(1), threads=1).run() == "optimal"


def test_a_run_after_another_thread_count_in_this_thread_solves() -> None:
    _one_thread_block_lp_here()
    h: object = _lp(2)
    run_highs(h)
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"  # type: ignore[attr-defined]
    _one_thread_block_lp_here()  # and back


def _toy_solved() -> tuple[Any, tuple[Any, Any]]:
    """The toy (tests/grid/conftest.py) with a 400 MW Gangwon -> Seoul interface, 24 h,
    solved: its network and ``solve_dispatch``'s model and info."""
    quiet_pypsa()
    itf = pd.DataFrame([{"name": "G-S export", "from_regions": "Gangwon",
                         "to_regions": "Seoul", "limit_mw": 400.0, "source": "toy"}])
    d = replace(toy_data(), interfaces=itf)
    gn = build_network(d, [2030], hours=24, slices=time_slices(d, 24))
    return gn, solve_dispatch(gn, d)


def test_raised_limit_re_solve_after_a_one_thread_block_lp() -> None:
    # The toy (tests/grid/conftest.py) with a 400 MW Gangwon -> Seoul interface: of Seoul's
    # 1,000 MW, 400 MW come from Gangwon's nuclear (10k KRW/MWh), 50 MW from Jeonnam's coal
    # (the J-S corridor), 550 MW from Seoul's LNG (100k). Raised by 100 MW, 100 MW of LNG
    # become nuclear every hour of the year: 100 x 90k x 8,760 KRW less.
    gn, (m, info) = _toy_solved()
    assert info.has_solution
    base = (400 * 10_000 + 50 * 50_000 + 550 * 100_000) * 8760
    assert info.objective_krw == pytest.approx(base, rel=1e-9)
    _one_thread_block_lp_here()
    raised = _raised_limit_cost(m, gn.network, "G-S export", 100.0)
    assert raised == pytest.approx(base - 100 * 90_000 * 8760, rel=1e-9)


def test_a_failed_raised_limit_re_solve_says_its_row_is_left_out(monkeypatch) -> None:
    """A re-solve that ends without a solution leaves the row out with a warning naming
    the interface (it went silently when the thread pool made it fail)."""
    import aifab.grid._calibration as cal

    gn, (m, _) = _toy_solved()
    monkeypatch.setattr(cal, "run_highs", lambda h: h.clearSolver())
    with pytest.warns(RuntimeWarning, match="'G-S export' raised by 100 MW"):
        assert np.isnan(_raised_limit_cost(m, gn.network, "G-S export", 100.0))
