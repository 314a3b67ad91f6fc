"""Accounting of the twin's failures: what each gang segment did (useful, checkpoint
writes, lost work, restarts), ETTR per class and tenant, the daily table, the
``reliability`` JSON block and the failure model's checkpoint state (as data). The event
source itself is :mod:`._failures`."""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aifab.reliability import (
    CLASSES,
    FailureModel,
    ReliabilityMeter,
    job_mtti_s,
    young_daly_interval_s,
)
from aifab.sim.national._events import DAILY
from aifab.sim.national._job import Job
from aifab.sim.national._observers import Observer

if TYPE_CHECKING:
    from aifab.sim.national._runner import Runner

DAY_S = 86400.0

#: Columns of the daily ``reliability`` table (interruptions by cause in the day ending
#: at ``day``; accelerators in repair and hot spares held then; technicians busy: the
#: hands-on hours of the day's effective failures / 24).
DAILY_COLUMNS = ("day", *CLASSES, "in_repair", "spares_held", "technicians_busy")


class Book(Observer):
    """Books every gang segment into a meter per job class and one per tenant."""

    run: Runner
    model: FailureModel
    intervals_h: dict[str, float]
    rate: list[float]
    meter: ReliabilityMeter
    tenant_meter: ReliabilityMeter
    stopped: dict[int, float]
    _failing: set[int]
    other_acc_s: dict[str, float]
    unmet_tok: float
    removed_replicas: int
    spares_acc_s: float
    spares_t: float
    spares: list[int]
    target: list[int]
    broken: list[np.ndarray]
    held: list[np.ndarray]
    rows: list[tuple[float, ...]]
    _day: dict[str, object]
    cursor: int
    interrupted: int
    repair_acc_s: float

    def _new_meters(self, start_s: float) -> None:
        acc = sum(p.accelerators for p in self.run.twin.pools)
        self.meter = ReliabilityMeter(acc, start_s=start_s)
        self.tenant_meter = ReliabilityMeter(acc, start_s=start_s)

    # -- helpers -------------------------------------------------------------------------
    def interval_s(self, job: Job) -> float:
        """Compute time between checkpoints of ``job``: the class's, else Young/Daly."""
        name = self.run.twin.class_names[job.cls]
        if name in self.intervals_h:
            return self.intervals_h[name] * 3600.0
        mtti = job_mtti_s(job.n, self.rate[job.pool] if job.pool >= 0 else 0.0)
        if math.isinf(mtti):
            return math.inf
        return young_daly_interval_s(self.model.checkpoint_write_s, mtti)

    def _book(self, job: Job, **acc_s: float) -> None:
        tw = self.run.twin
        self.meter.book(tw.class_names[job.cls], **acc_s)
        self.tenant_meter.book(tw.tenants[job.tenant].name, **acc_s)

    def _segment(self, job: Job, now: float, lost_ref: float, other: bool) -> None:
        """Book a gang's segment [job.start, now): restart, then compute (useful and
        checkpoint writes) of which ``lost_ref`` reference-seconds are lost."""
        ran = max(0.0, now - job.start)
        speed = self.run.twin.pools[job.pool].speed
        restart = min(ran, job.ran_restart)
        lost = min(ran - restart, lost_ref / speed)
        kept = ran - restart - lost
        tau, w = self.interval_s(job), self.model.checkpoint_write_s
        ck = 0.0 if math.isinf(tau) else kept * w / (tau + w)
        n = job.n
        if other:  # a preemption's loss: allocated, not useful, not a failure's cost
            name = self.run.twin.class_names[job.cls]
            self.other_acc_s[name] = self.other_acc_s.get(name, 0.0) + n * (restart + lost)
            self._book(job, useful=n * (kept - ck), checkpoint=n * ck, wall=n * ran)
        else:
            self._book(job, useful=n * (kept - ck), checkpoint=n * ck, lost=n * lost,
                       restart=n * restart, wall=n * ran)

    # -- observer hooks ------------------------------------------------------------------
    def on_start(self, job: Job, multi_domain: bool, spilled: bool) -> None:
        t = self.stopped.pop(job.id, None)
        if t is not None:
            self._book(job, wall=job.n * (self.run.now - max(t, self.meter.start_s)))

    def on_requeue(self, job: Job) -> None:
        now = self.run.now
        if job.id in self._failing:
            return  # booked by _interrupt
        ran = max(0.0, now - job.start - job.ran_restart)
        done = ran * self.run.twin.pools[job.pool].speed
        lost = min(done, self.run.twin.classes[job.cls].checkpoint_h * 3600.0 / 2)
        self._segment(job, now, lost, other=True)

    def on_complete(self, job: Job) -> None:
        self._segment(job, self.run.now, 0.0, other=False)

    def on_warm(self) -> None:
        self._new_meters(self.run.now)
        self.spares_acc_s, self.spares_t = 0.0, self.run.now
        self.rows = []
        self._day = {"counts": dict.fromkeys(CLASSES, 0), "hands_on_h": 0.0}
        self.other_acc_s = {}
        self.unmet_tok = 0.0
        self.removed_replicas = 0

    def _row(self, now: float) -> tuple[float, ...]:
        d, start = self._day, self.run.twin.warmup_s
        last = self.rows[-1][0] * DAY_S if self.rows else 0.0
        span_h = max(now - start - last, 1e-9) / 3600.0
        busy = float(d["hands_on_h"]) / span_h  # type: ignore[arg-type]
        counts: dict[str, int] = d["counts"]  # type: ignore[assignment]
        return ((now - start) / DAY_S, *(float(counts[c]) for c in CLASSES),
                float(sum(int(b.sum()) for b in self.broken)), float(sum(self.spares)), busy)

    def on_daily(self, _: object) -> None:
        """A row of the daily table (days counted from the end of the warm-up)."""
        now = self.run.now
        row = self._row(now)
        self.rows.append(row)
        self.meter.technicians(now, row[-1])
        self._day = {"counts": dict.fromkeys(CLASSES, 0), "hands_on_h": 0.0}
        if now + DAY_S < self.run.twin.horizon_s + 1e-6:
            self.run.events.push(now + DAY_S, DAILY, None)

    def frame(self) -> pd.DataFrame:
        """The daily table (see :data:`DAILY_COLUMNS`), a last partial day included."""
        rows = list(self.rows)
        now, start = self.run.now, self.run.twin.warmup_s
        if now > start and (not rows or now - start > rows[-1][0] * DAY_S + 1e-6):
            rows.append(self._row(now))
        return pd.DataFrame(rows, columns=list(DAILY_COLUMNS))



class Results(Book):
    """The ``reliability`` block and the checkpoint state."""

    def report(self) -> dict[str, Any]:
        """The ``reliability`` block of the run's JSON (open segments booked as of now,
        without changing the run)."""
        run, now = self.run, self.run.now
        saved = (self.meter, self.tenant_meter)
        self.meter, self.tenant_meter = copy.deepcopy(saved[0]), copy.deepcopy(saved[1])
        try:
            for part in run.fleet.running:
                for job in part.values():
                    self._segment(job, now, 0.0, other=False)
            for jid, t in self.stopped.items():
                waiting = run.ops.jobs.get(jid)
                if waiting is not None:
                    self._book(waiting, wall=waiting.n * (now - max(t, self.meter.start_s)))
            m, tm = self.meter, self.tenant_meter
            m.repair_acc_s = self.repair_acc_s
            out = m.to_dict(now)
        finally:
            self.meter, self.tenant_meter = saved
        other = sum(self.other_acc_s.values())
        useful = sum(r["useful"] for r in m.acc_s.values())
        alloc = sum(sum(r[k] for k in ("useful", "checkpoint", "lost", "restart", "idle"))
                    for r in m.acc_s.values()) + other
        out.update({
            "enabled": True,
            "goodput": useful / alloc if alloc else 0.0,
            "ettr_by_tenant": tm.to_dict(now)["ettr"],
            "accelerator_hours": {
                **{k: sum(r[k] for r in m.acc_s.values()) / 3600.0
                   for k in ("useful", "checkpoint", "lost", "restart", "idle")},
                "preemption_loss": other / 3600.0, "allocated": alloc / 3600.0},
            "checkpoint_interval_h": {
                c: v for c, v in self.intervals_h.items()} or "young-daly",
            "spares_held": int(sum(self.spares)),
            "spares_held_share": (self.spares_acc_s + sum(self.spares) * (now - self.spares_t))
            / max(self.meter.accelerators * (now - self.meter.start_s), 1e-9),
            "spares_target": int(sum(self.target)),
            "in_repair_now": int(sum(int(b.sum()) for b in self.broken)),
            "replicas_removed": self.removed_replicas,
            "inference_unmet_tokens": self.unmet_tok,
        })
        return out

    # -- checkpoints -----------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Everything a resumed run needs (the event list is drawn again from the seed)."""
        doc = {"cursor": self.cursor, "spares": self.spares,
               "stopped": [[k, v] for k, v in self.stopped.items()],
               "interrupted": self.interrupted, "repair_acc_s": self.repair_acc_s,
               "unmet_tok": self.unmet_tok, "removed_replicas": self.removed_replicas,
               "other_acc_s": self.other_acc_s, "day": self._day,
               "spares_acc_s": self.spares_acc_s, "spares_t": self.spares_t,
               "meter": asdict(self.meter), "tenant_meter": asdict(self.tenant_meter)}
        arrays: dict[str, np.ndarray] = {f"fail.broken.{i}": b
                                         for i, b in enumerate(self.broken)}
        arrays["fail.rows"] = np.array(self.rows, dtype=np.float64).reshape(
            len(self.rows), len(DAILY_COLUMNS))
        arrays.update({f"fail.held.{i}": h for i, h in enumerate(self.held)})
        return doc, arrays

    def restore(self, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.cursor = int(doc["cursor"])
        self.spares = [int(x) for x in doc["spares"]]
        self.stopped = {int(k): float(v) for k, v in doc["stopped"]}
        self.interrupted = int(doc["interrupted"])
        self.repair_acc_s, self.unmet_tok = float(doc["repair_acc_s"]), float(doc["unmet_tok"])
        self.removed_replicas = int(doc["removed_replicas"])
        self.spares_acc_s, self.spares_t = float(doc["spares_acc_s"]), float(doc["spares_t"])
        self.other_acc_s = {str(k): float(v) for k, v in doc["other_acc_s"].items()}
        self.meter, self.tenant_meter = _meter(doc["meter"]), _meter(doc["tenant_meter"])
        self._day = {"counts": {str(k): int(v) for k, v in doc["day"]["counts"].items()},
                     "hands_on_h": float(doc["day"]["hands_on_h"])}
        self.rows = [tuple(float(x) for x in row) for row in arrays["fail.rows"]]
        for i in range(len(self.broken)):
            self.broken[i] = arrays[f"fail.broken.{i}"].astype(np.int64).copy()
            self.held[i] = arrays[f"fail.held.{i}"].astype(np.int64).copy()


def _meter(d: dict[str, Any]) -> ReliabilityMeter:
    names = {f.name for f in fields(ReliabilityMeter)}
    m = ReliabilityMeter(**{k: v for k, v in d.items() if k in names})
    m.technicians_series = [(float(a), float(b)) for a, b in m.technicians_series]
    return m
