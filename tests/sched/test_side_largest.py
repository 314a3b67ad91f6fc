"""Rule A56 (docs/sched.md; speed, no change in outcome): the largest workload a search may
take last from a target side (A23's cap) is kept with the side's version and the queues A35
gave for it. Checked on random nested configurations (test_own_cert's) and on four cohorts
of small queues: at every call the kept value equals the one read from every queue, the
kept value is used, and the runs decide the same with the rule off."""

from __future__ import annotations

from typing import Any

import pytest
from test_bound import _log
from test_held import mixed

import aifab.sched._bound as bound_mod
import aifab.sched._usage as usage_mod
from aifab.sched import Engine


def _run(seed: int, on: bool, counts: dict[str, int]) -> tuple[Any, ...]:
    m, jobs = mixed(seed)
    kept = usage_mod._big

    def checked(u: Any, side: Any, queues: list[str], fr: Any, lim: int) -> float:
        before = u.big.get((id(side), fr, lim))
        out = kept(u, side, queues, fr, lim)
        counts["calls"] += 1
        counts["kept"] += before is not None and u.big.get((id(side), fr, lim)) is before
        assert out == max(u.largest(q, fr, lim) for q in queues)
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(usage_mod, "BIG", on)
        mp.setattr(bound_mod, "_big", checked)
        return _log(Engine(m), jobs)


def test_the_kept_largest_take_is_the_one_read_from_every_queue() -> None:
    on_c = {"calls": 0, "kept": 0}
    off_c = {"calls": 0, "kept": 0}
    for seed in range(36):
        assert _run(seed, True, on_c) == _run(seed, False, off_c), seed
    assert on_c["calls"] > 0 and on_c["kept"] > 0
    assert off_c["kept"] == 0
