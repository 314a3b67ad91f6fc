"""Rule A44 (docs/sched.md; speed, no change in outcome): within one ``run()`` a preemption
search's answer is kept per state of the workloads the run admitted and evicted, and given
again when that state comes back, as it does every period of a preemption loop.

The loops are test_repeats' (LOOP: two cycles, DRIFT: four, with creeping creation
times), run with A27 off so that every cycle of them runs and searches."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import counting
from test_repeats import LOOP_SEEDS, _drift, _loop, _random_loops, _random_run, on_off

from _soak import fast_first
from aifab.sched import _index, _moves, _repeat, gang
from aifab.sched._preempt import Admitted


def _searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the searches that run (past every kept answer)."""
    return counting(monkeypatch, _index, "_search")


def _both(monkeypatch: pytest.MonkeyPatch, make: Any) -> tuple[Any, Any, int, int]:
    return on_off(monkeypatch, make, _moves, "ON", _searches(monkeypatch))


def test_a_loop_searches_once_per_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """LOOP's third instant alternates between two states for 2,000 cycles: w8 nominated
    to preempt w7 and w10 in one, then skipped, nominated to fit, in the other. Every
    cycle runs (A27 off), the same events and state; the search runs once for w8 at that
    instant, not once per period."""
    monkeypatch.setattr(_repeat, "SKIP", False)
    on, off, n_on, n_off = _both(monkeypatch, lambda: _loop(2_000))
    assert on == off
    assert sum(1 for x in off[0] if x[0] == "preempt") > 1_000
    assert n_off > 1_000
    assert n_on < 10


@pytest.mark.slow  # (about 3 s)
def test_a_creeping_loop_searches_once_per_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """DRIFT: the creation times of the workloads in the loop creep up each period; a
    search reads them only under withinClusterQueue LowerOrNewerEqualPriority (A18), which
    no queue here has, so the states come back for A44 as they do not for A27's events."""
    monkeypatch.setattr(_repeat, "SKIP", False)
    on, off, n_on, n_off = _both(monkeypatch, lambda: _drift(3_000))
    assert on == off
    assert n_off > 1_000 and n_on < 20


def test_without_a_clock_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a clock A27 finds no repeat (eviction times are fresh sequence numbers), but
    A44's states are of the admitted workloads: they come back."""
    on, off, n_on, n_off = _both(monkeypatch, lambda: _loop(300, clock=False))
    assert on == off
    assert n_off > 100 and n_on < 10


@pytest.mark.parametrize("skip", [True, False])
@pytest.mark.parametrize("seed", fast_first(LOOP_SEEDS))
def test_random_loops_are_the_same_with_and_without(monkeypatch: pytest.MonkeyPatch,
                                                    seed: int, skip: bool) -> None:
    monkeypatch.setattr(_repeat, "SKIP", skip)
    on, off, n_on, n_off = _both(monkeypatch, lambda: _random_loops(seed))
    assert on == off
    assert n_on < n_off


@pytest.mark.parametrize("seed", range(40))
def test_random_runs_are_the_same_with_and_without(monkeypatch: pytest.MonkeyPatch,
                                                   seed: int) -> None:
    on, off, _, _ = _both(monkeypatch, lambda: _random_run(seed))
    assert on == off


def test_a_loop_started_again_at_the_next_instant_searches_no_more(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After LOOP's third instant, a run at a fourth (as after a submission elsewhere: no
    release, and before the requeue the loop's evictions asked for a second after them,
    A2b): the loop starts again from the state the limit left, and every search it makes
    was made in that state before. A release on the flavor-resource makes a new state."""
    monkeypatch.setattr(_repeat, "SKIP", False)
    n = _searches(monkeypatch)
    e = _loop(300)
    assert e.next_requeue() == 4.0
    e.clock = 3.5
    before = n[0]
    e.run(max_cycles=300)
    assert e.cycle > 600 and n[0] == before
    e.finish("w1")
    e.clock = 5.0
    e.run(max_cycles=300)
    assert n[0] > before


def _adm(name: str, cq: str, gpus: float, at: int, fl: str = "f1") -> Admitted:
    return Admitted(gang(name, cq, gpus), cq, {(fl, "nvidia.com/gpu"): gpus}, at, {})


F1, F2 = ("f1", "nvidia.com/gpu"), ("f2", "nvidia.com/gpu")



def _get(m: _moves.Moves, req: Any, frs: Any, scope: Any) -> Any:
    k = m.key(req, frs, scope)
    return (False, None) if k is None else m.get(k)


def _put(m: _moves.Moves, req: Any, frs: Any, scope: Any, out: Any) -> None:
    k = m.key(req, frs, scope)
    if k is not None:  # (a request on several flavor-resources is not kept)
        m.put(k, out)

def test_the_state_is_the_order_of_admission_too() -> None:
    """The same workloads admitted again in another order are another state (P2 takes the
    most recently admitted first); in the same order, with new sequence numbers, the same
    one, and a kept target is handed back as the workload's current admission."""
    m = _moves.Moves()
    a, b = _adm("a", "q1", 2, 10), _adm("b", "q1", 2, 11)
    m.note(a, True)  # f1's base: before a
    m.note(b, True)
    _put(m, "req", {F1: 2.0}, (F1,), [b])
    m.note(a, False)
    m.note(b, False)
    assert _get(m, "req", {F1: 2.0}, (F1,)) == (False, None)
    b2, a2 = _adm("b", "q1", 2, 12), _adm("a", "q1", 2, 13)
    m.note(b2, True)
    m.note(a2, True)
    assert _get(m, "req", {F1: 2.0}, (F1,)) == (False, None)  # b before a: another state
    m.note(b2, False)
    m.note(a2, False)
    a3, b3 = _adm("a", "q1", 2, 14), _adm("b", "q1", 2, 15)
    m.note(a3, True)
    m.note(b3, True)
    seen, got = _get(m, "req", {F1: 2.0}, (F1,))
    assert seen and got is not None and got[0] is b3
    m.note(_adm("b", "q1", 4, 16), True)  # other usage: another state
    assert _get(m, "req", {F1: 2.0}, (F1,)) == (False, None)


def test_a_change_on_the_scope_is_another_state_and_off_it_not() -> None:
    """A release on another flavor-resource of the search's scope (a queue's share is over
    all its flavor-resources) is another state; one off the scope is not. Requests on two
    flavor-resources are not kept."""
    m = _moves.Moves()
    _put(m, "req", {F1: 2.0}, (F1, F2), None)
    assert _get(m, "req", {F1: 2.0}, (F1, F2)) == (True, None)
    f3 = _adm("c", "q9", 1, 20, fl="f3")
    m.note(f3, True)
    assert _get(m, "req", {F1: 2.0}, (F1, F2)) == (True, None)
    m.note(_adm("d", "q2", 1, 21, fl="f2"), True)
    assert _get(m, "req", {F1: 2.0}, (F1, F2)) == (False, None)
    _put(m, "two", {F1: 1.0, F2: 1.0}, (F1, F2), None)
    assert _get(m, "two", {F1: 1.0, F2: 1.0}, (F1, F2)) == (False, None)


def test_a_flavor_resource_takes_a_new_base_after_many_changes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MOVES changes a flavor-resource's base is taken again: the answers kept on the
    old one are not given for the new, though the changes since each look alike."""
    monkeypatch.setattr(_moves, "MOVES", 2)
    m = _moves.Moves()
    m.note(_adm("a", "q1", 1, 1), True)
    m.note(_adm("b", "q1", 1, 2), True)
    _put(m, "req", {F1: 2.0}, (F1,), None)
    m.note(_adm("c", "q1", 1, 3), True)  # a new base, with c; no change since it
    assert _get(m, "req", {F1: 2.0}, (F1,)) == (False, None)
