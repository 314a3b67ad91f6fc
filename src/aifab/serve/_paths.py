"""The dashboard's one folder: every path it reads or writes must resolve inside it."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aifab import PlanResult, plan_file, read_plan
from aifab.errors import BadInput
from aifab.sim.national import SimResult, summary_file

if TYPE_CHECKING:
    from aifab.grid import SiteResult
    from aifab.report import ReportFolder
    from aifab.sweep import SweepDocument

#: A twin run folder's summary: the twin's run folder names it, and only
#: :meth:`SimResult.read <aifab.sim.national.SimResult.read>` reads that folder's files.
_TWIN_SUMMARY = summary_file(Path()).name
#: A plan folder's document: only :func:`aifab.read_plan` reads that folder's files.
_PLAN_DOC = plan_file(Path()).name


@cache
def _markers() -> tuple[tuple[str, str], ...]:
    """Kind -> the file that says a folder holds that kind of run, in order of precedence,
    each named by its stage (:func:`aifab.sweep.sweep_file`,
    :func:`aifab.report.report_doc_file`, :func:`aifab.grid.site_file`). Imported when
    first needed: the sweep and grid packages are slow to import."""
    from aifab.grid import site_file
    from aifab.report import report_doc_file
    from aifab.sweep import sweep_file

    return (("sweep", sweep_file(Path()).name),
            ("simulate", _TWIN_SUMMARY),
            ("report", report_doc_file(Path()).name),  # a combined report also holds site.json
            ("site", site_file(Path()).name),
            ("plan", _PLAN_DOC))


def report_parts(d: Path) -> dict[str, Path]:
    """What a combined report (``aifab report --out``) in ``d`` holds of each stage, as
    :func:`aifab.report.report_parts` names it: the pages that can open it (its siting in
    Map, its twin in Twin)."""
    from aifab.report import report_parts as parts

    return parts(d)


MAX_JSON = 64 * 2**20
"""Largest JSON document a page reads (a run's summary is kilobytes)."""


class PathRefused(BadInput):
    """A requested path resolves outside the results folder (or is malformed)."""


def safe_path(base: Path | str | ResultsDir, rel: str | Path) -> Path:
    """``base/rel`` resolved (symbolic links followed), refused (PathRefused) unless it stays
    inside ``base`` (a folder, or the results folder), and unless it is a regular file or a
    folder when it exists (a FIFO or device in the folder would hang the server).

    Every file the dashboard opens goes through this: its pages' callbacks and ``/files/``.
    """
    root = base.root if isinstance(base, ResultsDir) else Path(base).resolve()
    text = str(rel)
    if "\x00" in text:
        raise PathRefused("path contains a NUL byte", where="path")
    candidate = Path(text)
    if candidate.is_absolute():
        raise PathRefused(f"refused {text!r}: absolute paths are not served; give a path "
                          "inside the results folder", where="path")
    try:
        full = (root / candidate).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise PathRefused(f"refused {text!r}: {exc}", where="path") from None
    if full != root and root not in full.parents:
        raise PathRefused(f"refused {text!r}: outside the results folder", where="path")
    try:
        mode = full.stat().st_mode
    except OSError:
        return full  # missing: the caller says so
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise PathRefused(f"refused {text!r}: not a regular file", where="path")
    return full


@dataclass(frozen=True)
class Run:
    """A finished run found in the results folder."""

    kind: str  # sweep, simulate, site, report or plan
    rel: str  # path relative to the results folder, with forward slashes
    modified: datetime
    covers: tuple[str, ...] = ()  # a report's stages that other pages open (site, simulate)

    @property
    def label(self) -> str:
        """What a menu shows: the folder, its kind and when it was written."""
        return f"{self.rel} ({self.kind}, {self.modified:%Y-%m-%d %H:%M} UTC)"


class ResultsDir:
    """The results folder of ``aifab serve``: resolves user paths, lists runs."""

    def __init__(self, root: Path | str) -> None:
        p = Path(root)
        if p.exists() and not p.is_dir():
            raise BadInput("exists and is not a directory", source=str(p))
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"cannot create results folder ({exc.strerror})",
                           source=str(p)) from None
        self.root = p.resolve()

    def resolve(self, rel: str | Path) -> Path:
        """``rel`` as an absolute path inside the folder; PathRefused for anything else
        (absolute paths, ``..`` escapes, symbolic links that lead out, NUL bytes)."""
        return safe_path(self, rel)

    def rel(self, path: Path) -> str:
        """``path`` (inside the folder) relative to it, with forward slashes."""
        return path.resolve().relative_to(self.root).as_posix() or "."

    def runs(self, kinds: tuple[str, ...] | None = None) -> list[Run]:
        """Runs found up to three folders deep, newest first (hidden folders skipped)."""
        found: list[Run] = []
        dirs = [self.root]
        for depth in range(4):
            nxt: list[Path] = []
            for d in dirs:
                kind = kind_of(d)
                if kind is not None and d != self.root:
                    covers = tuple(k for k, f in report_parts(d).items()
                                   if f.is_file()) if kind == "report" else ()
                    if kinds is None or kind in kinds or set(covers) & set(kinds):
                        try:
                            stamp = max((f.stat().st_mtime for f in d.iterdir()
                                         if f.is_file()), default=d.stat().st_mtime)
                        except OSError:
                            continue
                        found.append(Run(kind, self.rel(d),
                                         datetime.fromtimestamp(stamp, UTC), covers))
                    continue
                if depth < 3:
                    try:
                        nxt += [c for c in sorted(d.iterdir()) if c.is_dir()
                                and not c.name.startswith(".") and not c.is_symlink()]
                    except OSError:
                        continue
            dirs = nxt
        return sorted(found, key=lambda r: r.modified, reverse=True)

    def scenario_files(self) -> list[str]:
        """YAML/TOML files in the folder (top level and ``scenarios/``), relative paths."""
        out = []
        for sub in (self.root, self.root / "scenarios"):
            if sub.is_dir():
                for p in sorted(sub.iterdir()):
                    if p.suffix in (".yaml", ".yml", ".toml"):
                        try:  # a link leading out, or a FIFO, is not offered
                            if safe_path(self, p.relative_to(self.root)).is_file():
                                out.append(p.relative_to(self.root).as_posix())
                        except PathRefused:
                            continue
        return out

    def read_json(self, rel: str) -> dict[str, Any]:
        """A JSON document inside the folder."""
        p = self.resolve(rel)
        try:
            if p.stat().st_size > MAX_JSON:
                raise ValueError(f"larger than {MAX_JSON // 2**20} MiB")
            doc = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
            return doc
        except (OSError, ValueError, RecursionError) as exc:
            raise BadInput(f"cannot read JSON ({exc})", source=rel) from None


    def read_twin(self, rel: str, tables: tuple[str, ...] = ()) -> SimResult:
        """The twin run in folder ``rel``, typed, with the ``tables`` asked for
        (``timeseries``, ``tenants``...): a ``simulate --out`` folder is read by
        :meth:`SimResult.read`, which opens only paths that :func:`safe_path` has checked
        (all of them before reading any); a combined report's twin (``simulate.json``,
        no tables) through :meth:`read_json`. A missing or mistyped field is BadInput
        naming the file (relative to the results folder) and the field."""
        d = self.resolve(rel)
        where = self.rel(d)
        twin = report_parts(d)["simulate"]
        if not summary_file(d).is_file() and twin.is_file():
            sim = self.read_report(where, ("simulate",)).simulate
            if sim is None:
                raise BadInput("the combined report's headline has no twin",
                               source=f"{where}/{twin.name}")
            return sim
        return SimResult.read(d, tables, resolve=lambda name: safe_path(d, name), label=where)


    def read_plan(self, rel: str) -> PlanResult:
        """The plan in folder ``rel`` (``aifab plan --out``), typed, read by
        :func:`aifab.read_plan` with its path checked by :func:`safe_path` first; BadInput
        naming the file (relative to the results folder) and the field."""
        d = self.resolve(rel)
        return read_plan(d, resolve=lambda name: safe_path(d, name), label=self.rel(d))

    def read_site(self, rel: str) -> SiteResult:
        """The siting in folder ``rel`` (``aifab site --out``), typed, read by
        :func:`aifab.grid.read_site` with every path checked by :func:`safe_path` first;
        BadInput naming the file (relative to the results folder) and the field."""
        from aifab.grid import read_site

        d = self.resolve(rel)
        return read_site(d, resolve=lambda name: safe_path(d, name), label=self.rel(d))

    def read_report(self, rel: str, stages: tuple[str, ...] = ("plan", "site", "simulate")
                    ) -> ReportFolder:
        """A combined report folder (``aifab report --out``), typed, read by
        :func:`aifab.report.read_report` (only ``stages``) with every path checked by
        :func:`safe_path` first; BadInput naming the file and the field."""
        from aifab.report import read_report

        d = self.resolve(rel)
        return read_report(d, resolve=lambda name: safe_path(d, name), label=self.rel(d),
                           stages=stages)

    def read_sweep(self, rel: str, variants: bool = True) -> tuple[SweepDocument, Any]:
        """A sweep folder's document and (with ``variants``) its variants table, read by
        :func:`aifab.sweep.read_sweep` with every path checked by :func:`safe_path`
        first; BadInput naming the file (relative to the results folder)."""
        from aifab.sweep import read_sweep

        d = self.resolve(rel)
        return read_sweep(d, variants, resolve=lambda name: safe_path(d, name),
                          label=self.rel(d))


def kind_of(d: Path) -> str | None:
    """The kind of run folder ``d`` holds (by its marker files), or None."""
    for kind, name in _markers():
        if (d / name).is_file():
            return kind
    return None
