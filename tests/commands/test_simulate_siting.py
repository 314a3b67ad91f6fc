"""``aifab simulate --power-caps`` takes a site run folder (``aifab site --out``) as well as
a JSON file: the folder is read typed by :func:`aifab.grid.read_site`, so a bad site.json
exits 2 naming the file and field, and the folder gives the constraints its site.json gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from aifab.cli import app
from aifab.commands.simulate import _constraints
from aifab.grid import site_file
from aifab.sim.national import site_constraints

runner = CliRunner()


def _folder(tmp_path: Path, toy_site: Any) -> Path:
    folder = tmp_path / "site-run"
    folder.mkdir()
    toy_site.write(folder)
    return folder


def _exit2(args: list[str]) -> str:
    r = runner.invoke(app, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 2, (r.stdout[-300:], r.stderr)
    assert "Traceback" not in r.stderr
    return r.stderr


def test_a_site_folder_gives_its_site_jsons_constraints(tmp_path: Path, toy_site: Any) -> None:
    folder = _folder(tmp_path, toy_site)
    by_folder = _constraints(folder, ["X"], None)
    assert by_folder == _constraints(site_file(folder), ["X"], None)
    assert by_folder == site_constraints(toy_site, ["X"])
    assert by_folder.caps.year == 2030 and by_folder.caps.mw == {"X": 30.0}
    assert len(by_folder.windows) == 1  # the three curtailed hours, merged


def test_a_mistyped_site_folder_exits_2_naming_file_and_field(tmp_path: Path,
                                                              toy_site: Any) -> None:
    folder = _folder(tmp_path, toy_site)
    doc = json.loads(site_file(folder).read_text())
    doc["placements"][0]["mw"] = "lots"
    site_file(folder).write_text(json.dumps(doc))
    err = _exit2(["simulate", "--power-caps", str(folder), "--days", "0.01"])
    assert f"{folder}/site.json" in err and "placements[0].mw" in err
    assert "expected a number" in err


def test_a_site_folder_is_checked_against_the_scenarios_owners(tmp_path: Path,
                                                              toy_site: Any) -> None:
    folder = _folder(tmp_path, toy_site)  # owner X is not one of korea-2025's owners
    err = _exit2(["simulate", "--power-caps", str(folder), "--days", "0.01"])
    assert f"{folder}/site.json" in err and "'X'" in err


def test_a_folder_without_site_json_exits_2(tmp_path: Path) -> None:
    err = _exit2(["simulate", "--power-caps", str(tmp_path), "--days", "0.01"])
    assert f"{tmp_path}/site.json" in err and "not a siting result" in err
