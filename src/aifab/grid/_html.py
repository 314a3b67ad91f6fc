"""HTML section for ``aifab site --out``: map of Korea and charts by year (placeholder)."""

from __future__ import annotations

from typing import Any


def site_html(result: Any) -> str:
    """Self-contained HTML page."""
    return "<html><body>todo</body></html>"
