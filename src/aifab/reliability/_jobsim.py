"""Job-level Monte Carlo: a few gangs on one pool with hot spares, under the failure stream.

An interruption stops the whole gang; its failed slots go to repair, the gang takes
replacements from free healthy slots (hot spares) or waits for repairs, pays a restart,
then resumes from its last checkpoint. Accounting, per gang, in accelerator-seconds:
allocated = useful + checkpoint + lost + restart + idle (holding slots while waiting).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aifab._eventq import EventQueue
from aifab.errors import BadInput
from aifab.reliability._events import FailureEvent, PoolSpec, failure_events
from aifab.reliability._formulas import DAY_S, job_mtti_s, young_daly_interval_s
from aifab.reliability._meter import ReliabilityMeter
from aifab.reliability._model import CLASSES, FailureModel, failure_model

_REPAIR, _RESTART, _FAIL = 0, 1, 2
_RUN, _RESTARTING, _WAIT = "running", "restarting", "waiting"


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


@dataclass(frozen=True)
class Audit:
    """Per-slot allocation and repair intervals (s), for invariant checks."""

    allocations: list[tuple[int, float, float, int]] = field(default_factory=list)
    repairs: list[tuple[int, float, float]] = field(default_factory=list)


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
        self.acc = dict.fromkeys(("useful", "checkpoint", "lost", "restart", "idle"), 0.0)
        self.causes = dict.fromkeys(CLASSES, 0)
        self.spares_used = 0


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
                 fm: FailureModel, audit: bool) -> None:
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
        self.tech_by_day = [0.0] * max(1, math.ceil(horizon_s / DAY_S))

    def _push(self, t: float, kind: int, payload: Any) -> None:
        self.queue.push(t, kind, payload)

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
        dt = t - g.mark
        if g.state == _RUN:
            cyc = g.tau + g.delta
            k = math.floor(dt / cyc)
            rem = dt - k * cyc
            useful, ckpt = k * g.tau, k * g.delta
            if final:
                useful, ckpt = useful + min(rem, g.tau), ckpt + max(0.0, rem - g.tau)
            else:
                g.acc["lost"] += g.n_acc * rem
            g.acc["useful"] += g.n_acc * useful
            g.acc["checkpoint"] += g.n_acc * ckpt
        elif g.state == _RESTARTING:
            g.acc["restart"] += g.n_acc * dt
        else:
            g.acc["idle"] += sum(self.slot_acc[s] for s in g.held) * dt
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
                self._push(t + g.restart_s, _RESTART, (gi, g.version))

    def _fail(self, ev: FailureEvent, t: float) -> None:
        if self.down_until[ev.hit_slot] > t:
            return  # hardware in repair does not fail again
        gi = self.owner[ev.hit_slot]
        if not ev.hardware and (gi < 0 or self.gangs[gi].state == _WAIT):
            return  # job software fails only where a job runs
        self.meter.failure(ev)
        day = min(int(t // DAY_S), len(self.tech_by_day) - 1)
        self.tech_by_day[day] += ev.hands_on_h
        hit = sorted({self.owner[s] for s in ev.slots if self.owner[s] >= 0})
        before = {o: self.gangs[o].state for o in hit}
        for o in hit:
            self._close(self.gangs[o], t)
        for s in ev.slots:
            until = t + ev.repair_s
            if self.down_since[s] is None:
                self.down_since[s] = t
                self.free.discard(s)
            if until > self.down_until[s]:
                self.down_until[s] = until
                self._push(until, _REPAIR, (s, until))
            if self.owner[s] >= 0:
                self._release(s, t)
        for o in hit:
            g = self.gangs[o]
            if before[o] != _WAIT:
                g.causes[ev.cause] += 1
                self.meter.interruption(ev.cause, g.spec.name)
                g.version += 1
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
            self._push(nxt.time_s, _FAIL, nxt)
        queue = self.queue
        while queue and queue.peek_time() < self.h:
            t, kind, _, payload = queue.pop()
            self.events += 1
            if kind == _FAIL:
                self._fail(payload, t)
                nxt = next(events, None)
                if nxt is not None:
                    self._push(nxt.time_s, _FAIL, nxt)
            elif kind == _REPAIR:
                self._repaired(payload[0], payload[1], t)
            else:
                gi, ver = payload
                g = self.gangs[gi]
                if g.version == ver and g.state == _RESTARTING:
                    self._close(g, t)
                    g.state = _RUN
        return _result(self)



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
            ettr=a["useful"] / (g.n_acc * h / 3600.0), spares_used=g.spares_used))
    alloc = sum(g.allocated_ah for g in gangs)
    by_cause = {c: sum(g.by_cause[c] for g in gangs) for c in CLASSES}
    tech = sum(run.tech_by_day)
    m = run.meter
    return JobSimResult(
        pool=run.pool.name, accelerators=run.pool.accelerators, horizon_s=h,
        gangs=tuple(gangs), failures=m.failures, interruptions=sum(by_cause.values()),
        by_cause=by_cause, allocated_ah=alloc,
        goodput=sum(g.useful_ah for g in gangs) / alloc if alloc else 0.0,
        lost_accelerator_hours=sum(g.lost_ah + g.restart_ah for g in gangs),
        in_repair_share=m.repair_acc_s / (run.pool.accelerators * h),
        spares_used=sum(g.spares_used for g in gangs), technician_hours=tech,
        technician_hours_by_day=tuple(run.tech_by_day), events=run.events,
        reliability=m.to_dict(h), audit=run.audit)


def simulate_jobs(pool: PoolSpec, gangs: Sequence[GangSpec], horizon_s: float,
                  rng: np.random.Generator, model: FailureModel | None = None, *,
                  audit: bool = False) -> JobSimResult:
    """Run ``gangs`` on ``pool`` for ``horizon_s`` under failures drawn from ``rng``.

    Gangs take the pool's lowest slots in order at time 0; the remaining slots are hot
    spares. With ``audit`` the result keeps every allocation and repair interval.
    """
    if not horizon_s > 0:
        raise BadInput(f"must be positive, got {horizon_s}", where="horizon_s")
    fm = model or failure_model()
    run = _Run(pool, gangs, horizon_s, fm, audit)
    return run.run(failure_events([pool], horizon_s, rng, fm))
