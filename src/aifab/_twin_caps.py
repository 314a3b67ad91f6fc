"""The facility MW per owner a twin ran under, one type for the site result and the
combined report (:class:`TwinPowerCaps`, public as ``aifab.grid.TwinPowerCaps``). It lives
in the lowest layer so that ``aifab.report`` reads its headline document without importing
``aifab.grid`` at import time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TwinPowerCaps:
    """``twin_power_caps`` of a site result and of a combined report's headline: the
    facility MW per owner the twin ran under (the siting's, in ``year``)."""

    year: int
    mw: Mapping[str, float]
