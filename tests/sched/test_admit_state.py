"""`aifab admit --state WORKLOADS.json`: the cluster now from a Kueue Workload export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from _cfg import cq, flavor

from aifab.errors import BadInput
from aifab.sched import read_dir
from aifab.sched._admit import admit

LQ = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "LocalQueue",
      "metadata": {"name": "lq", "namespace": "team"}, "spec": {"clusterQueue": "a"}}
JOB = {"apiVersion": "batch/v1", "kind": "Job",
       "metadata": {"name": "new", "namespace": "team",
                    "labels": {"kueue.x-k8s.io/queue-name": "lq"}},
       "spec": {"parallelism": 2, "template": {"spec": {"containers": [
           {"name": "m", "resources": {"limits": {"nvidia.com/gpu": 1}}}]}}}}


def _wl(name: str, gpus: int, admitted: bool, finished: bool = False) -> dict:
    conds = []
    if admitted:
        conds.append({"type": "Admitted", "status": "True",
                      "lastTransitionTime": "2025-01-01T00:01:00Z"})
    if finished:
        conds.append({"type": "Finished", "status": "True",
                      "lastTransitionTime": "2025-01-01T00:02:00Z"})
    st: dict = {"conditions": conds}
    if admitted:
        st["admission"] = {"clusterQueue": "a"}
    return {"metadata": {"name": name, "namespace": "team",
                         "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"queueName": "lq", "priority": 0, "podSets": [
                {"name": "main", "count": gpus, "template": {"spec": {"containers": [
                    {"name": "m", "resources": {"requests": {"nvidia.com/gpu": 1}}}]}}}]},
            "status": st}


def _setup(tmp: Path, strategy: str) -> tuple[Path, Path, Path]:
    d = tmp / "m"
    d.mkdir()
    docs = [flavor("default"), cq("a", gpu=8, queueingStrategy=strategy), LQ]
    (d / "q.yaml").write_text(yaml.safe_dump_all(docs))
    state = tmp / "wl.json"
    state.write_text(json.dumps({"items": [_wl("run", 6, True), _wl("done", 8, True, True),
                                           _wl("wait", 4, False)]}))
    job = tmp / "job.yaml"
    job.write_text(yaml.safe_dump(JOB))
    return d, state, job


@pytest.mark.parametrize("strategy,admitted", [("BestEffortFIFO", True), ("StrictFIFO", False)])
def test_state_from_workload_export(tmp_path: Path, strategy: str, admitted: bool) -> None:
    """8 GPUs; 'run' holds 6, 'done' is finished (ignored), 'wait' (4) pends. The new job
    of 2 fits the 2 free GPUs: BestEffortFIFO admits it past 'wait'; StrictFIFO keeps it
    behind 'wait'."""
    d, state, job = _setup(tmp_path, strategy)
    doc = admit(read_dir(d), job, state)
    assert doc["state"]["running"] == 1 and doc["state"]["queued"] == 1
    assert doc["admitted"] is admitted
    if not admitted:
        assert doc["reasons"][0]["kind"] == "fifo"


def test_state_names_an_unknown_cluster_queue(tmp_path: Path) -> None:
    d, state, job = _setup(tmp_path, "BestEffortFIFO")
    items = json.loads(state.read_text())["items"]
    items[0]["status"]["admission"]["clusterQueue"] = "gone"
    state.write_text(json.dumps({"items": items}))
    with pytest.raises(BadInput, match=r"Workload/team/run: status\.admission\.clusterQueue"):
        admit(read_dir(d), job, state)


def test_a_job_that_preempts_is_admitted_once_its_victims_stop(tmp_path: Path) -> None:
    """withinClusterQueue LowerPriority: 'run' (priority 0) holds all 8 GPUs; the new job
    (2 GPUs, WorkloadPriorityClass high = 10) preempts it and, as Kueue holds a victim's
    quota until its pods are gone (A5d), is admitted once 'run' has stopped."""
    from aifab.sched._admit import one_line

    d = tmp_path / "m"
    d.mkdir()
    high = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "WorkloadPriorityClass",
            "metadata": {"name": "high"}, "value": 10}
    docs = [flavor("default"), high, LQ,
            cq("a", gpu=8, preemption={"withinClusterQueue": "LowerPriority"})]
    (d / "q.yaml").write_text(yaml.safe_dump_all(docs))
    state = tmp_path / "wl.json"
    state.write_text(json.dumps({"items": [_wl("run", 8, True)]}))
    job = {**JOB, "metadata": {**JOB["metadata"], "labels": {
        **JOB["metadata"]["labels"], "kueue.x-k8s.io/priority-class": "high"}}}
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    doc = admit(read_dir(d), path, state)
    assert doc["admitted"] and doc["priority"] == 10 and len(doc["preempts"]) == 1
    line = one_line(doc)
    assert line == (f"new -> a: admitted on default once the workloads it preempts now have "
                    f"stopped ({doc['preempts'][0]})")
