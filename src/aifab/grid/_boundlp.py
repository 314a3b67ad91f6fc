"""The warm rolling horizon's LP with its one-variable rows as variable bounds.

PyPSA writes every hourly limit (a plant's availability, a line's rating, a campus's draw)
as a constraint row on one variable: of the 19,693 rows of a one-day block of the Korean
full year, 17,088 are such singletons. HiGHS's presolve turns them into bounds, but a
warm basis skips presolve, so re-solving from the last day's basis ran on all rows and was
slower than presolving from scratch (0.145 against 0.09 CPU-s a day). ``BoundLP`` keeps
a copy of the LP in which each singleton row is a bound on its variable (the same LP:
``lo <= a x <= hi`` is ``lo/a <= x <= hi/a``, swapped for ``a < 0``, intersected over the
variable's rows); the remaining rows keep their order. Row bounds set through
``change_rows`` update the copy; ``run`` re-solves it by dual simplex from the previous
basis (presolve off), so a block costs a few hundred iterations instead of about 3,000.
Columns are unchanged, so solutions read as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aifab.grid._solver import run_highs


class BoundLP:
    """A HiGHS model equal to ``h``'s LP with singleton rows as column bounds (``options``:
    further HiGHS options)."""

    def __init__(self, h: Any, threads: int = 1, options: dict[str, Any] | None = None) -> None:
        import highspy

        lp = h.getLp()
        a = lp.a_matrix_
        nr, nc = int(lp.num_row_), int(lp.num_col_)
        start = np.asarray(a.start_, dtype=np.int64)
        index = np.asarray(a.index_, dtype=np.int64)
        val = np.asarray(a.value_, dtype=float)
        if a.format_ == highspy.MatrixFormat.kColwise:
            row, col = index, np.repeat(np.arange(nc), np.diff(start))
        else:  # row-wise: the same entries, put in column order
            row, col = np.repeat(np.arange(nr), np.diff(start)), index
            order = np.lexsort((row, col))
            row, col, val = row[order], col[order], val[order]
        count = np.bincount(row, minlength=nr)
        single = (count == 1)[row] & (val != 0)  # nonzeros that are a row's only entry
        self.srow, self.scol, self.scoef = row[single], col[single], val[single]
        keep = np.flatnonzero(count > 0)
        keep = np.setdiff1d(keep, self.srow)
        self.keep = keep.astype(np.int32)
        self.newrow = np.full(nr, -1, dtype=np.int64)
        self.newrow[keep] = np.arange(len(keep))
        self.rlo = np.asarray(lp.row_lower_, dtype=float).copy()
        self.rhi = np.asarray(lp.row_upper_, dtype=float).copy()
        self.clo0 = np.asarray(lp.col_lower_, dtype=float).copy()
        self.chi0 = np.asarray(lp.col_upper_, dtype=float).copy()
        inrow = self.newrow[row] >= 0
        rcol, rrow, rval = col[inrow], self.newrow[row[inrow]], val[inrow]
        m = highspy.HighsLp()
        m.num_col_, m.num_row_ = nc, len(keep)
        m.col_cost_ = np.asarray(lp.col_cost_, dtype=float)
        m.offset_, m.sense_ = lp.offset_, lp.sense_
        m.col_lower_, m.col_upper_ = self.col_bounds()
        m.row_lower_, m.row_upper_ = self.rlo[keep], self.rhi[keep]
        m.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        m.a_matrix_.num_col_, m.a_matrix_.num_row_ = nc, len(keep)
        m.a_matrix_.start_ = np.concatenate(([0], np.cumsum(np.bincount(rcol, minlength=nc))))
        m.a_matrix_.index_ = rrow  # the nonzeros stay in column order
        m.a_matrix_.value_ = rval
        self.h: Any = getattr(highspy, "Highs")()  # noqa: B009 (untyped in highspy)
        for k, v in (("output_flag", False), ("log_to_console", False), ("threads", threads),
                     ("random_seed", 0), ("presolve", "off"), *(options or {}).items()):
            self.h.setOptionValue(k, v)
        self.h.passModel(m)
        self.cols = np.arange(nc, dtype=np.int32)

    def col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds: the LP's own, intersected with every singleton row's."""
        a = self.scoef
        lo_a, hi_a = self.rlo[self.srow] / a, self.rhi[self.srow] / a
        lo, hi = self.clo0.copy(), self.chi0.copy()
        np.maximum.at(lo, self.scol, np.where(a > 0, lo_a, hi_a))
        np.minimum.at(hi, self.scol, np.where(a > 0, hi_a, lo_a))
        return lo, hi

    def change_rows(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Set the bounds of rows ``rows`` (row positions of the original LP)."""
        self.rlo[rows] = lower
        self.rhi[rows] = upper

    def run(self) -> str:
        """Re-solve from the last basis with the bounds set since; the model status."""
        lo, hi = self.col_bounds()
        self.h.changeColsBounds(len(self.cols), self.cols, lo, hi)
        k = self.keep
        self.h.changeRowsBounds(len(k), np.arange(len(k), dtype=np.int32), self.rlo[k],
                                self.rhi[k])
        run_highs(self.h)
        return str(self.h.modelStatusToString(self.h.getModelStatus())).lower()

    def solution(self) -> tuple[np.ndarray, float]:
        """Column values and objective of the last solve."""
        return (np.asarray(self.h.getSolution().col_value),
                float(self.h.getInfo().objective_function_value))
