"""Hosting capacity per candidate site (hand-solvable toy) and bad inputs that exit 2."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from aifab.errors import BadInput
from aifab.grid import load_grid_data
from aifab.grid._cluster import check_busmap, make_busmap
from aifab.grid._full import backbone
from aifab.grid._hosting import check_hosting, curtailable_mw, hosting_capacity

from .conftest import toy_data


@pytest.mark.slow  # a toy siting or check solve (1.5-3 s): make test and CI
def test_firm_hosting_by_hand():
    # Seoul: LNG 2,000 + imports 600 (G-S) + 50 (J-S) - its 1,000 MW load = 1,650 MW.
    # Gangwon: nuclear 1,000 + 600 from Seoul's spare LNG = 1,600. Jeonnam: coal 100 + 50.
    hc = hosting_capacity(toy_data(), [2030], hours=24).set_index("site")["firm_mw"]
    assert hc.to_dict() == pytest.approx({"S-Seoul": 1650.0, "S-Gangwon": 1600.0,
                                          "S-Jeonnam": 150.0})


@pytest.mark.slow  # a few seconds: make test and CI, not make test-fast
def test_hosting_rows_carry_map_coordinates():
    # the dashboard's map layer reads these: the site's own coordinates and its bus's
    data = toy_data()
    hc = hosting_capacity(data, [2030], hours=24).set_index("site")
    for s in data.sites.index:
        assert hc.at[s, "region"] == data.sites.at[s, "region"]
        assert (hc.at[s, "lat"], hc.at[s, "lon"]) == (data.sites.at[s, "lat"],
                                                      data.sites.at[s, "lon"])
        reg = data.regions.loc[data.sites.at[s, "region"]]
        assert (hc.at[s, "bus_lat"], hc.at[s, "bus_lon"]) == (reg["lat"], reg["lon"])
    assert hc["substation"].isna().all()  # the toy has no substations


@pytest.mark.slow  # a few seconds: make test and CI, not make test-fast
def test_curtailable_hosting_above_firm_when_peak_hours_can_go():
    # Two peak hours at 1.4 x demand on day 0 (the peak day, weight 1): Seoul's firm hosting
    # falls to 1,250 MW; a load that gives way for up to 22 h a year gets the 1,650 MW of
    # every other hour.
    data = toy_data()
    d = np.ones(8760)
    d[18:20] = 1.4
    data = replace(data, profiles=pd.DataFrame({"demand": d, "solar": 0.0, "wind": 0.0}))
    hc = hosting_capacity(data, [2030], hours=48, flex_hours=(1.0, 22.0)).set_index("site")
    assert hc.at["S-Seoul", "firm_mw"] == pytest.approx(1250.0)
    assert hc.at["S-Seoul", "flex_mw_1h"] == pytest.approx(1250.0)  # 2 hours > 1 h budget
    assert hc.at["S-Seoul", "flex_mw_22h"] == pytest.approx(1650.0)


def test_curtailable_quantile():
    h = np.array([5.0, 1.0, 3.0, 2.0])
    w = np.array([1.0, 1.0, 10.0, 1.0])
    assert curtailable_mw(h, w, 0.0) == 1.0
    assert curtailable_mw(h, w, 2.0) == 3.0  # the two 1-h hours go
    assert curtailable_mw(h, w, 5.0) == 3.0  # the 10-h hour does not fit


def test_negative_hosting_names_the_field():
    with pytest.raises(BadInput, match="flex_mw_22h") as e:
        check_hosting(pd.DataFrame({"site": ["A"], "firm_mw": [10.0], "flex_mw_22h": [-1.0]}))
    assert "negative hosting capacity" in str(e.value)


def test_busmap_leaving_a_substation_out_names_the_field():
    data = load_grid_data()
    kept, _, _ = backbone(data)
    bm = make_busmap(data.substations, kept, 40)
    check_busmap(bm, kept, data.substations)  # the k-means busmap is complete
    assert bm.nunique() == 40
    with pytest.raises(BadInput, match=r"busmap\.cluster") as e:
        check_busmap(bm.drop(kept[3]), kept, data.substations)
    assert f"substation {kept[3]} is not assigned" in str(e.value)
    mixed = bm.copy()
    mixed[kept[0]] = bm[next(s for s in kept if data.substations.at[s, "region"]
                             != data.substations.at[kept[0], "region"])]
    with pytest.raises(BadInput, match="spans two provinces"):
        check_busmap(mixed, kept, data.substations)


def test_east_coast_is_split():
    # Uljin (Hanul, 37.09 N) and Gyeongju (Wolsong, 35.71 N) fall in different clusters.
    data = load_grid_data()
    kept, _, _ = backbone(data)
    bm = make_busmap(data.substations, kept, 40)
    subs = data.substations.loc[kept]

    def cluster_at(lat, lon):
        d = (subs["lat"] - lat) ** 2 + (subs["lon"] - lon) ** 2
        return bm[int(d.idxmin())]

    assert cluster_at(37.093, 129.383) != cluster_at(35.713, 129.475)
    assert cluster_at(37.185, 129.340) != cluster_at(37.88, 127.73)  # Samcheok vs Chuncheon


def test_committed_project_with_unknown_bus(tmp_path):
    (tmp_path / "hvdc.csv").write_text(
        "name,bus0,bus1,p_nom_mw,length_km,expandable,kind,from_year,source\n"
        "X HVDC,Gyeongbuk,Atlantis,4000,230,false,hvdc,2027,test\n")
    with pytest.raises(BadInput, match="column bus1") as e:
        load_grid_data(tmp_path)
    assert "Atlantis" in str(e.value)


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
def test_hosting_in_json_and_report():
    from aifab.grid import solve_siting
    from aifab.report import site_html

    from .conftest import toy_problem

    data = toy_data()
    r = solve_siting(toy_problem(10.0), data, calibrate_base=False)
    r = replace(r, hosting=hosting_capacity(data, [2030], hours=24))
    assert [h["site"] for h in r.to_dict()["hosting"]] == ["S-Seoul", "S-Gangwon", "S-Jeonnam"]
    from aifab.grid import SiteResult

    page = site_html(SiteResult.from_siting("toy", r), r.geo)
    assert "Hosting capacity per site" in page
    assert "1,650" in page.split("Hosting capacity per site")[-1]  # Seoul firm MW
