"""Fixed job Monte Carlo runs pinned in ``jobsim_golden.json`` (re-record with
``python tests/reliability/jobsim_cases.py``, in a commit that says what moved and why):
a change of the event core under the job Monte Carlo must leave them bit-identical."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from aifab.reliability import GangSpec, PoolSpec, failure_model, simulate_jobs

GOLDEN = Path(__file__).with_name("jobsim_golden.json")


def cases() -> dict[str, dict[str, Any]]:
    """Name -> the run's ``to_dict()`` round-tripped through JSON."""
    out = {}
    fm = failure_model().scaled(20.0)
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
        out[name] = json.loads(json.dumps(doc))
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(cases(), indent=1, sort_keys=True) + "\n")
