"""Hung gangs of the twin's failure model: a gang a failure stops keeps all its
accelerators until the failure is detected (``FailureModel.detect_for`` its cause), the
failed ones included, and its job waits outside every queue. The failure's failed
accelerators count against the stopped gangs first, in the order they were stopped: a
gang keeps those (domain health's ``hold_failed``; their repair starts at detection, as
in the job Monte Carlo: nobody repairs what is not known to have failed, and the job's
allocation is not torn down before) and, per domain, the rest of its accelerators, at
most what is free there then (domain health's ``hang``). At detection (kind ``detect``,
payload: the job id) the failed ones go to repair for the failure's repair time (domain
health's ``release_failed``) and the healthy ones come back through the fleet's
``bring_up`` (``unhang``), so a job that fits starts in that instant, and the job is
queued again at the front. The hot
spares that replace the failed accelerators are released then too (a spare is swapped in
once the failure is known), so the restarting gang, first in its queue, finds them.
A hung gang is detected once: a hardware failure that hits its healthy accelerators
during the hang (``fail_held``) is a failure (counted, repaired) but no new interruption,
hang or restart; its accelerators go to repair at the same detection, for their own
repair time, and a spare is released for them then (the job Monte Carlo's rule).
What a gang holds is allocated to its job: ``job.held`` since ``job.start`` while it
hangs, booked to ``job.acc_s`` (the job's and its tenant's accelerator-hours) at
detection, so the jobs' hours sum to the fleet's allocation integral."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aifab.sim.national._events import DETECT
from aifab.sim.national._goodput import Goodput
from aifab.sim.national._health import DomainHealth
from aifab.sim.national._job import Job

if TYPE_CHECKING:
    from aifab.sim.national._protocol import RunContext

Held = list[tuple[int, int, int, int]]
"""What a hung gang holds: (pool, domain, healthy accelerators, failed ones) per domain."""


class Hangs:
    """The gangs stopped by the failure being applied, and those still hung."""

    def __init__(self, run: RunContext, health: DomainHealth, goodput: Goodput,
                 to_repair: Callable[[int, int, int, float], None]) -> None:
        self.run, self.health, self.goodput = run, health, goodput
        self.to_repair = to_repair  # (pool, domain, accelerators, repair time) from now
        self.hanging: dict[int, Held] = {}  # job id -> what it holds until detection
        self.repair_s: dict[int, float] = {}  # job id -> its failed ones' repair time
        self._stopped: list[tuple[Job, list[tuple[int, int]]]] = []  # by this failure
        self.swaps: dict[int, tuple[int, int]] = {}  # job id -> (pool, spares to release)
        # job id -> (pool, domain, accelerators, repair time) that failed during its hang
        # (counted in its held failed ones too)
        self.late: dict[int, list[tuple[int, int, int, float]]] = {}

    def healthy_in(self, pool: int, d: int) -> list[tuple[int, int]]:
        """Hung gangs' healthy accelerators in domain ``d`` of ``pool``: (job id, count)."""
        return [(j, n) for j, held in self.hanging.items()
                for p, dd, n, _ in held if p == pool and dd == d and n > 0]

    def fail_held(self, jid: int, pool: int, d: int, k: int, repair_s: float) -> int:
        """Up to ``k`` of hung job ``jid``'s healthy accelerators in domain ``d`` fail
        during its hang: they stay held until its detection, then go to repair for
        ``repair_s``, and as many spares are released then. How many failed."""
        held = self.hanging[jid]
        for i, (p, dd, n, kk) in enumerate(held):
            if p == pool and dd == d and n > 0:
                t = min(k, n)
                held[i] = (p, dd, n - t, kk + t)  # failed now, held until detection
                self.late.setdefault(jid, []).append((pool, d, t, repair_s))
                sp, sn = self.swaps.get(jid, (pool, 0))
                self.swaps[jid] = (sp, sn + t)
                return t
        return 0

    def stopping(self, job: Job) -> None:
        """``job`` is about to be stopped by the failure being applied (note its gang)."""
        assert job.doms is not None and job.cnt is not None
        self._stopped.append((job, list(zip(job.doms.tolist(), job.cnt.tolist(),
                                            strict=True))))

    def hold(self, pool: int, broke: dict[int, int], detect_s: float, swap: int,
             repair_s: float) -> int:
        """The gangs the failure stopped hang for ``detect_s``; ``broke``: accelerators
        it took out per domain of ``pool`` (less, on return, those hung gangs keep until
        detection; the caller repairs the rest from now); ``swap``: spares to release
        for them. The spares to release now (all of them unless a gang hangs)."""
        stopped, self._stopped = self._stopped, []
        if detect_s <= 0 or not stopped:
            return swap
        run, free = self.run, self.run.fleet.pools[pool].free
        if swap:
            self.swaps[stopped[0][0].id] = (pool, swap)
        for job, placed in stopped:
            held: Held = []
            for d, c in placed:
                lost = min(c, broke.get(d, 0))
                broke[d] = broke.get(d, 0) - lost
                n = min(c - lost, int(free[d]))
                if n > 0:
                    self.health.hang(pool, d, n)
                if lost > 0:
                    self.health.hold_failed(pool, d, lost)
                if n > 0 or lost > 0:
                    held.append((pool, d, max(n, 0), lost))
            self.hanging[job.id] = held
            self.repair_s[job.id] = repair_s
            job.held, job.start = sum(n + k for _, _, n, k in held), run.now  # allocated
            run.fleet.talloc[job.tenant] += job.held  # to its tenant too (accelerator_h)
            self.goodput.hang(job, run.now, job.held, detect_s)
            run.events.push(run.now + detect_s, DETECT, job.id)
        return 0

    def on_detect(self, payload: int) -> None:
        """A hung gang's failure is detected: free what it held, queue the job again."""
        repair_s = self.repair_s.pop(int(payload))
        late = self.late.pop(int(payload), [])  # failed inside the hang: own repair time
        for pool, d, n, k in self.hanging.pop(int(payload)):
            if k:
                self.health.release_failed(pool, d, k)
                k -= sum(t for p, dd, t, _ in late if (p, dd) == (pool, d))
                self.to_repair(pool, d, k, repair_s)
            if n:
                self.health.unhang(pool, d, n)
        for pool, d, k, r in late:
            self.to_repair(pool, d, k, r)
        swap = self.swaps.pop(int(payload), None)
        if swap is not None:
            self.health.advance(self.run.now)
            self.goodput.meter.spares_used += self.health.swap_in(*swap)
        job = self.run.ops.jobs.get(int(payload))
        if job is not None:  # its hold is booked to it (and its tenant) like a run
            job.acc_s += job.held * (self.run.now - job.start)
            self.run.fleet.talloc[job.tenant] -= job.held
            job.held = 0
            self.run.ops.requeue(job)

    def state(self) -> dict[str, Any]:
        return {"held": [[j, [list(h) for h in held]] for j, held in self.hanging.items()],
                "swaps": [[j, p, n] for j, (p, n) in self.swaps.items()],
                "repair_s": [[j, r] for j, r in self.repair_s.items()],
                "late": [[j, [list(x) for x in xs]] for j, xs in self.late.items()]}

    def restore(self, doc: dict[str, Any]) -> None:
        self.hanging = {int(j): [(int(p), int(d), int(n), int(k)) for p, d, n, k in held]
                        for j, held in doc["held"]}
        self.repair_s = {int(j): float(r) for j, r in doc["repair_s"]}
        self.swaps = {int(j): (int(p), int(n)) for j, p, n in doc["swaps"]}
        self.late = {int(j): [(int(p), int(d), int(k), float(r)) for p, d, k, r in xs]
                     for j, xs in doc.get("late", [])}
