"""A2c (docs/sched.md): Kueue v0.19.2's scheduling equivalence hashing (the
SchedulingEquivalenceHashing gate, beta and on since v0.18). In a BestEffortFIFO
ClusterQueue, a workload set aside because it does not fit or finds nothing to preempt
sets aside with it every queued workload of its class (the same pod sets and priority),
without a try, and a workload of that class that arrives later is set aside on arrival,
until the queue's next requeue (pkg/cache/queue/cluster_queue.go: requeueIfNotPresent,
handleInadmissibleHash, PushOrUpdate; inadmissible_workloads.go: queueInadmissibleWorkloads
clears the classes; pkg/workload/workload.go: computeSchedulingHash). StrictFIFO queues are
left alone. Every expected outcome below is worked out from those rules by hand."""

from __future__ import annotations

from _cfg import config, cq, kinds

from aifab.sched import Engine, gang


def _queue(strategy: str = "BestEffortFIFO", hashing: bool = True) -> Engine:
    """ClusterQueue q (4 GPUs, no cohort), r running on all of it; w1 and w2 (2 GPUs each,
    priority 0: one class) and w3 (1 GPU) queued in that order."""
    m = config(cq("q", None, 4, queueingStrategy=strategy))
    m.gates["SchedulingEquivalenceHashing"] = hashing
    e = Engine(m)
    e.submit(gang("r", "q", 4))
    assert kinds(e.run(), "admit") == ["r"]
    for i, n in ((1, 2), (2, 2), (3, 1)):
        e.submit(gang(f"w{i}", "q", n, created=float(i)))
    return e


def test_a_failed_head_sets_its_class_aside() -> None:
    """w1 fails (no quota): w2, of its class, is set aside with it, with its reasons; w3
    heads the next cycle and fails; a third cycle changes nothing: 3 cycles, not 4."""
    e = _queue()
    c0 = e.cycle
    assert e.run() == []
    assert e.parked == {"w1", "w2", "w3"} and e.cycle - c0 == 3
    assert e.reasons["w2"] is e.reasons["w1"]
    e = _queue(hashing=False)
    c0 = e.cycle
    e.run()
    assert e.parked == {"w1", "w2", "w3"} and e.cycle - c0 == 4


def test_a_new_workload_of_a_set_aside_class_waits_for_the_requeue() -> None:
    """w4 (2 GPUs, priority 0) is set aside on arrival; w5 (2 GPUs, priority 1: another
    class) is tried. When r ends the requeue (at once without a clock) forgets the
    classes: w5 (higher priority) and then w1 are admitted (4 GPUs)."""
    e = _queue()
    e.run()
    e.submit(gang("w4", "q", 2, created=4.0))
    e.submit(gang("w5", "q", 2, priority=1, created=5.0))
    assert "w4" in e.parked and "w5" not in e.parked
    c0 = e.cycle
    assert e.run() == [] and "w5" in e.parked and e.cycle - c0 == 2
    e.finish("r")
    e.submit(gang("w6", "q", 2, created=6.0))  # after the requeue: tried
    assert "w6" not in e.parked
    assert kinds(e.run(), "admit") == ["w5", "w1"]
    # then w2 fails (no quota left) and sets w4 and w6 aside with it, and w3 fails
    assert e.parked == {"w2", "w3", "w4", "w6"} and e.reasons["w4"] is e.reasons["w2"]


def test_strict_fifo_and_the_gate_off_leave_the_class_alone() -> None:
    """StrictFIFO: w1 fails and stays the head (nothing set aside, no class kept); a new
    workload of its class is not set aside. With the gate off, BestEffortFIFO keeps no
    class either."""
    for e in (_queue("StrictFIFO"), _queue(hashing=False)):
        e.run()
        e.submit(gang("w4", "q", 2, created=4.0))
        assert "w4" not in e.parked and not e.bulk


def test_an_evicted_workload_of_a_set_aside_class_waits_too() -> None:
    """q (4 GPUs, withinClusterQueue LowerPriority), with a clock: lo1 and lo2 (2 GPUs,
    priority 0) run from 0; w (2 GPUs, priority 0) at 10 is set aside (no quota, nothing of
    lower priority). hi (2 GPUs, priority 1) at 20 preempts lo2, which goes back to q: of
    w's class, it is set aside on arrival with w's reasons, untried. The eviction's
    requeue (21, A2b) tries w again (no quota: it fails and sets lo2 aside again); lo1
    ends at 30 and the requeue at 31 admits w, the older."""
    e = Engine(config(cq("q", None, 4, preemption={"withinClusterQueue": "LowerPriority"})))
    e.clock = 0.0
    for n in ("lo1", "lo2"):
        e.submit(gang(n, "q", 2, created=0.0))
    e.run()
    e.clock = 10.0
    e.submit(gang("w", "q", 2, created=10.0))
    assert e.run() == [] and "w" in e.parked
    e.clock = 20.0
    e.submit(gang("hi", "q", 2, priority=1, created=20.0))
    ev = e.run()
    assert kinds(ev, "preempt") == ["lo2"] and kinds(ev, "admit") == ["hi"]
    assert "lo2" in e.parked and e.reasons["lo2"] is e.reasons["w"]
    assert e.next_requeue() == 21.0
    e.clock = 21.0
    c0 = e.cycle
    assert e.run() == [] and {"w", "lo2"} <= e.parked
    assert e.cycle - c0 == 2  # w fails and sets lo2 aside; a cycle with nothing to do
    e.clock = 30.0
    e.finish("lo1")
    assert e.run() == []
    e.clock = 31.0
    assert kinds(e.run(), "admit") == ["w"] and "lo2" in e.parked
