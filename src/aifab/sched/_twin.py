"""Manifests to the twin's inputs: tenants, quotas, borrowing and queue policy (rules W1-W5).

W1 a ClusterQueue (or KAI leaf queue) is a tenant, named by its ``aifab.io/tenant``
annotation or its name; W2 its owner is its ``aifab.io/owner`` label, else the first cohort
on its path (or its own name) that names a scenario owner, else the scenario's first public
owner (noted); W3 its quota is its GPU nominal quota over all flavors divided by the owner's
GPUs; W4 the twin lends owners' idle GPUs (``sim.borrowing``) unless every owner queue has
lendingLimit 0; W5 the queue policy is ``fairshare`` with Kueue's fair sharing (or KAI),
``fifo`` when every queue is StrictFIFO, else ``backfill``. What the twin cannot take
(weights, limits, preemption policies, flavors) is listed in the notes; the admission
engine (``aifab admit``) uses them.
"""

from __future__ import annotations

import json
from typing import Any

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.scenario import Scenario, TenantSpec
from aifab.sched._export import KIND, LOAD, MIX, OWNER, RATES, TENANT, owner_pools
from aifab.sched._model import ClusterQueue, Manifests, is_gpu

_KINDS = ("owner", "university", "startup", "institute", "other")


def _owner(cq: ClusterQueue, m: Manifests, owners: dict[str, str], public: str | None,
           notes: list[str]) -> str:
    if OWNER in cq.labels:
        if cq.labels[OWNER] not in owners.values():
            raise BadInput(f"owner {cq.labels[OWNER]!r} is not an owner of the scenario",
                           source=cq.source, where=f"ClusterQueue/{cq.name}: "
                                                   f"metadata.labels.{OWNER}")
        return cq.labels[OWNER]
    names = [cq.name]
    c = cq.cohort
    while c is not None:
        names.append(c)
        c = m.cohorts[c].parent if c in m.cohorts else None
    for n in names[1:] + names[:1]:
        if n.lower() in owners:
            return owners[n.lower()]
    if public is None:
        raise BadInput("no owner: label it aifab.io/owner or name a cohort after an owner",
                       source=cq.source, where=f"ClusterQueue/{cq.name}: metadata.labels")
    notes.append(f"ClusterQueue/{cq.name}: no owner label or owner cohort; runs on "
                 f"{public}'s fleet")
    return public


def tenants_from(m: Manifests, scn: Scenario, cat: Catalog) -> tuple[Scenario, list[str]]:
    """The scenario with its tenants, borrowing and queue policy taken from ``m``, and
    notes on what the twin does not take."""
    owners = {o.name.lower(): o.name for o in scn.owners}
    order = [o.name for o in scn.owners]
    public = next((o.name for o in scn.owners if o.kind == "public"), None)
    gpus = {o: sum(n for _, _, n in ps) for o, ps in owner_pools(scn, cat).items()}
    notes: list[str] = list(m.unsupported)
    rows: list[tuple[int, int, TenantSpec]] = []
    lends: list[bool] = []
    for i, cq in enumerate(m.cluster_queues.values()):
        owner = _owner(cq, m, owners, public, notes)
        ann = cq.annotations
        nominal = sum(q.nominal for (_, r), q in cq.quotas.items() if is_gpu(r))
        where = f"ClusterQueue/{cq.name}"
        if gpus.get(owner, 0) == 0:
            raise BadInput(f"owner {owner} has no GPUs in the scenario", source=cq.source,
                           where=where)
        quota = nominal / gpus[owner]
        if quota <= 0:
            notes.append(f"{where}: no GPU nominal quota; the twin needs a positive quota: "
                         "left out")
            continue
        if quota > 1:
            notes.append(f"{where}: nominal {nominal:g} exceeds {owner}'s {gpus[owner]} GPUs; "
                         "quota capped at 1")
            quota = 1.0
        kind = cq.labels.get(KIND, "other")
        if kind not in _KINDS:
            raise BadInput(f"{kind!r} is not one of {', '.join(_KINDS)}", source=cq.source,
                           where=f"{where}: metadata.labels.{KIND}")
        spec: dict[str, Any] = {"name": ann.get(TENANT, cq.name), "owner": owner,
                                "kind": kind, "quota": quota}
        try:
            if LOAD in ann:
                spec["load"] = float(ann[LOAD])
            if MIX in ann:
                spec["mix"] = json.loads(ann[MIX])
            if RATES in ann:
                spec["rates_per_h"] = json.loads(ann[RATES])
            tenant = TenantSpec(**spec)
        except (ValueError, TypeError) as exc:
            raise BadInput(f"not a valid tenant: {exc}".splitlines()[0], source=cq.source,
                           where=f"{where}: metadata.annotations") from None
        rows.append((order.index(owner), i, tenant))
        if next(o for o in scn.owners if o.name == owner).kind == "private":
            lends.append(ann.get("aifab.io/lends") != "false" and any(
                q.lending_limit is None or q.lending_limit > 0 for q in cq.quotas.values()))
    if not rows:
        raise BadInput("no ClusterQueue with GPU quota: nothing for the twin to run",
                       where="--kueue/--kai")
    cqs = list(m.cluster_queues.values())
    if m.fair_sharing:
        policy = "fairshare"
    elif all(c.strategy == "StrictFIFO" for c in cqs):
        policy = "fifo"
    else:
        policy = "backfill"
    for c in cqs:
        if c.weight != 1.0 and not m.kai_queues:
            notes.append(f"ClusterQueue/{c.name}: fairSharing.weight is used under Kueue "
                         "semantics; with --policy the twin's own fairshare orders by usage "
                         "over quota")
            break
    tenants = [t for _, _, t in sorted(rows, key=lambda r: (r[0], r[1]))]
    sim = scn.sim.model_copy(update={"tenants": tenants, "public_tenants": None,
                                     "borrowing": any(lends) if lends else scn.sim.borrowing,
                                     "queue_policy": policy})
    return scn.model_copy(update={"sim": sim}), notes
