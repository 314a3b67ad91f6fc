"""A plan folder through its one writer and reader: ``PlanResult.write`` / ``read_plan``
(issue 23: results as data). The files' bytes are pinned by
tests/commands/test_plan_goldens.py."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aifab import BadInput, PlanResult, load_scenario, plan, plan_file, read_plan


@pytest.fixture(scope="module")
def result() -> PlanResult:
    return plan(load_scenario("korea-2025"))


def test_write_then_read_gives_the_same_result(result: PlanResult, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")  # report.html's time, to the minute
    result.write(tmp_path)
    got = read_plan(tmp_path)
    # plan.json leaves the scenario's description out (as the --json body always has)
    assert got == dataclasses.replace(result, description="")
    assert got.document() == result.document()
    assert PlanResult.from_dict(result.to_dict()) == result
    again = tmp_path / "again"
    got.write(again)
    for p in sorted(tmp_path.iterdir()):
        if p.is_file():
            assert (again / p.name).read_bytes() == p.read_bytes(), p.name


def test_another_stages_keys_are_kept_in_the_file_and_skipped_on_read(
        result: PlanResult, tmp_path: Path) -> None:
    extra = {"totals_range": {"facility_power_mw": [1.0, 2.0]}, "uncertainty": {"samples": 8}}
    seen: list[Path] = []
    result.write(tmp_path, extra, page=seen.append)
    doc = json.loads(plan_file(tmp_path).read_text())
    assert next(iter(doc)) == "schema_version" and list(doc)[-2:] == list(extra)
    assert seen == [tmp_path / "report.html"]
    assert read_plan(tmp_path) == dataclasses.replace(result, description="")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["totals"].update(accelerators="many"),
     "totals.accelerators: expected an integer, got str 'many'"),
    (lambda d: d["fleet"][1].update(it_power_mw=None) or d["fleet"][1].pop("owner"),
     "fleet[1].owner: missing"),
    (lambda d: d["peers"][0]["h100_equivalents"].update(bf16=[1]),
     "peers[0].h100_equivalents.bf16: expected a number, got list [1]"),
    (lambda d: d.update(owners={}), "owners: expected a list, got dict {}"),
    (lambda d: d.update(colour="red"), "colour: unknown field"),
    (lambda d: d["output"][-1].update(tokens_per_year="lots"),
     "output[5].tokens_per_year: expected a number, got str 'lots'"),
    (lambda d: d["output"][0].pop("reference"), "output[0].reference: missing"),
    (lambda d: d["staffing"][0].update(technicians_on_shift=2.5),
     "staffing[0].technicians_on_shift: expected an integer, got float 2.5"),
    (lambda d: d["by_year"][2].update(year="2027"),
     "by_year[2].year: expected an integer, got str '2027'"),
    (lambda d: d["by_year"][0].update(colour="red"), "by_year[0].colour: unknown field"),
])
def test_a_bad_field_is_exit_2_naming_the_file_and_the_field(
        result: PlanResult, tmp_path: Path, edit: object, message: str) -> None:
    result.write(tmp_path)
    doc = json.loads(plan_file(tmp_path).read_text())
    edit(doc)  # type: ignore[operator]
    plan_file(tmp_path).write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        read_plan(tmp_path, label="runs/p")
    assert exc.value.exit_code == 2
    assert str(exc.value) == f"runs/p/plan.json: {message}"


def test_a_missing_or_broken_document_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"^runs/p/plan.json: not a plan's document "
                                       r"\(FileNotFoundError\)$"):
        read_plan(tmp_path, label="runs/p")
    plan_file(tmp_path).write_text("[1, 2]")
    with pytest.raises(BadInput, match=r"plan.json: not a plan's document \(not a JSON"):
        read_plan(tmp_path)
    plan_file(tmp_path).write_text("{")
    with pytest.raises(BadInput, match=r"\(JSONDecodeError\)$"):
        read_plan(tmp_path)


def test_every_path_goes_through_resolve(result: PlanResult, tmp_path: Path) -> None:
    result.write(tmp_path)
    asked: list[str] = []

    def resolve(name: str) -> Path:
        asked.append(name)
        raise BadInput("refused", where="path")

    with pytest.raises(BadInput, match="refused"):
        read_plan(tmp_path, resolve=resolve)
    assert asked == [plan_file(Path()).name]
