"""Closing the loop between the twin and siting: twin -> site -> twin until consistent.

Round k runs the twin under the power caps of round k-1's siting (round 1: uncapped)
and its hourly limits (curtailment windows, where siting curtails: flexibility offers),
takes its load shape (hour-of-day share of nameplate per owner, ``campus_power``) into
siting (``load_profile``), and reads the facility MW per owner that siting powers in the
caps year. The pair is consistent when no owner's cap moves by more than ``tol_mw``
between two rounds: the twin then ran under exactly (within ``tol_mw``) the caps its own
load shape earns on the grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from aifab.catalog import Catalog
from aifab.scenario import Scenario
from aifab.sim.national._pipeline import SiteConstraints, TwinRequest, run_twin, site_constraints
from aifab.sim.national._result import SimResult

if TYPE_CHECKING:
    from aifab.grid import SitingResult

SiteFn = Callable[[Scenario, pd.DataFrame], "SitingResult"]


@dataclass(frozen=True)
class CouplingRound:
    """One round of the loop: the caps the twin ran under (None in round 1), its load
    shape's mean share of nameplate per owner, its utilisation and mean power (whole
    fleet), the caps siting then gives, curtailment windows on each side, GPUs siting
    leaves unpowered by year, and the largest cap change since the last round (None in
    round 1). ``to_dict``: the ``history`` rows of ``--json``, fields in this order."""

    round: int
    twin_caps_mw: dict[str, float] | None
    mean_share: dict[str, float]
    twin_utilization: float
    twin_mean_power_mw: float
    siting_caps_mw: dict[str, float]
    twin_curtailment_windows: int
    siting_curtailment_windows: int
    gpus_waiting: dict[Any, Any]
    max_cap_change_mw: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Coupling:
    """The last round's siting and twin results and every round's caps and load shape."""

    rounds: int
    converged: bool
    tol_mw: float
    year: int
    history: tuple[CouplingRound, ...]
    siting: SitingResult = field(repr=False)
    sim: SimResult = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"rounds": self.rounds, "converged": self.converged, "tol_mw": self.tol_mw,
                "caps_year": self.year, "history": [h.to_dict() for h in self.history]}


def couple(scenario: Scenario, site: SiteFn, *, catalog: Catalog | None = None,
           rounds: int = 5, tol_mw: float = 1.0, year: int | None = None) -> Coupling:
    """Alternate twin and siting at most ``rounds`` times (see the module docstring).

    ``site(scenario, campus_power)`` sites the scenario with the twin's load shape (its
    ``campus_power`` table), e.g. ``aifab.grid.site(scn, load_profile=
    profile_from_frame(frame))``: the twin does not import the grid package (layers)."""
    owners = [o.name for o in scenario.owners]
    prev: SiteConstraints | None = None
    history: list[CouplingRound] = []
    res: SimResult | None = None
    sres: SitingResult | None = None
    converged = False
    k = 0
    for k in range(1, rounds + 1):
        res = run_twin(TwinRequest(scenario, catalog=catalog, constraints=prev))
        frame = res.frames["campus_power"]
        sres = site(scenario, frame)
        now = site_constraints(sres, owners, year)
        caps, windows = now.caps, now.windows
        change = (max(abs(caps.mw[o] - prev.caps.mw.get(o, 0.0)) for o in owners)
                  if prev is not None else math.inf)
        history.append(CouplingRound(
            round=k, twin_caps_mw=dict(prev.caps.mw) if prev is not None else None,
            mean_share={str(o): float(g["facility_mw"].sum() / g["nameplate_mw"].sum())
                        for o, g in frame.groupby("owner", sort=True)},
            twin_utilization=res.utilization,
            twin_mean_power_mw=res.summary.mean_power_mw / res.scale,
            siting_caps_mw=dict(caps.mw),
            twin_curtailment_windows=flex.windows if (flex := res.summary.flexibility) else 0,
            siting_curtailment_windows=len(windows),
            gpus_waiting=dict(sres.unpowered_gpus_by_year),
            max_cap_change_mw=None if change == math.inf else change))
        if change <= tol_mw:
            converged = True
            break
        prev = now
    assert res is not None and sres is not None
    return Coupling(rounds=k, converged=converged, tol_mw=tol_mw,
                    year=site_constraints(sres, owners, year).caps.year, history=tuple(history),
                    siting=sres, sim=res)
