"""The typed result of a national-twin run."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True, eq=False)
class SimResult:
    """Headline figures of one run (or of replications: ``confidence``), the full JSON
    document (:meth:`to_dict`) and its tables (:meth:`to_frames`: timeseries, tenants,
    classes, jobs, services, pools)."""

    scenario: str
    policy: str
    seed: int
    days: float
    scale: float
    accelerators: int
    gpus: int
    npus: int
    nameplate_mw: float
    utilization: float
    stranded_power: float
    stranded_fragmentation: float
    stranded_idle: float
    energy_mwh: float
    tokens_served: float
    training_runs_completed: int
    wall_s: float
    document: Mapping[str, Any] = field(repr=False)
    frames: Mapping[str, pd.DataFrame] = field(repr=False)
    confidence: Mapping[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_document(cls, doc: dict[str, Any], frames: dict[str, pd.DataFrame],
                      confidence: dict[str, Any] | None = None) -> SimResult:
        st, fl = doc["stranded"], doc["fleet"]
        return cls(scenario=doc["scenario"], policy=doc["policy"], seed=doc["seed"],
                   days=doc["days"], scale=doc["scale"], accelerators=fl["accelerators"],
                   gpus=fl["gpus"], npus=fl["npus"], nameplate_mw=fl.get("nameplate_mw", 0.0),
                   utilization=doc["utilization"], stranded_power=st["power"],
                   stranded_fragmentation=st["fragmentation"], stranded_idle=st["idle"],
                   energy_mwh=doc["energy_mwh"], tokens_served=doc["tokens_served"],
                   training_runs_completed=doc["training_runs_completed"],
                   wall_s=doc["wall_s"], document=doc, frames=frames, confidence=confidence)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (without ``schema_version``); a copy."""
        doc = copy.deepcopy(dict(self.document))
        if self.confidence is not None:
            doc["confidence"] = copy.deepcopy(dict(self.confidence))
        return doc

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The run's tables (copies)."""
        return {k: v.copy() for k, v in self.frames.items()}

    def write(self, folder: Path, html: str | None = None) -> None:
        """Write this result into a run folder (:mod:`._runfolder`: the tables, the
        summary, and the report's ``html`` when given)."""
        from aifab.sim.national._runfolder import write_run

        write_run(self.to_dict(), self.to_frames(), folder, html)

    @classmethod
    def read(cls, folder: Path) -> SimResult:
        """The result a run folder holds (what :meth:`write` wrote)."""
        from aifab.sim.national._runfolder import read_run

        return cls.from_document(*read_run(folder))
