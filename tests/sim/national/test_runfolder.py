"""The twin's run folder has one writer and one reader, and only they know its file
names."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from aifab.errors import BadInput
from aifab.scenario import load_scenario
from aifab.sim.national import SimResult, simulate
from aifab.sim.national._runfolder import (
    CHECKPOINT,
    LOAD_SHAPE,
    REPORT,
    SUMMARY,
    read_run,
    table_file,
    write_run,
)

SETS = ["sim.scale=0.01", "sim.warmup_days=0.5", "sim.days=1.5"]
SRC = Path(__file__).resolve().parents[3] / "src" / "aifab"


@pytest.fixture(scope="module")
def result() -> SimResult:
    return simulate(load_scenario(None, SETS))


def test_what_is_written_reads_back_the_same(result: SimResult, tmp_path: Path) -> None:
    result.write(tmp_path, html="<html></html>")
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {SUMMARY, REPORT, *(table_file(n) for n in result.to_frames())}
    assert LOAD_SHAPE in names and json.loads((tmp_path / SUMMARY).read_text())[
        "schema_version"]
    back = SimResult.read(tmp_path)
    assert back.to_dict() == result.to_dict()
    assert back.utilization == result.utilization and back.policy == result.policy
    frames, again = result.to_frames(), back.to_frames()
    assert set(frames) == set(again)
    for k, df in frames.items():
        pd.testing.assert_frame_equal(again[k], df.reset_index(drop=True),
                                      check_dtype=k != "campus_power", obj=k)
    doc, _frames, conf = read_run(tmp_path)
    assert doc == back.to_dict() and conf is None


def test_a_folder_without_a_summary_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a finished twin run") as exc:
        SimResult.read(tmp_path)
    assert SUMMARY in str(exc.value)
    (tmp_path / SUMMARY).write_text('{"schema_version": 1, "plan": 3}')
    with pytest.raises(BadInput, match="not a twin run's summary"):
        read_run(tmp_path)


def test_replications_keep_their_intervals(result: SimResult, tmp_path: Path) -> None:
    doc = result.to_dict()
    conf = {"utilization": {"mean": 0.5, "ci95": 0.1, "n": 3}, "seeds": [0, 1, 2]}
    rep = SimResult.from_document(doc, result.to_frames(), conf)
    write_run(rep.to_dict(), rep.to_frames(), tmp_path)
    assert not (tmp_path / REPORT).exists()
    back = SimResult.read(tmp_path).confidence
    assert back is not None and back["utilization"].ci95 == 0.1 and back.seeds == (0, 1, 2)
    assert back.to_dict() == conf


@pytest.mark.parametrize("rel", ["sim", "commands/simulate.py", "report/_sim.py"])
def test_no_other_twin_code_names_a_run_folder_file(rel: str) -> None:
    """The file names of the twin's run folder are string literals only in
    ``_runfolder.py`` (the sim package, the simulate command and the twin's renderer)."""
    root = SRC / rel
    for p in ([root] if root.is_file() else sorted(root.rglob("*.py"))):
        if p.name == "_runfolder.py":
            continue
        # "checkpoint" is also a goodput category (the failure model's): checked where a
        # run folder is handled
        names = {SUMMARY, REPORT, LOAD_SHAPE} | ({CHECKPOINT} if p.name in (
            "_rundir.py", "_checkpoint.py", "simulate.py") else set())
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value not in names and not node.value.endswith(".parquet"), \
                    (str(p.relative_to(SRC)), node.lineno, node.value)
