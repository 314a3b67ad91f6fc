"""The network derived from OSM: regeneration, province assignment, corridor capacities."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from aifab.errors import BadInput
from aifab.grid import load_grid_data, provinces_geojson
from aifab.grid._geo import assign_region, province_polygons
from aifab.grid._lines import (
    N1_FACTOR,
    circuits_from_cables,
    corridor_capacity_mw,
    load_line_types,
    load_lines,
    load_substations,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "korea-grid"
DATA = Path(str(resources.files("aifab.grid") / "data"))

# (OSM bus id, known substation, province): 765 kV and 345 kV nodes of the backbone
KNOWN = [
    (101, "Sin-Gapyeong 765 kV", "Gyeonggi"),
    (98, "Sin-Taebaek 765 kV", "Gangwon"),
    (22, "Sin-Hanul 765 kV (Uljin)", "Gyeongbuk"),
    (88, "Sin-Seosan 765 kV", "Chungnam"),
    (30, "Sin-Anseong 765 kV", "Gyeonggi"),
    (142, "Bukkyeongnam 765 kV (Changnyeong)", "Gyeongnam"),
]


@pytest.mark.slow  # about 3-13 s: make test and CI run it, make test-fast does not
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} (third-party data) not present")
def test_script_reproduces_shipped_tables():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_korea_grid.py"),
                          "--src", str(SHARED), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(("bus", "name", "region"), KNOWN)
def test_known_substations_in_their_province(bus, name, region):
    subs = load_substations()
    row = subs[subs["buses"].astype(str).str.split(";").apply(lambda b: str(bus) in b)]
    assert len(row) == 1, name
    assert row["region"].iloc[0] == region, name
    # the simplified packaged polygons agree
    got, dist = assign_region(float(row["lon"].iloc[0]), float(row["lat"].iloc[0]),
                              province_polygons())
    assert (got, dist) == (region, 0.0), name


def test_corridor_capacity_recomputed_from_lines():
    d = load_grid_data()
    ac = d.corridors[d.corridors["kind"] == "ac"].set_index("name")
    lines = load_lines()
    again = corridor_capacity_mw(lines)
    assert sorted(again.index) == sorted(ac.index)
    for name, mw in again.items():
        assert float(ac.at[name, "p_nom_mw"]) == pytest.approx(mw, abs=1.0), name
    # one corridor by hand: Gangwon-Gyeongbuk lines x per-circuit ratings x N-1 factor
    t = load_line_types()
    mine = lines[lines["corridor"] == "Gangwon-Gyeongbuk"]
    hand = sum(circuits_from_cables(c) * t[k].thermal_mva_per_circuit
               for c, k in zip(mine["cables"], mine["kind"], strict=True)) * N1_FACTOR
    assert float(ac.at["Gangwon-Gyeongbuk", "p_nom_mw"]) == pytest.approx(hand, abs=1.0)
    # every inter-regional AC line belongs to the corridor of its two provinces
    inter = lines[(lines["region0"] != lines["region1"]) & ~lines["dc"]]
    assert (inter["corridor"] != "").all()
    assert set(lines.loc[lines["region0"] == lines["region1"], "corridor"]) <= {""}


def test_circuit_convention():
    assert [circuits_from_cables(c) for c in (1, 2, 3, 6, 8, 9, 12)] == [1, 1, 1, 2, 3, 3, 4]


def test_sites_connect_at_a_substation_in_their_region():
    d = load_grid_data()
    subs = d.substations
    for s, r in d.sites.iterrows():
        k = int(r["substation"])
        assert subs.at[k, "region"] == r["region"], s
        has_cp = bool((subs["connection_point"].astype(bool)
                       & (subs["region"] == r["region"])).any())
        assert bool(subs.at[k, "connection_point"]) == has_cp, s
        assert r["connect_mw"] == subs.at[k, "connect_mw"] > 0


def test_provinces_small_and_complete():
    g = provinces_geojson()
    assert len(g["features"]) == 17
    assert (DATA / "provinces.geojson").stat().st_size < 300_000
    assert {f["properties"]["region"] for f in g["features"]} == set(load_grid_data().regions
                                                                      .index)
    json.dumps(g)  # serialisable for dash/plotly


def test_user_line_list_overrides_corridors(tmp_path):
    # drop every line of one corridor and double another's: capacities follow
    lines = load_lines()
    keep = lines[lines["corridor"] != "Gangwon-Gyeongbuk"].copy()
    extra = keep[keep["corridor"] == "Ulsan-Gyeongnam"].assign(line_id="extra")
    pd.concat([keep, extra]).to_csv(tmp_path / "lines.csv", index=False)
    d = load_grid_data(tmp_path)
    cor = d.corridors.set_index("name")
    assert "Gangwon-Gyeongbuk" not in cor.index
    base = load_grid_data().corridors.set_index("name")
    assert cor.at["Ulsan-Gyeongnam", "p_nom_mw"] == 2 * base.at["Ulsan-Gyeongnam", "p_nom_mw"]
    assert cor.at["Busan-Ulsan", "p_nom_mw"] == base.at["Busan-Ulsan", "p_nom_mw"]
    assert "EastCoast-Singapyeong HVDC" in cor.index  # HVDC links are kept


def test_bad_user_line_names_file_and_line(tmp_path):
    lines = load_lines()
    lines.loc[3, "kind"] = "ac999"
    lines.to_csv(tmp_path / "lines.csv", index=False)
    with pytest.raises(BadInput) as e:
        load_grid_data(tmp_path)
    assert "lines.csv" in str(e.value) and "line 5, column kind" in str(e.value)
