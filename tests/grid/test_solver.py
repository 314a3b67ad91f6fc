"""The HiGHS adapter maps solver outcomes onto our own SolveInfo."""

from __future__ import annotations

import linopy
import pytest

from aifab.grid import solve_highs


def _model(lower: float) -> linopy.Model:
    m = linopy.Model()
    x = m.add_variables(lower=0, upper=10, name="x", integer=True)
    y = m.add_variables(lower=0, upper=5, name="y")
    m.add_constraints(x + y >= lower, name="need")
    m.add_objective(3 * x + 2 * y)
    return m


def test_optimal_mip():
    info = solve_highs(_model(7.5), mip_rel_gap=1e-9, threads=1)
    assert info.status == "optimal" and info.has_solution
    assert info.objective_krw == pytest.approx(3 * 3 + 2 * 4.5)
    assert info.n_integer == 1 and info.n_variables == 2 and info.n_constraints == 1


def test_infeasible():
    info = solve_highs(_model(100.0), threads=1)
    assert info.status == "infeasible" and not info.has_solution


def test_objective_scale_and_relaxation():
    info = solve_highs(_model(7.5), threads=1, relaxation=True, objective_scale=1e-6)
    assert info.objective_krw == pytest.approx((2 * 5 + 3 * 2.5) / 1e-6)
