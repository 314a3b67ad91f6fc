"""The twin's load shape: each campus's (owner's) facility power at every sample.

Read from the time-series meter (``TimeSeries.campus_rows``: the fleet's campus draw at
each ``sample_h`` instant, the same instants and the same power model, ``aifab.power``,
as the ``timeseries`` table's ``power_mw``), so the campuses sum to ``power_mw`` exactly.
``aifab simulate --out DIR`` writes it (:data:`._runfolder.LOAD_SHAPE`); ``aifab site
--load-profile DIR`` reads it (:func:`aifab.grid.read_load_profile`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from aifab.sim.national._protocol import RunView

CAMPUS_POWER_COLUMNS = ("hour", "owner", "facility_mw", "it_mw", "nameplate_mw")


def campus_power_frame(run: RunView) -> pd.DataFrame:
    """One row per sample and campus: ``hour`` (the timeseries' ``t_h``: hours since the
    run began, warm-up included, so ``hour`` mod 24 is the hour of day), ``owner``,
    ``facility_mw`` (the campus's draw, simulated fleet: divide by ``sim.scale`` for the
    whole fleet), ``it_mw``
    (facility / the scenario's PUE) and ``nameplate_mw`` (the campus's facility MW at
    nameplate, every accelerator at full system power: ``fleet.nameplate_mw`` x
    ``sim.scale`` summed over campuses; busy accelerators draw ``facility.load_factor``
    of it). ``facility_mw / nameplate_mw`` is what siting's flat load factor assumes."""
    tw = run.twin
    times = [r[0] for r in run.series.rows]
    plate = [sum(tw.pools[i].nameplate_kw * (tw.pools[i].accelerators
                                             + tw.pools[i].dark_domains * tw.pools[i].domain_size)
                 for i in cam.pools) / 1000.0 for cam in tw.campuses]
    rows = []
    for t_h, kws in zip(times, run.series.campus_rows, strict=True):
        for cam, kw, mw in zip(tw.campuses, kws, plate, strict=True):
            rows.append((t_h, cam.owner, kw / 1000.0, kw / 1000.0 / tw.pue, mw))
    return pd.DataFrame(rows, columns=list(CAMPUS_POWER_COLUMNS)).astype(
        {"hour": float, "owner": str, "facility_mw": float, "it_mw": float,
         "nameplate_mw": float})
