"""Rules A49-A51 and A63 (docs/sched.md; speed, no change in outcome): A27's skip of a loop
takes the last whole period too (A49), a run tries the period of the engine's last loop
first (A50; A63: also on the run's first cycles), and the creation-time ceiling of a skip
reads only the workloads noted above the clock (A51). Each is compared with the rule off on
test_repeats' loops: the same events with their cycles, the same state, and the admitted
workloads in the same order."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cq, res
from test_repeats import (
    DRIFT,
    LOOP,
    LOOP_SEEDS,
    _counted,
    _loop,
    _play,
    _random_loops,
    _state,
    on_off,
)

from _soak import fast_first
from aifab.sched import Engine, _repeat, gang


def _full(e: Engine) -> tuple[Any, ...]:
    """``_state`` and the order of admission (A49 leaves the admission numbers of a loop's
    last period as the confirmed period's: only their order is read, P2)."""
    return _state(e), [n for n, a in sorted(e.admitted.items(), key=lambda kv: kv[1].at)]


def _again(e: Engine, clock: float, limit: int = 10_000) -> Engine:
    """The same engine run again at a later instant: LOOP's state at its limit is inside
    the loop, so it loops again (before the requeue its evictions asked for a second after
    them, A2b: LOOP's at 4.0)."""
    e.clock = clock
    e.run(max_cycles=limit)
    return e


def _on_off(mp: pytest.MonkeyPatch, flag: str, make: Any) -> tuple[Any, Any, int, int]:
    """``_full`` of ``make()`` with A27's ``flag`` on, then off, and ``step()`` calls."""
    return on_off(mp, make, _repeat, flag, _counted(mp), state=_full)


@pytest.mark.slow  # (about 5 s)
def test_the_last_period_is_skipped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """LOOP (a two-cycle period) at a limit of 10,000: with A49 the skip leaves only what
    is left of the limit below one period to run, one period fewer than without."""
    on, off, n_on, n_off = _on_off(monkeypatch, "LAST", lambda: _loop(10_000))
    assert on == off
    assert n_on < n_off
    monkeypatch.setattr(_repeat, "SKIP", False)
    assert _full(_loop(10_000)) == on  # (every cycle run)


@pytest.mark.parametrize("limit", fast_first([2_000, 2_001, 2_002, 2_003, 2_997]))
def test_every_limit_ends_the_same_with_the_last_period_skipped(
        monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    on, off, _, _ = _on_off(monkeypatch, "LAST", lambda: _play(DRIFT, limit))
    assert on == off
    monkeypatch.setattr(_repeat, "SKIP", False)
    assert _full(_play(DRIFT, limit)) == on


def test_a_second_loop_is_found_from_the_first_ones_period(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """LOOP run again at the next instant loops again; with A50 its candidate is taken
    after the first period's cycles, so it is skipped after fewer step() calls."""
    monkeypatch.setattr(_repeat, "HINT", True)
    first = _loop(10_000)
    assert first.hint > 0
    on, off, n_on, n_off = _on_off(monkeypatch, "HINT", lambda: _again(_loop(10_000), 3.5))
    assert on == off
    assert n_on < n_off
    e = _again(_loop(10_000), 3.5)
    assert [lp.clock for lp in e.loops] == [3.0, 3.5]


@pytest.mark.parametrize("seed", fast_first(LOOP_SEEDS))
def test_random_loops_are_the_same_with_each_rule_off(monkeypatch: pytest.MonkeyPatch,
                                                      seed: int) -> None:
    """Each random loop of test_repeats, run on at two more instants, with A49, A50 and
    A51 each off against all on, and against every cycle run."""
    def make() -> Engine:
        return _again(_again(_random_loops(seed), 1_000.0, 400), 2_000.0, 400)

    ref = _full(make())
    for flag in ("LAST", "HINT", "ABOVE", "EARLY"):
        monkeypatch.setattr(_repeat, flag, False)
        assert _full(make()) == ref, flag
        monkeypatch.setattr(_repeat, flag, True)
    monkeypatch.setattr(_repeat, "SKIP", False)
    assert _full(make()) == ref


def test_the_ceiling_is_the_same_as_reading_every_workload(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A51: at every skip of the random loops and DRIFT, the ceiling read from the noted
    workloads equals the one read from every workload."""
    ceiling, seen = _repeat._ceiling, []

    def both(eng: Any, moved: Any, clock: float) -> float:
        got = ceiling(eng, moved, clock)
        monkeypatch.setattr(_repeat, "ABOVE", False)
        ref = ceiling(eng, moved, clock)
        monkeypatch.setattr(_repeat, "ABOVE", True)
        seen.append(ref)
        assert got == ref
        return got

    monkeypatch.setattr(_repeat, "_ceiling", both)
    for seed in LOOP_SEEDS:
        e = _random_loops(seed)
        # a workload created later than the clock, too large to fit or preempt (not moved)
        e.submit(gang("late", sorted(e.m.cluster_queues)[0], 1_000, created=1e9))
        _again(e, 1_000.0, 400)
    _play(DRIFT, 3_000)
    assert len(seen) > len(LOOP_SEEDS)
    assert seen.count(1e9) >= len(LOOP_SEEDS) // 2  # the late workload is the ceiling


def test_a_clock_moved_back_reads_every_workload() -> None:
    """A51's notes hold only while the clock does not go back past a clock a workload was
    left out at: then ``_ceiling`` reads every workload (a caller may set any clock)."""
    e = _loop(10_000)
    assert e.above is not None
    e.above.note(next(iter(e.admitted.values())).wl, 5.0)  # left out at clock 5
    w = next(iter(e.pending.values()))
    w.created = 4.5
    assert _repeat._ceiling(e, {}, 4.0) == min(
        x.created for x in [*e.pending.values(), *(a.wl for a in e.admitted.values())]
        if x.created > 4.0)


@pytest.mark.parametrize("hint", [1, 2, 3, 4])
def test_any_hint_gives_the_same_runs(monkeypatch: pytest.MonkeyPatch, hint: int) -> None:
    """A50's hint only says where to look first: random runs (most without a loop) with
    any period as the hint end as with every cycle run."""
    from test_repeats import _random_run

    def make(seed: int) -> Engine:
        engine_init = Engine.__init__

        def init(self: Engine, *a: Any, **k: Any) -> None:
            engine_init(self, *a, **k)
            self.hint = hint

        with monkeypatch.context() as mp:
            mp.setattr(Engine, "__init__", init)
            return _random_run(seed)

    for seed in range(40):
        on = _full(make(seed))
        monkeypatch.setattr(_repeat, "SKIP", False)
        assert _full(make(seed)) == on, seed
        monkeypatch.setattr(_repeat, "SKIP", True)


def test_a_creation_time_moved_back_below_the_clock_is_not_the_ceiling() -> None:
    """A51: a workload noted above the clock whose creation time later moved to or below a
    clock (requeued at its eviction time) is dropped from the notes."""
    e = _loop(10_000)
    assert e.above is not None
    w = next(iter(e.pending.values()))
    w.created = 50.0
    e.above.note(w, 3.0)
    w.created = 4.0
    e.above.note(w, 6.0)
    ref = min((x.created for x in [*e.pending.values(), *(a.wl for a in e.admitted.values())]
               if x.created > 10.0), default=float("inf"))
    assert _repeat._ceiling(e, {}, 10.0) == ref != 50.0


def test_a_second_loop_is_confirmed_on_its_first_cycles(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A63: LOOP run again at the next instant loops from its first cycle, so the hint's
    candidate taken after the period's first cycles (its window starting where the run
    starts) is confirmed: fewer step() calls than with A50's candidate alone, the same
    events, state and order of admission."""
    on, off, n_on, n_off = _on_off(monkeypatch, "EARLY", lambda: _again(_loop(10_000), 3.5))
    assert on == off
    assert n_on < n_off


@pytest.mark.parametrize("seed", fast_first(LOOP_SEEDS))
def test_a_failed_early_window_leaves_the_usual_candidate(
        monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """A63 on the random loops, run on at two more instants (within the second before the
    requeue their evictions asked for, A2b): the same as with it off and as every cycle
    run, never more step() calls than with it off; where the early window was still open
    when A50 would take its candidate, that one was taken too (``later``)."""
    taken = _repeat.Repeats._taken
    later = [0]

    def spy(self: Any, eng: Any, k: int) -> Any:
        later[0] += self.cand is not None
        return taken(self, eng, k)

    monkeypatch.setattr(_repeat.Repeats, "_taken", spy)

    def make() -> Engine:
        e = _random_loops(seed)
        t = e.clock
        assert t is not None and e.next_requeue() == t + 1.0
        return _again(_again(e, t + 0.25, 400), t + 0.5, 400)

    on, off, n_on, n_off = _on_off(monkeypatch, "EARLY", make)
    assert on == off
    assert n_on <= n_off
    monkeypatch.setattr(_repeat, "SKIP", False)
    assert _full(make()) == on
    assert later[0] > 0


def _beside() -> Engine:
    """LOOP with a lone ClusterQueue z (its own tree, 4 GPUs) beside it; at the next
    instant z's new workload x is admitted in the run's first cycle, with the loop's own
    events, and the loop goes on as before."""
    e = _play(LOOP, 10_000, extra=(cq("z", None, flavors={"f1": [res("nvidia.com/gpu", 4)]}),))
    e.submit(gang("x", "z", 1, created=3.25))
    return _again(e, 3.5)


@pytest.mark.slow  # (about 10 s)
def test_an_early_window_with_a_first_cycle_of_its_own_leaves_it_to_the_usual_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A63: x's admission makes the run's first cycles no period of the loop, so the early
    candidate fails; A50's, taken one cycle later while it was open, takes over: as many
    step() calls as without A63, the same events and state as every cycle run."""
    on, off, n_on, n_off = _on_off(monkeypatch, "EARLY", _beside)
    assert on == off
    assert n_on == n_off
    e = _beside()
    assert "x" in e.admitted and [lp.clock for lp in e.loops] == [3.0, 3.5]
    monkeypatch.setattr(_repeat, "SKIP", False)
    assert _full(_beside()) == on
