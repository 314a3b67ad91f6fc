"""Kueue's (or KAI's) admission as the twin's queue policy (rules L1-L7, docs/sched.md).

L1 every job the twin submits becomes a one-pod-set workload of ``n`` GPUs on its tenant's
ClusterQueue, with the job's priority and its submit time as creation time; L2 once per
instant the admission engine (:class:`~._engine.Engine`) runs to a fixed point: it admits,
borrows, reclaims and preempts by the configuration (quotas, borrowing/lending limits,
preemption policies, fair-sharing weights, flavors, gangs, topology); L3 an admitted
workload starts on the pools of the owner its flavor's ``aifab.io/owner`` node label
names (else its tenant's own pools), fastest first; if no pool holds the gang now
(fragmentation, inference replicas, victims still in their grace period) it keeps its
quota and waits for pods, as a Kueue workload whose pods are not yet scheduled, and starts
when its pools free up; L4 a preempted workload's job is evicted with the twin's grace
period, its workload keeps its quota until its pods are gone (A5d: the grace period, at
least ``GONE_S``), then goes back to the engine's queue, ordered by its eviction time; L5 a job
ends: its workload finishes and frees its quota; L6 a job interrupted by a failure keeps
its admission (its pods restart) and is placed again; L7 a job on another owner's pools
counts as borrowed; L9 the run reports the instants where admission looped (victims
admitted again and preempted again until the engine's cycle limit; A27 finds the repeats);
L10 it counts the preemptions undone within their instant (the victim admitted again
before the instant ends, mostly into the quota freed for its preemptor, which waits: the
pattern of kubernetes-sigs/kueue#14543 short of the cycle limit), per ClusterQueue and
workload: each evicts a job that is admitted again at once (a loop's copies that A29
elides are left to L9); with A5d neither L9 nor L10 occurs; L11 it reports the workloads
preempted again and again over the run (Kueue's flapping, now over simulated time).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from aifab.errors import BadInput
from aifab.sched._engine import CYCLES, Engine
from aifab.sched._export import OWNER, TENANT
from aifab.sched._flaps import Flaps
from aifab.sched._model import Manifests
from aifab.sched._workload import gang

# L1: only tenants whose queue moved since they were last read are compared with their
# version (the twin's Queues.touched); False: every tenant of a touched partition (tests)
TOUCHED = True
HOLD = True  # L4: victims keep their quota until their pods are gone (False: freed at once)
# L4: the least seconds from a preemption until the victim's reservation is cleared (the
# reconciles that stop its job and see it inactive), also for a job not yet started
GONE_S = 1.0
QUEUED, RUNNING, DONE = 0, 1, 3  # aifab.sim.national's job states (its _job module)
GPU = "nvidia.com/gpu"


def _name(jid: int) -> str:
    return f"j{jid:09d}"


def _wake(run: Any, eng: Engine, wakes: set[float]) -> None:
    """A2b: have the twin schedule again when the engine's next requeue of set-aside
    workloads comes (``wakes``: the times asked for and not yet reached)."""
    wakes.discard(run.now)
    due = eng.next_requeue()
    if due is not None:
        _wake_once(run, wakes, due)


def _wake_once(run: Any, wakes: set[float], t: float) -> None:
    """Have the twin schedule at ``t`` (later than now) unless it already will."""
    if t > run.now and t not in wakes:
        wakes.add(t)
        run.wake_at(t)


class KueuePolicy:
    """A twin queue policy that admits through :class:`Engine` over manifests ``m``."""

    name = "kueue"
    lends = True

    def __init__(self, m: Manifests, tenant_queues: list[str]) -> None:
        self.m = m
        self.engine = Engine(m, topology=False)
        self.engine.compact = True  # A29: events read once; a repeat's copies counted
        self.engine.hold = HOLD  # L4: a victim's quota is held while its pods terminate
        self.stopping = Stopping()  # L4: victims whose pods are stopping
        self.flaps = Flaps()  # L11: each victim's preemptions
        self.cq_of = list(tenant_queues)  # twin tenant index -> ClusterQueue
        self.jobs: dict[str, Any] = {}  # workload name -> twin job (until it completes)
        self.known: set[int] = set()
        self.seen_ver: list[int] = [-1] * len(tenant_queues)
        self.touched = Touched()  # tenants whose queue may have moved since last read
        self.started: dict[int, int] = {}  # job id -> token it started with
        self.ends: list[tuple[float, int, int]] = []  # (end, job id, token) of started jobs
        self.placing: dict[int, tuple[Any, int]] = {}  # admitted, not running: (job, part)
        self.unready: set[int] = set()  # of those, jobs still in a grace period
        self._flavor_part: dict[str, int] | None = None
        self.preempted = self.capped = 0  # capped: runs that ended at their cycle limit (L9)
        self.undone = Undone()  # L10
        self.wakes: set[float] = set()  # A2b: times the twin will schedule again at

    # -- the QueuePolicy protocol -----------------------------------------------------
    def schedule(self, run: Any, dirty: Iterable[int]) -> None:
        parts = set(dirty)
        eng = self.engine
        eng.clock = run.now
        q, seen = run.queues, self.seen_ver
        for t in self.touched.changed(run, parts):
            if q.qver[t] != seen[t]:
                self._ingest(run, t)
        self._completions(run)
        self.stopping.gone(run, eng, self.jobs)
        c0 = eng.cycle
        events = eng.run()
        capped = eng.cycle - c0 >= CYCLES
        self.capped += capped
        self.preempted += _elided_preemptions(eng)
        stopped: set[str] = set()  # workloads whose running job a preemption stopped
        for ev in events:
            job = self.jobs.get(ev.workload)
            if job is None:
                continue
            if ev.kind == "admit":
                part = _part(self, run, job, ev.flavors)
                self.placing[job.id] = (job, part)
                parts.add(part)
            elif ev.kind == "preempt":
                self.flaps.note(ev.workload, ev.cluster_queue, run.now)
                ran = self._preempt(run, job)
                if ran:
                    stopped.add(ev.workload)
                if eng.hold:  # L4: its quota is freed once its pods are gone
                    self.stopping.add(run, ev.workload, ran, self.wakes)
        self.undone.count(events, stopped, capped)
        self._place(run, parts)
        _wake(run, eng, self.wakes)

    def state(self) -> dict[str, Any]:
        raise BadInput("a run under Kueue/KAI semantics is not checkpointed (its admission "
                       "state is not saved); run it without checkpoints", where="--kueue/--kai")

    def restore(self, state: dict[str, Any]) -> None:
        raise BadInput("a run under Kueue/KAI semantics cannot be resumed", where="--resume")

    # -- steps ------------------------------------------------------------------------
    def _ingest(self, run: Any, t: int) -> None:
        """New jobs of tenant ``t`` (appended at the back of its queues) become workloads
        (L1); a job it started that is queued again without being preempted by it was
        interrupted by a failure (requeued at the front) and is placed again (L6)."""
        q = run.queues
        self.seen_ver[t] = q.qver[t]
        new = []
        requeued = q.qlen[t] > 0 and q.head(t) is not None  # head(): drops started jobs
        for dq in q.queues[t].values():
            for job in reversed(dq):
                if job.id in self.known:
                    break
                new.append(job)
            for job in dq if requeued else ():
                if job.state != QUEUED:
                    continue
                if job.first < 0:
                    break
                tok = self.started.get(job.id)
                if tok is not None and tok != job.token:
                    del self.started[job.id]
                    self.placing[job.id] = (job, _home_or_last(run, job))
        for job in sorted(new, key=lambda j: j.id):
            self.known.add(job.id)
            name = _name(job.id)
            self.jobs[name] = job
            self.engine.submit(gang(name, self.cq_of[job.tenant], float(job.n),
                                    priority=int(job.prio), created=float(job.submit)))

    def _completions(self, run: Any) -> None:
        """Started jobs past their end (L5)."""
        ends, now = self.ends, run.now
        while ends and ends[0][0] <= now:
            _, jid, tok = heapq.heappop(ends)
            if self.started.get(jid) != tok:
                continue
            job = self.jobs[_name(jid)]
            if job.state == DONE:
                del self.started[jid]
                del self.jobs[_name(jid)]
                self.engine.finish(_name(jid))
            elif job.state == RUNNING and job.token == tok and job.end > now:
                heapq.heappush(ends, (job.end, jid, tok))  # its end moved (a pause)

    def _preempt(self, run: Any, job: Any) -> bool:
        """The engine preempted ``job``'s workload (L4); whether that stopped it running."""
        self.preempted += 1
        self.placing.pop(job.id, None)
        self.unready.discard(job.id)
        if self.started.pop(job.id, None) is None or job.state != RUNNING:
            return False
        fl = run.fleet
        have = fl.pools[job.pool].free_total + fl.reclaiming[job.pool]
        run.reclaim((job.pool,), have + job.n, [job], "kueue")
        return True

    def _place(self, run: Any, parts: set[int]) -> None:
        """Start admitted jobs whose pools changed (L3, L7)."""
        home = run.queues.home
        for jid, (job, part) in list(self.placing.items()):
            if job.state != QUEUED:
                self.unready.add(jid)
                continue
            if part not in parts and jid not in self.unready:
                continue
            self.unready.discard(jid)
            if run.try_start(job, run.partitions[part].pools,
                             borrowed=part != home[job.tenant]):
                del self.placing[jid]
                self.started[jid] = job.token
                heapq.heappush(self.ends, (job.end, jid, job.token))


def _part(pol: KueuePolicy, run: Any, job: Any, flavors: dict[str, dict[str, str]]) -> int:
    """The twin partition an admitted workload's flavors run in (L3: its GPU flavor's
    ``aifab.io/owner``; else its tenant's home)."""
    if pol._flavor_part is None:
        by_owner = {p.owner: p.index for p in run.partitions}
        pol._flavor_part = {
            f.name: by_owner[f.node_labels[OWNER]] for f in pol.m.flavors.values()
            if f.node_labels.get(OWNER) in by_owner}
    for res in flavors.values():
        fl = res.get(GPU) or next(iter(res.values()), None)
        if fl is not None and fl in pol._flavor_part:
            return pol._flavor_part[fl]
    return int(run.queues.home[job.tenant])


class Stopping:
    """L4 (A5d): the victims whose pods are stopping, by the time they are gone."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, str]] = []

    def add(self, run: Any, name: str, ran: bool, wakes: set[float]) -> None:
        """Workload ``name`` was preempted now; ``ran``: its job was running (its pods are
        gone at the end of the grace period, else within ``GONE_S``); ``wakes``: the
        policy's times to schedule at (A2b's too)."""
        t = run.now + max(run.settings.preempt_grace_s if ran else 0.0, GONE_S)
        heapq.heappush(self.heap, (t, name))
        _wake_once(run, wakes, t)

    def gone(self, run: Any, eng: Engine, jobs: dict[str, Any]) -> None:
        """The victims whose pods are gone by now: their quota is freed (a job that ended
        in its grace period finishes its workload)."""
        heap = self.heap
        while heap and heap[0][0] <= run.now:
            _, name = heapq.heappop(heap)
            if eng.ghosts and name in eng.ghosts:
                job = jobs.get(name)
                if job is not None and job.state == DONE:
                    del jobs[name]
                    eng.finish(name)
                else:
                    eng.evicted(name)


class Touched:
    """L1: per partition of the twin, the tenants whose queue may have moved since the
    policy last read them (the twin's ``Queues.touched``), and each tenant's (partition,
    place in it)."""

    def __init__(self) -> None:
        self._moved: dict[int, set[int]] | None = None
        self._rank: dict[int, tuple[int, int]] = {}

    def changed(self, run: Any, parts: set[int]) -> list[int]:
        """The tenants of partitions ``parts`` whose queue may have moved since they were
        last read, in the order of a scan of each partition's tenants: those the twin's
        queues marked touched (every tenant the first time). Only their versions need
        comparing (L1: a queue's version moves only where it marks the tenant)."""
        if not TOUCHED:
            return [t for p in parts for t in run.partitions[p].tenants]
        q = run.queues
        if self._moved is None or q.touched is None:  # (first read, or another run's queues)
            self._moved = {p.index: set(p.tenants) for p in run.partitions}
            self._rank = {t: (p.index, i) for p in run.partitions
                          for i, t in enumerate(p.tenants)}
            q.touched = set()
        moved, rank = self._moved, self._rank
        if q.touched:
            for t in q.touched:
                r = rank.get(t)
                if r is not None:
                    moved[r[0]].add(t)
            q.touched.clear()
        out: list[int] = []
        for p in parts:
            ts = moved.get(p)
            if ts:
                out += sorted(ts, key=rank.__getitem__)
                ts.clear()
        return out


def _home_or_last(run: Any, job: Any) -> int:
    """The partition a job last ran in (its home if none)."""
    for p in run.partitions:
        if job.pool in p.pools:
            return int(p.index)
    return int(run.queues.home[job.tenant])


def _elided_preemptions(eng: Engine) -> int:
    """The preemptions of a repeat's copies the engine listed and did not make (A29).
    They change nothing in the twin once their period's events are taken: the victims
    were evicted the first time, and an admission only sets where its job runs."""
    return sum(m * sum(e.kind == "preempt" for e in period)
               for _, period, m, _ in eng.elided)


class Undone:
    """L10: the preemptions undone within their instant, per victim's ClusterQueue and per
    victim, and the instants with one."""

    def __init__(self) -> None:
        self.by_cq: Counter[str] = Counter()
        self.by_wl: Counter[str] = Counter()
        self.instants = self.jobs_stopped = 0

    def count(self, events: Sequence[Any], stopped: AbstractSet[str] = frozenset(),
              capped: bool = False) -> None:
        """Count one instant's ``events``; ``stopped``: the workloads whose running job a
        preemption among them stopped (the first: once stopped, a job no longer runs).
        ``capped``: the instant ran to the cycle limit, a loop (L9): not counted, since
        which of its events are listed depends on where A27 found the period (A29)."""
        if capped:
            return
        back = undone(events)
        if back:
            self.instants += 1
            self.by_cq.update(q for _, q in back)
            self.by_wl.update(w for w, _ in back)
            self.jobs_stopped += len(stopped & {w for w, _ in back})

    def report(self) -> dict[str, Any]:
        return {"preemptions": sum(self.by_cq.values()), "instants": self.instants,
                "workloads": len(self.by_wl), "running_jobs_stopped": self.jobs_stopped,
                "cluster_queues": [{"cluster_queue": q, "preemptions": n}
                                   for q, n in _top(self.by_cq)],
                "most_undone": [{"workload": w, "preemptions": n}
                                for w, n in _top(self.by_wl)]}


def undone(events: Sequence[Any]) -> list[tuple[str, str]]:
    """L10: the preemptions among one instant's ``events`` whose victim was admitted again
    later in the same instant, as (workload, its ClusterQueue), one per readmission."""
    out: list[tuple[str, str]] = []
    hit: dict[str, str] = {}
    for ev in events:
        if ev.kind == "preempt":
            hit[ev.workload] = ev.cluster_queue
        elif ev.kind == "admit" and ev.workload in hit:
            out.append((ev.workload, hit.pop(ev.workload)))
    return out


def admission_report(pol: KueuePolicy) -> dict[str, Any]:
    """Instants where admission looped (L9): preempted workloads won the next cycle, were
    admitted again and preempted again, until the engine's cycle limit; and (L10)
    preemptions undone within their instant: the victim admitted again."""
    seen: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for lp in pol.engine.loops:
        seen.setdefault(lp.workloads, []).append(lp.clock)
    return {"instants_at_cycle_limit": pol.capped, "loops_found": len(pol.engine.loops),
            "loops": [{"first_day": ts[0] / 86400.0, "last_day": ts[-1] / 86400.0,
                       "instants": len(ts), "workloads": [w for w, _ in wls],
                       "cluster_queues": sorted({q for _, q in wls})}
                      for wls, ts in seen.items()],
            "undone": pol.undone.report(), "again": pol.flaps.report()}


def _top(c: Counter[str], n: int = 10) -> list[tuple[str, int]]:
    """The ``n`` largest counts, ties by name."""
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def tenant_queues(m: Manifests, tenants: list[str]) -> list[str]:
    """The ClusterQueue of each twin tenant (by its ``aifab.io/tenant`` annotation or the
    ClusterQueue's name, as :func:`~._twin.tenants_from` names tenants)."""
    by_name = {cq.annotations.get(TENANT, n): n for n, cq in m.cluster_queues.items()}
    missing = [t for t in tenants if t not in by_name]
    if missing:
        raise BadInput(f"tenant {missing[0]!r} has no ClusterQueue", where="--kueue/--kai")
    return [by_name[t] for t in tenants]
