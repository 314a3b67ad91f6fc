"""Fixed job Monte Carlo runs pinned in JSON (re-record with
``python tests/reliability/jobsim_cases.py``, in a commit that says what moved and why).

Three failure models, each over the same three runs:

- ``legacy`` (``jobsim_golden.json``): the packaged lemons, with neither exclusion nor
  detection time: the figures the job Monte Carlo gave before it had either (recorded on
  the old heap, then with lemons); a change of the event core must leave them bit-identical;
- ``uniform`` (``jobsim_uniform_golden.json``): no heavy tail (uniform rates, no
  exclusion) and no detection, recorded before exclusion and detection were added;
- ``packaged`` (``jobsim_packaged_golden.json``): the packaged model as it is (lemons,
  exclusion of repeat offenders, detection time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from aifab.reliability import (
    CLASSES,
    FailureModel,
    GangSpec,
    PoolSpec,
    failure_model,
    simulate_jobs,
)
from aifab.scenario import ReliabilitySettings

HERE = Path(__file__).parent
GOLDEN = HERE / "jobsim_golden.json"
GOLDENS = {"legacy": GOLDEN, "uniform": HERE / "jobsim_uniform_golden.json",
           "packaged": HERE / "jobsim_packaged_golden.json"}
NO_DETECT = dict.fromkeys(CLASSES, 0.0)


def model(variant: str) -> FailureModel:
    """The failure model of a variant, before the x20 rate scale of the cases."""
    if variant == "legacy":
        return failure_model(ReliabilitySettings(exclude_after=0, detect_s=NO_DETECT))
    if variant == "uniform":
        return failure_model(ReliabilitySettings(lemon_share=0.0, exclude_after=0,
                                                 detect_s=NO_DETECT))
    return failure_model()


def cases(variant: str = "legacy", *, old_keys: bool = False) -> dict[str, dict[str, Any]]:
    """Name -> the run's ``to_dict()`` round-tripped through JSON; with ``old_keys`` the
    gangs' ``detect_ah`` (added with detection) is left out once checked to be 0."""
    out = {}
    fm = model(variant).scaled(20.0)
    runs = {
        "server-spares": (PoolSpec("p", 136, fm.layout_for("server", 8)),
                          [GangSpec("a", 64), GangSpec("b", 32, interval_s=1800.0)], 3),
        "nvl72-rack": (PoolSpec("q", 288, fm.layout_for("rack", 72), "blackwell"),
                       [GangSpec("a", 144), GangSpec("b", 72)], 7),
        "no-spares": (PoolSpec("r", 64, fm.layout_for("server", 8)), [GangSpec("g", 64)], 2),
    }
    for name, (pool, gangs, seed) in runs.items():
        r = simulate_jobs(pool, gangs, 20 * 86400.0, np.random.default_rng(seed), fm)
        doc = {**r.to_dict(), "events": r.events}
        if old_keys:
            for g in doc["gangs"]:
                assert g.pop("detect_ah") == 0.0, (name, g)
        out[name] = json.loads(json.dumps(doc))
    return out


if __name__ == "__main__":
    import sys

    for v in sys.argv[1:] or list(GOLDENS):
        GOLDENS[v].write_text(json.dumps(cases(v), indent=1, sort_keys=True) + "\n")
