"""The result of a sweep: records per variant, summary, sensitivity; frames and files.

Output contract (docs/sweep.md): ``DIR/sweep.json`` (the ``--json`` object),
``DIR/variants.parquet`` (one row per variant) and ``DIR/report.html``.
:class:`VariantRecord` is a variant's typed record, whose ``to_dict()`` is the journal's
line (``journal.jsonl``) and the only schema of a record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from aifab._io import to_json, versioned, write_text
from aifab._schema import encode, read_block
from aifab._sweep_doc import ErrorCount, Percentiles, Sensitivity, SpecDoc, SweepDocument
from aifab.errors import BadInput
from aifab.sweep._design import DesignPoints
from aifab.sweep._sensitivity import sensitivity, summarise
from aifab.sweep._spec import SweepSpec

SWEEP = "sweep.json"
VARIANTS = "variants.parquet"
REPORT = "report.html"
MAX_DOC = 64 * 2**20
"""Largest ``sweep.json`` :func:`read_sweep` reads (a sweep's document is kilobytes)."""


@dataclass(frozen=True)
class VariantRecord:
    """One variant's outcome: its values (``params``), ``status`` (ok or failed, with
    the one-line ``error``), its metrics and its wall and CPU time (absent in journals
    written before they were recorded)."""

    id: int
    hash: str
    params: Mapping[str, Any]
    status: str
    error: str
    metrics: Mapping[str, float]
    wall_s: float | None = None
    cpu_s: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the variant finished."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """The record's document (a journal line)."""
        out: dict[str, Any] = encode(self)
        return out

    @classmethod
    def from_dict(cls, doc: Any, source: str = "sweep record") -> VariantRecord:
        """A record from its document; exit 2 naming ``source`` and the field when one is
        missing or mistyped."""
        return read_block(cls, doc, source)


@dataclass(frozen=True)
class SweepResult:
    """Every variant's record (design order), the summary and the sensitivity."""

    spec: SweepSpec
    design: DesignPoints
    records: tuple[VariantRecord, ...]
    ran: int
    wall_s: float

    @property
    def metric_values(self) -> dict[str, list[float]]:
        """Each metric over all variants (NaN where a variant failed)."""
        return {m: [float(r.metrics.get(m, math.nan)) if r.ok else math.nan
                    for r in self.records] for m in self.spec.metrics}

    @property
    def done(self) -> int:
        """Variants that finished."""
        return sum(r.ok for r in self.records)

    @property
    def failed(self) -> int:
        """Variants that failed (each recorded with its error)."""
        return sum(not r.ok for r in self.records)

    def summary(self) -> dict[str, dict[str, float]]:
        """{metric: {p5, p50, p95}} over the variants that finished."""
        return summarise(self.metric_values)

    def sensitivity(self) -> dict[str, Any]:
        """Sobol indices (saltelli), tornado (oat) or Spearman (random, lhs)."""
        return sensitivity(self.design, self.metric_values,
                           [r.status for r in self.records])

    def document(self) -> SweepDocument:
        """The sweep's typed document (no ``designs``; see ``sweep_document``)."""
        errors: dict[str, int] = {}
        for r in self.records:
            if not r.ok:
                errors[r.error] = errors.get(r.error, 0) + 1
        sens = self.sensitivity()
        return SweepDocument(
            command="sweep", name=self.spec.name, design=self.design.kind,
            variants=len(self.records), done=self.done, failed=self.failed, ran=self.ran,
            reused=len(self.records) - self.ran,
            summary={m: Percentiles(**v) for m, v in self.summary().items()},
            sensitivity=Sensitivity.of(sens),
            errors=tuple(ErrorCount(e, n) for e, n in
                         sorted(errors.items(), key=lambda kv: -kv[1])[:20]),
            wall_s=round(self.wall_s, 3),
            variant_wall_s=round(sum(r.wall_s or 0.0 for r in self.records), 3),
            variant_cpu_s=round(sum(r.cpu_s or 0.0 for r in self.records), 3),
            spec=read_block(SpecDoc, self.spec.model_dump(mode="json"), "sweep spec"))

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` body (without ``schema_version``; no ``designs``)."""
        return self.document().to_dict()

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``variants`` (one row per variant), ``summary`` and ``sensitivity`` tables."""
        rows = []
        for r in self.records:
            row: dict[str, Any] = {"id": r.id}
            row.update({f"param.{k}": v for k, v in r.params.items()})
            row.update({f"metric.{m}": r.metrics.get(m, math.nan) if r.ok
                        else math.nan for m in self.spec.metrics})
            row.update(status=r.status, error=r.error,
                       wall_s=math.nan if r.wall_s is None else r.wall_s,
                       cpu_s=math.nan if r.cpu_s is None else r.cpu_s, hash=r.hash)
            rows.append(row)
        variants = pd.DataFrame(rows)
        for c in variants.columns:
            if c.startswith("param.") and variants[c].dtype == object:
                variants[c] = variants[c].map(lambda v: v if v is None else str(v))
        summ = pd.DataFrame([{"metric": m, **v} for m, v in self.summary().items()])
        sens = self.sensitivity()
        srows = [{"metric": m, "parameter": p, "method": sens["method"], **vals}
                 for m, per in sens["metrics"].items() for p, vals in per.items()]
        return {"variants": variants, "summary": summ, "sensitivity": pd.DataFrame(srows)}


def sweep_html(result: SweepResult) -> str:
    """The sweep's self-contained HTML page (rendered by aifab.report)."""
    from aifab.report import sweep_page

    return sweep_page(result.document(), result.metric_values)


def write_sweep(result: SweepResult, tmp: Path, doc: SweepDocument | None = None) -> None:
    """Write sweep.json (``doc``, default the result's document), variants.parquet and
    report.html into ``tmp``."""
    typed = doc if doc is not None else result.document()
    write_text(tmp / SWEEP, to_json(versioned(typed.to_dict())))
    result.to_frames()["variants"].to_parquet(tmp / VARIANTS, index=False)
    from aifab.report import write_page

    write_page(tmp / REPORT, sweep_html(result))


def sweep_file(folder: Path) -> Path:
    """A sweep folder's document (``sweep.json``)."""
    return folder / SWEEP


def read_sweep(folder: Path, variants: bool = True,
               resolve: Callable[[str], Path] | None = None,
               label: str | None = None) -> tuple[SweepDocument, pd.DataFrame | None]:
    """What :func:`write_sweep` wrote: the ``--json`` document, typed, and, with
    ``variants``, the one-row-per-variant table (else None). ``resolve`` gives the path
    to open for a file name of the folder and refuses (BadInput) one that must not be opened (the
    dashboard's path check; it sees every path before any file is read); ``label`` names
    the folder in messages (default: its path). Exit 2 naming the file (and the field)
    when one is missing, unreadable or mistyped."""
    at = resolve or (lambda name: folder / name)
    where = label if label is not None else str(folder)
    path, table = at(SWEEP), at(VARIANTS) if variants else None
    try:
        if path.stat().st_size > MAX_DOC:
            raise ValueError(f"larger than {MAX_DOC // 2**20} MiB")
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as exc:
        raise BadInput(f"not a sweep's result ({exc})", source=f"{where}/{SWEEP}") from None
    typed = SweepDocument.from_dict(doc, f"{where}/{SWEEP}")
    frame = None
    if table is not None:
        try:
            frame = pd.read_parquet(table)
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read ({type(exc).__name__})",
                           source=f"{where}/{VARIANTS}") from None
    return typed, frame
