"""Shared fixtures: the repo's ../shared folder (third-party data, references)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data; tests that need it skip when it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"third-party data not found at {DATA}")
    return DATA
