"""Transmission lines and substations from OSM, and corridors summed from the lines.

Conventions (stated once, used by the regeneration script and the loader alike):
- ``cables`` (PyPSA-Earth's ``circuits`` column) counts conductors of three-phase
  circuits, so circuits = cables / 3 rounded, at least 1 (1 or 2 cables: untagged, taken
  as one circuit; 8 on 765 kV: two circuits plus earth wires).
- A line's rating is circuits x the per-circuit thermal rating of its kind
  (``line_types.csv``, documented estimates).
- A corridor's transfer capacity is ``N1_FACTOR`` x the sum of its lines' ratings.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import pandas as pd

N1_FACTOR = 0.5
"""Operating limit as a share of summed thermal ratings (assumption). Korea plans for the
loss of a double-circuit tower line (both circuits of a 345/765 kV route), so a corridor of
two such routes keeps half its thermal capacity in the contingency; PyPSA-Eur's usual 0.7
(single-circuit N-1) would overstate Korean transfer limits."""


@dataclass(frozen=True)
class LineType:
    """Per-circuit electrical data of one line kind."""

    kind: str
    voltage_kv: float
    thermal_mva_per_circuit: float
    x_ohm_per_km: float
    r_ohm_per_km: float
    connect_mw: float
    source: str


def circuits_from_cables(cables: float) -> int:
    """Three-phase circuits on a line from its OSM cable count (see module docstring)."""
    return max(1, round(cables / 3))


def line_kind(voltage_kv: float, *, dc: bool, underground: bool = False) -> str:
    """Kind of a line: ``dc``, or ``ac154``/``ac345``/``ac765`` (+ ``_cable``).

    145 kV is grouped with 154 kV; 354 kV (an OSM tagging artefact) with 345 kV.
    """
    if dc:
        return "dc"
    base = "ac765" if voltage_kv >= 500 else "ac345" if voltage_kv >= 300 else "ac154"
    return f"{base}_cable" if underground and base != "ac765" else base


def line_x_pu(t: LineType, length_km: float, circuits: int) -> float:
    """Series reactance of a line in per unit on a 100 MVA base at its own voltage
    (parallel circuits in parallel)."""
    z_base = t.voltage_kv ** 2 / 100.0
    return max(length_km, 0.1) * t.x_ohm_per_km / max(circuits, 1) / z_base


def load_line_types(text: str | None = None) -> dict[str, LineType]:
    """Line kinds keyed by name, from ``line_types.csv`` (packaged unless text is given)."""
    if text is None:
        text = (resources.files("aifab.grid") / "data" / "line_types.csv").read_text("utf-8")
    out = {}
    for r in csv.DictReader(io.StringIO(text)):
        out[r["kind"]] = LineType(
            kind=r["kind"], voltage_kv=float(r["voltage_kv"]),
            thermal_mva_per_circuit=float(r["thermal_mva_per_circuit"]),
            x_ohm_per_km=float(r["x_ohm_per_km"]), r_ohm_per_km=float(r["r_ohm_per_km"]),
            connect_mw=float(r["connect_mw"]), source=r["source"])
    return out


def _package_csv(name: str) -> pd.DataFrame:
    text = (resources.files("aifab.grid") / "data" / name).read_text("utf-8")
    return pd.read_csv(io.StringIO(text))


def load_lines() -> pd.DataFrame:
    """The packaged OSM line table (one row per line, with its corridor if inter-regional)."""
    df = _package_csv("lines.csv")
    df["corridor"] = df["corridor"].fillna("")
    return df


def load_substations() -> pd.DataFrame:
    """The packaged substation table (province, voltage, connection limit), keyed by id."""
    return _package_csv("substations.csv").set_index("substation", drop=False)


def corridor_capacity_mw(lines: pd.DataFrame, types: dict[str, LineType] | None = None,
                         factor: float = N1_FACTOR) -> pd.Series:
    """Transfer capacity (MW) of each corridor recomputed from its lines."""
    types = types or load_line_types()
    ac = lines[lines["corridor"] != ""]
    rating = [circuits_from_cables(c) * types[k].thermal_mva_per_circuit
              for c, k in zip(ac["cables"], ac["kind"], strict=True)]
    return (pd.Series(rating, index=ac.index).groupby(ac["corridor"]).sum() * factor).round()
