"""Rule A64: a certificate keeps, per level, what of the request reaches the path's child
(``carried``) with the versions of the nodes between that child and the preemptor's queue,
and A43's check reads it while they and the queue have not moved, instead of carrying the
request up again (src/aifab/sched/_cert.py, ``_within_at``). Checked on random three-level
configurations (cohorts, sub-cohorts and queues that keep quota back with lendingLimit, so
that what is carried moves with the usage of the nodes in between): at every check the kept
answer is the one computed again, both ways of answering are used, and the runs decide the
same with the rule off."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq
from test_bound import PRE, _log

import aifab.sched._cert as cert_mod
from _soak import seeds
from aifab.sched import Engine
from aifab.sched._bound import _within
from aifab.sched._quota import EPS, carried


def _random(rnd: random.Random) -> tuple[Any, list[str]]:
    """Two or three cohorts under the root, each with one or two sub-cohorts of two or three
    queues; sub-cohorts and queues hold quota and may keep some of it back."""
    docs, names = [cohort("root")], []
    for c in "xyz"[:rnd.randint(2, 3)]:
        docs.append(cohort(c, "root", weight=rnd.choice([None, 0.5, 2.0])))
        for s in range(rnd.randint(1, 2)):
            own = rnd.randint(1, 4)
            docs.append(cohort(f"{c}{s}", c, own, lend=rnd.choice([0, 1, None]),
                               weight=rnd.choice([None, 1.0, 2.0])))
            for i in range(rnd.randint(2, 3)):
                nominal = rnd.randint(0, 4)
                docs.append(cq(f"{c}{s}q{i}", f"{c}{s}", nominal, preemption=PRE,
                               lend=rnd.choice([None, min(nominal, 1), 0]),
                               fairSharing={"weight": rnd.choice([0.5, 1, 2])}))
                names.append(f"{c}{s}q{i}")
    return config(*docs, fair=True), names


def _run(seed: int, up: bool, seen: dict[str, int]) -> tuple[Any, ...]:
    rnd = random.Random(seed)
    m, names = _random(rnd)
    jobs = [(rnd.choice(names), rnd.choice([1, 2, 3, rnd.randint(4, 12)]), rnd.randint(0, 3),
             rnd.choice([0, 0, 1, 1, 2, 3]), 0) for _ in range(90)]
    orig = cert_mod._within_at

    def checked(tree: Any, me: Any, q: Any, req: Any, kept: Any) -> bool:
        out = orig(tree, me, q, req, kept)
        now = _within(tree, me, q, req)  # (the request carried up again now)
        assert out == now
        if kept is not None:
            stood = all(n.ver == v for n, v in kept[1])
            seen["kept" if stood else "again"] += 1
            seen["between"] += bool(kept[1])
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cert_mod, "UP", up)
        mp.setattr(cert_mod, "_within_at", checked)
        return _log(Engine(m), jobs)


def test_kept_carry_answers_as_the_carry_now_and_the_runs_decide_the_same() -> None:
    seen = dict.fromkeys(("kept", "again", "between"), 0)
    for seed in seeds(40, 10):
        on = _run(seed, True, seen)
        assert on == _run(seed, False, dict.fromkeys(seen, 0)), seed
    # both ways of answering are used (kept, and carried again after a node in between
    # moved), and some kept answers read nodes in between
    assert seen["kept"] > 0 and seen["again"] > 0 and seen["between"] > 0, seen


def test_a_node_in_between_that_moved_is_carried_through_again() -> None:
    """By hand: cohort c holds 4 GPUs, its sub-cohort s keeps its own 4 back (lendingLimit
    0). Unused, those cover a 3-GPU request of queue a, so nothing of it reaches c and a
    stays within c's quota. Once queue b uses 6 (4 kept in s, 2 carried to c), the request
    reaches c whole: 2 + 3 > 4. The carry kept before b moved would still say within; with
    s's version kept beside it, the check carries the request through s again."""
    m = config(cohort("root"), cohort("c", "root", 4), cohort("s", "c", 4, lend=0),
               cq("a", "s", 0, preemption=PRE), cq("b", "s", 0, preemption=PRE),
               cohort("d", "root", 4), fair=True)
    e = Engine(m)
    tree, fr = e.tree, ("default", "nvidia.com/gpu")
    me, c, sub = tree.cqs["a"], tree.cqs["a"].path()[1], tree.cqs["a"].path()[2]
    req = {fr: 3.0}
    kept = (dict(carried(me, c, req)), [(sub, sub.ver)])
    assert kept[0] == {} and cert_mod._within_at(tree, me, c, req, kept)
    e.index.reserve("b", {fr: 6.0})  # (usage moved at b, s, c and the root: versions too)
    assert c.usage[fr] == 2.0 and me.ver == 0
    assert not _within(tree, me, c, req)
    assert not cert_mod._within_at(tree, me, c, req, kept)
    # what the kept carry alone would answer (the versions in between not read)
    assert c.usage[fr] + kept[0].get(fr, 0.0) <= c.subtree[fr] + EPS
