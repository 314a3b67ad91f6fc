"""Goldens of the site renderers (aifab.report's ``site_html``, ``site_sections`` and
``siting_map``): recorded before they took the typed :class:`aifab.grid.SiteResult` instead
of the solver's result (issue 23), kept byte-identical since; each output by its SHA-256.

Inputs (site_render_inputs/): the site golden's document on the packaged coordinates
(korea: flexibility, three years), a toy siting with hosting capacity, and a toy siting
of two owners over two years; each a site document and the map's coordinates. The outputs:
the page (times masked), the sections in the scenario's owner order, the map of every
year and with its slider, and the map with its corridors grouped (as on a bus-level
network).

Re-record (only in a commit that says what moved and why)::

    PYTHONPATH=src python tests/report/test_site_render_goldens.py
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import aifab.report._grid as grid_render
from aifab.grid import SiteResult
from aifab.report import site_html, site_sections, siting_map

HERE = Path(__file__).parent
INPUTS = HERE / "site_render_inputs"
GOLDEN = HERE / "site_render_goldens.json"
CASES = {"korea": None, "toy-hosting": None, "toy-owners": ["Alpha", "Zed"]}
TIMES = (re.compile(r"(build |solve )[0-9.,]+ s"),
         re.compile(r"( on )\d{4}-\d\d-\d\d \d\d:\d\d UTC"))


def _input(name: str) -> tuple[SiteResult, pd.DataFrame]:
    """What the renderers take for case ``name``: the typed result and the coordinates.
    The goldens were recorded from ``SiteResult.to_siting``, which leaves the calibration
    rows out: so does the input here (the site golden's site.html has them)."""
    raw = json.loads((INPUTS / f"{name}.json").read_text())
    return (replace(SiteResult.from_dict(raw["site"]), calibration=()),
            pd.DataFrame(raw["geo"]))


def _mask(text: str) -> str:
    for pat in TIMES:
        text = pat.sub(r"\1<t>", text)
    return text


def _outputs(name: str, owners: list[str] | None) -> dict[str, str]:
    res, geo = _input(name)
    years = [int(y) for y in res.years]
    out = {"page": _mask(site_html(res, geo)),
           "sections": "\n".join(f"{s.title}|{s.body_html}|{s.anchor}"
                                 for s in site_sections(res, geo, owners)),
           "map": siting_map(res, geo).to_json()}
    for y in years:
        out[f"map-{y}"] = siting_map(res, geo, y, owners).to_json()
    keep = grid_render._MAX_CORRIDOR_TRACES
    grid_render._MAX_CORRIDOR_TRACES = 0  # every corridor in a group, as on a bus-level map
    try:
        out["map-grouped"] = siting_map(res, geo, years[-1]).to_json()
    finally:
        grid_render._MAX_CORRIDOR_TRACES = keep
    return out


def digests() -> dict[str, str]:
    return {f"{name}/{k}": hashlib.sha256(v.encode()).hexdigest()
            for name, owners in CASES.items() for k, v in _outputs(name, owners).items()}


@pytest.mark.slow  # about 4 s: three pages with their figures
def test_the_site_renderers_give_the_recorded_bytes() -> None:
    want = json.loads(GOLDEN.read_text())
    got = digests()
    assert got.keys() == want.keys()
    for key, digest in got.items():
        assert digest == want[key], key


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(digests(), indent=1) + "\n")
    print(f"wrote {GOLDEN}", file=sys.stderr)
