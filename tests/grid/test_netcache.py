"""The disk cache of the clustered network: a hit returns the same network without
building, any change of input rebuilds, a broken entry is rebuilt, ``off`` disables it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aifab.grid import _cluster
from aifab.grid._data import load_grid_data
from aifab.grid._netcache import cache_dir


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """A fresh cache dir; counts real builds."""
    monkeypatch.setenv("AIFAB_CACHE_DIR", str(tmp_path))
    calls: list[int] = []
    real = _cluster._build_clustered

    def build(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(_cluster, "_build_clustered", build)
    return calls


def _net(data: Any, **kw: Any) -> Any:
    return _cluster.build_clustered_network(data, [2026], hours=24, **kw).network


def _same(a: Any, b: Any) -> None:
    for comp in ("buses", "lines", "links", "generators", "loads", "storage_units"):
        pd.testing.assert_frame_equal(getattr(a, comp), getattr(b, comp))
    pd.testing.assert_frame_equal(a.loads_t.p_set, b.loads_t.p_set)
    pd.testing.assert_frame_equal(a.generators_t.p_max_pu, b.generators_t.p_max_pu)


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
def test_second_build_is_read_from_the_cache(counted: list[int]) -> None:
    d = load_grid_data()
    first = _net(d)
    files = list((cache_dir() or Path("/nonexistent")).glob("clustered-*.pkl"))
    assert len(files) == 1
    second = _net(d)
    assert counted == [1]  # built once, then loaded
    _same(first, second)


@pytest.mark.slow
def test_changed_inputs_rebuild(counted: list[int]) -> None:
    d = load_grid_data()
    _net(d)
    _net(d, n_clusters=30)  # another argument
    gens = d.generators.copy()
    gens.loc[gens["name"] == "Dangjin", "p_nom_mw"] = 1.0
    changed = _net(replace(d, generators=gens))  # another table
    assert counted == [1, 1, 1]
    assert len(list((cache_dir() or Path()).glob("clustered-*.pkl"))) == 3
    assert float(changed.generators.filter(like="Dangjin", axis=0)["p_nom"].sum()) == 1.0


@pytest.mark.slow
def test_broken_entry_is_rebuilt(counted: list[int]) -> None:
    d = load_grid_data()
    _net(d)
    (path,) = (cache_dir() or Path()).glob("clustered-*.pkl")
    path.write_bytes(b"not a pickle")
    _net(d)
    assert counted == [1, 1]
    assert path.stat().st_size > 1000  # rewritten


@pytest.mark.slow
def test_cache_off(monkeypatch: pytest.MonkeyPatch, counted: list[int], tmp_path: Path) -> None:
    monkeypatch.setenv("AIFAB_CACHE_DIR", "off")
    assert cache_dir() is None
    d = load_grid_data()
    _net(d)
    _net(d)
    assert counted == [1, 1]
    assert not list(tmp_path.rglob("*.pkl"))


def test_prune_keeps_the_most_recently_used(tmp_path: Path) -> None:
    import os

    from aifab.grid._netcache import prune

    for i in range(5):
        f = tmp_path / f"clustered-{i}.pkl"
        f.write_bytes(b"x")
        os.utime(f, (1000 + i, 1000 + i))
    (tmp_path / "other-0.pkl").write_bytes(b"x")
    prune(tmp_path, "clustered", keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clustered-3.pkl", "clustered-4.pkl", "other-0.pkl"]


def test_calibration_rows_are_cached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The base case's calibration rows (no AI load) come from the cache on a second run
    with the same data and arguments; other hours, other data or ``off`` solve again."""
    from aifab.grid import _calibration
    from aifab.grid._calibration import CalibrationRow, calibrate_cached

    monkeypatch.setenv("AIFAB_CACHE_DIR", str(tmp_path))
    calls: list[int] = []

    def solve(data: Any, **kw: Any) -> list[CalibrationRow]:
        calls.append(kw["hours"])
        return [CalibrationRow(metric="m", ours=float(len(calls)), reported=1.0, low=0.5,
                               high=1.5, unit="-", source="test", tolerance="t")]

    monkeypatch.setattr(_calibration, "calibrate", solve)
    data = load_grid_data()
    first = calibrate_cached(data, hours=48)
    assert calibrate_cached(data, hours=48) == first and calls == [48]
    calibrate_cached(data, hours=72)
    other = replace(data, regions=data.regions.assign(
        demand_twh=data.regions["demand_twh"] * 1.01))
    calibrate_cached(other, hours=48)
    assert calls == [48, 72, 48]
    monkeypatch.setenv("AIFAB_CACHE_DIR", "off")
    calibrate_cached(data, hours=48)
    assert calls == [48, 72, 48, 48]
