"""The dashboard's one folder: every path it reads or writes must resolve inside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aifab.errors import BadInput

#: Files that say what kind of run a folder holds, in order of precedence.
_MARKERS = (("sweep", ("sweep.json", "variants.parquet")),
            ("simulate", ("summary.json", "timeseries.parquet")),
            ("site", ("site.json", "placements.csv")),
            ("report", ("report.json",)),
            ("plan", ("plan.json",)))


class PathRefused(BadInput):
    """A requested path resolves outside the results folder (or is malformed)."""


@dataclass(frozen=True)
class Run:
    """A finished run found in the results folder."""

    kind: str  # sweep, simulate, site, report or plan
    rel: str  # path relative to the results folder, with forward slashes
    modified: datetime

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
        text = str(rel)
        if "\x00" in text:
            raise PathRefused("path contains a NUL byte", where="path")
        candidate = Path(text)
        if candidate.is_absolute():
            raise PathRefused(f"refused {text!r}: absolute paths are not served; give a path "
                              "inside the results folder", where="path")
        full = (self.root / candidate).resolve()
        if full != self.root and self.root not in full.parents:
            raise PathRefused(f"refused {text!r}: outside the results folder", where="path")
        return full

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
                kind = _kind_of(d)
                if kind is not None and d != self.root:
                    if kinds is None or kind in kinds:
                        stamp = max((f.stat().st_mtime for f in d.iterdir() if f.is_file()),
                                    default=d.stat().st_mtime)
                        found.append(Run(kind, self.rel(d),
                                         datetime.fromtimestamp(stamp, UTC)))
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
                out += [self.rel(p) for p in sorted(sub.iterdir())
                        if p.suffix in (".yaml", ".yml", ".toml") and p.is_file()]
        return out

    def read_json(self, rel: str) -> dict[str, Any]:
        """A JSON document inside the folder."""
        p = self.resolve(rel)
        try:
            return dict(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read JSON ({exc})", source=rel) from None


def _kind_of(d: Path) -> str | None:
    for kind, files in _MARKERS:
        if (d / files[0]).is_file():
            return kind
    return None
