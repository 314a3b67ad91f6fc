"""The site result's last untyped parts, typed (issue 23): ``annual_cost_krw``'s rows
(:class:`AnnualCost`), a combined report's ``twin_power_caps``
(:class:`aifab.grid.TwinPowerCaps`) and the calibration rows (:class:`aifab.grid.CalibrationRow`,
their stored ``within`` checked and derived again). A mistyped field is exit 2 naming the
file and the field; a folder written and read back is the same result."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aifab._io import to_json, versioned
from aifab.errors import BadInput
from aifab.grid import CalibrationRow, SiteResult, TwinPowerCaps, read_site
from aifab.grid._site_blocks import AnnualCost

GOLDEN = Path(__file__).parents[1] / "commands" / "site_goldens" / "site-korea-2025.json"


def golden_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(GOLDEN.read_text().replace("<t>", "1.5"))
    return doc


def with_caps() -> SiteResult:
    return replace(SiteResult.from_dict(golden_doc()),
                   twin_power_caps=TwinPowerCaps(2028, {"Naver": 120.5, "Government": 80.0}),
                   twin_curtailment_windows=3)


def test_the_rows_are_typed() -> None:
    res = with_caps()
    cost = res.annual_cost_krw["2028"]
    assert isinstance(cost, AnnualCost) and cost.load_shed_mwh == pytest.approx(2831.78, 1e-5)
    assert cost.total_krw == pytest.approx(cost.generation_krw + cost.site_build_krw
                                           + cost.corridor_expansion_krw
                                           + cost.shortfall_penalty_krw + cost.load_shed_krw)
    assert all(isinstance(r, CalibrationRow) for r in res.calibration)
    assert [r.to_dict() for r in res.calibration] == golden_doc()["calibration"]
    assert res.to_dict()["twin_power_caps"] == {"year": 2028,
                                                "mw": {"Naver": 120.5, "Government": 80.0}}


def test_a_folder_with_the_twins_caps_round_trips(tmp_path: Path) -> None:
    res = with_caps()
    res.write(tmp_path / "a")
    back = read_site(tmp_path / "a")
    assert back == res and back.twin_power_caps == res.twin_power_caps
    back.write(tmp_path / "b")
    for p in sorted((tmp_path / "a").iterdir()):
        assert (tmp_path / "b" / p.name).read_bytes() == p.read_bytes(), p.name


def test_a_calibration_row_without_within_still_reads() -> None:
    doc = golden_doc()
    for r in doc["calibration"]:
        del r["within"]
    res = SiteResult.from_dict(doc)
    assert [r.to_dict() for r in res.calibration] == golden_doc()["calibration"]


def _broken(tmp_path: Path, edit: Any) -> str:
    doc = golden_doc()
    doc["twin_power_caps"] = {"year": 2028, "mw": {"Naver": 120.5}}
    edit(doc)
    (tmp_path / "site.json").write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        read_site(tmp_path, label="runs/bad")
    assert exc.value.exit_code == 2
    return str(exc.value)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["annual_cost_krw"]["2027"].update(total_krw="dear"),
     "runs/bad/site.json: annual_cost_krw.2027.total_krw: expected a number, got str 'dear'"),
    (lambda d: d["annual_cost_krw"]["2026"].update(tax_krw=1.0),
     "runs/bad/site.json: annual_cost_krw.2026.tax_krw: unknown field"),
    (lambda d: d["annual_cost_krw"]["2028"].pop("load_shed_mwh"),
     "runs/bad/site.json: annual_cost_krw.2028.load_shed_mwh: missing"),
    (lambda d: d["twin_power_caps"].update(year=2028.5),
     "runs/bad/site.json: twin_power_caps.year: expected an integer, got float 2028.5"),
    (lambda d: d["twin_power_caps"]["mw"].update(Naver="all"),
     "runs/bad/site.json: twin_power_caps.mw.Naver: expected a number, got str 'all'"),
    (lambda d: d.update(twin_power_caps=[2028]),
     "runs/bad/site.json: twin_power_caps: expected an object, got list [2028]"),
    (lambda d: d["calibration"][1].update(within="yes"),
     "runs/bad/site.json: calibration[1].within: expected a bool, got str 'yes'"),
    (lambda d: d["calibration"][0].update(ours="high"),
     "runs/bad/site.json: calibration[0].ours: expected a number, got str 'high'"),
])
def test_a_mistyped_field_names_the_file_and_the_field(tmp_path: Path, edit: Any,
                                                       message: str) -> None:
    assert _broken(tmp_path, edit) == message


def test_the_combined_reports_site_json_is_the_same_text() -> None:
    """``twin_power_caps`` as a typed block writes what the report's PowerCaps.to_dict did."""
    from aifab.sim.national import PowerCaps

    caps = PowerCaps(2028, {"Naver": 120.5, "Government": 80.0})
    old = {**with_caps().to_dict(), "twin_power_caps": caps.to_dict()}
    assert to_json(versioned(with_caps().to_dict())) == to_json(versioned(old))
