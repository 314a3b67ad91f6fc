"""Shared fixtures: the repo's ../shared folder (third-party data, references)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data; tests that need it skip when it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"third-party data not found at {DATA}")
    return DATA


# Property tests explore new random examples on every local run; CI (.ci/run sets CI=true)
# replays a fixed, derandomized set, so a landing never depends on the draw. A failure found
# locally is fixed and pinned with an explicit example or test.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def toy_site() -> Any:
    """A site run's typed result (``aifab.grid.SiteResult``), written by hand (no solver):
    owner X powers 30 facility MW in 2030, and siting curtails it 40 % for three hours of
    its first curtailed day (the dashboard's and the sweep's siting tests)."""
    owner, mw, year = "X", 30.0, 2030
    from aifab.grid import SiteResult

    hours = [{"owner": owner, "year": year, "day": 0, "hour": h, "weight": 365.0,
              "load_mw": mw, "curtailed_mw": 0.4 * mw, "depth": 0.4} for h in (9, 10, 11)]
    return SiteResult.from_dict({
        "scenario": "toy-dashboard", "status": "optimal", "termination": "optimal",
        "objective_krw": 1.0, "mip_gap": 0.0, "solve_s": 0.1, "build_s": 0.1,
        "model_size": {"variables": 1, "constraints": 1, "integer_variables": 0},
        "years": [year], "time_slices": {"hours_per_year": 24, "method": "toy"},
        "placements": [{"owner": owner, "site": "S-Seoul", "region": "Seoul", "year": year,
                        "mw": mw, "blocks_mw": mw, "gpus": 40_000}],
        "unpowered_gpus_by_year": {str(year): 0}, "unpowered_gpus_by_owner": [],
        "corridors": [], "expansions_built": {}, "regions": {}, "annual_cost_krw": {},
        "co2_mt": {}, "data_files": {}, "network": "zonal", "calibration": [],
        "flexibility": {"curtailment_hourly": hours, "curtailed_mwh": {},
                        "curtailed_hours": {}, "compute_lost_gpu_h": {}, "by_campus": []}})
