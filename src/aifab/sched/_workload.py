"""Workloads: pod sets with per-pod requests; read from Job, JobSet and PyTorchJob manifests.

A Job is one pod set of ``parallelism`` pods; a JobSet one pod set per replicated job
(replicas x parallelism pods); a PyTorchJob one per replica type. Requests are the
containers' requests, limits where no request is given (Kubernetes defaults requests to
limits). Queue and priority come from the ``kueue.x-k8s.io/queue-name`` (or KAI's
``kai.scheduler/queue``) and
``kueue.x-k8s.io/priority-class`` labels; topology from the pod template's
``kueue.x-k8s.io/podset-required-topology`` / ``-preferred-topology`` annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aifab.errors import BadInput
from aifab.sched._fields import Ctx

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
PRIORITY_LABEL = "kueue.x-k8s.io/priority-class"
KAI_QUEUE_LABEL = "kai.scheduler/queue"
REQUIRED = "kueue.x-k8s.io/podset-required-topology"
PREFERRED = "kueue.x-k8s.io/podset-preferred-topology"


@dataclass(frozen=True)
class PodSet:
    name: str
    count: int
    per_pod: dict[str, float]
    node_selector: dict[str, str] = field(default_factory=dict)
    required: str | None = None
    preferred: str | None = None


@dataclass
class Workload:
    name: str
    queue: str  # ClusterQueue
    pod_sets: tuple[PodSet, ...]
    priority: int = 0
    created: float = 0.0
    local_queue: str = ""

    def total(self, resource: str) -> float:
        return sum(ps.count * ps.per_pod.get(resource, 0.0) for ps in self.pod_sets)


def gang(name: str, queue: str, gpus_per_pod: float, pods: int = 1, *, priority: int = 0,
         created: float = 0.0, resource: str = "nvidia.com/gpu", **ps: Any) -> Workload:
    """A one-pod-set workload (tests, the twin's jobs)."""
    return Workload(name, queue, (PodSet("main", pods, {resource: gpus_per_pod}, **ps),),
                    priority, created)


def _pod_set(ctx: Ctx, name: str, count: int, template: Any, where: str) -> PodSet:
    tpl = ctx.mapping(template, where)
    meta = ctx.mapping(tpl.get("metadata"), f"{where}.metadata")
    ann = {str(k): str(v) for k, v in ctx.mapping(meta.get("annotations"),
                                                   f"{where}.metadata.annotations").items()}
    spec = ctx.mapping(tpl.get("spec"), f"{where}.spec")
    per: dict[str, float] = {}
    for i, c in enumerate(ctx.seq(spec.get("containers"), f"{where}.spec.containers")):
        cw = f"{where}.spec.containers[{i}].resources"
        res = ctx.mapping(ctx.mapping(c, cw).get("resources"), cw)
        req = dict(ctx.mapping(res.get("limits"), f"{cw}.limits"))
        req.update(ctx.mapping(res.get("requests"), f"{cw}.requests"))
        for r, v in req.items():
            per[str(r)] = per.get(str(r), 0.0) + ctx.quantity(v, f"{cw}.requests.{r}")
    sel = {str(k): str(v) for k, v in ctx.mapping(spec.get("nodeSelector"),
                                                   f"{where}.spec.nodeSelector").items()}
    if count < 0:
        raise ctx.error(where, "pod count must not be negative")
    return PodSet(name, count, per, sel, ann.get(REQUIRED), ann.get(PREFERRED))


def _count(ctx: Ctx, v: Any, where: str, default: int = 1) -> int:
    return default if v is None else ctx.integer(v, where)


def pod_sets_of(ctx: Ctx, kind: str, spec: Mapping[str, Any]) -> tuple[PodSet, ...]:
    if kind == "Job":
        return (_pod_set(ctx, "main", _count(ctx, spec.get("parallelism"), "spec.parallelism"),
                         spec.get("template"), "spec.template"),)
    if kind == "JobSet":
        out = []
        for i, rj in enumerate(ctx.seq(spec.get("replicatedJobs"), "spec.replicatedJobs")):
            w = f"spec.replicatedJobs[{i}]"
            rj = ctx.mapping(rj, w)
            js = ctx.mapping(ctx.mapping(rj.get("template"), f"{w}.template").get("spec"),
                             f"{w}.template.spec")
            n = _count(ctx, rj.get("replicas"), f"{w}.replicas") * _count(
                ctx, js.get("parallelism"), f"{w}.template.spec.parallelism")
            out.append(_pod_set(ctx, str(rj.get("name") or f"rj{i}"), n, js.get("template"),
                                f"{w}.template.spec.template"))
        return tuple(out)
    if kind == "PyTorchJob":
        specs = ctx.mapping(spec.get("pytorchReplicaSpecs"), "spec.pytorchReplicaSpecs")
        return tuple(_pod_set(ctx, str(k).lower(),
                              _count(ctx, ctx.mapping(v, f"spec.pytorchReplicaSpecs.{k}").get(
                                  "replicas"), f"spec.pytorchReplicaSpecs.{k}.replicas"),
                              ctx.mapping(v, "").get("template"),
                              f"spec.pytorchReplicaSpecs.{k}.template")
                     for k, v in specs.items())
    raise ctx.error("kind", f"unknown kind {kind!r}: aifab admits Job, JobSet and PyTorchJob")


def read_job(path: Path) -> tuple[str, str, str | None, tuple[PodSet, ...], Ctx]:
    """(name, namespace, priority class, pod sets) of a job manifest and its queue name."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read: {exc}", source=str(path)) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"not valid YAML: {exc}", source=str(path)) from None
    if not isinstance(doc, Mapping):
        raise BadInput("must be one Job, JobSet or PyTorchJob manifest", source=str(path))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    ctx = Ctx(str(path), str(doc.get("kind")), str(meta.get("name") or "?"), [])
    pod_sets = pod_sets_of(ctx, str(doc.get("kind")), ctx.mapping(doc.get("spec"), "spec"))
    labels = ctx.mapping(meta.get("labels"), "metadata.labels")
    queue = labels.get(QUEUE_LABEL) or labels.get(KAI_QUEUE_LABEL)
    if not queue:
        raise ctx.error(f"metadata.labels.{QUEUE_LABEL}", "is required (the LocalQueue; "
                        f"or {KAI_QUEUE_LABEL}, a KAI leaf queue)")
    prio = labels.get(PRIORITY_LABEL)
    return (str(queue), str(meta.get("namespace") or "default"),
            None if prio is None else str(prio), pod_sets, ctx)
