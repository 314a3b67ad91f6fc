"""Structured progress events (aifab._progress): what the CLI writes, what the Runs page
shows. The real runs are the CLI's, with AIFAB_PROGRESS_JSON set as the job runner sets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aifab._progress import ENV, ProgressEvents, read_last_event, site_events, twin_events
from aifab.serve._cb_runs import progress_text
from aifab.serve._jobs import JobProgress


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _run(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    ev = tmp_path / "events.jsonl"
    env = {**os.environ, ENV: str(ev)}
    proc = subprocess.run([sys.executable, "-m", "aifab.cli", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return _events(ev)


def _monotone(events: list[dict[str, Any]]) -> None:
    fr = [e["fraction"] for e in events if e["fraction"] is not None]
    assert fr == sorted(fr) and all(0 <= f <= 1 for f in fr), fr


def test_the_warm_up_is_its_own_stage_not_extra_days(tmp_path: Path) -> None:
    ev = ProgressEvents(str(tmp_path / "e.jsonl"))
    tick = twin_events(7, 1, events=ev)
    assert tick is not None
    for day in (0, 3.5, 7.5, 8):
        tick(day * 86400)
        ev._last = (0.0, "")  # no throttling between these ticks
    got = _events(tmp_path / "e.jsonl")
    assert [e["stage"] for e in got] == ["warm-up", "warm-up", "simulating", "simulating"]
    assert got[1]["message"] == "warm-up day 3.5/7"
    assert got[1]["stage_fraction"] == pytest.approx(0.5)
    assert got[2]["message"] == "day 0.5/1" and got[2]["stage_fraction"] == pytest.approx(0.5)
    assert got[3]["message"] == "day 1/1"  # never "day 8/8" for a 1-day run
    assert [e["fraction"] for e in got] == pytest.approx([0, 3.5 / 8, 7.5 / 8, 1.0])


def test_replications_continue_the_fraction(tmp_path: Path) -> None:
    ev = ProgressEvents(str(tmp_path / "e.jsonl"))
    tick = twin_events(0, 2, replications=2, events=ev)
    assert tick is not None
    for t in (86400, 2 * 86400, 0, 86400):
        tick(t)
        ev._last = (0.0, "")
    got = _events(tmp_path / "e.jsonl")
    assert [e["fraction"] for e in got] == pytest.approx([0.25, 0.5, 0.5, 0.75])
    assert got[-1]["message"] == "day 1/2 (seed 2 of 2)"


def test_site_steps_rise_through_nested_solves(tmp_path: Path) -> None:
    ev = ProgressEvents(str(tmp_path / "e.jsonl"))
    say = site_events(hosting=True, events=ev)
    assert say is not None
    inner = ["building network (1 years x 96 h)", "building optimisation model",
             "solving the grid without AI load (LP, reference cost)",
             "solving for the fewest GPUs waiting (LP)",
             "solving with HiGHS (10 variables, 5 constraints)", "reading results"]
    for msg in ["stage 1: siting on 96 h of representative days", *inner,
                "building network (1 years x 8760 h)", "building optimisation model",
                "stage 2: campuses fixed (9 variables)", "reading results",
                "solving again without flexibility offers (for the gain)", *inner,
                "calibrating the base case (no AI load)",
                "hosting capacity per site (two LPs per bus and year)", "something new"]:
        say(msg)
    got = _events(tmp_path / "e.jsonl")
    _monotone(got)
    stages = [e["stage"] for e in got]
    assert stages[0] == "stage-1" and stages[-2:] == ["hosting", "siting"]
    second = got[1 + len(inner)]  # the second stage's network starts after stage 1's span
    assert second["stage"] == "network" and second["fraction"] == pytest.approx(0.45 * 0.54)
    assert got[-2]["fraction"] == pytest.approx(0.54) and got[-1]["fraction"] is None


def test_the_newest_complete_event_is_read(tmp_path: Path) -> None:
    p = tmp_path / "e.jsonl"
    assert read_last_event(str(p)) is None
    p.write_text('{"stage": "sweep", "fraction": 0.5}\n{"stage": "sw')  # a line being written
    assert read_last_event(str(p)) == {"stage": "sweep", "fraction": 0.5}


@pytest.mark.parametrize(("lang", "want"), [
    ("en", "warm-up (not counted) · day 3/7 · 12 s left"),
    ("ko", "예열 (집계 제외) · 3/7일 · 12초 남음")])
def test_the_runs_page_names_the_warm_up(lang: str, want: str) -> None:
    prog = JobProgress(0.3, "warm-up", "warm-up day 3/7", 12.2, 3 / 7)
    assert progress_text(prog, "running", "runs/x", lang) == want
    site = JobProgress(0.43, "solving", "solving with HiGHS (8,613 variables)", 200.0)
    assert progress_text(site, "running", "runs/x", "en") == (
        "solving · solving with HiGHS (8,613 variables) · 3 min left")
    assert progress_text(site, "running", "runs/x", "ko") == "최적화 계산 · 3분 남음"


@pytest.mark.slow
def test_a_real_one_day_twin_reports_its_warm_up(tmp_path: Path) -> None:
    got = _run(tmp_path, "simulate", "--days", "1", "--set", "sim.scale=0.01",
               "--set", "sim.warmup_days=2", "--json")
    _monotone(got)
    stages = [e["stage"] for e in got]
    assert stages[0] == "warm-up" and stages[-1] == "simulating", stages
    assert stages.index("simulating") > 0 and "warm-up" not in stages[stages.index(
        "simulating"):]
    for e in got:
        if e["stage"] == "simulating":
            done, total = e["message"].removeprefix("day ").split("/")
            assert total == "1" and float(done) <= 1
    first_sim = got[stages.index("simulating")]
    assert first_sim["fraction"] == pytest.approx(2 / 3, abs=0.05)


@pytest.mark.slow
def test_a_real_sweep_reports_variants(tmp_path: Path) -> None:
    from tests.serve.conftest import OAT

    spec = tmp_path / "oat.yaml"
    spec.write_text(OAT)
    got = _run(tmp_path, "sweep", str(spec), "--workers", "0", "--json")
    _monotone(got)
    assert {e["stage"] for e in got} == {"sweep"}
    assert got[-1]["fraction"] == 1.0 and got[-1]["eta_s"] == 0.0
    assert got[-1]["message"].endswith(" variants")


@pytest.mark.slow
def test_a_real_siting_run_reports_its_steps_with_fractions(results: dict[str, Any]) -> None:
    """The conftest's ``aifab site mini.yaml --hours 24`` (events as the job runner asks)."""
    from tests.serve.conftest import SLOW

    assert results["site"].wait(timeout=180 * SLOW) == 0
    got = _events(results["root"] / ".site-events.jsonl")
    _monotone(got)
    stages = [e["stage"] for e in got]
    assert stages == ["network", "model", "reference", "fewest", "solving", "results",
                      "redispatch", "redispatch", "calibration"]
    assert got[0]["message"] == "building network (1 years x 24 h)"
    assert all(e["fraction"] is not None and e["fraction"] < 1 for e in got)


def test_a_cancelled_job_says_where_it_stopped_in_korean() -> None:
    prog = JobProgress(0.5, "simulating", "day 30/60", None, 0.5)
    assert progress_text(prog, "cancelled", "runs/x", "ko") == "시뮬레이션 · 30/60일"
    failed = JobProgress(None, "", "aifab: bad input", None)
    assert progress_text(failed, "failed", "runs/x", "ko") == "aifab: bad input"
