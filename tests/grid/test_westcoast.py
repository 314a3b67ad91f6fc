"""The west-coast export limit (issue 20 item 2): the AC export of the clusters holding
Dangjin and Taean (the Bukdangjin end of the HVDC among them), derived from KEPCO's 2023
constrained-off figures, applied on the clustered network only, overridable per scenario
(``siting.west_coast_limit_mw``) with bad values exiting 2 naming the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aifab.errors import BadInput
from aifab.grid._data import load_grid_data
from aifab.grid._westcoast import FIELD, WEST_COAST_INTERFACE, with_west_coast_limit


def _row(d):  # type: ignore[no-untyped-def]
    itf = d.interfaces
    return itf[itf["name"] == WEST_COAST_INTERFACE].iloc[0]


def test_packaged_limit_follows_its_stated_arithmetic() -> None:
    # interfaces.csv's source: (12.9 GW - 2.9 GW constrained, the middle of 2.4-3.4) less
    # the HVDC's first stage (1.5 GW) and the pocket's load (2.8 GW), plus the 0.9 GW the
    # second stage let through, less that stage's 1.5 GW the model's link already has
    r = _row(load_grid_data())
    assert r["limit_mw"] == pytest.approx((12.9 - 2.9 - 1.5 - 2.8 + 0.9 - 1.5) * 1e3)
    assert {p.strip() for p in r["from_plants"].split(";")} == {"Dangjin", "Taean"}
    assert r["pocket_only"] is True or str(r["pocket_only"]).lower() == "true"
    for figure in ("Chosun Biz 13 Oct 2023", "26 May 2024", "Shintangjeong"):
        assert figure in r["source"]


def test_scenario_override_and_bad_values_exit_2(tmp_path: Path) -> None:
    d = load_grid_data()
    assert with_west_coast_limit(d, None) is d
    assert _row(with_west_coast_limit(d, 4600.0))["limit_mw"] == 4600.0
    assert _row(d)["limit_mw"] == 5100.0  # the data are not changed in place
    east = d.interfaces.iloc[0]
    assert with_west_coast_limit(d, 0.0).interfaces.iloc[0]["limit_mw"] == east["limit_mw"]
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(BadInput, match=FIELD.replace(".", r"\.")) as e:
            with_west_coast_limit(d, bad)
        assert e.value.exit_code == 2
    # data (a user data_dir) without the interface: the override names the field
    (tmp_path / "interfaces.csv").write_text(
        "name,from_regions,to_regions,limit_mw,source\n"
        "East coast export,Gangwon,Seoul,11000,test\n")
    with pytest.raises(BadInput, match=r"siting\.west_coast_limit_mw: .*no interface"):
        with_west_coast_limit(load_grid_data(tmp_path), 5000.0)


def test_scenario_field_rejects_a_negative_limit() -> None:
    from pydantic import ValidationError

    from aifab.scenario import SitingOptions

    assert SitingOptions().west_coast_limit_mw is None
    assert SitingOptions(west_coast_limit_mw=4600).west_coast_limit_mw == 4600
    with pytest.raises(ValidationError, match="west_coast_limit_mw"):
        SitingOptions(west_coast_limit_mw=-5)


@pytest.mark.slow  # about 4 CPU-s: builds the clustered and the zonal network
def test_west_coast_pocket_is_dangjin_and_taean_with_the_hvdc_outside() -> None:
    from aifab.grid._cluster import build_clustered_network
    from aifab.grid._network import add_interfaces, build_network, interface_sides, quiet_pypsa

    quiet_pypsa()
    d = load_grid_data()
    gn = build_clustered_network(d, [2025], hours=24)
    n = gn.network
    a, b = interface_sides(gn, _row(d))
    where = {name.split(" @")[0]: str(bus) for name, bus in n.generators["bus"].items()}
    assert where["Dangjin"] in a and where["Taean"] in a
    assert where["Boryeong/Shin-Boryeong"] in b  # not in the 12.9 GW group
    hvdc = "Bukdangjin-Godeok HVDC"
    assert str(n.links.at[hvdc, "bus0"]) in a  # the Bukdangjin end is in the pocket
    assert all(gn.bus_region[x] == "Chungnam" for x in a)
    m = n.optimize.create_model(include_objective_constant=False)
    add_interfaces(m, gn, d)
    row = set(np.unique(m.constraints[f"Interface-{WEST_COAST_INTERFACE}"].vars.values)) - {-1}
    assert row  # the AC lines out of the pocket
    assert row.isdisjoint(np.unique(m.variables["Link-p"].sel(name=hvdc).labels.values))
    # the zonal network cannot tell the pocket from Chungnam: the limit is left out there
    z = build_network(d, [2025], hours=24)
    assert interface_sides(z, _row(d)) == (set(), set())
    mz = z.network.optimize.create_model(include_objective_constant=False)
    add_interfaces(mz, z, d)
    assert f"Interface-{WEST_COAST_INTERFACE}" not in mz.constraints
    assert "Interface-East coast export" in mz.constraints


def test_cli_negative_limit_exits_2_naming_the_field() -> None:
    from typer.testing import CliRunner

    from aifab.cli import app

    r = CliRunner().invoke(app, ["site", "--set", "siting.west_coast_limit_mw=-1", "--json"])
    assert r.exit_code == 2
    assert "siting.west_coast_limit_mw" in r.output and "greater than or equal to 0" in r.output
