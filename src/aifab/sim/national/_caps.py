"""Power caps for the twin from an ``aifab site`` result: the result itself
(:func:`caps_from_siting`), or its site.json / ``--json`` output (:func:`caps_from_site`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aifab._io import read_text_file
from aifab.errors import BadInput
from aifab.scenario import Scenario

if TYPE_CHECKING:
    from aifab.grid import SitingResult


@dataclass(frozen=True)
class PowerCaps:
    """Facility MW per owner that siting powers in ``year``."""

    year: int
    mw: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "mw": dict(self.mw)}


def caps_from_siting(result: SitingResult, owners: Iterable[str],
                     year: int | None = None) -> PowerCaps:
    """Caps from a siting result (default: its last year); see :func:`caps_from_doc`."""
    doc = {"placements": result.placements.to_dict(orient="records")}
    y, mw = caps_from_doc(doc, owners, year, "siting result")
    return PowerCaps(y, mw)


def apply_caps(scenario: Scenario, caps: PowerCaps | dict[str, float]) -> Scenario:
    """``scenario`` with each owner's campus capped; caps the scenario sets itself
    (``sim.power_cap_mw``) win."""
    mw = caps.mw if isinstance(caps, PowerCaps) else caps
    sim = scenario.sim.model_copy(update={"power_cap_mw": {**mw, **scenario.sim.power_cap_mw}})
    return scenario.model_copy(update={"sim": sim})


def caps_from_site(path: Path | str, owners: Iterable[str],
                   year: int | None = None) -> tuple[int, dict[str, float]]:
    """Facility MW per owner powered in ``year`` (default: the last year of the result).

    Every owner of the scenario gets a cap: one with no campus that year gets 0 MW (all of
    its accelerators wait for power, or are stranded, per ``sim.power_mode``).
    """
    src = str(path)
    try:
        doc: Any = json.loads(read_text_file(path, "siting result"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"not JSON ({exc.msg}, line {exc.lineno})", source=src) from None
    return caps_from_doc(doc, owners, year, src)


def caps_from_doc(doc: Any, owners: Iterable[str], year: int | None = None,
                  src: str = "siting result") -> tuple[int, dict[str, float]]:
    """As :func:`caps_from_site`, from the result document itself."""
    rows = doc.get("placements") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise BadInput("expected an `aifab site` result with a `placements` list", source=src)
    owners = list(owners)
    mw: dict[tuple[str, int], float] = {}
    for i, r in enumerate(rows):
        try:
            owner, y, v = str(r["owner"]), int(r["year"]), float(r["mw"])
        except (KeyError, TypeError, ValueError):
            raise BadInput("needs owner, year and mw", source=src,
                           where=f"placements[{i}]") from None
        if owner not in owners:
            raise BadInput(f"owner {owner!r} is not in the scenario", source=src,
                           where=f"placements[{i}].owner")
        if v < 0:
            raise BadInput(f"mw must not be negative, got {v}", source=src,
                           where=f"placements[{i}].mw")
        mw[owner, y] = mw.get((owner, y), 0.0) + v
    years = sorted({y for _, y in mw})
    if not years:
        raise BadInput("no placements", source=src)
    if year is None:
        year = years[-1]
    elif year not in years:
        raise BadInput(f"no placements in {year} (years: {', '.join(map(str, years))})",
                       source=src, where="--caps-year")
    return year, {o: mw.get((o, year), 0.0) for o in owners}
