"""Checkpoints are data: resume through the CLI, refusals, hostile files, run dirs."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aifab.catalog import default_catalog
from aifab.cli import app
from aifab.scenario import load_scenario
from aifab.sim.national import new_run, save_checkpoint
from aifab.sim.national._checkpoint import VERSION

SETS = ["sim.scale=0.01", "sim.warmup_days=0.5", "sim.days=1.5", "sim.checkpoint_every_h=12"]
ARGS = [a for s in SETS for a in ("--set", s)]


def _canon(text: str) -> dict[str, object]:
    d = json.loads(text)
    d.pop("wall_s")
    d["events"].pop("per_s")
    return d


def _killed_run(out: Path, until_h: float = 20.0) -> None:
    """What a run killed at ``until_h`` leaves in ``out``: its last checkpoint."""
    scn = load_scenario(None, SETS)
    run = new_run(scn)
    run.run(until=12 * 3600.0)
    save_checkpoint(run, scn, default_catalog(), out / "checkpoint")
    run.run(until=until_h * 3600.0)  # then killed: nothing more saved


def test_resume_through_the_cli_equals_the_uninterrupted_run(tmp_path: Path) -> None:
    r = CliRunner()
    whole = r.invoke(app, ["simulate", "--json", *ARGS])
    assert whole.exit_code == 0, whole.output
    out = tmp_path / "run"
    _killed_run(out)
    res = r.invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exit_code == 0, res.output
    assert _canon(res.stdout) == _canon(whole.stdout)
    assert (out / "summary.json").is_file() and not (out / "checkpoint").exists()


def test_a_curtailed_run_resumes_through_the_cli(tmp_path: Path) -> None:
    """`--curtail` runs checkpoint: resumed from a checkpoint taken inside a window, the run
    equals the uninterrupted one (the windows come back from the checkpoint)."""
    f = tmp_path / "windows.csv"
    f.write_text("start_h,duration_h,depth,owner\n2,12,0.5,Naver\n20,4,0.6,*\n")
    r = CliRunner()
    whole = r.invoke(app, ["simulate", "--json", *ARGS, "--curtail", str(f)])
    assert whole.exit_code == 0, whole.output
    assert json.loads(whole.stdout)["flexibility"]["windows"] == 6  # "*": every owner
    out = tmp_path / "run"
    full = r.invoke(app, ["simulate", "--json", *ARGS, "--curtail", str(f), "--out", str(out)])
    assert full.exit_code == 0 and _canon(full.stdout) == _canon(whole.stdout)
    from aifab.sim.national import TwinRequest, read_curtailment, run_twin

    scn = load_scenario(None, SETS)
    windows = tuple(read_curtailment(f, [o.name for o in scn.owners]))
    seen: list[float] = []

    def second(run: Any) -> None:
        # the checkpoint at 24 h (12 h warm-up + 12 h: inside Naver's window), then killed
        seen.append(run.sliced_to)
        if len(seen) == 2:
            save_checkpoint(run, scn, default_catalog(), out / "checkpoint")

    run_twin(TwinRequest(scn, catalog=default_catalog(), windows=windows), checkpoint=second)
    assert seen[1] == 24 * 3600.0
    res = r.invoke(app, ["simulate", "--json", "--resume", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert _canon(res.stdout) == _canon(whole.stdout)
    again = r.invoke(app, ["simulate", "--json", "--resume", str(out), "--curtail", str(f)])
    assert again.exit_code == 2 and "--curtail" in again.stderr


def test_resume_refuses_other_settings_and_tampered_files(tmp_path: Path) -> None:
    r = CliRunner()
    out = tmp_path / "run"
    _killed_run(out)
    res = r.invoke(app, ["simulate", "--json", "--resume", str(out), *ARGS, "--seed", "9"])
    assert res.exit_code == 2 and "another scenario or other settings" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    same = r.invoke(app, ["simulate", "--json", "--resume", str(out), *ARGS])
    assert same.exit_code == 0, same.output  # the same flags are fine
    _killed_run(out)
    state = out / "checkpoint" / "state.json"
    state.write_text(state.read_text().replace('"next_id": ', '"next_id": 1'))
    res = r.invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exit_code == 2 and "checksum mismatch" in res.stderr
    man = out / "checkpoint" / "manifest.json"
    man.write_text(man.read_text().replace(f'"version": {VERSION}', '"version": 99'))
    res = r.invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exit_code == 2 and "version 99" in res.stderr


class _Hostile:
    """Unpickling this creates a file: what a prepared checkpoint could do."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (os.system, (f"touch {self.target}",))


@pytest.mark.parametrize("where", ["checkpoint/state.pkl", "state.pkl",
                                   "checkpoint/arrays.npz", "checkpoint/state.json"])
def test_hostile_pickle_is_never_loaded(tmp_path: Path, where: str) -> None:
    out = tmp_path / "run"
    if where.endswith(("npz", "json")):
        _killed_run(out)
    mark = tmp_path / "pwned"
    evil = pickle.dumps(_Hostile(str(mark)))
    if where.endswith("npz"):  # an object array inside the npz: needs allow_pickle
        import numpy as np

        arr = np.empty(1, dtype=object)
        arr[0] = _Hostile(str(mark))
        with (out / where).open("wb") as fh:
            np.savez(fh, **{"ev.t": arr})
    else:
        (out / where).parent.mkdir(parents=True, exist_ok=True)
        (out / where).write_bytes(evil)
    if where.endswith(("npz", "json")):  # make the checksums agree: only the format guards
        import hashlib

        man = json.loads((out / "checkpoint" / "manifest.json").read_text())
        name = where.split("/")[-1]
        man["files"][name] = hashlib.sha256((out / where).read_bytes()).hexdigest()
        (out / "checkpoint" / "manifest.json").write_text(json.dumps(man))
    res = CliRunner().invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and len(res.stderr.strip().splitlines()) == 1
    assert not mark.exists()


def test_run_directory_refuses_another_run_unless_forced(tmp_path: Path) -> None:
    r = CliRunner()
    out = tmp_path / "run"
    first = r.invoke(app, ["simulate", "--json", "--out", str(out), *ARGS])
    assert first.exit_code == 0, first.output
    again = r.invoke(app, ["simulate", "--json", "--out", str(out), *ARGS, "--seed", "3"])
    assert again.exit_code == 2 and "--force" in again.stderr
    assert _canon((out / "summary.json").read_text()) == _canon(first.stdout)  # untouched
    # a stale checkpoint is never mixed into a new run either
    _killed_run(tmp_path / "stale")
    res = r.invoke(app, ["simulate", "--json", "--out", str(tmp_path / "stale"), *ARGS])
    assert res.exit_code == 2 and "checkpoint" in res.stderr
    forced = r.invoke(app, ["simulate", "--json", "--out", str(out), *ARGS, "--seed", "3",
                            "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / "summary.json").read_text())["seed"] == 3


def test_force_does_not_follow_symlinks(tmp_path: Path) -> None:
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    (victim / "summary.json").write_text("{}")
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint").symlink_to(victim)
    (out / "summary.json").symlink_to(victim / "summary.json")
    res = CliRunner().invoke(app, ["simulate", "--json", "--out", str(out), *ARGS, "--force"])
    assert res.exit_code == 0, res.output
    assert (victim / "keep.txt").read_text() == "mine"
    assert (victim / "summary.json").read_text() == "{}"
    assert not (out / "summary.json").is_symlink()
    res = CliRunner().invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exit_code == 2
