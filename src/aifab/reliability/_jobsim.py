"""Job-level Monte Carlo: a few gangs on one pool with hot spares, under the failure stream.

An interruption stops the whole gang. The gang first hangs, holding all its slots (the
failed ones included), for the failure class's detection time (``FailureModel.detect_for``:
a collective timeout or a health check); then its failed slots go to repair, it takes
replacements from free healthy slots (hot spares) or waits for repairs, pays a restart,
and resumes from its last checkpoint. A slot whose hardware fails repeatedly is excluded
and replaced (:class:`RepeatOffenders`, the twin's rule and parameters). Accounting, per
gang, in accelerator-seconds: allocated = useful + checkpoint + lost + detect + restart +
idle (holding slots while waiting).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aifab._eventq import EventQueue
from aifab.errors import BadInput
from aifab.reliability._events import FailureEvent, PoolSpec, failure_events
from aifab.reliability._formulas import DAY_S, job_mtti_s, young_daly_interval_s
from aifab.reliability._meter import ReliabilityMeter
from aifab.reliability._model import CLASSES, FailureModel, failure_model
from aifab.reliability._offenders import RepeatOffenders

_REPAIR, _RESTART, _FAIL, _DETECT = 0, 1, 2, 3
_RUN, _RESTARTING, _WAIT, _HANG = "running", "restarting", "waiting", "hung"
#: Accounting categories of a gang (accelerator-seconds).
_ACC = ("useful", "checkpoint", "lost", "detect", "restart", "idle")


@dataclass(frozen=True)
class GangSpec:
    """A gang-scheduled job; None fields take the model's defaults (interval: Young/Daly)."""

    name: str
    accelerators: int
    interval_s: float | None = None
    write_s: float | None = None
    restart_s: float | None = None


@dataclass(frozen=True)
class GangResult:
    """What one gang got out of its allocation (accelerator-hours)."""

    name: str
    accelerators: int
    interval_s: float
    interruptions: int
    by_cause: dict[str, int]
    allocated_ah: float
    useful_ah: float
    checkpoint_ah: float
    lost_ah: float
    restart_ah: float
    idle_ah: float
    ettr: float
    spares_used: int
    detect_ah: float = 0.0  # hung until the failure was detected


@dataclass(frozen=True)
class Audit:
    """Per-slot allocation and repair intervals (s), and the interruptions (gang index,
    time, cause), for invariant checks."""

    allocations: list[tuple[int, float, float, int]] = field(default_factory=list)
    repairs: list[tuple[int, float, float]] = field(default_factory=list)
    interruptions: list[tuple[int, float, str]] = field(default_factory=list)


@dataclass(frozen=True)
class JobSimResult:
    """Outcome of one replication of ``simulate_jobs``."""

    pool: str
    accelerators: int
    horizon_s: float
    gangs: tuple[GangResult, ...]
    failures: int
    interruptions: int
    by_cause: dict[str, int]
    allocated_ah: float
    goodput: float
    lost_accelerator_hours: float
    in_repair_share: float
    spares_used: int
    technician_hours: float
    technician_hours_by_day: tuple[float, ...]
    events: int = 0  # heap events processed (failures, repairs, restarts)
    reliability: dict[str, Any] = field(default_factory=dict)  # ReliabilityMeter.to_dict
    audit: Audit | None = None

    @property
    def days(self) -> float:
        """Horizon in days."""
        return self.horizon_s / DAY_S

    def to_dict(self) -> dict[str, Any]:
        """The ``reliability`` block (``ReliabilityMeter`` keys, as in the twin's JSON),
        with the pool and per-gang detail."""
        return {**self.reliability, "pool": self.pool, "accelerators": self.accelerators,
                "gangs": [vars(g) for g in self.gangs]}


class _Gang:
    def __init__(self, spec: GangSpec, need: int, n_acc: int, tau: float, write_s: float,
                 restart_s: float) -> None:
        self.spec, self.need, self.n_acc = spec, need, n_acc
        self.tau, self.delta, self.restart_s = tau, write_s, restart_s
        self.held: set[int] = set()
        self.state, self.mark, self.version = _RUN, 0.0, 0
        self.acc = dict.fromkeys(_ACC, 0.0)
        self.causes = dict.fromkeys(CLASSES, 0)
        self.spares_used = 0
        self.hang_end = 0.0  # while hung: when the failure is detected
        self.pending: list[int] = []  # failed slots it holds until then

    def book(self, dt: float, held_acc: int, final: bool) -> None:
        """Book ``dt`` seconds in the current state (``held_acc``: what a waiting gang
        holds idle); ``final``: the horizon, where a running segment's work is kept."""
        if self.state == _RUN:
            cyc = self.tau + self.delta
            k = math.floor(dt / cyc)
            rem = dt - k * cyc
            useful, ckpt = k * self.tau, k * self.delta
            if final:
                useful, ckpt = useful + min(rem, self.tau), ckpt + max(0.0, rem - self.tau)
            else:
                self.acc["lost"] += self.n_acc * rem
            self.acc["useful"] += self.n_acc * useful
            self.acc["checkpoint"] += self.n_acc * ckpt
        else:
            key = {_RESTARTING: "restart", _HANG: "detect"}.get(self.state, "idle")
            self.acc[key] += (held_acc if key == "idle" else self.n_acc) * dt


def _gang(spec: GangSpec, slot_acc: int, fm: FailureModel, family: str,
          horizon_s: float) -> _Gang:
    """A gang of whole slots with its checkpoint interval (the spec's, else Young/Daly)."""
    if spec.accelerators < 1:
        raise BadInput(f"must be at least 1, got {spec.accelerators}",
                       where=f"gangs.{spec.name}.accelerators")
    need = -(-spec.accelerators // slot_acc)
    write = fm.checkpoint_write_s if spec.write_s is None else spec.write_s
    tau = spec.interval_s or young_daly_interval_s(
        write, job_mtti_s(need * slot_acc, fm.total_rate(family)))
    return _Gang(spec, need, need * slot_acc, min(tau, horizon_s), write,
                 fm.restart_s if spec.restart_s is None else spec.restart_s)


class _Run:
    """One replication: state, the shared event core (time, kind, seq), accounting."""

    def __init__(self, pool: PoolSpec, gangs: Sequence[GangSpec], horizon_s: float,
                 fm: FailureModel, audit: bool, rng: np.random.Generator) -> None:
        lay = pool.layout
        self.pool, self.h, self.fm, self.sa = pool, horizon_s, fm, lay.slot_accelerators
        n = pool.slots
        self.slot_acc = [min(self.sa, pool.accelerators - s * self.sa) for s in range(n)]
        self.down_until = [0.0] * n
        self.down_since: list[float | None] = [None] * n
        self.owner = [-1] * n
        self.alloc_since = [0.0] * n
        self.audit = Audit() if audit else None
        self.gangs = [_gang(spec, self.sa, fm, pool.family, horizon_s) for spec in gangs]
        if sum(g.need for g in self.gangs) > n:
            raise BadInput(f"gangs need {sum(g.need for g in self.gangs)} slots, the pool has {n}",
                           where="gangs")
        self.free = set(range(n))
        for gi, g in enumerate(self.gangs):
            for s in sorted(self.free)[:g.need]:
                self._take(gi, s, 0.0)
        self.queue = EventQueue()
        self.events = 0
        self.meter = ReliabilityMeter(pool.accelerators)
        self.offenders, self.rng = RepeatOffenders(fm), rng
        self.tech_by_day = [0.0] * max(1, math.ceil(horizon_s / DAY_S))

    def _take(self, gi: int, s: int, t: float) -> None:
        self.free.discard(s)
        self.owner[s] = gi
        self.alloc_since[s] = t
        self.gangs[gi].held.add(s)

    def _release(self, s: int, t: float) -> None:
        gi = self.owner[s]
        if self.audit is not None:
            self.audit.allocations.append((s, self.alloc_since[s], t, gi))
        self.gangs[gi].held.discard(s)
        self.owner[s] = -1

    def _close(self, g: _Gang, t: float, *, final: bool = False) -> None:
        """Book the time since ``g.mark`` to its categories and move the mark to ``t``."""
        g.book(t - g.mark, sum(self.slot_acc[s] for s in g.held) if g.state == _WAIT else 0,
               final)
        g.mark = t

    def _fill(self, t: float) -> None:
        for gi, g in enumerate(self.gangs):
            if g.state != _WAIT:
                continue
            self._close(g, t)
            while len(g.held) < g.need and self.free:
                self._take(gi, min(self.free), t)
                g.spares_used += 1
                self.meter.spares_used += 1
            if len(g.held) == g.need:
                g.state = _RESTARTING
                self.queue.push(t + g.restart_s, _RESTART, (gi, g.version))

    def _fail(self, ev: FailureEvent, t: float) -> None:
        if _dropped(self, ev, t):
            return
        self.meter.failure(ev)
        repair_s, excluded = self.offenders.repair_s(0, ev, t)
        self.meter.exclusions += int(excluded)
        day = min(int(t // DAY_S), len(self.tech_by_day) - 1)
        self.tech_by_day[day] += ev.hands_on_h
        hit = sorted({self.owner[s] for s in ev.slots if self.owner[s] >= 0})
        for o in hit:
            g = self.gangs[o]
            self._close(g, t)
            if g.state in (_WAIT, _HANG):
                continue  # already stopped: not a new interruption
            g.causes[ev.cause] += 1
            self.meter.interruption(ev.cause, g.spec.name)
            g.version += 1
            if self.audit is not None:
                self.audit.interruptions.append((o, t, ev.cause))
            d = self.fm.detect_for(ev.cause)
            g.state = _HANG if d > 0 else _WAIT
            if d > 0:
                g.hang_end = t + d
                self.queue.push(g.hang_end, _DETECT, (o, g.version))
        for s in ev.slots:
            o = self.owner[s]
            hung = o >= 0 and self.gangs[o].state == _HANG
            start = self.gangs[o].hang_end if hung else t  # repair starts at detection
            until = start + repair_s
            if hung and self.down_until[s] <= t:
                self.gangs[o].pending.append(s)  # held, broken, until the hang ends
            elif self.down_since[s] is None and not hung:
                self.down_since[s] = t
                self.free.discard(s)
            if until > self.down_until[s]:
                self.down_until[s] = until
                self.queue.push(until, _REPAIR, (s, until))
            if o >= 0 and not hung:
                self._release(s, t)
        self._fill(t)

    def _detected(self, gi: int, t: float) -> None:
        """The hung gang ``gi`` is stopped: its failed slots go to repair; it waits."""
        g = self.gangs[gi]
        self._close(g, t)
        for s in g.pending:
            self._release(s, t)
            self.down_since[s] = t
        g.pending = []
        g.state = _WAIT
        self._fill(t)

    def _repaired(self, s: int, until: float, t: float) -> None:
        since = self.down_since[s]
        if self.down_until[s] != until or since is None:
            return  # superseded by a later repair of the same slot
        self.meter.in_repair(self.slot_acc[s] * (t - since))
        if self.audit is not None:
            self.audit.repairs.append((s, since, t))
        self.down_since[s] = None
        self.free.add(s)
        self._fill(t)

    def run(self, events: Iterator[FailureEvent]) -> JobSimResult:
        nxt = next(events, None)
        if nxt is not None:
            self.queue.push(nxt.time_s, _FAIL, nxt)
        queue = self.queue
        while queue and queue.peek_time() < self.h:
            t, kind, _, payload = queue.pop()
            self.events += 1
            if kind == _FAIL:
                self._fail(payload, t)
                nxt = next(events, None)
                if nxt is not None:
                    self.queue.push(nxt.time_s, _FAIL, nxt)
            elif kind == _REPAIR:
                self._repaired(payload[0], payload[1], t)
            elif kind == _DETECT:
                if self.gangs[payload[0]].version == payload[1]:
                    self._detected(payload[0], t)
            else:
                gi, ver = payload
                g = self.gangs[gi]
                if g.version == ver and g.state == _RESTARTING:
                    self._close(g, t)
                    g.state = _RUN
        return _result(self)



def _dropped(run: _Run, ev: FailureEvent, t: float) -> bool:
    """Whether ``ev`` has no effect: its hit slot is in repair (or failed and held by
    a hung gang), it was drawn at a lemon's rate on a slot since replaced (kept with
    probability 1 / multiplier, a draw made only then), or it is a job's software
    failure where no job runs."""
    if run.down_until[ev.hit_slot] > t:
        return True
    off = run.offenders
    if ev.lemon and (0, ev.hit_slot) in off.replaced and off.thinned(
            0, ev, float(run.rng.random())):
        return True
    gi = run.owner[ev.hit_slot]
    return not ev.hardware and (gi < 0 or run.gangs[gi].state in (_WAIT, _HANG))


def _result(run: _Run) -> JobSimResult:
    """Close every gang's accounting at the horizon and gather the replication's result."""
    h = run.h
    for g in run.gangs:
        run._close(g, h, final=True)
    for s, since in enumerate(run.down_since):
        if since is not None:
            run.meter.in_repair(run.slot_acc[s] * (h - since))
            if run.audit is not None:
                run.audit.repairs.append((s, since, h))
    for s, o in enumerate(run.owner):
        if o >= 0 and run.audit is not None:
            run.audit.allocations.append((s, run.alloc_since[s], h, o))
    gangs = []
    for g in run.gangs:
        run.meter.book(g.spec.name, wall=g.n_acc * h, **g.acc)
        a = {k: v / 3600.0 for k, v in g.acc.items()}
        alloc = sum(a.values())
        gangs.append(GangResult(
            name=g.spec.name, accelerators=g.n_acc, interval_s=g.tau,
            interruptions=sum(g.causes.values()), by_cause=dict(g.causes),
            allocated_ah=alloc, useful_ah=a["useful"], checkpoint_ah=a["checkpoint"],
            lost_ah=a["lost"], restart_ah=a["restart"], idle_ah=a["idle"],
            ettr=a["useful"] / (g.n_acc * h / 3600.0), spares_used=g.spares_used,
            detect_ah=a["detect"]))
    alloc = sum(g.allocated_ah for g in gangs)
    by_cause = {c: sum(g.by_cause[c] for g in gangs) for c in CLASSES}
    tech = sum(run.tech_by_day)
    m = run.meter
    return JobSimResult(
        pool=run.pool.name, accelerators=run.pool.accelerators, horizon_s=h,
        gangs=tuple(gangs), failures=m.failures, interruptions=sum(by_cause.values()),
        by_cause=by_cause, allocated_ah=alloc,
        goodput=sum(g.useful_ah for g in gangs) / alloc if alloc else 0.0,
        lost_accelerator_hours=sum(g.lost_ah + g.detect_ah + g.restart_ah for g in gangs),
        in_repair_share=m.repair_acc_s / (run.pool.accelerators * h),
        spares_used=sum(g.spares_used for g in gangs), technician_hours=tech,
        technician_hours_by_day=tuple(run.tech_by_day), events=run.events,
        reliability=m.to_dict(h), audit=run.audit)


def simulate_jobs(pool: PoolSpec, gangs: Sequence[GangSpec], horizon_s: float,
                  rng: np.random.Generator, model: FailureModel | None = None, *,
                  audit: bool = False,
                  events: Iterable[FailureEvent] | None = None) -> JobSimResult:
    """Run ``gangs`` on ``pool`` for ``horizon_s`` under failures drawn from ``rng``.

    Gangs take the pool's lowest slots in order at time 0; the remaining slots are hot
    spares. With ``audit`` the result keeps every allocation and repair interval.
    ``events`` (in time order) replaces the drawn stream: a deterministic failure source,
    e.g. to put the same failures through the twin (tests).
    """
    if not horizon_s > 0:
        raise BadInput(f"must be positive, got {horizon_s}", where="horizon_s")
    fm = model or failure_model()
    run = _Run(pool, gangs, horizon_s, fm, audit, rng)
    if events is not None:
        return run.run(iter(events))
    return run.run(failure_events([pool], horizon_s, rng, fm))
