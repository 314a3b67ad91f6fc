"""The site result's blocks whose shape follows the run, typed: a hosting row (its
curtailable columns ``flex_mw_<N>h`` under ``flex_mw``, keyed ``<N>h``), the second stage
(:class:`FullYearStage` of a full-year dispatch, :class:`FullNetworkCheck` of a
full-network check; told apart by ``kind``) and the ``--couple-twin`` rounds
(:class:`CouplingInfo`). Each block's ``to_dict`` gives its document as the solver wrote it
(key order included); :func:`nest_hosting` and :func:`decode_second_stage` read them back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aifab._schema import OPTIONAL, FieldError, decode_block, encode

_FLEX = re.compile(r"flex_mw_(.+)$")
_FLEX_AT = 4  # the curtailable columns come after site, bus, year and firm_mw


@dataclass(frozen=True)
class HostingRow:
    """A candidate site's hosting capacity in a year (``grid.hosting_capacity``'s row):
    firm MW, MW curtailable for N hours a year (by ``"<N>h"``), the substation's
    connection limit, and the map columns (``bus_lat``/``bus_lon`` where the bus is
    drawn)."""

    site: str
    bus: str
    year: int
    firm_mw: float
    flex_mw: Mapping[str, float]
    connect_mw: float
    region: str
    lat: float
    lon: float
    substation: float | None  # an OSM id; null where the site has none
    substation_lat: float
    substation_lon: float
    bus_lat: float | None = field(default=None, metadata=OPTIONAL)
    bus_lon: float | None = field(default=None, metadata=OPTIONAL)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = encode(self, nulls=True)
        items = list(d.items())
        flex = {f"flex_mw_{k}": v for k, v in d["flex_mw"].items()}
        head = [(k, v) for k, v in items[:_FLEX_AT]]
        return {**dict(head), **flex, **{k: v for k, v in items[_FLEX_AT:] if k != "flex_mw"}}


def nest_hosting(row: Any) -> Any:
    """A hosting row of the document with its ``flex_mw_<N>h`` keys under ``flex_mw``
    (a null ``bus_lat``/``bus_lon``, NaN in the table, read back as NaN)."""
    if not isinstance(row, dict):
        return row
    flex = {m.group(1): v for k, v in row.items() if (m := _FLEX.match(k))}
    out: dict[str, Any] = {}
    for k, v in row.items():
        if _FLEX.match(k):
            continue
        out[k] = math.nan if k in ("bus_lat", "bus_lon") and v is None else v
        if k == "firm_mw":
            out["flex_mw"] = flex
    return out if "firm_mw" in row else {**out, "flex_mw": flex}


@dataclass(frozen=True)
class DispatchInfo:
    """``dispatch``: where the run's dispatch figures (corridor loadings, generation, load
    shed, CO2, local surplus, curtailment) come from (``grid._redispatch``): ``source`` the
    fixed-siting LP with tie-break costs, or the MIP incumbent should that LP fail."""

    source: str
    method: str
    status: str
    solve_s: float
    lp_variables: int


@dataclass(frozen=True)
class FullYearYear:
    """A year of the full-year dispatch."""

    generation_krw: float
    co2_mt: float
    load_shed_mwh: float
    campus_curtailed_mwh: float
    campus_curtailed_hours: float
    campus_curtailed_max_mw: float
    gpus_unpowered_worst_hour: int
    short_hours_by_month: Mapping[str, float]
    hours: float


@dataclass(frozen=True)
class YearChange:
    """How the full year moved a year's figures from the representative days'."""

    generation_pct: float | None
    co2_pct: float | None
    load_shed_mwh: float


@dataclass(frozen=True)
class RepresentativeYear:
    generation_krw: float
    co2_mt: float
    load_shed_mwh: float


@dataclass(frozen=True)
class FullYearStage:
    """``second_stage`` of a full-year run (``kind`` "full_year")."""

    kind: str
    method: str
    blocks: int
    block_days: int
    workers: int
    lp_s: float
    model_build_s: float
    network_build_s: float
    dispatch_wall_s: float
    lp_variables: int
    by_year: Mapping[str, FullYearYear]
    change_vs_representative_days: Mapping[str, YearChange]
    representative_days: Mapping[str, RepresentativeYear]


@dataclass(frozen=True)
class OverloadedLine:
    """A line the full-network check found overloaded (the round, year and day found)."""

    line: str
    bus0: str
    bus1: str
    region0: str
    region1: str
    limit_mw: float
    allowed_mw: float
    loading_pct: float
    year: int
    day: int
    round: int


@dataclass(frozen=True)
class CheckYear:
    """A year of the full-network check: re-dispatch cost, load shed and curtailment."""

    redispatch_cost_krw: float
    generation_krw_round0: float
    generation_krw: float
    load_shed_mwh_without_campuses: float
    load_shed_mwh_round0: float
    load_shed_mwh: float
    campus_curtailed_mwh_round0: float
    campus_curtailed_mwh: float
    campus_curtailed_max_mw: float
    gpus_unpowered_worst_hour: int


@dataclass(frozen=True)
class FullNetworkCheck:
    """``second_stage`` of a full-network check (``kind`` "full_network_check")."""

    kind: str
    check: str
    buses: int
    lines: int
    days: int
    rounds_total: int
    rounds_max_per_day: int
    lines_overloaded: int
    lines_enforced: int
    overloaded_lines: tuple[OverloadedLine, ...]
    max_loading_pct_final: float
    by_year: Mapping[str, CheckYear]
    wall_s: float
    network_build_s: float
    model_build_s: float
    lp_s: float
    lp_variables: int
    peak_rss_mib: int


SecondStage = FullYearStage | FullNetworkCheck
_STAGES: dict[str, type[FullYearStage] | type[FullNetworkCheck]] = {
    "full_year": FullYearStage, "full_network_check": FullNetworkCheck}


def decode_second_stage(doc: Any) -> SecondStage:
    """``second_stage`` read by its ``kind``; FieldError naming the field."""
    if not isinstance(doc, dict):
        raise FieldError("second_stage", "expected an object")
    kind = doc.get("kind")
    if kind not in _STAGES:
        raise FieldError("second_stage.kind", f"expected one of {sorted(_STAGES)}, "
                         f"got {kind!r}"[:120])
    return decode_block(_STAGES[str(kind)], doc, "second_stage")


@dataclass(frozen=True)
class CouplingRoundRow:
    """A round of ``site --couple-twin`` (``sim.national.CouplingRound``'s row)."""

    round: int
    twin_caps_mw: Mapping[str, float] | None  # None in round 1 (the twin ran uncapped)
    mean_share: Mapping[str, float]
    twin_utilization: float
    twin_mean_power_mw: float
    siting_caps_mw: Mapping[str, float]
    twin_curtailment_windows: int
    siting_curtailment_windows: int
    gpus_waiting: Mapping[str, int]
    max_cap_change_mw: float | None  # None in round 1


@dataclass(frozen=True)
class CouplingInfo:
    """``coupling``: the loop's rounds, whether it converged, and every round's row."""

    rounds: int
    converged: bool
    tol_mw: float
    caps_year: int
    history: tuple[CouplingRoundRow, ...]


@dataclass(frozen=True)
class AnnualCost:
    """A year's cost (KRW; ``load_shed_mwh`` in MWh): ``annual_cost_krw``'s value for the
    year and annual_cost.csv's row (with the year ahead)."""

    generation_krw: float
    site_build_krw: float
    corridor_expansion_krw: float
    shortfall_penalty_krw: float
    load_shed_krw: float
    load_shed_mwh: float
    total_krw: float


def drop_within(rows: Any) -> Any:
    """The ``calibration`` rows of a document without their ``within`` (a bool, checked:
    :class:`~aifab.grid.CalibrationRow` derives it from its band), so that every site.json
    written with it still reads."""
    if not isinstance(rows, list):
        return rows
    out = []
    for i, r in enumerate(rows):
        if isinstance(r, dict) and "within" in r:
            if not isinstance(r["within"], bool):
                raise FieldError(f"calibration[{i}].within", "expected a bool, got "
                                 f"{type(r['within']).__name__} {r['within']!r}"[:60])
            r = {k: v for k, v in r.items() if k != "within"}
        out.append(r)
    return out
