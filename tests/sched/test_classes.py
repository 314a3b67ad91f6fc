"""Rule A71 (docs/sched.md; speed, no change in outcome): each queue's pending workloads are
kept by scheduling equivalence class (A2c), so a failing head's class-mates are found
without reading every pending workload of its queue, in ``bulk_move`` and in the idle
walk (A13).

Random configurations of a few queues with long backlogs of a few request sizes and
priorities (so classes repeat, as on korea-2025) are driven as the twin drives them: a
clock, requeues when due, victims held until their pods are gone, random arrivals and
finishes. Every run's events and the engine's whole state are the same with the rule on and
off, and after every run the kept classes are exactly each queue's pending workloads
grouped by class, in the order they joined.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq, next_instant, pods_gone, res

from _soak import fast_first
from aifab.sched import Engine, _again, _classes, gang
from aifab.sched._cycle import eq_class


def _config(r: random.Random) -> tuple[Engine, list[str]]:
    """Three to six ClusterQueues in one or two cohorts, one or two flavors."""
    fls = ("f1", "f2") if r.random() < 0.5 else ("f1",)
    docs: list[dict[str, Any]] = [cohort("root")]
    names: list[str] = []
    for c in range(r.choice([1, 2])):
        docs.append(cohort(f"c{c}", "root"))
        for k in range(r.choice([3, 4, 5, 6]) // (c + 1)):
            names.append(f"q{c}{k}")
            docs.append(cq(names[-1], f"c{c}", flavors={
                f: [res("nvidia.com/gpu", r.choice([2, 4, 8]))] for f in fls},
                preemption={"reclaimWithinCohort": r.choice(["Any", "LowerPriority"]),
                            "withinClusterQueue": r.choice(["LowerPriority", "Never"])}))
    fair = r.random() < 0.6
    return Engine(config(*docs, fair=fair, flavors=fls), topology=False), names


def _grouped(e: Engine) -> dict[str, dict[str, list[str]]]:
    """Each queue's pending workloads by class, in the order they joined (the rule's
    index, made afresh)."""
    out: dict[str, dict[str, list[str]]] = {}
    for q, ws in e._members.items():
        for w in ws.values():
            out.setdefault(q, {}).setdefault(eq_class(w), []).append(w.name)
    return out


def _drive(seed: int, on: bool, mp: pytest.MonkeyPatch, until: float = 150.0
           ) -> tuple[list[Any], int]:
    """Every run's events and whole state, and how many runs found the kept classes
    made (with the rule on)."""
    mp.setattr(_classes, "ON", on)
    r = random.Random(seed)
    e, names = _config(r)
    e.compact, e.hold = True, r.random() < 0.7
    out: list[Any] = []
    gone: dict[str, float] = {}
    n = kept = 0
    t = 0.0
    while t <= until:
        pods_gone(e, gone, t)
        for _ in range(r.choice([0, 1, 2, 3, 6])):
            n += 1
            e.submit(gang(f"w{n}", r.choice(names), r.choice([2, 3, 6, 12]),
                          priority=r.choice([0, 1]), created=t))
        if e.admitted and r.random() < 0.4:
            name = r.choice(sorted(e.admitted))
            gone.pop(name, None)
            e.finish(name)
        out.append(_again.whole(e, e.run(max_cycles=300)))
        if on and e._classes is not None:
            kept += 1
            got = {q: {c: list(ws) for c, ws in cs.items() if ws}
                   for q, cs in e._classes.items()}
            assert {q: cs for q, cs in got.items() if cs} == _grouped(e), (seed, t)
        t = next_instant(e, gone, t, r.choice([0.5, 1.0, 2.0]))
    return out, kept


@pytest.mark.parametrize("seed", fast_first(range(10)))
def test_the_same_events_and_state_with_and_without(monkeypatch: pytest.MonkeyPatch,
                                                   seed: int) -> None:
    on, kept = _drive(seed, True, monkeypatch)
    off, _ = _drive(seed, False, monkeypatch)
    assert on == off
    assert kept > 0  # the rule was used: the classes were kept and read


def test_a_failing_head_sets_aside_its_class_mates_only() -> None:
    """Worked out by hand: a queue with two classes (8 GPUs at priority 0, 1 GPU at
    priority 0) behind quota of 4. The 8-GPU head fails and sets aside the other 8-GPU
    workloads, read from the kept classes, not the 1-GPU ones, which are admitted."""
    e = Engine(config(cohort("root"), cq("a", "root", 4), fair=True), topology=False)
    e.clock = 0.0
    for i, g in enumerate([8, 1, 8, 1, 8]):
        e.submit(gang(f"w{i}", "a", float(g), created=float(i)))
    e.run()
    assert sorted(e.parked) == ["w0", "w2", "w4"]
    assert sorted(e.admitted) == ["w1", "w3"]
    assert e._classes is not None
    assert list(e._classes["a"][eq_class(e.pending["w0"])]) == ["w0", "w2", "w4"]
    e.finish("w1")
    e.submit(gang("w5", "a", 8.0, created=5.0))  # joins its class (and is set aside with it)
    assert list(e._classes["a"][eq_class(e.pending["w0"])]) == ["w0", "w2", "w4", "w5"]
    assert "w5" in e.parked
    assert all(n not in e._classes["a"].get(eq_class(e.admitted["w3"].wl), {})
               for n in ("w1", "w3"))  # admitted workloads left their class
