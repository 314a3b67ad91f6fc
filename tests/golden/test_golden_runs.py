"""Pinned results of fixed simulate / replay / plan runs (re-record: tests/golden/runs.py).

A refactor must keep these bit-identical; a deliberate change of results re-records them
in its own commit that says which numbers moved and why.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"golden_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


runs = _load("runs")
update = _load("update")
SIM = json.loads(runs.SIM_FILE.read_text())
REPLAY = json.loads(runs.REPLAY_FILE.read_text())
needs_openb = pytest.mark.skipif(not runs.OPENB.is_dir(), reason="shared openb data absent")


def _diff(got: object, want: object, where: str = "") -> list[str]:
    """Paths where two JSON values differ (exactly: floats compared bit for bit)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{where}.{k}: missing" for k in want if k not in got]
        out += [f"{where}.{k}: extra" for k in got if k not in want]
        for k in want.keys() & got.keys():
            out += _diff(got[k], want[k], f"{where}.{k}")
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [d for i, (a, b) in enumerate(zip(got, want, strict=True))
                for d in _diff(a, b, f"{where}[{i}]")]
    return [] if got == want else [f"{where}: {got!r} != {want!r}"]


def test_cases_are_the_recorded_ones() -> None:
    assert set(SIM) == set(runs.sim_cases())
    assert set(REPLAY) == set(runs.replay_cases())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(runs.sim_cases()))
def test_simulate_golden(name: str) -> None:
    got = runs.simulate(runs.sim_cases()[name])
    diffs = _diff(got, SIM[name])
    assert not diffs, f"{len(diffs)} differences, first: {diffs[:8]}"


@needs_openb
@pytest.mark.parametrize("name", sorted(runs.replay_cases()))
def test_replay_golden(name: str) -> None:
    diffs = _diff(runs.replay(runs.replay_cases()[name]), REPLAY[name])
    assert not diffs, f"{len(diffs)} differences, first: {diffs[:8]}"


@pytest.mark.parametrize("name", ["korea-2025", "article-250k"])
def test_plan_golden(name: str) -> None:
    want = json.loads((HERE / f"{name}-plan.json").read_text())
    diffs = _diff(json.loads(json.dumps(update.summary(name))), want)
    assert not diffs, f"{len(diffs)} differences, first: {diffs[:8]}"


NOFAIL = json.loads((HERE / "simulate-nofailures.json").read_text())
"""The simulate goldens of the twin before failures existed (main's simulate.json just
before the failure model merged, with the warmup_days key): with
``reliability.enabled=false`` the twin must still give them bit for bit."""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fifo-s0", "backfill-s1-caps", "fairshare-s0"])
def test_simulate_with_failures_off_is_the_old_twin(name: str) -> None:
    got = runs.simulate([*runs.sim_cases()[name], "--set", "reliability.enabled=false"])
    diffs = _diff(got, NOFAIL[name])
    assert not diffs, f"{len(diffs)} differences, first: {diffs[:8]}"
