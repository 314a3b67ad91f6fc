"""A Python file that is not on the import path (a benchmark script, another folder's
conftest, a case file) loaded as a module, for the tests that read one."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def load_file(path: Path, name: str | None = None) -> Any:
    """``path`` executed as a module named ``name`` (default: the file's stem)."""
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_benchmark(name: str) -> Any:
    """``benchmarks/<name>.py`` as a module."""
    return load_file(REPO / "benchmarks" / f"{name}.py")
