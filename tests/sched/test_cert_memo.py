"""Rule A73 (docs/sched.md; speed, no change in outcome): in A54's branch of a hopeless
bound's certificate (a level whose child on the path moved), the lower bound of that child's
least share is kept while the child has not moved, and what each side adds to what more may
leave, while the side has not moved and the bound is the same. Checked on test_counted_cert's
random nested configurations and four cohorts of small queues: every kept hopeless answer is
the bound computed again, the runs decide the same with the rule off, and the rule spares
work (fewer sides counted again); and by hand on test_counted_cert's case."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import counting
from test_bound import _log
from test_cert import _checked, _wide
from test_counted_cert import _checked_bounds, gang_case
from test_own_cert import _random

import aifab.sched._cert as cert_mod
import aifab.sched._engine as engine_mod
import aifab.sched._idle as idle_mod
import aifab.sched._index as index_mod
from _soak import seeds
from aifab.sched import Engine
from aifab.sched._bound import hopeless


def _churn(m: Any, names: list[str], rnd: random.Random, used: list[int]) -> tuple[Any, ...]:
    """test_counted_cert's run with a churn like the 1,000-ClusterQueue case's: gangs too big
    for their cohort wait (hopeless bounds, kept) while small workloads come and go in every
    cohort (the path's child and the sides move)."""
    jobs = [(rnd.choice(names), rnd.choice([1, 1, 2, rnd.randint(8, 20)]), rnd.randint(0, 3),
             rnd.choice([0, 1, 1, 2]), 0) for _ in range(120)]
    checked, looking = _checked_bounds(used)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cert_mod, "_gain", looking)
        mp.setattr(engine_mod, "targets", _checked({"cert": 0}))
        mp.setattr(idle_mod, "targets", _checked({"cert": 0}))
        mp.setattr(index_mod, "_kept_bound", checked)
        return _log(Engine(m), jobs)


@pytest.mark.slow  # (about 50 s for both with every seed: benchmarks/soak.py)
@pytest.mark.parametrize("wide", [False, True])
def test_kept_sides_give_the_same_runs(wide: bool) -> None:
    """Thirty seeds each (2-9 in ``make test``, tests/_soak.py): the same decisions with A73
    on and off (every kept hopeless answer checked against the bound computed again inside
    the runs, test_counted_cert), and with it on fewer lower bounds computed and no more
    sides counted again."""
    least = {True: [0], False: [0]}
    gain = {True: [0], False: [0]}
    for seed in seeds(30, 8, ci_start=2):  # seed 1: a loop to the cycle limit, 60k events, 26 s
        if wide:
            m, names = _wide(), [f"{c}{i}" for c in "wxyz" for i in range(3)]
        else:
            m, names = _random(random.Random(seed))
        runs = {}
        for on in (True, False):
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(cert_mod, "MEMO", on)
                n_least = counting(mp, cert_mod, "_least")
                n_gain = counting(mp, cert_mod, "_gain")
                runs[on] = _churn(m, names, random.Random(seed), [0])
            least[on][0] += n_least[0]
            gain[on][0] += n_gain[0]
        assert runs[True] == runs[False], seed
    assert least[True][0] < least[False][0] and gain[True][0] <= gain[False][0], (least, gain)


def test_a_side_is_counted_again_only_when_it_moved() -> None:
    """test_counted_cert's case: a gang of 8 in p (cohort x, with b), hopeless, short by 3,
    cohort y (queue c, five 1-GPU workloads, borrowing 3) counted. b then admits a workload:
    x, the path's child, moved, and A54's branch (A43) reads x's least share and y. The first
    check computes the bound and counts y; a second, nothing moved, takes both (no bound, no
    side counted again) and answers the same; c's next admission moves y alone: y is counted
    again with the bound kept; b's next moves x: the bound is computed again, to the same
    value (x's usage rose, so the lower bound of its least share did not fall), and y,
    unmoved, is taken as it was. Every answer is the one with the rule off, and each holds
    (hopeless computed again)."""
    from test_side_caps import _fill

    e, cq_, asg, cert = gang_case()
    ix = e.index
    seen = []
    with pytest.MonkeyPatch.context() as mp:
        least = counting(mp, cert_mod, "_least")
        gain = counting(mp, cert_mod, "_gain")
        for name, q in (("b0", "b"), ("", ""), ("c5", "c"), ("b1", "b")):
            if name:
                _fill(e, [(name, q, 1)])
            before = (least[0], gain[0])
            out = cert_mod.holds(ix.sums, ix.tree, cert)
            seen.append((least[0] - before[0], gain[0] - before[1]))
            with pytest.MonkeyPatch.context() as off:
                off.setattr(cert_mod, "MEMO", False)
                assert cert_mod.holds(ix.sums, ix.tree, cert) is out, name
            assert out and hopeless(ix.sums, ix.tree, cq_, 0, asg.usage, True, ix.within)
    assert cert[2][0][0].ver != cert[2][0][1]  # (x moved since the certificate)
    assert seen == [(1, 1), (0, 0), (0, 1), (1, 0)], seen
