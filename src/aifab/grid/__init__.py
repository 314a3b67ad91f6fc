"""Grid model of Korea (a clustered OSM network by default) and grid-aware siting of
AI-factory campuses (``aifab site``).

Pipeline: ``load_grid_data`` (validated CSV tables) -> ``build_network`` (PyPSA) ->
siting variables and limits added on linopy -> HiGHS through ``solve_highs`` ->
``SitingResult``. ``site(scenario)`` runs it for a scenario; ``solve_siting(problem)``
for a demand table built by hand. Its report (map, charts, tables) is
``aifab.report.site_sections`` / ``site_html``.
"""

from aifab._twin_caps import TwinPowerCaps
from aifab.grid._calibration import CalibrationRow, calibrate
from aifab.grid._data import REGIONS, GridData, load_grid_data
from aifab.grid._geo import provinces_geojson
from aifab.grid._hosting import hosting_capacity
from aifab.grid._loadprofile import (
    LoadProfile,
    flat_profile,
    profile_from_frame,
    read_load_profile,
)
from aifab.grid._model import OwnerPrefs, SitingProblem
from aifab.grid._network import GridNetwork, build_network
from aifab.grid._profiles import TimeSlices, representative_days
from aifab.grid._results import SitingResult
from aifab.grid._results import _geo as site_coordinates
from aifab.grid._site import flex_curve, problem_from_scenario, site, solve_siting
from aifab.grid._site_result import SiteResult, read_site, site_file
from aifab.grid._solver import SolveInfo, solve_highs

__all__ = [
    "REGIONS",
    "CalibrationRow",
    "GridData",
    "GridNetwork",
    "LoadProfile",
    "OwnerPrefs",
    "SiteResult",
    "SitingProblem",
    "SitingResult",
    "SolveInfo",
    "TimeSlices",
    "TwinPowerCaps",
    "build_network",
    "calibrate",
    "flat_profile",
    "flex_curve",
    "hosting_capacity",
    "load_grid_data",
    "problem_from_scenario",
    "profile_from_frame",
    "provinces_geojson",
    "read_load_profile",
    "read_site",
    "representative_days",
    "site",
    "site_coordinates",
    "site_file",
    "solve_highs",
    "solve_siting",
]
