"""Goldens of the sweep renderers (aifab.report's sweep page, sections, figures, headline
and sensitivity note), in English and Korean, over the two sweep goldens' documents
(tornado with a failed variant; Sobol) and four edge cases: Spearman, a grid design's
"none", a sensitivity that failed, and an older sweep.json with only its counts. Recorded
before the renderers took the typed :class:`aifab.sweep.SweepDocument` instead of its dict
(issue 23), kept byte-identical since: each case's output by its SHA-256.

Re-record (only in a commit that says what moved and why)::

    PYTHONPATH=src python tests/report/test_sweep_render_goldens.py
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from aifab._sweep_doc import TornadoSwing
from aifab.report import (
    headline_text,
    sensitivity_note,
    sweep_figures,
    sweep_page,
    sweep_sections,
)
from aifab.sweep import SweepDocument

HERE = Path(__file__).parent
GOLDEN = HERE / "sweep_render_goldens.json"
SWEEPS = HERE.parent / "commands" / "sweep_goldens"
VALUES = {"tok_s": [251.2, 1531.0, 3233.1, float("nan"), 1530.9],
          "mw_2026": [1.0, 2.0, 3.0, 4.0, 5.0], "mw_2027": [2.0, 3.0, 4.0, 5.0, 6.0]}
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")  # the page's time, en and ko


def _golden_doc(name: str) -> dict[str, Any]:
    text = (SWEEPS / f"{name}.json").read_text().replace("<t>", "1.5")
    doc: dict[str, Any] = json.loads(text)
    return doc


def _documents() -> dict[str, SweepDocument]:
    oat, sobol = _golden_doc("sweep-oat"), _golden_doc("sweep-sobol")
    for per in oat["sensitivity"]["metrics"].values():  # NaN in memory, null in sweep.json
        for ends in per.values():
            ends.update({k: float("nan") if v is None else v for k, v in ends.items()})
    rho = {**sobol, "design": "lhs", "sensitivity": {
        "method": "spearman", "note": "rank correlation",
        "metrics": {"tok_s": {"perf.batch": {"rho": 0.9}, "perf.input": {"rho": -0.2}}}}}
    grid = {**sobol, "design": "grid", "errors": [],
            "sensitivity": {"method": "none", "metrics": {}, "note": "grid"}}
    failed = {**sobol, "design": None, "variants": 0,
              "sensitivity": {"method": "sobol", "metrics": {}, "note": "2 variants failed"}}
    older = {"variants": 5, "done": 4, "failed": 1, "wall_s": 1.5}
    return {k: SweepDocument.from_dict(v) for k, v in
            {"oat": oat, "sobol": sobol, "spearman": rho, "grid": grid, "failed": failed,
             "older": older}.items()}


def _render(doc: SweepDocument, lang: str) -> str:
    """Everything the renderers give for ``doc``, as one text."""
    parts = [headline_text(doc, VALUES, lang), sensitivity_note(doc, lang)]
    parts += [f"{k}={f.to_json()}" for k, f in sweep_figures(doc, VALUES, lang).items()]
    parts += [f"{s.title}|{s.body_html}|{s.anchor}" for s in sweep_sections(doc, VALUES, lang)]
    if doc.spec is not None:  # an older sweep.json's page: not drawn before the typed tree
        parts.append(STAMP.sub("<t>", sweep_page(doc, VALUES, lang)))
    return "\n".join(parts)


def _digests() -> dict[str, str]:
    return {f"{name}-{lang}": hashlib.sha256(_render(doc, lang).encode()).hexdigest()
            for name, doc in _documents().items() for lang in ("en", "ko")}


@pytest.mark.slow  # about 3 s: twelve pages with their figures
def test_the_sweep_renderers_give_the_recorded_bytes() -> None:
    want = json.loads(GOLDEN.read_text())
    got = _digests()
    assert got.keys() == want.keys()
    for key, digest in got.items():
        assert digest == want[key], key


def test_a_read_back_tornado_with_a_failed_end_draws_as_in_memory() -> None:
    """sweep.json stores a failed variant's metric as null, the result in memory as NaN:
    the Sweeps page drew the first and failed on the second. The typed entry reads the
    null back as NaN."""
    read_back = SweepDocument.from_dict(_golden_doc("sweep-oat"))
    assert read_back.sensitivity is not None
    swing = read_back.sensitivity.metrics["tok_s"]["perf.device"]
    assert isinstance(swing, TornadoSwing) and math.isnan(swing.metric_high)
    for lang in ("en", "ko"):
        got = {k: f.to_json() for k, f in sweep_figures(read_back, VALUES, lang).items()}
        want = {k: f.to_json() for k, f in sweep_figures(_documents()["oat"], VALUES,
                                                         lang).items()}
        assert got == want


@pytest.mark.parametrize("case", ["oat", "sobol"])
def test_the_golden_documents_are_the_sweep_goldens(case: str) -> None:
    doc = _documents()[case]  # read back whole: the cases above hold every block
    assert doc.sensitivity is not None and doc.sensitivity.metrics
    assert doc.spec is not None and doc.name == f"golden-{case}"


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(_digests(), indent=2) + "\n")
    sys.exit(0)
