"""Rule L11 (docs/sched.md): the workloads the twin's Kueue admission preempted again and
again over a run.

With a victim's quota held until its pods are gone (A5d), Kueue's preemptor flapping
(kubernetes-sigs/kueue#14543: the victim wins the next cycle's tournament, is admitted again
into the quota freed for its preemptor, and is preempted again) plays out over simulated
time, once per eviction, instead of within one instant (L9, L10). What an operator wants
to see is which workloads it hits: each victim's preemptions, with its ClusterQueue and the
first and last time.
"""

from __future__ import annotations

from typing import Any

AGAIN = 3  # a workload preempted at least this often counts as preempted again and again


class Flaps:
    """Per victim: its ClusterQueue, preemptions, first and last time (seconds)."""

    def __init__(self) -> None:
        self.by_wl: dict[str, list[Any]] = {}

    def note(self, workload: str, cq: str, now: float) -> None:
        got = self.by_wl.get(workload)
        if got is None:
            self.by_wl[workload] = [cq, 1, now, now]
        else:
            got[1] += 1
            got[3] = now

    def report(self, top: int = 10) -> dict[str, Any]:
        """The workloads preempted ``AGAIN`` times or more: how many, their preemptions,
        and the ``top`` most preempted (ties by name), with their days."""
        hit = sorted(((w, v) for w, v in self.by_wl.items() if v[1] >= AGAIN),
                     key=lambda kv: (-kv[1][1], kv[0]))
        return {"at_least": AGAIN, "workloads": len(hit),
                "preemptions": sum(v[1] for _, v in hit),
                "most": [{"workload": w, "cluster_queue": v[0], "preemptions": v[1],
                          "first_day": v[2] / 86400.0, "last_day": v[3] / 86400.0}
                         for w, v in hit[:top]]}
