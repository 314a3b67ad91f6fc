"""Check manifests against the published CRD schemas (vendored under ``data/``).

The ``openAPIV3Schema`` of each CustomResourceDefinition is read as JSON Schema (draft 7;
the ``x-kubernetes-*`` extensions and CEL rules are not evaluated: aifab's loader checks
the CEL rules it knows, see docs/sched.md "Validation").
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml

_FILES = {
    ("kueue.x-k8s.io", k): f"kueue/kueue.x-k8s.io_{p}.yaml"
    for k, p in (("ClusterQueue", "clusterqueues"), ("Cohort", "cohorts"),
                 ("LocalQueue", "localqueues"), ("ResourceFlavor", "resourceflavors"),
                 ("WorkloadPriorityClass", "workloadpriorityclasses"),
                 ("Topology", "topologies"))
} | {("scheduling.run.ai", "Queue"): "kai/scheduling.run.ai_queues.yaml"}


@lru_cache(maxsize=32)
def crd_schema(group: str, kind: str, version: str) -> dict[str, Any] | None:
    """The openAPIV3Schema of ``group/version`` ``kind`` (None: no vendored CRD)."""
    name = _FILES.get((group, kind))
    if name is None:
        return None
    text = resources.files("aifab.sched").joinpath("data", name).read_text(encoding="utf-8")
    crd = yaml.safe_load(text)
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            schema: dict[str, Any] = v["schema"]["openAPIV3Schema"]
            return schema
    return None


def validate(doc: dict[str, Any]) -> list[str]:
    """Schema errors of one manifest (``[]`` when valid); a kind without a vendored CRD
    is an error too."""
    group, _, version = str(doc.get("apiVersion", "")).partition("/")
    kind = str(doc.get("kind"))
    schema = crd_schema(group, kind, version)
    name = (doc.get("metadata") or {}).get("name", "?")
    if schema is None:
        return [f"{kind}/{name}: no published schema for {group}/{version} {kind}"]
    v = jsonschema.Draft7Validator(schema)
    return [f"{kind}/{name}: {'.'.join(str(p) for p in e.absolute_path) or '(root)'}: "
            f"{e.message}" for e in sorted(v.iter_errors(doc), key=lambda e: list(
                map(str, e.absolute_path)))]
