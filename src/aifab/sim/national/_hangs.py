"""Hung gangs of the twin's failure model: a gang a failure stops keeps its healthy
accelerators until the failure is detected (``FailureModel.detect_for`` its cause), and
its job waits outside every queue. The failed accelerators go to repair at the failure
(the failure's repairs count against the stopped gangs first, in the order they were
stopped); per domain a gang keeps the rest of its accelerators, at most what is free
there then (domain health's ``hang``). At detection (kind ``detect``, payload: the job
id) they come back through the fleet's ``bring_up`` (domain health's ``unhang``), so a
job that fits starts in that instant, and the job is queued again at the front. The hot
spares that replace the failed accelerators are released then too (a spare is swapped in
once the failure is known), so the restarting gang, first in its queue, finds them.
What a gang holds is allocated to its job: ``job.held`` since ``job.start`` while it
hangs, booked to ``job.acc_s`` (the job's and its tenant's accelerator-hours) at
detection, so the jobs' hours sum to the fleet's allocation integral."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aifab.sim.national._events import DETECT
from aifab.sim.national._goodput import Goodput
from aifab.sim.national._health import DomainHealth
from aifab.sim.national._job import Job

if TYPE_CHECKING:
    from aifab.sim.national._protocol import RunContext

Held = list[tuple[int, int, int]]
"""What a hung gang holds: (pool, domain, accelerators) per domain."""


class Hangs:
    """The gangs stopped by the failure being applied, and those still hung."""

    def __init__(self, run: RunContext, health: DomainHealth, goodput: Goodput) -> None:
        self.run, self.health, self.goodput = run, health, goodput
        self.hanging: dict[int, Held] = {}  # job id -> what it holds until detection
        self._stopped: list[tuple[Job, list[tuple[int, int]]]] = []  # by this failure
        self.swaps: dict[int, tuple[int, int]] = {}  # job id -> (pool, spares to release)

    def stopping(self, job: Job) -> None:
        """``job`` is about to be stopped by the failure being applied (note its gang)."""
        assert job.doms is not None and job.cnt is not None
        self._stopped.append((job, list(zip(job.doms.tolist(), job.cnt.tolist(),
                                            strict=True))))

    def hold(self, pool: int, broke: dict[int, int], detect_s: float, swap: int) -> int:
        """The gangs the failure stopped hang for ``detect_s``; ``broke``: accelerators
        it sent to repair per domain of ``pool``; ``swap``: spares to release for them.
        The spares to release now (all of them unless a gang hangs)."""
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
                    held.append((pool, d, n))
            self.hanging[job.id] = held
            job.held, job.start = sum(n for _, _, n in held), run.now  # allocated to it
            self.goodput.hang(job, run.now, job.held, detect_s)
            run.events.push(run.now + detect_s, DETECT, job.id)
        return 0

    def on_detect(self, payload: int) -> None:
        """A hung gang's failure is detected: free what it held, queue the job again."""
        for pool, d, n in self.hanging.pop(int(payload)):
            self.health.unhang(pool, d, n)
        swap = self.swaps.pop(int(payload), None)
        if swap is not None:
            self.health.advance(self.run.now)
            self.goodput.meter.spares_used += self.health.swap_in(*swap)
        job = self.run.ops.jobs.get(int(payload))
        if job is not None:  # its hold is booked to it (and its tenant) like a run
            job.acc_s += job.held * (self.run.now - job.start)
            job.held = 0
            self.run.ops.requeue(job)

    def state(self) -> dict[str, Any]:
        return {"held": [[j, [list(h) for h in held]] for j, held in self.hanging.items()],
                "swaps": [[j, p, n] for j, (p, n) in self.swaps.items()]}

    def restore(self, doc: dict[str, Any]) -> None:
        self.hanging = {int(j): [(int(p), int(d), int(n)) for p, d, n in held]
                        for j, held in doc["held"]}
        self.swaps = {int(j): (int(p), int(n)) for j, p, n in doc["swaps"]}
