"""Job, JobSet and PyTorchJob manifests to pod sets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aifab.errors import BadInput
from aifab.sched._workload import read_job

TPL = {"metadata": {"annotations": {"kueue.x-k8s.io/podset-preferred-topology": "rack"}},
       "spec": {"nodeSelector": {"tier": "a"}, "containers": [
           {"name": "m", "resources": {"limits": {"nvidia.com/gpu": 8},
                                        "requests": {"cpu": "500m"}}},
           {"name": "side", "resources": {"requests": {"cpu": 1}}}]}}
META = {"name": "x", "namespace": "ns", "labels": {"kueue.x-k8s.io/queue-name": "lq"}}


def _write(tmp: Path, doc: dict) -> Path:
    p = tmp / "job.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def test_jobset(tmp_path: Path) -> None:
    doc = {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet", "metadata": META,
           "spec": {"replicatedJobs": [
               {"name": "workers", "replicas": 4,
                "template": {"spec": {"parallelism": 2, "template": TPL}}}]}}
    q, ns, prio, ps, _ = read_job(_write(tmp_path, doc))
    assert (q, ns, prio) == ("lq", "ns", None)
    assert ps[0].name == "workers" and ps[0].count == 8
    assert ps[0].per_pod == {"nvidia.com/gpu": 8.0, "cpu": 1.5}
    assert ps[0].preferred == "rack" and ps[0].node_selector == {"tier": "a"}


def test_pytorchjob(tmp_path: Path) -> None:
    doc = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": META,
           "spec": {"pytorchReplicaSpecs": {"Master": {"replicas": 1, "template": TPL},
                                            "Worker": {"replicas": 7, "template": TPL}}}}
    _, _, _, ps, _ = read_job(_write(tmp_path, doc))
    assert [(p.name, p.count) for p in ps] == [("master", 1), ("worker", 7)]


def test_missing_queue_label(tmp_path: Path) -> None:
    doc = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"},
           "spec": {"template": TPL}}
    with pytest.raises(BadInput, match=r"kueue\.x-k8s\.io/queue-name"):
        read_job(_write(tmp_path, doc))


def test_kai_queue_label(tmp_path: Path) -> None:
    meta = {"name": "x", "labels": {"kai.scheduler/queue": "startups"}}
    doc = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": {"template": TPL}}
    q, ns, _, ps, _ = read_job(_write(tmp_path, doc))
    assert (q, ns, ps[0].count) == ("startups", "default", 1)
