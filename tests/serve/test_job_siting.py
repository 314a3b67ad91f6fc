"""The Runs page's siting choice (issue 23): a twin run takes a site run folder, read typed
before anything starts; a bad choice is one line naming the field (or the file and field)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aifab.errors import BadInput
from aifab.serve import JobRequest, ResultsDir
from aifab.serve._jobs import validate

TOY = {"name": "toy", "owners": [{"name": "X", "kind": "private", "home_region": "Seoul"}],
       "fleets": [{"owner": "X", "accelerator": "b200", "system": "dgx-b200",
                   "count": 60_000, "delivery_year": 2030}]}


def _results(tmp_path: Path, site: Any) -> ResultsDir:
    (tmp_path / "runs" / "site-toy").mkdir(parents=True)
    site.write(tmp_path / "runs" / "site-toy")
    return ResultsDir(tmp_path)


def test_a_siting_becomes_the_site_runs_power_caps(tmp_path: Path, toy_site: Any) -> None:
    rd = _results(tmp_path, toy_site)
    (tmp_path / "toy.json").write_text(json.dumps(TOY))
    argv = validate(JobRequest(kind="simulate", scenario="toy.json", days=1,
                               siting="runs/site-toy"), rd)
    assert argv[-2:] == ["--power-caps", str(tmp_path / "runs" / "site-toy" / "site.json")]
    assert "--power-caps" not in validate(JobRequest(kind="simulate", days=1), rd)


@pytest.mark.parametrize(("req", "message"), [
    (JobRequest(kind="site", siting="runs/site-toy"),
     "siting: only a twin run (simulate) takes a siting"),
    (JobRequest(kind="simulate", siting="runs"), "siting: 'runs' is not a site run folder"),
    (JobRequest(kind="simulate", siting="../elsewhere"), "../elsewhere"),
    (JobRequest(kind="simulate", siting="runs/site-toy"),  # korea-2025 has no owner X
     "runs/site-toy/site.json: placements[0].owner: owner 'X' is not in the scenario"),
])
def test_a_bad_siting_choice_names_the_field(tmp_path: Path, req: JobRequest, message: str,
                                             toy_site: Any) -> None:
    with pytest.raises(BadInput) as exc:
        validate(req, _results(tmp_path, toy_site))
    assert exc.value.exit_code == 2 and message in str(exc.value)


def test_a_mistyped_site_run_is_refused_naming_the_file_and_field(tmp_path: Path,
                                                                  toy_site: Any) -> None:
    rd = _results(tmp_path, toy_site)
    doc = json.loads((tmp_path / "runs" / "site-toy" / "site.json").read_text())
    doc["placements"][0]["mw"] = "lots"
    (tmp_path / "runs" / "site-toy" / "site.json").write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        validate(JobRequest(kind="simulate", siting="runs/site-toy"), rd)
    assert str(exc.value).endswith(
        "runs/site-toy/site.json: placements[0].mw: expected a number, got str 'lots'")
    assert str(tmp_path) not in str(exc.value)  # no server path


def test_served_site_runs_are_read_typed(tmp_path: Path, toy_site: Any) -> None:
    """The Map, Overview and compare pages read a site folder through read_site: typed,
    and a mistyped field is one line naming the file (in the results folder) and field."""
    from aifab.serve._cb_runs import _run_doc

    rd = _results(tmp_path, toy_site)
    site = rd.read_site("runs/site-toy")
    assert site == toy_site and site.placements[0].mw == 30.0
    assert _run_doc(rd, "runs/site-toy") == ("site", toy_site.to_dict())
    doc = json.loads((tmp_path / "runs" / "site-toy" / "site.json").read_text())
    doc["years"] = ["soon"]
    (tmp_path / "runs" / "site-toy" / "site.json").write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        _run_doc(rd, "runs/site-toy")
    assert str(exc.value) == ("runs/site-toy/site.json: years[0]: expected an integer, got "
                              "str 'soon'")
