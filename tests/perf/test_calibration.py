"""Calibration against published results: stored tolerance, fresh doc, reproducible fit."""

from __future__ import annotations

from pathlib import Path

from aifab.perf import calibrate, calibration_rows, fit_factors
from aifab.perf._calibrate import MAX_TOL, MEDIAN_TOL, factors_csv, summary
from aifab.perf._report import calibration_markdown

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "perf-calibration.csv"


def test_errors_within_tolerance() -> None:
    med, worst, n = summary(calibrate())
    assert n >= 12
    assert med <= MEDIAN_TOL
    assert worst <= MAX_TOL


def test_every_excluded_row_has_a_reason() -> None:
    for r in calibrate():
        assert r.included or r.row.exclude_reason or r.predicted is None
        if not r.included:
            assert r.row.exclude_reason


def test_doc_is_fresh() -> None:
    doc = (REPO / "docs" / "perf-calibration.md").read_text("utf-8")
    assert doc == calibration_markdown(calibrate()), (
        "docs/perf-calibration.md is stale: run python benchmarks/perf_calibrate.py")


def test_stored_factors_are_the_fit() -> None:
    stored = (REPO / "src" / "aifab" / "perf" / "data" / "factors.csv").read_text("utf-8")
    assert factors_csv(fit_factors()) == stored, (
        "factors.csv differs from the fit: run python benchmarks/perf_calibrate.py --fit")


def test_covers_the_reference_rows() -> None:
    ours = {r.id for r in calibration_rows()}
    if REFERENCE.exists():
        ref = {line.split(",")[0] for line in REFERENCE.read_text("utf-8").splitlines()[1:]
               if line.strip()}
        assert ref <= ours
