"""Rule A47 (docs/sched.md; speed, no change in outcome): A8's bound caps what may leave a
target side, for a request on one flavor-resource, by what the side borrows of it (plus its
largest candidate, the last take), since F9 takes from a side only while it borrows on a
flavor-resource the preemptor needs. Worked out by hand on a side whose share is held up by
what it borrows of another flavor (A23's share cap does not apply there), and checked
against the search on random runs."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq, res
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, PRE, STRATS, _m
from test_bound import _log as _bound_log

from aifab.sched import Engine, _bound, gang
from aifab.sched._bound import hopeless

GPU = "nvidia.com/gpu"


def _config() -> Any:
    """Under one root: "t" (2 GPUs of f1 and 2 of f2), "p" (4 of f1), "z" (4 of f2)."""
    return config(cohort("root"),
                  cq("t", "root", flavors={"f1": [res(GPU, 2)], "f2": [res(GPU, 2)]},
                     preemption=PRE),
                  cq("p", "root", flavors={"f1": [res(GPU, 4)]}, preemption=PRE),
                  cq("z", "root", flavors={"f2": [res(GPU, 4)]}, preemption=PRE),
                  fair=True, flavors=("f1", "f2"))


def _filled(p: int, t: int) -> tuple[Engine, Any]:
    """``_config()`` with a ``p``-GPU gang run in "p", then ``t`` 1-GPU gangs in "t"."""
    m = _config()
    e = Engine(m)
    e.submit(gang("p0", "p", p))
    e.run()
    for i in range(t):
        e.submit(gang(f"t{i}", "t", 1))
        e.run()
    return e, m


def _case() -> tuple[Engine, Any]:
    """Under one root: "t" (2 GPUs of f1 and 2 of f2), "p" (4 of f1), "z" (4 of f2); 12
    GPUs lendable. "p" runs 3 of f1, "t" runs three 1-GPU gangs on f1 (borrowing 1 of "p"'s
    quota) and six on f2 (borrowing 4 of "z"'s): its share, (1 + 4) / 12, is held up by f2.
    Then "p" asks for 3 GPUs of f1, 2 beyond its quota: its share with them is 2 / 12, below
    "t"'s, so a search may take from "t", but only while "t" borrows on f1: one 1-GPU gang.
    With it "p" has 2 of the 3 GPUs: the search fails."""
    e, m = _filled(3, 9)
    f1, f2 = ("f1", GPU), ("f2", GPU)
    t = e.tree.cqs["t"]
    assert (t.usage[f1], t.usage[f2]) == (3.0, 6.0)  # the case as described
    e.submit(gang("x", "p", 3))
    return e, m


def test_the_cap_rules_out_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    e, m = _case()
    cq_, req = m.cluster_queues["p"], {("f1", GPU): 3.0}
    why: dict[Any, float] = {}
    assert hopeless(e.index.sums, e.tree, cq_, 0, req, True, why=why)
    # 3 asked, 2 at most: 1 short (less the 1e-6 per amount the bound adds, _grow)
    assert why == {("f1", GPU): pytest.approx(1.0, abs=1e-5)}
    monkeypatch.setattr(_bound, "F9CAP", False)
    assert not hopeless(e.index.sums, e.tree, cq_, 0, req, True)
    monkeypatch.setattr(_bound, "F9CAP", True)
    e.index.bound = False  # the search itself finds nothing
    e.run()
    assert "x" in e.pending and sorted(e.admitted) == ["p0", *(f"t{i}" for i in range(9))]


def test_a_side_that_borrows_enough_is_still_counted() -> None:
    """With "t" borrowing 3 of f1 instead (and "p" 1 GPU run), removing what it borrows is
    enough: the bound does not rule the search out, and the search takes from "t"."""
    e, m = _filled(1, 11)
    e.submit(gang("x", "p", 3))
    assert not hopeless(e.index.sums, e.tree, m.cluster_queues["p"], 0,
                        {("f1", GPU): 3.0}, True)
    e.run()
    e.run()
    assert "x" in e.admitted


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_the_same_runs_with_and_without_the_cap(jobs: list[tuple[str, int, int, int, int]],
                                                strategies: list[str] | None,
                                                deep: bool) -> None:
    m = _m(True, strategies, deep)
    fast = _bound_log(Engine(m), jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_bound, "F9CAP", False)
        slow = _bound_log(Engine(m), jobs)
    assert fast == slow
