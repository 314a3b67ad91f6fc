"""A2b (docs/sched.md): Kueue v0.19.2 does not try its set-aside (inadmissible) workloads
again the moment quota is freed. A finished or evicted workload asks the requeuer to
requeue its cohort tree (the root Cohort, or the ClusterQueue without one), and the
requeuer serves each root once, a batch period later (1 s; 10 s with the
SchedulerLongRequeueInterval gate), whatever else asked in between
(pkg/cache/queue/inadmissible_workloads.go: notifyRetryInadmissibleWithoutLock,
workqueueRequeuer.AddAfter, requeueWorkloadsCohort; pkg/controller/core/
workload_controller.go: Update, finished and back-to-pending). Workloads not set aside (new
ones, the evicted) are tried at once. Every expected admission below is worked out from
those rules by hand."""

from __future__ import annotations

from typing import Any

from _cfg import cohort, config, cq, kinds

from aifab.sched import Engine, Manifests, gang, load_docs
from aifab.sched._load import check
from aifab.sched._requeue import equivalence, requeue_delay

CONF = {"apiVersion": "config.kueue.x-k8s.io/v1beta2", "kind": "Configuration",
        "metadata": {"name": "kueue"}}


def _pair(*extra: Any, reclaim: str = "Never", conf: dict[str, Any] | None = None
          ) -> Engine:
    """Cohort co: ClusterQueues a and b with 8 GPUs each (BestEffortFIFO); b reclaims by
    ``reclaim``."""
    docs = [cohort("co"), cq("a", "co", 8),
            cq("b", "co", 8, preemption={"reclaimWithinCohort": reclaim}), *extra]
    return Engine(config(*docs, *([conf] if conf else [])))


def _at(e: Engine, t: float) -> list[Any]:
    e.clock = t
    return e.run()


def _put(e: Engine, t: float, *jobs: tuple[str, str, float]) -> list[Any]:
    """At time ``t``, workloads (name, ClusterQueue, GPUs) created then, and a run."""
    e.clock = t
    for name, q, n in jobs:
        e.submit(gang(name, q, n, created=t))
    return e.run()


def _borrowed(e: Engine) -> None:
    """a1 takes a's 8 GPUs and b's 8 (borrowed) at 0; b1 (4 GPUs) at 1 finds no quota (b
    reclaims Never) and is set aside."""
    e.clock = 0.0
    e.submit(gang("a1", "a", 16, created=0.0))
    assert kinds(e.run(), "admit") == ["a1"]
    e.clock = 1.0
    e.submit(gang("b1", "b", 4, created=1.0))
    assert _at(e, 1.0) == [] and "b1" in e.parked


def _counter() -> Engine:
    """As ``_borrowed`` without a clock (the engine's counter mode)."""
    e = _pair()
    e.submit(gang("a1", "a", 16))
    e.run()
    e.submit(gang("b1", "b", 4))
    assert e.run() == [] and "b1" in e.parked
    return e


def test_set_aside_workloads_are_requeued_a_second_after_the_quota_is_freed() -> None:
    e = _pair()
    _borrowed(e)
    assert e.next_requeue() is None
    e.clock = 10.0
    e.finish("a1")
    assert kinds(_at(e, 10.0), "admit") == []  # 16 GPUs free, b1 still set aside
    assert e.next_requeue() == 11.0
    assert kinds(_at(e, 10.5), "admit") == []
    assert kinds(_at(e, 11.0), "admit") == ["b1"]
    assert e.next_requeue() is None


def test_a_new_workload_takes_the_freed_quota_before_the_requeue() -> None:
    """b2 (16 GPUs: b's 8 and a's idle 8), created at 10 after a1 ended, is tried at once
    and admitted; b1, older and set aside, is tried at 11 and no longer fits. With the
    requeue at once (no clock), b1, b's older head, is admitted first and b2 waits."""
    e = _pair()
    _borrowed(e)
    e.clock = 10.0
    e.finish("a1")
    e.submit(gang("b2", "b", 16, created=10.0))
    assert kinds(_at(e, 10.0), "admit") == ["b2"]
    assert kinds(_at(e, 11.0), "admit") == [] and "b1" in e.pending
    e = _counter()
    e.finish("a1")
    e.submit(gang("b2", "b", 16))
    assert kinds(e.run(), "admit") == ["b1"] and "b2" in e.pending


def test_requests_before_the_requeue_are_served_with_it() -> None:
    """a2 ends at 10 and a1 at 10.6: one requeue, at 11 (the first request's second)."""
    e = _pair()
    e.clock = 0.0
    for w in ("a1", "a2"):
        e.submit(gang(w, "a", 8, created=0.0))
    e.run()
    e.submit(gang("b1", "b", 12, created=0.5))
    e.clock = 0.5
    e.run()
    assert "b1" in e.parked  # 0 GPUs free
    e.clock = 10.0
    e.finish("a2")
    assert _at(e, 10.0) == [] and e.next_requeue() == 11.0
    e.clock = 10.6
    e.finish("a1")
    assert _at(e, 10.6) == [] and e.next_requeue() == 11.0
    assert kinds(_at(e, 11.0), "admit") == ["b1"] and e.next_requeue() is None


def test_an_eviction_asks_for_a_requeue_too() -> None:
    """b reclaims Any: b1 (8 GPUs) at 5 takes back the 8 GPUs a2 borrowed; a2's eviction
    asks for its tree's requeue at 6, as a finish does."""
    e = _pair(reclaim="Any")
    _put(e, 0.0, ("a1", "a", 8), ("a2", "a", 8))
    ev = _put(e, 5.0, ("b1", "b", 8))
    assert kinds(ev, "preempt") == ["a2"] and kinds(ev, "admit") == ["b1"]
    assert e.next_requeue() == 6.0 and "a2" in e.parked
    assert _at(e, 6.0) == [] and "a2" in e.parked and e.next_requeue() is None


def test_each_cohort_tree_is_requeued_on_its_own() -> None:
    """Two trees: co (a, b) and co2 (c, d, 8 GPUs each). Quota freed in co at 10 and in co2
    at 10.5: co's set-aside b1 at 11, co2's d1 at 11.5."""
    e = _pair(cohort("co2"), cq("c", "co2", 8), cq("d", "co2", 8))
    _put(e, 0.0, ("a1", "a", 16), ("c1", "c", 16))
    assert _put(e, 1.0, ("b1", "b", 4), ("d1", "d", 4)) == [] and {"b1", "d1"} <= e.parked
    e.clock = 10.0
    e.finish("a1")
    e.run()
    e.clock = 10.5
    e.finish("c1")
    e.run()
    assert e.next_requeue() == 11.0
    assert kinds(_at(e, 11.0), "admit") == ["b1"] and "d1" in e.parked
    assert e.next_requeue() == 11.5
    assert kinds(_at(e, 11.5), "admit") == ["d1"]


def test_the_long_requeue_gate_waits_ten_seconds() -> None:
    e = _pair(conf={**CONF, "featureGates": {"SchedulerLongRequeueInterval": True}})
    _borrowed(e)
    e.clock = 10.0
    e.finish("a1")
    assert _at(e, 10.0) == [] and e.next_requeue() == 20.0
    assert _at(e, 19.0) == []
    assert kinds(_at(e, 20.0), "admit") == ["b1"]


def test_without_a_clock_or_under_kai_the_requeue_is_at_once() -> None:
    e = _counter()
    e.finish("a1")
    assert kinds(e.run(), "admit") == ["b1"] and e.next_requeue() is None
    m = Manifests()
    load_docs(m, "kai.yaml", [{"apiVersion": "scheduling.run.ai/v2", "kind": "Queue",
                               "metadata": {"name": "A"},
                               "spec": {"resources": {"gpu": {"quota": 4}}}}])
    check(m)
    assert requeue_delay(m) == 0.0 and not equivalence(m)  # (A2c is Kueue's too)
    assert requeue_delay(config(cq("a", None, 8))) == 1.0 and equivalence(config(cq("a", None, 8)))


def test_a_replayed_history_waits_for_the_requeue() -> None:
    """`compare-queues`' replay (C rules) runs the engine at each requeue time too: x (16
    GPUs on a and b) runs 0-100 s; y (4 GPUs on b), submitted at 10 s, is set aside and
    admitted when the requeue after x's end comes, 1 s later: a wait of 91 s."""
    from aifab.sched._history import HistJob, History
    from aifab.sched._replay import replay

    m = config(cohort("co"), cq("a", "co", 8), cq("b", "co", 8))
    hist = History((HistJob("x", "a", 0.0, 100.0, 16.0), HistJob("y", "b", 10.0, 50.0, 4.0)),
                   0, "test")
    out = replay(m, hist, {"a": "a", "b": "b"})
    assert out["tenants"]["b"]["wait_mean_h"] * 3600.0 == 91.0
    assert out["tenants"]["a"]["wait_mean_h"] == 0.0


def test_a_requeue_that_would_move_nothing_needs_no_run() -> None:
    """a1 ends at 10 with nothing set aside: the requeue it asks for (11) would move
    nothing, and the run at 10 reached a fixed point, so no caller needs to run the engine
    at 11 (``next_requeue()`` is None; the request is served at the next run, 11.5). b1,
    set aside at 12 (a2 holds the quota from 11.5), waits for a2's end at 20 and its
    requeue at 21. After a run that ends at its cycle limit the time is given whatever is
    set aside (test_moves' LOOP)."""
    e = _pair()
    _put(e, 0.0, ("a1", "a", 8))
    e.clock = 10.0
    e.finish("a1")
    assert e.run() == [] and not e.parked and e.next_requeue() is None
    _put(e, 11.5, ("a2", "a", 16))
    assert _put(e, 12.0, ("b1", "b", 4)) == [] and "b1" in e.parked
    assert e.next_requeue() is None  # (11 was served by the run at 11.5)
    e.clock = 20.0
    e.finish("a2")
    assert e.run() == [] and e.next_requeue() == 21.0
    from test_repeats import _loop

    loop = _loop(300)
    loop.parked, loop.bulk = set(), {}  # (as if nothing were set aside)
    assert not loop._fixed and loop.next_requeue() == 4.0
    loop._fixed = True
    assert loop.next_requeue() is None


def test_a_requeue_puts_back_exactly_the_set_aside_workloads_of_the_trees_served() -> None:
    """``serve``, with every tree's requeue due and with some trees' only, puts back the
    pending set-aside workloads of the trees served, keeps the others', and drops names no
    longer pending; checked against the sets worked out from the engine's own roots."""
    import random

    from aifab.sched._requeue import serve

    r = random.Random(5)
    for _ in range(40):
        e = Engine(config(cohort("c1"), cq("a", "c1", 4), cohort("c2"), cq("b", "c2", 4),
                          cq("solo", None, 4)))
        e.clock = 10.0
        names = [f"w{i}" for i in range(30)]
        for n in names:
            e.submit(gang(n, r.choice(["a", "b", "solo"]), 8.0, created=1.0))
        e.parked = {n for n in names if r.random() < 0.7} | {"gone1", "gone2"}
        roots = sorted(set(e._root.values()))
        fired = set(r.sample(roots, r.choice([1, len(roots)])))
        e._due = {rt: (9.0 if rt in fired else 11.0) for rt in roots}
        parked = set(e.parked)
        back, _ = serve(e)
        want = {n for n in parked if n in e.pending and e._root[e.pending[n].queue] in fired}
        assert back == want
        assert e.parked == {n for n in parked if n in e.pending} - want
        assert set(e._due) == set(roots) - fired
