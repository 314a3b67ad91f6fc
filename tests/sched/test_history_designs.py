"""A cluster's own history replayed under other quota designs, end to end from the CLI
(`aifab compare-queues DESIGN... --jobs sacct.csv`), with QOS as priority (rule C4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from _cfg import API, cq, flavor
from typer.testing import CliRunner

from aifab.cli import app
from aifab.sched import read_sacct, read_workloads

runner = CliRunner()

#: Account a: a low-QOS job fills the queue's 8 GPUs for 2 h; a high-QOS one arrives at
#: 00:30 for 1 h. Account b: one 4-GPU hour (its step line is skipped).
SACCT = """JobID|Account|User|QOS|Submit|Start|End|Elapsed|AllocTRES|State
1|a|u1|low|2025-01-01T00:00:00|2025-01-01T00:00:00|2025-01-01T02:00:00|02:00:00|gres/gpu=8|COMPLETED
2|a|u1|high|2025-01-01T00:30:00|2025-01-01T02:00:00|2025-01-01T03:00:00|01:00:00|gres/gpu=8|COMPLETED
3|b|u2|low|2025-01-01T00:10:00|2025-01-01T00:10:00|2025-01-01T01:10:00|01:00:00|gres/gpu=4|COMPLETED
3.batch|b|u2|low|2025-01-01T00:10:00|2025-01-01T00:10:00|2025-01-01T01:10:00|01:00:00|gres/gpu=4|COMPLETED
"""


def _prio(name: str, value: int) -> dict:
    return {"apiVersion": API, "kind": "WorkloadPriorityClass", "metadata": {"name": name},
            "value": value}


def _design(d: Path, classes: bool, b_gpus: int = 8) -> Path:
    """Queues a (8 GPUs) and b (``b_gpus``), no cohort; a preempts lower priorities."""
    d.mkdir()
    docs = [flavor("default"),
            cq("a", gpu=8, preemption={"withinClusterQueue": "LowerPriority"}),
            cq("b", gpu=b_gpus)]
    if classes:
        docs += [_prio("low", 0), _prio("high", 10)]
    (d / "q.yaml").write_text(yaml.safe_dump_all(docs))
    return d


def test_sacct_qos_is_the_priority_class(tmp_path: Path) -> None:
    p = tmp_path / "sacct.txt"
    p.write_text(SACCT)
    h = read_sacct(p)
    assert [(j.name, j.priority_class, j.submit_s, j.run_s) for j in h.jobs] == [
        ("1", "low", 0.0, 7200.0), ("3", "low", 600.0, 3600.0),
        ("2", "high", 1800.0, 3600.0)]


def test_history_replayed_under_two_designs_from_the_cli(tmp_path: Path) -> None:
    """With the QOS classes (design A) the high job preempts the low one at 00:30 and is
    admitted when the low one's pods are gone, 30 s later (C5; C2: the low job starts over
    at the requeue a second after the high one ends, A2b); without them (B) the high job
    waits for the low one to end at 02:00 and for the requeue: 1.5 h 1 s."""
    p = tmp_path / "sacct.txt"
    p.write_text(SACCT)
    a = _design(tmp_path / "A", classes=True)
    b = _design(tmp_path / "B", classes=False, b_gpus=4)
    r = runner.invoke(app, ["compare-queues", str(a), str(b), "--jobs", str(p), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    da, db = doc["designs"][str(a)], doc["designs"][str(b)]
    assert da["jobs"] == db["jobs"] == 3 and da["skipped"] == 0
    assert da["tenants"]["a"]["preemptions"] == 1 and db["tenants"]["a"]["preemptions"] == 0
    assert da["tenants"]["a"]["wait_mean_h"] == pytest.approx(15.0 / 3600.0)  # (0 + 30 s) / 2
    # (0 + 1.5 h 1 s) / 2
    assert db["tenants"]["a"]["wait_mean_h"] == pytest.approx(0.75 + 0.5 / 3600.0)
    # A: the low job ran 0.5 h before it was preempted, then 2 h again; the high one 1 h.
    assert da["tenants"]["a"]["gpu_h"] == pytest.approx(8 * (0.5 + 2 + 1))
    assert db["tenants"]["a"]["gpu_h"] == pytest.approx(8 * (2 + 1))
    assert da["priority_classes_not_in_design"] == []
    assert db["priority_classes_not_in_design"] == ["high", "low"]
    # utilisation = GPU-hours / (GPUs under quota x span): B holds 12 GPUs, A 16.
    assert db["utilization"] == pytest.approx((24 + 4) / (12 * db["span_h"]))
    r = runner.invoke(app, ["compare-queues", str(a), str(b), "--jobs", str(p)])
    assert r.exit_code == 0 and "utilisation" in r.stdout
    r = runner.invoke(app, ["compare-queues", str(a), "--jobs", str(p), "--grace", "0",
                            "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["designs"][str(a)]["tenants"]["a"]["wait_mean_h"] == 0.0
    r = runner.invoke(app, ["compare-queues", str(a), "--jobs", str(p), "--grace", "-1"])
    assert r.exit_code == 2 and "--grace" in r.output


def test_workload_export_priority_class(tmp_path: Path) -> None:
    wl = {"metadata": {"name": "w", "namespace": "t",
                       "creationTimestamp": "2025-01-01T00:00:00Z"},
          "spec": {"queueName": "lq", "priority": 3, "priorityClassName": "high",
                   "podSets": [{"name": "m", "count": 2, "template": {"spec": {"containers": [
                       {"name": "c", "resources": {"requests": {"nvidia.com/gpu": 1}}}]}}}]},
          "status": {"admission": {"clusterQueue": "a"}, "conditions": [
              {"type": "Admitted", "status": "True",
               "lastTransitionTime": "2025-01-01T00:01:00Z"},
              {"type": "Finished", "status": "True",
               "lastTransitionTime": "2025-01-01T01:01:00Z"}]}}
    p = tmp_path / "wl.json"
    p.write_text(json.dumps({"items": [wl]}))
    (j,) = read_workloads(p).jobs
    assert (j.tenant, j.gpus, j.run_s, j.priority, j.priority_class) == (
        "a", 2.0, 3600.0, 3, "high")
