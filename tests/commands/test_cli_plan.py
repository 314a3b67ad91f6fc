"""CLI: plan, scenarios, catalog; every bad-input path exits 2 with one line."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_plan_json_schema() -> None:
    code, out, _ = run("plan", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["scenario"] == "korea-2025"
    t = doc["totals"]
    for key in ("accelerators", "it_power_mw", "facility_power_mw", "annual_energy_twh",
                "annual_cost_krw", "annual_co2_mt"):
        assert isinstance(t[key], (int, float))
    assert set(t["h100_equivalents"]) == {"bf16", "fp8", "memory_bandwidth", "memory_capacity"}
    assert [o["name"] for o in doc["owners"]] == ["Naver", "Samsung", "SK", "Hyundai",
                                                  "Government"]
    assert {c["region"] for c in doc["comparisons"]} == {"Seoul", "Gwangju", "Korea"}
    assert all({"region", "consumption_twh", "share"} <= set(c) for c in doc["comparisons"])
    names = [p["name"] for p in doc["peers"]]
    assert any("India" in n for n in names) and any("Tesla" in n for n in names)
    params = {a["parameter"] for a in doc["assumptions"]}
    assert {"PUE", "load factor", "tariff", "grid CO2 intensity"} <= params
    assert all(a["source"] for a in doc["assumptions"])


def test_plan_terminal_mentions_sections_and_assumed() -> None:
    code, out, _ = run("plan")
    assert code == 0
    for title in ("1. Fleet", "2. Capacity", "3. Power and energy", "4. Annual energy",
                  "Peers", "5. Assumptions", "assumed"):
        assert title in out


def test_set_changes_result() -> None:
    base = json.loads(run("plan", "--json")[1])["totals"]["facility_power_mw"]
    code, out, _ = run("plan", "--json", "--set", "facility.pue=1.5")
    assert code == 0
    assert json.loads(out)["totals"]["facility_power_mw"] == pytest.approx(base / 1.3 * 1.5)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.scripts = 0
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(v for k, v in attrs if k == "id" and v)
        self.scripts += tag == "script"


def test_out_dir_files_and_html(tmp_path: Path) -> None:
    out = tmp_path / "res"
    code, _, _ = run("plan", "--out", str(out))
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"plan.json", "report.html", "fleet.csv", "owners.csv", "peers.csv",
            "assumptions.csv", "comparisons.csv"} <= names
    assert json.loads((out / "plan.json").read_text())["schema_version"] == 1
    text = (out / "report.html").read_text()
    p = _Collect()
    p.feed(text)
    assert {"power", "energy", "h100e", "peers", "growth"} <= p.ids  # chart divs
    assert "Plotly.newPlot" in text
    from aifab.report import plotly_file_name

    js = plotly_file_name()  # plotly.js from beside the page: offline, one copy per folder
    assert js in names and "plotly.js v" in (out / js).read_text()[:200]
    assert f'<script src="{js}"></script>' in text and text.count("<script src=") == 1
    assert "plotly.js v" not in text and len(text) < 500_000
    assert p.scripts >= 6  # the bundle plus one script per chart
    assert not [x for x in tmp_path.iterdir() if x.name.startswith(".")]  # no temp left


def test_failed_run_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "res"
    code, _, _err = run("plan", "--out", str(out), "--set", "facility.pue=0.5")
    assert code == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_scenarios_and_catalog() -> None:
    code, out, _ = run("scenarios", "--json")
    assert code == 0 and "korea-2025" in {s["name"] for s in json.loads(out)["scenarios"]}
    code, out, _ = run("catalog", "--json")
    doc = json.loads(out)
    ids = {a["id"] for a in doc["accelerators"]}
    assert {"a100-sxm", "h100-sxm", "h200-sxm", "b200", "b300", "gb200", "gb300",
            "rtx-pro-6000", "rngd", "atom", "atom-max", "rebel-quad"} <= ids
    assert all(a["source"] for a in doc["accelerators"])
    assert {"hgx-h100", "dgx-b200", "dgx-b300", "gb200-nvl72", "gb300-nvl72",
            "rngd-server"} <= {s["id"] for s in doc["systems"]}
    code, out, _ = run("catalog")
    assert code == 0 and "RNGD" in out


def test_user_catalog(tmp_path: Path) -> None:
    cat = tmp_path / "mine.yaml"
    cat.write_text(
        "accelerators:\n"
        "  - {id: x1, name: X1, vendor: Me, kind: npu, mem_gb: 64, bw_tbps: 2, tflops_bf16: 400,"
        " tdp_w: 300, idle_w: 30, link_gbps: 64, domain_size: 1, year: 2026, source: mine}\n"
        "systems:\n"
        "  - {id: x1-box, name: X1 box, accelerator: x1, accelerators_per_system: 4,"
        " power_kw: 2, form: server, source: mine}\n")
    code, out, err = run("plan", "--json", "--catalog", str(cat), "--set",
                         "fleets=[{owner: SK, accelerator: x1, system: x1-box, count: 400,"
                         " delivery_year: 2026}]")
    assert code == 0, err
    t = json.loads(out)["totals"]
    assert t["it_power_mw"] == pytest.approx(0.2)
    assert t["h100_equivalents"]["bf16"] == pytest.approx(400 * 400 / 989)


@pytest.mark.parametrize(("args", "needle"), [
    (["plan", "missing.yaml"], "missing.yaml: scenario file not found"),
    (["plan", "."], "is a directory"),
    (["plan", "--set", "fleets.0.count=-5"], "fleets[0].count: input should be greater than 0"),
    (["plan", "--set", "bad"], "malformed --set"),
    (["plan", "--set", "facility.pue=0.5"], "facility.pue"),
    (["plan", "--set", "facility.load_factor=2"], "facility.load_factor"),
    (["plan", "--set", "fleets.0.accelerator=zz"], "unknown accelerator 'zz'"),
    (["plan", "--set", "fleets.0.system=zz"], "unknown system 'zz'"),
    (["plan", "--set", "nope=1"], "nope: unknown field"),
    (["plan", "--scenario", "nowhere"], "no such scenario"),
    (["plan", "--bogus-flag"], "No such option"),
    (["plan", "korea-2025", "--scenario", "korea-2025"], "not both"),
    (["catalog", "--catalog", "nope.csv"], "catalogue file not found"),
    (["catalog", "--catalog", "x.txt"], "must be .csv, .yaml or .yml"),
    (["nosuchcommand"], "No such command"),
    (["plan", "--out", "/proc/aifab-test"], "cannot write output directory"),
])
def test_bad_input_exit_2_one_line(args: list[str], needle: str) -> None:
    code, out, err = run(*args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert lines[0].startswith("aifab: error:")
    assert "Traceback" not in err


def test_bad_catalog_rows(tmp_path: Path) -> None:
    bad = tmp_path / "acc.csv"
    bad.write_text("id,name,vendor,kind,mem_gb,bw_tbps,tdp_w,idle_w,link_gbps,domain_size,"
                   "year,source\nz1,Z1,V,gpu,-4,1,100,10,64,1,2025,s\n")
    code, _, err = run("catalog", "--catalog", str(bad))
    assert code == 2
    assert f"{bad}: line 2: mem_gb: input should be greater than 0" in err.lower()
    sys_ = tmp_path / "sys.yaml"
    sys_.write_text("systems:\n  - {id: s1, name: S, accelerator: nothere,"
                    " accelerators_per_system: 8, power_kw: 5, form: server, source: s}\n")
    code, _, err = run("catalog", "--catalog", str(sys_))
    assert code == 2 and "systems.s1.accelerator: unknown accelerator 'nothere'" in err
