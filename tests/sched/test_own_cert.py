"""Rule A43: a failed fair-sharing search, or a hopeless A8 bound, stands after a release or
admission in the preemptor's own cohort while its certificate holds (src/aifab/sched/
_cert.py). Checked on random nested configurations (cohorts with and without quota of their
own, lendingLimits, weights, within-nominal preemptors) against the search and the bound
computed again at every answer the memos give, and the same decisions with A43 off."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq, kept_as
from test_bound import PRE, _log
from test_cert import _checked

import aifab.sched._cert as cert_mod
import aifab.sched._engine as engine_mod
import aifab.sched._idle as idle_mod
import aifab.sched._index as index_mod
from _soak import seeds
from aifab.sched import Engine
from aifab.sched._bound import hopeless


def _random(rnd: random.Random) -> tuple[Any, list[str]]:
    """Three or four cohorts under the root, three to five queues each; a cohort may hold
    quota of its own and keep some back (lendingLimit), a queue too."""
    docs, names = [cohort("root")], []
    for c in "wxyz"[:rnd.randint(3, 4)]:
        own = rnd.choice([None, None, rnd.randint(1, 4)])
        docs.append(cohort(c, "root", own if own else rnd.choice([None, 0]),
                           lend=rnd.choice([None, 0, 1]) if own else None,
                           borrow=rnd.choice([None, None, 2, 4]),
                           weight=rnd.choice([None, 0.5, 1.0, 2.0])))
        for i in range(rnd.randint(3, 5)):
            nominal = rnd.randint(0, 5)
            docs.append(cq(f"{c}{i}", c, nominal, preemption=PRE,
                           lend=rnd.choice([None, None, None, min(nominal, 1)]),
                           fairSharing={"weight": rnd.choice([0.5, 1, 2])}))
            names.append(f"{c}{i}")
    return config(*docs, fair=True), names


def _hopeless_checked(kept: list[int]) -> Any:
    orig = index_mod.Index.hopeless

    def checked(ix: Any, cq_: Any, wl: Any, asg: Any, fair: bool, peek: bool = False) -> bool:
        key = index_mod._bound_key(cq_, wl, asg, fair)
        hit = ix._bounds.get(key)
        out = orig(ix, cq_, wl, asg, fair, peek)
        if kept_as(hit, ix._bounds.get(key)) and out:
            cert = hit[2]
            own = cert is not None and any(lv[0].ver != lv[1] for lv in cert[2])
            kept[0] += own and hit[0] != ix._versions(ix._scope(cq_.name,
                                                                 frozenset(asg.usage)))
            assert hopeless(ix.sums, ix.tree, cq_, wl.priority, asg.usage, fair, ix.within)
        return out
    return checked


def _run(seed: int, own: bool, counts: dict[str, int], kept: list[int]) -> tuple[Any, ...]:
    rnd = random.Random(seed)
    m, names = _random(rnd)
    big = max(4, len(names))
    jobs = [(rnd.choice(names), rnd.choice([1, 2, 3, rnd.randint(4, big)]),
             rnd.randint(0, 3), rnd.choice([0, 0, 1, 1, 2, 3]), 0) for _ in range(90)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cert_mod, "OWN", own)
        mp.setattr(engine_mod, "targets", _checked(counts))
        mp.setattr(idle_mod, "targets", _checked(counts))
        mp.setattr(index_mod.Index, "hopeless", _hopeless_checked(kept))
        e = Engine(m)
        e.index.bound = seed % 4 != 3  # (without A8 more searches run and fail)
        return _log(e, jobs)


def test_own_cohort_certificates_stand_and_decide_the_same() -> None:
    """Every answer the memos give after a move in the preemptor's own cohort is the search
    or bound computed again (checked inside the run); the runs decide the same with A43
    off; and A43 answers some bounds (its certificates are used)."""
    used = 0
    for seed in seeds(60, 20):
        kept = [0]
        on = _run(seed, True, {"cert": 0}, kept)
        used += kept[0]
        assert on == _run(seed, False, {"cert": 0}, [0]), seed
    assert used > 0


def test_a_fall_in_the_own_cohort_counts_even_when_the_root_does_not_fall() -> None:
    """A43 by hand. Cohort x (borrowingLimit 0) holds a (nominal 0) and b (nominal 2); y
    holds c (nominal 4). b runs 2, c runs 2: x uses all it may, so a 1-GPU gang of a can
    use nothing, has nothing to take (no queue borrows) and is short by 1: hopeless. Then
    one of b's workloads finishes and c admits one more: the root's usage is as before but
    x's fell by 1, which x's borrowingLimit lets a use. The certificate must not hold (the
    falls summed over x and the root reach the shortfall), and the bound, computed again,
    is not hopeless."""
    from test_side_caps import _fill

    from aifab.sched import gang

    m = config(cohort("root"), cohort("x", "root", 0, borrow=0), cohort("y", "root"),
               cq("a", "x", 0, preemption=PRE), cq("b", "x", 2, preemption=PRE),
               cq("c", "y", 4, preemption=PRE), fair=True)
    e = Engine(m)
    _fill(e, [("b1", "b", 1), ("b2", "b", 1), ("c1", "c", 1), ("c2", "c", 1)])
    cq_, wl = e.m.cluster_queues["a"], gang("g", "a", 1)
    asg = e.tries.get(e, cq_, wl)
    ix = e.index
    assert ix.hopeless(cq_, wl, asg, True)
    cert = next(iter(ix._bounds.values()))[2]
    assert cert is not None
    e.finish("b1")
    _fill(e, [("c3", "c", 1)])
    assert not hopeless(ix.sums, ix.tree, cq_, 0, asg.usage, True, ix.within)
    assert not cert_mod.holds(ix.sums, ix.tree, cert)
    assert not ix.hopeless(cq_, wl, asg, True)
