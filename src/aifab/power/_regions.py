"""Regional electricity consumption to compare a fleet's annual energy with."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from aifab.errors import BadInput
from aifab.scenario import Region, Scenario


@lru_cache(maxsize=1)
def packaged_regions() -> dict[str, Region]:
    """Consumption figures shipped with aifab (data/regions.csv), each with a source."""
    text = (resources.files("aifab.power") / "data" / "regions.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return {r["name"]: Region.model_validate(r) for r in rows}


def regions_for(scenario: Scenario) -> list[Region]:
    """The regions a scenario compares with, scenario-defined ones taking precedence."""
    known = {**packaged_regions(), **{r.name: r for r in scenario.regions}}
    out = []
    for i, name in enumerate(scenario.compare_with):
        if name not in known:
            raise BadInput(f"unknown region {name!r} (known: {', '.join(sorted(known))}; "
                           "add it under `regions`)", where=f"compare_with[{i}]")
        out.append(known[name])
    return out
