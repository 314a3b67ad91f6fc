"""The results folder: paths outside it are refused; runs are found by their files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aifab.errors import BadInput
from aifab.serve import JobRequest, PathRefused, ResultsDir
from aifab.serve._jobs import validate


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "/etc/passwd", "runs/../../..",
                                 "x\x00y", "..", "link/secret"])
def test_paths_outside_are_refused(tmp_path: Path, bad: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("no")
    root = tmp_path / "res"
    root.mkdir()
    os.symlink(outside, root / "link")
    rd = ResultsDir(root)
    with pytest.raises(PathRefused):
        rd.resolve(bad)


def test_paths_inside_resolve(tmp_path: Path) -> None:
    rd = ResultsDir(tmp_path)
    assert rd.resolve("runs/a/../b") == tmp_path.resolve() / "runs" / "b"
    assert rd.resolve(".") == tmp_path.resolve()


def test_runs_found_by_marker_files(tmp_path: Path) -> None:
    for d, f in (("runs/s1", "summary.json"), ("runs/g", "site.json"),
                 ("deep/er/sw", "sweep.json"), (".hidden/s2", "summary.json")):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / f).write_text("{}")
    rd = ResultsDir(tmp_path)
    found = {r.rel: r.kind for r in rd.runs()}
    assert found == {"runs/s1": "simulate", "runs/g": "site", "deep/er/sw": "sweep"}
    assert [r.rel for r in rd.runs(("site",))] == ["runs/g"]


def test_results_dir_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(BadInput, match="not a directory"):
        ResultsDir(f)


@pytest.mark.parametrize(("req", "msg"), [
    (JobRequest(kind="rm"), "unknown run kind"),
    (JobRequest(kind="simulate", days=-1), "days"),
    (JobRequest(kind="simulate", scale=2), "scale"),
    (JobRequest(kind="simulate", seed=1.5), "seed"),
    (JobRequest(kind="simulate", days="abc"), "not a number"),
    (JobRequest(kind="simulate", policy="lottery"), "policy"),
    (JobRequest(kind="simulate", scenario="../../etc/passwd"), "outside"),
    (JobRequest(kind="site", hours=5), "hours"),
    (JobRequest(kind="site", hours=25), "hours"),
])
def test_bad_job_requests_name_the_field(tmp_path: Path, req: JobRequest, msg: str) -> None:
    with pytest.raises(BadInput, match=msg):
        validate(req, ResultsDir(tmp_path))


def test_good_request_becomes_cli_arguments(tmp_path: Path) -> None:
    argv = validate(JobRequest(kind="simulate", days=2, scale=0.01, seed=3, policy="fifo"),
                    ResultsDir(tmp_path))
    assert argv == ["simulate", "--scenario", "korea-2025", "--days", "2", "--set",
                    "sim.scale=0.01", "--seed", "3", "--policy", "fifo"]
