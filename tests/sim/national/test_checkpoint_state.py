"""A checkpoint's state is input: rewritten with a matching manifest checksum (so the
tampering check passes), a bad value still exits 2 with one line naming file and field."""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from aifab.catalog import default_catalog
from aifab.cli import app
from aifab.scenario import load_scenario
from aifab.sim.national import new_run, save_checkpoint
from aifab.sim.national._ops import ARRIVE, END

SETS = ["sim.scale=0.01", "sim.warmup_days=0.5", "sim.days=1.5", "sim.checkpoint_every_h=12"]
ARGS = [a for s in SETS for a in ("--set", s)]
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One checkpoint at 20 h (what a run killed there leaves), copied per test."""
    out = tmp_path_factory.mktemp("ck") / "run"
    scn = load_scenario(None, SETS)
    run = new_run(scn)
    run.run(until=20 * 3600.0)
    save_checkpoint(run, scn, default_catalog(), out / "checkpoint")
    return out


def _copy(saved: Path, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    (out / "checkpoint").mkdir(parents=True)
    for f in (saved / "checkpoint").iterdir():
        (out / "checkpoint" / f.name).write_bytes(f.read_bytes())
    return out


def _reseal(ck: Path, name: str) -> None:
    """Recompute the manifest's checksum of ``name`` the way :func:`save` does."""
    man = json.loads((ck / "manifest.json").read_text())
    man["files"][name] = hashlib.sha256((ck / name).read_bytes()).hexdigest()
    (ck / "manifest.json").write_text(json.dumps(man, indent=1))


def _edit_state(out: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    ck = out / "checkpoint"
    state = json.loads((ck / "state.json").read_text())
    edit(state)
    (ck / "state.json").write_text(json.dumps(state))
    _reseal(ck, "state.json")


def _edit_arrays(out: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    ck = out / "checkpoint"
    with np.load(ck / "arrays.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    edit(arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (ck / "arrays.npz").write_bytes(buf.getvalue())
    _reseal(ck, "arrays.npz")


def _refused(out: Path, file: str, *needles: str) -> str:
    res = CliRunner().invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.stderr
    assert lines[0].startswith(f"aifab: error: {out / 'checkpoint' / file}: "), lines[0]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(state: dict[str, Any]) -> None:
        *head, last = path.split(".")
        d = state
        for k in head:
            d = d[k]
        d[last] = value
    return edit


STATE_CASES = [
    ("now", 1e308, "now: 1e+308 s is outside the run"),
    ("now", -5.0, "now: -5.0 s is outside the run"),
    ("now", float("nan"), "now: nan is not a finite number"),
    ("sliced_to", float("inf"), "sliced_to: inf is not a finite number"),
    ("meters.last", 1e9, "meters.last"),
    ("meters.energy_kwh", float("-inf"), "meters.energy_kwh: -inf is not a finite"),
    ("next_id", -1, "next_id: -1 is negative"),
    ("n_events", 3.5, "n_events: expected a whole number"),
    ("meters.counts.starts", -3, "meters.counts.starts: -3 is negative"),
    ("fleet.alloc_total", -10, "fleet.alloc_total: -10 is negative"),
    ("fleet.campus_kw", [1.0], "fleet.campus_kw: 1 entries"),
    ("finished", 0, "finished: expected a boolean, found a number"),
    ("queues", "x", "queues: expected a list, found text"),
    ("surprise", 1, "surprise: unknown key"),
    ("fleet.extra", 1, "fleet.extra: unknown key"),
]


@pytest.mark.parametrize(("field", "value", "needle"), STATE_CASES,
                         ids=[c[0] + "=" + repr(c[1]) for c in STATE_CASES])
def test_bad_state_value_is_refused_naming_the_field(saved: Path, tmp_path: Path, field: str,
                                                     value: Any, needle: str) -> None:
    out = _copy(saved, tmp_path)
    _edit_state(out, _set(field, value))
    _refused(out, "state.json", needle)


def test_queue_naming_a_missing_job_is_refused(saved: Path, tmp_path: Path) -> None:
    out = _copy(saved, tmp_path)
    _edit_state(out, lambda s: s["queues"][0].append([1, [123456]]))
    _refused(out, "state.json", "queues: names job 123456")
    out = _copy(saved, tmp_path / "b")
    _edit_state(out, lambda s: s["fleet"]["running"][0].append(-7))
    _refused(out, "state.json", "fleet.running")


def test_missing_state_key_is_refused(saved: Path, tmp_path: Path) -> None:
    out = _copy(saved, tmp_path)
    _edit_state(out, lambda s: s["fleet"].pop("power_kw"))
    _refused(out, "state.json", "fleet.power_kw: missing key")
    out = _copy(saved, tmp_path / "b")
    _edit_state(out, lambda s: s["meters"].update(counts={}))
    _refused(out, "state.json", "meters.counts.", ": missing key")


def test_service_replica_outside_its_pools_is_refused(saved: Path, tmp_path: Path) -> None:
    out = _copy(saved, tmp_path)
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    n, svc = next((n, s) for n, s in enumerate(state["services"]) if s["reps"])
    _edit_state(out, lambda s: s["services"][n]["reps"].append(list(svc["reps"][0])))
    _refused(out, "state.json", f"services[{n}].reps: ")  # the same pool twice
    out = _copy(saved, tmp_path / "b")
    _edit_state(out, lambda s: s["services"][n]["reps"][0][1].append(10**6))
    _refused(out, "state.json", f"services[{n}].reps: ")


@pytest.mark.slow
def test_hostile_state_edits_never_crash(saved: Path, tmp_path: Path) -> None:
    """Seeded edits of random fields to hostile values: resumed (a value the run can
    take) or refused in one line, never a traceback."""
    import random

    state0 = json.loads((saved / "checkpoint" / "state.json").read_text())

    def paths(x: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        kids = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) \
            else []
        return [at] + [p for k, v in kids for p in paths(v, (*at, k))]

    every = [p for p in paths(state0) if p]
    rng = random.Random(24)
    hostile = [float("nan"), -1, 1e308, "x", None, [], {}, 10**30, 2.5, True]
    for i in range(12):
        at, value = rng.choice(every), rng.choice(hostile)

        def edit(s: dict[str, Any], at: tuple[Any, ...] = at, value: Any = value) -> None:
            for k in at[:-1]:
                s = s[k]
            s[at[-1]] = value

        out = _copy(saved, tmp_path / str(i))
        _edit_state(out, edit)
        res = CliRunner().invoke(app, ["simulate", "--json", "--resume", str(out)])
        assert res.exit_code in (0, 2), (at, value, res.exception)
        if res.exit_code == 2:
            assert len(res.stderr.strip().splitlines()) == 1, (at, value, res.stderr)


ARRAY_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("wrong dtype", lambda a: a.update({"q.qlen": a["q.qlen"].astype(np.float64)}),
     "q.qlen: dtype float64, expected int64"),
    ("wrong shape", lambda a: a.update({"pool.0": a["pool.0"][:-1]}), "pool.0: shape"),
    ("2-d", lambda a: a.update({"fleet.talloc": a["fleet.talloc"].reshape(-1, 1)}),
     "fleet.talloc: shape"),
    ("columns", lambda a: a.update({"m.series": a["m.series"][:, :3]}), "m.series: shape"),
    ("ragged jobs", lambda a: a.update({"job.work": a["job.work"][:-1]}), "job.work: "),
    ("event time", lambda a: a["ev.t"].__setitem__(0, np.inf), "ev.t: holds values that"),
    ("event past", lambda a: a["ev.t"].__setitem__(0, -1.0), "ev.t: an event at -1.0"),
    ("negative", lambda a: a["q.qlen"].__setitem__(0, -4), "q.qlen: holds negative"),
    ("unknown", lambda a: a.update({"x.evil": np.zeros(3)}), "x.evil: unknown array"),
    ("missing", lambda a: a.pop("m.queue_s"), "m.queue_s: missing array"),
    ("tenant", lambda a: a["job.tenant"].__setitem__(0, 99.0), "job.tenant: holds values"),
    ("pool", lambda a: a["job.pool"].__setitem__(0, 0.5), "job.pool: holds values"),
    ("kind", lambda a: a["ev.kind"].__setitem__(0, 999), "ev.kind: holds event kinds"),
    ("dup id", lambda a: a["job.id"].__setitem__(1, a["job.id"][0]), "job.id: not distinct"),
    ("domain", lambda a: a["job.doms"].__setitem__(0, 10**6), "job.doms: job "),
    ("stream", lambda a: a["ev.p0"].__setitem__(int(np.flatnonzero(a["ev.kind"] == ARRIVE)[0]),
                                                10**6), "ev.p0: an event of kind"),
    ("payload", lambda a: a["ev.kind"].__setitem__(int(np.flatnonzero(a["ev.code"] != 2)[0]),
                                                   int(END)), "ev.code: an event of kind"),
]


@pytest.mark.parametrize(("edit", "needle"), [c[1:] for c in ARRAY_CASES],
                         ids=[c[0] for c in ARRAY_CASES])
def test_bad_arrays_are_refused_naming_the_array(saved: Path, tmp_path: Path,
                                                 edit: Callable[[dict[str, Any]], None],
                                                 needle: str) -> None:
    out = _copy(saved, tmp_path)
    _edit_arrays(out, edit)
    _refused(out, "arrays.npz", needle)


def test_untouched_copy_still_resumes(saved: Path, tmp_path: Path) -> None:
    out = _copy(saved, tmp_path)
    _edit_state(out, lambda s: None)  # rewritten and resealed, values unchanged
    res = CliRunner().invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exit_code == 0, res.output


@pytest.mark.slow  # a subprocess
@pytest.mark.parametrize("blocks", [4, 30])
def test_file_size_limit_while_checkpointing(tmp_path: Path, blocks: int) -> None:
    """``ulimit -f``: exit 2 'disk full writing the checkpoint', no temporary folder; a
    checkpoint left behind is a complete one (it resumes)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (blocks * 1024, blocks * 1024))

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = tmp_path / "D"
    r = subprocess.run([sys.executable, "-m", "aifab.cli", "simulate", "--json", "--out",
                        str(out), *ARGS], text=True, capture_output=True, env=env,
                       timeout=300, preexec_fn=limit)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [f"aifab: error: {out / 'checkpoint'}: disk full "
                                             "writing the checkpoint"]
    left = sorted(p.name for p in tmp_path.rglob("*"))
    assert not [n for n in left if n.startswith(".checkpoint.")], left
    if (out / "checkpoint").exists():
        assert sorted(p.name for p in (out / "checkpoint").iterdir()) == [
            "arrays.npz", "manifest.json", "scenario.json", "state.json"]
        res = CliRunner().invoke(app, ["simulate", "--json", "--resume", str(out)])
        assert res.exit_code == 0, res.output
    else:
        assert not out.exists()
