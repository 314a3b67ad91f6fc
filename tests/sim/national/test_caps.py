"""Power caps taken from an `aifab site` result (`aifab simulate --power-caps`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab import load_scenario, plan
from aifab.cli import app
from aifab.errors import BadInput
from aifab.sim.national._caps import caps_from_site

SMALL = ["--set", "sim.scale=0.01", "--set", "sim.warmup_days=0.5", "--days", "1"]
OWNERS = ["Naver", "Samsung", "SK", "Hyundai", "Government"]


def _site(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    p = tmp_path / "site.json"
    p.write_text(json.dumps({"schema_version": 1, "placements": rows}))
    return p


def test_caps_sum_per_owner_and_default_to_last_year(tmp_path: Path) -> None:
    p = _site(tmp_path, [
        {"owner": "Naver", "site": "a", "year": 2026, "mw": 40.0},
        {"owner": "Naver", "site": "b", "year": 2027, "mw": 40.0},
        {"owner": "Naver", "site": "a", "year": 2027, "mw": 12.5},
        {"owner": "SK", "site": "c", "year": 2027, "mw": 80.0},
    ])
    year, caps = caps_from_site(p, OWNERS)
    assert year == 2027
    assert caps == {"Naver": 52.5, "Samsung": 0.0, "SK": 80.0, "Hyundai": 0.0,
                    "Government": 0.0}
    assert caps_from_site(p, OWNERS, 2026)[1]["Naver"] == 40.0


@pytest.mark.parametrize(("content", "pattern"), [
    ("{not json", "not JSON"),
    ('{"placements": 3}', "placements` list"),
    ('{"placements": [{"owner": "Naver"}]}', r"placements\[0\]: needs owner, year and mw"),
    ('{"placements": [{"owner": "Tesla", "year": 2026, "mw": 1}]}', "not in the scenario"),
    ('{"placements": [{"owner": "SK", "year": 2026, "mw": -1}]}', "must not be negative"),
    ('{"placements": []}', "no placements"),
])
def test_bad_site_files(tmp_path: Path, content: str, pattern: str) -> None:
    p = tmp_path / "site.json"
    p.write_text(content)
    with pytest.raises(BadInput, match=pattern):
        caps_from_site(p, OWNERS)


def test_caps_strand_capacity_in_simulation(tmp_path: Path) -> None:
    """Half of every owner's power (strand mode) leaves about half the fleet dark."""
    runner = CliRunner()
    base = json.loads(runner.invoke(app, ["simulate", "--json", *SMALL]).stdout)
    assert base["stranded"]["power"] == 0
    # Facility MW each owner draws at nameplate (aifab plan, PUE 1.3).
    full = {o.name: o.facility_power_mw for o in plan(load_scenario()).owners}
    p = _site(tmp_path, [{"owner": o, "year": 2028, "mw": mw / 2} for o, mw in full.items()])
    r = runner.invoke(app, ["simulate", "--json", *SMALL, "--power-caps", str(p),
                            "--set", "sim.power_mode=strand"])
    assert r.exit_code == 0, r.output
    capped = json.loads(r.stdout)
    assert 0.35 < capped["stranded"]["power"] < 0.65
    assert capped["energy_mwh"] < base["energy_mwh"]


def test_cli_bad_caps_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["simulate", "--json", *SMALL, "--power-caps",
                            str(tmp_path / "missing.json")])
    assert r.exit_code == 2 and "siting result not found" in r.stderr
    r = runner.invoke(app, ["simulate", "--json", *SMALL, "--caps-year", "2027"])
    assert r.exit_code == 2 and "--caps-year needs --power-caps" in r.stderr
