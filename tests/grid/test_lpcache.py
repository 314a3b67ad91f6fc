"""The disk cache of LP solves (grid._lpcache): a hit returns the stored figures without
solving, any change of the LP or the options solves again, a broken entry is ignored,
only optimal solves are kept, ``off`` disables it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import linopy
import numpy as np
import pytest

from aifab.grid._lpcache import _signed, model_key, solve_cached
from aifab.grid._solver import SolveInfo, solve_highs


@pytest.fixture()
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("AIFAB_CACHE_DIR", str(tmp_path))
    return tmp_path / "grid"


def _model(cap: float = 4.0, cost: float = 3.0, rhs: float = 5.0) -> linopy.Model:
    m = linopy.Model()
    x = m.add_variables(lower=0, upper=cap, name="x")
    y = m.add_variables(lower=0, name="y")
    m.add_constraints(x + y >= rhs, name="demand")
    m.add_objective(1.0 * x + cost * y)
    return m


def _solve(m: linopy.Model, calls: list[int]) -> tuple[SolveInfo, dict[str, Any]]:
    def run() -> SolveInfo:
        calls.append(1)
        return solve_highs(m, relaxation=True)

    return solve_cached("test", m, run,
                        lambda: {"y": float(m.variables["y"].solution)}, threads=1)


def test_hit_returns_the_stored_solve_without_solving(cache: Path) -> None:
    calls: list[int] = []
    first = _solve(_model(), calls)
    assert first[1] == {"y": 1.0} and first[0].objective_krw == 7.0
    assert len(list(cache.glob("test-*.pkl"))) == 1
    second = _solve(_model(), calls)
    assert calls == [1]  # solved once, then read back
    assert second[1] == first[1]
    assert second[0].objective_krw == first[0].objective_krw
    assert second[0].status == "optimal" and second[0].has_solution


def test_a_changed_lp_or_option_is_solved_again(cache: Path) -> None:
    calls: list[int] = []
    _solve(_model(), calls)
    assert _solve(_model(cap=3.0), calls)[1] == {"y": 2.0}  # a bound
    assert _solve(_model(cost=2.0), calls)[0].objective_krw == 6.0  # the objective
    assert _solve(_model(rhs=6.0), calls)[1] == {"y": 2.0}  # a right-hand side
    assert len(calls) == 4
    m = _model()
    assert model_key(m, threads=1) != model_key(m, threads=2)
    assert model_key(m, threads=1) == model_key(_model(), threads=1)


def test_a_broken_entry_is_ignored(cache: Path) -> None:
    calls: list[int] = []
    first = _solve(_model(), calls)
    (entry,) = cache.glob("test-*.pkl")
    entry.write_bytes(b"not a pickle")
    again = _solve(_model(), calls)
    assert calls == [1, 1] and again[1] == first[1]
    entry.write_bytes(b"\x80\x05N.")  # a pickle of something else (None)
    assert _solve(_model(), calls)[1] == first[1] and len(calls) == 3


def test_infeasible_solves_are_not_kept(cache: Path) -> None:
    calls: list[int] = []
    m = _model()
    m.add_constraints(m.variables["y"] <= -1, name="impossible")
    info, figures = _solve(m, calls)
    assert info.status == "infeasible" and figures == {}
    assert not list(cache.glob("test-*.pkl"))


def test_cache_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIFAB_CACHE_DIR", "off")
    calls: list[int] = []
    _solve(_model(), calls)
    _solve(_model(), calls)
    assert calls == [1, 1]


def test_key_ignores_the_orientation_of_equality_rows_only() -> None:
    """PyPSA writes a Kirchhoff-Voltage-Law row or its negative depending on Python's
    string hashing: the same LP, so the same key; a negated inequality is another LP."""
    def eq(sign: float) -> linopy.Model:
        m = _model()
        x, y = m.variables["x"], m.variables["y"]
        z = m.add_variables(lower=0, name="z")  # a zero term: 0.0 here, -0.0 negated
        m.add_constraints(sign * (2.0 * x - 3.0 * y + 0.0 * z) == sign * 1.0, name="cycle")
        return m

    assert model_key(eq(1.0)) == model_key(eq(-1.0))
    flipped = _model()
    flipped.add_constraints(-1.0 * flipped.variables["x"] >= -4.0, name="cap")
    plain = _model()
    plain.add_constraints(1.0 * plain.variables["x"] >= -4.0, name="cap")
    assert model_key(flipped) != model_key(plain)


def test_masked_terms_do_not_carry_the_orientation() -> None:
    """A term without a variable (-1) keeps coefficient 0.0 in both orientations of a
    row (PyPSA's KVL rows: negating the live terms only); scaling the row by -1 for the
    key must not turn it into -0.0, whose bytes differ."""
    vars_ = np.array([[0, 1, -1]])
    a = _signed(np.array([[2.0, -3.0, 0.0]]), vars_, np.array(["="]), np.array([1.0]))
    b = _signed(np.array([[-2.0, 3.0, 0.0]]), vars_, np.array(["="]), np.array([-1.0]))
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()


def test_key_is_the_same_before_and_after_an_earlier_solve(cache: Path) -> None:
    """linopy cleans a model's constraints in its first solve (zero terms dropped); a
    model solved before (the siting model's reference LP) must find the entry that a
    fresh one wrote."""
    def zero_term() -> linopy.Model:
        m = _model()
        m.add_constraints(1.0 * m.variables["x"] + 0.0 * m.variables["y"] >= 1.0, name="z")
        return m

    calls: list[int] = []
    _solve(zero_term(), calls)
    solved_before = zero_term()
    solve_highs(solved_before, relaxation=True)
    _solve(solved_before, calls)
    assert calls == [1]
