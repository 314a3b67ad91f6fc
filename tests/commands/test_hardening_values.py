"""Issue 24's values: devices >= 1, a minimum simulated horizon, control characters in
trace names, a sweep whose every variant fails, and a sweep's JSON identical run to run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from typer.testing import CliRunner

from aifab.cli import app

runner = CliRunner()
SPEC: dict[str, Any] = {
    "name": "s", "scenario": "korea-2025", "stages": ["plan"],
    "parameters": {"facility.pue": {"range": [1.1, 1.5]},
                   "facility.load_factor": {"range": [0.6, 1.0]}},
    "design": {"kind": "saltelli", "samples": 8, "seed": 3},
    "metrics": {"twh": "plan.totals.annual_energy_twh"},
}


def _bad(args: list[str], *needles: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, (args, r.stdout[:300], r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aifab: error: "), r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])


@pytest.mark.parametrize("sub", [
    ["infer", "--model", "llama-3.1-8b", "--device", "b200"],
    ["train", "--model", "llama-3.1-8b", "--device", "b200", "--tokens", "1e9"]])
@pytest.mark.parametrize("n", ["0", "-3"])
def test_devices_at_least_one(sub: list[str], n: str) -> None:
    _bad(["perf", *sub, "--devices", n], "--devices", ">= 1")


@pytest.mark.parametrize("days", ["1e-320", "0.0001", "5e-324"])
def test_simulated_horizon_has_a_minimum(days: str) -> None:
    _bad(["simulate", "--days", days], "sim.days", "0.001")


def test_control_character_in_a_pod_name(tmp_path: Path) -> None:
    nodes, pods = tmp_path / "n.csv", tmp_path / "p.csv"
    nodes.write_text("sn,cpu_milli,memory_mib,gpu,model\nn0,96000,393216,8,G2\n")
    pods.write_bytes(b"name,cpu_milli,memory_mib,num_gpu,gpu_milli\np\x000,1000,100,1,1000\n")
    _bad(["replay", "openb", "--nodes", str(nodes), "--pods", str(pods)], "p.csv",
         "line 2", "control character")


def test_nul_byte_in_a_scenario(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_bytes(b"name: a\nowners:\n  - {name: \"X\x00\"}\n")
    _bad(["plan", str(f)], "s.yaml:3", "NUL")


def test_sweep_with_every_variant_failed_exits_2(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "design": {"kind": "lhs", "samples": 5,
                                                       "seed": 1}}))

    def fail(task: Any) -> dict[str, Any]:
        return {"id": task.id, "hash": task.hash, "params": task.params, "status": "failed",
                "error": "boom", "metrics": {}}

    with mock.patch("aifab.sweep._exec.run_variant", fail):
        r = runner.invoke(app, ["sweep", str(spec), "--workers", "0", "--json"])
    assert r.exit_code == 2, r.stderr
    assert "all 5 variants failed (first error: boom)" in r.stderr
    assert json.loads(r.stdout)["failed"] == 5  # the results are still reported


def test_sweep_json_identical_run_to_run(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    docs = []
    for _ in range(2):
        r = runner.invoke(app, ["sweep", str(spec), "--workers", "0", "--json"])
        assert r.exit_code == 0, r.stderr
        doc = json.loads(r.stdout)
        for key in ("wall_s", "variant_wall_s", "variant_cpu_s"):
            doc.pop(key)
        docs.append(doc)
    sens = docs[0]["sensitivity"]
    assert sens["method"] == "sobol"
    conf = [v["S1_conf"] for m in sens["metrics"].values() for v in m.values()]
    assert conf and all(c == c for c in conf)  # bootstrap half-widths present (not NaN)
    assert docs[0] == docs[1]
