"""Golden summary of the embedded korea-2025 plan (regenerate: tests/golden/update.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
sys.path.insert(0, str(GOLDEN))
from update import summary  # noqa: E402


def test_korea_2025_matches_golden() -> None:
    want = json.loads((GOLDEN / "korea-2025-plan.json").read_text())
    got = json.loads(json.dumps(summary("korea-2025")))
    assert got["peer_ranks"] == want["peer_ranks"]
    assert got.keys() == want.keys()

    def walk(a: object, b: object, where: str) -> None:
        if isinstance(b, dict):
            assert isinstance(a, dict) and a.keys() == b.keys(), where
            for k in b:
                walk(a[k], b[k], f"{where}.{k}")
        elif isinstance(b, float):
            assert a == pytest.approx(b, rel=1e-9), where
        else:
            assert a == b, where

    walk(got, want, "plan")
