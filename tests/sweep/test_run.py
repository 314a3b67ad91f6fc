"""Execution on a real local Ray: same results serially and with 1 or 2 workers, failed
variants recorded, resume after a kill runs only the missing variants, output files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from aifab.cli import app
from aifab.sweep import VariantRecord, load_spec, read_journal, spec_from_dict, sweep

from .conftest import PLAN_SPEC, write_spec

runner = CliRunner()

SIM_SPEC: dict[str, Any] = {
    "name": "twin-seeds",
    "scenario": "korea-2025",
    "set": ["sim.days=0.25", "sim.warmup_days=0"],
    "stages": ["plan", "simulate"],
    "parameters": {"sim.seed": {"values": [1, 2]},
                   "sim.queue_policy": {"values": ["fifo", "fairshare"]}},
    "design": {"kind": "grid"},
    "metrics": {"util": "simulate.utilization", "tokens": "simulate.tokens_served",
                "jobs": "simulate.jobs.completed", "mw": "plan.totals.facility_power_mw"},
}


def _strip(records: tuple[VariantRecord, ...]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.to_dict().items() if k not in ("wall_s", "cpu_s")}
            for r in records]


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
def test_same_results_serially_and_with_1_and_2_workers(ray_cluster: Any) -> None:
    spec = spec_from_dict(SIM_SPEC)
    serial = sweep(spec, workers=0)
    one = sweep(spec, workers=1)
    two = sweep(spec, workers=2)
    assert serial.done == 4 and serial.failed == 0
    assert _strip(serial.records) == _strip(one.records) == _strip(two.records)
    # The seeds and policies matter, so identical results are not trivially identical.
    assert len({r.metrics["jobs"] for r in serial.records}) > 1
    assert serial.summary() == two.summary()


@pytest.mark.slow
def test_failed_variant_is_recorded_and_does_not_stop_the_sweep(ray_cluster: Any) -> None:
    doc = {**PLAN_SPEC, "parameters": {"facility.pue": {"values": [1.2, 5.0, 1.4]}},
           "design": {"kind": "grid"}}
    res = sweep(spec_from_dict(doc), workers=2)
    assert [r.status for r in res.records] == ["ok", "failed", "ok"]
    assert "facility.pue" in res.records[1].error
    assert "less than or equal to 3" in res.records[1].error
    d = res.to_dict()
    assert d["variants"] == 3 and d["done"] == 2 and d["failed"] == 1
    assert d["errors"][0]["variants"] == 1
    mw = [r.metrics.get("facility_mw") for r in res.records]
    assert d["summary"]["facility_mw"]["p5"] >= min(mw[0], mw[2])


@pytest.mark.slow
def test_killed_sweep_resumes_with_only_the_missing_variants(ray_cluster: Any,
                                                               tmp_path: Path) -> None:
    doc = {**PLAN_SPEC, "design": {"kind": "lhs", "samples": 60, "seed": 1}}
    spec_path = write_spec(tmp_path / "s.yaml", doc)
    out = tmp_path / "out"
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.Popen([sys.executable, "-m", "aifab.cli", "sweep", str(spec_path),
                             "--workers", "0", "--out", str(out), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 60 * float(os.environ.get("AIFAB_TEST_WAIT_SCALE", "1"))
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.is_file() and journal.read_text().count("\n") >= 8:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "sweep.json").exists()  # nothing final written by a killed run
    done_before = len(read_journal(out))
    assert 8 <= done_before < 60
    res = sweep(load_spec(spec_path), workers=2, state_dir=out)
    assert res.ran == 60 - done_before
    assert res.done == 60 and len(read_journal(out)) == 60
    # A rerun (same spec, same --out) runs nothing; --resume through the CLI neither.
    assert sweep(load_spec(spec_path), workers=2, state_dir=out).ran == 0
    r = runner.invoke(app, ["sweep", "--resume", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ran"] == 0 and json.loads(r.stdout)["reused"] == 60
    # Same numbers as an uninterrupted serial run.
    fresh = sweep(load_spec(spec_path), workers=0)
    assert _strip(fresh.records) == _strip(res.records)


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
def test_cli_outputs_follow_the_contract(ray_cluster: Any, tmp_path: Path) -> None:
    doc = {**PLAN_SPEC, "parameters": {
        "facility.pue": {"range": [1.1, 1.56], "base": 1.3},
        "facility.load_factor": {"range": [0.7, 1.0]},
        "facility.system_power": {"values": ["low", "mid", "high"]}},
        "design": {"kind": "oat"}}
    spec_path = write_spec(tmp_path / "oat.yaml", doc)
    out = tmp_path / "res"
    r = runner.invoke(app, ["sweep", str(spec_path), "--out", str(out), "--json",
                            "--workers", "2"])
    assert r.exit_code == 0, r.output
    doc_out = json.loads(r.stdout)
    on_disk = json.loads((out / "sweep.json").read_text())
    assert doc_out == on_disk
    assert doc_out["schema_version"] == 1
    for key in ("variants", "done", "failed", "summary", "sensitivity", "wall_s", "spec"):
        assert key in doc_out
    assert doc_out["variants"] == 7 and doc_out["done"] == 7
    assert set(doc_out["summary"]["twh"]) == {"p5", "p50", "p95"}
    sens = doc_out["sensitivity"]
    assert sens["method"] == "tornado"
    mw = sens["metrics"]["facility_mw"]
    # Facility MW scales with PUE, not with the load factor (which moves only energy).
    assert next(iter(mw)) == "facility.pue"
    assert mw["facility.load_factor"]["swing"] == pytest.approx(0.0, abs=1e-9)
    assert sens["metrics"]["twh"]["facility.load_factor"]["swing"] > 0
    frame = pd.read_parquet(out / "variants.parquet")
    assert len(frame) == 7
    assert {"param.facility.pue", "param.facility.system_power", "metric.facility_mw",
            "metric.twh", "metric.seoul_share", "status", "error", "wall_s",
            "hash"} <= set(frame.columns)
    assert frame["hash"].is_unique and (frame["status"] == "ok").all()
    html = (out / "report.html").read_text()
    assert "Ranges" in html and "Sensitivity" in html and "plotly" in html.lower()
    from aifab.report import plotly_file_name  # plotly.js: the folder's copy, beside it

    assert f'<script src="{plotly_file_name()}"></script>' in html and len(html) < 500_000
    assert "plotly.js v" in (out / plotly_file_name()).read_text()[:200]


def test_perf_stage_flags_are_parameters() -> None:
    doc = {"name": "perf", "stages": ["perf"],
           "options": {"perf": {"model": "llama-3.1-70b", "device": "b200", "devices": 8}},
           "parameters": {"perf.batch": {"values": [1, 16]}}, "design": {"kind": "grid"},
           "metrics": {"tps": "perf.result.tokens_per_s"}}
    res = sweep(spec_from_dict(doc), workers=0)
    assert res.done == 2, res.records
    a, b = (r.metrics["tps"] for r in res.records)
    assert b > a > 0


def test_fgd_spec_is_the_papers_table(shared_data: Path) -> None:
    from aifab.sweep import build_design

    spec = load_spec(Path(__file__).resolve().parents[2] / "benchmarks" / "fgd_sweep.yaml")
    design = build_design(spec)
    assert len(design.variants) == 6 * 5 * 10
    assert {v["replay.policy"] for v in design.variants} == {
        "random", "dotprod", "clustering", "packing", "bestfit", "fgd"}
    assert all(Path(v["replay.pods"]).is_file() for v in design.variants[:5])


def test_random_design_ranks_the_driving_assumption() -> None:
    doc = {**PLAN_SPEC, "design": {"kind": "random", "samples": 24, "seed": 5}}
    res = sweep(spec_from_dict(doc), workers=0)
    sens = res.sensitivity()
    assert sens["method"] == "spearman"
    rho = sens["metrics"]["facility_mw"]
    # Facility MW rises with PUE and does not depend on the load factor at all.
    assert rho["facility.pue"]["rho"] > 0.8
    assert abs(rho["facility.load_factor"]["rho"]) < 0.5
    frames = res.to_frames()
    assert set(frames) == {"variants", "summary", "sensitivity"}
    assert len(frames["variants"]) == 24 and len(frames["summary"]) == 3


def test_saltelli_sweep_reports_sobol_indices() -> None:
    doc = {**PLAN_SPEC, "parameters": {
        "facility.pue": {"range": [1.1, 1.56]},
        "facility.load_factor": {"range": [0.7, 1.0]},
        "prices.tariff_krw_per_kwh": {"range": [164, 198]}},
        "design": {"kind": "saltelli", "samples": 32, "seed": 2}}
    res = sweep(spec_from_dict(doc), workers=0)
    assert res.done == 32 * 5
    sens = res.to_dict()["sensitivity"]
    assert sens["method"] == "sobol"
    mw, twh = sens["metrics"]["facility_mw"], sens["metrics"]["twh"]
    # Facility MW = IT MW x PUE: PUE explains all of it; the tariff and load factor nothing.
    assert mw["facility.pue"]["ST"] == pytest.approx(1.0, abs=0.05)
    assert abs(mw["facility.load_factor"]["ST"]) < 0.02
    assert abs(mw["prices.tariff_krw_per_kwh"]["ST"]) < 0.02
    # Energy depends on PUE and load factor, not on the tariff.
    assert twh["facility.load_factor"]["S1"] > 0.2 and twh["facility.pue"]["S1"] > 0.2
    assert abs(twh["prices.tariff_krw_per_kwh"]["ST"]) < 0.02
