"""Run the national twin: a fresh run, a run to its end (checkpointing between slices),
replications over seeds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

from aifab.catalog import Catalog
from aifab.scenario import Scenario
from aifab.sim.national._build import build_twin
from aifab.sim.national._failures import attach as attach_failures
from aifab.sim.national._model import Twin
from aifab.sim.national._policies import get_queue_policy
from aifab.sim.national._protocol import QueuePolicy
from aifab.sim.national._replicate import confidence
from aifab.sim.national._result import SimResult
from aifab.sim.national._runner import Runner
from aifab.sim.national._summary import summarize

Progress = Callable[[float], None]
Checkpoint = Callable[[Runner], None]


def new_run(scenario: Scenario | Twin, *, policy: str | QueuePolicy | None = None,
            catalog: Catalog | None = None) -> Runner:
    """A run of a scenario (or a twin built from one) at time 0 with a queue policy (name
    or instance; default ``sim.queue_policy``)."""
    twin = scenario if isinstance(scenario, Twin) else build_twin(scenario, catalog)
    pol = policy if policy is not None and not isinstance(policy, str) else \
        get_queue_policy(policy or twin.settings.queue_policy)
    run = Runner(twin, pol)
    attach_failures(run, twin.reliability, catalog)
    return run


def checkpoint_times(run: Runner) -> list[float]:
    """The instants (s) a run still checkpoints at: multiples of
    ``sim.checkpoint_every_h`` after where it stands, before its horizon."""
    every = run.twin.settings.checkpoint_every_h * 3600.0
    k = math.floor(run.sliced_to / every) + 1
    out = []
    while k * every < run.twin.horizon_s:
        out.append(k * every)
        k += 1
    return out


def finish(run: Runner, *, checkpoint: Checkpoint | None = None,
           progress: Progress | None = None) -> SimResult:
    """Run (or continue) ``run`` to its horizon; ``checkpoint(run)`` is called between
    instants at every checkpoint time."""
    run.progress = progress
    t0 = time.perf_counter()
    if checkpoint is not None:
        for t in checkpoint_times(run):
            run.run(until=t)
            checkpoint(run)
    run.run()
    summary, frames = summarize(run, time.perf_counter() - t0)
    return SimResult(summary, frames)


def simulate(scenario: Scenario, *, policy: str | QueuePolicy | None = None,
             catalog: Catalog | None = None, checkpoint: Checkpoint | None = None,
             progress: Progress | None = None) -> SimResult:
    """Simulate a scenario's fleet over ``scenario.sim.days`` (after its warm-up)."""
    return finish(new_run(scenario, policy=policy, catalog=catalog),
                  checkpoint=checkpoint, progress=progress)


def replications(scenario: Scenario, n: int, *, catalog: Catalog | None = None,
                 checkpoint: Checkpoint | None = None,
                 progress: Progress | None = None) -> SimResult:
    """Seeds S..S+n-1 (S = ``sim.seed``): the first run's result with 95 % confidence
    intervals over all of them (``confidence``; none when ``n`` is 1). Only the first run
    checkpoints."""
    results = []
    for r in range(n):
        s = scenario if r == 0 else scenario.model_copy(
            update={"sim": scenario.sim.model_copy(update={"seed": scenario.sim.seed + r})})
        results.append(simulate(s, catalog=catalog, progress=progress,
                                checkpoint=checkpoint if r == 0 else None))
    first = results[0]
    if n == 1:
        return first
    return replace(first, confidence=confidence([r.summary for r in results]))
