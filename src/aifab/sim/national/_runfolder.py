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


def read_run(folder: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame],
                                    dict[str, Any] | None]:
    """The result a run folder holds (what :func:`write_run` wrote): its document, its
    tables and its intervals across replications (None for one run); exit 2 naming the
    file when the summary is missing or unreadable."""
    path = folder / SUMMARY
    try:
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"not a finished twin run ({type(exc).__name__})",
                       source=str(path)) from None
    if not isinstance(doc, dict) or "fleet" not in doc:
        raise BadInput("not a twin run's summary", source=str(path))
    doc.pop("schema_version", None)
    confidence = doc.pop("confidence", None)
    frames = {p.name[:-len(TABLE_SUFFIX)]: pd.read_parquet(p)
              for p in sorted(folder.glob(f"*{TABLE_SUFFIX}"))}
    if (folder / LOAD_SHAPE).is_file():
        frames[_LOAD_SHAPE_TABLE] = pd.read_csv(folder / LOAD_SHAPE)
    return doc, frames, confidence
