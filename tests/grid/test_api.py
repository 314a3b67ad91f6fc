"""The public API of ``aifab.grid`` is pinned: changes are deliberate."""

from __future__ import annotations

import aifab.grid as grid


def test_public_names():
    assert sorted(grid.__all__) == sorted([
        "REGIONS", "CalibrationRow", "GridData", "GridNetwork", "OwnerPrefs", "SitingProblem",
        "SitingResult", "SolveInfo", "TimeSlices", "build_network", "calibrate", "flex_curve",
        "load_grid_data", "problem_from_scenario", "provinces_geojson",
        "representative_days", "site", "solve_highs",
        "solve_siting", "LoadProfile", "flat_profile", "profile_from_frame",
        "read_load_profile", "hosting_capacity", "site_coordinates",
        "SiteResult", "read_site", "site_file", "TwinPowerCaps",
    ])
    for name in grid.__all__:
        assert getattr(grid, name) is not None
    assert len(grid.REGIONS) == 17
