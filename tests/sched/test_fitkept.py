"""Rule A16: a flavor assignment that fits is kept as A12 keeps the others (per ClusterQueue
and request, with the usage versions of the queue's flavors); ``step()`` takes the idle
walk's (A13) try of the head that fits, and admitting it moves the versions, so a kept fit
is never handed out after its own admission. The engine must give the same events (with
their cycle numbers), cycle count, reasons and set-aside workloads with and without."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq, res
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


def test_a_fit_nominated_before_a_preemption_keeps_its_flavor() -> None:
    """In one cycle Y's try fits on f2 (f1 all lent to the victim's queue); X goes first and
    reclaims f1, more than it needs: Y, nominated on the cycle's state (A5b), still fits on
    f2 and is admitted there, as Kueue admits a nominated assignment that still fits
    (scheduler.go, processEntry); before A5b it was asked again and took f1."""
    gpu = "nvidia.com/gpu"
    m = config(cohort("x"), cq("p", "x", flavors={"f1": [res(gpu, 4)]}, preemption=PRE),
               cq("v", "x", flavors={"f1": [res(gpu, 0)]}),
               cq("y", "x", flavors={"f1": [res(gpu, 0)], "f2": [res(gpu, 2)]}),
               flavors=("f1", "f2"))
    e = Engine(m)
    e.submit(gang("victim", "v", 4))
    e.run()
    got = _spied(e)
    e.submit(gang("X", "p", 1, priority=1))
    e.submit(gang("Y", "y", 2))
    ev = [(x.kind, x.workload, x.cycle, x.by, x.flavors) for x in e.run()]
    f1, f2 = {"main": {gpu: "f1"}}, {"main": {gpu: "f2"}}
    assert any(a.mode == FIT and a.flavors == f2 for a in got)  # Y nominated on f2
    assert ev == [("preempt", "victim", 3, "X", {}), ("admit", "Y", 3, None, f2),
                  ("admit", "X", 4, None, f1)]


def test_a_kept_fit_is_not_taken_once_its_flavor_is_used_up() -> None:
    """In one cycle Y's try fits on f2 by borrowing X's quota (its f1 has none); X does not
    borrow, goes first and takes f2: Y, asked again, does not fit (f2's version moved, the
    second of y's flavors)."""
    gpu = "nvidia.com/gpu"
    m = config(cohort("x"), cq("p", "x", flavors={"f2": [res(gpu, 2)]}),
               cq("y", "x", flavors={"f1": [res(gpu, 0)], "f2": [res(gpu, 0)]}),
               flavors=("f1", "f2"))
    e = Engine(m)
    got = _spied(e)
    e.submit(gang("X", "p", 2))
    e.submit(gang("Y", "y", 2))
    ev = [(x.kind, x.workload, x.cycle) for x in e.run()]
    assert any(a.mode == FIT and a.borrow for a in got)  # Y's, kept, then stale
    assert ev == [("admit", "X", 1)] and "Y" in e.pending
