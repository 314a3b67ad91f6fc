"""Honest error: leave-one-out (refit the factors without a row, then predict it) next to
the in-sample error, overall and per device family."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache

from aifab.perf._calibrate import (
    CalResult,
    CalRow,
    _family,
    calibrate,
    calibration_rows,
    fit_factors,
    predict_row,
)
from aifab.perf._models import default_models

#: Checks from the issue: leave-one-out median |error| and the worst family's median.
LOO_MEDIAN_TOL = 0.12
FAMILY_TOL = 0.30
#: Issue 19: every (family x dense/MoE x parallel width) group with at least GROUP_MIN
#: rows should have a leave-one-out median within GROUP_TOL; GROUP_EXCEPTIONS names the
#: groups above it and why (tests keep the list exact).
GROUP_TOL = 0.25
GROUP_MIN = 5
GROUP_EXCEPTIONS: dict[str, str] = {}
#: Families whose leave-one-out median exceeds FAMILY_TOL, and why (tests keep it exact).
FAMILY_EXCEPTIONS: dict[str, str] = {}


@dataclass(frozen=True)
class LooRow:
    """One included row: in-sample error (stored factors) and leave-one-out error."""

    id: str
    family: str
    in_sample_error: float
    loo_error: float
    loo_detail: str
    group: str = ""


@dataclass(frozen=True)
class FamilyError:
    """Errors of one device family; ``single_row`` when one row carries the family."""

    family: str
    rows: int
    in_sample_median: float
    loo_median: float
    loo_max: float
    single_row: bool


@lru_cache(maxsize=1)
def leave_one_out() -> tuple[LooRow, ...]:
    """Every included row predicted by factors fitted without it (factors no remaining
    row exercises fall back to the default family's, not to the stored fit)."""
    included = [r for r in calibrate() if r.included and r.error is not None]
    rows = [r for r in calibration_rows() if not r.exclude_reason]
    out = []
    for res in included:
        fam = _family(res.row)
        table = fit_factors([r for r in rows if r.id != res.row.id], from_prior=True,
                            only=fam)
        pred, detail = predict_row(res.row, table)
        err = pred / res.row.value - 1.0 if math.isfinite(pred) else math.inf
        out.append(LooRow(res.row.id, fam, res.error or 0.0, err, detail,
                          group_of(res.row)))
    return tuple(out)


def group_of(row: CalRow) -> str:
    """(family x dense/MoE x width) of a row; width is the devices of one replica
    (tp x pp x attention DP; training rows: "train")."""
    arch = default_models().get(row.model).arch
    if row.kind == "training":
        return f"{_family(row)} / {arch} / train"
    width = (row.tp or row.devices or 1) * row.pp * (row.attn_dp or 1)
    w = "1" if width == 1 else "2" if width == 2 else "4" if width <= 4 else "8+"
    return f"{_family(row)} / {arch} / width {w}"


@dataclass(frozen=True)
class GroupError:
    """Leave-one-out errors of one (family x dense/MoE x width) group."""

    group: str
    rows: int
    loo_median: float
    loo_max: float
    few_rows: bool


def group_errors(loo: tuple[LooRow, ...]) -> list[GroupError]:
    groups: dict[str, list[LooRow]] = {}
    for r in loo:
        groups.setdefault(r.group, []).append(r)
    return [GroupError(g, len(rs), statistics.median(abs(r.loo_error) for r in rs),
                       max(abs(r.loo_error) for r in rs), len(rs) < GROUP_MIN)
            for g, rs in sorted(groups.items())]


def family_errors(loo: tuple[LooRow, ...]) -> list[FamilyError]:
    fams: dict[str, list[LooRow]] = {}
    for r in loo:
        fams.setdefault(r.family, []).append(r)
    return [FamilyError(f, len(rs), statistics.median(abs(r.in_sample_error) for r in rs),
                        statistics.median(abs(r.loo_error) for r in rs),
                        max(abs(r.loo_error) for r in rs), len(rs) == 1)
            for f, rs in sorted(fams.items())]


def loo_summary(loo: tuple[LooRow, ...]) -> tuple[float, float, float]:
    """(in-sample median |error|, leave-one-out median |error|, worst family LOO median
    among the families not in FAMILY_EXCEPTIONS)."""
    fam = [f for f in family_errors(loo) if f.family not in FAMILY_EXCEPTIONS]
    return (statistics.median(abs(r.in_sample_error) for r in loo),
            statistics.median(abs(r.loo_error) for r in loo),
            max(f.loo_median for f in fam))


def results_by_id(results: list[CalResult]) -> dict[str, CalResult]:
    return {r.row.id: r for r in results}
