"""``aifab replay openb``'s typed result: the run folder reads back the same document and
tables, and a mistyped field exits 2 naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from aifab.cli import app
from aifab.errors import BadInput
from aifab.sim import ReplayResult, ReplaySummary, TimedSummary

NODES = ("sn,cpu_milli,memory_mib,gpu,model\n"
         + "".join(f"n{i},96000,393216,8,G2\n" for i in range(4)))
PODS = ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
        "deletion_time,scheduled_time\n"
        + "".join(f"p{i},4000,8192,1,{[1000, 500][i % 2]},,LS,Running,{10 * i},"
                  f"{10 * i + 200},0\n" for i in range(30)))


def _run(tmp: Path, *extra: str) -> tuple[dict[str, object], Path]:
    (tmp / "n.csv").write_text(NODES)
    (tmp / "p.csv").write_text(PODS)
    out = tmp / "out"
    r = CliRunner().invoke(app, ["replay", "openb", "--nodes", str(tmp / "n.csv"), "--pods",
                                 str(tmp / "p.csv"), *extra, "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout), out


@pytest.mark.parametrize("extra, block, tables", [
    (("--seeds", "1-2"), ReplaySummary, {"curves", "runs"}),
    (("--timed",), TimedSummary, {"timeseries"}),
])
def test_the_run_folder_reads_back_the_document_and_tables(
        tmp_path: Path, extra: tuple[str, ...], block: type, tables: set[str]) -> None:
    doc, out = _run(tmp_path, *extra)
    back = ReplayResult.read(out)
    assert isinstance(back.summary, block)
    doc.pop("schema_version")
    assert json.dumps(back.to_dict()) == json.dumps(doc)  # key order included
    assert set(back.frames) == tables
    for name, df in back.frames.items():
        assert len(df) and df.equals(pd.read_csv(out / f"{name}.csv"))
    if isinstance(back.summary, ReplaySummary):
        assert list(back.frames["runs"]["seed"]) == [1, 2]
        assert back.summary.seeds == (1, 2) and len(back.summary.curves.alloc_pct) == 131


def test_a_mistyped_field_names_the_file_and_the_field(tmp_path: Path) -> None:
    _, out = _run(tmp_path, "--seed", "3")
    path = out / "replay.json"
    doc = json.loads(path.read_text())
    doc["trace"]["gpus"] = 32.5
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        ReplayResult.read(out)
    assert str(exc.value) == f"{path}: trace.gpus: expected an integer, got float 32.5"
    del doc["curves"]
    doc["trace"]["gpus"] = 32
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput, match=r"replay.json: curves: missing"):
        ReplayResult.read(out)
    path.write_text("[1]")
    with pytest.raises(BadInput, match=r"replay.json: not a replay's result"):
        ReplayResult.read(out)


def test_a_mistyped_field_of_a_timed_result_names_the_file_and_the_field(tmp_path: Path) -> None:
    _, out = _run(tmp_path, "--timed")
    path = out / "replay.json"
    doc = json.loads(path.read_text())
    assert "schema_version" in doc  # left aside by the reader
    doc["failed_pods"] = {"gpu": 1.5}
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        ReplayResult.read(out)
    assert str(exc.value) == f"{path}: failed_pods.gpu: expected an integer, got float 1.5"
    doc["failed_pods"], doc["extra"] = {}, 1
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        ReplayResult.read(out)
    assert str(exc.value) == f"{path}: extra: unknown field"
