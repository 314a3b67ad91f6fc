"""Random mutations of a valid scenario never let a traceback escape the CLI."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aifab.cli import app

KOREA = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "src/aifab/scenario/data/korea-2025.yaml").read_text()
)
runner = CliRunner()

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(KOREA)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(KOREA)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        node: Any = doc
        try:
            for part in path[:-1]:
                node = node[part]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[path[-1]] = draw(junk)
            elif action == "delete":
                del node[path[-1]]
            elif isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=6))] = draw(junk)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=mutated())
def test_no_traceback(tmp_path: Path, doc: dict[str, Any]) -> None:
    p = tmp_path / "mut.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = runner.invoke(app, ["plan", str(p), "--json"])
    assert r.exit_code in (0, 2), (r.exit_code, r.stderr, r.exception)
    if r.exit_code == 2:
        assert len(r.stderr.strip().splitlines()) == 1
        assert str(p) in r.stderr
