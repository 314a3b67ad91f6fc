"""Rule A70 (docs/sched.md; speed, no change in outcome): a cycle reads heads only from the
queues that may give one (``_live.Live``): every queue with pending workloads when the
set-aside workloads are put back, every queue a workload joins since, less those found to
give no head (BestEffortFIFO without a stopPolicy, no nominee, every workload set aside).

Random configurations, small (the manifests' order, fewer than 64 queues) and large (sorted
names), with StrictFIFO and held queues among them, fair sharing or classic preemption, are
driven as the twin drives them (a clock, requeues run when due, victims held until their
pods are gone a second later, random arrivals and finishes). Every run's events and the
engine's whole state are the same with the rule on and off, and before every run each queue
that can give a head is in the set.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq, next_instant, pods_gone, res

from _soak import fast_first
from aifab.sched import Engine, _again, _live, gang


def _config(r: random.Random, queues: int) -> tuple[Engine, list[str]]:
    """About ``queues`` ClusterQueues in 2-5 cohorts under one root, one or two flavors."""
    fls = ("f1", "f2") if r.random() < 0.5 else ("f1",)
    docs: list[dict[str, Any]] = [cohort("root")]
    names: list[str] = []
    cohorts = r.choice([2, 3, 5])
    for c in range(cohorts):
        docs.append(cohort(f"c{c}", "root", weight=r.choice([None, None, 2.0, 0.5])))
        for k in range(queues // cohorts):
            names.append(f"q{c}-{k:02d}")
            spec: dict[str, Any] = {}
            x = r.random()
            if x < 0.08:
                spec["queueingStrategy"] = "StrictFIFO"
            elif x < 0.11:
                spec["stopPolicy"] = "Hold"
            docs.append(cq(names[-1], f"c{c}", flavors={
                f: [res("nvidia.com/gpu", r.choice([0, 1, 2, 4]))] for f in fls},
                preemption={"reclaimWithinCohort": r.choice(["Any", "Any", "LowerPriority"]),
                            "withinClusterQueue": r.choice(["LowerPriority", "Never"])},
                **spec))
    fair = r.random() < 0.7
    return Engine(config(*docs, fair=fair, flavors=fls), topology=False), names


def _can_give(e: Engine, q: str) -> bool:
    """Whether ``q`` could give a head now (what A70 must not leave out)."""
    cq = e.m.cluster_queues[q]
    ws = e._members[q]
    if not ws:
        return False
    if cq.strategy != "BestEffortFIFO" or cq.stop_policy != "None":
        return True
    return e._nominated.get(q) in e.pending or any(n not in e.parked for n in ws)


def _drive(seed: int, queues: int, on: bool, mp: pytest.MonkeyPatch,
           until: float = 120.0) -> tuple[list[Any], int, int]:
    """Every run's events and whole state; the queues read over the runs, and those with
    pending workloads."""
    mp.setattr(_live, "ON", on)
    r = random.Random(seed)
    e, names = _config(r, queues)
    e.compact, e.hold = True, r.random() < 0.7
    out: list[Any] = []
    gone: dict[str, float] = {}
    read = active = n = 0
    t = 0.0
    while t <= until:
        pods_gone(e, gone, t)
        for _ in range(r.choice([0, 0, 1, 2, 4]) * max(1, queues // 12)):
            n += 1
            e.submit(gang(f"w{n}", r.choice(names), r.choice([1, 2, 3, 4, 6, 8]),
                          priority=r.choice([0, 1, 2]), created=t))
        for _ in range(max(1, queues // 12)):
            if e.admitted and r.random() < 0.3:
                name = r.choice(sorted(e.admitted))
                gone.pop(name, None)
                e.finish(name)
        if on:
            for q in e._active:
                assert not _can_give(e, q) or e._live is None or (
                    e._live.of is not e.parked or q in e._live.names), (seed, t, q)
        read += len(_live.queues(e))
        active += len(e._active)
        out.append(_again.whole(e, e.run(max_cycles=300)))
        t = next_instant(e, gone, t, r.choice([0.5, 1.0, 2.0, 3.0]))
    return out, read, active


@pytest.mark.parametrize(("queues", "seed", "until"),
                         fast_first([*((12, s, 120.0) for s in range(8)),
                                     *((80, s, 20.0) for s in range(4))], multi=True))
def test_the_same_events_and_state_with_and_without(monkeypatch: pytest.MonkeyPatch,
                                                   queues: int, seed: int, until: float) -> None:
    on, read, active = _drive(seed, queues, True, monkeypatch, until)
    off, read_off, active_off = _drive(seed, queues, False, monkeypatch, until)
    assert on == off
    assert active == active_off and read_off == active  # (off: every queue with workloads)
    assert read < active  # the rule passes queues over


def test_a_queue_passed_over_comes_back_when_a_workload_joins_it() -> None:
    """A queue whose only workload is set aside gives no head and is passed over; a new
    workload in it brings it back, and a requeue (a new set of set-aside workloads) brings
    back every queue with workloads."""
    docs = [cohort("root"), cq("a", "root", 2), cq("b", "root", 0)]
    e = Engine(config(*docs, fair=True), topology=False)
    e.clock = 0.0
    e.submit(gang("big", "a", 8.0, created=0.0))  # never fits: set aside
    e.run()
    assert "big" in e.parked and _live.queues(e) == ["a"]  # (not looked at again yet)
    e.run()  # finds a gives no head
    assert _live.queues(e) == []
    e.submit(gang("small", "b", 1.0, created=1.0))
    assert _live.queues(e) == ["b"]
    e.run()  # b borrows a's quota and is admitted
    assert "small" in e.admitted and _live.queues(e) == []
    e.clock = 5.0
    e.finish("small")  # asks for the tree's requeue a second later (A2b)
    due = e.next_requeue()
    assert due is not None
    e.clock = due
    e.run()
    assert e._live is not None and e._live.of is e.parked
