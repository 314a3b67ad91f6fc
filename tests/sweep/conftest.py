"""One real local Ray (2 CPUs) for the whole test session, started on first use."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """A real local Ray with 2 CPUs (no dashboard, worker logs not forwarded)."""
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING, object_store_memory=100 * 2**20)
    yield ray
    if started:
        ray.shutdown()


def write_spec(path: Path, doc: dict[str, Any]) -> Path:
    """Write a spec document as YAML and return its path."""
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


PLAN_SPEC: dict[str, Any] = {
    "name": "plan-lhs",
    "scenario": "korea-2025",
    "stages": ["plan"],
    "parameters": {
        "facility.pue": {"range": [1.1, 1.56]},
        "facility.load_factor": {"distribution": {"kind": "triangular", "low": 0.7,
                                                  "mode": 0.9, "high": 1.0}},
        "facility.system_power": {"values": ["low", "mid", "high"]},
    },
    "design": {"kind": "lhs", "samples": 12, "seed": 7},
    "metrics": {"facility_mw": "plan.totals.facility_power_mw",
                "twh": "plan.totals.annual_energy_twh",
                "seoul_share": "plan.comparisons.0.share"},
}
