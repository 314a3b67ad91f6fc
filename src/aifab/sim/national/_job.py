"""A training job of the national twin: a gang of ``n`` accelerators and its life cycle."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

QUEUED, RUNNING, EVICTING, DONE, HUNG = range(5)
"""HUNG: stopped by a failure not yet detected (its gang freed, its healthy accelerators
held by the failure model: ``held`` of them since ``start``); out of every queue until it
is detected."""
FAILURE = "failure"
"""The cause of a gang interrupted by a failure: not a preemption (see ``_ops.interrupt``)."""
RECORD_FIELDS = ("tenant", "cls", "n", "submit", "first", "end", "preempt", "acc_s", "miss")
"""Per-job figures a completed job leaves in the job records (and the jobs table)."""

SCALARS = ("id", "tenant", "cls", "n", "work", "restart", "submit", "first", "start", "end",
           "pool", "borrowed", "preempt", "state", "prio", "seq", "token", "acc_s", "miss",
           "ran_restart", "held")
"""Every scalar field, in the order checkpoints store them."""


class Job:
    """A gang of ``n`` accelerators; ``work`` in reference-device seconds."""

    __slots__ = (*SCALARS, "cnt", "doms")

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
        self.held = 0  # accelerators held while HUNG (allocated to it, since ``start``)


def acc_s_until(job: Job, now: float) -> float:
    """``job``'s allocated accelerator-seconds up to ``now``: those booked, plus its gang
    since ``start`` while it runs, or what it holds since ``start`` while it hangs."""
    if job.state in (RUNNING, EVICTING):
        return job.acc_s + job.n * (now - job.start)
    if job.state == HUNG:
        return job.acc_s + job.held * (now - job.start)
    return job.acc_s
