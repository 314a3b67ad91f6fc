"""The typed result of a national-twin run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aifab.sim.national._tree import Confidence, RunSummary


@dataclass(frozen=True, eq=False)
class SimResult:
    """One run (or replications: ``confidence``): its typed result tree (``summary``,
    :class:`~._tree.RunSummary`), whose :meth:`to_dict` is the ``--json`` document, and
    its tables (:meth:`to_frames`: timeseries, tenants, classes, jobs, services, pools).
    The headline figures are also attributes (``utilization``, ``energy_mwh``...)."""

    summary: RunSummary
    frames: Mapping[str, pd.DataFrame] = field(repr=False)
    confidence: Confidence | None = field(default=None, repr=False)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], frames: Mapping[str, pd.DataFrame],
                      confidence: Any = None, source: str = "twin result") -> SimResult:
        """A result from its ``--json`` document (without ``confidence``), tables and
        intervals (the ``confidence`` block); exit 2 naming ``source`` and the field
        when one is missing or mistyped."""
        conf = None if confidence is None else Confidence.from_dict(confidence, source)
        return cls(RunSummary.from_dict(doc, source), dict(frames), conf)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (without ``schema_version``); new containers."""
        doc = self.summary.to_dict()
        if self.confidence is not None:
            doc["confidence"] = self.confidence.to_dict()
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
    def read(cls, folder: Path, tables: Sequence[str] | None = None,
             resolve: Callable[[str], Path] | None = None,
             label: str | None = None) -> SimResult:
        """The result a run folder holds (what :meth:`write` wrote); exit 2 naming the
        summary file and the field when one is missing or mistyped. ``tables`` limits the
        tables read (None: all); ``resolve`` maps each file name to the checked path to
        open (the dashboard's path safety); ``label`` names the folder in messages."""
        from aifab.sim.national._runfolder import SUMMARY, read_run

        doc, frames, confidence = read_run(folder, tables, resolve, label)
        where = label if label is not None else str(folder)
        return cls.from_document(doc, frames, confidence, source=f"{where}/{SUMMARY}")

    # -- headline figures ---------------------------------------------------------------
    @property
    def scenario(self) -> str:
        return self.summary.scenario

    @property
    def policy(self) -> str:
        return self.summary.policy

    @property
    def seed(self) -> int:
        return self.summary.seed

    @property
    def days(self) -> float:
        return self.summary.days

    @property
    def scale(self) -> float:
        return self.summary.scale

    @property
    def accelerators(self) -> int:
        return self.summary.fleet.accelerators

    @property
    def gpus(self) -> int:
        return self.summary.fleet.gpus

    @property
    def npus(self) -> int:
        return self.summary.fleet.npus

    @property
    def nameplate_mw(self) -> float:
        mw = self.summary.fleet.nameplate_mw
        return 0.0 if mw is None else mw

    @property
    def utilization(self) -> float:
        return self.summary.utilization

    @property
    def stranded_power(self) -> float:
        return self.summary.stranded.power

    @property
    def stranded_fragmentation(self) -> float:
        return self.summary.stranded.fragmentation

    @property
    def stranded_idle(self) -> float:
        return self.summary.stranded.idle

    @property
    def energy_mwh(self) -> float:
        return self.summary.energy_mwh

    @property
    def tokens_served(self) -> float:
        return self.summary.tokens_served

    @property
    def training_runs_completed(self) -> int:
        return self.summary.training_runs_completed

    @property
    def wall_s(self) -> float:
        return self.summary.wall_s
