"""The dashboard reads twin runs typed: through ``SimResult.read`` with its own path check
on every file, its renderers take the typed result, and a broken summary is a message that
names the file and the field."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from aifab.errors import BadInput
from aifab.scenario import load_scenario
from aifab.serve import _figures as F
from aifab.serve._compare import compare_frames
from aifab.serve._paths import PathRefused, ResultsDir
from aifab.sim.national import SimResult, simulate, summary_file

SETS = ["sim.scale=0.01", "sim.warmup_days=0.5", "sim.days=1.5"]


@pytest.fixture(scope="module")
def run() -> SimResult:
    return simulate(load_scenario(None, SETS))


@pytest.fixture
def folder(run: SimResult, tmp_path: Path) -> ResultsDir:
    (tmp_path / "runs" / "a").mkdir(parents=True)
    run.write(tmp_path / "runs" / "a")
    return ResultsDir(tmp_path)


def test_a_served_twin_run_is_the_typed_result(run: SimResult, folder: ResultsDir) -> None:
    got = folder.read_twin("runs/a", F.TWIN_TABLES)
    assert got.summary == run.summary
    assert set(got.frames) == set(F.TWIN_TABLES)  # only the tables the page draws
    assert folder.read_twin("runs/a").frames == {}  # the Overview reads no table
    head = F.twin_headline(got.summary)
    assert head["jobs completed"] == f"{run.summary.jobs.completed:,}"
    assert head["policy"] == run.policy
    assert set(F.twin_figures(got)) >= {"twin-acc", "twin-power", "twin-waits"}
    warm = run.summary.warmup_days
    assert warm is not None and f"The first {warm:g} days are a warm-up" in F.twin_context(got)


def test_a_mistyped_field_names_the_served_file_and_the_field(folder: ResultsDir) -> None:
    path = summary_file(folder.root / "runs" / "a")
    doc = json.loads(path.read_text())
    doc["reliability"]["goodput"] = "high"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        folder.read_twin("runs/a", F.TWIN_TABLES)
    # the path inside the results folder, never the server's own path
    assert str(exc.value) == ("runs/a/summary.json: reliability.goodput: expected a number, "
                              "got str 'high'")
    del doc["jobs"]
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput, match=r"^runs/a/summary.json: jobs: missing"):
        folder.read_twin("runs/a")


def test_every_file_is_checked_before_any_is_read(folder: ResultsDir, tmp_path: Path) -> None:
    """A table that links out of the results folder is refused, even with a summary that
    would not read: the path check comes first, and the file outside is never opened."""
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.parquet").write_text("secret")
    d = folder.root / "runs" / "a"
    (d / "tenants.parquet").unlink()
    (d / "tenants.parquet").symlink_to(outside / "secret.parquet")
    with pytest.raises(PathRefused, match="outside the results folder"):
        folder.read_twin("runs/a", F.TWIN_TABLES)
    summary_file(d).write_text("{}")
    with pytest.raises(PathRefused, match="outside the results folder"):
        folder.read_twin("runs/a", F.TWIN_TABLES)
    (d / "jobs.parquet").unlink()
    os.mkfifo(d / "jobs.parquet")  # a FIFO would hang the server: refused, not opened
    with pytest.raises(PathRefused, match="not a regular file"):
        folder.read_twin("runs/a", ("jobs",))
    with pytest.raises(PathRefused, match="outside the results folder"):
        folder.read_twin("../")


def test_a_missing_table_names_its_file(folder: ResultsDir) -> None:
    (folder.root / "runs" / "a" / "tenants.parquet").unlink()
    with pytest.raises(BadInput, match=r"^runs/a/tenants.parquet: cannot read table"):
        folder.read_twin("runs/a", F.TWIN_TABLES)


def test_a_combined_reports_twin_reads_typed(run: SimResult, tmp_path: Path) -> None:
    from aifab._io import to_json, versioned

    d = tmp_path / "rep"
    d.mkdir()
    from aifab import plan
    from aifab.report import ReportDoc

    head = ReportDoc.of(plan(load_scenario(None, SETS)), None, None, run)
    (d / "report.json").write_text(to_json(versioned(head.to_dict())))
    (d / "simulate.json").write_text(to_json(versioned(run.to_dict())))
    got = ResultsDir(tmp_path).read_twin("rep")
    assert got.summary == run.summary and got.frames == {}
    doc = run.to_dict()
    doc["utilization"] = None
    doc["seed"] = "zero"
    (d / "simulate.json").write_text(to_json(doc))
    with pytest.raises(BadInput, match=r"^rep/simulate.json: seed: expected an integer"):
        ResultsDir(tmp_path).read_twin("rep")


def test_compare_takes_typed_twin_runs(run: SimResult) -> None:
    """B simulates twice the share of the fleet for twice the days with four times the
    energy and jobs: the same per day of the whole fleet; goodput comes from the
    reliability block (before, the page looked for a top-level goodput that never was)."""
    s = dataclasses.replace(run.summary, utilization=0.80)
    b = dataclasses.replace(s, scale=s.scale * 2, days=s.days * 2, seed=s.seed + 1,
                            energy_mwh=s.energy_mwh * 4, utilization=0.85,
                            jobs=dataclasses.replace(s.jobs, completed=s.jobs.completed * 4))
    figs, inputs = compare_frames(("simulate", dataclasses.replace(run, summary=s)),
                                  ("simulate", dataclasses.replace(run, summary=b)))
    rows = {r["figure"]: r for r in figs.to_dict("records")}
    assert rows["utilisation"]["B − A"] == "+5.0 pp"
    assert rows["utilisation"]["change"] == "+6.2%"  # 0.05 / 0.80
    assert rows["energy per day, whole fleet (MWh)"]["B − A"] == "+0"
    assert rows["jobs completed per day, whole fleet"]["change"] == "+0.0%"
    assert s.reliability is not None
    assert rows["goodput"]["A"] == f"{s.reliability.goodput * 100:.1f}%"
    assert set(inputs["input"]) == {"Days", "Seed", "Scale (share of the fleet)"}


def test_a_served_sweep_is_read_by_the_sweeps_reader(tmp_path: Path) -> None:
    """The Sweeps page reads a sweep folder through aifab.sweep.read_sweep (the one code
    that knows its files), every path checked first: a table that links out is refused
    before the document is read, and a broken document names its file in the folder."""
    from .conftest import write_sweep

    write_sweep(tmp_path / "runs" / "s")
    results = ResultsDir(tmp_path)
    doc, variants = results.read_sweep("runs/s")
    assert variants is not None and len(variants) == 40 and "metric.annual_energy_twh" in variants
    assert doc.variants == 40 and doc.failed == 1  # typed (an older sweep.json: counts only)
    assert doc.sensitivity is None and "sensitivity" not in doc.to_dict()
    assert results.read_sweep("runs/s", variants=False)[1] is None
    outside = tmp_path.parent / f"{tmp_path.name}-out"
    outside.mkdir()
    (outside / "v.parquet").write_bytes((tmp_path / "runs/s/variants.parquet").read_bytes())
    (tmp_path / "runs/s/variants.parquet").unlink()
    (tmp_path / "runs/s/variants.parquet").symlink_to(outside / "v.parquet")
    (tmp_path / "runs/s/sweep.json").write_text("{broken")
    with pytest.raises(PathRefused, match="outside the results folder"):
        results.read_sweep("runs/s")
    with pytest.raises(BadInput, match=r"^runs/s/sweep.json: not a sweep's result"):
        results.read_sweep("runs/s", variants=False)
    (tmp_path / "runs/s/sweep.json").write_text('{"variants": "many", "done": 1, '
                                                '"failed": 0, "wall_s": 1.0}')
    with pytest.raises(BadInput) as exc:  # a mistyped field: the file and the field
        results.read_sweep("runs/s", variants=False)
    assert str(exc.value) == ("runs/s/sweep.json: variants: expected an integer, got str "
                              "'many'")
