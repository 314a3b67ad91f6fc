"""Terminal tables that keep ids and numbers whole at 80 columns or when piped."""

from __future__ import annotations

from typing import Literal

from rich import box
from rich.table import Table


def table(*columns: str, title: str | None = None, wrap: tuple[str, ...] = (),
          right: tuple[str, ...] = ()) -> Table:
    """A compact table: only the ``wrap`` columns (free text: names, sources) fold to fit
    the width; every other column (ids, numbers) keeps its full width (see :func:`fit`);
    ``right`` columns are right-aligned."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
              padding=(0, 1, 0, 0))
    for col in columns:
        just: Literal["left", "right"] = "right" if col in right else "left"
        if col in wrap:
            t.add_column(col, overflow="fold", ratio=1, justify=just)
        else:
            t.add_column(col, no_wrap=True, justify=just)
    return t


def fit(t: Table) -> Table:
    """Give every column that must not wrap the width of its widest cell (or header)."""
    for col in t.columns:
        if col.no_wrap:
            col.min_width = max([len(str(c)) for c in col.cells] + [len(str(col.header))])
    return t
