"""A77 and A78 (``aifab.sched._vers``, docs/sched.md): a cycle whose only changes of usage
were quota reservations (A77), or also its victims' usage freed for the rest of the cycle
(A78), puts back every version it moved once the usage is back; versions are never given
twice. Hand-built cases, then random runs with each rule on and off beside each other,
every run's events and the engine's whole state compared (``_again.whole``)."""

from __future__ import annotations

from typing import Any

import pytest
from _calls import held_calls
from _cfg import config, cq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifab.sched import Engine, gang
from aifab.sched import _vers as vers
from aifab.sched._again import whole

PRE = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}


def _versions(e: Engine) -> tuple[object, ...]:
    ix = e.index
    return (dict(ix.ver), ix.epoch, sorted((n.name, n.ver) for n in e.tree.nodes.values()))


def _waiting(*more: dict[str, Any]) -> Engine:
    """b1 has preempted a2 and waits for a2's pods: every later cycle reserves b1's quota
    for the rest of the cycle (A5) and gives it back. ``more``: other ClusterQueues."""
    e = Engine(config(cq("a", "ab", 4, preemption=PRE), cq("b", "ab", 4, preemption=PRE),
                      *more, fair=True))
    e.hold = True
    e.submit(gang("a1", "a", 4))
    e.submit(gang("a2", "a", 4))
    e.run()
    e.submit(gang("b1", "b", 4))
    assert [(v.kind, v.workload) for v in e.run()] == [("preempt", "a2")]
    return e


def test_a_cycle_that_only_reserves_puts_every_version_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    e = _waiting()
    before, tick = _versions(e), e.index.tick
    assert e.step() is False  # b1 finds a2 again, issues nothing, reserves and gives back
    assert e.index.tick > tick  # the reservation gave new versions, and they were put back
    assert _versions(e) == before and e.index.mark is None and e.index.held == 0
    monkeypatch.setattr(vers, "ON", False)
    assert e.step() is False
    moved = _versions(e)
    assert moved[0] != before[0] and moved[1] != before[1] and moved[2] != before[2]


def test_a_version_put_back_is_never_given_again() -> None:
    """After A77 the next change gets a number above every one the reservation used, so a
    kept answer made while the quota was reserved can never be read as a later state's."""
    e = _waiting()
    used = []
    real = vers.touch

    def spy(ix: Any, usage: Any, cq: Any) -> None:
        real(ix, usage, cq)
        used.append(ix.tick)

    vers.touch, keep = spy, vers.touch
    try:
        e.step()
    finally:
        vers.touch = keep
    assert used and e.index.epoch < min(used)
    e.submit(gang("a3", "a", 1))
    e.finish("a1")  # a release: new versions
    fr = next(iter(e.admitted["a2"].usage))
    assert e.index.ver[fr] > max(used) and e.index.epoch > max(used)
    assert all(n.ver > max(used) for n in e.tree.cqs["a"].path())


def test_an_admission_in_the_cycle_keeps_the_versions_moved() -> None:
    """c1 fits after b1's reservation in the same cycle: its admission is a real change."""
    e = _waiting(cq("c", "ab", 2, preemption=PRE))
    e.finish("a1")  # 4 free: the next cycle both reserves for b1 and admits c1
    e.submit(gang("c1", "c", 2))
    before = _versions(e)
    evs = e.run()
    assert ("admit", "c1") in [(v.kind, v.workload) for v in evs]
    assert _versions(e)[1] != before[1]


def test_an_admission_elsewhere_in_the_cycle_keeps_the_versions_moved() -> None:
    """d1 is admitted in another cohort in the cycle that reserves b1's quota: the reserved
    nodes' usage is back at the cycle's end, but the epoch (and what it stands for, A33,
    A57: the whole admitted state) has moved for good."""
    e = _waiting(cq("d", "de", 4, preemption=PRE))
    e.submit(gang("d1", "d", 2))
    before = _versions(e)
    assert [(v.kind, v.workload) for v in e.run()] == [("admit", "d1")]
    assert _versions(e)[1] != before[1]


def test_usage_not_exactly_back_keeps_the_versions_moved() -> None:
    """settle() compares each reserved node's usage with what it was, float for float."""
    e = _waiting()
    ix, before = e.index, _versions(e)
    usage = dict(e.admitted["a2"].usage)
    vers.reserve(ix, "b", usage, 1)
    node = e.tree.cqs["b"]
    fr = next(iter(usage))
    vers.reserve(ix, "b", usage, -1)
    node.usage[fr] = node.usage.get(fr, 0.0) + 1e-12  # as a float residue would leave it
    vers.settle(ix)
    assert _versions(e) != before
    node.usage[fr] -= 1e-12


def test_a_doomed_victims_cycle_puts_the_versions_back_under_a78(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A78: the cycle in which b1 preempts a2 frees a2's usage for its rest and gives it
    back at its end (A5d); with nothing admitted the usage, and so the versions, are back.
    (b0 runs in b first: a node's usage of a flavor-resource it never used has no entry,
    and giving a reservation back leaves one at 0, which settle() counts as a change.)"""
    for doom in (True, False):
        monkeypatch.setattr(vers, "DOOM", doom)
        e = Engine(config(cq("a", "ab", 4, preemption=PRE), cq("b", "ab", 4, preemption=PRE),
                          fair=True))
        e.hold = True
        e.submit(gang("b0", "b", 1))
        e.submit(gang("a1", "a", 4))
        e.submit(gang("a2", "a", 3))
        e.run()
        e.submit(gang("b1", "b", 3))
        before = _versions(e)
        assert e.step() is True and set(e.ghosts or ()) == {"a2"}
        assert (_versions(e) == before) is doom


def test_an_index_pickled_before_a77_gives_versions_above_its_epoch() -> None:
    e = _waiting()
    ix = e.index
    ix.__dict__.pop("tick", None)  # as an index made before A77: the class default
    ix.epoch = 50
    ix.touch({next(iter(ix.ver)): 1.0}, "a")
    assert ix.epoch == ix.tick == 51


JOBS = st.lists(st.tuples(st.sampled_from("abc"), st.integers(1, 12), st.integers(0, 3),
                          st.integers(0, 3)), min_size=1, max_size=25)


def _m(fair: bool) -> Any:
    return config(cq("a", "ab", 4, preemption=PRE), cq("b", "ab", 6, borrow=2, preemption=PRE),
                  cq("c", "ab", 2, lend=1, preemption=PRE), fair=fair)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans(), st.sampled_from(["ON", "DOOM"]))
def test_each_rule_changes_no_event_and_no_state(
        jobs: list[tuple[str, int, int, int]], fair: bool, flag: str) -> None:
    """Two engines fed the same calls, the rule on in one and off in the other: every run
    gives the same events and leaves the same whole state."""
    m = _m(fair)
    engines = [Engine(m), Engine(m)]
    for e in engines:
        e.hold = True
    mp = pytest.MonkeyPatch()
    try:
        for i, job in enumerate(jobs):
            got = []
            for k, e in enumerate(engines):
                held_calls(e, i, job)
                mp.setattr(vers, flag, k == 0)
                got.append(whole(e, e.run()))
            assert got[0] == got[1]
    finally:
        mp.undo()
