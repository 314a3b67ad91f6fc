"""``aifab site``: --json, --out, exit codes 2 (bad data/scenario) and 3 (infeasible)."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab.cli import app

runner = CliRunner()
DATA = Path(str(resources.files("aifab.grid") / "data"))


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.slow
def test_site_json_and_out(tmp_path):
    code, out, err = run("site", "--json", "--hours", "24", "--out", str(tmp_path / "o"))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["status"] in ("optimal", "time_limit")
    for key in ("objective_krw", "mip_gap", "solve_s", "placements", "unpowered_gpus_by_year",
                "corridors", "regions", "annual_cost_krw", "co2_mt"):
        assert key in doc
    cal = {c["metric"]: c for c in doc["calibration"]}
    assert len(cal) == 17 and all({"metric", "ours", "reported", "source", "kind"} <= set(c)
                                 for c in cal.values())
    assert {c["kind"] for c in cal.values()} == {"consistency", "validation"}
    assert doc["network"] == "clustered"
    # lines of the clustered network are reported with their N-1 limit and solved flows
    lines = [c for c in doc["corridors"] if " - " in c["name"]]
    assert len(lines) > 40 and all(0 <= c["max_loading_pct"] <= 100.0 + 1e-6 for c in lines)
    row = doc["placements"][0]
    assert set(row) >= {"owner", "site", "region", "year", "mw", "gpus"}
    files = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"site.json", "placements.csv", "corridors.csv", "site.html"} <= files
    page = (tmp_path / "o" / "site.html").read_text()
    # plotly.js is the folder's own copy, beside the page, never loaded from a URL
    from aifab.report import plotly_file_name

    js = plotly_file_name()
    assert js in files and "plotly.js v" in (tmp_path / "o" / js).read_text()[:200]
    assert "GPUs waiting for power" in page and page.count("<script src=") == 1
    assert f'<script src="{js}"></script>' in page and "plotly.js v" not in page
    from plotly.colors import sequential  # loading on cividis (the name was the bundle's)

    assert "Calibration of the base case" in page
    assert all(c in page for c in sequential.Cividis)


def test_bad_grid_data_exits_2(tmp_path):
    shutil.copy(DATA / "sites.csv", tmp_path / "sites.csv")
    lines = (tmp_path / "sites.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",1.30,", ",abc,", 1)
    (tmp_path / "sites.csv").write_text("\n".join(lines) + "\n")
    code, out, err = run("site", "--json", "--set", f"siting.data_dir={tmp_path}")
    assert code == 2 and out == ""
    assert "sites.csv: line 4, column pue: 'abc' is not a number" in err
    assert "Traceback" not in err


def test_bad_options_exit_2():
    code, _, err = run("site", "--json", "--hours", "5")
    assert code == 2 and "--hours" in err
    code, _, err = run("site", "--json", "--set", "owners.0.home_region=Atlantis",
                       "--set", "owners.0.siting.max_distance_km=100", "--hours", "24")
    assert code == 2 and "Atlantis" in err


def test_infeasible_exits_3_naming_the_limit():
    # Samsung must put all of its MW in its home region (Gyeonggi): the capital region's
    # sites and headroom cannot take it.
    code, out, err = run("site", "--json", "--hours", "24",
                         "--set", "owners.1.siting.min_home_share=1.0")
    assert code == 3 and out == ""
    assert "Gyeonggi" in err and "Samsung minimum" in err


def test_bad_network_exits_2():
    code, _, err = run("site", "--json", "--network", "mesh")
    assert code == 2 and "--network mesh" in err and "Traceback" not in err


def test_bad_flex_share_exits_2():
    code, _, err = run("site", "--json", "--flex-share", "0.5")
    assert code == 2 and "--flex-share 0.5" in err and "Traceback" not in err
