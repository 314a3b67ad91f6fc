"""One pipeline: the same scenario and siting give the identical twin run through
``run_twin``, ``aifab simulate --power-caps``, the sweep's simulate stage
(``power_caps``), the report pipeline (``--site-caps``) and ``site --couple-twin`` (the
round that runs under that siting); caps and hourly curtailment alike (the report used to
drop the curtailment). The dashboard's run with a siting: tests/serve/
test_dashboard_twin_run.py."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aifab._io import to_json
from aifab.cli import app
from aifab.scenario import Scenario
from aifab.sim.national import TwinRequest, couple, run_twin, site_constraints


def _toy_grid() -> Any:

    from _scripts import REPO, load_file

    return load_file(REPO / "tests" / "grid" / "conftest.py", "grid_conftest").toy_data()


SCENARIO: dict[str, Any] = {
    "name": "toy-pipeline",
    "owners": [{"name": "X", "kind": "private", "home_region": "Seoul"}],
    "fleets": [{"owner": "X", "accelerator": "b200", "system": "dgx-b200",
                "count": 60_000, "delivery_year": 2030}],
    "siting": {"hours": 24, "mip_rel_gap": 1e-6, "allow_expansions": False},
    "sim": {"npu_pools": [], "services_per_owner": 1, "warmup_days": 0.25, "days": 1.0,
            "reference_accelerator": "b200", "scale": 0.02, "seed": 3}}


class Curtailing:
    """A real siting result whose document also curtails owner X for three hours of its
    first curtailed day (the toy grid never needs to), so the hourly path is exercised."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

    def to_dict(self) -> dict[str, Any]:
        doc = self._result.to_dict()
        year = max(p["year"] for p in doc["placements"])
        doc["flexibility"] = {"curtailed_mwh": {}, "curtailed_hours": {},
                              "compute_lost_gpu_h": {}, "by_campus": [],
                              **(doc.get("flexibility") or {}), "curtailment_hourly": [
            {"owner": "X", "year": year, "day": 0, "hour": h, "weight": 365.0,
             "load_mw": 100.0, "curtailed_mw": 40.0, "depth": 0.4} for h in (9, 10, 11)]}
        return doc


def _canon(doc: dict[str, Any]) -> str:
    d = json.loads(to_json(doc))
    d.pop("wall_s", None)
    d.pop("schema_version", None)
    d.get("events", {}).pop("per_s", None)
    return json.dumps(d, sort_keys=True)


@pytest.fixture(scope="module")
def siting() -> Curtailing:
    from aifab.grid import site

    return Curtailing(site(Scenario.model_validate(SCENARIO), data=_toy_grid()))


@pytest.mark.slow
def test_every_entry_point_gives_the_same_twin_run(siting: Curtailing, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    scn = Scenario.model_validate(SCENARIO)
    cons = site_constraints(siting, ["X"])
    assert cons.windows and cons.caps.mw["X"] > 0
    want = run_twin(TwinRequest(scn, constraints=cons)).to_dict()
    assert want["flexibility"]["windows"] == len(cons.windows)
    canon = _canon(want)

    # aifab simulate --power-caps site.json
    (tmp_path / "scn.json").write_text(json.dumps(SCENARIO))
    (tmp_path / "site.json").write_text(to_json({"scenario": "toy", **siting.to_dict()}))
    r = CliRunner().invoke(app, ["simulate", str(tmp_path / "scn.json"), "--power-caps",
                                 str(tmp_path / "site.json"), "--json"])
    assert r.exit_code == 0, r.output
    assert _canon(json.loads(r.stdout)) == canon

    # the sweep's simulate stage with the same siting (options.simulate.power_caps)
    from aifab.sweep._stages import simulate_stage

    assert _canon(simulate_stage(scn, _catalog(), {"power_caps": str(tmp_path / "site.json")}
                                 )) == canon

    # aifab report --site-caps (the siting stage answers with the same result)
    import aifab.grid
    from aifab.report import build_report

    monkeypatch.setattr(aifab.grid, "site", lambda *a, **k: siting)
    rep = build_report(scn, site=True, simulate=True, site_caps=True)
    assert rep.sim is not None and _canon(rep.sim.to_dict()) == canon
    site_doc = rep.site_doc()
    assert site_doc is not None and site_doc["twin_curtailment_windows"] == len(cons.windows)

    # site --couple-twin: round 1 runs uncapped, round 2 under round 1's siting
    cp = couple(scn, lambda s, frame: siting, rounds=2, tol_mw=-1.0)
    assert cp.rounds == 2 and _canon(cp.sim.to_dict()) == canon

    # the sweep's simulate stage without a siting, and couple's first round, give the
    # uncapped run
    free = run_twin(TwinRequest(scn))
    assert _canon(simulate_stage(scn, _catalog(), {})) == _canon(free.to_dict())
    assert cp.history[0].twin_utilization == free.utilization
    assert cp.to_dict()["history"][0] == dataclasses.asdict(cp.history[0])


def _catalog() -> Any:
    from aifab.catalog import default_catalog

    return default_catalog()


@pytest.mark.slow  # a few seconds: make test and CI, not make test-fast
def test_constraints_from_a_document_and_from_a_result_agree(siting: Curtailing) -> None:
    a = site_constraints(siting, ["X"])
    b = site_constraints(json.loads(to_json(siting.to_dict())), ["X"])
    assert a == b
    assert [w.start_h for w in a.windows] == [9.0] and a.windows[0].duration_h == 3.0
    assert a.to_dict()["caps"] == a.caps.to_dict()


def test_windows_with_replications_are_refused() -> None:
    from aifab.errors import BadInput
    from aifab.sim.national import CurtailWindow, PowerCaps, SiteConstraints

    scn = Scenario.model_validate(SCENARIO)
    cons = SiteConstraints(PowerCaps(2030, {"X": 10.0}), (CurtailWindow(1, 1, 0.5, "X"),))
    with pytest.raises(BadInput, match="hourly limits"):
        TwinRequest(scn, constraints=cons, replications=2).check()
    with pytest.raises(BadInput, match="--curtail"):
        TwinRequest(scn, windows=cons.windows, replications=2).check()
    assert TwinRequest(scn, constraints=cons).check().run_scenario.sim.power_cap_mw == {
        "X": 10.0}

