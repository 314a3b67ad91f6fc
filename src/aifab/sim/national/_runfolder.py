"""The twin's run folder (``aifab simulate --out DIR``): the one place that knows its
file names, and its only writer and reader.

A run folder holds ``summary.json`` (the ``--json`` document with ``schema_version``),
one Parquet file per table (``timeseries.parquet``, ``tenants.parquet``...; the hourly
campus load shape as ``campus_power_hourly.csv``, what ``aifab site --load-profile``
reads), ``report.html`` (rendered by :mod:`aifab.report`) and, while a run is under way,
``checkpoint/``. :func:`write_run` writes a result's document and tables, and
:func:`read_run` gives them back (:meth:`~._result.SimResult.write` and
:meth:`~._result.SimResult.read` are how the rest of aifab calls them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from aifab._io import to_json, versioned, write_text
from aifab.errors import BadInput

SUMMARY = "summary.json"
REPORT = "report.html"
CHECKPOINT = "checkpoint"
LOAD_SHAPE = "campus_power_hourly.csv"
_LOAD_SHAPE_TABLE = "campus_power"
TABLE_SUFFIX = ".parquet"
RESULT_FILES = (SUMMARY, REPORT, LOAD_SHAPE)
"""Files a finished run leaves (besides its tables, ``*.parquet``, and the report's
``plotly-<version>.min.js``)."""
RESULT_GLOBS = (f"*{TABLE_SUFFIX}", "plotly-*.min.js")


def checkpoint_dir(folder: Path) -> Path:
    """Where a run folder keeps its checkpoint while the run is under way."""
    return folder / CHECKPOINT


def summary_file(folder: Path) -> Path:
    """A run folder's summary (the ``--json`` document)."""
    return folder / SUMMARY


def report_file(folder: Path) -> Path:
    """A run folder's HTML report."""
    return folder / REPORT


def table_file(name: str) -> str:
    """The file name of table ``name`` in a run folder."""
    return LOAD_SHAPE if name == _LOAD_SHAPE_TABLE else f"{name}{TABLE_SUFFIX}"


def write_run(doc: dict[str, Any], frames: dict[str, pd.DataFrame], folder: Path,
              html: str | None = None) -> None:
    """Write a result (its ``--json`` document and tables) into ``folder`` (which
    exists): every table, the summary and, when given, the report's HTML."""
    for name, df in frames.items():
        path = folder / table_file(name)
        if name == _LOAD_SHAPE_TABLE:
            df.to_csv(path, index=False)
        else:
            df.to_parquet(path, index=False)
    write_text(folder / SUMMARY, to_json(versioned(doc)))
    if html is not None:
        write_text(folder / REPORT, html)


MAX_SUMMARY = 64 * 2**20
"""Largest summary a run folder may hold (a run's summary is kilobytes)."""


def read_run(folder: Path, tables: Sequence[str] | None = None,
             resolve: Callable[[str], Path] | None = None, label: str | None = None,
             ) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any] | None]:
    """The result a run folder holds (what :func:`write_run` wrote): its document, its
    tables and its intervals across replications (None for one run); exit 2 naming the
    file when the summary or a table is missing or unreadable.

    ``tables``: the tables to read (None: every table in the folder; a named one the
    folder lacks is BadInput naming its file). ``resolve`` gives the path to open for a
    file name of the folder and refuses (BadInput) one that must not be opened: the
    dashboard's path check, which sees every path before any file is read. ``label``
    names the folder in messages (default: its path)."""
    at = resolve or (lambda name: folder / name)
    where = label if label is not None else str(folder)
    if tables is None:
        tables = [p.name[:-len(TABLE_SUFFIX)] for p in sorted(folder.glob(f"*{TABLE_SUFFIX}"))]
        tables += [_LOAD_SHAPE_TABLE] if (folder / LOAD_SHAPE).is_file() else []
    path = at(SUMMARY)
    paths = {name: at(table_file(name)) for name in tables}
    source = f"{where}/{SUMMARY}"
    try:
        if path.stat().st_size > MAX_SUMMARY:
            raise BadInput(f"larger than {MAX_SUMMARY // 2**20} MiB", source=source)
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadInput(f"not a finished twin run ({type(exc).__name__})",
                       source=source) from None
    if not isinstance(doc, dict) or "fleet" not in doc:
        raise BadInput("not a twin run's summary", source=source)
    doc.pop("schema_version", None)
    confidence = doc.pop("confidence", None)
    frames = {}
    for name, p in paths.items():
        try:
            frames[name] = pd.read_csv(p) if name == _LOAD_SHAPE_TABLE else pd.read_parquet(p)
        except (OSError, ValueError) as exc:  # pyarrow's errors are ValueErrors
            raise BadInput(f"cannot read table ({type(exc).__name__})",
                           source=f"{where}/{table_file(name)}") from None
    return doc, frames, confidence
