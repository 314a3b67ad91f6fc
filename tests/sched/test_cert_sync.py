"""Rule A65: at a level of a certificate whose path child has not moved, the sides are not
read again while the level's cohort has not moved since their versions last matched the
ones the certificate keeps (src/aifab/sched/_cert.py): every change of usage below a cohort
moves its version. Checked on the random nested configurations of test_own_cert (lendingLimits,
weights, within-nominal preemptors, A43 and A54's counted sides): at every check the answer
is the one a full reading of the sides gives, on a copy of the certificate; the skip is
used; and the runs decide the same with the rule off."""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_bound import _log
from test_own_cert import _random

import aifab.sched._cert as cert_mod
import aifab.sched._index as index_mod
from _soak import but
from aifab.sched import Engine


def _copy(cert: Any) -> Any:
    """The certificate with its own copies of what ``holds`` updates (the sides' versions
    and A65's cohort version; A73's memo empty), and A79's final share: the nodes are
    shared."""
    me, ver, levels, use, short, req, lim = cert
    lv2 = [(*lv[:9], (list(lv[9][0]), list(lv[9][1])), *lv[10:12],
            *([list(lv[12])] if len(lv) > 12 else []),
            *([[None, 0.0, {}]] if len(lv) > 13 else []), *lv[14:]) for lv in levels]
    return me, ver, lv2, use, short, req, lim


def _run(seed: int, sync: bool, seen: dict[str, int]) -> tuple[Any, ...]:
    rnd = random.Random(seed)
    m, names = _random(rnd)
    big = max(4, len(names))
    jobs = [(rnd.choice(names), rnd.choice([1, 2, 3, rnd.randint(4, big)]),
             rnd.randint(0, 3), rnd.choice([0, 0, 1, 1, 2, 3]), 0) for _ in range(90)]
    orig = cert_mod.holds

    def checked(u: Any, tree: Any, cert: Any) -> bool:
        if cert is None or len(cert) != 7:
            return orig(u, tree, cert)
        full = _copy(cert)
        reads = seen["reads"]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(cert_mod, "SYNC", False)
            want = orig(u, tree, full)
        seen["reads"] = reads  # (only the sides read by the check itself are counted)
        out = orig(u, tree, cert)
        assert out == want
        seen["checks"] += 1
        return out

    def ver(n: Any) -> int:  # (a side's version read: counted)
        seen["reads"] += 1
        return int(n.ver)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cert_mod, "SYNC", sync)
        mp.setattr(cert_mod, "_VER", ver)
        mp.setattr(index_mod, "holds", checked)
        e = Engine(m)
        e.index.bound = seed % 4 != 3
        return _log(e, jobs)


@pytest.mark.slow  # (about 2 s; with seed 25, 9 s more, in the soak: benchmarks/soak.py)
def test_sides_not_read_again_answer_as_a_full_reading_and_the_runs_decide_the_same() -> None:
    on = {"checks": 0, "reads": 0}
    off = dict.fromkeys(on, 0)
    for seed in but(range(40), 25):
        assert _run(seed, True, on) == _run(seed, False, off), seed
    # as many checks; the sides are read less often with the rule
    assert on["checks"] == off["checks"] > 300, (on, off)
    assert on["reads"] < off["reads"], (on, off)
