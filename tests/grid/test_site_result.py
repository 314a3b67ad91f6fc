"""The site stage's typed result (issue 23): :class:`SiteResult`'s ``to_dict()`` is the
``aifab site --json`` document, byte for byte (the golden recorded before the stage was
typed), :meth:`SiteResult.write` / :func:`read_site` round-trip a run folder, a bad field
is exit 2 naming the file and the field, and :func:`site_constraints` takes the typed
result."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aifab._io import to_json, versioned
from aifab.errors import BadInput
from aifab.grid import SiteResult, read_site, site_file
from aifab.grid._site_result import CurtailHour, RegionRow

GOLDEN = Path(__file__).parents[1] / "commands" / "site_goldens" / "site-korea-2025.json"


def golden_text() -> str:
    """The recorded ``--json`` text with its masked timings as numbers."""
    return GOLDEN.read_text().replace("<t>", "1.5")


def golden() -> SiteResult:
    return SiteResult.from_dict(json.loads(golden_text()))


def test_the_typed_result_gives_the_golden_document_byte_for_byte() -> None:
    res = golden()
    assert to_json(versioned(res.to_dict())) + "\n" == golden_text()
    assert res.placements[0].owner == "Naver" and isinstance(res.placements[0].gpus, int)
    assert res.flexibility is not None and res.flexibility.flex_share == 0.005
    assert res.corridors[0].loading_by_year.keys() == {"2026", "2027", "2028"}
    assert res.load_profile is None and res.coupling is None and res.hosting is None


def test_a_folder_round_trips_and_writes_the_same_bytes_again(tmp_path: Path) -> None:
    rows = (RegionRow("Seoul", 2026, 0.1 + 0.2, -6442.345678901234, -7817.6),
            RegionRow("Busan", 2027, 40.0, 1e-17, 3.0))
    res = replace(golden(), region_rows=rows)
    res.write(tmp_path / "a")
    back = read_site(tmp_path / "a")
    assert back == res and back.to_dict() == res.to_dict()
    assert back.region_rows == rows  # regions.csv: unrounded, read back exactly
    back.write(tmp_path / "b")
    for p in sorted((tmp_path / "a").iterdir()):
        assert (tmp_path / "b" / p.name).read_bytes() == p.read_bytes(), p.name
    assert {p.name for p in (tmp_path / "a").iterdir()} == {
        "site.json", "placements.csv", "corridors.csv", "regions.csv", "annual_cost.csv",
        "unpowered.csv", "flexibility.csv"}
    assert site_file(tmp_path / "a") == tmp_path / "a" / "site.json"


def test_every_path_goes_through_resolve(tmp_path: Path) -> None:
    golden().write(tmp_path)
    seen: list[str] = []

    def resolve(name: str) -> Path:
        seen.append(name)
        return tmp_path / name

    read_site(tmp_path / "elsewhere", resolve=resolve, label="runs/s")
    assert seen == ["site.json", "regions.csv"]


def _broken(tmp_path: Path, edit: Any) -> str:
    doc = json.loads(golden_text())
    edit(doc)
    (tmp_path / "site.json").write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        read_site(tmp_path, label="runs/bad")
    assert exc.value.exit_code == 2
    return str(exc.value)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["placements"][0].update(mw="lots"),
     "runs/bad/site.json: placements[0].mw: expected a number, got str 'lots'"),
    (lambda d: d.pop("years"), "runs/bad/site.json: years: missing"),
    (lambda d: d.update(colour="red"), "runs/bad/site.json: colour: unknown field"),
    (lambda d: d["flexibility"]["curtailment_hourly"].append({"owner": "Naver"}),
     "runs/bad/site.json: flexibility.curtailment_hourly[0].year: missing"),
    (lambda d: d["corridors"][1].update(max_loading_pct_2027="high"),
     "runs/bad/site.json: corridors[1].loading_by_year.2027: expected a number, got str "
     "'high'"),
])
def test_a_bad_field_names_the_file_and_the_field(tmp_path: Path, edit: Any,
                                                  message: str) -> None:
    assert message in _broken(tmp_path, edit)


def test_a_missing_or_broken_document_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"runs/none/site.json: not a siting result"):
        read_site(tmp_path / "none", label="runs/none")
    (tmp_path / "site.json").write_text("[1, 2")
    with pytest.raises(BadInput, match=r"runs/x/site.json: not a siting result"):
        read_site(tmp_path, label="runs/x")


def test_site_constraints_take_the_typed_result() -> None:
    from aifab.sim.national import site_constraints

    res = golden()
    assert res.flexibility is not None
    hours = tuple(CurtailHour("Naver", 2028, 3, h, 30.0, 100.0, 40.0, 0.4) for h in (9, 10))
    res = replace(res, flexibility=replace(res.flexibility, curtailment_hourly=hours))
    owners = sorted({p.owner for p in res.placements})
    typed = site_constraints(res, owners)
    doc = site_constraints(json.loads(to_json(res.to_dict())), owners)
    assert typed == doc
    want = sum(p.mw for p in res.placements if p.owner == "Naver" and p.year == 2028)
    assert typed.caps.year == 2028 and typed.caps.mw["Naver"] == pytest.approx(want)
    assert [(w.owner, w.start_h, w.duration_h, w.depth) for w in typed.windows] == [
        ("Naver", 9.0, 2.0, 0.4)]
