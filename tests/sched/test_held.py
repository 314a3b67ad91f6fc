"""Rule A57 (docs/sched.md; speed, no change in outcome): a certificate asked again at the
same epoch of the index (no usage moved since) is answered as the first time. Checked on
random nested configurations (test_own_cert's) and on four cohorts of small queues: every
answer equals the certificate checked again, some answers come from the memo, and the
runs decide the same with the rule off."""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_bound import _log
from test_cert import _wide
from test_own_cert import _random

import aifab.sched._cert as cert_mod
import aifab.sched._index as index_mod
from aifab.sched import Engine


def mixed(seed: int) -> tuple[Any, list[tuple[str, int, int, int, int]]]:
    """A random run: a nested configuration (test_own_cert's), or every third seed four
    cohorts of small queues, and 90 jobs on it (``test_bound._log``'s form)."""
    m, names = (_wide(), [f"{c}{i}" for c in "wxyz" for i in range(3)]) if seed % 3 == 0 \
        else _random(random.Random(seed))
    rnd = random.Random(seed)
    big = max(4, len(names))
    return m, [(rnd.choice(names), rnd.choice([1, 2, 3, rnd.randint(4, big)]),
                rnd.randint(0, 3), rnd.choice([0, 0, 1, 1, 2, 3]), 0) for _ in range(90)]


def _run(seed: int, on: bool, counts: dict[str, int]) -> tuple[Any, ...]:
    m, jobs = mixed(seed)
    kept, fresh = index_mod._holds, cert_mod.holds
    asked: list[int] = [0]

    def counted(u: Any, tree: Any, cert: Any) -> bool:
        asked[0] += 1
        return fresh(u, tree, cert)

    def checked(ix: Any, cert: Any) -> bool:
        before = asked[0]
        out = kept(ix, cert)
        if cert is not None:
            counts["asked"] += 1
            counts["memo"] += asked[0] == before
            assert out == fresh(ix.sums, ix.tree, cert)
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(index_mod, "HELD", on)
        mp.setattr(index_mod, "holds", counted)
        mp.setattr(index_mod, "_holds", checked)
        return _log(Engine(m), jobs)


@pytest.mark.slow  # (about 2.5 s)
def test_a_certificate_asked_again_in_the_same_state_answers_the_same() -> None:
    on_c = {"asked": 0, "memo": 0}
    off_c = {"asked": 0, "memo": 0}
    for seed in range(36):
        assert _run(seed, True, on_c) == _run(seed, False, off_c), seed
    assert on_c["memo"] > 0 and off_c["memo"] == 0
