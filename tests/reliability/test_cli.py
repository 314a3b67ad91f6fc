"""CLI: perf train reports failures; plan shows people; bad reliability input exits 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aifab.cli import app

ARGS = ["perf", "train", "--model", "llama-3.1-405b", "--tokens", "15.6e12",
        "--device", "h100-sxm", "--devices", "16384"]


def test_perf_train_reliability_json() -> None:
    r = CliRunner().invoke(app, [*ARGS, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    rel = doc["reliability"]
    assert doc["schema_version"] == 1
    assert 0.85 < rel["ettr"] < 1
    assert rel["checkpoint_interval_h"] > 0 and rel["interruptions"] > 100
    # interruptions over the wall-clock run at the Llama 3 rate per GPU-day
    assert rel["interruptions"] == pytest.approx(
        rel["rate_per_accelerator_day"] * 16384 * rel["wall_days"])
    fixed = json.loads(CliRunner().invoke(app, [*ARGS, "--json", "--checkpoint-interval-h",
                                                "3", "--restart-s", "600"]).output)
    assert fixed["reliability"]["checkpoint_interval_h"] == 3
    assert fixed["reliability"]["ettr"] < rel["ettr"]


def test_perf_train_bad_flags() -> None:
    for flag, v in (("--checkpoint-write-s", "0"), ("--restart-s", "-1"),
                    ("--checkpoint-interval-h", "-2")):
        r = CliRunner().invoke(app, [*ARGS, flag, v])
        assert r.exit_code == 2
        assert flag in r.output and "Traceback" not in r.output


def test_plan_people_and_bad_reliability_set() -> None:
    r = CliRunner().invoke(app, ["plan"])
    assert r.exit_code == 0 and "People per owner" in r.output
    bad = CliRunner().invoke(app, ["plan", "--set", "reliability.spares_share=2"])
    assert bad.exit_code == 2 and "reliability.spares_share" in bad.output
    bad = CliRunner().invoke(app, ["plan", "--set",
                                   "reliability.rates_per_accelerator_day.cpu=1"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
