"""The national digital twin: tenants, quotas, gangs, inference services, power caps.

``simulate(scenario)`` builds a :class:`Twin` from a scenario and runs it; see
docs/sim-national.md for the model and its calibration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from aifab.catalog import Catalog
from aifab.scenario import Scenario
from aifab.sim.national.checkpoint import load as load_checkpoint
from aifab.sim.national.checkpoint import save as save_checkpoint
from aifab.sim.national.engine import NationalSim
from aifab.sim.national.metrics import summarize
from aifab.sim.national.model import Twin, build_twin
from aifab.sim.national.policies import POLICIES, get_policy

__all__ = [
    "POLICIES",
    "NationalSim",
    "Twin",
    "build_twin",
    "get_policy",
    "load_checkpoint",
    "run_sim",
    "save_checkpoint",
    "simulate",
]


def run_sim(sim: NationalSim, *, checkpoint_dir: Path | None = None,
            progress: Callable[[float], None] | None = None,
            until_s: float | None = None) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Run (or continue) ``sim`` to its horizon; return the JSON document and tables."""
    sim.ckpt_dir = checkpoint_dir
    t0 = time.perf_counter()
    sim.run(until=until_s, progress=progress)
    return summarize(sim, time.perf_counter() - t0)


def simulate(scenario: Scenario, *, policy: str | None = None,
             catalog: Catalog | None = None,
             checkpoint_dir: Path | None = None,
             progress: Callable[[float], None] | None = None,
             ) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Simulate a scenario's fleet over ``scenario.sim.days``."""
    return run_sim(NationalSim(build_twin(scenario, catalog), policy),
                   checkpoint_dir=checkpoint_dir, progress=progress)
