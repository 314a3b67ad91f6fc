"""Issue 24's input and output classes: inputs that are not ordinary files, size caps, YAML
alias bombs and duplicate keys, deep nesting, run folders (symlinked --out, another
command's folder, a second writer, a killed run's leftovers) and a full disk. Each bad case
exits 2 with one located line and no traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab._outdir import LOCK, MARKER, claim
from aifab.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
KOREA = (REPO / "src/aifab/scenario/data/korea-2025.yaml").read_text()
PI = ["perf", "infer", "--model", "llama-3.1-8b", "--device", "h100-sxm"]


def _bad(args: list[str], *needles: str) -> str:
    r = runner.invoke(app, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 2, (args, r.stdout[:300], r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aifab: error: "), r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _bomb(levels: int = 9) -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, levels + 1):
        prev, cur = chr(96 + i), chr(97 + i)
        text += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text


# ---------------------------------------------------------------- inputs ----------------

@pytest.mark.parametrize("flag", ["scenario", "--catalog", "sweep", "--pods", "--power-caps"])
def test_fifo_input_refused_without_blocking(tmp_path: Path, flag: str) -> None:
    fifo = tmp_path / ("in.yaml" if flag != "--pods" else "in.csv")
    os.mkfifo(fifo)
    (tmp_path / "nodes.csv").write_text("sn,cpu_milli,memory_mib,gpu,model\n"
                                        "n0,96000,393216,8,G2\n")
    args = {"scenario": ["plan", str(fifo)], "--catalog": ["plan", "--catalog", str(fifo)],
            "sweep": ["sweep", str(fifo), "--workers", "0"],
            "--pods": ["replay", "openb", "--nodes", str(tmp_path / "nodes.csv"), "--pods",
                       str(fifo)],
            "--power-caps": ["simulate", "--power-caps", str(fifo), "--days", "0.1"]}[flag]
    if flag == "--catalog":
        fifo.rename(tmp_path / "in.csv")
        args[-1] = str(tmp_path / "in.csv")
    _bad(args, "FIFO")


def test_device_input_refused() -> None:
    _bad(["plan", "/dev/zero"], "/dev/zero", "device")


def test_size_cap_and_flag_to_raise_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(KOREA + "#" + "x" * (17 * 1024 * 1024) + "\n")
    _bad(["plan", str(big)], "big.yaml", "larger than 16 MiB", "--max-input-mb")
    r = runner.invoke(app, ["--max-input-mb", "64", "plan", str(big), "--json"])
    assert r.exit_code == 0, r.stderr
    _bad(["--max-input-mb", "nan", "plan"], "--max-input-mb")


def test_alias_bomb_refused_quickly(tmp_path: Path) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(_bomb())
    t0 = time.perf_counter()
    _bad(["plan", str(f)], "bomb.yaml", "expands to more than")
    assert time.perf_counter() - t0 < 20  # generous: was a hang (10^9 expanded values)
    f.write_text("a: &a [*a]\n")
    _bad(["plan", str(f)], "recursive")
    sweep = tmp_path / "spec.yaml"
    sweep.write_text(_bomb())
    _bad(["sweep", str(sweep), "--workers", "0"], "expands to more than")


def test_duplicate_keys_refused_with_line(tmp_path: Path) -> None:
    f = tmp_path / "dup.yaml"
    f.write_text("name: a\nowners: []\nfleets:\n  - {owner: X, count: 2048, count: 7}\n")
    _bad(["plan", str(f)], "dup.yaml:4", "duplicate key 'count'", "line 4")
    f.write_text("name: a\nname: b\n")
    _bad(["plan", str(f)], "dup.yaml:2", "duplicate key 'name'", "first given on line 1")
    c = tmp_path / "cat.yaml"
    c.write_text("accelerators: []\naccelerators: []\n")
    _bad(["plan", "--catalog", str(c)], "cat.yaml:2", "duplicate key")
    _bad(["plan", "--set", "facility={pue: 1.2, pue: 1.3}"], "duplicate key 'pue'")


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    from aifab._yaml import parse_yaml

    assert parse_yaml("x: &x {a: 1, b: 2}\ny:\n  <<: *x\n  a: 3\n", "t") == \
        {"x": {"a": 1, "b": 2}, "y": {"a": 3, "b": 2}}


def test_deep_nesting_refused(tmp_path: Path) -> None:
    toml = tmp_path / "deep.toml"
    toml.write_text("name = " + "[" * 5000 + "]" * 5000 + "\n")
    _bad(["plan", str(toml)], "deep.toml", "nested more than")
    toml.write_text(".".join(["a"] * 5000) + " = 1\n")
    _bad(["plan", str(toml)], "deep.toml:1", "nested more than")
    yml = tmp_path / "deep.yaml"
    yml.write_text("a: " + "[" * 200 + "]" * 200 + "\n")
    _bad(["plan", str(yml)], "deep.yaml", "nested")
    _bad(["plan", "--set", ".".join(["a"] * 5000) + "=1"], "--set", "5000 parts")
    _bad(["plan", "--set", "a=" + "[" * 100 + "]" * 100], "nested more than")


def test_deep_json_input_is_bad_input(tmp_path: Path) -> None:
    f = tmp_path / "site.json"
    f.write_text("[" * 100_000 + "]" * 100_000)
    _bad(["simulate", "--power-caps", str(f), "--days", "0.01"], "nested too deeply")
    spec = tmp_path / "spec.json"
    spec.write_text("[" * 100_000 + "]" * 100_000)
    _bad(["sweep", str(spec), "--workers", "0"], "spec.json", "nested")


def test_error_line_of_a_large_file_is_fast(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_text(KOREA + "bogus_key: 1\n" + "#" * (15 * 1024 * 1024) + "\n")
    t0 = time.perf_counter()
    line = _bad(["plan", str(f)], "bogus_key", "unknown field")
    assert f"big.yaml:{KOREA.count(chr(10)) + 1}" in line
    assert time.perf_counter() - t0 < 30  # generous: was > 120 s at 50 MB (second parse)


# ---------------------------------------------------------------- run folders -----------

def test_out_symlink_refused(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "L").symlink_to(target)
    _bad(["plan", "--out", str(tmp_path / "L")], "symbolic link")
    assert list(target.iterdir()) == []


def test_other_commands_run_folder_refused_unless_force(tmp_path: Path) -> None:
    out = tmp_path / "D"
    assert runner.invoke(app, ["plan", "--out", str(out), "--json"]).exit_code == 0
    before = (out / "report.html").read_bytes()
    _bad(["scenarios", "--out", str(out)], "holds a run of `aifab plan`", "--force")
    _bad([*PI, "--out", str(out)], "holds a run of `aifab plan`")
    assert (out / "report.html").read_bytes() == before
    r = runner.invoke(app, ["plan", "--out", str(out), "--json"])  # same command: fine
    assert r.exit_code == 0, r.stderr
    r = runner.invoke(app, ["scenarios", "--out", str(out), "--force", "--json"])
    assert r.exit_code == 0, r.stderr
    assert '"command": "scenarios"' in (out / MARKER).read_text()
    assert not (out / LOCK).exists()


def test_folder_of_an_unmarked_run_refused(tmp_path: Path) -> None:
    out = tmp_path / "old"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    (out / "report.html").write_text("<p>an older simulate run</p>")
    _bad(["plan", "--out", str(out)], "another run's files", "--force")
    assert (out / "report.html").read_text() == "<p>an older simulate run</p>"


def test_second_writer_refused(tmp_path: Path) -> None:
    out = tmp_path / "D"
    with claim(out, "simulate"):
        _bad(["plan", "--out", str(out)], "another aifab run", "is writing into this folder")
        _bad(["simulate", "--out", str(out), "--days", "0.1"], "another aifab run")
    assert {p.name for p in out.iterdir()} == {MARKER}  # the lock is gone with its holder


def test_killed_runs_temporary_folder_removed(tmp_path: Path) -> None:
    left = tmp_path / ".D.aifab-abcd1234"
    left.mkdir()
    (left / "plan.json").write_text('{"half": ')
    other = tmp_path / ".E.aifab-abcd1234"  # another folder's: kept
    other.mkdir()
    r = runner.invoke(app, ["plan", "--out", str(tmp_path / "D"), "--json"])
    assert r.exit_code == 0, r.stderr
    assert not left.exists() and other.exists()


def test_lock_of_a_killed_run_does_not_block(tmp_path: Path) -> None:
    out = tmp_path / "D"
    out.mkdir()
    (out / LOCK).write_text("99999\n")  # left by a run killed with SIGKILL: no flock held
    r = runner.invoke(app, ["plan", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.stderr
    assert not (out / LOCK).exists() and (out / "plan.json").is_file()
    empty = tmp_path / "E"  # a plan killed before writing: marker and lock only
    empty.mkdir()
    (empty / MARKER).write_text('{"command": "plan"}')
    (empty / LOCK).write_text("99999\n")
    r = runner.invoke(app, ["scenarios", "--out", str(empty), "--json"])
    assert r.exit_code == 0, r.stderr  # nothing of plan's to protect


def test_failed_run_leaves_no_folder(tmp_path: Path) -> None:
    _bad(["plan", "--set", "facility.pue=0", "--out", str(tmp_path / "F")], "facility.pue")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- disk full -------------

def _cli(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "aifab.cli", *args], text=True,
                          capture_output="stdout" not in kw, env=env, timeout=300,
                          **kw)  # type: ignore[call-overload,no-any-return]


@pytest.mark.slow  # a subprocess
def test_file_size_limit_is_disk_full(tmp_path: Path) -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    r = _cli(["plan", "--out", str(tmp_path / "D")], preexec_fn=limit)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [f"aifab: error: {tmp_path / 'D'}: disk full "
                                             "writing the results"]
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no temporary folder


@pytest.mark.slow  # a subprocess
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_json_to_full_device(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        r = _cli(["plan", "--json"], stdout=full, stderr=subprocess.PIPE)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["aifab: error: disk full writing standard output"]
