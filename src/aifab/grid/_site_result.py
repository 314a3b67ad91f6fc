"""The site stage's result as data: :class:`SiteResult`, a frozen tree whose ``to_dict()`` is
the only schema of ``aifab site --json`` and of its run folder's ``site.json``, and whose
:meth:`SiteResult.write` / :func:`read_site` are the only code that knows that folder's file
names (site.json, placements.csv, corridors.csv, regions.csv, annual_cost.csv,
unpowered.csv, flexibility.csv, hosting.csv, site.html).

Year-keyed maps are keyed by the year as text, as in the JSON document. The blocks whose
shape follows the run (hosting rows, ``second_stage``, ``coupling``) are in
:mod:`aifab.grid._site_blocks`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aifab._io import to_json, versioned, write_text
from aifab._schema import OPTIONAL, FieldError, encode, fields_of, read_block
from aifab._twin_caps import TwinPowerCaps
from aifab.errors import BadInput
from aifab.grid._calibration import CalibrationRow
from aifab.grid._site_blocks import (
    AnnualCost,
    CouplingInfo,
    DispatchInfo,
    HostingRow,
    SecondStage,
    decode_second_stage,
    drop_within,
    nest_hosting,
)

if TYPE_CHECKING:
    from aifab.grid._loadprofile import LoadProfile
    from aifab.grid._results import SitingResult

SITE = "site.json"
PAGE = "site.html"
MAX_DOC = 256 * 2**20
"""Largest ``site.json`` :func:`read_site` reads (a full-network run's is megabytes)."""
_LOADING = re.compile(r"max_loading_pct_(\d{4})$")


@dataclass(frozen=True)
class ModelSize:
    variables: int
    constraints: int
    integer_variables: int


@dataclass(frozen=True)
class TimeSliceInfo:
    hours_per_year: int
    method: str


@dataclass(frozen=True)
class Placement:
    """An owner's campus at a site in a year: facility MW, its part of the site's blocks,
    and the GPUs it powers."""

    owner: str
    site: str
    region: str
    year: int
    mw: float
    blocks_mw: float
    gpus: int


@dataclass(frozen=True)
class OwnerWait:
    """An owner's GPUs in a year and those waiting for power (with the IT MW they need)."""

    owner: str
    year: int
    gpus: int
    unpowered_gpus: int
    unpowered_it_mw: float


@dataclass(frozen=True)
class Corridor:
    """A link or line: its limit, and its highest loading per year (``max_loading_pct_YYYY``
    in the document) and over all years."""

    name: str
    bus0: str
    bus1: str
    p_nom_mw: float
    kind: str
    n_lines: int
    expansion: bool
    built_year: float | None  # a table column: 2027.0 where some corridors are never built
    loading_by_year: Mapping[str, float]
    max_loading_pct: float

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = encode(self, nulls=True)
        by = d.pop("loading_by_year")
        top = d.pop("max_loading_pct")
        return {**d, **{f"max_loading_pct_{y}": v for y, v in by.items()},
                "max_loading_pct": top}


@dataclass(frozen=True)
class RegionBalance:
    """A region's added campus MW and its local surplus (mean and lowest hour), per year."""

    added_mw: Mapping[str, float]
    local_surplus_mw: Mapping[str, float]
    local_surplus_min_mw: Mapping[str, float]


@dataclass(frozen=True)
class RegionRow:
    """A row of regions.csv (the unrounded :class:`RegionBalance`)."""

    region: str
    year: int
    added_mw: float
    local_surplus_mw: float
    local_surplus_min_mw: float


@dataclass(frozen=True)
class CurtailHour:
    """An owner's curtailed modelled hour (what the twin takes back as a window)."""

    owner: str
    year: int
    day: int
    hour: int
    weight: float
    load_mw: float
    curtailed_mw: float
    depth: float


@dataclass(frozen=True)
class CampusCurtailment:
    owner: str
    site: str
    year: int
    curtailed_mwh: float
    curtailed_hours: float
    max_curtailed_mw: float
    compute_lost_gpu_h: float
    storage_discharged_mwh: float


@dataclass(frozen=True)
class Flexibility:
    """Curtailment offers: what they connect, and what they curtail (per year, hour, campus)."""

    curtailment_hourly: tuple[CurtailHour, ...]
    curtailed_mwh: Mapping[str, float]
    curtailed_hours: Mapping[str, float]
    compute_lost_gpu_h: Mapping[str, float]
    by_campus: tuple[CampusCurtailment, ...]
    flex_share: float | None = field(default=None, metadata=OPTIONAL)
    connected_gain_by_year: Mapping[str, int] | None = field(default=None, metadata=OPTIONAL)
    unpowered_without_flex_by_year: Mapping[str, int] | None = field(default=None,
                                                                     metadata=OPTIONAL)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = encode(self, nulls=True)
        head = ("flex_share", "connected_gain_by_year", "unpowered_without_flex_by_year")
        return {**{k: d[k] for k in head if k in d}, **{k: v for k, v in d.items()
                                                        if k not in head}}


@dataclass(frozen=True)
class LoadProfileInfo:
    """The hourly shape the campuses drew (``--load-profile``): its source and mean share."""

    source: str
    mean_share: Mapping[str, float]


@dataclass(frozen=True)
class SiteResult:
    """``aifab site``'s result: the document's blocks, in the document's order, and
    ``region_rows`` (regions.csv, not in the document). ``twin_power_caps`` and
    ``twin_curtailment_windows`` are a combined report's (what its twin ran under)."""

    scenario: str
    status: str
    termination: str
    objective_krw: float
    mip_gap: float
    solve_s: float
    build_s: float
    model_size: ModelSize
    years: tuple[int, ...]
    time_slices: TimeSliceInfo
    placements: tuple[Placement, ...]
    unpowered_gpus_by_year: Mapping[str, int]
    unpowered_gpus_by_owner: tuple[OwnerWait, ...]
    corridors: tuple[Corridor, ...]
    expansions_built: Mapping[str, int]
    regions: Mapping[str, RegionBalance]
    annual_cost_krw: Mapping[str, AnnualCost]
    co2_mt: Mapping[str, float]
    data_files: Mapping[str, str]
    network: str
    calibration: tuple[CalibrationRow, ...]
    dispatch: DispatchInfo | None = field(default=None, metadata=OPTIONAL)
    flexibility: Flexibility | None = field(default=None, metadata=OPTIONAL)
    hosting: tuple[HostingRow, ...] | None = field(default=None, metadata=OPTIONAL)
    second_stage: SecondStage | None = field(default=None, metadata=OPTIONAL)
    load_profile: LoadProfileInfo | None = field(default=None, metadata=OPTIONAL)
    coupling: CouplingInfo | None = field(default=None, metadata=OPTIONAL)
    twin_power_caps: TwinPowerCaps | None = field(default=None, metadata=OPTIONAL)
    twin_curtailment_windows: int | None = field(default=None, metadata=OPTIONAL)
    region_rows: tuple[RegionRow, ...] = field(default=(), compare=False,
                                               metadata={"table": True})

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` body (without ``schema_version``): the only schema of the stage."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.metadata.get("table") or (v is None and f.metadata.get("optional")):
                continue
            out[f.name] = ([c.to_dict() for c in v]
                           if f.name in ("corridors", "hosting", "calibration") else
                           v.to_dict() if isinstance(v, Flexibility) else encode(v, nulls=True))
        return out

    @classmethod
    def from_dict(cls, doc: Any, source: str = "site result") -> SiteResult:
        """A result from its document (``schema_version`` allowed); exit 2 naming
        ``source`` and the field when one is missing, unknown or mistyped."""
        stage: list[Any] = []  # second_stage, read by its kind
        res = read_block(cls, doc, source, lambda body: _prepare(body, stage))
        if not stage:
            return res
        with fields_of(source):
            return replace(res, second_stage=decode_second_stage(stage[0]))

    @classmethod
    def from_siting(cls, scenario: str, siting: SitingResult,
                    load_profile: LoadProfile | None = None,
                    coupling: Mapping[str, Any] | None = None) -> SiteResult:
        """The result of a solved siting (and the load profile it drew, or the coupling
        rounds of ``--couple-twin``). Its ``region_rows`` and ``calibration`` keep the
        solver's precision (the document rounds a calibration row's ``ours`` to 2 decimals,
        the page shows the solver's, to 3, at 1)."""
        doc: dict[str, Any] = {"scenario": scenario, **siting.to_dict()}
        if load_profile is not None:
            doc["load_profile"] = {"source": load_profile.source,
                                   "mean_share": load_profile.to_dict()["mean_share"]}
        if coupling is not None:
            doc["coupling"] = dict(coupling)
        res = cls.from_dict(json.loads(to_json(doc)))  # the document as JSON has it
        rows = tuple(RegionRow(str(r["region"]), int(r["year"]), float(r["added_mw"]),
                               float(r["local_surplus_mw"]), float(r["local_surplus_min_mw"]))
                     for r in siting.regions.to_dict(orient="records"))
        return replace(res, region_rows=rows, calibration=tuple(siting.calibration))

    def to_siting(self, geo: pd.DataFrame | None = None) -> SitingResult:
        """The solver-shaped result (tables as frames, years as numbers) that the report's
        figures draw, with ``geo`` (the packaged coordinates; not in the folder). Not in
        the folder either: ``calibration`` rows and ``site_capacity_mw`` (left empty)."""
        from aifab.grid._results import SitingResult

        cor = pd.DataFrame([c.to_dict() for c in self.corridors])
        if not cor.empty:  # a year or none, as solved (not a float column)
            cor["built_year"] = pd.Series([None if c.built_year is None else
                                           int(c.built_year) for c in self.corridors],
                                          dtype=object)
        cost = pd.DataFrame(self._cost_rows())
        flex: dict[str, Any] = {}
        if self.flexibility is not None:  # as the solver gives it: frames, years as numbers
            f = self.flexibility
            flex = {k: ({int(y): x for y, x in v.items()} if isinstance(v, dict) else v)
                    for k, v in f.to_dict().items()}
            flex["curtailment_hourly"] = _frame(f.curtailment_hourly, CurtailHour)
            flex["by_campus"] = _frame(f.by_campus, CampusCurtailment)
        return SitingResult(
            status=self.status, termination=self.termination,
            objective_krw=self.objective_krw, mip_gap=self.mip_gap, solve_s=self.solve_s,
            build_s=self.build_s, model_size=encode(self.model_size), years=self.years,
            time_method=self.time_slices.method,
            hours_per_year=self.time_slices.hours_per_year,
            placements=_frame(self.placements, Placement),
            unpowered_gpus_by_year={int(y): n for y, n in self.unpowered_gpus_by_year.items()},
            unpowered_by_owner=_frame(self.unpowered_gpus_by_owner, OwnerWait),
            corridors=cor, regions=_frame(self.region_rows, RegionRow), annual_cost=cost,
            co2_mt_by_year={int(y): v for y, v in self.co2_mt.items()},
            expansions_built=dict(self.expansions_built), data_files=dict(self.data_files),
            geo=geo if geo is not None else pd.DataFrame(), flexibility=flex,
            network=self.network,
            hosting=pd.DataFrame([r.to_dict() for r in self.hosting or ()]),
            second_stage=encode(self.second_stage, nulls=True) if self.second_stage else {},
            dispatch=encode(self.dispatch) if self.dispatch else {})

    def _cost_rows(self) -> list[dict[str, Any]]:
        return [{"year": int(y), **encode(v)} for y, v in self.annual_cost_krw.items()]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The folder's CSV tables by file name (flexibility and hosting where present)."""
        out = {"placements.csv": _frame(self.placements, Placement),
               "corridors.csv": pd.DataFrame([c.to_dict() for c in self.corridors]),
               "regions.csv": _frame(self.region_rows, RegionRow),
               "annual_cost.csv": pd.DataFrame(self._cost_rows()),
               "unpowered.csv": _frame(self.unpowered_gpus_by_owner, OwnerWait)}
        if self.flexibility is not None:
            out["flexibility.csv"] = _frame(self.flexibility.by_campus, CampusCurtailment)
        if self.hosting:
            out["hosting.csv"] = pd.DataFrame([r.to_dict() for r in self.hosting])
        return out

    def write(self, folder: Path, page: Callable[[Path], None] | None = None) -> None:
        """Write site.json, the CSV tables and (with ``page``, given the page's path; the
        renderer is aifab.report's, a layer above) site.html into ``folder``."""
        write_text(folder / SITE, to_json(versioned(self.to_dict())))
        for name, df in self.tables().items():
            df.to_csv(folder / name, index=False)
        if page is not None:
            page(folder / PAGE)


def _prepare(body: dict[str, Any], stage: list[Any]) -> dict[str, Any]:
    """The document's body in the fields' shapes (``second_stage`` put in ``stage``)."""
    if "region_rows" in body:  # a table (regions.csv), never a key of the document
        raise FieldError("region_rows", "unknown field")
    body["region_rows"] = []
    if isinstance(body.get("corridors"), list):
        body["corridors"] = [_nest_loading(c) for c in body["corridors"]]
    if isinstance(body.get("hosting"), list):
        body["hosting"] = [nest_hosting(r) for r in body["hosting"]]
    if "calibration" in body:
        body["calibration"] = drop_within(body["calibration"])
    if body.get("second_stage") is not None:
        stage.append(body.pop("second_stage"))
    return body


def _frame(rows: Any, block: type) -> pd.DataFrame:
    """A table of blocks, with the block's columns even when it has no rows."""
    return pd.DataFrame([encode(r, nulls=True) for r in rows],
                        columns=[f.name for f in fields(block)])


def _nest_loading(row: Any) -> Any:
    """A corridor row with its ``max_loading_pct_YYYY`` keys under ``loading_by_year``."""
    if not isinstance(row, dict):
        return row
    by = {m.group(1): v for k, v in row.items() if (m := _LOADING.match(k))}
    out = {k: v for k, v in row.items() if not _LOADING.match(k) and k != "max_loading_pct"}
    return {**out, "loading_by_year": by,
            **({"max_loading_pct": row["max_loading_pct"]} if "max_loading_pct" in row else {})}


def site_file(folder: Path) -> Path:
    """A site folder's document (``site.json``)."""
    return folder / SITE


def read_site(folder: Path, resolve: Callable[[str], Path] | None = None,
              label: str | None = None) -> SiteResult:
    """What :meth:`SiteResult.write` wrote. ``resolve`` gives the path to open for a file
    name of the folder and refuses (BadInput) one that must not be opened (the dashboard's
    path check; it sees every path before any file is read); ``label`` names the folder in
    messages (default: its path). Exit 2 naming the file (and field) when one is missing,
    unreadable or mistyped; regions.csv is optional (a folder without it reads no rows)."""
    at = resolve or (lambda name: folder / name)
    where = label if label is not None else str(folder)
    path, regions = at(SITE), at("regions.csv")
    try:
        if path.stat().st_size > MAX_DOC:
            raise ValueError(f"larger than {MAX_DOC // 2**20} MiB")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise BadInput(f"not a siting result ({exc})", source=f"{where}/{SITE}") from None
    res = SiteResult.from_dict(doc, f"{where}/{SITE}")
    if not regions.is_file():
        return res
    try:
        df = pd.read_csv(regions)  # pandas 3 reads floats back exactly
        rows = tuple(RegionRow(str(r["region"]), int(r["year"]), float(r["added_mw"]),
                               float(r["local_surplus_mw"]), float(r["local_surplus_min_mw"]))
                     for r in df.to_dict(orient="records"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"cannot read ({type(exc).__name__}: {exc})",
                       source=f"{where}/regions.csv") from None
    return replace(res, region_rows=rows)
