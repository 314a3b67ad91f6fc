"""The calls other commands make: manifests to a scenario, a scenario to manifests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.scenario import Scenario
from aifab.sched._export import kai_docs, kueue_docs, tenants_of, write_manifests
from aifab.sched._history import RunState
from aifab.sched._load import read_dir
from aifab.sched._model import Manifests, Quota, is_gpu
from aifab.sched._twin import tenants_from
from aifab.sched._twinpolicy import KueuePolicy, tenant_queues


def scenario_from_manifests(source: Path | Manifests, scn: Scenario, cat: Catalog
                            ) -> tuple[Scenario, list[str]]:
    """``scn`` with the tenants, quotas, borrowing and queue policy of the Kueue or KAI
    manifests (a folder or file to read, or what :func:`read_dir` read), and the notes
    listing what the twin does not take."""
    return tenants_from(_manifests(source), scn, cat)


def _manifests(source: Path | Manifests) -> Manifests:
    return source if isinstance(source, Manifests) else read_dir(source)


def export_manifests(scn: Scenario, cat: Catalog, *, kueue: Path | None = None,
                     kai: Path | None = None) -> list[Path]:
    """Write the scenario's tenants, quotas and policies as Kueue and/or KAI manifests."""
    out: list[Path] = []
    if kueue is not None:
        out += write_manifests(kueue_docs(scn, cat), kueue)
    if kai is not None:
        out += write_manifests(kai_docs(scn, cat), kai)
    return out


def with_manifests(scn: Scenario, cat: Catalog, kueue: Path | None, kai: Path | None,
                   note: Callable[[str], None], *, keep_policy: bool = False,
                   read: Manifests | None = None) -> Scenario:
    """``aifab simulate --kueue/--kai``: the scenario with the manifests' tenants and
    policies (unchanged without either flag; ``keep_policy``: the scenario's queue policy
    stays, as when ``--policy`` is given); ``note`` gets each field not modelled.
    ``read``: the manifests under the flag's path, if the caller has read them already
    (for :func:`twin_policy` too), so the folder is read once."""
    if kueue is not None and kai is not None:
        raise BadInput("give --kueue or --kai, not both", where="--kai")
    path = kueue or kai
    if path is None:
        return scn
    out, notes = scenario_from_manifests(path if read is None else read, scn, cat)
    for n in notes:
        note(n)
    if keep_policy:
        out = out.model_copy(update={"sim": out.sim.model_copy(
            update={"queue_policy": scn.sim.queue_policy})})
    return out


def twin_policy(source: Path | Manifests, scn: Scenario) -> KueuePolicy:
    """The twin queue policy that admits by the Kueue or KAI manifests (under the path
    ``source``, or those :func:`read_dir` read)
    (:class:`~._twinpolicy.KueuePolicy`, rules L1-L7) for ``scn``'s tenants (as
    :func:`with_manifests` sets them). The manifests' accelerator quotas are for the whole
    fleet; the twin runs ``sim.scale`` of it, so they are scaled by the same factor (rule
    L8, docs/sched.md)."""
    m = scaled_quotas(_manifests(source), scn.sim.scale)
    return KueuePolicy(m, tenant_queues(m, [t.name for t in tenants_of(scn)]))


def _scale(q: Quota, k: float) -> Quota:
    return Quota(q.nominal * k, None if q.borrowing_limit is None else q.borrowing_limit * k,
                 None if q.lending_limit is None else q.lending_limit * k)


def scaled_quotas(m: Manifests, k: float) -> Manifests:
    """``m`` with every accelerator quota (nominalQuota, borrowingLimit, lendingLimit of
    ClusterQueues and Cohorts, KAI queues included once read) times ``k``; ``m`` itself
    when ``k`` is 1. Other resources (CPU, memory) keep their values."""
    if k == 1.0:
        return m
    out = copy.deepcopy(m)
    for cq in out.cluster_queues.values():
        cq.quotas = {fr: _scale(q, k) if is_gpu(fr[1]) else q for fr, q in cq.quotas.items()}
    for co in out.cohorts.values():
        co.quotas = {fr: _scale(q, k) if is_gpu(fr[1]) else q for fr, q in co.quotas.items()}
    return out


def compare_designs(designs: list[Path], jobs: Path | RunState, mapping: dict[str, str],
                    grace_s: float | None = None) -> dict[str, Any]:
    """Replay one workload history (sacct CSV, Kueue Workload JSON, or a twin run as a
    :class:`RunState` that the command layer read) through each quota design (a directory
    of Kueue or KAI manifests): per-tenant wait, GPU-hours and preemptions, utilisation and
    fairness per design (docs/sched.md, C1-C6; ``grace_s``: C5, None: ``_hold.GRACE_S``)."""
    from aifab.sched._history import history_from_run, read_sacct, read_workloads
    from aifab.sched._hold import GRACE_S
    from aifab.sched._replay import replay, tenant_queues

    if isinstance(jobs, RunState):
        hist = history_from_run(jobs)
    elif jobs.is_dir():
        raise BadInput("a twin run folder is read by the command layer (aifab "
                       "compare-queues --jobs RUN_DIR); pass its RunState", source=str(jobs))
    else:
        hist = read_workloads(jobs) if jobs.suffix == ".json" else read_sacct(jobs)
    out: dict[str, Any] = {"jobs": hist.source, "designs": {}}
    for d in designs:
        m = read_dir(d)
        out["designs"][str(d)] = replay(m, hist, tenant_queues(m, hist, mapping),
                                        GRACE_S if grace_s is None else grace_s) | {
            "unsupported": list(m.unsupported)}
    return out
