"""``aifab site``'s three outputs through the typed result (issue 23): plain, with
``--load-profile`` (a ``load_profile`` block) and with ``--couple-twin`` (a ``coupling``
block), each printed and written as ``SiteResult`` has it and read back by ``read_site``.
The solver and the twin are stood in for by the golden run's siting (read back typed)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import aifab.grid
import aifab.sim.national
from aifab.cli import app
from aifab.grid import SiteResult, read_site

pytestmark = pytest.mark.slow  # each renders site.html: about 2 s

GOLDEN = Path(__file__).parents[1] / "commands" / "site_goldens" / "site-korea-2025.json"


@pytest.fixture(scope="module")
def siting() -> Any:
    res = SiteResult.from_dict(json.loads(GOLDEN.read_text().replace("<t>", "1.5")))
    return res.to_siting(geo=aifab.grid.site_coordinates(aifab.grid.load_grid_data()))


def _run(args: list[str]) -> dict[str, Any]:
    r = CliRunner().invoke(app, ["site", "--json", *args])
    assert r.exit_code == 0, r.output
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def test_plain_and_load_profile_documents(siting: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aifab.grid, "site", lambda *a, **k: siting)
    doc = _run([])
    assert doc == json.loads(json.dumps({"schema_version": 1, **SiteResult.from_siting(
        "korea-2025", siting).to_dict()}))
    assert "load_profile" not in doc and "coupling" not in doc
    shape = SimpleNamespace(source="runs/sim", to_dict=lambda: {"mean_share": {"Naver": 0.8}})
    monkeypatch.setattr(aifab.grid, "read_load_profile", lambda path: shape)
    doc = _run(["--load-profile", str(tmp_path), "--out", str(tmp_path / "o")])
    assert list(doc)[-1] == "load_profile"
    assert doc["load_profile"] == {"source": "runs/sim", "mean_share": {"Naver": 0.8}}
    back = read_site(tmp_path / "o")
    assert back.load_profile is not None and back.load_profile.mean_share == {"Naver": 0.8}
    assert json.loads(json.dumps({"schema_version": 1, **back.to_dict()})) == doc


def test_couple_twin_document(siting: Any, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    row = {"round": 1, "twin_caps_mw": None, "mean_share": {"Naver": 0.8},
           "twin_utilization": 0.7, "twin_mean_power_mw": 80.5, "siting_caps_mw": {"Naver": 90.0},
           "twin_curtailment_windows": 0, "siting_curtailment_windows": 2,
           "gpus_waiting": {"2028": 0}, "max_cap_change_mw": None}
    rounds = {"rounds": 2, "converged": True, "tol_mw": 1.0, "caps_year": 2028,
              "history": [row, {**row, "round": 2, "twin_caps_mw": {"Naver": 90.0},
                                "max_cap_change_mw": 0.5}]}
    monkeypatch.setattr(aifab.sim.national, "couple",
                        lambda *a, **k: SimpleNamespace(siting=siting, to_dict=lambda: rounds))
    doc = _run(["--couple-twin", "--out", str(tmp_path / "o")])
    assert list(doc)[-1] == "coupling" and doc["coupling"] == rounds
    back = read_site(tmp_path / "o")
    assert back.coupling is not None and back.coupling.history[1].twin_caps_mw == {"Naver": 90.0}
    assert back.to_dict()["coupling"] == rounds and (tmp_path / "o" / "site.html").is_file()
