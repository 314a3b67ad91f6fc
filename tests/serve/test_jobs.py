"""Background jobs: the real aifab CLI in a subprocess, progress read from its events."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from aifab.errors import BadInput
from aifab.serve import JobManager, JobRequest, ResultsDir

SLOW = float(os.environ.get("AIFAB_TEST_WAIT_SCALE", "1"))
"""Scales every wait's timeout (a busy CI machine sets it; .ci/run)."""


def _wait(jobs: JobManager, jid: str, timeout: float = 120) -> str:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout * SLOW:
        state = {j.id: j.state for j in jobs.poll()}[jid]
        if state != "running":
            return state
        time.sleep(0.2)
    raise AssertionError("job did not finish")


@pytest.mark.slow
def test_simulation_job_writes_inside_the_folder_with_progress(tmp_path: Path) -> None:
    rd = ResultsDir(tmp_path / "res")
    jobs = JobManager(rd)
    job = jobs.launch(JobRequest(kind="simulate", days=2, scale=0.01, seed=4))
    assert job.out.parent == rd.root / "runs"
    assert _wait(jobs, job.id) == "done", job.log.read_text()
    assert (job.out / "summary.json").is_file()
    assert [r.rel for r in rd.runs(("simulate",))] == [f"runs/{job.id}"]
    events = [json.loads(line) for line in job.events.read_text().splitlines()]
    assert events[0]["stage"] == "warm-up" and events[-1]["stage"] == "simulating"
    assert "\x1b" not in job.log.read_text()  # no terminal bar in the log
    prog = jobs.progress(job)
    assert (prog.fraction, prog.stage) == (1.0, "done")
    created = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    assert all(str(p).startswith("res") for p in created)


def test_progress_is_read_from_the_events_not_the_log(tmp_path: Path) -> None:
    rd = ResultsDir(tmp_path)
    jobs = JobManager(rd)
    job = jobs.launch(JobRequest(kind="simulate", days=0.01, scale=0.0001))
    jobs.cancel(job.id)
    job.cancelled, job.rc = False, None  # read it as if it were still running
    job.log.write_text("simulating ━━━ day 9/10\n")
    job.events.write_text(json.dumps({"t": time.time(), "stage": "warm-up", "fraction": 0.3,
                                      "eta_s": 40.0, "message": "warm-up day 3/7"}) + "\n")
    prog = jobs.progress(job)
    assert (prog.fraction, prog.stage, prog.message) == (0.3, "warm-up", "warm-up day 3/7")
    assert prog.eta_s is not None and 39 < prog.eta_s <= 40
    job.rc = 1  # failed: the log's last line (its error) is the message
    job.log.write_text("aifab: bad thing\n")
    assert jobs.progress(job).message == "aifab: bad thing"


def test_sweep_needs_the_command_and_a_spec_inside(tmp_path: Path) -> None:
    from aifab.cli import COMMAND_MODULES

    jobs = JobManager(ResultsDir(tmp_path))
    msg = "no `sweep` command" if "sweep" not in COMMAND_MODULES else "spec"
    with pytest.raises(BadInput, match=msg):
        jobs.launch(JobRequest(kind="sweep"))
    assert jobs.poll() == []


@pytest.mark.parametrize("field", ["kind", "scenario", "policy", "spec", "siting"])
def test_form_fields_that_are_not_text_are_named(tmp_path: Path, field: str) -> None:
    """The Runs form's text fields as any JSON a client may post (a property test of the
    request check found a list for the scenario raising TypeError): BadInput naming the
    field, and nothing starts."""
    jobs = JobManager(ResultsDir(tmp_path))
    req = JobRequest(**{"kind": "simulate", field: [1]})  # type: ignore[arg-type]
    with pytest.raises(BadInput, match=f"{field}: must be text, got list"):
        jobs.launch(req)
    assert jobs.poll() == []
