"""The plan stage's typed result and its run folder: :class:`PlanResult` and its blocks,
:meth:`PlanResult.write` and :func:`read_plan`, the only code that knows the file names of
an ``aifab plan --out`` folder (``plan.json``, one CSV per table, ``report.html``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aifab._io import to_json, versioned, write_text
from aifab._schema import decode_block, fields_of
from aifab.errors import BadInput
from aifab.reliability import StaffingEstimate

PLAN_DOC = "plan.json"
"""A plan folder's document: the ``--json`` body (what :meth:`PlanResult.document` gives)."""
REPORT_PAGE = "report.html"
TABLE_SUFFIX = ".csv"
EXTENSIONS = ("totals_range", "uncertainty")
"""Keys another stage adds to a plan's document (``plan --uncertainty``: :mod:`aifab.sweep`
writes them and their tables); :func:`read_plan` skips them."""
MAX_DOC = 64 * 2**20
"""Largest ``plan.json`` read (a plan's is tens of kilobytes)."""


def plan_file(folder: Path) -> Path:
    """The document of the plan folder ``folder`` (its presence marks a plan folder)."""
    return folder / PLAN_DOC


@dataclass(frozen=True)
class FleetRow:
    """One fleet row of the scenario with its power."""

    owner: str
    accelerator: str
    accelerator_name: str
    system: str
    system_name: str
    form: str
    count: int
    systems: float
    delivery_year: int
    assumed: bool
    note: str
    it_power_mw: float
    facility_power_mw: float


@dataclass(frozen=True)
class Summary:
    """Totals for an owner or the whole fleet."""

    name: str
    accelerators: int
    it_power_mw: float
    facility_power_mw: float
    annual_energy_twh: float
    annual_cost_krw: float
    annual_cost_usd: float
    annual_co2_mt: float
    h100_equivalents: dict[str, float]
    delivery_years: list[int]
    accelerator_types: list[str]
    assumed: bool
    gpus: int = 0  # of ``accelerators``: GPUs ...
    npus: int = 0  # ... and NPUs (catalogue kind)


@dataclass(frozen=True)
class Comparison:
    """The fleet's annual energy as a share of a region's consumption."""

    region: str
    consumption_twh: float
    year: int
    source: str
    share: float


@dataclass(frozen=True)
class PeerRow:
    """A peer fleet with its H100-equivalents and ranks (1 = largest)."""

    name: str
    accelerator: str
    count: int
    year: int
    status: str
    assumed: bool
    source: str
    h100_equivalents: dict[str, float]
    rank_by_count: int
    ranks: dict[str, int]


@dataclass(frozen=True)
class Assumption:
    """A parameter that moved the result, with its value and source."""

    parameter: str
    value: float | str
    unit: str
    source: str


@dataclass(frozen=True)
class OutputRow:
    """An owner's (or the total's) output per year, as if its whole fleet did only that
    work: tokens served and 405B-scale training runs (times the expected ETTR), also per
    GW of facility power; ``reference`` (the basis) is on the total row only."""

    owner: str
    tokens_per_year: float
    training_runs_per_year: float
    tokens_per_year_per_gw: float
    training_runs_per_year_per_gw: float
    training_ettr: float
    reference: str


@dataclass(frozen=True)
class YearRow:
    """An owner's installed accelerators and power at the end of a delivery year
    (:func:`aifab.power.demand_by_year`, cumulative; facility at the scenario PUE)."""

    owner: str
    year: int
    accelerators: int
    it_mw: float
    facility_mw: float


@dataclass(frozen=True)
class PlanResult:
    """Everything ``aifab plan`` reports; ``to_frames()`` gives pandas tables."""

    scenario: str
    description: str
    fleet: list[FleetRow]
    owners: list[Summary]
    totals: Summary
    comparisons: list[Comparison]
    peers: list[PeerRow]
    assumptions: list[Assumption]
    by_year: list[YearRow]
    output: list[OutputRow] = field(default_factory=list)
    staffing: list[StaffingEstimate] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (the ``--json`` body, without ``schema_version``)."""
        d = asdict(self)
        d["totals"].pop("name")
        return d

    def document(self) -> dict[str, Any]:
        """The ``--json`` body and ``plan.json`` (without ``schema_version``): the
        :meth:`to_dict` document less the scenario's description."""
        d = self.to_dict()
        d.pop("description")
        return d

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], source: str = "plan") -> PlanResult:
        """A result from its document (:meth:`document` or :meth:`to_dict`, with or without
        ``schema_version``; another stage's :data:`EXTENSIONS` skipped; a missing
        description is empty). A missing, unknown or mistyped field is BadInput (exit 2)
        naming ``source`` and the field."""
        body = {k: v for k, v in doc.items() if k not in ("schema_version", *EXTENSIONS)}
        body.setdefault("description", "")
        if isinstance(body.get("totals"), dict):
            body["totals"] = {**body["totals"], "name": "total"}
        with fields_of(source):
            return decode_block(cls, body)

    def write(self, folder: Path, extra: Mapping[str, Any] | None = None,
              page: Callable[[Path], None] | None = None) -> None:
        """Write this result into a plan folder: ``plan.json`` (:meth:`document`, then
        ``extra``'s keys: another stage's :data:`EXTENSIONS`), one CSV per table of
        :meth:`to_frames`, and with ``page`` the report page (``page`` is given its path:
        the renderer lives above this layer, in :mod:`aifab.report`)."""
        write_text(plan_file(folder), to_json(versioned({**self.document(), **(extra or {})})))
        for name, frame in self.to_frames().items():
            frame.to_csv(folder / f"{name}{TABLE_SUFFIX}", index=False)
        if page is not None:
            page(folder / REPORT_PAGE)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """One DataFrame per table, for notebooks and CSV output."""
        def flat(rows: list[Any]) -> pd.DataFrame:
            recs = []
            for r in rows:
                rec = asdict(r) if not isinstance(r, dict) else dict(r)
                for key in ("h100_equivalents", "ranks"):
                    if key in rec:
                        for m, v in rec.pop(key).items():
                            rec[f"{key}_{m}" if key == "ranks" else f"h100e_{m}"] = v
                for key in ("delivery_years", "accelerator_types"):
                    if key in rec:
                        rec[key] = " ".join(str(x) for x in rec[key])
                recs.append(rec)
            return pd.DataFrame(recs)

        frames = {
            "fleet": flat(self.fleet),
            "owners": flat([*self.owners, self.totals]),
            "comparisons": flat(self.comparisons),
            "peers": flat(self.peers),
            "assumptions": flat(self.assumptions),
            "by_year": pd.DataFrame(self.by_year),
        }
        if self.output:
            frames["output"] = pd.DataFrame(self.output)
        if self.staffing:
            frames["staffing"] = pd.DataFrame(self.staffing)
        return frames




def read_plan(folder: Path, resolve: Callable[[str], Path] | None = None,
              label: str | None = None) -> PlanResult:
    """The plan a plan folder holds (what :meth:`PlanResult.write` wrote), typed; exit 2
    naming the file (and the field) when ``plan.json`` is missing, unreadable or mistyped.

    ``resolve`` gives the path to open for a file name of the folder and refuses
    (BadInput) one that must not be opened: the dashboard's path check. ``label`` names
    the folder in messages (default: its path). The description is empty (the document
    leaves it out); the tables are :meth:`PlanResult.to_frames` of the result."""
    path = (resolve or (lambda name: folder / name))(PLAN_DOC)
    source = f"{label if label is not None else folder}/{PLAN_DOC}"
    try:
        if path.stat().st_size > MAX_DOC:
            raise BadInput(f"larger than {MAX_DOC // 2**20} MiB", source=source)
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadInput(f"not a plan's document ({type(exc).__name__})", source=source) from None
    if not isinstance(doc, dict):
        raise BadInput("not a plan's document (not a JSON object)", source=source)
    return PlanResult.from_dict(doc, source)
