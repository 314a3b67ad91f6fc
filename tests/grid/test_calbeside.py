"""The calibration base case in a second process (grid._calbeside): when it is started,
that its rows equal the in-process ones, and that a failed siting run stops it."""

from __future__ import annotations

import time

import pytest

from aifab._background import Background
from aifab.grid import _site, calibrate, load_grid_data
from aifab.grid._calbeside import BESIDE_MIN_HOURS, _calibrate_quietly, calibration_beside
from aifab.grid._calibration import _key_args, calibration_is_cached
from aifab.grid._netcache import cached

CAL = {"hours": BESIDE_MIN_HOURS, "network": "clustered", "n_clusters": 40, "busmap": None}


@pytest.fixture(scope="module")
def data():
    return load_grid_data()


def test_not_started_with_one_thread_short_runs_or_rows_on_disk(data, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("AIFAB_CACHE_DIR", str(tmp_path))
    assert calibration_beside(1, data, CAL) is None
    assert calibration_beside(2, data, {**CAL, "hours": BESIDE_MIN_HOURS // 2}) is None
    assert not calibration_is_cached(data, **CAL)
    cached("calibration", data, lambda: [], **_key_args(**CAL))  # an entry on disk
    assert calibration_is_cached(data, **CAL)
    assert calibration_beside(2, data, CAL) is None
    assert not calibration_is_cached(data, **{**CAL, "n_clusters": 41})


def test_started_when_not_on_disk(data, tmp_path, monkeypatch):
    monkeypatch.setenv("AIFAB_CACHE_DIR", str(tmp_path))
    job = calibration_beside(2, data, CAL)
    assert isinstance(job, Background)
    job.cancel()
    monkeypatch.setenv("AIFAB_CACHE_DIR", "off")  # no cache: always solved, so beside
    job = calibration_beside(2, data, CAL)
    assert isinstance(job, Background)
    job.cancel()


def test_a_failed_siting_run_stops_the_second_process(monkeypatch):
    from aifab.scenario import load_scenario

    started = []

    def beside(threads, data, cal):
        started.append(Background(time.sleep, 600))
        return started[-1]

    def fail(*_a, **_k):
        raise RuntimeError("siting failed")

    monkeypatch.setattr(_site, "calibration_beside", beside)
    monkeypatch.setattr(_site, "_site_fleet", fail)
    problem = _site.problem_from_scenario(load_scenario(None, ["siting.hours=24"]))
    with pytest.raises(RuntimeError, match="siting failed"):
        _site.solve_siting(problem)
    assert len(started) == 1 and not started[0].running



@pytest.mark.slow
def test_rows_from_the_second_process_equal_the_rows_solved_here(data, monkeypatch):
    monkeypatch.setenv("AIFAB_CACHE_DIR", "off")
    small = {**CAL, "hours": 24}
    beside = Background(_calibrate_quietly, data, **small).result()
    here = calibrate(data, **small)
    assert len(here) >= 10
    assert [r.to_dict() for r in beside] == [r.to_dict() for r in here]
