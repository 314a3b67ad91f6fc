"""One pipeline (issue 23): a twin run the dashboard launches (the Runs page's job path:
``JobManager.launch`` of a ``JobRequest``) is the identical twin run ``run_twin`` gives
for the same scenario, read back typed as the Twin page reads it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from aifab._io import to_json
from aifab.scenario import Scenario
from aifab.serve._jobs import JobManager, JobRequest
from aifab.serve._paths import ResultsDir
from aifab.sim.national import TwinRequest, run_twin

pytestmark = pytest.mark.slow  # a real `aifab simulate` process

SCENARIO: dict[str, Any] = {
    "name": "toy-dashboard",
    "owners": [{"name": "X", "kind": "private", "home_region": "Seoul"}],
    "fleets": [{"owner": "X", "accelerator": "b200", "system": "dgx-b200",
                "count": 60_000, "delivery_year": 2030}],
    "sim": {"npu_pools": [], "services_per_owner": 1, "warmup_days": 0.25, "days": 2.0,
            "reference_accelerator": "b200", "scale": 0.05, "seed": 0}}


def _canon(doc: dict[str, Any]) -> str:
    d = json.loads(to_json(doc))
    d.pop("wall_s", None)
    d.get("events", {}).pop("per_s", None)
    return json.dumps(d)  # not sorted: the key order is part of the document


def test_a_dashboard_twin_run_is_the_pipelines_run(tmp_path: Path) -> None:
    results = ResultsDir(tmp_path)
    (tmp_path / "toy.json").write_text(json.dumps(SCENARIO))
    manager = JobManager(results)
    # the Runs page's form: days, scale and seed differ from the scenario's own
    job = manager.launch(JobRequest(kind="simulate", scenario="toy.json", days=1, scale=0.02,
                                    seed=3, policy="backfill", hours=None, spec=None))
    end = time.monotonic() + 180
    while job.rc is None and time.monotonic() < end:
        time.sleep(0.2)
        manager.poll()
    assert job.rc == 0, job.log.read_text()
    got = results.read_twin(results.rel(job.out))

    sim = {**SCENARIO["sim"], "days": 1.0, "scale": 0.02, "seed": 3, "queue_policy": "backfill"}
    want = run_twin(TwinRequest(Scenario.model_validate({**SCENARIO, "sim": sim})))
    assert got.summary.days == 1.0 and got.summary.seed == 3
    assert got.policy == "backfill" and got.summary.scale == 0.02
    assert _canon(got.to_dict()) == _canon(want.to_dict())


def test_a_dashboard_twin_run_with_a_siting_is_the_pipelines_run(tmp_path: Path,
                                                                  toy_site: Any) -> None:
    """The Runs page's siting choice (a site run folder) gives the run ``run_twin`` gives
    under that siting's constraints: caps and hourly curtailment alike."""
    from aifab.grid import read_site
    from aifab.sim.national import site_constraints

    results = ResultsDir(tmp_path)
    (tmp_path / "toy.json").write_text(json.dumps(SCENARIO))
    (tmp_path / "runs" / "site-toy").mkdir(parents=True)
    toy_site.write(tmp_path / "runs" / "site-toy")
    manager = JobManager(results)
    job = manager.launch(JobRequest(kind="simulate", scenario="toy.json", days=1, scale=0.02,
                                    seed=3, siting="runs/site-toy"))
    end = time.monotonic() + 180
    while job.rc is None and time.monotonic() < end:
        time.sleep(0.2)
        manager.poll()
    assert job.rc == 0, job.log.read_text()
    got = results.read_twin(results.rel(job.out))

    sim = {**SCENARIO["sim"], "days": 1.0, "scale": 0.02, "seed": 3}
    cons = site_constraints(read_site(tmp_path / "runs" / "site-toy"), ["X"])
    assert cons.caps.mw == {"X": 30.0} and len(cons.windows) == 1
    want = run_twin(TwinRequest(Scenario.model_validate({**SCENARIO, "sim": sim}),
                                constraints=cons))
    assert want.to_dict()["flexibility"]["windows"] == 1
    assert _canon(got.to_dict()) == _canon(want.to_dict())
