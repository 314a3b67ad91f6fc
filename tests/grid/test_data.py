"""Grid data: sources on every row, validation errors that name file, line and column."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from aifab.errors import BadInput
from aifab.grid import REGIONS, load_grid_data, representative_days

DATA = Path(str(resources.files("aifab.grid") / "data"))


def test_packaged_data_complete_and_sourced():
    d = load_grid_data()
    assert sorted(d.regions.index) == sorted(REGIONS)
    assert len(d.sites) >= 12
    for table in (d.regions, d.carriers, d.generators, d.corridors, d.sites):
        assert table["source"].str.len().min() > 0
    hvdc = d.corridors.set_index("name").loc["EastCoast-Singapyeong HVDC"]
    # committed (work under way): dated scenario data, not an investment option
    assert not hvdc["expandable"] and hvdc["p_nom_mw"] == 4000 and hvdc["from_year"] == 2027
    assert d.corridors.set_index("name").loc["West coast HVDC (Honam-capital)", "expandable"]
    assert d.profiles.shape == (8760, 3)
    assert d.profiles["solar"].mean() == pytest.approx(0.15)


def test_gwangju_fuel_cell_runs_flat_at_its_stated_output():
    # Bitgoeul fuel cell: 12.32 MW, 95,000 MWh a year (kbc 1 Mar 2022); carriers.csv makes
    # its availability and must-run the same figure, so its year is the stated energy
    d = load_grid_data()
    g = d.generators.set_index("name").loc["Bitgoeul fuel cell"]
    c = d.carriers.loc["fuel_cell"]
    assert g["region"] == "Gwangju" and g["p_nom_mw"] == pytest.approx(12.32)
    assert float(c["must_run_pu"]) == float(c["availability"])
    assert g["p_nom_mw"] * float(c["availability"]) * 8760 == pytest.approx(95_000, rel=0.01)


def test_representative_days_weights():
    d = load_grid_data()
    ts = representative_days(d.profiles, 8, seed=0)
    assert len(ts.days) == 8
    assert sum(ts.weights) == pytest.approx(365)
    peak = int(np.argmax(d.profiles["demand"].to_numpy().reshape(365, 24).max(axis=1)))
    assert peak in ts.days and ts.weights[ts.days.index(peak)] == 1.0
    assert representative_days(d.profiles, 8, seed=0) == ts  # deterministic
    assert representative_days(d.profiles, 365).hours == 8760


def _copy(tmp_path: Path, table: str) -> Path:
    dst = tmp_path / f"{table}.csv"
    shutil.copy(DATA / f"{table}.csv", dst)
    return dst


def _edit_line(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text().splitlines()
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines) + "\n")


def test_bad_number_names_file_line_column(tmp_path):
    f = _copy(tmp_path, "sites")
    _edit_line(f, 4, ",40,40,120,", ",40,lots,120,")
    with pytest.raises(BadInput) as e:
        load_grid_data(tmp_path)
    assert str(f) in str(e.value) and "line 4, column mw_2027" in str(e.value)


def test_unknown_region_and_falling_ramp(tmp_path):
    f = _copy(tmp_path, "generators")
    _edit_line(f, 2, "Gyeongbuk", "Atlantis")
    with pytest.raises(BadInput, match=r"generators.csv: line 2, column region: unknown"):
        load_grid_data(tmp_path)
    f.unlink()
    s = _copy(tmp_path, "sites")
    _edit_line(s, 2, ",103,200,", ",103,50,")
    with pytest.raises(BadInput, match=r"line 2, column mw_2030: MW available falls"):
        load_grid_data(tmp_path)


def test_missing_column_and_negative(tmp_path):
    f = _copy(tmp_path, "corridors")
    text = f.read_text().replace("p_nom_mw,", "pnom,", 1)
    f.write_text(text)
    with pytest.raises(BadInput, match=r"corridors.csv: line 1: missing column 'p_nom_mw'"):
        load_grid_data(tmp_path)
    f.unlink()
    r = _copy(tmp_path, "regions")
    _edit_line(r, 3, ",21.5,", ",-21.5,")
    with pytest.raises(BadInput, match=r"line 3, column demand_twh: -21.5 is below"):
        load_grid_data(tmp_path)


def test_extension_file_adds_a_site(tmp_path):
    (tmp_path / "sites.mine.csv").write_text(
        "site,region,lat,lon,mw_2025,mw_2026,mw_2027,mw_2028,mw_2029,mw_2030,"
        "build_cost_krw_per_mw,pue,de_zone,headroom_mw,source\n"
        "Daegu test,Daegu,35.87,128.6,0,40,80,80,80,80,12000000000,1.3,false,80,my survey\n")
    d = load_grid_data(tmp_path)
    assert "Daegu test" in d.sites.index and "Ulsan Mipo" in d.sites.index
    with pytest.raises(BadInput, match="grid data directory not found"):
        load_grid_data(tmp_path / "nope")
