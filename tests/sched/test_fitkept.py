"""Rule A16: a flavor assignment that fits is kept as A12 keeps the others (per ClusterQueue
and request, with the usage versions of the queue's flavors); ``step()`` takes the idle
walk's (A13) try of the head that fits, and admitting it moves the versions, so a kept fit
is never handed out after its own admission. The engine must give the same events (with
their cycle numbers), cycle count, reasons and set-aside workloads with and without."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import config, cq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_idle import JOBS, _log, _m2
from test_index import PRE
from test_tries import _m

from aifab.sched import Engine, gang
from aifab.sched._assign import FIT
from aifab.sched._cycle import Tries
from aifab.sched._idle import idle_cycles


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans(), st.sampled_from([_m, _m2]))
def test_kept_fits_change_nothing(jobs: list[tuple[str, int, int, int]], fair: bool,
                                  make: Any) -> None:
    m = make(fair)
    fast = _log(m, jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Tries, "fits", False)
        slow = _log(m, jobs)
    assert fast == slow


def _spied(e: Engine) -> list[Any]:
    """The assignments ``e.tries.get`` hands out, in order."""
    out: list[Any] = []
    get = e.tries.get

    def spy(eng: Any, cq: Any, wl: Any, key: Any = None) -> Any:
        out.append(get(eng, cq, wl, key))
        return out[-1]
    e.tries.get = spy  # type: ignore[method-assign]
    return out


@pytest.mark.parametrize("fits", [True, False])
def test_step_admits_with_the_walks_fit_and_not_after(fits: bool) -> None:
    m = config(cq("l", None, 5, preemption=PRE))
    e = Engine(m)
    e.tries.fits = fits
    got = _spied(e)
    e.submit(gang("w", "l", 3))
    assert idle_cycles(e, 10) == (0, False)  # the walk found w fits: the cycle is step()'s
    assert e.step()
    walk, stepped = got
    assert walk.mode == stepped.mode == FIT and list(e.admitted) == ["w"]
    assert (stepped is walk) == fits  # A16: kept, not made again (only with the rule on)
    lq = m.cluster_queues["l"]
    again = e.tries.get(e, lq, gang("w2", "l", 3))  # the same request, after w's admission
    assert again is not walk and again.mode != FIT  # made again: w holds 3 of 5
    e.submit(gang("w3", "l", 2))
    e.run()
    assert list(e.admitted) == ["w", "w3"]
    assert e.tries.get(e, lq, gang("w4", "l", 2)).mode != FIT  # full: not w3's fit again
