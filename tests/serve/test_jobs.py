"""Background jobs: the real aifab CLI in a subprocess, progress read from its bar."""

from __future__ import annotations

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
    log = job.log.read_text()
    assert "day " in log  # the CLI drew its progress bar (TTY_COMPATIBLE)
    frac, _msg = jobs.progress(job)
    assert frac == 1.0
    created = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    assert all(str(p).startswith("res") for p in created)


def test_progress_is_read_from_the_bar(tmp_path: Path) -> None:
    rd = ResultsDir(tmp_path)
    jobs = JobManager(rd)
    job = jobs.launch(JobRequest(kind="simulate", days=0.01, scale=0.0001))
    jobs.cancel(job.id)
    job.log.write_text("\r\x1b[2Ksimulating ━━━ day 3/10 0:00:01\r\x1b[2Ksimulating ━━━ day 6/10")
    assert jobs.progress(job)[0] == pytest.approx(0.6)


def test_sweep_needs_the_command_and_a_spec_inside(tmp_path: Path) -> None:
    from aifab.cli import COMMAND_MODULES

    jobs = JobManager(ResultsDir(tmp_path))
    msg = "no `sweep` command" if "sweep" not in COMMAND_MODULES else "spec"
    with pytest.raises(BadInput, match=msg):
        jobs.launch(JobRequest(kind="sweep"))
    assert jobs.poll() == []
