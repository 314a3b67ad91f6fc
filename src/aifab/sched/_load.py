"""Read a directory of Kueue/KAI manifests into :class:`~._model.Manifests`.

Checks what Kueue's admission webhooks and controllers check (docs/sched.md, section
"Validation"): quotas not below zero, lendingLimit within nominalQuota, borrowingLimit only
in a cohort, a flavor's resources equal to its group's coveredResources, a flavor in at most
one group, known flavors and ClusterQueues, no cohort cycles. Fields aifab does not model
are listed in ``Manifests.unsupported``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from aifab.errors import BadInput
from aifab.sched._fields import Ctx, labels_of
from aifab.sched._kai import read_kai_queue
from aifab.sched._model import (
    BORROW_WITHIN,
    FR,
    FS_GATES,
    FS_STRATEGIES,
    FUNGIBILITY,
    RECLAIM,
    STRATEGIES,
    WITHIN_CQ,
    ClusterQueue,
    Cohort,
    Flavor,
    Fungibility,
    LocalQueue,
    Manifests,
    Preemption,
    Quota,
    ResourceGroup,
    Topology,
)

KUEUE_GROUP = "kueue.x-k8s.io"
KUEUE_VERSIONS = ("v1beta1", "v1beta2")
KINDS = ("ClusterQueue", "Cohort", "LocalQueue", "ResourceFlavor", "WorkloadPriorityClass",
         "Topology")
_CQ_SPEC = ("cohort", "cohortName", "resourceGroups", "queueingStrategy", "preemption",
            "fairSharing", "flavorFungibility", "stopPolicy", "namespaceSelector")
DOMAIN_SIZE = "aifab.io/domain-size"
DOMAINS = "aifab.io/domains"


def _quotas(ctx: Ctx, spec: Mapping[str, Any], out: dict[FR, Quota], *,
            in_cohort: bool) -> tuple[ResourceGroup, ...]:
    groups: list[ResourceGroup] = []
    seen: dict[str, str] = {}
    for gi, g in enumerate(ctx.seq(spec.get("resourceGroups"), "spec.resourceGroups")):
        gw = f"spec.resourceGroups[{gi}]"
        g = ctx.mapping(g, gw)
        ctx.known(g, gw, ("coveredResources", "flavors"))
        covered = [str(r) for r in ctx.seq(g.get("coveredResources"), f"{gw}.coveredResources")]
        if not covered:
            raise ctx.error(f"{gw}.coveredResources", "must list at least one resource")
        flavors: list[str] = []
        for fi, f in enumerate(ctx.seq(g.get("flavors"), f"{gw}.flavors")):
            fw = f"{gw}.flavors[{fi}]"
            f = ctx.mapping(f, fw)
            ctx.known(f, fw, ("name", "resources"))
            fname = ctx.string(f.get("name"), f"{fw}.name", required=True)
            assert fname is not None
            if fname in seen:
                raise ctx.error(f"{fw}.name", f"flavor {fname!r} is already in {seen[fname]} "
                                "(a flavor belongs to at most one resource group)")
            seen[fname] = gw
            names: list[str] = []
            for ri, r in enumerate(ctx.seq(f.get("resources"), f"{fw}.resources")):
                rw = f"{fw}.resources[{ri}]"
                r = ctx.mapping(r, rw)
                ctx.known(r, rw, ("name", "nominalQuota", "borrowingLimit", "lendingLimit"))
                rname = ctx.string(r.get("name"), f"{rw}.name", required=True)
                assert rname is not None
                if rname not in covered:
                    raise ctx.error(f"{rw}.name", f"resource {rname!r} is not in the group's "
                                    f"coveredResources {covered}")
                names.append(rname)
                nominal = ctx.quantity(r.get("nominalQuota", 0), f"{rw}.nominalQuota")
                bl = r.get("borrowingLimit")
                ll = r.get("lendingLimit")
                borrow = None if bl is None else ctx.quantity(bl, f"{rw}.borrowingLimit")
                lend = None if ll is None else ctx.quantity(ll, f"{rw}.lendingLimit")
                if borrow is not None and not in_cohort:
                    raise ctx.error(f"{rw}.borrowingLimit", "must be unset outside a cohort")
                if lend is not None and lend > nominal and ctx.kind == "ClusterQueue":
                    raise ctx.error(f"{rw}.lendingLimit", f"{ll} exceeds nominalQuota")
                out[(fname, rname)] = Quota(nominal, borrow, lend)
            if names != covered:
                raise ctx.error(f"{fw}.resources", f"flavor {fname!r} lists {names}; it must "
                                f"list the group's coveredResources {covered} in order")
            flavors.append(fname)
        groups.append(ResourceGroup(tuple(covered), tuple(flavors)))
    return tuple(groups)


def _weight(ctx: Ctx, spec: Mapping[str, Any]) -> float:
    fs = ctx.mapping(spec.get("fairSharing"), "spec.fairSharing")
    ctx.known(fs, "spec.fairSharing", ("weight",))
    return 1.0 if fs.get("weight") is None else ctx.quantity(fs["weight"],
                                                              "spec.fairSharing.weight")


def _cluster_queue(ctx: Ctx, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> ClusterQueue:
    ctx.known(spec, "spec", _CQ_SPEC)
    cohort = ctx.string(spec.get("cohortName", spec.get("cohort")), "spec.cohortName")
    quotas: dict[FR, Quota] = {}
    groups = _quotas(ctx, spec, quotas, in_cohort=cohort is not None)
    pre = ctx.mapping(spec.get("preemption"), "spec.preemption")
    ctx.known(pre, "spec.preemption", ("withinClusterQueue", "reclaimWithinCohort",
                                       "borrowWithinCohort"))
    bwc = ctx.mapping(pre.get("borrowWithinCohort"), "spec.preemption.borrowWithinCohort")
    ctx.known(bwc, "spec.preemption.borrowWithinCohort", ("policy", "maxPriorityThreshold"))
    thr = bwc.get("maxPriorityThreshold")
    preemption = Preemption(
        ctx.choice(pre.get("withinClusterQueue"), "spec.preemption.withinClusterQueue",
                   WITHIN_CQ, "Never"),
        ctx.choice(pre.get("reclaimWithinCohort"), "spec.preemption.reclaimWithinCohort",
                   RECLAIM, "Never"),
        ctx.choice(bwc.get("policy"), "spec.preemption.borrowWithinCohort.policy",
                   BORROW_WITHIN, "Never"),
        None if thr is None else ctx.integer(thr, "spec.preemption.borrowWithinCohort."
                                                  "maxPriorityThreshold"))
    if preemption.borrow_within_cohort != "Never" and preemption.reclaim_within_cohort == "Never":
        raise ctx.error("spec.preemption.borrowWithinCohort.policy",
                        "needs reclaimWithinCohort other than Never")
    ff = ctx.mapping(spec.get("flavorFungibility"), "spec.flavorFungibility")
    ctx.known(ff, "spec.flavorFungibility", ("whenCanBorrow", "whenCanPreempt", "preference"))
    fung = Fungibility(
        ctx.choice(ff.get("whenCanBorrow"), "spec.flavorFungibility.whenCanBorrow", FUNGIBILITY,
                   "MayStopSearch").replace("Borrow", "MayStopSearch"),
        ctx.choice(ff.get("whenCanPreempt"), "spec.flavorFungibility.whenCanPreempt",
                   FUNGIBILITY, "TryNextFlavor").replace("Preempt", "MayStopSearch"),
        ctx.choice(ff.get("preference"), "spec.flavorFungibility.preference",
                   ("BorrowingOverPreemption", "PreemptionOverBorrowing"),
                   "BorrowingOverPreemption"))
    if spec.get("namespaceSelector") not in (None, {}):
        ctx.unsupported("spec.namespaceSelector", "namespaces are not modelled (all match)")
    return ClusterQueue(
        name=ctx.name, cohort=cohort, groups=groups, quotas=quotas,
        strategy=ctx.choice(spec.get("queueingStrategy"), "spec.queueingStrategy", STRATEGIES,
                            "BestEffortFIFO"),
        preemption=preemption, fungibility=fung, weight=_weight(ctx, spec),
        stop_policy=ctx.choice(spec.get("stopPolicy"), "spec.stopPolicy",
                               ("None", "Hold", "HoldAndDrain"), "None"),
        labels=labels_of(ctx, meta, "labels"), source=ctx.file,
        annotations=labels_of(ctx, meta, "annotations"))


def _add(ctx: Ctx, m: Manifests, kind: str, meta: Mapping[str, Any], spec: Mapping[str, Any],
         doc: Mapping[str, Any]) -> None:
    name = ctx.name
    tables: dict[str, Mapping[str, Any]] = {
        "ClusterQueue": m.cluster_queues, "Cohort": m.cohorts, "ResourceFlavor": m.flavors,
        "Topology": m.topologies, "WorkloadPriorityClass": m.priority_classes}
    dup = tables.get(kind)
    if dup is not None and name in dup:
        raise ctx.error("metadata.name", f"duplicate {kind} (also in {_src(dup[name])})")
    if kind == "ClusterQueue":
        m.cluster_queues[name] = _cluster_queue(ctx, meta, spec)
    elif kind == "Cohort":
        ctx.known(spec, "spec", ("parentName", "parent", "resourceGroups", "fairSharing"))
        quotas: dict[FR, Quota] = {}
        parent = ctx.string(spec.get("parentName", spec.get("parent")), "spec.parentName")
        _quotas(ctx, spec, quotas, in_cohort=parent is not None)
        m.cohorts[name] = Cohort(name, parent, quotas, _weight(ctx, spec),
                                 labels_of(ctx, meta, "labels"), ctx.file)
    elif kind == "LocalQueue":
        ns = str(meta.get("namespace") or "default")
        ctx.known(spec, "spec", ("clusterQueue", "stopPolicy"))
        cq = ctx.string(spec.get("clusterQueue"), "spec.clusterQueue", required=True)
        assert cq is not None
        m.local_queues[(ns, name)] = LocalQueue(ns, name, cq, ctx.file)
    elif kind == "ResourceFlavor":
        ctx.known(spec, "spec", ("nodeLabels", "nodeTaints", "tolerations", "topologyName"))
        ann = labels_of(ctx, meta, "annotations")
        size = ann.get(DOMAIN_SIZE)
        doms = ann.get(DOMAINS)
        m.flavors[name] = Flavor(
            name, {str(k): str(v) for k, v in ctx.mapping(spec.get("nodeLabels"),
                                                          "spec.nodeLabels").items()},
            ctx.string(spec.get("topologyName"), "spec.topologyName"),
            None if size is None else int(ctx.quantity(size, f"metadata.annotations."
                                                             f"{DOMAIN_SIZE}")),
            None if doms is None else int(ctx.quantity(doms, f"metadata.annotations."
                                                             f"{DOMAINS}")),
            ctx.file)
    elif kind == "WorkloadPriorityClass":
        ctx.known(doc, "", ("apiVersion", "kind", "metadata", "value", "description"))
        m.priority_classes[name] = ctx.integer(doc.get("value"), "value")
    elif kind == "Topology":
        ctx.known(spec, "spec", ("levels",))
        levels = []
        for i, lv in enumerate(ctx.seq(spec.get("levels"), "spec.levels")):
            lv = ctx.mapping(lv, f"spec.levels[{i}]")
            levels.append(ctx.string(lv.get("nodeLabel"), f"spec.levels[{i}].nodeLabel",
                                     required=True) or "")
        if not levels:
            raise ctx.error("spec.levels", "must list at least one level")
        m.topologies[name] = Topology(name, tuple(levels), ctx.file)


def _src(obj: Any) -> str:
    return str(getattr(obj, "source", "") or "another manifest")


def _config(ctx: Ctx, m: Manifests, doc: Mapping[str, Any]) -> None:
    """A Kueue Configuration: only its fairSharing section matters to admission."""
    fs = doc.get("fairSharing")
    for k in doc:
        if k not in ("apiVersion", "kind", "metadata", "fairSharing", "featureGates"):
            ctx.unsupported(k)
    for gate, on in ctx.mapping(doc.get("featureGates"), "featureGates").items():
        if gate not in FS_GATES:
            ctx.unsupported(f"featureGates.{gate}")
        elif not isinstance(on, bool):
            raise ctx.error(f"featureGates.{gate}", f"must be true or false (got {on!r})")
        else:
            m.gates[gate] = on
    if fs is None:
        return
    fs = ctx.mapping(fs, "fairSharing")
    ctx.known(fs, "fairSharing", ("enable", "preemptionStrategies"))
    m.fair_sharing = fs.get("enable", True) is not False
    strategies = tuple(ctx.seq(fs.get("preemptionStrategies"), "fairSharing.preemptionStrategies")
                       ) or FS_STRATEGIES
    if strategies not in ((FS_STRATEGIES[0],), (FS_STRATEGIES[1],), FS_STRATEGIES):
        raise ctx.error("fairSharing.preemptionStrategies",
                        f"{list(strategies)} is not a supported list")
    m.fs_strategies = strategies


def load_docs(m: Manifests, file: str, docs: list[Any]) -> None:
    """Add the YAML documents of one file to ``m``."""
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            raise BadInput("must be a mapping (a Kubernetes object: kind, apiVersion, "
                           f"metadata), not a {type(doc).__name__}", source=file,
                           where=f"document {i + 1}")
        kind, api = doc.get("kind"), str(doc.get("apiVersion", ""))
        meta = Ctx(file, str(kind), f"#{i}", m.unsupported).mapping(doc.get("metadata"),
                                                                      "metadata")
        name = str(meta.get("name") or "")
        ctx = Ctx(file, str(kind), name or f"#{i}", m.unsupported)
        group, _, version = api.partition("/")
        if kind == "Configuration" and group == "config.kueue.x-k8s.io":
            _config(ctx, m, doc)
            continue
        if not name:
            raise ctx.error("metadata.name", "is required")
        if kind == "Queue" and group == "scheduling.run.ai":
            if version not in ("v2",):
                raise ctx.error("apiVersion", f"{api!r}: aifab reads scheduling.run.ai/v2")
            if name in m.kai_queues:
                raise ctx.error("metadata.name", "duplicate Queue")
            m.kai_queues[name] = read_kai_queue(ctx, meta, ctx.mapping(doc.get("spec"), "spec"))
            continue
        if kind not in KINDS or group != KUEUE_GROUP:
            raise ctx.error("kind", f"unknown kind {kind!r} ({api or 'no apiVersion'}); aifab "
                            f"reads {', '.join(KINDS)} ({KUEUE_GROUP}), Kueue's Configuration "
                            "and KAI's Queue (scheduling.run.ai/v2)")
        if version not in KUEUE_VERSIONS:
            raise ctx.error("apiVersion", f"{api!r}: aifab reads {', '.join(KUEUE_VERSIONS)}")
        spec = ctx.mapping(doc.get("spec"), "spec")
        _add(ctx, m, str(kind), meta, spec, doc)


# libyaml's safe loader where PyYAML was built with it (same documents, ~10x faster: the
# 1,000-ClusterQueue fleet's 560 kB took ~10 CPU-s with the pure-Python one)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_dir(path: Path) -> Manifests:
    """Read every ``*.yaml``/``*.yml`` under ``path`` (a file or a directory), then check
    references across files."""
    if not path.exists():
        raise BadInput("no such file or directory", source=str(path))
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise BadInput("no *.yaml manifests found", source=str(path))
    m = Manifests()
    for f in files:
        try:
            docs = list(yaml.load_all(f.read_text(encoding="utf-8"), Loader=_LOADER))
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read: {exc}", source=str(f)) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}" if mark is not None else None
            raise BadInput(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=str(f),
                           where=line) from None
        load_docs(m, str(f), docs)
    check(m)
    return m


def check(m: Manifests) -> None:
    """Cross-object checks: references, cycles; add implicit cohorts; KAI queues to the
    ClusterQueue/Cohort tree."""
    from aifab.sched._kai import kai_to_tree

    if m.kai_queues:
        kai_to_tree(m)
    for cq in m.cluster_queues.values():
        ctx = Ctx(cq.source, "ClusterQueue", cq.name, m.unsupported)
        for gi, g in enumerate(cq.groups):
            for fi, f in enumerate(g.flavors):
                if m.flavors and f not in m.flavors:
                    raise ctx.error(f"spec.resourceGroups[{gi}].flavors[{fi}].name",
                                    f"ResourceFlavor {f!r} is not defined")
        if cq.cohort is not None and cq.cohort not in m.cohorts:
            m.cohorts[cq.cohort] = Cohort(cq.cohort, declared=False)
    for fl in m.flavors.values():
        if fl.topology is not None and fl.topology not in m.topologies:
            raise Ctx(fl.source, "ResourceFlavor", fl.name, m.unsupported).error(
                "spec.topologyName", f"Topology {fl.topology!r} is not defined")
    for lq in m.local_queues.values():
        if lq.cluster_queue not in m.cluster_queues:
            raise Ctx(lq.source, "LocalQueue", f"{lq.namespace}/{lq.name}", m.unsupported).error(
                "spec.clusterQueue", f"ClusterQueue {lq.cluster_queue!r} is not defined")
    for co in list(m.cohorts.values()):
        if co.parent is not None and co.parent not in m.cohorts:
            m.cohorts[co.parent] = Cohort(co.parent, declared=False)
    for co in m.cohorts.values():
        seen = [co.name]
        cur = co
        while cur.parent is not None:
            if cur.parent in seen:
                raise Ctx(co.source, "Cohort", co.name, m.unsupported).error(
                    "spec.parentName", "cohort cycle: " + " -> ".join([*seen, cur.parent]))
            seen.append(cur.parent)
            cur = m.cohorts[cur.parent]
