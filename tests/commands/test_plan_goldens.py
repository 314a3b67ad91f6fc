"""Goldens of ``aifab plan``'s document and of its ``--out`` folder: recorded before the plan
stage's folder became :meth:`PlanResult.write` / :func:`read_plan` (issue 23), kept
byte-identical since. The ``--json`` text is stored whole; each file of a ``--out`` folder
by its SHA-256 (``report.html`` and the CSVs included; the run marker ``.aifab-run``, which
holds the time, left out, and the page's "Generated ... on <time>" masked).

Re-record (only in a commit that says which figures moved and why)::

    PYTHONPATH=src python tests/commands/test_plan_goldens.py
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "plan_goldens"

#: name: the CLI's arguments (the JSON goldens)
JSON = {
    "plan-korea-2025": ["plan", "--json"],
    "plan-article-250k": ["plan", "--scenario", "article-250k", "--json"],
}
#: name: the CLI's arguments before ``--out DIR`` (the folder goldens)
FOLDERS = {
    "plan-out-korea-2025": ["plan"],
    "plan-out-uncertainty": ["plan", "--uncertainty", "--samples", "8"],
}


def _cli(args: list[str]) -> str:
    from typer.testing import CliRunner

    from aifab.cli import app

    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    return r.stdout


#: The page's time of writing (to the minute)
STAMP = re.compile(rb" on \d{4}-\d\d-\d\d \d\d:\d\d UTC\.")


def folder_manifest(name: str, tmp: Path) -> str:
    out = tmp / name
    _cli([*FOLDERS[name], "--out", str(out)])
    files = {p.name: hashlib.sha256(STAMP.sub(b" on <time>.", p.read_bytes())).hexdigest()
             for p in sorted(out.iterdir()) if p.name != ".aifab-run"}
    return json.dumps(files, indent=1) + "\n"


def _golden(name: str) -> str:
    return (GOLDEN / f"{name}.json").read_text()


@pytest.mark.parametrize("name", list(JSON))
def test_plan_json_matches_its_golden(name: str) -> None:
    assert _cli(JSON[name]) == _golden(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FOLDERS))
def test_plan_folder_matches_its_golden(name: str, tmp_path: Path) -> None:
    assert folder_manifest(name, tmp_path) == _golden(name)


def main() -> None:
    """Re-record every golden of this file."""
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    docs = {n: _cli(a) for n, a in JSON.items()}
    with tempfile.TemporaryDirectory() as d:
        docs |= {n: folder_manifest(n, Path(d)) for n in FOLDERS}
    for name, text in docs.items():
        (GOLDEN / f"{name}.json").write_text(text)
        print(f"wrote {name}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
