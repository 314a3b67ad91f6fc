"""Rule A48 (docs/sched.md; speed, no change in outcome): a search that A8's bound rules out
is kept with the bound's certificate (A40), so it stands, without asking the bound again,
while that certificate holds. Every search the memo answers is checked against the search
itself (test_cert's check), and the runs decide the same with the rule off."""

from __future__ import annotations

import random

import pytest
from test_bound import _log
from test_cert import _checked, _wide

import aifab.sched._engine as engine_mod
import aifab.sched._idle as idle_mod
import aifab.sched._index as index_mod
from aifab.sched import Engine


def _run(seed: int, on: bool) -> tuple[object, int]:
    rnd = random.Random(seed)
    names = [f"{c}{i}" for c in "wxyz" for i in range(3)]
    jobs = [(rnd.choice(names), rnd.randint(2, 12), rnd.randint(0, 3),
             rnd.choice([0, 0, 1, 1, 2]), 0) for _ in range(80)]
    counts = {"cert": 0}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(index_mod, "BOUND_CERT", on)
        mp.setattr(engine_mod, "targets", _checked(counts))
        mp.setattr(idle_mod, "targets", _checked(counts))
        log = _log(Engine(_wide()), jobs)
    return log, counts["cert"]


def test_searches_ruled_out_by_the_bound_stand_by_its_certificate() -> None:
    """Over random runs on four cohorts, with the rule more failed searches stand after
    their versions moved (each checked to find nothing), and every run decides the same."""
    more = 0
    for seed in range(4):
        (on, n_on), (off, n_off) = _run(seed, True), _run(seed, False)
        assert on == off
        assert n_on >= n_off
        more += n_on - n_off
    assert more > 0
