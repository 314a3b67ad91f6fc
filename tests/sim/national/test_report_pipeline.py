"""The report pipeline is a library call: what `aifab report` does, from a notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifab.errors import BadInput
from aifab.report import ReportResult, build_report, plotly_file_name
from aifab.scenario import load_scenario

SMALL = ["sim.scale=0.01", "sim.warmup_days=0.25", "sim.days=0.5"]


def test_build_report_without_siting(tmp_path: Path) -> None:
    said: list[str] = []
    r = build_report(load_scenario(None, SMALL), site=False, say=said.append)
    assert isinstance(r, ReportResult)
    assert said == ["plan", "simulate (0.5 days)"]
    head = r.to_dict()
    assert head["plan"]["gpus"] == 260_000 and head["plan"]["npus"] == 8_000
    assert head["plan"]["accelerators"] == 268_000
    assert "site" not in head and 0 < head["simulate"]["utilization"] <= 1
    assert "National simulation" in r.html
    r.write(tmp_path)
    assert set(p.name for p in tmp_path.iterdir()) == {"plan.json", "simulate.json",
                                                       "report.json", "report.html",
                                                       plotly_file_name()}
    assert json.loads((tmp_path / "simulate.json").read_text())["schema_version"] == 1


def test_site_caps_need_siting() -> None:
    with pytest.raises(BadInput, match="--site-caps needs the siting stage"):
        build_report(load_scenario(None, SMALL), site=False, site_caps=True)
