"""Fuzz the shared-fleet scheduler commands through the real CLI (fuzz_cli.py says what is
checked): ``admit`` (Kueue and KAI manifests, a job manifest, a Workload export as
``--state``), ``compare-queues`` (a sacct export or a Workload export through a design),
``simulate --kueue/--kai`` and ``queues``, each with one input mutated: a manifest document
changed, dropped, duplicated or replaced by text; job, Workload and scenario fields
replaced, deleted or added; sacct cells, rows and columns. Every case ends with exit 0 or
exit 2 and one line naming the file (and object and field), never a traceback.

Case counts in CI (x AIFAB_FUZZ_SCALE): admit 200 (a third with KAI queues),
compare-queues 150, simulate 40, queues 60 (about 10 s in all).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzz_cli import (
    NUM_TEXT,
    SETS,
    flag,
    flags,
    fuzz_settings,
    mutated_csv,
    mutated_doc,
    run,
    workdir,
)
from hypothesis import given
from hypothesis import strategies as st
from tests.sched._cfg import JOB, SACCT, TOY
from typer.testing import CliRunner

from aifab.cli import app
from aifab.sched import read_dir
from aifab.sched._schema import validate

#: The sacct export with its two accounts named as TOY's ClusterQueues.
HISTORY = SACCT.replace("|a|", "|universities|").replace("|b|", "|startups|")


def _workload(name: str, gpus: int, admitted: bool, finished: bool = False) -> dict[str, Any]:
    """A Kueue Workload of ``kubectl get workloads -A -o json`` on TOY's universities queue."""
    at = "2025-01-01T00:0{}:00Z".format
    conds = [{"type": kind, "status": "True", "lastTransitionTime": at(k)}
             for k, (kind, on) in enumerate((("Admitted", admitted), ("Finished", finished)),
                                            start=1) if on]
    status: dict[str, Any] = {"conditions": conds}
    if admitted:
        status["admission"] = {"clusterQueue": "universities"}
    return {"metadata": {"name": name, "namespace": "universities",
                         "creationTimestamp": at(0)},
            "spec": {"queueName": "universities", "priority": 0, "podSets": [
                {"name": "main", "count": gpus, "template": {"spec": {"containers": [
                    {"name": "m", "resources": {"requests": {"nvidia.com/gpu": 1}}}]}}}]},
            "status": status}


STATE = {"items": [_workload("run", 16, True), _workload("done", 8, True, True),
                   _workload("wait", 8, False)]}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """TOY as a scenario file and its Kueue and KAI manifests (``aifab queues``)."""
    d = tmp_path_factory.mktemp("sched-fuzz")
    (d / "toy.yaml").write_text(yaml.safe_dump(TOY))
    r = CliRunner().invoke(app, ["queues", str(d / "toy.yaml"), "--kueue", str(d / "k"),
                                 "--kai", str(d / "kai")])
    assert r.exit_code == 0, r.output
    yield d


@st.composite
def mutated_dir(draw: st.DrawFn, src: Path, dst: Path) -> None:
    """``src`` copied to ``dst``, half the time with one file's documents mutated."""
    shutil.copytree(src, dst)
    if draw(st.booleans()):
        return
    f = draw(st.sampled_from(sorted(dst.iterdir())))
    docs = list(yaml.safe_load_all(f.read_text()))
    kind = draw(st.sampled_from(["doc", "doc", "doc", "drop", "dup", "text"]))
    i = draw(st.integers(0, len(docs) - 1))
    if kind == "text":
        f.write_text(draw(st.text(max_size=40)))
        return
    if kind == "doc":
        docs[i] = draw(mutated_doc(docs[i]))
    elif kind == "drop":
        del docs[i]
    else:
        docs.append(docs[i])
    f.write_text(yaml.safe_dump_all(docs))


#: What a sacct cell may hold instead (dates out of range, odd TRES, states).
SACCT_JUNK = st.one_of(NUM_TEXT, st.sampled_from([
    "2025-13-01T00:00:00", "None", "Unknown", "gres/gpu=-8", "gres/gpu=1e9", "gres/gpu=nan",
    "99-00:00:00", "2024-12-31T23:00:00", "", "gres/gpu:x=8", "cpu=8,gres/gpu=0", "RUNNING",
    "1_2", "universities"]))


def _design(draw: st.DrawFn, base: Path, d: Path,
            kinds: tuple[str, ...] = ("k", "kai")) -> tuple[str, Path]:
    """A design (Kueue or KAI manifests) copied into ``d``, maybe mutated: its flag and
    folder."""
    which = draw(st.sampled_from(kinds))
    draw(mutated_dir(base / which, d / which))
    return ("--kueue" if which == "k" else "--kai"), d / which


def _state(draw: st.DrawFn, d: Path) -> Path:
    (d / "wl.json").write_text(json.dumps(draw(st.one_of(st.just(STATE), mutated_doc(STATE)))))
    return d / "wl.json"


@fuzz_settings(200)
@given(data=st.data())
def test_admit(base: Path, data: st.DataObject) -> None:
    with workdir() as d:
        opt, design = _design(data.draw, base, d, ("k", "k", "kai"))
        (d / "job.yaml").write_text(yaml.safe_dump(data.draw(st.one_of(st.just(JOB),
                                                                       mutated_doc(JOB)))))
        args = ["admit", str(d / "job.yaml"), opt, str(design)]
        if opt == "--kueue" and data.draw(st.booleans()):
            args += ["--state", str(_state(data.draw, d))]
        run("admit", [*args, *data.draw(st.sampled_from([["--json"], []]))])


@fuzz_settings(150)
@given(data=st.data())
def test_compare_queues(base: Path, data: st.DataObject) -> None:
    with workdir() as d:
        _, design = _design(data.draw, base, d)
        if data.draw(st.integers(0, 2)):
            jobs = d / "jobs.txt"
            jobs.write_text(data.draw(mutated_csv(HISTORY.strip().splitlines(), "|",
                                                  SACCT_JUNK)))
        else:
            jobs = _state(data.draw, d)
        args = ["compare-queues", str(design), "--jobs", str(jobs), *data.draw(flags(
            flag("--grace", NUM_TEXT, good=("30", "0")),
            flag("--map", st.sampled_from(["x=y", "=", "a", "startups=nope"]),
                 good=("universities=universities", "startups=startups"))))]
        run("compare-queues", [*args, "--json"])


@fuzz_settings(40)
@given(data=st.data())
def test_simulate_under_manifests(base: Path, data: st.DataObject) -> None:
    with workdir() as d:
        opt, design = _design(data.draw, base, d)
        out = d / "out" if data.draw(st.booleans()) else None
        run("simulate --kueue/--kai", [
            "simulate", str(base / "toy.yaml"), opt, str(design), "--days",
            data.draw(st.sampled_from(["0.05", "0.1"])), "--json",
            *(["--out", str(out)] if out else [])], out)


@fuzz_settings(60)
@given(data=st.data())
def test_queues(data: st.DataObject) -> None:
    """A mutated scenario or --set: the manifests are written whole, valid against the
    projects' CRD schemas and read back by the loader, or nothing is written."""
    with workdir() as d:
        (d / "toy.yaml").write_text(yaml.safe_dump(data.draw(st.one_of(st.just(TOY),
                                                                       mutated_doc(TOY)))))
        outs = data.draw(st.sampled_from([["--kueue"], ["--kai"], ["--kueue", "--kai"]]))
        args = ["queues", str(d / "toy.yaml"), *data.draw(SETS)]
        for o in outs:
            args += [o, str(d / o.strip("-"))]
        ok = run("queues", args) == 0
        assert [(d / o.strip("-")).is_dir() for o in outs] == [ok] * len(outs), args
        if ok:
            for o in outs:
                read_dir(d / o.strip("-"))
                for f in sorted((d / o.strip("-")).glob("*.yaml")):
                    for doc in yaml.safe_load_all(f.read_text()):
                        if doc["kind"] != "Configuration":
                            assert validate(doc) == [], (args, f.name)

