"""The failure-rate override: ``reliability.failure_scale`` in the scenario and
``perf train --failure-scale`` multiply every class rate; bad values exit 2 naming them."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from aifab.cli import app
from aifab.reliability import PoolSpec, failure_events, failure_model
from aifab.scenario import ReliabilitySettings

ARGS = ["perf", "train", "--model", "llama-3.1-405b", "--tokens", "15.6e12",
        "--device", "h100-sxm", "--devices", "16384", "--json"]


def test_scale_multiplies_every_class_rate_after_the_overrides() -> None:
    base = failure_model(ReliabilitySettings(rates_per_accelerator_day={"nic": 0.01}))
    two = failure_model(ReliabilitySettings(rates_per_accelerator_day={"nic": 0.01},
                                            failure_scale=2.0))
    assert two.class_rates("blackwell") == {
        c: 2.0 * r for c, r in base.class_rates("blackwell").items()}
    assert failure_model(ReliabilitySettings(failure_scale=0.0)).total_rate() == 0.0
    assert failure_model().rates == failure_model(ReliabilitySettings(failure_scale=1.0)).rates


def test_scale_two_doubles_the_drawn_failures() -> None:
    """Failure counts are Poisson: over 20,000 H100 for 30 days the expectation is about
    284 at scale 1 and 568 at scale 2. Each drawn count must lie within 4 standard
    deviations of its expectation (false alarm about 6e-5 each), and their ratio within
    4 standard deviations of 2 (sd of the ratio ~ 2 sqrt(1/284 + 1/568) = 0.145)."""
    lay = failure_model().layouts["server"]
    pool = PoolSpec("p", 20_000, lay, "hopper")
    horizon = 30 * 86400.0
    counts, expected = [], []
    for scale in (1.0, 2.0):
        fm = failure_model(ReliabilitySettings(failure_scale=scale))
        rng = np.random.default_rng(11)
        counts.append(sum(1 for _ in failure_events([pool], horizon, rng, fm)))
        expected.append(fm.total_rate("hopper") * 20_000 * 30)
    assert expected[1] == pytest.approx(2 * expected[0])
    for n, lam in zip(counts, expected, strict=True):
        assert abs(n - lam) < 4 * math.sqrt(lam), (n, lam)
    sd = 2 * math.sqrt(1 / expected[0] + 1 / expected[1])
    assert abs(counts[1] / counts[0] - 2) < 4 * sd, counts


def test_perf_train_failure_scale() -> None:
    one = json.loads(CliRunner().invoke(app, ARGS).output)["reliability"]
    r = CliRunner().invoke(app, [*ARGS, "--failure-scale", "2"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    two = doc["reliability"]
    assert doc["inputs"]["failure_scale"] == 2
    assert two["rate_per_accelerator_day"] == pytest.approx(2 * one["rate_per_accelerator_day"])
    assert two["mtti_h"] == pytest.approx(one["mtti_h"] / 2)
    assert two["ettr"] < one["ettr"]
    # more than twice the interruptions: the run also takes longer
    assert two["interruptions"] > 2 * one["interruptions"]


@pytest.mark.parametrize("value", ["-1", "1001"])
def test_bad_failure_scale_exits_2_naming_the_flag(value: str) -> None:
    r = CliRunner().invoke(app, [*ARGS, f"--failure-scale={value}"])
    assert r.exit_code == 2 and "--failure-scale" in r.output
    assert "Traceback" not in r.output


def test_bad_scenario_failure_scale_exits_2_naming_the_field() -> None:
    r = CliRunner().invoke(app, ["plan", "--set", "reliability.failure_scale=-1"])
    assert r.exit_code == 2 and "reliability.failure_scale" in r.output
    assert "Traceback" not in r.output
