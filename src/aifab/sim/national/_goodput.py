"""The goodput observer of the twin's failure model: what each gang segment did (useful
work, checkpoint writes, work lost to a failure, restart), booked into a meter per job
class and one per tenant, and the wall time ETTR divides by (a gang's time from its start
to its end, waiting after an interruption included)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, fields
from typing import Any

from aifab.reliability import FailureModel, ReliabilityMeter, job_mtti_s, young_daly_interval_s
from aifab.sim.national._job import Job
from aifab.sim.national._model import Twin


class Regime:
    """The checkpoint regime of a run's gangs: interval, write time, what a stop loses."""

    def __init__(self, twin: Twin, model: FailureModel, intervals_h: dict[str, float],
                 rate: list[float]) -> None:
        self.twin, self.model = twin, model
        self.intervals_h, self.rate = intervals_h, rate

    def interval_s(self, job: Job) -> float:
        """Compute time between checkpoints of ``job``: the class's, else Young/Daly."""
        name = self.twin.class_names[job.cls]
        if name in self.intervals_h:
            return self.intervals_h[name] * 3600.0
        mtti = job_mtti_s(job.n, self.rate[job.pool] if job.pool >= 0 else 0.0)
        if math.isinf(mtti):
            return math.inf
        return young_daly_interval_s(self.model.checkpoint_write_s, mtti)

    def stretch(self, job: Job) -> float:
        """Wall time per unit of compute of a running gang: checkpoint writes block it,
        so a job of ``work`` runs ``work / speed x (interval + write) / interval``."""
        tau = self.interval_s(job)
        return 1.0 if math.isinf(tau) else (tau + self.model.checkpoint_write_s) / tau

    def lost_ref_s(self, job: Job, now: float) -> tuple[float, float]:
        """Reference-seconds of wall time a failure at ``now`` loses (since the last
        checkpoint), and the work the twin's core takes off for any stop (half the
        class's interval, at most the work done)."""
        speed = self.twin.pools[job.pool].speed
        ran = max(0.0, now - job.start - job.ran_restart)
        done = ran * speed / self.stretch(job)
        tau, w = self.interval_s(job), self.model.checkpoint_write_s
        lost = done if math.isinf(tau) else (ran % (tau + w)) * speed
        return lost, min(done, self.twin.classes[job.cls].checkpoint_h * 3600.0 / 2)


class Goodput:
    """Meters of a run's failure costs; the twin's job hooks feed it."""

    def __init__(self, twin: Twin, model: FailureModel, intervals_h: dict[str, float],
                 rate: list[float]) -> None:
        self.twin, self.model = twin, model
        self.regime = Regime(twin, model, intervals_h, rate)
        self.stopped: dict[int, float] = {}  # interrupted job -> when (for ETTR's wall)
        self._failing: set[int] = set()
        self.interrupted = 0
        self.other_acc_s: dict[str, float] = {}  # preemption losses (not failures)
        # A failed gang hangs for the failure's detection time, its healthy accelerators
        # held (the failed ones are in repair): booked as ``detect`` when it happens (at the
        # failure, cut to the measured window and the horizon, see :meth:`hang`).
        self.hang_acc_s = 0.0  # hangs booked in the window (detect)
        self.new_meters(0.0)

    def new_meters(self, start_s: float) -> None:
        acc = sum(p.accelerators for p in self.twin.pools)
        self.meter = ReliabilityMeter(acc, start_s=start_s)
        self.tenant_meter = ReliabilityMeter(acc, start_s=start_s)

    def warm(self, now: float) -> None:
        """The measured window starts at ``now``."""
        self.new_meters(now)
        self.other_acc_s = {}
        self.hang_acc_s = 0.0

    # -- booking -------------------------------------------------------------------------
    def book(self, job: Job, **acc_s: float) -> None:
        tw = self.twin
        self.meter.book(tw.class_names[job.cls], **acc_s)
        self.tenant_meter.book(tw.tenants[job.tenant].name, **acc_s)

    def segment(self, job: Job, now: float, lost_ref: float, other: bool) -> None:
        """Book a gang's segment [job.start, now): restart, then compute (useful and
        checkpoint writes) of which ``lost_ref`` reference-seconds are lost."""
        ran = max(0.0, now - job.start)
        speed = self.twin.pools[job.pool].speed
        restart = min(ran, job.ran_restart)
        lost = min(ran - restart, lost_ref / speed)
        kept = ran - restart - lost
        tau, w = self.regime.interval_s(job), self.model.checkpoint_write_s
        ck = 0.0 if math.isinf(tau) else kept * w / (tau + w)
        n = job.n
        if other:  # a preemption's loss: allocated, not useful, not a failure's cost
            name = self.twin.class_names[job.cls]
            self.other_acc_s[name] = self.other_acc_s.get(name, 0.0) + n * (restart + lost)
            self.book(job, useful=n * (kept - ck), checkpoint=n * ck, wall=n * ran)
        else:
            self.book(job, useful=n * (kept - ck), checkpoint=n * ck, lost=n * lost,
                      restart=n * restart, wall=n * ran)

    def interrupt(self, job: Job, now: float, cause: str, stop: Callable[[], None]) -> None:
        """A failure stops ``job`` at ``now``: book its segment, ``stop`` it (the twin's
        core frees its gang; it is queued again now, or when the failure is detected),
        make it lose the work since its last checkpoint and pay the restart when it runs
        again."""
        lost, core_lost = self.regime.lost_ref_s(job, now)
        self._failing.add(job.id)
        self.segment(job, now, lost, other=False)
        stop()
        self._failing.discard(job.id)
        job.work += lost / self.regime.stretch(job) - core_lost  # the compute in ``lost``
        job.restart = self.model.restart_s
        self.stopped[job.id] = now
        self.interrupted += 1
        self.meter.interruption(cause, self.twin.class_names[job.cls])
        self.tenant_meter.interruption(cause, self.twin.tenants[job.tenant].name)

    def hang(self, job: Job, now: float, held: int, detect_s: float) -> None:
        """The stopped ``job`` holds ``held`` healthy accelerators from ``now`` until its
        failure is detected ``detect_s`` later: booked as ``detect`` now, cut to the
        measured window and the horizon (so a gang that never runs again is charged)."""
        t = max(0.0, min(now + detect_s, self.twin.horizon_s) - max(now, self.meter.start_s))
        self.book(job, detect=held * t)
        self.hang_acc_s += held * t

    # -- job hooks -----------------------------------------------------------------------
    def started(self, job: Job, now: float) -> None:
        t = self.stopped.pop(job.id, None)
        if t is not None:
            self.book(job, wall=job.n * (now - max(t, self.meter.start_s)))

    def requeued(self, job: Job, now: float) -> None:
        if job.id in self._failing:
            return  # booked by interrupt
        ran = max(0.0, now - job.start - job.ran_restart)
        st = self.regime.stretch(job)
        done = ran * self.twin.pools[job.pool].speed / st
        lost = min(done, self.twin.classes[job.cls].checkpoint_h * 3600.0 / 2)
        self.segment(job, now, lost * st, other=True)  # the wall time of that work

    def completed(self, job: Job, now: float) -> None:
        self.segment(job, now, 0.0, other=False)

    def closed(self, now: float, running: Iterable[Job], waiting: Mapping[int, Job],
               repair_acc_s: float) -> tuple[ReliabilityMeter, ReliabilityMeter]:
        """Copies of the meters with the open segments booked as of ``now`` (the run is
        left as it is)."""
        saved = (self.meter, self.tenant_meter)
        self.meter, self.tenant_meter = copy.deepcopy(saved[0]), copy.deepcopy(saved[1])
        try:
            for job in running:
                self.segment(job, now, 0.0, other=False)
            for jid, t in self.stopped.items():
                w = waiting.get(jid)
                if w is not None:
                    self.book(w, wall=w.n * (now - max(t, self.meter.start_s)))
            m, tm = self.meter, self.tenant_meter
            m.repair_acc_s = repair_acc_s
        finally:
            self.meter, self.tenant_meter = saved
        return m, tm

    # -- checkpoints ---------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"stopped": [[k, v] for k, v in self.stopped.items()],
                "interrupted": self.interrupted, "other_acc_s": self.other_acc_s,
                "hang_acc_s": self.hang_acc_s,
                "meter": asdict(self.meter), "tenant_meter": asdict(self.tenant_meter)}

    def restore(self, doc: dict[str, Any]) -> None:
        self.stopped = {int(k): float(v) for k, v in doc["stopped"]}
        self.interrupted = int(doc["interrupted"])
        self.hang_acc_s = float(doc["hang_acc_s"])
        self.other_acc_s = {str(k): float(v) for k, v in doc["other_acc_s"].items()}
        self.meter, self.tenant_meter = _meter(doc["meter"]), _meter(doc["tenant_meter"])


def _meter(d: dict[str, Any]) -> ReliabilityMeter:
    names = {f.name for f in fields(ReliabilityMeter)}
    m = ReliabilityMeter(**{k: v for k, v in d.items() if k in names})
    m.technicians_series = [(float(a), float(b)) for a, b in m.technicians_series]
    return m
