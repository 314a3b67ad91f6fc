"""Rule A20: after a pick of the fair-sharing tournament (A3/F5) admits or preempts, only
the shares that read the usage it moved are computed again (those of the heads below a
node whose usage moved, at and above that node). The engine must give the same events
(with their cycle numbers), cycle count, reasons and set-aside workloads as when every head
of the tree is computed again (``_fairorder.SCOPED = False``). Nested cohorts with a queue
directly under the root, lending and borrowing limits, two flavors, workloads on one
flavor-resource and on several, each fair-sharing strategy list; and a wide tree where
many heads meet in one cycle."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, PRE, STRATS, _m
from test_grouped import _log

import aifab.sched._fairorder as order_mod
from aifab.sched import Engine, gang


def _both(m: Any, run: Any, where: Any = None, flag: str = "SCOPED") -> tuple[Any, Any]:
    """``run(m)`` with a speed rule on and with it off (``where.flag = False``)."""
    fast = run(m)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(order_mod if where is None else where, flag, False)
        slow = run(m)
    return fast, slow


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_scoped_shares_change_nothing(jobs: list[tuple[str, int, int, int, int]],
                                      strategies: list[str] | None, deep: bool) -> None:
    fast, slow = _both(_m(True, strategies, deep), lambda m: _log(m, jobs))
    assert fast == slow


def _wide(n: int = 2) -> Any:
    """Three cohorts of four queues under one root, one flavor (each queue ``n`` nominal:
    24 GPUs in all at 2), weights 1-2.5: heads of every queue meet in one tournament."""
    qs = [cq(f"q{c}{i}", f"c{c}", n, preemption=PRE,
             fairSharing={"weight": 1 + 0.5 * ((c + i) % 4)})
          for c in range(3) for i in range(4)]
    return config(cohort("root"), *(cohort(f"c{c}", "root") for c in range(3)), *qs,
                  fair=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(1, 6),
                          st.integers(0, 2)), min_size=4, max_size=40),
       st.integers(1, 6))
def test_many_heads_in_one_cycle(jobs: list[tuple[int, int, int, int]], every: int) -> None:
    """Workloads arrive in batches (every ``every`` submissions the engine runs), so many
    heads of several cohorts are ordered in one cycle, and some finish between runs."""
    def run(m: Any) -> tuple[Any, ...]:
        e = Engine(m)
        log: list[Any] = []
        for i, (c, q, g, p) in enumerate(jobs):
            e.submit(gang(f"j{i}", f"q{c}{q}", g, priority=p))
            if i % every == every - 1:
                log += [(ev.kind, ev.workload, ev.cycle, ev.by) for ev in e.run()]
                for name in sorted(e.admitted)[: i % 3]:
                    e.finish(name)
        log += [(ev.kind, ev.workload, ev.cycle, ev.by) for ev in e.run()]
        return log, e.cycle, sorted(e.reasons.items()), sorted(e.parked)

    fast, slow = _both(_wide(), run)
    assert fast == slow


def _checked(real: Any, nb: bool) -> Any:
    """``_moved`` that, after dropping what it drops, checks every share it keeps against
    one computed now (the usage is the tree's after the pick)."""
    from aifab.sched._quota import borrowing_on, carried

    def check(tree: Any, queues: set[str], under: Any, memo: Any, drop: Any) -> None:
        real(tree, queues, under, memo, drop)
        nodes = {id(n): n for n in tree.nodes.values()}
        entries = {id(e): e for es in under.values() for e in es}
        for (nid, eid), kept in memo.items():
            n, e = nodes[nid], entries[eid]
            extra = carried(tree.cqs[e[0].name], n, e[2].usage)
            assert kept == (nb and borrowing_on(n, extra, e[2].usage), tree.share(n, extra))
            checks.append(1)

    return check


checks: list[int] = []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_every_share_kept_is_the_share_now(jobs: list[tuple[str, int, int, int, int]],
                                           strategies: list[str] | None, deep: bool) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(order_mod, "_moved", _checked(order_mod._moved, True))
        _log(_m(True, strategies, deep), jobs)


def test_the_kept_shares_were_checked() -> None:
    """The check above reached kept shares (else it checks nothing): a wide tree where a
    pick admits while heads of other cohorts wait in the same cycle."""
    checks.clear()
    m = _wide()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(order_mod, "_moved", _checked(order_mod._moved, True))
        e = Engine(m)
        for i in range(36):
            e.submit(gang(f"j{i}", f"q{i % 3}{(i // 3) % 4}", 1 + i % 3, priority=i % 2))
        e.run()
        for name in sorted(e.admitted)[:6]:
            e.finish(name)
        e.run()
    assert len(checks) > 20
