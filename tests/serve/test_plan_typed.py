"""The dashboard reads plan folders (``aifab plan --out``) typed, through
:func:`aifab.read_plan` with its path check (issue 23): compare shows a plan's figures, and a
mistyped ``plan.json`` as one line naming the file inside the results folder and the field,
never a traceback or a 500. Fast: the callback through Flask's test client, no browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aifab import BadInput, PlanResult, load_scenario, plan, plan_file
from aifab.serve._paths import PathRefused, ResultsDir


@pytest.fixture(scope="module")
def result() -> PlanResult:
    return plan(load_scenario("korea-2025"))


@pytest.fixture
def folder(tmp_path: Path, result: PlanResult) -> ResultsDir:
    for name in ("good", "bad"):
        result.write(tmp_path / "runs" / name)
    bad = plan_file(tmp_path / "runs" / "bad")
    doc = json.loads(bad.read_text())
    doc["totals"]["facility_power_mw"] = "lots"
    bad.write_text(json.dumps(doc))
    return ResultsDir(tmp_path)


def test_the_results_folder_reads_a_plan_typed(folder: ResultsDir, result: PlanResult) -> None:
    assert sorted((r.kind, r.rel) for r in folder.runs()) == [
        ("plan", "runs/bad"), ("plan", "runs/good")]
    got = folder.read_plan("runs/good")
    assert got.document() == result.document()
    with pytest.raises(BadInput) as exc:
        folder.read_plan("runs/bad")
    # the path inside the results folder, never the server's own path
    assert str(exc.value) == ("runs/bad/plan.json: totals.facility_power_mw: expected a "
                              "number, got str 'lots'")


def test_a_plan_document_linking_out_is_refused_unread(folder: ResultsDir,
                                                       tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.json"
    outside.write_text("{}")
    p = plan_file(folder.root / "runs" / "good")
    p.unlink()
    p.symlink_to(outside)
    with pytest.raises(PathRefused, match="outside the results folder"):
        folder.read_plan("runs/good")


@pytest.fixture
def client(folder: ResultsDir) -> Iterator[Any]:
    from aifab.serve import create_app

    app = create_app(folder.root)
    yield app.server.test_client()
    app.server.config["aifab.jobs"].shutdown()


def _texts(node: Any) -> list[str]:
    """Every string of a Dash layout (JSON), in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [x for v in node for x in _texts(v)]
    if isinstance(node, dict):
        return [x for v in node.values() for x in _texts(v)]
    return []


def _compare(client: Any, a: str, b: str) -> tuple[int, str]:
    body = {"output": "cmp-body.children", "outputs": {"id": "cmp-body", "property": "children"},
            "inputs": [{"id": "cmp-a", "property": "value", "value": a},
                       {"id": "cmp-b", "property": "value", "value": b}],
            "state": [{"id": "lang", "property": "value", "value": "en"}],
            "changedPropIds": ["cmp-a.value"]}
    r = client.post("/_dash-update-component", json=body,
                    headers={"Host": "127.0.0.1"})
    if r.status_code != 200:
        return r.status_code, r.get_data(as_text=True)
    return r.status_code, " ".join(_texts(r.get_json()["response"]["cmp-body"]))


def test_compare_shows_two_plans_and_one_line_for_a_bad_one(
        client: Any, result: PlanResult, folder: ResultsDir) -> None:
    root = folder.root
    code, text = _compare(client, "runs/good", "runs/good")
    assert code == 200, text
    assert "facility power (MW)" in text and "cmp-table" in text
    assert f"{result.totals.accelerators:,}" in text
    code, text = _compare(client, "runs/good", "runs/bad")
    assert code == 200, text
    assert ("runs/bad/plan.json: totals.facility_power_mw: expected a number, got str "
            "'lots'") in text
    assert "Traceback" not in text and str(root) not in text
