"""Regenerate docs/perf-calibration.md; with --fit, refit and rewrite perf/data/factors.csv.

    python benchmarks/perf_calibrate.py [--fit]
"""

from __future__ import annotations

import sys
from pathlib import Path

from aifab._io import write_text
from aifab.perf import calibrate
from aifab.perf._calibrate import fit_factors, summary
from aifab.perf._factors import factor_table, factors_csv
from aifab.perf._report import calibration_markdown

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "perf-calibration.md"
FACTORS = ROOT / "src" / "aifab" / "perf" / "data" / "factors.csv"


def main(argv: list[str]) -> int:
    if "--fit" in argv:
        text = factors_csv(fit_factors())
        write_text(FACTORS, text)
        factor_table.cache_clear()
        print(f"wrote {FACTORS}")
    res = calibrate()
    write_text(DOC, calibration_markdown(res))
    med, worst, n = summary(res)
    print(f"wrote {DOC}: median |error| {med * 100:.1f} %, max {worst * 100:.1f} %, {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
