"""A scenario's tenants, quotas and policies as Kueue and KAI manifests (rules X1-X5).

Kueue: one ResourceFlavor per owner GPU pool (its NVLink domains as a Topology level), a
root Cohort for the programme, a Cohort per owner, a ClusterQueue and LocalQueue per tenant
with ``nominalQuota`` = quota x the owner's GPUs (split over its pools by largest
remainder), a WorkloadPriorityClass per job class, and Kueue's Configuration with fair
sharing for the ``fairshare`` policy. Owners never borrow (borrowingLimit 0) and lend
everything when ``sim.borrowing`` (else lendingLimit 0); every queue reclaims its nominal
quota (reclaimWithinCohort Any) and preempts lower priorities within itself.
KAI: a top-level Queue per owner, one leaf Queue per tenant of a shared owner.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from aifab.catalog import Catalog
from aifab.scenario import Scenario, TenantSpec

KUEUE_API = "kueue.x-k8s.io/v1beta2"
KAI_API = "scheduling.run.ai/v2"
GPU = "nvidia.com/gpu"
OWNER, KIND, TENANT = "aifab.io/owner", "aifab.io/kind", "aifab.io/tenant"
LOAD, MIX, RATES = "aifab.io/load", "aifab.io/mix", "aifab.io/rates-per-h"
NVL_LEVEL = "aifab.io/nvlink-domain"
Doc = dict[str, Any]


def k8s_name(name: str) -> str:
    """A DNS-1123 name for a tenant, owner or pool (lower case, '-' for the rest)."""
    out = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return out or "x"


def owner_pools(scn: Scenario, cat: Catalog) -> dict[str, list[tuple[str, str, int]]]:
    """Per owner, its GPU pools (accelerator, system, count) delivered by ``sim.year``."""
    out: dict[str, dict[tuple[str, str], int]] = {o.name: {} for o in scn.owners}
    for f in scn.fleets:
        if scn.sim.year is not None and f.delivery_year > scn.sim.year:
            continue
        if cat.accelerator(f.accelerator).kind != "gpu":
            continue
        key = (f.accelerator, f.system)
        out[f.owner][key] = out[f.owner].get(key, 0) + f.count
    return {o: [(a, s, n) for (a, s), n in p.items()] for o, p in out.items()}


def tenants_of(scn: Scenario) -> list[TenantSpec]:
    """The twin's tenants for a scenario (what aifab.sim.national builds them from)."""
    st = scn.sim
    if st.tenants is not None:
        return list(st.tenants)
    out: list[TenantSpec] = []
    for o in scn.owners:
        if o.kind == "private":
            out.append(TenantSpec(name=o.name, owner=o.name, kind="owner"))
        elif st.public_tenants is not None:
            out.extend(t.model_copy(update={"owner": o.name}) for t in st.public_tenants)
        else:
            out.append(TenantSpec(name="public", owner=o.name, kind="other"))
    return out


def split(total: int, sizes: list[int]) -> list[int]:
    """``total`` split in proportion to ``sizes`` by largest remainder (sums to total)."""
    s = sum(sizes)
    raw = [total * n / s for n in sizes]
    out = [math.floor(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[:total - sum(out)]:
        out[i] += 1
    return out


def _meta(name: str, labels: dict[str, str] | None = None,
          ann: dict[str, str] | None = None, ns: str | None = None) -> Doc:
    m: Doc = {"name": name}
    if ns is not None:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    if ann:
        m["annotations"] = ann
    return m


def _tenant_ann(t: TenantSpec) -> dict[str, str]:
    ann = {TENANT: t.name}
    if t.load is not None:
        ann[LOAD] = repr(t.load)
    if t.mix:
        ann[MIX] = json.dumps(t.mix, sort_keys=True)
    if t.rates_per_h:
        ann[RATES] = json.dumps(t.rates_per_h, sort_keys=True)
    return ann


def kueue_docs(scn: Scenario, cat: Catalog) -> dict[str, list[Doc]]:
    """Kueue manifests by file name."""
    pools = owner_pools(scn, cat)
    kinds = {o.name: o.kind for o in scn.owners}
    root = k8s_name(scn.name)
    flavors: list[Doc] = []
    fl_names: dict[str, list[str]] = {}
    for owner, ps in pools.items():
        for acc, sys_id, n in ps:
            size = cat.system(sys_id).accelerators_per_system
            name = k8s_name(f"{owner}-{acc}")
            fl_names.setdefault(owner, []).append(name)
            flavors.append({"apiVersion": KUEUE_API, "kind": "ResourceFlavor", "metadata": _meta(
                name, {OWNER: owner}, {"aifab.io/domain-size": str(size),
                                       "aifab.io/domains": str(n // size)}),
                "spec": {"nodeLabels": {OWNER: owner, "aifab.io/accelerator": acc},
                         "topologyName": "nvlink"}})
    topo = {"apiVersion": KUEUE_API, "kind": "Topology", "metadata": _meta("nvlink"),
            "spec": {"levels": [{"nodeLabel": NVL_LEVEL}, {"nodeLabel": "kubernetes.io/hostname"}]}}
    cohorts = [{"apiVersion": KUEUE_API, "kind": "Cohort", "metadata": _meta(root), "spec": {}}]
    cohorts += [{"apiVersion": KUEUE_API, "kind": "Cohort",
                 "metadata": _meta(k8s_name(o), {OWNER: o}), "spec": {"parentName": root}}
                for o in pools if pools[o]]
    strategy = "StrictFIFO" if scn.sim.queue_policy == "fifo" else "BestEffortFIFO"
    cqs: list[Doc] = []
    lqs: list[Doc] = []
    for t in tenants_of(scn):
        ps = pools.get(t.owner) or []
        if not ps:
            continue
        total = sum(n for _, _, n in ps)
        nominal = split(round(t.quota * total), [n for _, _, n in ps])
        private = kinds[t.owner] == "private"
        res: list[Doc] = []
        for fname, q in zip(fl_names[t.owner], nominal, strict=True):
            r: Doc = {"name": GPU, "nominalQuota": q}
            if private:
                r["borrowingLimit"] = 0
                if not scn.sim.borrowing:
                    r["lendingLimit"] = 0
            res.append({"name": fname, "resources": [r]})
        name = k8s_name(t.name)
        cqs.append({"apiVersion": KUEUE_API, "kind": "ClusterQueue",
                    "metadata": _meta(name, {OWNER: t.owner, KIND: t.kind}, _tenant_ann(t)),
                    "spec": {"cohortName": k8s_name(t.owner), "queueingStrategy": strategy,
                             "namespaceSelector": {},
                             "resourceGroups": [{"coveredResources": [GPU], "flavors": res}],
                             "preemption": {"reclaimWithinCohort": "Any",
                                            "withinClusterQueue": "LowerPriority"},
                             "fairSharing": {"weight": repr(t.quota)}}})
        lqs.append({"apiVersion": KUEUE_API, "kind": "LocalQueue",
                    "metadata": _meta(name, ns=name), "spec": {"clusterQueue": name}})
    classes = scn.sim.classes or {}
    if not classes:
        from aifab.workload.synthetic import DEFAULT_CLASSES
        classes = dict(DEFAULT_CLASSES)
    prios = [{"apiVersion": KUEUE_API, "kind": "WorkloadPriorityClass",
              "metadata": _meta(k8s_name(c)), "value": int(spec.priority),
              "description": f"aifab job class {c}"} for c, spec in classes.items()]
    out = {"flavors.yaml": [topo, *flavors], "cohorts.yaml": cohorts,
           "cluster-queues.yaml": cqs, "local-queues.yaml": lqs, "priorities.yaml": prios}
    if scn.sim.queue_policy == "fairshare":
        out["kueue-config.yaml"] = [{
            "apiVersion": "config.kueue.x-k8s.io/v1beta2", "kind": "Configuration",
            "fairSharing": {"preemptionStrategies": ["LessThanOrEqualToFinalShare",
                                                     "LessThanInitialShare"]}}]
    return out


def kai_docs(scn: Scenario, cat: Catalog) -> dict[str, list[Doc]]:
    """KAI Queues by file name: owners at the top, tenants of shared owners beneath."""
    pools = owner_pools(scn, cat)
    kinds = {o.name: o.kind for o in scn.owners}
    by_owner: dict[str, list[TenantSpec]] = {}
    for t in tenants_of(scn):
        by_owner.setdefault(t.owner, []).append(t)
    docs: list[Doc] = []
    for owner, ts in by_owner.items():
        total = sum(n for _, _, n in pools.get(owner) or [])
        if total == 0:
            continue
        private = kinds[owner] == "private"
        lend = private and not scn.sim.borrowing
        if private and len(ts) == 1 and ts[0].name == owner:
            t = ts[0]
            q = round(t.quota * total)
            docs.append(_kai(k8s_name(owner), None, q, q if private else -1, t.quota,
                             {OWNER: owner, KIND: t.kind}, _tenant_ann(t) | (
                                 {"aifab.io/lends": "false"} if lend else {})))
            continue
        docs.append(_kai(k8s_name(owner), None, total, total if private else -1, 1.0,
                         {OWNER: owner}, {}))
        for t in ts:
            q = round(t.quota * total)
            docs.append(_kai(k8s_name(t.name), k8s_name(owner), q, q if private else -1,
                             t.quota, {OWNER: owner, KIND: t.kind}, _tenant_ann(t)))
    return {"kai-queues.yaml": docs}


def _kai(name: str, parent: str | None, quota: float, limit: float, weight: float,
         labels: dict[str, str], ann: dict[str, str]) -> Doc:
    spec: Doc = {"displayName": ann.get(TENANT, name),
                 "resources": {"gpu": {"quota": quota, "limit": limit,
                                       "overQuotaWeight": weight}}}
    if parent is not None:
        spec["parentQueue"] = parent
    return {"apiVersion": KAI_API, "kind": "Queue", "metadata": _meta(name, labels, ann),
            "spec": spec}


def write_manifests(files: dict[str, list[Doc]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, docs in files.items():
        p = out / name
        p.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        paths.append(p)
    return paths
