"""Goldens of ``aifab site``'s document and of its ``--out`` folder: recorded before the site
stage's result became the typed :class:`aifab.grid.SiteResult` (issue 23), kept
byte-identical since. The default scenario (korea-2025) on the zonal network with 24 hours a
year and a flexibility offer (so the ``flexibility`` block and flexibility.csv are there),
one CLI run for both goldens (about 12 s, so slow). The ``--json`` text is stored whole with
the timings masked; each file of the ``--out`` folder by its SHA-256 (site.html's timings
and time of writing masked too, the CSV files' decimals at 6 significant digits; the run
marker ``.aifab-run``, which holds the time, left out).

Re-record (only in a commit that says which figures moved and why)::

    PYTHONPATH=src python tests/commands/test_site_goldens.py
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "site_goldens"
ARGS = ["site", "--hours", "24", "--network", "zonal", "--flex-share", "0.005"]

#: the solver's timings: in the document, and in the page's closing line
TIMES = (re.compile(r'("(?:solve|build)_s": )[0-9.e+-]+'),
         re.compile(r"(build |solve )[0-9.,]+ s"),
         re.compile(r"( on )\d{4}-\d\d-\d\d \d\d:\d\d UTC"))  # the page's time of writing


#: a decimal in a CSV file (written at full float precision)
DECIMAL = re.compile(r"-?\d+\.\d+(?:e[+-]?\d+)?")


def mask(text: str) -> str:
    for pat in TIMES:
        text = pat.sub(r"\1<t>", text)
    return text


def digits(text: str) -> str:
    """A CSV file's decimals at 6 significant digits: its full-precision figures (an LP's
    dispatch, summed) differ in the last digits between machines (regions.csv's local
    surplus did, 4 Dec 2026), which the golden must not read."""
    return DECIMAL.sub(lambda m: f"{float(m.group()):.6g}", text)


def run_site(out: Path) -> tuple[str, str]:
    """``aifab site ARGS --json --out out``: its masked document and the folder's manifest."""
    from typer.testing import CliRunner

    from aifab.cli import app

    r = CliRunner().invoke(app, [*ARGS, "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    files = {p.name: hashlib.sha256((digits if p.suffix == ".csv" else str)(
        mask(p.read_bytes().decode("utf-8"))).encode()).hexdigest()
             for p in sorted(out.iterdir()) if p.name != ".aifab-run"}
    return mask(r.stdout), json.dumps(files, indent=1) + "\n"


@pytest.fixture(scope="module")
def site_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return run_site(tmp_path_factory.mktemp("site") / "out")


@pytest.mark.slow
def test_site_json_matches_its_golden(site_run: tuple[str, str]) -> None:
    assert site_run[0] == (GOLDEN / "site-korea-2025.json").read_text()


@pytest.mark.slow
def test_site_folder_matches_its_golden(site_run: tuple[str, str]) -> None:
    assert site_run[1] == (GOLDEN / "site-out-korea-2025.json").read_text()


def main() -> None:
    """Re-record both goldens of this file."""
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        doc, files = run_site(Path(d) / "out")
    (GOLDEN / "site-korea-2025.json").write_text(doc)
    (GOLDEN / "site-out-korea-2025.json").write_text(files)
    print("wrote site-korea-2025.json and site-out-korea-2025.json", file=sys.stderr)


if __name__ == "__main__":
    main()
