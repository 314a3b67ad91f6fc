"""`aifab admit --state RUN_DIR` and `compare-queues --jobs RUN_DIR`: the command layer reads
the run folder (``SimResult.read``) and hands sched a typed :class:`aifab.sched.RunState`."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _cfg import JOB, TOY, cq, flavor
from typer.testing import CliRunner

from aifab.cli import app
from aifab.errors import BadInput
from aifab.sched import RunState, admit, compare_designs, history_from_run, read_dir

runner = CliRunner()
NAN = math.nan
LQ = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
      "metadata": {"name": "lq", "namespace": "team"}, "spec": {"clusterQueue": "a"}}


def _job(tmp: Path, gpus: int) -> Path:
    p = tmp / "job.yaml"
    p.write_text(yaml.safe_dump({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "new", "namespace": "team",
                     "labels": {"kueue.x-k8s.io/queue-name": "lq"}},
        "spec": {"parallelism": gpus, "template": {"spec": {"containers": [
            {"name": "m", "resources": {"limits": {"nvidia.com/gpu": 1}}}]}}}}))
    return p


def _state(scale: float = 1.0) -> RunState:
    """Tenant "a": one job running on 6 GPUs, one queued for 4, one finished (waited 2 h)."""
    jobs = pd.DataFrame({"tenant": [0, 0, 0], "n": [6, 4, 8],
                         "submit": [0.0, 100.0, 0.0], "first": [50.0, NAN, 7200.0],
                         "end": [NAN, NAN, 9000.0], "wait_s": [50.0, NAN, 7200.0]})
    return RunState("mem", scale, ("a",), jobs)


def _manifests(tmp: Path, strategy: str = "BestEffortFIFO") -> Path:
    d = tmp / "m"
    d.mkdir()
    docs = [flavor("default"), cq("a", gpu=8, queueingStrategy=strategy), LQ]
    (d / "q.yaml").write_text(yaml.safe_dump_all(docs))
    return d


@pytest.mark.parametrize(("gpus", "admitted"), [(2, True), (3, False)])
def test_admit_from_a_typed_run_state(tmp_path: Path, gpus: int, admitted: bool) -> None:
    """6 of 8 GPUs run; the queued 4-GPU job does not fit, so BestEffortFIFO lets a 2-GPU
    job past it; a 3-GPU one pends, with the forecast from the finished 8-GPU job's wait."""
    doc = admit(read_dir(_manifests(tmp_path)), _job(tmp_path, gpus), _state())
    assert doc["state"]["running"] == 1 and doc["state"]["queued"] == 1
    assert doc["admitted"] is admitted
    if not admitted:
        f = doc["forecast"]
        assert f["tenant"] == "a" and f["similar_size"] is True
        # similar size (>= 1.5 GPUs): the running 6-GPU job (waited 50 s) and the 8-GPU one
        assert f["jobs"] == 2 and f["wait_p95_h"] == pytest.approx(
            (50 + 0.95 * (7200 - 50)) / 3600)


def test_a_scaled_run_state_counts_each_job_round_1_over_scale_times(tmp_path: Path) -> None:
    doc = admit(read_dir(_manifests(tmp_path)), _job(tmp_path, 1), _state(scale=0.5))
    assert doc["state"]["copies"] == 2 and doc["state"]["scale"] == 0.5
    h = history_from_run(_state(scale=0.5))  # the two started jobs, twice each
    assert len(h.jobs) == 4 and h.skipped == 1


def test_run_state_checks_its_table(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no wait_s column"):
        RunState("mem", 1.0, ("a",), _state().jobs.drop(columns="wait_s"))
    with pytest.raises(BadInput, match="scale"):
        RunState("mem", 0.0, ("a",), _state().jobs)
    with pytest.raises(BadInput, match="command layer"):  # sched reads no run folder
        compare_designs([_manifests(tmp_path)], tmp_path, {})


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small twin run folder, its Kueue manifests and a 32-GPU job (half a day, 64 GPUs)."""
    d = tmp_path_factory.mktemp("run")
    (d / "toy.yaml").write_text(yaml.safe_dump(TOY))
    (d / "job.yaml").write_text(yaml.safe_dump(JOB))
    r = runner.invoke(app, ["simulate", str(d / "toy.yaml"), "--out", str(d / "run"), "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["queues", str(d / "toy.yaml"), "--kueue", str(d / "k")])
    assert r.exit_code == 0, r.output
    return d


def test_admit_state_run_folder_gives_the_run_and_forecast(toy_run: Path) -> None:
    r = runner.invoke(app, ["admit", str(toy_run / "job.yaml"), "--kueue", str(toy_run / "k"),
                            "--state", str(toy_run / "run"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    jobs = pd.read_parquet(toy_run / "run" / "jobs.parquet")
    running = int((jobs["first"].notna() & jobs["end"].isna()).sum())
    queued = int(jobs["first"].isna().sum())
    assert doc["state"]["run"] == str(toy_run / "run") and doc["state"]["copies"] == 1
    assert doc["state"]["running"] + doc["state"]["queued"] == running + queued
    assert doc["state"]["tenants_not_in_manifests"] == []


@pytest.mark.parametrize("command", ["admit", "compare-queues"])
def test_bad_summary_in_the_state_folder_exits_2_naming_the_field(
        toy_run: Path, tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(toy_run / "run", bad)
    doc = json.loads((bad / "summary.json").read_text())
    doc["scale"] = "half"
    (bad / "summary.json").write_text(json.dumps(doc))
    args = (["admit", str(toy_run / "job.yaml"), "--kueue", str(toy_run / "k"), "--state",
             str(bad)] if command == "admit" else
            ["compare-queues", str(toy_run / "k"), "--jobs", str(bad)])
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in r.output
    assert f"{bad / 'summary.json'}: scale:" in err and "number" in err


def test_state_folder_without_jobs_table_or_summary_exits_2(toy_run: Path,
                                                           tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(toy_run / "run", bad)
    (bad / "jobs.parquet").unlink()
    r = runner.invoke(app, ["admit", str(toy_run / "job.yaml"), "--kueue",
                            str(toy_run / "k"), "--state", str(bad)])
    assert r.exit_code == 2 and "--state: no jobs table (jobs.parquet)" in r.stderr
    (bad / "summary.json").unlink()
    r = runner.invoke(app, ["admit", str(toy_run / "job.yaml"), "--kueue",
                            str(toy_run / "k"), "--state", str(bad)])
    assert r.exit_code == 2 and "no summary.json" in r.stderr
