"""Shared fixture: the hand-worked roofline cases of test_roofline.py and test_search.py
check the bandwidth, compute and collective terms on their own, so they switch off the
latency floors, activation traffic and pipeline bubble (test_physics.py pins those)."""

from __future__ import annotations

import pytest

from aifab.perf import _infer, _step


@pytest.fixture
def pure_roofline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_step, "LAYER_FLOOR_S", 0.0)
    monkeypatch.setattr(_step, "MOE_LAYER_FLOOR_S", 0.0)
    monkeypatch.setattr(_step, "STEP_FLOOR_S", 0.0)
    monkeypatch.setattr(_step, "ACT_BYTES", 0.0)
    monkeypatch.setattr(_infer, "PIPELINE_MICROBATCHES", 10**9)
