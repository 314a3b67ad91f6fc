"""``aifab simulate`` end to end on a scaled-down korea-2025."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from aifab.cli import app

SMALL = ["--set", "sim.scale=0.01", "--set", "sim.warmup_days=1"]


def _json(res):  # type: ignore[no-untyped-def]
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_simulate_json_korea_scaled():
    doc = _json(CliRunner().invoke(app, ["simulate", "--days", "2", "--json", *SMALL]))
    assert doc["schema_version"] == 1
    for key in ("utilization", "stranded", "tenants", "energy_mwh", "events", "wall_s"):
        assert key in doc
    assert set(doc["stranded"]) == {"power", "fragmentation", "idle", "in_repair", "spares"}
    assert doc["reliability"]["failures"] >= 0 and 0 <= doc["reliability"]["goodput"] <= 1
    assert 0 < doc["utilization"] <= 1
    total = doc["utilization"] + sum(doc["stranded"].values())
    assert abs(total - 1) < 0.05  # hourly samples vs exact integral
    names = {t["tenant"] for t in doc["tenants"]}
    assert {"Naver", "universities", "startups", "institutes"} <= names
    for t in doc["tenants"]:
        assert {"wait_p50_h", "wait_p95_h", "wait_p99_h", "share_of_entitlement"} <= set(t)
    assert doc["tokens_served"] > 0 and doc["energy_mwh"] > 0


def test_out_writes_parquet_html_and_a_complete_run_drops_its_checkpoint(tmp_path):
    out = tmp_path / "run"
    args = ["simulate", "--days", "1", "--json", "--out", str(out), *SMALL,
            "--set", "sim.checkpoint_every_h=12"]
    _json(CliRunner().invoke(app, args))
    for name in ("timeseries", "tenants", "jobs", "services", "pools"):
        assert not pd.read_parquet(out / f"{name}.parquet").empty or name == "jobs"
    assert "National simulation" in (out / "report.html").read_text()
    assert json.loads((out / "summary.json").read_text())["schema_version"] == 1
    assert not (out / "checkpoint").exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp dirs
    res = CliRunner().invoke(app, ["simulate", "--json", "--resume", str(out)])
    assert res.exit_code == 2 and "run is complete" in res.stderr


def test_bad_input_exits_2(tmp_path):
    r = CliRunner()
    res = r.invoke(app, ["simulate", "--policy", "nope", "--days", "1", *SMALL])
    assert res.exit_code == 2 and "queue policy" in res.output
    res = r.invoke(app, ["simulate", "--set", "sim.scale=5"])
    assert res.exit_code == 2 and "sim.scale" in res.output
    res = r.invoke(app, ["simulate", "--set", "sim.power_cap_mw.Nobody=5", *SMALL])
    assert res.exit_code == 2 and "Nobody" in res.output
    res = r.invoke(app, ["simulate", "--resume", str(tmp_path)])
    assert res.exit_code == 2 and "checkpoint" in res.output
    res = r.invoke(app, ["simulate", "--days", "-1"])
    assert res.exit_code == 2


def test_replications_report_confidence_intervals():
    doc = _json(CliRunner().invoke(app, ["simulate", "--days", "1", "--json",
                                         "--replications", "3", *SMALL]))
    ci = doc["confidence"]
    assert ci["seeds"] == [0, 1, 2]
    assert ci["utilization"]["n"] == 3 and ci["utilization"]["ci95"] >= 0
    assert "tenants.universities.wait_p95_h" in ci


def test_simulate_json_counts_hardware_failures_by_cause_apart_from_preemptions():
    """``simulate --json`` (30x the failure rates, so 2 days at 1 % see some tens): every
    effective failure by cause, the hardware ones apart, and the gangs they stopped as
    interruptions by cause; none of those is a preemption (the preemption counts are the
    queue policy's own, by cause, and add up)."""
    from aifab.reliability import CLASSES, failure_model

    doc = _json(CliRunner().invoke(app, [
        "simulate", "--days", "2", "--json", *SMALL, "--set", "reliability.failure_scale=30"]))
    rel, jobs = doc["reliability"], doc["jobs"]
    by = rel["failures_by_cause"]
    assert set(by) == set(CLASSES) and sum(by.values()) == rel["failures"] > 20
    hw = failure_model().hardware
    assert rel["hardware_failures"] == sum(n for c, n in by.items() if c in hw) > 0
    assert by["software"] == rel["failures"] - rel["hardware_failures"]
    assert rel["interruptions"] > 0
    assert rel["interruptions"] == round(sum(rel["by_cause"].values()) * rel["days"])
    assert "failure" not in jobs["preemptions_by_cause"]
    assert jobs["preemptions"] == sum(jobs["preemptions_by_cause"].values())
    assert jobs["preemptions"] == sum(t["preemptions"] for t in doc["tenants"])
