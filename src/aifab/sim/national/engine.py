"""The national twin's event loop: jobs, gangs, preemption, autoscaling, metrics.

Events are tuples ``(time, priority, sequence, kind, payload)`` on one heap, so runs are
reproducible (DESIGN.md). All events at one instant are handled before the queue policy
runs once over the partitions they touched ("dirty"). The policy decides order; this
class only offers ``try_start``, ``reclaim_for`` and the queues.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from aifab.sim.national.model import Twin
from aifab.sim.national.pools import IntArray, PoolState
from aifab.sim.national.services import ServiceState, autoscale
from aifab.workload.synthetic import ClassSampler

END, EVICT, SCALE, ARRIVE, SAMPLE, CKPT, RESET = range(7)
"""Event kinds, also their priority at equal times: frees first, then demand."""

QUEUED, RUNNING, EVICTING, DONE = range(4)
RECORD_FIELDS = ("tenant", "cls", "n", "submit", "first", "end", "preempt", "acc_s", "miss")


class Job:
    """A training job (gang of ``n`` accelerators); ``work`` in reference-device seconds."""

    __slots__ = (
        "acc_s",
        "borrowed",
        "cls",
        "cnt",
        "doms",
        "end",
        "first",
        "id",
        "miss",
        "n",
        "pool",
        "preempt",
        "prio",
        "ran_restart",
        "restart",
        "seq",
        "start",
        "state",
        "submit",
        "tenant",
        "token",
        "work",
    )

    def __init__(self, jid: int, tenant: int, cls: int, n: int, work: float, now: float,
                 prio: int) -> None:
        self.id, self.tenant, self.cls, self.n, self.work = jid, tenant, cls, n, work
        self.restart = 0.0
        self.submit, self.first, self.start, self.end = now, -1.0, -1.0, -1.0
        self.pool = -1
        self.doms: IntArray | None = None
        self.cnt: IntArray | None = None
        self.borrowed = False
        self.preempt = 0
        self.state = QUEUED
        self.prio, self.seq = prio, jid
        self.token = 0
        self.acc_s = 0.0
        self.miss = 0
        self.ran_restart = 0.0


class NationalSim:
    """One run of a :class:`Twin`; pickle it whole to checkpoint."""

    def __init__(self, twin: Twin, policy: str | None = None) -> None:
        from aifab.sim.national.policies import get_policy

        st = twin.settings
        self.twin = twin
        self.policy = get_policy(policy or st.queue_policy)
        self.rng = np.random.default_rng(st.seed)
        self.now = 0.0
        self.heap: list[tuple[float, int, int, int, object]] = []
        self._seq = 0
        self.pools = [PoolState(p.index, p.domains, p.domain_size) for p in twin.pools]
        self.pool_part = [-1] * len(twin.pools)
        for part in twin.partitions:
            for i in part.pools:
                self.pool_part[i] = part.index
        self.pool_campus = [0] * len(twin.pools)
        for c, cam in enumerate(twin.campuses):
            for i in cam.pools:
                self.pool_campus[i] = c
        self.campus_kw = [sum(twin.pools[i].idle_kw * twin.pools[i].accelerators
                              for i in cam.pools) for cam in twin.campuses]
        self.power_kw = float(sum(self.campus_kw))
        T, P = len(twin.tenants), len(twin.partitions)
        self.home = [twin.partition_of(t.owner).index for t in twin.tenants]
        self.queues: list[dict[int, deque[Job]]] = [{} for _ in range(T)]
        self.qlen = np.zeros(T, dtype=np.int64)
        self.talloc = np.zeros(T, dtype=np.int64)
        self.entitled = np.array([max(1, t.entitled) for t in twin.tenants], dtype=np.int64)
        self.jobs: dict[int, Job] = {}
        self.running: list[dict[int, Job]] = [{} for _ in range(P)]
        self.borrowed: list[dict[int, Job]] = [{} for _ in range(P)]
        self.reclaiming = [0] * len(twin.pools)  # accelerators in their grace period
        self.min_speed = [min((twin.pools[i].speed for i in p.pools), default=1.0)
                          for p in twin.partitions]
        self.dirty: set[int] = set()
        self.gen = [0] * P  # bumped whenever a partition's occupancy changes
        self.stale = [0] * T  # started jobs still sitting in a tenant's queues
        self.qver = [0] * T  # bumped whenever a tenant's queue changes
        self.shadow: dict[int, tuple[int, float, int]] = {}
        self.samplers = {(p, c): ClassSampler(spec, twin.max_sizes[p])
                         for p in range(P) for c, spec in enumerate(twin.classes)}
        self.streams = [(t.index, c, rate) for t in twin.tenants for c, rate in t.streams
                        if rate > 0]
        self.next_id = 0
        self.alloc_total = 0
        self.svc_state = [ServiceState() for _ in twin.services]
        self.svc_load = [0.0] * len(twin.services)
        self.svc_alloc = 0
        self.inf_held = [0] * P
        self.inf_peak = [0] * P
        for svc in twin.services:
            gpu = [r for r in svc.replica if twin.pools[r[0]].kind == "gpu"]
            if gpu:
                need = svc.spec.peak_tokens_per_s * (1 - svc.npu_share)
                self.inf_peak[svc.partition] += math.ceil(need / gpu[0][2]) * gpu[0][1]
        self.m_last = 0.0
        self.m_alloc_s = 0.0
        self.m_energy_kwh = 0.0
        self.m_tenant_s = np.zeros(T)
        self.m_queue_s = np.zeros(T)
        self.m_svc_alloc_s = 0.0
        self.m_stranded_s = np.zeros(3)  # power, fragmentation, idle (accelerator-seconds)
        self.counts = {"arrivals": 0, "starts": 0, "completions": 0, "preemptions": 0,
                       "scaling": 0, "topology_misses": 0, "multi_domain": 0, "events": 0}
        self.records = {k: array("d") for k in RECORD_FIELDS}
        self.series: list[tuple[float, ...]] = []
        self.ckpt_dir: Path | None = None
        self.finished = False
        self.warm = twin.warmup_s <= 0
        for s, (_t, _c, rate) in enumerate(self.streams):
            self.push(self.rng.exponential(1.0 / rate), ARRIVE, s)
        if twin.replay is not None and len(twin.replay):
            self.push(float(twin.replay.submit_s[0]), ARRIVE, -1)
        if twin.services:
            self.push(0.0, SCALE, None)
        self.push(0.0, SAMPLE, None)
        self.push(st.checkpoint_every_h * 3600.0, CKPT, None)
        if twin.warmup_s > 0:
            self.push(twin.warmup_s, RESET, None)

    # -- event loop ------------------------------------------------------------------
    def push(self, t: float, kind: int, payload: object) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (t, kind, self._seq, kind, payload))

    def run(self, until: float | None = None,
            progress: Callable[[float], None] | None = None) -> None:
        """Advance to ``until`` seconds (default: the horizon)."""
        horizon = self.twin.horizon_s
        stop = horizon if until is None else min(until, horizon)
        heap, pop = self.heap, heapq.heappop
        while heap and heap[0][0] < stop:
            t = heap[0][0]
            self._advance(t)
            while heap and heap[0][0] == t:
                _, kind, _, _, payload = pop(heap)
                self.counts["events"] += 1
                if kind == END:
                    self._on_end(payload)  # type: ignore[arg-type]
                elif kind == ARRIVE:
                    self._on_arrive(payload)  # type: ignore[arg-type]
                elif kind == EVICT:
                    self._on_evict(payload)  # type: ignore[arg-type]
                elif kind == SCALE:
                    dt = min(self.twin.settings.scale_interval_h * 3600.0, horizon - t)
                    autoscale(self, t, dt)
                    self.push(t + self.twin.settings.scale_interval_h * 3600.0, SCALE, None)
                elif kind == SAMPLE:
                    self._sample()
                    if progress is not None:
                        progress(t)
                elif kind == CKPT:
                    self.push(t + self.twin.settings.checkpoint_every_h * 3600.0, CKPT, None)
                    if self.ckpt_dir is not None:
                        from aifab.sim.national.checkpoint import save

                        save(self, self.ckpt_dir)
                elif kind == RESET:
                    self.reset_metrics()
            if self.dirty:
                self.policy.schedule(self)
                self.dirty.clear()
        if until is None or until >= horizon:
            self._advance(horizon)
            self.finished = True

    def reset_metrics(self) -> None:
        """End of the warm-up: forget everything measured so far (jobs keep running)."""
        T = len(self.twin.tenants)
        self.m_alloc_s = self.m_svc_alloc_s = self.m_energy_kwh = 0.0
        self.m_tenant_s = np.zeros(T)
        self.m_queue_s = np.zeros(T)
        self.m_stranded_s = np.zeros(3)
        events = self.counts["events"]
        self.counts = dict.fromkeys(self.counts, 0)
        self.counts["events"] = events
        self.records = {k: array("d") for k in RECORD_FIELDS}
        self.series = []
        for ss in self.svc_state:
            ss.served_tok = ss.unmet_tok = ss.npu_tok = ss.demand_tok = 0.0
        self.warm = True

    def _advance(self, t: float) -> None:
        dt = t - self.m_last
        if dt <= 0:
            return
        self.m_alloc_s += self.alloc_total * dt
        self.m_svc_alloc_s += self.svc_alloc * dt
        self.m_energy_kwh += self.power_kw * dt / 3600.0
        self.m_tenant_s += self.talloc * dt
        self.m_queue_s += self.qlen * dt
        self.m_last = t
        self.now = t

    # -- queues ----------------------------------------------------------------------
    def enqueue(self, job: Job, front: bool = False) -> None:
        q = self.queues[job.tenant].setdefault(job.prio, deque())
        if front:
            q.appendleft(job)
        else:
            q.append(job)
        self.qlen[job.tenant] += 1
        self.qver[job.tenant] += 1
        self.dirty.add(self.home[job.tenant])

    def iter_queue(self, tenant: int) -> Iterator[Job]:
        """Queued jobs of a tenant in order (priority, then arrival)."""
        qs = self.queues[tenant]
        if self.stale[tenant] > 64 and self.stale[tenant] > self.qlen[tenant]:
            self._compact(tenant)
        for prio in sorted(qs, reverse=True):
            q = qs[prio]
            while q and q[0].state != QUEUED:
                q.popleft()
            for job in q:
                if job.state == QUEUED:
                    yield job

    def _compact(self, tenant: int) -> None:
        """Drop started jobs (and duplicates left by requeueing) from a tenant's queues."""
        for prio, q in self.queues[tenant].items():
            seen: set[int] = set()
            keep: deque[Job] = deque()
            for j in q:
                if j.state == QUEUED and j.id not in seen:
                    seen.add(j.id)
                    keep.append(j)
            self.queues[tenant][prio] = keep
        self.stale[tenant] = 0

    def head(self, tenant: int) -> Job | None:
        if self.qlen[tenant] == 0:
            return None
        return next(self.iter_queue(tenant), None)

    # -- starting and stopping -------------------------------------------------------
    def try_start(self, job: Job, pool_ids: tuple[int, ...], borrowed: bool = False) -> bool:
        """Start ``job`` on the first pool (in order) that holds its gang; compact first."""
        n = job.n
        pools = self.pools
        fits = [i for i in pool_ids if pools[i].free_total >= n and self._power_ok(i, n)]
        if not fits:
            return False
        for spill in (False, True):
            for i in fits:
                r = pools[i].place(n, spill)
                if r is not None:
                    self._start(job, i, r[0], r[1], borrowed)
                    return True
        return False

    def _power_ok(self, pool: int, n: int) -> bool:
        c = self.pool_campus[pool]
        cap = self.twin.campuses[c].cap_kw
        if cap == math.inf:
            return True
        p = self.twin.pools[pool]
        return self.campus_kw[c] + n * (p.busy_kw - p.idle_kw) <= cap + 1e-9

    def _draw(self, pool: int, n: int) -> None:
        p = self.twin.pools[pool]
        d = n * (p.busy_kw - p.idle_kw)
        self.campus_kw[self.pool_campus[pool]] += d
        self.power_kw += d
        self.alloc_total += n

    def _start(self, job: Job, pool: int, doms: IntArray, cnt: IntArray,
               borrowed: bool) -> None:
        spec = self.twin.pools[pool]
        job.state, job.pool, job.doms, job.cnt, job.borrowed = RUNNING, pool, doms, cnt, borrowed
        job.start = self.now
        if job.first < 0:
            job.first = self.now
        job.ran_restart, job.restart = job.restart, 0.0
        job.end = self.now + job.work / spec.speed + job.ran_restart
        job.token += 1
        min_doms = -(-job.n // spec.domain_size)
        if min_doms > 1 or len(doms) > 1:
            self.counts["multi_domain"] += 1
        if len(doms) > min_doms:
            job.miss = 1
            self.counts["topology_misses"] += 1
        self.counts["starts"] += 1
        self.qlen[job.tenant] -= 1
        self.talloc[job.tenant] += job.n
        self._draw(pool, job.n)
        part = self.pool_part[pool]
        self.running[part][job.id] = job
        if borrowed:
            self.borrowed[part][job.id] = job
        self.shadow.pop(part, None)
        self.gen[part] += 1
        self.stale[job.tenant] += 1
        self.qver[job.tenant] += 1
        self.push(job.end, END, (job.id, job.token))

    def _stop(self, job: Job) -> float:
        """Free a running job's gang; return the reference-seconds of work it did."""
        assert job.doms is not None and job.cnt is not None
        self.pools[job.pool].release(job.doms, job.cnt)
        self._draw(job.pool, -job.n)
        self.talloc[job.tenant] -= job.n
        ran = self.now - job.start
        job.acc_s += job.n * ran
        part = self.pool_part[job.pool]
        self.running[part].pop(job.id, None)
        self.gen[part] += 1
        self.borrowed[part].pop(job.id, None)
        if job.state == EVICTING:
            self.reclaiming[job.pool] -= job.n
        self.dirty.add(part)
        for p in self.twin.partitions:
            if p.public:
                self.dirty.add(p.index)
        return max(0.0, ran - job.ran_restart) * self.twin.pools[job.pool].speed

    def _on_end(self, payload: tuple[int, int]) -> None:
        job = self.jobs.get(payload[0])
        if job is None or job.token != payload[1] or job.state not in (RUNNING, EVICTING):
            return
        self._stop(job)
        job.state = DONE
        job.end = self.now
        del self.jobs[job.id]
        self.counts["completions"] += 1
        r = self.records
        for k in RECORD_FIELDS:
            r[k].append(float(getattr(job, k)))

    def _on_evict(self, payload: tuple[int, int]) -> None:
        job = self.jobs.get(payload[0])
        if job is None or job.token != payload[1] or job.state != EVICTING:
            return
        done = self._stop(job)
        spec = self.twin.classes[job.cls]
        lost = min(done, spec.checkpoint_h * 3600.0 / 2)
        job.work = max(0.0, job.work - done + lost)
        job.restart = self.twin.settings.restart_cost_s
        job.state = QUEUED
        job.preempt += 1
        job.token += 1
        self.counts["preemptions"] += 1
        self.enqueue(job, front=True)

    def evict(self, job: Job, cause: str = "reclaim") -> None:
        """Preempt a running job after the grace period (its gang frees then)."""
        key = f"preempt_{cause}"
        self.counts[key] = self.counts.get(key, 0) + 1
        job.state = EVICTING
        self.reclaiming[job.pool] += job.n
        self.push(self.now + self.twin.settings.preempt_grace_s, EVICT, (job.id, job.token))

    def lend_headroom(self, part: int) -> int:
        """Free accelerators an owner can lend: free minus what its inference services
        may still need at their daily peak."""
        free = sum(self.pools[i].free_total for i in self.twin.partitions[part].pools)
        return free - max(0, self.inf_peak[part] - self.inf_held[part])

    def reclaim_for(self, part: int, need: int) -> None:
        """Owner demand of ``need`` accelerators is blocked: preempt borrowers."""
        if self.borrowed[part]:
            self.reclaim(self.twin.partitions[part].pools, need,
                         list(self.borrowed[part].values()), "owner")

    def reclaim(self, pool_ids: tuple[int, ...], need: int, victims: list[Job],
                cause: str) -> None:
        """Preempt ``victims`` (newest first) in the one pool where that frees ``need``
        accelerators soonest; nothing if no pool can reach it or one already will."""
        best, best_have = -1, -1
        for i in pool_ids:
            have = self.pools[i].free_total + self.reclaiming[i]
            if have >= need:
                return
            total = have + sum(j.n for j in victims if j.pool == i and j.state == RUNNING)
            if total >= need and total > best_have:
                best, best_have = i, total
        if best < 0:
            return
        have = self.pools[best].free_total + self.reclaiming[best]
        for job in sorted((j for j in victims if j.pool == best and j.state == RUNNING),
                          key=lambda j: (-j.start, -j.id)):
            self.evict(job, cause)
            have += job.n
            if have >= need:
                return

    def _on_replay(self, i: int) -> None:
        """Job ``i`` of the replayed job list arrives (its duration is taken as on the
        reference accelerator; its size is clipped like synthetic ones)."""
        tw = self.twin
        rp = tw.replay
        assert rp is not None
        tenant = tw.replay_tenant
        cls = tw.class_names.index("research") if "research" in tw.class_names else 0
        n = int(min(rp.num_gpus[i], tw.max_sizes[self.home[tenant]]))
        job = Job(self.next_id, tenant, cls, n, float(rp.duration_s[i]), self.now,
                  tw.classes[cls].priority)
        self.next_id += 1
        self.jobs[job.id] = job
        self.counts["arrivals"] += 1
        self.enqueue(job)
        if i + 1 < len(rp):
            self.push(float(rp.submit_s[i + 1]), ARRIVE, -(i + 2))

    def _on_arrive(self, s: int) -> None:
        if s < 0:
            self._on_replay(-s - 1)
            return
        tenant, cls, rate = self.streams[s]
        smp = self.samplers[(self.home[tenant], cls)]
        n = smp.size(self.rng)
        work = smp.duration_s(self.rng)
        job = Job(self.next_id, tenant, cls, n, work, self.now, self.twin.classes[cls].priority)
        self.next_id += 1
        self.jobs[job.id] = job
        self.counts["arrivals"] += 1
        self.enqueue(job)
        self.push(self.now + self.rng.exponential(1.0 / rate), ARRIVE, s)

    # -- inference replicas ----------------------------------------------------------
    def place_replicas(self, pool: int, n: int, k: int) -> list[int]:
        """Place up to ``k`` replicas of ``n`` devices (each inside one domain) as far as
        the pool and its campus power cap allow; their domains."""
        cap = self.twin.campuses[self.pool_campus[pool]].cap_kw
        if cap != math.inf:
            p = self.twin.pools[pool]
            room = cap - self.campus_kw[self.pool_campus[pool]] + 1e-9
            k = min(k, max(0, int(room // (n * (p.busy_kw - p.idle_kw)))))
        doms = self.pools[pool].place_many(n, k)
        got = len(doms)
        if got:
            self._draw(pool, n * got)
            self.svc_alloc += n * got
            self.counts["scaling"] += got
            if self.pool_part[pool] >= 0:
                self.inf_held[self.pool_part[pool]] += n * got
                self.gen[self.pool_part[pool]] += 1
        return [int(d) for d in doms]

    def release_replicas(self, pool: int, doms: list[int], n: int) -> None:
        if not doms:
            return
        self.pools[pool].release_many(np.asarray(doms, dtype=np.int64), n)
        self._draw(pool, -n * len(doms))
        self.svc_alloc -= n * len(doms)
        self.counts["scaling"] += len(doms)
        part = self.pool_part[pool]
        if part >= 0:
            self.inf_held[part] -= n * len(doms)
            self.gen[part] += 1
            self.dirty.add(part)

    # -- sampling --------------------------------------------------------------------
    def _sample(self) -> None:
        from aifab.sim.national.metrics import sample_row

        row, stranded = sample_row(self)
        self.series.append(row)
        self.m_stranded_s += stranded * self.twin.settings.sample_h * 3600.0
        self.push(self.now + self.twin.settings.sample_h * 3600.0, SAMPLE, None)

    def check(self) -> None:
        """Invariants (tests): pools consistent, allocations add up, no double use."""
        from aifab.sim.national.invariants import check

        check(self)
