"""Failures and repairs in the national twin: an event source and a meter.

The failure stream of :func:`aifab.reliability.failure_events` is drawn once per run over
the twin's powered pools (one reliability pool per twin pool, with the layout of its
catalogue system: 8-GPU servers, NVL72 trays and racks, single cards) from its own
generator (seed ``[sim.seed, 7]``), so turning failures on does not change the arrival
streams. Only a cursor into it lives in the event queue (kind ``failure``, payload: the
event index); repairs are kind ``repair`` with a :class:`._events.Repair` payload (pool,
domain, accelerators); kinds from :mod:`._events`.

Per twin domain the observer keeps the accelerators in repair (``broken``) and the hot
spares held back from allocation (``held``); for every domain ``free + held + broken +
allocated`` is its size, and the queue policy only ever allocates ``free``.

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
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from aifab.catalog import Catalog, default_catalog
from aifab.reliability import CLASSES, PoolSpec, failure_events, failure_model, family_of
from aifab.reliability import FailureModel as FailureModel
from aifab.sim.national._events import DAILY, FAIL, REPAIR, Repair
from aifab.sim.national._failbook import DAILY_COLUMNS, DAY_S, Results
from aifab.sim.national._job import FAILURE, RUNNING, Job
from aifab.sim.national._observers import Observer

if TYPE_CHECKING:
    from aifab.scenario import ReliabilitySettings
    from aifab.sim.national._runner import Runner

__all__ = ["DAILY", "DAILY_COLUMNS", "FAIL", "REPAIR", "Failures", "attach", "failures_of"]


class Domains(Results):
    """What a failure does to a domain: gangs and replicas on it, spares swapped in."""

    def _held_until_now(self) -> None:
        now = self.run.now
        self.spares_acc_s += sum(self.spares) * (now - self.spares_t)
        self.spares_t = now

    def _swap_in(self, pool: int, n: int) -> None:
        """Release up to ``n`` held spares into allocation (from the last domains)."""
        fleet, held = self.run.fleet, self.held[pool]
        used = 0
        for d in np.flatnonzero(held > 0)[::-1].tolist():
            if used >= n:
                break
            r = min(int(held[d]), n - used)
            held[d] -= r
            fleet.bring_up(pool, d, r)
            used += r
        if used:
            self.spares[pool] -= used
            self.meter.spares_used += used

    def _jobs_in(self, pool: int, d: int) -> list[Job]:
        part = self.run.fleet.pool_part[pool]
        if part < 0:
            return []
        return [j for j in self.run.fleet.running[part].values()
                if j.pool == pool and j.state == RUNNING and j.doms is not None
                and bool((j.doms == d).any())]

    def _replicas_in(self, pool: int, d: int) -> list[int]:
        """Accelerators of inference replicas in domain ``d`` of ``pool``, per service."""
        out = []
        for svc, ss in zip(self.run.twin.services, self.run.services.per_service, strict=True):
            size = next((r[1] for r in svc.replica if r[0] == pool), 0)
            out.append(size * ss.reps.get(pool, []).count(d))
        return out

    def _hit(self, pool: int, d: int, pos: int) -> Job | int | None:
        """What holds the ``pos``-th healthy accelerator of domain ``d``: a gang, the
        index of the service whose replica it serves, or None (idle)."""
        for job in self._jobs_in(pool, d):
            assert job.doms is not None and job.cnt is not None
            c = int(job.cnt[np.flatnonzero(job.doms == d)].sum())
            if pos < c:
                return job
            pos -= c
        for s, n in enumerate(self._replicas_in(pool, d)):
            if pos < n:
                return s
            pos -= n
        return None

    def _interrupt(self, job: Job, cause: str) -> None:
        """Stop a gang under a failure: it resumes from its last checkpoint."""
        run, now = self.run, self.run.now
        speed = run.twin.pools[job.pool].speed
        ran = max(0.0, now - job.start - job.ran_restart)
        done = ran * speed
        tau, w = self.interval_s(job), self.model.checkpoint_write_s
        lost = done if math.isinf(tau) else (ran % (tau + w)) * speed
        core_lost = min(done, run.twin.classes[job.cls].checkpoint_h * 3600.0 / 2)
        self._failing.add(job.id)
        self._segment(job, now, lost, other=False)
        run.ops.interrupt(job, FAILURE)
        self._failing.discard(job.id)
        job.work += lost - core_lost
        job.restart = self.model.restart_s
        self.stopped[job.id] = now
        self.interrupted += 1
        self.meter.interruption(cause, run.twin.class_names[job.cls])
        self._day["counts"][cause] += 1  # type: ignore[index]
        self.tenant_meter.interruption(cause, run.twin.tenants[job.tenant].name)

    def _drop_replicas(self, pool: int, d: int, acc: int, first: int = 0) -> None:
        """Remove replicas in domain ``d`` (service ``first``'s, then the others' in
        order) until they free at least ``acc`` accelerators; book the demand they
        carried until the autoscaler's next tick as unmet."""
        run, tw = self.run, self.run.twin
        iv = tw.settings.scale_interval_h * 3600.0
        nxt = min((math.floor(run.now / iv) + 1) * iv, tw.horizon_s)
        order = [first, *(i for i in range(len(tw.services)) if i != first)]
        for i in order:
            if acc <= 0:
                return
            svc, ss = tw.services[i], run.services.per_service[i]
            doms = ss.reps.get(pool)
            if not doms or d not in doms:
                continue
            size, cap = next((r[1], r[2]) for r in svc.replica if r[0] == pool)
            k = min(doms.count(d), -(-acc // size))
            for _ in range(k):  # the last ones placed in the domain
                del doms[len(doms) - 1 - doms[::-1].index(d)]
            run.ops.release_replicas(pool, [d] * k, size)
            acc -= k * size
            self.removed_replicas += k
            if run.now >= tw.warmup_s:
                lost = k * cap * run.services.load[svc.index] * (nxt - run.now)
                lost = min(lost, ss.served_tok)
                ss.served_tok -= lost
                ss.unmet_tok += lost
                self.unmet_tok += lost


class Failures(Domains):
    """Draws failures, applies them to the run and books what they cost."""

    def __init__(self, run: Runner, settings: ReliabilitySettings,
                 catalog: Catalog | None = None, model: FailureModel | None = None) -> None:
        self.run = run
        tw = run.twin
        cat = catalog or default_catalog()
        self.model = fm = model or failure_model(settings)
        self.intervals_h = dict(settings.checkpoint_interval_h)
        specs, self.slot_acc = [], []
        shares = settings.owner_spares_share
        for p in tw.pools:
            sysm, acc = cat.system(p.system), cat.accelerator(p.accelerator)
            lay = fm.layout_for(sysm.form, sysm.accelerators_per_system)
            fam = family_of(acc.id, acc.kind)
            spec = PoolSpec(str(p.index), p.accelerators, lay, fam, owner=p.owner)
            share = shares.get(p.owner, fm.spares_share)
            specs.append(PoolSpec(spec.name, spec.accelerators, lay, fam, owner=p.owner,
                                  spare_slots=math.floor(spec.slots * share)))
            self.slot_acc.append(lay.slot_accelerators)
        self.family = [s.family for s in specs]
        self.rate = [fm.total_rate(s.family) for s in specs]
        rng = np.random.default_rng([tw.settings.seed, 7])
        self.events = list(failure_events(specs, tw.horizon_s, rng, fm))
        self.u = rng.random(len(self.events))  # where in its domain each failure hits
        self.target = [s.spare_slots * s.layout.slot_accelerators for s in specs]
        self.broken = [np.zeros(p.domains, dtype=np.int64) for p in tw.pools]
        self.held = [np.zeros(p.domains, dtype=np.int64) for p in tw.pools]
        self.spares = [0] * len(tw.pools)
        for i, p in enumerate(tw.pools):  # hold the spares: whole domains from the end
            need = min(self.target[i], p.accelerators)
            for d in range(p.domains - 1, -1, -1):
                if need <= 0:
                    break
                h = min(p.domain_size, need)
                run.fleet.take_down(i, d, h)
                self.held[i][d] = h
                need -= h
            self.spares[i] = int(self.held[i].sum())
        self.cursor = 0
        self.spares_acc_s, self.spares_t = 0.0, 0.0  # integral of spares held, since when
        self.stopped: dict[int, float] = {}  # interrupted job -> when (for ETTR's wall)
        self._failing: set[int] = set()
        self.interrupted = 0
        self._new_meters(0.0)
        self.repair_acc_s = 0.0  # in the measured window, booked at failure time
        self.unmet_tok = 0.0
        self.removed_replicas = 0
        self.other_acc_s: dict[str, float] = {}  # preemption losses (not failures)
        self.rows: list[tuple[float, ...]] = []
        self._day = {"counts": dict.fromkeys(CLASSES, 0), "hands_on_h": 0.0}
        if self.events:
            run.events.push(self.events[0].time_s, FAIL, 0)
        run.events.push(tw.warmup_s + DAY_S, DAILY, None)

    def on_fail(self, payload: object) -> None:
        k = int(payload)  # type: ignore[call-overload]
        ev = self.events[k]
        self.cursor = k + 1
        if k + 1 < len(self.events):
            self.run.events.push(self.events[k + 1].time_s, FAIL, k + 1)
        pool = int(ev.pool)
        tw, run = self.run.twin, self.run
        D = tw.pools[pool].domain_size
        sa = self.slot_acc[pool]
        want: dict[int, int] = {}
        for s in ev.slots:
            lo, hi = s * sa, min((s + 1) * sa, tw.pools[pool].accelerators)
            for a0 in range(lo, hi):
                want[a0 // D] = want.get(a0 // D, 0) + 1
        hit_dom = ev.hit_slot * sa // D
        healthy = D - int(self.broken[pool][hit_dom])
        if healthy <= 0:
            return  # broken hardware does not fail again
        pos = int(self.u[k] * healthy)
        victim = self._hit(pool, hit_dom, pos)
        if not ev.hardware and not isinstance(victim, Job):
            return  # software fails only where a job runs
        self.meter.failure(ev)
        self._day["hands_on_h"] += ev.hands_on_h  # type: ignore[operator]
        if isinstance(victim, Job):
            self._interrupt(victim, ev.cause)
        elif victim is not None:  # the replica holding the hit accelerator
            self._drop_replicas(pool, hit_dom, 1, first=victim)
        st = run.fleet.pools[pool]
        self._held_until_now()
        down_total = 0
        for d, n in want.items():
            n = min(n, D - int(self.broken[pool][d]))
            if n <= 0:
                continue
            if st.free[d] + self.held[pool][d] < n:
                for job in self._jobs_in(pool, d):
                    self._interrupt(job, ev.cause)
                    if st.free[d] + self.held[pool][d] >= n:
                        break
            if st.free[d] + self.held[pool][d] < n:  # only the replicas in the way
                self._drop_replicas(pool, d, n - int(st.free[d] + self.held[pool][d]))
            n = min(n, int(st.free[d] + self.held[pool][d]))
            from_free = min(n, int(st.free[d]))
            run.fleet.take_down(pool, d, from_free)
            self.held[pool][d] -= n - from_free
            self.spares[pool] -= n - from_free
            self.broken[pool][d] += n
            down_total += from_free  # failed spares need no replacement
            run.events.push(run.now + ev.repair_s, REPAIR, Repair(pool, d, n))
            end = min(run.now + ev.repair_s, tw.horizon_s)
            self.repair_acc_s += n * max(0.0, end - max(run.now, tw.warmup_s))
        self._swap_in(pool, down_total)

    def on_repair(self, payload: Repair) -> None:
        pool, d, n = payload
        self._held_until_now()
        self.broken[pool][d] -= n
        refill = min(n, max(0, self.target[pool] - self.spares[pool]))
        self.held[pool][d] += refill
        self.spares[pool] += refill
        self.run.fleet.bring_up(pool, d, n - refill)


def attach(run: Runner, settings: ReliabilitySettings | None,
           catalog: Catalog | None = None) -> Failures | None:
    """Add failures to ``run`` when ``settings`` enable them; the observer or None."""
    if settings is None or not settings.enabled:
        return None
    fails = Failures(run, settings, catalog)
    run.add(fails, {FAIL: fails.on_fail, REPAIR: fails.on_repair, DAILY: fails.on_daily})
    return fails


def failures_of(observers: Iterable[Observer]) -> Failures | None:
    """The run's failure observer, if it has one."""
    return next((o for o in observers if isinstance(o, Failures)), None)
