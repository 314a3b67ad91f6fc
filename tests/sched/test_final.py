"""Rule A79: the certificate of a failed fair-sharing search (A39-A43, A54) also holds after a
side that borrows moved, when that side's share is now below the preemptor side's share at
the end of the search (no take from it can pass a strategy), or when what the bound counts
leaving it now, less what the search took from it, stays within the shortfall. Checked
against the search itself at every answer a kept failure gives."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq
from test_bound import PRE, STRATS, _log

import aifab.sched._engine as engine_mod
import aifab.sched._idle as idle_mod
import aifab.sched._index as index_mod
from _soak import fast_first, seeds
from aifab.sched import Engine
from aifab.sched._assign import PREEMPT


def _case(rnd: random.Random) -> Any:
    """The issue's shape, small: cohorts under one root, none with quota of its own, each
    with four queues of 2-8 GPUs and fair-sharing weights; one strategy list."""
    cohorts = "wxyz"[:rnd.randint(3, 4)]
    docs = [cohort("root")] + [cohort(c, "root", weight=rnd.choice([None, 0.5, 2.0]))
                               for c in cohorts]
    docs += [cq(f"{c}{i}", c, rnd.randint(2, 8), preemption=PRE,
                fairSharing={"weight": rnd.choice([1, 1, 2])})
             for c in cohorts for i in range(4)]
    return config(*docs, fair=True, strategies=rnd.choice(STRATS))


def _jobs(rnd: random.Random, m: Any) -> list[tuple[str, int, int, int, int]]:
    """Small workloads that fill the fleet and borrow, and gangs of a third of it that can
    only preempt (queue, GPUs, priority, workloads that finish after it, CPUs)."""
    names = sorted(m.cluster_queues)
    total = sum(q.nominal for c in m.cluster_queues.values() for q in c.quotas.values())
    return [(rnd.choice(names), rnd.randint(int(total) // 4, int(total) // 3)
             if rnd.random() < 0.15 else rnd.randint(1, 4), rnd.randint(0, 3),
             rnd.choice([0, 0, 0, 1, 2]), 0) for _ in range(120)]


def _checked(counts: dict[str, int]) -> Any:
    """``targets``, and at every answer a kept failure gives after its versions moved, the
    search itself, which must find nothing too."""
    search = index_mod.targets

    def checked(ix: Any, m: Any, fair: bool, cq_: Any, wl: Any, asg: Any) -> Any:
        e = ix._failed.get(wl.name)
        if fair and e is not None and ix.failed_before(cq_, wl, asg, fair):
            counts["stood"] += e[2] != ix._versions(e[1])
            pool = ix.per_cq.groups(asg.usage)
            found = index_mod.fair_targets(ix.tree, cq_, wl, asg, pool, m.fs_strategies,
                                           True, ix.within)
            assert not found, (wl.name, cq_.name)
        return search(ix, m, fair, cq_, wl, asg)
    return checked


def _run(seed: int, on: bool) -> tuple[Any, int]:
    rnd = random.Random(seed)
    m = _case(rnd)
    counts = {"stood": 0}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(index_mod, "SEARCH_COUNT", on)
        mp.setattr(engine_mod, "targets", _checked(counts))
        mp.setattr(idle_mod, "targets", _checked(counts))
        log = _log(Engine(m), _jobs(rnd, m))
    return log, counts["stood"]


@pytest.mark.parametrize("seeds", fast_first([range(0, 6), range(6, 12)], 1))
def test_a_failed_search_that_stands_by_a79_finds_nothing_and_decides_the_same(
        seeds: range) -> None:
    """Each kept failure given after its versions moved finds nothing when searched again,
    with A79 on and off; the runs decide the same; and with A79 more failures stand."""
    more = 0
    for seed in seeds:
        (on, stood_on), (off, stood_off) = _run(seed, True), _run(seed, False)
        assert on == off
        more += stood_on - stood_off
    assert more > 0


def _probe(seed: int, on: bool) -> tuple[int, int]:
    """A random fleet filled with small workloads, a gang of a third of it whose search
    finds nothing, then 40 random changes of usage (workloads finished, submitted and
    run); after each, whether its kept failure stands, checked against the search. How
    many stood after their versions moved, and how many changes."""
    from aifab.sched import gang

    rnd = random.Random(seed)
    m = _case(rnd)
    names = sorted(m.cluster_queues)
    total = sum(q.nominal for c in m.cluster_queues.values() for q in c.quotas.values())
    e = Engine(m)
    k = 0

    busy = [rnd.random() ** 3 for _ in names]  # (some queues borrow much, most little)

    def submit(n: int) -> None:
        nonlocal k
        for q in rnd.choices(names, busy, k=n):
            k += 1
            e.submit(gang(f"w{k}", q, rnd.randint(1, 3), priority=rnd.randint(0, 2)))
        e.run()

    submit(int(total))
    stood = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(index_mod, "SEARCH_COUNT", on)
        for _ in range(6):  # (gangs in turn)
            q = rnd.choice(names)
            cq_, wl = m.cluster_queues[q], gang(f"g{k}", q, rnd.randint(int(total) // 8,
                                                                     int(total) // 3),
                                                priority=rnd.randint(1, 3))
            asg = e.tries.get(e, cq_, wl)
            ix = e.index
            if asg.mode != PREEMPT or index_mod.targets(ix, m, True, cq_, wl, asg):
                continue
            for _ in range(40):
                if rnd.random() < 0.5 and e.admitted:
                    e.finish(rnd.choice(sorted(e.admitted)))
                    e.run()
                else:
                    submit(rnd.randint(1, 3))
                asg = e.tries.get(e, cq_, wl)
                if asg.mode != PREEMPT:
                    break
                before = ix._failed.get(wl.name)
                if before is not None and ix.failed_before(cq_, wl, asg, True):
                    stood += before[2] != ix._versions(before[1])
                    found = index_mod.fair_targets(ix.tree, cq_, wl, asg,
                                                   ix.per_cq.groups(asg.usage),
                                                   m.fs_strategies, True, ix.within)
                    assert not found, (seed, wl.name)
                elif index_mod.targets(ix, m, True, cq_, wl, asg):
                    break
    return stood, k


@pytest.mark.slow  # (about 9 s)
def test_a_kept_failure_that_stands_by_a79_after_changes_finds_nothing() -> None:
    """Probes of one failed search each through random changes: every failure that stands
    finds nothing when searched again, and with A79 more stand."""
    more = 0
    for seed in range(4):
        more += _probe(seed, True)[0] - _probe(seed, False)[0]
    assert more > 0


@pytest.mark.slow  # (about 10 s; every seed: benchmarks/soak.py)
def test_more_kept_failures_that_stand_by_a79_find_nothing() -> None:
    for seed in seeds(50, 12, start=4):
        _probe(seed, True)
