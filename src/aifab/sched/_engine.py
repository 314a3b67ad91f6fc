"""The admission engine: Kueue's scheduling cycle over a quota tree (rules A1-A6).

Each cycle takes the head of every ClusterQueue (A1: priority, then creation time; A2:
StrictFIFO heads block, BestEffortFIFO heads that cannot be admitted are set aside until
quota is freed), assigns flavors, orders the heads (A3: those fitting without borrowing
first, then priority, then age; with fair sharing, the lowest share first, compared where
their cohort paths meet) and admits or preempts in that order. Preempted workloads go back
to their queue, ordered by eviction time (Kueue's default requeuing timestamp).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from aifab.errors import BadInput
from aifab.sched._assign import FIT, NOFIT, PREEMPT, Assignment, Domains, assign
from aifab.sched._model import FR, ClusterQueue, Manifests
from aifab.sched._preempt import Admitted, classic_targets, fair_targets
from aifab.sched._preempt import _side as side
from aifab.sched._quota import QuotaTree
from aifab.sched._workload import Workload


@dataclass(frozen=True)
class Event:
    kind: str  # "admit", "preempt", "finish"
    workload: str
    cluster_queue: str
    cycle: int
    flavors: dict[str, dict[str, str]] = field(default_factory=dict)
    by: str | None = None


class Engine:
    """Pending and admitted workloads over a configuration; ``run()`` to a fixed point."""

    def __init__(self, m: Manifests, *, fair_sharing: bool | None = None) -> None:
        self.m = m
        self.fair = m.fair_sharing if fair_sharing is None else fair_sharing
        self.tree = QuotaTree(m)
        self.domains = Domains(m)
        self.pending: dict[str, Workload] = {}
        self.admitted: dict[str, Admitted] = {}
        self.parked: set[str] = set()
        self.events: list[Event] = []
        self.reasons: dict[str, list[tuple[str, str]]] = {}
        self.cycle = 0
        self._seq = 0

    def _tick(self) -> int:
        self._seq += 1
        return self._seq

    def submit(self, wl: Workload) -> None:
        if wl.queue not in self.m.cluster_queues:
            raise BadInput(f"ClusterQueue {wl.queue!r} is not defined", where=wl.name)
        if wl.name in self.pending or wl.name in self.admitted:
            raise BadInput("duplicate workload name", where=wl.name)
        if wl.created == 0.0:
            wl.created = float(self._tick())
        self.pending[wl.name] = wl

    def finish(self, name: str) -> None:
        """A workload ends: its quota (and topology domains) are freed."""
        a = self.admitted.pop(name)
        self._release(a)
        self.events.append(Event("finish", name, a.cq, self.cycle))

    def _release(self, a: Admitted) -> None:
        self.tree.add_all(a.cq, a.usage, -1)
        for parts in a.placement.values():
            for fl, i, v in parts:
                self.domains.take(fl, [(i, v)], -1)
        self.parked.clear()

    def _admit(self, cq: ClusterQueue, wl: Workload, asg: Assignment) -> None:
        del self.pending[wl.name]
        self.tree.add_all(cq.name, asg.usage)
        for parts in asg.placement.values():
            for fl, i, v in parts:
                self.domains.take(fl, [(i, v)])
        self.admitted[wl.name] = Admitted(wl, cq.name, dict(asg.usage), self._tick(),
                                          asg.placement)
        self.reasons.pop(wl.name, None)
        self.events.append(Event("admit", wl.name, cq.name, self.cycle, asg.flavors))

    def _evict(self, a: Admitted, by: str) -> None:
        del self.admitted[a.wl.name]
        self._release(a)
        a.wl.created = float(self._tick())
        self.pending[a.wl.name] = a.wl
        self.events.append(Event("preempt", a.wl.name, a.cq, self.cycle, by=by))

    def queue_order(self, cq: str) -> list[Workload]:
        return sorted((w for w in self.pending.values() if w.queue == cq),
                      key=lambda w: (-w.priority, w.created, w.name))

    def heads(self) -> list[tuple[ClusterQueue, Workload]]:
        out = []
        by_cq: dict[str, list[Workload]] = {}
        for w in self.pending.values():
            by_cq.setdefault(w.queue, []).append(w)
        for name, ws in by_cq.items():
            ws.sort(key=lambda w: (-w.priority, w.created, w.name))
            cq = self.m.cluster_queues[name]
            if cq.stop_policy != "None":
                for w in ws:
                    self.reasons[w.name] = [("stopped", f"ClusterQueue {cq.name!r} has "
                                                        f"stopPolicy {cq.stop_policy}")]
                continue
            order = ws
            if cq.strategy == "BestEffortFIFO":
                order = [w for w in order if w.name not in self.parked]
            if order:
                out.append((cq, order[0]))
                for w in order[1:]:
                    if cq.strategy == "StrictFIFO":
                        self.reasons[w.name] = [("fifo", f"StrictFIFO: behind {order[0].name!r}"
                                                         " at the head of the queue")]
        return out

    def _order(self, entries: list[tuple[ClusterQueue, Workload, Assignment]]
               ) -> list[tuple[ClusterQueue, Workload, Assignment]]:
        def key(e: tuple[ClusterQueue, Workload, Assignment]) -> tuple[int, float, str]:
            return (-e[1].priority, e[1].created, e[1].name)

        if not self.fair:
            return sorted(entries, key=lambda e: (e[2].borrow, *key(e)))

        def cmp(a: tuple[ClusterQueue, Workload, Assignment],
                b: tuple[ClusterQueue, Workload, Assignment]) -> int:
            sa, sb = side(self.tree.cqs[a[0].name], self.tree.cqs[b[0].name])
            da, db = self.tree.share(sa, a[2].usage), self.tree.share(sb, b[2].usage)
            if da != db:
                return -1 if da < db else 1
            ka, kb = key(a), key(b)
            return -1 if ka < kb else (1 if ka > kb else 0)

        return sorted(entries, key=functools.cmp_to_key(cmp))

    def step(self) -> bool:
        """One scheduling cycle; whether anything was admitted, preempted or set aside."""
        self.cycle += 1
        entries = [(cq, wl, assign(self.tree, self.m, self.domains, cq, wl, self.fair))
                   for cq, wl in self.heads()]
        changed = False
        reserved: list[tuple[str, dict[FR, float]]] = []
        for cq, wl, _ in self._order(entries):
            asg = assign(self.tree, self.m, self.domains, cq, wl, self.fair)
            if asg.mode == FIT:
                self._admit(cq, wl, asg)
                changed = True
                continue
            reasons = list(asg.reasons)
            if asg.mode == PREEMPT:
                admitted = list(self.admitted.values())
                targets = (fair_targets(self.tree, cq, wl, asg, admitted, self.m.fs_strategies)
                           if self.fair else
                           classic_targets(self.tree, cq, wl, asg, admitted))
                if targets:
                    for t in targets:
                        self._evict(t, wl.name)
                    # the freed quota is the preemptor's for the rest of this cycle
                    self.tree.add_all(cq.name, asg.usage)
                    reserved.append((cq.name, asg.usage))
                    changed = True
                    continue
                reasons.append(("priority", "fits only by preemption, and no admitted "
                                            "workload it may preempt frees enough quota"))
            elif asg.mode == NOFIT and not reasons:
                reasons.append(("quota", "does not fit in the ClusterQueue's flavors"))
            self.reasons[wl.name] = reasons
            if cq.strategy == "BestEffortFIFO" and wl.name not in self.parked:
                self.parked.add(wl.name)
                changed = True
        for name, usage in reserved:
            self.tree.add_all(name, usage, -1)
        return changed

    def run(self, max_cycles: int = 10_000) -> list[Event]:
        """Cycles until nothing changes; the events of this run."""
        start = len(self.events)
        for _ in range(max_cycles):
            if not self.step():
                break
        return self.events[start:]

    def admitted_in(self, cq: str) -> list[str]:
        return [n for n, a in self.admitted.items() if a.cq == cq]
