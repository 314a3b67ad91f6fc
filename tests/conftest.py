"""Shared fixtures: the repo's ../shared folder (third-party data, references); a disk
cache per test run; which tests share a pytest-xdist worker (``make test`` runs two)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
if str(REPO / "tests") not in sys.path:  # tests/_soak.py, imported as ``_soak`` by every
    sys.path.append(str(REPO / "tests"))  # directory (--import-mode=importlib)


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


@pytest.fixture(autouse=True, scope="session")
def _run_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Built networks and LP results go to one cache per test run, never the user's own
    cache dir (``AIFAB_CACHE_DIR``; subprocesses inherit it). Under pytest-xdist the
    workers share it (the run's base temp dir): entries are written to a temp file and
    renamed, so a worker reads a whole entry or none."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # <run>/gw0 -> <run>
    cache = base / "aifab-cache"
    cache.mkdir(exist_ok=True)
    old = os.environ.get("AIFAB_CACHE_DIR")
    os.environ["AIFAB_CACHE_DIR"] = str(cache)
    yield
    if old is None:
        os.environ.pop("AIFAB_CACHE_DIR", None)
    else:
        os.environ["AIFAB_CACHE_DIR"] = old


#: Session fixtures that are costly or hold a machine-wide resource: every test using one
#: runs on the same xdist worker (``--dist loadgroup``), so it is built once per run. The
#: dashboard's results folder (two simulations, a siting run, a sweep), its server and its
#: chromium; the local Ray (one at a time: two would compete for the same 2 cores).
SHARED_FIXTURES = {"results": "dashboard", "server": "dashboard", "browser": "dashboard",
                   "ray_cluster": "ray"}
# The tests that read the perf model's leave-one-out check (``aifab.perf.leave_one_out``,
# kept for the process: about 25 s to compute) share a worker: they are marked by hand with
# ``pytest.mark.xdist_group("perf-loo")`` (tests/perf/test_calibration.py, test_cli.py,
# test_table.py, tests/commands/test_hardening.py).


def _xdist_group(item: pytest.Item) -> str | None:
    """The group of a test: SHARED_FIXTURES' name when it uses one of those conftest
    fixtures, else its module when it uses a fixture scoped wider than a test that the module
    defines itself (built once per module and worker)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    module = item.nodeid.split("::")[0]
    wide = {name: defs[-1].baseid for name, defs in info.name2fixturedefs.items()
            if defs and defs[-1].scope != "function"}
    for name, where in wide.items():
        if name in SHARED_FIXTURES and not where.endswith(".py"):  # a conftest's
            return SHARED_FIXTURES[name]
    return module if module in wide.values() else None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that must share a worker with ``xdist_group`` (a no-op without xdist).
    A module with a test in a SHARED_FIXTURES group runs all its grouped tests there."""
    groups = {item.nodeid: _xdist_group(item) for item in items}
    module_group: dict[str, str] = {}
    for item in items:
        g = groups[item.nodeid]
        if g in SHARED_FIXTURES.values():
            module_group[item.nodeid.split("::")[0]] = g
    for item in items:
        g = groups[item.nodeid]
        if g is not None:
            item.add_marker(pytest.mark.xdist_group(module_group.get(g, g)))
