"""Workload history in: Slurm ``sacct`` exports and Kubernetes (Kueue) Workload exports.

sacct: ``sacct --allocations --parsable2 --format=JobID,Account,User,QOS,Submit,Start,End,
Elapsed,AllocTRES,State`` (``|``-separated; ``,`` and ``;`` are read too). A row is a job
(steps such as ``123.batch`` are skipped); its QOS names its priority class (optional);
its tenant is its Account (User when empty); its
GPUs come from AllocTRES/ReqTRES ``gres/gpu=N`` (or AllocGRES ``gpu:N``); its run time from
End - Start, else Elapsed (``[D-]HH:MM:SS``). Jobs that never started are kept with their
time limit unknown: they are left out (counted in ``skipped``).

Kubernetes: ``kubectl get workloads.kueue.x-k8s.io -A -o json``: tenant = the
ClusterQueue it was admitted to (else its LocalQueue ``namespace/queueName``), GPUs =
pod-set count x container requests, run time = Finished - Admitted condition times,
priority ``spec.priority`` and class ``spec.priorityClassName``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aifab.errors import BadInput
from aifab.sched._fields import Ctx
from aifab.sched._model import is_gpu
from aifab.sched._workload import PodSet, _count, _pod_set

if TYPE_CHECKING:
    import pandas as pd

_GPU_TRES = re.compile(r"gres/gpu(?::[^=,]+)?=(\d+)")
_GPU_GRES = re.compile(r"gpu(?::[^:,()]+)?:(\d+)")
_ELAPSED = re.compile(r"^(?:(\d+)-)?(\d+):(\d\d):(\d\d)(?:\.\d+)?$")


@dataclass(frozen=True)
class HistJob:
    name: str
    tenant: str
    submit_s: float  # seconds after the first submission
    run_s: float
    gpus: float
    priority: int = 0
    #: sacct QOS or a Workload's priorityClassName: a design's WorkloadPriorityClass of
    #: this name gives the job its priority (rule C4), else ``priority``.
    priority_class: str = ""


@dataclass(frozen=True)
class History:
    jobs: tuple[HistJob, ...]
    skipped: int
    source: str


def _time(text: str, where: str, source: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise BadInput(f"{text!r} is not a date-time (ISO 8601)", source=source,
                       where=where) from None


def _elapsed(text: str) -> float | None:
    m = _ELAPSED.match(text.strip())
    if not m:
        return None
    d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    return float(((d * 24 + h) * 60 + mi) * 60 + s)


def read_sacct(path: Path) -> History:
    """Jobs of a sacct export (see the module doc for the columns)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read: {exc}", source=str(path)) from None
    first = text.splitlines()[0] if text.strip() else ""
    delim = max("|,;", key=first.count)
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delim))
    cols = set(rows[0]) if rows else set(first.split(delim))
    for need in ("JobID", "Submit"):
        if need not in cols:
            raise BadInput(f"no {need} column (sacct --parsable2 --format=JobID,Account,"
                           "Submit,Start,End,AllocTRES)", source=str(path), where="line 1")
    if not {"AllocTRES", "ReqTRES", "AllocGRES"} & cols:
        raise BadInput("no AllocTRES, ReqTRES or AllocGRES column: GPUs unknown",
                       source=str(path), where="line 1")
    raw: list[Raw] = []
    skipped = 0
    for i, r in enumerate(rows, start=2):
        jid = (r.get("JobID") or "").strip()
        if not jid or "." in jid:
            continue
        where = f"line {i}"
        tenant = (r.get("Account") or "").strip() or (r.get("User") or "").strip()
        if not tenant:
            raise BadInput("no Account or User", source=str(path), where=where)
        tres = " ".join(r.get(c) or "" for c in ("AllocTRES", "ReqTRES"))
        m = _GPU_TRES.search(tres) or _GPU_GRES.search(r.get("AllocGRES") or "")
        gpus = float(m.group(1)) if m else 0.0
        start = (r.get("Start") or "").strip()
        if gpus <= 0 or start in ("", "Unknown", "None"):
            skipped += 1
            continue
        submit = _time((r.get("Submit") or "").strip(), f"{where}: Submit", str(path))
        t0 = _time(start, f"{where}: Start", str(path))
        end = (r.get("End") or "").strip()
        run = (_time(end, f"{where}: End", str(path)) - t0
               if end not in ("", "Unknown", "None") else _elapsed(r.get("Elapsed") or ""))
        if run is None or run < 0:
            raise BadInput("no run time (End before Start, or no End/Elapsed)",
                           source=str(path), where=where)
        raw.append((jid, tenant, submit, run, gpus, 0, (r.get("QOS") or "").strip()))
    return _history(raw, skipped, str(path))


#: A job as read: name, tenant, submit (epoch s), run time (s), GPUs, priority, class.
Raw = tuple[str, str, float, float, float, int, str]


def _history(raw: list[Raw], skipped: int, source: str) -> History:
    if not raw:
        raise BadInput("no job that ran on GPUs", source=source)
    t0 = min(r[2] for r in raw)
    jobs = tuple(HistJob(j, t, s - t0, run, g, p, c) for j, t, s, run, g, p, c in
                 sorted(raw, key=lambda r: (r[2], r[0])))
    return History(jobs, skipped, source)


def _cond(conditions: list[Any], kind: str) -> str | None:
    for c in conditions:
        if isinstance(c, dict) and c.get("type") == kind and c.get("status") == "True":
            return str(c.get("lastTransitionTime"))
    return None


def workload_parts(source: str, i: int, item: Any) -> tuple[
        Ctx, Mapping[str, Any], Mapping[str, Any], Mapping[str, Any], list[Any]]:
    """Item ``i`` of a Workload list: where it came from (``namespace/name``), its
    metadata, spec and status, and its status conditions, each checked for its type
    (BadInput naming the file, the Workload and the field)."""
    top = Ctx(source, "Workload", f"items[{i}]", [])
    if not isinstance(item, Mapping):
        raise top.error("the item", "must be a Workload object")
    meta = top.mapping(item.get("metadata"), "metadata")
    ctx = Ctx(source, "Workload", f"{meta.get('namespace', '')}/{meta.get('name', i)}", [])
    spec = ctx.mapping(item.get("spec"), "spec")
    status = ctx.mapping(item.get("status"), "status")
    return ctx, meta, spec, status, ctx.seq(status.get("conditions"), "status.conditions")


def workload_pod_sets(ctx: Ctx, spec: Mapping[str, Any]) -> list[PodSet]:
    """The pod sets of a Workload's ``spec.podSets`` (each: ``name``, ``count``, its pod
    ``template``), read as a job's are (BadInput naming the field)."""
    out = []
    for k, ps in enumerate(ctx.seq(spec.get("podSets"), "spec.podSets")):
        ps = ctx.mapping(ps, f"spec.podSets[{k}]")
        out.append(_pod_set(ctx, str(ps.get("name") or f"ps{k}"),
                            _count(ctx, ps.get("count"), f"spec.podSets[{k}].count"),
                            ps.get("template"), f"spec.podSets[{k}].template"))
    return out


def read_workloads(path: Path) -> History:
    """Finished Workloads of ``kubectl get workloads -A -o json``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"not a JSON Workload list: {exc}", source=str(path)) from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise BadInput("no items (kubectl get workloads -A -o json)", source=str(path))
    raw: list[Raw] = []
    skipped = 0
    for i, it in enumerate(items):
        ctx, meta, spec, status, conds = workload_parts(str(path), i, it)
        admitted, finished = _cond(conds, "Admitted") or _cond(conds, "QuotaReserved"), \
            _cond(conds, "Finished")
        created = meta.get("creationTimestamp")
        gpus = sum(ps.count * sum(v for r, v in ps.per_pod.items() if is_gpu(r))
                   for ps in workload_pod_sets(ctx, spec))
        adm = ctx.mapping(status.get("admission"), "status.admission").get("clusterQueue")
        if not (admitted and finished and created) or gpus <= 0:
            skipped += 1
            continue
        tenant = str(adm or f"{meta.get('namespace', 'default')}/{spec.get('queueName', '')}")
        src = str(path)
        prio = spec.get("priority")
        run = _time(finished, f"{ctx.obj}: Finished", src) \
            - _time(admitted, f"{ctx.obj}: Admitted", src)
        if not run >= 0:
            raise ctx.error("status.conditions", "Finished before Admitted")
        raw.append((ctx.name, tenant, _time(str(created), f"{ctx.obj}: creationTimestamp", src),
                    run, gpus,
                    prio if isinstance(prio, int) and not isinstance(prio, bool) else 0,
                    str(spec.get("priorityClassName") or "")))
    return _history(raw, skipped, str(path))


@dataclass(frozen=True, eq=False)
class RunState:
    """What admission and replay take from a twin run (``aifab simulate --out RUN``): its
    tenants in the twin's order (a job's ``tenant`` is an index into them), its jobs table
    (``tenant``, ``n``, ``submit``, ``first``, ``end``, ``wait_s``; times in seconds) and
    its scale. The command layer reads the folder (``aifab.sim.national.SimResult.read``)
    and passes these in: sched sits below sim and reads no run folder itself."""

    source: str
    scale: float
    tenants: tuple[str, ...]
    jobs: pd.DataFrame = field(repr=False)

    def __post_init__(self) -> None:
        missing = [c for c in ("tenant", "n", "submit", "first", "end", "wait_s")
                   if c not in self.jobs.columns]
        if missing:
            raise BadInput(f"the jobs table has no {', '.join(missing)} column",
                           source=self.source, where="jobs")
        if not (self.scale > 0):
            raise BadInput(f"scale must be above 0, got {self.scale}", source=self.source,
                           where="scale")


def history_from_run(run: RunState) -> History:
    """The jobs of a twin run that started: tenant, submit time, run time (first start to
    end, or to the end of the run), GPUs. A run at scale s is read as round(1/s) copies of
    each job (at most 100), for full-size quotas."""
    jobs = run.jobs
    copies = max(1, min(100, round(1.0 / run.scale)))
    horizon = float(jobs["submit"].max()) if len(jobs) else 0.0
    raw: list[Raw] = []
    skipped = 0
    cols = [jobs[c].tolist() for c in ("tenant", "n", "submit", "first", "end")]
    for i, (t, n, sub, first, end) in enumerate(zip(*cols, strict=True)):
        if first != first:  # NaN: never started
            skipped += 1
            continue
        stop = end if end == end else max(horizon, first)
        for k in range(copies):
            raw.append((f"{i}-{k}", str(run.tenants[int(t)]), float(sub),
                        float(stop - first), float(n), 0, ""))
    return _history(raw, skipped, run.source)
