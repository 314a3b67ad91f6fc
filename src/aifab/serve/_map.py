"""The Map page's one link to the siting map: read a ``site --out`` folder, draw it with
the report's map (``aifab.report._grid.siting_map``)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from aifab.errors import BadInput
from aifab.serve._paths import safe_path


def load_siting(site_dir: Path) -> Any:
    """A ``SitingResult`` rebuilt from ``site.json`` (and the packaged grid coordinates)."""
    from aifab.grid import SitingResult, load_grid_data

    try:
        doc = json.loads(safe_path(site_dir, "site.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read site.json ({exc})", source=str(site_dir)) from None
    # The grid package's own coordinates (regions and where campuses are drawn).
    from aifab.grid import site_coordinates as _geo

    geo = _geo(load_grid_data())
    corridors = pd.DataFrame(doc["corridors"])
    corridors["built_year"] = pd.Series(
        [None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)
         for v in corridors.get("built_year", [None] * len(corridors))], dtype=object)
    cost = pd.DataFrame([{"year": int(y), **v} for y, v in doc.get("annual_cost_krw", {}).items()])
    kwargs: dict[str, Any] = dict(
        status=doc["status"], termination=doc.get("termination", ""),
        objective_krw=float(doc.get("objective_krw", 0.0)), mip_gap=float(doc.get("mip_gap", 0)),
        solve_s=float(doc.get("solve_s", 0)), build_s=float(doc.get("build_s", 0)),
        model_size=dict(doc.get("model_size", {})), years=tuple(int(y) for y in doc["years"]),
        time_method=doc.get("time_slices", {}).get("method", ""),
        hours_per_year=int(doc.get("time_slices", {}).get("hours_per_year", 0)),
        placements=pd.DataFrame(doc["placements"],
                                columns=["owner", "site", "region", "year", "mw", "blocks_mw",
                                         "gpus"]),
        unpowered_gpus_by_year={int(k): int(v) for k, v in doc["unpowered_gpus_by_year"].items()},
        unpowered_by_owner=pd.DataFrame(doc.get("unpowered_gpus_by_owner", [])),
        corridors=corridors, regions=pd.DataFrame(), annual_cost=cost,
        co2_mt_by_year={int(k): float(v) for k, v in doc.get("co2_mt", {}).items()},
        expansions_built=dict(doc.get("expansions_built", {})),
        data_files=dict(doc.get("data_files", {})), geo=geo, network=doc.get("network"))
    known = {f.name for f in dataclasses.fields(SitingResult)}
    return SitingResult(**{k: v for k, v in kwargs.items() if k in known and v is not None})


def siting_figure(result: Any, year: int | None = None) -> Any:
    """The siting map of ``result`` in ``year`` (default: every year, with a slider): real
    province boundaries, corridors with a loading colour bar and a capacity legend,
    campuses in their owner's colour (the siting problem's owner order, as everywhere)."""
    from aifab.report import siting_map

    fig = siting_map(result, year)
    fig.update_layout(width=None, autosize=True)
    return fig
