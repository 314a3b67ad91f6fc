"""The site result's run-shaped blocks typed (issue 23): hosting rows (their curtailable
``flex_mw_<N>h`` columns), ``second_stage`` (a full-year dispatch or a full-network check,
told apart by ``kind``) and ``coupling``. Each document, shaped as its producer writes it
(grid._hosting, grid._fullyear, grid._fullcheck, sim.national.Coupling), comes back from
the typed tree byte for byte, through a folder too; a mistyped field names its path."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from aifab._io import to_json, versioned
from aifab.errors import BadInput
from aifab.grid import SiteResult, read_site
from aifab.grid._site_blocks import FullNetworkCheck, FullYearStage, HostingRow

from .test_site_result import golden_text

HOSTING = [  # as hosting_capacity's table gives it (records, NaN as null)
    {"site": "S-Seoul", "bus": "Seoul", "year": 2030, "firm_mw": 1650.0, "flex_mw_22h": 1700.0,
     "flex_mw_44h": 1800.5, "flex_mw_88h": 1900.0, "connect_mw": None, "region": "Seoul",
     "lat": 37.5, "lon": 127.0, "substation": None, "substation_lat": None,
     "substation_lon": None, "bus_lat": 37.56, "bus_lon": None},
    {"site": "S-Gangwon", "bus": "Gangwon", "year": 2030, "firm_mw": 80.0,
     "flex_mw_22h": 80.0, "flex_mw_44h": 81.0, "flex_mw_88h": 95.0, "connect_mw": 1000.0,
     "region": "Gangwon", "lat": 37.8, "lon": 128.9, "substation": 123456789.0,
     "substation_lat": 37.81, "substation_lon": 128.91, "bus_lat": 37.8, "bus_lon": 128.9}]
FULL_YEAR = {
    "kind": "full_year", "method": "every hour of each year, campuses of stage 1 fixed; "
    "rolling horizon of 1-day blocks (storage cycles within each day)",
    "blocks": 365, "block_days": 1, "workers": 2, "lp_s": 41.2, "model_build_s": 3.1,
    "network_build_s": 2.0, "dispatch_wall_s": 25.5, "lp_variables": 12345,
    "by_year": {"2026": {"generation_krw": 4.1e13, "co2_mt": 180.123, "load_shed_mwh": 0.0,
                         "campus_curtailed_mwh": 12.5, "campus_curtailed_hours": 3.0,
                         "campus_curtailed_max_mw": 8.2, "gpus_unpowered_worst_hour": 4100,
                         "short_hours_by_month": {"1": 2.0, "8": 1.0}, "hours": 8760.0}},
    "change_vs_representative_days": {"2026": {"generation_pct": 1.25, "co2_pct": None,
                                               "load_shed_mwh": -3.5}},
    "representative_days": {"2026": {"generation_krw": 4.05e13, "co2_mt": 179.0,
                                     "load_shed_mwh": 3.5}}}
CHECK = {
    "kind": "full_network_check", "check": "passed", "buses": 1200, "lines": 1500, "days": 7,
    "rounds_total": 9, "rounds_max_per_day": 2, "lines_overloaded": 1, "lines_enforced": 1,
    "overloaded_lines": [{"line": "L17", "bus0": "b1", "bus1": "b2", "region0": "Seoul",
                          "region1": "Gyeonggi", "limit_mw": 1000.0, "allowed_mw": 980.0,
                          "loading_pct": 104.2, "year": 2026, "day": 3, "round": 0}],
    "max_loading_pct_final": 99.8,
    "by_year": {"2026": {"redispatch_cost_krw": 120000000, "generation_krw_round0": 4100,
                         "generation_krw": 4200, "load_shed_mwh_without_campuses": 0.0,
                         "load_shed_mwh_round0": 1.5, "load_shed_mwh": 0.0,
                         "campus_curtailed_mwh_round0": 0.0, "campus_curtailed_mwh": 2.0,
                         "campus_curtailed_max_mw": 1.0, "gpus_unpowered_worst_hour": 500}},
    "wall_s": 12.3, "network_build_s": 4.0, "model_build_s": 1.1, "lp_s": 6.0,
    "lp_variables": 99999, "peak_rss_mib": 2048}


def _doc(**blocks: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(golden_text())
    doc.update(blocks)
    return doc


def _text(doc: dict[str, Any]) -> str:
    return to_json(doc)


@pytest.mark.parametrize("stage", [FULL_YEAR, CHECK], ids=["full_year", "full_network"])
def test_hosting_and_second_stage_come_back_byte_for_byte(tmp_path: Path,
                                                          stage: dict[str, Any]) -> None:
    doc = _doc(hosting=HOSTING, second_stage=stage)
    res = SiteResult.from_dict(json.loads(_text(doc)))
    assert _text(versioned(res.to_dict())) == _text(doc)
    assert res.hosting is not None and isinstance(res.hosting[0], HostingRow)
    assert res.hosting[0].flex_mw == {"22h": 1700.0, "44h": 1800.5, "88h": 1900.0}
    assert math.isnan(res.hosting[0].connect_mw) and res.hosting[0].substation is None
    assert math.isnan(res.hosting[0].bus_lon or 0.0) and res.hosting[0].bus_lat == 37.56
    assert isinstance(res.second_stage, FullYearStage if stage is FULL_YEAR else
                      FullNetworkCheck)
    res.write(tmp_path)
    back = read_site(tmp_path)
    assert _text(versioned(back.to_dict())) == _text(doc)
    hc = back.to_siting().hosting  # the solver's table, columns in its order
    assert list(hc.columns[:6]) == ["site", "bus", "year", "firm_mw", "flex_mw_22h",
                                    "flex_mw_44h"]
    assert list(hc["firm_mw"]) == [1650.0, 80.0]
    assert (tmp_path / "hosting.csv").read_text().splitlines()[0].startswith(
        "site,bus,year,firm_mw,flex_mw_22h,flex_mw_44h,flex_mw_88h,connect_mw,region")


def test_a_hosting_row_without_bus_coordinates() -> None:
    rows = [{k: v for k, v in r.items() if k not in ("bus_lat", "bus_lon")} for r in HOSTING]
    doc = _doc(hosting=rows)
    res = SiteResult.from_dict(json.loads(_text(doc)))
    assert res.hosting is not None and res.hosting[1].bus_lat is None
    assert _text(versioned(res.to_dict())) == _text(doc)


def _message(tmp_path: Path, doc: dict[str, Any]) -> str:
    (tmp_path / "site.json").write_text(_text(doc))
    with pytest.raises(BadInput) as exc:
        read_site(tmp_path, label="runs/bad")
    assert exc.value.exit_code == 2
    return str(exc.value)


@pytest.mark.parametrize(("blocks", "message"), [
    ({"hosting": [{**HOSTING[0], "flex_mw_44h": "lots"}]},
     "runs/bad/site.json: hosting[0].flex_mw.44h: expected a number, got str 'lots'"),
    ({"hosting": [{**HOSTING[0], "year": "2030"}]},
     "runs/bad/site.json: hosting[0].year: expected an integer, got str '2030'"),
    ({"second_stage": {**FULL_YEAR, "kind": "half_year"}},
     "runs/bad/site.json: second_stage.kind: expected one of ['full_network_check', "
     "'full_year'], got 'half_year'"),
    ({"second_stage": {**FULL_YEAR, "by_year": {"2026": {"hours": 1.0}}}},
     "runs/bad/site.json: second_stage.by_year.2026.generation_krw: missing"),
    ({"second_stage": {**CHECK, "overloaded_lines": [{**CHECK["overloaded_lines"][0],
                                                       "day": 3.5}]}},
     "runs/bad/site.json: second_stage.overloaded_lines[0].day: expected an integer, got "
     "float 3.5"),
    ({"coupling": {"rounds": 1, "converged": "yes", "tol_mw": 1.0, "caps_year": 2028,
                   "history": []}},
     "runs/bad/site.json: coupling.converged: expected a bool, got str 'yes'"),
])
def test_a_mistyped_block_field_names_the_file_and_path(tmp_path: Path, blocks: Any,
                                                        message: str) -> None:
    assert message in _message(tmp_path, _doc(**blocks))
