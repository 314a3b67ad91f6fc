"""The user-facing path on every calibration row: ``perf infer --batch max`` with no layout
flags (the search picks tp, pp, attention DP, EP and the batch) at the row's model,
device, device count, precision, lengths and serving mode, against the published value."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import lru_cache

from aifab.perf._calibrate import calibrate
from aifab.perf._search import search

#: Issue 19: the user-facing path within 20 % median over the calibration rows.
USER_PATH_TOL = 0.20


@dataclass(frozen=True)
class UserPathRow:
    """One row: the calibrated layout's error and the search's, with its layout."""

    id: str
    calibrated_error: float
    calibrated_tokens_per_s: float
    search_error: float
    search_tokens_per_s: float
    layout: str


@lru_cache(maxsize=2)
def user_path(engine: str = "roofline") -> tuple[UserPathRow, ...]:
    """Every included throughput row whose batch is "max" (the published runs fed
    requests as fast as the server took them), searched as a user would, with ``engine``
    for both the row's own layout and the search."""
    out = []
    for r in calibrate(engine=engine):
        row = r.row
        if (not r.included or row.kind != "inference" or row.metric != "throughput"
                or row.batch != "max" or r.predicted is None):
            continue
        s = search(row.model, row.device, row.devices or 1, precision=row.precision,
                   input_tokens=row.input_tokens or 128,
                   output_tokens=row.output_tokens or 128, beams=row.beams,
                   serving=row.serving, compare_static=False, engine=engine)
        b = s.best
        if b is None:
            continue
        lay = f"tp {b.tp} x pp {b.pp}" + (f", dp {b.dp} ep {b.ep}" if b.dp > 1 or b.ep > 1
                                          else "") + f" x {b.replicas}, batch {b.batch}"
        out.append(UserPathRow(row.id, r.error or 0.0, r.predicted,
                               b.tokens_per_s / row.value - 1.0, b.tokens_per_s, lay))
    return tuple(out)


def user_path_median(rows: tuple[UserPathRow, ...]) -> float:
    return statistics.median(abs(r.search_error) for r in rows)
