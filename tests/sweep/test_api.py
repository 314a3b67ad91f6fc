"""Pin the sweep package's public API."""

from __future__ import annotations

import aifab.sweep


def test_sweep_public_api() -> None:
    assert sorted(aifab.sweep.__all__) == sorted([
        "DesignPoints", "Parameter", "SweepResult", "SweepSpec", "UncertaintyResult",
        "build_design", "design_frame", "design_rows", "load_spec", "load_state_spec",
        "percentiles", "plan_uncertainty",
        "print_uncertainty", "write_uncertainty",
        "read_journal", "sobol_indices", "spec_from_dict", "sweep", "sweep_html",
        "uncertainty_ranges", "write_designs", "write_sweep",
        "VariantRecord",  # a variant's typed record (issue 23)
        "read_sweep", "sweep_file",  # the sweep folder's one reader (issue 23)
        "SweepDocument", "sweep_document"])  # its typed --json document (issue 23)
    for name in aifab.sweep.__all__:
        assert hasattr(aifab.sweep, name)
