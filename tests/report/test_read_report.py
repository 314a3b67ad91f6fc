"""The combined report folder read typed (issue 23): :func:`aifab.report.read_report` gives
back what :meth:`ReportResult.write` wrote (the headline, the plan, the site stage and the
twin's document), every path goes through ``resolve``, and a missing or mistyped field is
exit 2 naming the file and the field."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aifab._io import to_json
from aifab.errors import BadInput
from aifab.report import ReportDoc, ReportResult, read_report, render_html, report_doc_file

from .test_report_doc_goldens import report


def _write(res: ReportResult, d: Path) -> None:
    """The folder's documents as ``ReportResult.write`` writes them (the page and
    plotly.js, which nothing reads back, left out)."""
    page = render_html("report", [])
    for name, text in replace(res, html=page).files().items():
        if name.endswith(".json"):
            (d / name).write_text(text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("report")
    _write(report("plan+site+simulate+caps"), d)
    return d


def test_the_folder_reads_back_typed(folder: Path) -> None:
    res = report("plan+site+simulate+caps")
    back = read_report(folder)
    assert back.headline == res.headline()
    assert to_json(back.headline.to_dict()) == to_json(res.to_dict())
    assert back.headline.site is not None and back.headline.site.twin_power_caps is not None
    assert back.headline.site.twin_power_caps.mw == {"Naver": 120.5, "Government": 80.0}
    assert back.plan.totals.accelerators == res.plan.totals.accelerators
    assert back.site is not None and back.site.to_dict() == res.site_doc()
    assert back.simulate is not None and res.sim is not None
    assert back.simulate.to_dict() == res.sim.to_dict()
    # the headline of the read-back stages is the stored one
    assert ReportDoc.of(back.plan, back.site, res.caps, back.simulate) == back.headline


def test_the_headline_and_the_site_stage_hold_one_caps_type(folder: Path) -> None:
    """The caps the twin ran under are one type, ``aifab.grid.TwinPowerCaps``, in the
    headline and in the site stage's document (report had its own copy before)."""
    from aifab.grid import TwinPowerCaps

    back = read_report(folder)
    assert back.headline.site is not None and back.site is not None
    assert type(back.headline.site.twin_power_caps) is TwinPowerCaps
    assert back.headline.site.twin_power_caps == back.site.twin_power_caps


@pytest.mark.slow
def test_reading_a_report_imports_no_grid() -> None:
    """The shared type sits below both packages: ``aifab.report`` still loads without
    ``aifab.grid`` (the siting's solver stack)."""
    code = "import sys, aifab.report; assert 'aifab.grid' not in sys.modules, 'grid loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_plan_only_folder(tmp_path: Path) -> None:
    res = report("plan")
    _write(res, tmp_path)
    back = read_report(tmp_path)
    assert back.site is None and back.simulate is None and back.headline == res.headline()


def test_every_path_goes_through_resolve(folder: Path) -> None:
    seen: list[str] = []

    def resolve(name: str) -> Path:
        seen.append(name)
        return folder / name

    read_report(Path("elsewhere"), resolve=resolve, label="runs/r")
    assert seen == ["report.json", "plan.json", "site.json", "regions.csv", "simulate.json"]


def _broken(folder: Path, tmp_path: Path, name: str, edit: Any) -> str:
    for p in folder.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    doc = json.loads((tmp_path / name).read_text())
    edit(doc)
    (tmp_path / name).write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        read_report(tmp_path, label="runs/bad")
    assert exc.value.exit_code == 2
    return str(exc.value)


@pytest.mark.parametrize(("name", "edit", "message"), [
    ("report.json", lambda d: d["plan"].update(gpus="many"),
     "runs/bad/report.json: plan.gpus: expected an integer, got str 'many'"),
    ("report.json", lambda d: d.pop("shares"), "runs/bad/report.json: shares: missing"),
    ("report.json", lambda d: d["site"]["twin_power_caps"].update(year=2028.5),
     "runs/bad/report.json: site.twin_power_caps.year: expected an integer, got float 2028.5"),
    ("report.json", lambda d: d["simulate"]["stranded"].update(power=None, colour=1),
     "runs/bad/report.json: simulate.stranded.colour: unknown field"),
    ("site.json", lambda d: d["placements"][0].update(mw="lots"),
     "runs/bad/site.json: placements[0].mw: expected a number, got str 'lots'"),
    ("simulate.json", lambda d: d.update(policy=3),
     "runs/bad/simulate.json: policy: expected a str, got int 3"),
])
def test_a_mistyped_field_names_the_file_and_field(folder: Path, tmp_path: Path, name: str,
                                                   edit: Any, message: str) -> None:
    assert message in _broken(folder, tmp_path, name, edit)


def test_a_stage_the_headline_names_needs_its_document(folder: Path, tmp_path: Path) -> None:
    for p in folder.iterdir():
        if p.name != "simulate.json":
            (tmp_path / p.name).write_bytes(p.read_bytes())
    with pytest.raises(BadInput, match=r"runs/r/simulate.json: not a combined report's"):
        read_report(tmp_path, label="runs/r")
    with pytest.raises(BadInput, match=r"runs/none/report.json"):
        read_report(tmp_path / "none", label="runs/none")
    assert report_doc_file(tmp_path) == tmp_path / "report.json"
