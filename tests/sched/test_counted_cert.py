"""Rule A54 (docs/sched.md; speed, no change in outcome): a hopeless A8 bound's certificate
holds after a target side the bound counted moves, or a side it passed over starts to
count, while what more may leave such sides, carried up the preemptor's path, stays below
the shortfall with the falls of the path's usage. Checked on random nested configurations
(test_own_cert's: cohorts with and without quota, lendingLimits, weights) and on four
cohorts of small queues: every kept hopeless answer is the bound computed again, every
kept failed search finds nothing when run, and the runs decide the same with the rule off;
the rule answers bounds it alone keeps."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq, kept_as
from test_bound import PRE, _log
from test_cert import _checked, _wide
from test_own_cert import _random

import aifab.sched._cert as cert_mod
import aifab.sched._engine as engine_mod
import aifab.sched._idle as idle_mod
import aifab.sched._index as index_mod
from aifab.sched import Engine
from aifab.sched._bound import hopeless


def _checked_bounds(used: list[int]) -> Any:
    """``_index._kept_bound``, each kept hopeless answer whose versions moved checked by
    computing the bound again; ``used[0]``: those kept where A54 looked at a counted side
    that moved (or a side that now counts)."""
    orig, gain = index_mod._kept_bound, cert_mod._gain
    looked = [0]

    def counting(*a: Any) -> Any:  # (``_gain``: under ``_more`` and A43's own branch)
        looked[0] += 1
        return gain(*a)

    def checked(ix: Any, cq_: Any, wl: Any, asg: Any, fair: bool, peek: Any,
                fresh: bool = False) -> Any:
        key = index_mod._bound_key(cq_, wl, asg, fair)
        hit = ix._bounds.get(key)
        before = looked[0]
        out = orig(ix, cq_, wl, asg, fair, peek, fresh)
        if kept_as(hit, ix._bounds.get(key)) and out and \
                hit[0] != ix._versions(ix._scope(cq_.name, frozenset(asg.usage))):
            used[0] += looked[0] > before
            assert hopeless(ix.sums, ix.tree, cq_, wl.priority, asg.usage, fair, ix.within)
        return out
    return checked, counting


def _run(m: Any, names: list[str], rnd: random.Random, on: bool, used: list[int],
         bound: bool = True) -> tuple[Any, ...]:
    big = max(4, len(names))
    jobs = [(rnd.choice(names), rnd.choice([1, 2, 3, rnd.randint(4, big)]),
             rnd.randint(0, 3), rnd.choice([0, 0, 1, 1, 2, 3]), 0) for _ in range(90)]
    checked, counting = _checked_bounds(used)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cert_mod, "COUNTED", on)
        mp.setattr(cert_mod, "_gain", counting)
        mp.setattr(engine_mod, "targets", _checked({"cert": 0}))
        mp.setattr(idle_mod, "targets", _checked({"cert": 0}))
        mp.setattr(index_mod, "_kept_bound", checked)
        e = Engine(m)
        e.index.bound = bound
        return _log(e, jobs)


@pytest.mark.parametrize("wide", [pytest.param(False, marks=pytest.mark.slow), True])
def test_counted_sides_may_move_and_the_runs_decide_the_same(wide: bool) -> None:
    """Every kept answer checked inside the runs; the same decisions with A54 off; and
    A54 keeps some hopeless bounds (a counted side moved)."""
    used = [0]
    for seed in range(40):
        if wide:
            m, names = _wide(), [f"{c}{i}" for c in "wxyz" for i in range(3)]
        else:
            m, names = _random(random.Random(seed))
        on = _run(m, names, random.Random(seed), True, used)
        off = _run(m, names, random.Random(seed), False, [0])
        assert on == off, seed
    assert used[0] > 0


def test_a_counted_side_that_moves_keeps_or_breaks_the_certificate() -> None:
    """A54 by hand. Cohort x holds p (nominal 0) and b (nominal 6); cohort y holds c
    (nominal 2); 8 GPUs in all. c runs five 1-GPU workloads (y borrows 3 of b's quota), b
    runs none, and a gang of 8 in p, with which x would borrow 2 (share 250 against y's
    375), can have the 3 free GPUs and what may leave y while y's share stays at least
    250 (1) and one last take (1): 5 < 8, hopeless, short by 3, with y counted. Each
    workload c admits next takes a free GPU and lets one more leave y: the bound stays
    hopeless (5 < 8). One of c's workloads finishing and another admitted at once moves
    y's version only: the certificate holds, which without A54 it does not. A sixth, then
    a seventh workload in c: what may reach the root from y grows by 1, then 2, below the
    shortfall, and the certificate holds; an eighth makes it 3, the shortfall, and it no
    longer does (the bound, computed again, is still hopeless: the rule only keeps what is
    sure). When all of c's workloads finish the gang fits."""
    from test_side_caps import _fill

    e, cq_, asg, cert = gang_case()
    ix = e.index
    assert cert is not None and cert[6] is not None
    assert cert[4][asg_fr(asg)] == pytest.approx(3.0, abs=1e-5)
    level = cert[2][0]
    assert level[10] is not None and any(level[10])  # y was counted
    e.finish("c0")
    _fill(e, [("c5", "c", 1)])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cert_mod, "COUNTED", False)
        assert not cert_mod.holds(ix.sums, ix.tree, cert)  # (before A54: computed again)
    for name, keeps in (("c5", True), ("c6", True), ("c7", True), ("c8", False)):
        if name != "c5":
            _fill(e, [(name, "c", 1)])
        assert hopeless(ix.sums, ix.tree, cq_, 0, asg.usage, True, ix.within)
        assert cert_mod.holds(ix.sums, ix.tree, cert) is keeps, name
    for i in range(1, 9):
        e.finish(f"c{i}")
    assert not hopeless(ix.sums, ix.tree, cq_, 0, asg.usage, True, ix.within)
    assert not cert_mod.holds(ix.sums, ix.tree, cert)


def asg_fr(asg: Any) -> Any:
    (fr,) = asg.usage
    return fr


def gang_case() -> tuple[Any, Any, Any, Any]:
    """The engine of the case above (x: p, nominal 0, and b, 6; y: c, 2; c running five
    1-GPU workloads), a gang of 8 in p found hopeless: the engine, p, the gang's assignment
    and the bound's certificate (test_cert_memo uses it too)."""
    from test_side_caps import _fill

    from aifab.sched import gang

    m = config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
               cq("p", "x", 0, preemption=PRE), cq("b", "x", 6, preemption=PRE),
               cq("c", "y", 2, preemption=PRE), fair=True)
    e = Engine(m)
    _fill(e, [(f"c{i}", "c", 1) for i in range(5)])
    cq_, wl = e.m.cluster_queues["p"], gang("g", "p", 8)
    asg = e.tries.get(e, cq_, wl)
    assert e.index.hopeless(cq_, wl, asg, True)
    return e, cq_, asg, next(iter(e.index._bounds.values()))[2]
