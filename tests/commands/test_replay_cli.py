"""``aifab replay openb``: output documents, files, and every bad-input path (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab.cli import app

NODES = ("sn,cpu_milli,memory_mib,gpu,model\n"
         + "".join(f"n{i},96000,393216,8,G2\n" for i in range(6))
         + "".join(f"m{i},64000,262144,2,T4\n" for i in range(6)))
PODS = ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
        "deletion_time,scheduled_time\n"
        + "".join(f"p{i},{4000 + 1000 * (i % 5)},8192,1,{[1000, 500, 250, 1000][i % 4]},"
                  f"{'T4' if i % 7 == 0 else ''},LS,Running,{10 * i},{10 * i + 300},0\n"
                  for i in range(40))
        + "q0,8000,16384,2,1000,,LS,Running,5,400,0\nc0,4000,4096,0,0,,BE,Running,7,50,0\n")

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    n = tmp_path / "nodes.csv"
    p = tmp_path / "pods.csv"
    n.write_text(NODES)
    p.write_text(PODS)
    return n, p


def _run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_json_document(files: tuple[Path, Path]) -> None:
    n, p = files
    code, out, _ = _run("replay", "openb", "--nodes", str(n), "--pods", str(p), "--policy", "fgd",
                        "--seeds", "1-3", "--json")
    assert code == 0, out
    doc = json.loads(out)
    for key in ("schema_version", "policy", "seeds", "alloc_pct", "frag_pct", "failed_pods",
                "wall_s"):
        assert key in doc
    assert doc["seeds"] == [1, 2, 3] and doc["policy"] == "fgd"
    assert set(doc["alloc_pct"]) == {"100", "130"}
    assert 0 < doc["alloc_pct"]["130"] <= 100
    assert len(doc["curves"]["alloc_pct"]) == 131


@pytest.mark.parametrize("policy", ["random", "dotprod", "clustering", "packing", "bestfit"])
def test_every_policy_runs(files: tuple[Path, Path], policy: str) -> None:
    n, p = files
    code, out, _ = _run("replay", "openb", "--nodes", str(n), "--pods", str(p), "--policy",
                        policy, "--json")
    assert code == 0 and json.loads(out)["policy"] == policy


def test_out_dir_and_table(files: tuple[Path, Path], tmp_path: Path) -> None:
    n, p = files
    out_dir = tmp_path / "res"
    code, out, _ = _run("replay", "openb", "--nodes", str(n), "--pods", str(p), "--out",
                        str(out_dir))
    assert code == 0
    assert "GPU alloc %" in out
    assert {f.name for f in out_dir.iterdir()} == {"replay.json", "curves.csv", "runs.csv",
                                                   ".aifab-run"}  # the run folder's marker


def test_timed(files: tuple[Path, Path], tmp_path: Path) -> None:
    n, p = files
    code, out, _ = _run("replay", "openb", "--nodes", str(n), "--pods", str(p), "--timed",
                        "--json", "--out", str(tmp_path / "t"))
    assert code == 0
    doc = json.loads(out)
    ts = doc["timeseries"]
    assert len(ts["time_s"]) == len(ts["alloc_pct"]) > 0
    assert ts["running_pods"][-1] == 0  # everybody left at the end
    assert (tmp_path / "t" / "timeseries.csv").exists()


def _one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = [x for x in err.strip().splitlines() if x]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for s in needles:
        assert s in lines[0], (s, lines[0])


@pytest.mark.parametrize(("text", "needles"), [
    ("name,cpu_milli,memory_mib,num_gpu\np,1,1,1\n", ("line 1", "gpu_milli")),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,x,1,1,500\n",
     ("line 2", "column cpu_milli", "not a number")),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,-1,1,500\n",
     ("line 2", "column memory_mib", "negative")),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,1001\n",
     ("line 2", "column gpu_milli", "0..1000")),
    ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np,1,1,1,500,A100\n",
     ("line 2", "column gpu_spec", "A100")),
])
def test_bad_pod_file(files: tuple[Path, Path], tmp_path: Path, text: str,
                      needles: tuple[str, ...]) -> None:
    n, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    code, _, err = _run("replay", "openb", "--nodes", str(n), "--pods", str(bad))
    _one_line_error(code, err, str(bad), *needles)


def test_bad_node_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    _, p = files
    bad = tmp_path / "badn.csv"
    bad.write_text("sn,cpu_milli,memory_mib,gpu,model\nn,1,1,two,G2\n")
    code, _, err = _run("replay", "openb", "--nodes", str(bad), "--pods", str(p))
    _one_line_error(code, err, str(bad), "line 2", "column gpu")


@pytest.mark.parametrize(("extra", "needle"), [
    (["--policy", "magic"], "--policy"),
    (["--seeds", "9-x"], "--seeds"),
    (["--tune", "-1"], "--tune"),
    (["--tie-break", "coin"], "--tie-break"),
])
def test_bad_options(files: tuple[Path, Path], extra: list[str], needle: str) -> None:
    n, p = files
    code, _, err = _run("replay", "openb", "--nodes", str(n), "--pods", str(p), *extra)
    _one_line_error(code, err, needle)


def test_missing_file_and_timed_without_times(files: tuple[Path, Path], tmp_path: Path) -> None:
    n, _ = files
    code, _, err = _run("replay", "openb", "--nodes", str(n), "--pods", str(tmp_path / "no.csv"))
    _one_line_error(code, err, "no.csv", "not found")
    bare = tmp_path / "bare.csv"
    bare.write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,500\n")
    code, _, err = _run("replay", "openb", "--nodes", str(n), "--pods", str(bare), "--timed")
    _one_line_error(code, err, "bare.csv", "creation_time")


def test_timed_speedup(files: tuple[Path, Path]) -> None:
    """Compressing arrivals keeps each pod's lifetime and raises the peak load."""
    from aifab.sim.openb import timed_arrivals
    from aifab.workload import read_openb_nodes, read_openb_pods

    n, p = files
    pods = read_openb_pods(p, read_openb_nodes(n).models)
    a1, d1 = timed_arrivals(pods)
    a5, d5 = timed_arrivals(pods, 5.0)
    assert a1.min() == a5.min()
    assert list(d5 - a5) == pytest.approx(list(d1 - a1))  # lifetimes kept
    assert list(a5 - a5.min()) == pytest.approx(list((a1 - a1.min()) / 5))
    peaks = []
    for k in ("1", "5"):
        code, out, _ = _run("replay", "openb", "--nodes", str(n), "--pods", str(p), "--timed",
                            "--speedup", k, "--json")
        assert code == 0
        doc = json.loads(out)
        assert doc["speedup"] == float(k)
        peaks.append(doc["running_peak"])
    assert peaks[1] > peaks[0]


@pytest.mark.parametrize(("args", "needle"), [
    (["--speedup", "2"], "only applies with --timed"),
    (["--timed", "--speedup", "0"], "must be positive"),
    (["--timed", "--speedup", "-3"], "must be positive"),
])
def test_bad_speedup(files: tuple[Path, Path], args: list[str], needle: str) -> None:
    n, p = files
    code, _, err = _run("replay", "openb", "--nodes", str(n), "--pods", str(p), *args)
    _one_line_error(code, err, "--speedup", needle)
