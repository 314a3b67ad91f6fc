"""The calibration base case solved in a second process beside the siting MIP
(``aifab._background``): it has no AI load, so it does not wait for the fleet's solve."""

from __future__ import annotations

from typing import Any

from aifab._background import Background

BESIDE_MIN_HOURS = 192
"""Calibration hours from which the base case runs in a second process (the default run's
192; the short runs of tests stay in one process)."""


def calibration_beside(threads: int, data: Any, cal: dict[str, Any]) -> Background | None:
    """The calibration base case (``calibrate_cached(data, **cal)``) started in a second
    process, or None to solve it in this one: with fewer than two solver threads, when its
    rows are on disk already, or when it is too small to repay starting an interpreter
    (about 3 CPU-s; 192 h clustered: about 10 s of the default run)."""
    from aifab.grid._calibration import calibration_is_cached

    if threads < 2 or cal["hours"] < BESIDE_MIN_HOURS or calibration_is_cached(data, **cal):
        return None
    return Background(_calibrate_quietly, data, **cal)


def _calibrate_quietly(data: Any, **cal: Any) -> Any:
    """``calibrate_cached`` in the second process, PyPSA's warnings silenced there too."""
    from aifab.grid._calibration import calibrate_cached
    from aifab.grid._network import quiet_pypsa

    quiet_pypsa()
    return calibrate_cached(data, **cal)
