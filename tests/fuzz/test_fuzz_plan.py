"""Random mutations of a valid scenario never let a traceback escape the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fuzz_cli import KOREA, mutated_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aifab.cli import app

runner = CliRunner()


def mutated() -> st.SearchStrategy[dict[str, Any]]:
    """korea-2025 with one to three fields replaced, deleted or added (fuzz_cli's mutator)."""
    return mutated_doc(KOREA)


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
