"""A sweep stage takes a siting (issue 23): the simulate stage's ``power_caps`` (a site run
folder, its site.json or ``site --json`` output, as ``simulate --power-caps``) runs the
twin under that siting through the one pipeline, so the stage's run is ``run_twin``'s
under ``site_constraints`` of the same siting; a bad siting fails the variant naming the
file and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aifab._io import to_json
from aifab.catalog import default_catalog
from aifab.errors import BadInput
from aifab.grid import read_site
from aifab.scenario import Scenario
from aifab.sim.national import TwinRequest, run_twin, site_constraints
from aifab.sweep import load_spec
from aifab.sweep._stages import simulate_stage

SCENARIO: dict[str, Any] = {
    "name": "toy-sweep-siting",
    "owners": [{"name": "X", "kind": "private", "home_region": "Seoul"}],
    "fleets": [{"owner": "X", "accelerator": "b200", "system": "dgx-b200",
                "count": 60_000, "delivery_year": 2030}],
    "sim": {"npu_pools": [], "services_per_owner": 1, "warmup_days": 0.25, "days": 1.0,
            "reference_accelerator": "b200", "scale": 0.02, "seed": 3}}


def _canon(doc: dict[str, Any]) -> str:
    d = json.loads(to_json(doc))
    d.pop("wall_s", None)
    d.get("events", {}).pop("per_s", None)
    return json.dumps(d)


def test_a_relative_siting_resolves_against_the_spec(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(
        "stages: [simulate]\noptions:\n  simulate: {power_caps: runs/site-a}\n"
        "parameters:\n  sim.seed: {values: [1, 2]}\nmetrics:\n  u: simulate.utilization\n")
    spec = load_spec(tmp_path / "spec.yaml")
    assert spec.options["simulate"]["power_caps"] == str(tmp_path / "runs" / "site-a")
    (tmp_path / "cmp.yaml").write_text(  # sitings compared: a parameter, resolved too
        "stages: [simulate]\nparameters:\n  simulate.power_caps: {values: [a, b/site.json]}\n"
        "metrics:\n  u: simulate.utilization\n")
    par = load_spec(tmp_path / "cmp.yaml").parameters["simulate.power_caps"]
    assert par.values == [str(tmp_path / "a"), str(tmp_path / "b" / "site.json")]


def test_a_bad_siting_names_the_file_and_field(tmp_path: Path, toy_site: Any) -> None:
    scn, cat = Scenario.model_validate(SCENARIO), default_catalog()
    toy_site.write(tmp_path / "s")
    doc = json.loads((tmp_path / "s" / "site.json").read_text())
    doc["placements"][0]["owner"] = "Y"
    (tmp_path / "other.json").write_text(json.dumps(doc))
    with pytest.raises(BadInput, match=r"other.json: placements\[0\].owner: owner 'Y' is "
                                       "not in the scenario"):
        simulate_stage(scn, cat, {"power_caps": str(tmp_path / "other.json")})
    doc["years"] = "2030"
    (tmp_path / "s" / "site.json").write_text(json.dumps(doc))
    with pytest.raises(BadInput, match=r"s/site.json: years: expected a list, got str"):
        simulate_stage(scn, cat, {"power_caps": str(tmp_path / "s")})


def test_the_stage_under_a_siting_is_the_pipelines_run(tmp_path: Path, toy_site: Any) -> None:
    scn, cat = Scenario.model_validate(SCENARIO), default_catalog()
    toy_site.write(tmp_path / "site-toy")
    got = simulate_stage(scn, cat, {"power_caps": str(tmp_path / "site-toy")})
    cons = site_constraints(read_site(tmp_path / "site-toy"), ["X"])
    assert cons.caps.mw == {"X": 30.0} and len(cons.windows) == 1
    want = run_twin(TwinRequest(scn, catalog=cat, constraints=cons)).to_dict()
    assert want["flexibility"]["windows"] == 1
    assert _canon(got) == _canon(want)
