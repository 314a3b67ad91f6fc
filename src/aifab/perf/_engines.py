"""Out-of-sample error of the default ``auto`` engine on the calibration rows (issue 19):
where the aiconfigurator table times a row its error is out of sample already (the table
was computed from aiconfigurator's kernel databases, fitted to no row); elsewhere the
roofline's leave-one-out error stands."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from aifab.perf._calibrate import calibrate
from aifab.perf._loo import LooRow, leave_one_out


@lru_cache(maxsize=1)
def auto_out_of_sample() -> tuple[LooRow, ...]:
    """Per included row (the leave-one-out rows): the table's error where the ``auto``
    engine times the row with the table (``loo_detail`` ends with "engine table"), else
    the roofline's leave-one-out row unchanged."""
    auto = {r.row.id: r for r in calibrate(engine="auto")}
    out = []
    for row in leave_one_out():
        a = auto.get(row.id)
        if a is not None and a.error is not None and "engine table" in a.detail:
            row = replace(row, in_sample_error=a.error, loo_error=a.error,
                          loo_detail=a.detail)
        out.append(row)
    return tuple(out)
