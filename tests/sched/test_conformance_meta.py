"""The conformance suite itself: at least 30 cases, each naming a rule of docs/sched.md
and the documentation page it comes from."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from _scripts import load_file

HERE = Path(__file__).resolve().parent
DOC = (HERE.parents[1] / "docs" / "sched.md").read_text(encoding="utf-8")


def _cases() -> list[tuple[str, str]]:
    out = []
    for path in sorted(HERE.glob("test_conformance_[!m]*.py")):
        mod = load_file(path)
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("test_"):
                out.append((name, inspect.getdoc(fn) or ""))
    return out


def test_at_least_thirty_cases_each_with_rule_and_reference() -> None:
    cases = _cases()
    assert len(cases) >= 30
    for name, doc in cases:
        m = re.match(r"Rule ([A-Z]\d+) \(([^,:)]+)", doc)
        assert m, f"{name}: docstring must start 'Rule X1 (reference'"
        rule, ref = m.groups()
        assert f"| {rule} |" in DOC, f"{name}: rule {rule} not in docs/sched.md"
        assert ("_DOC" in ref or "kueue.sigs.k8s.io" in ref or "KAI" in ref), (name, ref)
