"""EASY backfill passes over the gangs that cannot start (``Partition.monotone_fit``).

Within one backfill scan, a gang of n that did not start leaves every gang of n or more
unable to start until the next start: a start needs a pool with n free (a spilled placement
takes any n free) and power for n more, and both only get harder as n grows while a pool's
busy draw per accelerator is at least its idle one. The scan passes over those without a
try, and stops once no pool has a free accelerator or a gang of one did not start. The
run must be the same as with every try made (the goldens pin the same, bit for bit).
Mutation-checked: passing over gangs one smaller than the failed one, or stopping once a
gang of two did not start, changes the runs below; not resetting after a start changes
nothing (a start only makes the others harder: exact too)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from aifab.scenario import Scenario
from aifab.sim.national import new_run
from aifab.sim.national._curtail import CurtailWindow, add_curtailment

from .test_no_stale_cache import _scenario

WINDOWS = [(2.0 + 1.75 * i, 0.3 + 0.05 * (i % 6), "Own" if i % 2 else "Gov") for i in range(12)]
"""Twelve windows of 1.5 hours through the day, each owner's power cut to 30-55 %."""


def _run(policy: str, on: bool) -> tuple[Any, int]:
    """A day with twelve curtailment windows (power refuses gangs that would fit the free
    accelerators); every job's start and end, the counters, and the number of tries."""
    doc = _scenario(policy, seed=5, failures=False).model_dump()
    doc["sim"]["days"] = 1.0
    doc["sim"]["classes"]["a"]["sizes"] = [1, 2, 3, 5, 8, 13, 21, 34, 72]  # gangs of every
    doc["sim"]["classes"]["b"]["sizes"] = [1, 2, 4, 6, 8]  # kind of size, a step apart
    run = new_run(Scenario.model_validate(doc))
    add_curtailment(run, [CurtailWindow(h, 1.5, d, o) for h, d, o in WINDOWS])
    ops = run.ops
    if not on:
        ops.partitions = [replace(p, monotone_fit=False) for p in ops.partitions]
    tries = [0]
    real = ops.try_start

    def counted(job: Any, pool_ids: tuple[int, ...], borrowed: bool = False) -> bool:
        tries[0] += 1
        return real(job, pool_ids, borrowed)

    ops.try_start = counted  # type: ignore[method-assign]
    starts: list[tuple[int, float, int]] = []
    run.bus.start.append(lambda job, *_: starts.append((job.id, job.start, job.pool)))
    run.run(until=run.twin.horizon_s)
    assert math.isfinite(run.now)
    return (starts, dict(run.counts.c), run.integrals.alloc_s), tries[0]


@pytest.mark.parametrize("policy", ["backfill", "fairshare"])
def test_passing_over_changes_no_start_and_saves_tries(policy: str) -> None:
    fast, n_fast = _run(policy, True)
    slow, n_slow = _run(policy, False)
    assert fast == slow
    assert len(fast[0]) > 100  # jobs did start, through the scans
    assert n_fast < n_slow  # and the scans passed over gangs that could not start


def test_a_pool_drawing_less_busy_than_idle_keeps_every_try() -> None:
    """A partition whose pool draws less busy than idle per accelerator (power capped in
    ``throttle`` mode lowers the busy draw; a larger gang would then need less power) is
    not ``monotone_fit``: its scans try every gang."""
    doc = _scenario("backfill", seed=5, failures=False).model_dump()
    run = new_run(Scenario.model_validate(doc))
    assert all(p.monotone_fit for p in run.twin.partitions)
    doc["sim"]["power_cap_mw"] = {"Own": 0.001}  # 1 kW for 144 accelerators
    doc["sim"]["power_mode"] = "throttle"
    run = new_run(Scenario.model_validate(doc))
    own, gov = run.twin.partitions
    assert any(run.twin.pools[i].busy_kw < run.twin.pools[i].idle_kw for i in own.pools)
    assert not own.monotone_fit and gov.monotone_fit
