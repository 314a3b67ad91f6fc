"""Goldens of ``aifab sweep --json`` and of its ``--out`` folder: recorded before the sweep's
own document became a typed tree (issue 23), kept byte-identical since. Two small perf
sweeps, serial (``--workers 0``): one at a time (tornado, one variant failing) and Saltelli
(Sobol indices). The ``--json`` text is stored whole with the timings masked; each file of
the folder by its SHA-256 with the timings and the page's time of writing masked
(variants.parquet by its table as CSV, less the wall and CPU columns; the run marker
``.aifab-run`` and the copy of plotly.js left out).

Re-record (only in a commit that says which figures moved and why)::

    PYTHONPATH=src python tests/commands/test_sweep_goldens.py
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "sweep_goldens"
HEAD = """\
stages: [perf]
options:
  perf: {model: llama-3.1-8b, device: h100-sxm, devices: 2}
metrics:
  tok_s: perf.result.tokens_per_s
"""
SPECS = {
    "sweep-oat": HEAD + """\
name: golden-oat
parameters:
  perf.batch: {values: [1, 8, 32]}
  perf.device: {values: [h100-sxm, b200, nosuch], base: h100-sxm}
design: {kind: oat}
""",
    "sweep-sobol": HEAD + """\
name: golden-sobol
parameters:
  perf.batch: {range: [1, 64], integer: true}
  perf.input: {range: [512, 4096], integer: true}
design: {kind: saltelli, samples: 4, seed: 1}
""",
}
TIMES = (re.compile(r'("(?:wall_s|variant_wall_s|variant_cpu_s|cpu_s)": ?)[0-9.e+-]+'),
         re.compile(r"( on )\d{4}-\d\d-\d\d \d\d:\d\d UTC"))


def mask(text: str) -> str:
    for pat in TIMES:
        text = pat.sub(r"\1<t>", text)
    return text


def _digest(p: Path) -> str:
    if p.suffix == ".parquet":
        import pandas as pd

        text = pd.read_parquet(p).drop(columns=["wall_s", "cpu_s"]).to_csv(index=False)
    else:
        text = mask(p.read_text(encoding="utf-8"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_sweep(name: str, tmp: Path) -> tuple[str, str]:
    """``aifab sweep SPEC --workers 0 --json --out DIR``: the masked document and the
    folder's manifest."""
    from typer.testing import CliRunner

    from aifab.cli import app

    spec, out = tmp / f"{name}.yaml", tmp / name
    spec.write_text(SPECS[name])
    r = CliRunner().invoke(app, ["sweep", str(spec), "--workers", "0", "--json",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    files = {p.name: _digest(p) for p in sorted(out.iterdir())
             if p.name != ".aifab-run" and not p.name.startswith("plotly")}
    return mask(r.stdout), json.dumps(files, indent=1) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SPECS))
def test_sweep_json_and_folder_match_their_goldens(name: str, tmp_path: Path) -> None:
    doc, files = run_sweep(name, tmp_path)
    assert doc == (GOLDEN / f"{name}.json").read_text()
    assert files == (GOLDEN / f"{name}-out.json").read_text()


def main() -> None:
    """Re-record every golden of this file."""
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        for name in SPECS:
            doc, files = run_sweep(name, Path(d))
            (GOLDEN / f"{name}.json").write_text(doc)
            (GOLDEN / f"{name}-out.json").write_text(files)
            print(f"wrote {name}.json and {name}-out.json", file=sys.stderr)


if __name__ == "__main__":
    main()
