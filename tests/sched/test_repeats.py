"""Rule A27 (docs/sched.md; speed, no change in outcome): a run of the engine that comes
back to a state it had at the same instant is skipped ahead by whole periods, with copies of
the period's events, and ends at the same cycle in the same state as running every cycle.

The loop below was found by random search over small fair-sharing configurations: root
over cohorts c0 (q00: f1 8, f2 4; q01: f1 8, f2 2) and c1 (weight 2; q10: f1 8, f2 0),
f1 24 and f2 6 GPUs. At the first instant q10 runs w1 (6) and w2 (4) on f1 (it borrows 2)
and q01 runs w3 (8), w5 (3) and w4 (3) on f1: f1 is full. At the second, w7 and w10 take
f2; w8 (q00, 4, priority 2, reclaimWithinCohort Any) preempts w4 and w2, and in the same
cycle w6 (q01, 3, priority 1, as w4) is admitted into what w8 does not need; in the next
cycle w2 wins the tournament, is admitted again, and w8 preempts w6 and w2, and w4 takes
the rest. From then on every two cycles are the same, until ``run()``'s limit.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from _cfg import cohort, config, cq, res

from aifab.sched import Engine, KueuePolicy, _engine, _repeat, admission_report, gang

FAIR = {"apiVersion": "config.kueue.x-k8s.io/v1beta2", "kind": "Configuration",
        "metadata": {"name": "kueue"},
        "fairSharing": {"preemptionStrategies": ["LessThanInitialShare"]}}


def _q(name: str, co: str, f1: float, f2: float, reclaim: str, within: str) -> dict[str, Any]:
    return cq(name, co, flavors={"f1": [res("nvidia.com/gpu", f1)],
                                 "f2": [res("nvidia.com/gpu", f2)]},
              preemption={"reclaimWithinCohort": reclaim, "withinClusterQueue": within})


def _loop(limit: int, clock: bool = True, compact: bool = False) -> Engine:
    e = Engine(config(cohort("root"), cohort("c0", "root"), cohort("c1", "root", weight=2.0),
                      _q("q00", "c0", 8, 4, "Any", "Never"),
                      _q("q01", "c0", 8, 2, "Never", "LowerPriority"),
                      _q("q10", "c1", 8, 0, "LowerPriority", "Never"), FAIR,
                      flavors=("f1", "f2")))
    e.compact = compact
    for t, jobs in ((1.0, [("w1", "q10", 6, 2), ("w2", "q10", 4, 1), ("w3", "q01", 8, 2),
                           ("w4", "q01", 3, 1), ("w5", "q01", 3, 2)]),
                    (2.0, [("w6", "q01", 3, 1), ("w7", "q00", 2, 2), ("w8", "q00", 4, 2),
                           ("w9", "q00", 3, 0), ("w10", "q01", 3, 1)])):
        e.clock = t if clock else None
        for name, q, n, prio in jobs:
            e.submit(gang(name, q, n, priority=prio, created=t))
        e.run(max_cycles=limit)
    return e


def _state(e: Engine) -> tuple[Any, ...]:
    return ([(x.kind, x.workload, x.cluster_queue, x.cycle, x.flavors, x.by)
             for x in e.events], e.cycle,
            sorted((n, a.cq, sorted(a.usage.items())) for n, a in e.admitted.items()),
            sorted((n, w.created) for n, w in e.pending.items()), sorted(e.parked),
            sorted(e.reasons.items()), sorted(e._nominated.items()))


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    steps = [0]
    step = _engine.Engine.step

    def counted(self: Engine) -> bool:
        steps[0] += 1
        return step(self)

    monkeypatch.setattr(_engine.Engine, "step", counted)
    return steps


def _both(monkeypatch: pytest.MonkeyPatch, make: Any) -> tuple[Any, Any, int, int]:
    steps = _counted(monkeypatch)
    monkeypatch.setattr(_repeat, "SKIP", True)
    on = make()
    n_on, steps[0] = steps[0], 0
    monkeypatch.setattr(_repeat, "SKIP", False)
    off = make()
    return _state(on), _state(off), n_on, steps[0]


def test_a_preemption_loop_is_skipped_with_the_same_events(
        monkeypatch: pytest.MonkeyPatch) -> None:
    on, off, n_on, n_off = _both(monkeypatch, lambda: _loop(2_000))
    assert on == off
    assert off[1] == 4 + 2_000  # the limit ends the second instant's run
    assert sum(1 for x in off[0] if x[0] == "preempt") > 1_000
    assert n_off > 1_990  # every cycle a step() but idle ones (A13)
    assert n_on < 20  # found after two periods, then the last period and the rest run


def _drift(limit: int, compact: bool = False) -> Engine:
    """Cohorts c0 (q00 nominal 2, q01 8; reclaimWithinCohort Any, withinClusterQueue
    LowerPriority) and c1 (weight 0.5, q10 0); 10 GPUs of f1. At one instant: w1 (q01, 3,
    priority 1), w2 (q00, 2, priority 0), w3 (q00, 6, priority 1), w4 (q01, 6, priority 0).
    Found by random search: w1 and w3 preempt w4 and w2 within their queues, which reclaim
    in turn, every four cycles; each victim is requeued just after its preemptor, itself
    evicted at this instant, so the creation times creep up by a float step each period."""
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
    e = Engine(config(cohort("root"), cohort("c0", "root"), cohort("c1", "root", weight=0.5),
                      cq("q00", "c0", flavors={"f1": [res("nvidia.com/gpu", 2)]},
                         preemption=pre),
                      cq("q01", "c0", flavors={"f1": [res("nvidia.com/gpu", 8)]},
                         preemption=pre),
                      cq("q10", "c1", flavors={"f1": [res("nvidia.com/gpu", 0)]},
                         preemption={**pre, "withinClusterQueue": "Never"}),
                      {**FAIR, "fairSharing": {}}, flavors=("f1",)))
    e.compact = compact
    e.clock = 1.0
    for name, q, n, prio in (("w1", "q01", 3, 1), ("w2", "q00", 2, 0), ("w3", "q00", 6, 1),
                             ("w4", "q01", 6, 0)):
        e.submit(gang(name, q, n, priority=prio, created=1.0))
    e.run(max_cycles=limit)
    return e


def test_a_loop_whose_creation_times_creep_is_skipped_with_the_same_state(
        monkeypatch: pytest.MonkeyPatch) -> None:
    on, off, n_on, n_off = _both(monkeypatch, lambda: _drift(3_000))
    assert on == off  # (the creation times too, bit for bit)
    assert n_off == 3_000 and n_on < 60
    assert min(t for _, t in off[3]) > 1.0 + 1e-13  # hundreds of float steps above 1.0
    monkeypatch.setattr(_repeat, "SKIP", True)
    assert [lp.period for lp in _drift(3_000).loops] == [4]


@pytest.mark.parametrize("limit", [*range(9, 17), *range(40, 48)])
def test_a_creeping_loop_ends_at_every_limit_in_the_same_state(
        monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    on, off, _, _ = _both(monkeypatch, lambda: _drift(limit))
    assert on == off


@pytest.mark.parametrize("make", [_loop, _drift])
def test_a_compact_engine_lists_the_copies_it_leaves_out(make: Any) -> None:
    """A29: with ``compact`` (the twin's engine) a run keeps only its own events and lists
    the repeat's copies instead of making them: put back where they are listed, with
    their cycles moved on by whole periods, they are the last run's events of an engine
    that keeps them all, and the state is the same."""
    full, small = make(2_000), make(2_000, compact=True)
    assert len(small.elided) == 1 and len(small.events) < 100
    got = list(small.events)
    for at, period, m, p in reversed(small.elided):
        got[at:at] = [replace(x, cycle=x.cycle + k * p) for k in range(1, m + 1)
                      for x in period]
    assert got == full.events[len(full.events) - len(got):]
    assert _state(small)[1:] == _state(full)[1:]


@pytest.mark.parametrize("limit", range(9, 17))
def test_every_limit_ends_at_the_same_cycle_in_the_same_state(
        monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Limits that end the run at each point of the two-cycle period, and before the
    repeat is confirmed."""
    on, off, _, _ = _both(monkeypatch, lambda: _loop(limit))
    assert on == off


def test_without_a_clock_every_cycle_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a clock an eviction time is a fresh sequence number: no state repeats."""
    on, off, n_on, n_off = _both(monkeypatch, lambda: _loop(300, clock=False))
    assert on == off
    assert n_on == n_off


def _arrivals(e: Engine, r: random.Random, queues: list[str], t: int, most: int,
              prios: list[int], n: int) -> int:
    """Up to ``most`` random workloads at instant ``t`` (the clock set to it); the count."""
    e.clock = float(t)
    for _ in range(r.randint(1, most)):
        n += 1
        e.submit(gang(f"w{n}", r.choice(queues), r.choice([1, 2, 3, 4, 6, 8]),
                      priority=r.choice(prios), created=float(t)))
    return n


def _random_run(seed: int) -> Engine:
    """Random small fair-sharing configurations and workloads over a few instants, with
    some workloads finishing between them."""
    r = random.Random(seed)
    docs: list[dict[str, Any]] = [cohort("root")]
    queues = []
    for c in range(r.choice([2, 3])):
        docs.append(cohort(f"c{c}", "root", weight=r.choice([None, None, 2.0])))
        for k in range(r.choice([1, 2, 3])):
            queues.append(f"q{c}{k}")
            docs.append(_q(queues[-1], f"c{c}", r.choice([0, 2, 4, 8]), r.choice([0, 2, 4, 8]),
                           r.choice(["Any", "LowerPriority", "Never"]),
                           r.choice(["LowerPriority", "Never"])))
    conf = dict(FAIR, fairSharing={"preemptionStrategies": r.choice(
        [["LessThanOrEqualToFinalShare", "LessThanInitialShare"],
         ["LessThanOrEqualToFinalShare"], ["LessThanInitialShare"]])})
    e = Engine(config(*docs, conf, flavors=("f1", "f2")))
    n = 0
    for t in range(1, r.randint(3, 7)):
        n = _arrivals(e, r, queues, t, 5, [0, 1, 2], n)
        e.run(max_cycles=200)
        if e.admitted and r.random() < 0.4:
            e.finish(r.choice(sorted(e.admitted)))
    return e


@pytest.mark.parametrize("seed", [1758, *range(40)])
def test_random_runs_are_the_same_with_and_without(monkeypatch: pytest.MonkeyPatch,
                                                   seed: int) -> None:
    on, off, _, _ = _both(monkeypatch, lambda: _random_run(seed))
    assert on == off


def test_the_repeat_is_recorded_and_the_twin_reports_it() -> None:
    """Rule L9: the loop above, run by the twin's policy's engine (a limit of 10,000), is
    one repeat of two cycles over w2 (q10), w4 and w6 (q01), at the second instant."""
    e = _loop(10_000)
    assert [(lp.clock, lp.period, lp.workloads) for lp in e.loops] == [
        (2.0, 2, (("w2", "q10"), ("w4", "q01"), ("w6", "q01")))]
    pol = KueuePolicy(e.m, ["q00", "q01", "q10"])
    pol.engine = e
    rep = admission_report(pol)
    assert rep["loops_found"] == 1
    assert rep["loops"] == [{"first_day": 2.0 / 86400.0, "last_day": 2.0 / 86400.0,
                             "instants": 1, "workloads": ["w2", "w4", "w6"],
                             "cluster_queues": ["q01", "q10"]}]


def test_no_repeat_is_recorded_without_a_loop() -> None:
    e = _loop(10_000)
    e.finish("w1")  # q10 gives back 6 of f1: w8 and the others fit
    e.clock = 3.0
    e.run()
    assert len(e.loops) == 1 and e.cycle < 10_100


def _random_loops(seed: int) -> Engine:
    """A second random generator (2-4 cohorts, one or two flavors, weights, mostly reclaim
    Any, default strategies) whose seeds below each reach a loop at some instant (found by
    search: about one seed in 2,000)."""
    r = random.Random(seed)
    fls = ("f1", "f2") if r.random() < 0.5 else ("f1",)
    docs: list[dict[str, Any]] = [cohort("root")]
    queues = []
    for c in range(r.choice([2, 3, 4])):
        docs.append(cohort(f"c{c}", "root", weight=r.choice([None, None, 2.0, 0.5])))
        for k in range(r.choice([1, 2, 3])):
            queues.append(f"q{c}{k}")
            docs.append(cq(queues[-1], f"c{c}", flavors={
                f: [res("nvidia.com/gpu", r.choice([0, 2, 4, 8]))] for f in fls},
                preemption={"reclaimWithinCohort": r.choice(["Any", "Any", "LowerPriority"]),
                            "withinClusterQueue": r.choice(["LowerPriority", "Never"])}))
    e = Engine(config(*docs, {**FAIR, "fairSharing": {}}, flavors=fls))
    n = 0
    for t in range(1, r.randint(3, 8)):
        n = _arrivals(e, r, queues, t, 6, [0, 1, 1, 2], n)
        c0 = e.cycle
        e.run(max_cycles=400)
        if e.cycle - c0 >= 400:
            return e
        if e.admitted and r.random() < 0.3:
            e.finish(r.choice(sorted(e.admitted)))
    raise AssertionError(f"seed {seed} reached no loop")


LOOP_SEEDS = [982, 6950, 8214, 9453, 12730, 12816, 13035, 13308, 14832, 16192, 16196, 18885,
              26677, 27220, 27430, 27474, 28722, 28929, 30129, 35996, 38504, 39270, 43237,
              43830]


@pytest.mark.parametrize("seed", LOOP_SEEDS)
def test_random_loops_are_found_and_skipped_with_the_same_state(
        monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Each loop is found (A27 records it) and skipped with the same events, cycles and
    state, creation times included, as running every cycle."""
    on, off, n_on, n_off = _both(monkeypatch, lambda: _random_loops(seed))
    assert on == off
    assert n_on < n_off - 300
    monkeypatch.setattr(_repeat, "SKIP", True)
    assert _random_loops(seed).loops
