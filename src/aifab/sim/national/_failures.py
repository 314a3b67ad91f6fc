"""Failures and repairs in the national twin: an event source and a meter, composed of
four parts with their own state and tests: the failure source (:mod:`._failsource`),
domain health (:mod:`._health`), the goodput observer (:mod:`._goodput`) and the report
(:mod:`._failreport`, a pure function and the daily table); :mod:`._blast` finds the work
on a failed domain.

The failure stream of :func:`aifab.reliability.failure_events` is drawn once per run over
the twin's powered pools (one reliability pool per twin pool, with the layout of its
catalogue system: 8-GPU servers, NVL72 trays and racks, single cards) from its own
generator (seed ``[sim.seed, 7]``), so turning failures on does not change the arrival
streams. Only a cursor into it lives in the event queue (kind ``failure``, payload: the
event index); repairs are kind ``repair`` with a :class:`._events.Repair` payload (pool,
domain, accelerators); kinds from :mod:`._events`.

Per twin domain the observer keeps the accelerators in repair (``broken``), the hot
spares held back from allocation (``held``) and the accelerators hung gangs hold
(``hung``); for every domain ``free + held + broken + hung + allocated`` is its size, and
the queue policy only ever allocates ``free``.

A failure picks the hit accelerator uniformly among the domain's healthy ones (gangs,
inference replicas, then idle capacity, in that order): a gang hit is interrupted (it
loses the work since its last checkpoint and pays the restart overhead), replicas are
removed (the autoscaler replaces them at its next tick; the demand they carried meanwhile
is unmet), and the blast radius is then taken out of service, interrupting further gangs
of the domain, then removing further replicas, only where idle capacity does not cover it
(a 4-GPU tray of a 72-GPU NVL72 rack takes out the replica it hit and as many more as its
4 accelerators need, not every replica in the rack). Software failures count only
where they hit a gang. Hot spares (a share of each pool, per owner) are released as
hardware fails and refilled from repaired hardware.

An interrupted gang hangs until its failure is detected (:mod:`._hangs`): it holds all
its accelerators (``hung``), the failed ones included, and the job stays out of every
queue until then; at detection the failed ones go to repair (their repair starts when the
failure is known, as in the job Monte Carlo) and the rest are freed. Failed accelerators
no gang held go to repair at the failure. With detection 0 it is queued again at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aifab.catalog import Catalog, default_catalog
from aifab.reliability import FailureModel as FailureModel
from aifab.reliability import RepeatOffenders, failure_model
from aifab.sim.national._blast import Blast
from aifab.sim.national._events import DAILY, DETECT, FAIL, REPAIR, Repair
from aifab.sim.national._failreport import (
    DAILY_COLUMNS,
    DAY_S,
    DailyTable,
    RunFigures,
    reliability_block,
)
from aifab.sim.national._failsource import FailureSource
from aifab.sim.national._goodput import Goodput
from aifab.sim.national._hangs import Hangs
from aifab.sim.national._health import DomainHealth
from aifab.sim.national._job import HUNG, Job
from aifab.sim.national._observers import Observer

if TYPE_CHECKING:
    from aifab.scenario import ReliabilitySettings
    from aifab.sim.national._protocol import RunContext

__all__ = ["DAILY", "DAILY_COLUMNS", "DETECT", "FAIL", "REPAIR", "Failures", "attach",
           "failures_of"]


class Failures(Observer):
    """Draws failures, applies them to the run and books what they cost."""

    def __init__(self, run: RunContext, settings: ReliabilitySettings,
                 catalog: Catalog | None = None, model: FailureModel | None = None) -> None:
        self.run = run
        tw = run.twin
        self.model = fm = model or failure_model(settings)
        self.intervals_h = dict(settings.checkpoint_interval_h)
        self.source = src = FailureSource(tw.pools, tw.horizon_s, tw.settings.seed, fm,
                                          catalog or default_catalog(),
                                          settings.owner_spares_share)
        self.health = DomainHealth(run.fleet, tw.pools, src.target)
        self.goodput = Goodput(tw, fm, self.intervals_h, src.rate)
        run.ops.stretch = self.goodput.regime.stretch  # checkpoint writes lengthen every gang
        self.blast, self.offenders = Blast(run), RepeatOffenders(fm)
        self.daily = DailyTable(self.health.in_repair, self.health.spares_held)
        self.repair_acc_s = 0.0  # in the measured window, booked at failure time
        # what the checkpoint and the invariants read (the parts' own lists)
        self.events, self.broken, self.held = src.events, self.health.broken, self.health.held
        self.hung, self.spares = self.health.hung, self.health.spares
        self.hangs = Hangs(run, self.health, self.goodput,
                           lambda p, d, n, r: _to_repair(self, p, d, n, r))
        if src.events:
            run.events.push(src.events[0].time_s, FAIL, 0)
        run.events.push(tw.warmup_s + DAY_S, DAILY, None)

    @property
    def hanging(self) -> dict[int, list[tuple[int, int, int, int]]]:
        """Hung gangs: job id -> (pool, domain, healthy, failed accelerators) it holds
        until detection."""
        return self.hangs.hanging

    # -- job hooks -------------------------------------------------------------------------
    def on_start(self, job: Job, multi_domain: bool, spilled: bool) -> None:
        self.goodput.started(job, self.run.now)

    def on_requeue(self, job: Job) -> None:
        self.goodput.requeued(job, self.run.now)

    def on_complete(self, job: Job) -> None:
        self.goodput.completed(job, self.run.now)

    def on_warm(self) -> None:
        now = self.run.now
        self.goodput.warm(now)
        self.health.reset_window(now)
        self.daily.rows = []
        self.daily.new_day()
        self.blast.warm()

    # -- events ----------------------------------------------------------------------------
    def _interrupt(self, job: Job, cause: str) -> None:  # it resumes from its checkpoint
        self.hangs.stopping(job)
        hangs = self.model.detect_for(cause) > 0
        self.goodput.interrupt(job, self.run.now, cause,
                               lambda: self.run.ops.interrupt(job, requeue=not hangs))
        self.daily.counts[cause] += 1

    def on_fail(self, payload: object) -> None:
        k = int(payload)  # type: ignore[call-overload]
        src, health, blast, run = self.source, self.health, self.blast, self.run
        ev = src.take(k)
        if (t_next := src.next_time(k + 1)) is not None:
            run.events.push(t_next, FAIL, k + 1)
        pool = int(ev.pool)
        if self.offenders.thinned(pool, ev, float(src.v[k])):
            return  # a replaced lemon fails at the normal rate
        hit_dom, want = src.domains(ev)
        if (healthy := _healthy(self, pool, hit_dom)) <= 0:
            return  # broken hardware does not fail again
        pos = int(src.u[k] * healthy)
        victim = blast.hit(pool, hit_dom, pos, self.hangs.healthy_in(pool, hit_dom))
        if not ev.hardware and not (isinstance(victim, Job) and victim.state != HUNG):
            return  # software fails only where a job runs (a hung one runs nothing)
        self.goodput.meter.failure(ev)
        repair_s, excluded = self.offenders.repair_s(pool, ev, run.now)
        self.goodput.meter.exclusions += int(excluded)
        self.daily.hands_on_h += ev.hands_on_h
        if isinstance(victim, Job) and victim.state != HUNG:
            self._interrupt(victim, ev.cause)
        elif isinstance(victim, Job):  # hung: detected once, it fails inside the hang
            want[hit_dom] -= self.hangs.fail_held(victim.id, pool, hit_dom, want[hit_dom],
                                                  repair_s)
        elif victim is not None:  # the replica holding the hit accelerator
            blast.drop_replicas(pool, hit_dom, 1, first=victim)
        health.advance(run.now)
        down_total, broke = _take_out(self, pool, want, ev.cause, repair_s)
        swap = self.hangs.hold(pool, broke, self.model.detect_for(ev.cause), down_total,
                               repair_s)
        for d, n in broke.items():  # what no hung gang holds: repaired from now
            _to_repair(self, pool, d, n, repair_s)
        self.goodput.meter.spares_used += health.swap_in(pool, swap)

    def on_repair(self, payload: Repair) -> None:
        pool, d, n = payload
        self.health.advance(self.run.now)
        self.health.repair(pool, d, n)

    def on_daily(self, _: object) -> None:
        """A row of the daily table (days counted from the end of the warm-up)."""
        run = self.run
        now = run.now
        row = self.daily.close_day(now, run.twin.warmup_s)
        self.goodput.meter.technicians(now, row[-1])
        if now + DAY_S < run.twin.horizon_s + 1e-6:
            run.events.push(now + DAY_S, DAILY, None)

    # -- results ---------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """The ``reliability`` block of the run's JSON (open segments booked as of now,
        without changing the run)."""
        run, now, h = self.run, self.run.now, self.health
        running = [job for part in run.fleet.running for job in part.values()]
        m, tm = self.goodput.closed(now, running, run.ops.jobs, self.repair_acc_s)
        return reliability_block(m, tm, RunFigures(
            now=now, other_acc_s=self.goodput.other_acc_s, intervals_h=self.intervals_h,
            spares_held=h.spares_held(), spares_acc_s=h.spares_acc_s_until(now),
            spares_target=h.spares_target(), in_repair_now=h.in_repair(),
            replicas_removed=self.blast.removed_replicas, unmet_tok=self.blast.unmet_tok))

    def frame(self) -> pd.DataFrame:
        """The daily table (see :data:`DAILY_COLUMNS`), a last partial day included."""
        return self.daily.frame(self.run.now, self.run.twin.warmup_s)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Everything a resumed run needs (the event list is drawn again from the seed)."""
        hdoc, arrays = self.health.state()
        day, rows = self.daily.state()
        doc = {"cursor": self.source.cursor, **hdoc, **self.goodput.state(),
               "repair_acc_s": self.repair_acc_s, "unmet_tok": self.blast.unmet_tok,
               "removed_replicas": self.blast.removed_replicas, "day": day,
               "offenders": self.offenders.state(),
               "hanging": self.hangs.state()}
        arrays["fail.rows"] = rows
        return doc, arrays

    def restore(self, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.source.cursor = int(doc["cursor"])
        self.health.restore(doc, arrays)
        self.goodput.restore(doc)
        self.repair_acc_s = float(doc["repair_acc_s"])
        self.blast.unmet_tok = float(doc["unmet_tok"])
        self.blast.removed_replicas = int(doc["removed_replicas"])
        self.daily.restore(doc["day"], arrays["fail.rows"])
        self.offenders.restore(doc["offenders"])
        self.hangs.restore(doc["hanging"])


def _to_repair(f: Failures, pool: int, d: int, n: int, repair_s: float) -> None:
    """``n`` accelerators of domain ``d`` of ``pool``, in repair now, come back ``repair_s``
    later (their in-repair hours booked now, cut to the window and the horizon)."""
    run, tw = f.run, f.run.twin
    if n <= 0:
        return
    run.events.push(run.now + repair_s, REPAIR, Repair(pool, d, n))
    end = min(run.now + repair_s, tw.horizon_s)
    f.repair_acc_s += n * max(0.0, end - max(run.now, tw.warmup_s))


def _healthy(f: Failures, pool: int, d: int) -> int:
    """Accelerators of domain ``d`` of ``pool`` a failure can hit: not in repair, and not
    failed in a hang (a hung gang's healthy accelerators can fail: it is detected once)."""
    hung = sum(n for _, n in f.hangs.healthy_in(pool, d))
    return f.health.healthy(pool, d, f.run.twin.pools[pool].domain_size) + hung


def _take_out(f: Failures, pool: int, want: dict[int, int], cause: str,
              repair_s: float) -> tuple[int, dict[int, int]]:
    """Take a failure's blast radius (``want``: accelerators per domain of ``pool``) out
    of service (into ``broken``; the caller schedules their repairs): idle capacity and
    spares first, then healthy accelerators hung gangs hold (they fail inside the hang,
    repaired from its detection for ``repair_s``), then by interrupting the gangs of the
    domain, then the replicas in the way. How many came from free capacity (they need
    replacing by spares), and how many went out per domain."""
    health, blast = f.health, f.blast
    down_total = 0
    broke: dict[int, int] = {}
    for d, n in want.items():
        n = min(n, _healthy(f, pool, d))
        for jid, _ in f.hangs.healthy_in(pool, d):
            if health.room(pool, d) >= n:
                break
            n -= f.hangs.fail_held(jid, pool, d, n - health.room(pool, d), repair_s)
        if n <= 0:
            continue
        if health.room(pool, d) < n:
            for job in blast.jobs_in(pool, d):
                f._interrupt(job, cause)
                if health.room(pool, d) >= n:
                    break
        if health.room(pool, d) < n:  # only the replicas in the way
            blast.drop_replicas(pool, d, n - health.room(pool, d))
        n = min(n, health.room(pool, d))
        broke[d] = n
        down_total += health.break_down(pool, d, n)  # failed spares need no replacement
    return down_total, broke


def attach(run: RunContext, settings: ReliabilitySettings | None,
           catalog: Catalog | None = None) -> Failures | None:
    """Add failures to ``run`` when ``settings`` enable them; the observer or None."""
    if settings is None or not settings.enabled:
        return None
    fails = Failures(run, settings, catalog)
    run.add(fails, {FAIL: fails.on_fail, REPAIR: fails.on_repair, DAILY: fails.on_daily,
                    DETECT: fails.hangs.on_detect})
    return fails


def failures_of(observers: Iterable[Observer]) -> Failures | None:
    """The run's failure observer, if it has one."""
    return next((o for o in observers if isinstance(o, Failures)), None)
