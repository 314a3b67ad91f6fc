"""The twin's typed result tree: built by the summary, the same document as JSON (key
order included), read back from a run folder, and a bad summary refused by field."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest

from aifab.errors import BadInput
from aifab.scenario import load_scenario
from aifab.sim.national import (
    Confidence,
    CurtailWindow,
    Flexibility,
    Reliability,
    RunSummary,
    SimResult,
    TenantRow,
    TwinRequest,
    WindowResponse,
    replications,
    run_twin,
    simulate,
)
from aifab.sim.national._runfolder import SUMMARY

SETS = ["sim.scale=0.01", "sim.warmup_days=0.5", "sim.days=1.5"]
#: The document's top-level keys in the order ``--json`` has always written them.
TOP = ["scenario", "policy", "seed", "days", "warmup_days", "scale", "fleet", "utilization",
       "busy_utilization", "stranded", "energy_mwh", "mean_power_mw", "peak_power_mw",
       "tokens_served", "inference", "training_runs_completed", "jobs", "tenants",
       "tenant_classes", "fairness", "events", "wall_s"]


@pytest.fixture(scope="module")
def result() -> SimResult:
    return simulate(load_scenario(None, SETS))


@pytest.fixture(scope="module")
def curtailed() -> SimResult:
    windows = (CurtailWindow(3.0, 4.0, 0.4, "Naver"), CurtailWindow(20.0, 2.0, 0.5, "Samsung"))
    return run_twin(TwinRequest(load_scenario(None, SETS), windows=windows))


def _same_json(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal documents, key order included (NaN written the same way on both sides)."""
    assert json.dumps(a) == json.dumps(b)


def test_the_tree_is_typed_and_is_the_document(result: SimResult) -> None:
    s, doc = result.summary, result.to_dict()
    assert isinstance(s, RunSummary) and isinstance(s.reliability, Reliability)
    assert all(isinstance(t, TenantRow) for t in s.tenants)
    assert list(doc) == [*TOP, "reliability"]
    assert s.jobs.completed == doc["jobs"]["completed"] > 0
    assert s.reliability.goodput == doc["reliability"]["goodput"]
    assert s.reliability.accelerator_hours.allocated == \
        doc["reliability"]["accelerator_hours"]["allocated"]
    assert s.stranded.in_repair == doc["stranded"]["in_repair"]
    assert [t.tenant for t in s.tenants] == [t["tenant"] for t in doc["tenants"]]
    assert result.utilization == s.utilization and result.gpus == s.fleet.gpus
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.jobs.completed = 0  # type: ignore[misc]
    _same_json(RunSummary.from_dict(doc).to_dict(), doc)


def test_no_failures_leaves_the_optional_keys_out() -> None:
    res = simulate(load_scenario(None, [*SETS, "reliability.enabled=false"]))
    assert res.summary.reliability is None and res.summary.stranded.in_repair is None
    doc = res.to_dict()
    assert list(doc) == TOP and list(doc["stranded"]) == ["power", "fragmentation", "idle"]
    _same_json(RunSummary.from_dict(doc).to_dict(), doc)


def test_curtailment_block_is_typed_and_round_trips(curtailed: SimResult,
                                                    tmp_path: Path) -> None:
    f = curtailed.summary.flexibility
    assert isinstance(f, Flexibility) and f.windows == 2 and len(f.by_window) == 2
    assert all(isinstance(w, WindowResponse) for w in f.by_window)
    doc = curtailed.to_dict()
    assert doc["flexibility"]["windows"] == f.windows
    assert list(doc["flexibility"]["by_window"][0]) == \
        [x.name for x in dataclasses.fields(WindowResponse)]
    curtailed.write(tmp_path)
    _same_json(SimResult.read(tmp_path).to_dict(), doc)


def test_replication_intervals_are_typed_and_round_trip(tmp_path: Path) -> None:
    res = replications(load_scenario(None, SETS), 2)
    ci = res.confidence
    assert isinstance(ci, Confidence) and ci.seeds == (0, 1)
    u = ci["utilization"]
    assert u.n == 2 and math.isfinite(u.mean) and "reliability.goodput" in ci
    doc = res.to_dict()
    assert list(doc)[-1] == "confidence" and list(doc["confidence"])[-1] == "seeds"
    assert doc["confidence"]["utilization"] == {"mean": u.mean, "ci95": u.ci95, "n": 2}
    res.write(tmp_path)
    back = SimResult.read(tmp_path)
    assert back.confidence is not None and back.confidence.seeds == (0, 1)
    _same_json(back.to_dict(), doc)


def test_run_folder_reads_back_the_same_tree(result: SimResult, tmp_path: Path) -> None:
    result.write(tmp_path)
    back = SimResult.read(tmp_path)
    _same_json(back.to_dict(), result.to_dict())
    assert back.summary.jobs == result.summary.jobs  # typed blocks without NaN compare equal
    assert back.summary.fleet == result.summary.fleet
    assert back.summary.reliability is not None and result.summary.reliability is not None
    assert back.summary.reliability.accelerator_hours == \
        result.summary.reliability.accelerator_hours


def _write_bad(result: SimResult, folder: Path, edit: Any) -> BadInput:
    result.write(folder)
    path = folder / SUMMARY
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        SimResult.read(folder)
    assert exc.value.exit_code == 2 and str(path) in str(exc.value)
    return exc.value


def test_a_mistyped_field_exits_2_naming_it(result: SimResult, tmp_path: Path) -> None:
    err = _write_bad(result, tmp_path, lambda d: d["reliability"].update(goodput="high"))
    assert "reliability.goodput: expected a number" in str(err)
    err = _write_bad(result, tmp_path, lambda d: d["tenants"][1].update(preemptions=1.5))
    assert "tenants[1].preemptions: expected an integer" in str(err)
    err = _write_bad(result, tmp_path, lambda d: d["jobs"].update(completed=True))
    assert "jobs.completed: expected an integer" in str(err)


def test_a_missing_or_unknown_field_exits_2_naming_it(result: SimResult,
                                                      tmp_path: Path) -> None:
    err = _write_bad(result, tmp_path, lambda d: d["jobs"].pop("completed"))
    assert "jobs.completed: missing" in str(err)
    err = _write_bad(result, tmp_path, lambda d: d["fleet"].update(colour="red"))
    assert "fleet.colour: unknown field" in str(err)
    err = _write_bad(result, tmp_path, lambda d: d.update(confidence={"seeds": "0"}))
    assert "confidence.seeds: expected a list" in str(err)


def test_null_numbers_read_back_as_nan(result: SimResult, tmp_path: Path) -> None:
    """Strict JSON writes NaN as null; the tree reads it back as NaN, not None."""
    result.write(tmp_path)
    path = tmp_path / SUMMARY
    doc = json.loads(path.read_text())
    doc["fairness"]["jain_public"] = None
    path.write_text(json.dumps(doc))
    assert math.isnan(SimResult.read(tmp_path).summary.fairness.jain_public)
