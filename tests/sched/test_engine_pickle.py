"""An engine pickled mid-run (benchmarks/sched_replay.py records one) decides the rest of
the run as the original does: the memos keyed by node identity are left out and made
again after loading (``Usage.__getstate__``, ``QuotaTree.__getstate__``)."""

from __future__ import annotations

import pickle
import random
from typing import Any

import pytest
from test_bound import _m, _wl

from aifab.sched import Engine


def _go(e: Engine, jobs: list[tuple[str, int, int, int, int]], first: int) -> list[Any]:
    log: list[Any] = []
    for i, (q, g, p, ends, cpu) in enumerate(jobs, start=first):
        e.submit(_wl(i, q, g, p, cpu))
        log += [(ev.kind, ev.workload, ev.by, ev.cycle) for ev in e.run()]
        for name in sorted(e.admitted)[:ends]:
            e.finish(name)
            log += [(ev.kind, ev.workload, ev.by, ev.cycle) for ev in e.run()]
    return [log, sorted(e.pending), sorted(e.admitted)]


@pytest.mark.parametrize("seed", range(6))
def test_a_pickled_engine_goes_on_as_the_original(seed: int) -> None:
    rnd = random.Random(seed)
    jobs = [(rnd.choice("abcdelr"), rnd.randint(1, 10), rnd.randint(0, 3), rnd.randint(0, 2),
             rnd.randint(0, 3)) for _ in range(60)]
    e = Engine(_m(seed % 3 != 0, None, deep=seed % 2 == 0))
    _go(e, jobs[:30], 0)
    copy = pickle.loads(pickle.dumps(e))
    assert copy.index.sums.levels == {} and copy.index.sums.nodes == {}
    assert copy.tree._lend == {} and copy.tree._pot == {}
    assert _go(e, jobs[30:], 30) == _go(copy, jobs[30:], 30)
