"""Efficiency factors per device family and per-device metadata (family, capex).

Factors live in data/factors.csv with a ``method`` column saying how each was obtained
(fitted on perf-calibration rows, transferred from a sibling family, or a default).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from aifab.catalog import Accelerator


@dataclass(frozen=True)
class Factors:
    """Efficiency factors for one device family.

    compute_eff: achieved / peak dense FLOPs in inference GEMMs (prefill and decode).
    bw_eff: achieved / peak memory bandwidth in decode.
    mfu_train: model FLOPs utilisation in training (6ND + attention over peak).
    power_floor: share of the idle-to-TDP range drawn when busy but memory-bound.
    moe_eff: share of those roofs that MoE expert (grouped) GEMMs reach.
    """

    family: str
    compute_eff: float
    bw_eff: float
    mfu_train: float
    power_floor: float
    method: str
    note: str = ""
    moe_eff: float = 1.0


@dataclass(frozen=True)
class DeviceMeta:
    """Perf-model metadata for one accelerator id."""

    id: str
    family: str
    capex_usd: float | None
    capex_source: str


def _read(name: str) -> list[dict[str, str]]:
    text = (resources.files("aifab.perf") / "data" / name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def factor_table() -> dict[str, Factors]:
    """Factors by family from data/factors.csv."""
    out: dict[str, Factors] = {}
    for r in _read("factors.csv"):
        out[r["family"]] = Factors(
            family=r["family"], compute_eff=float(r["compute_eff"]), bw_eff=float(r["bw_eff"]),
            mfu_train=float(r["mfu_train"]), power_floor=float(r["power_floor"]),
            method=r["method"], note=r.get("note", ""),
            moe_eff=float(r.get("moe_eff") or 1.0))
    return out


@lru_cache(maxsize=1)
def device_table() -> dict[str, DeviceMeta]:
    """Family and capex per accelerator id from data/devices.csv."""
    return {r["id"]: DeviceMeta(r["id"], r["family"],
                                float(r["capex_usd"]) if r["capex_usd"] else None,
                                r["capex_source"])
            for r in _read("devices.csv")}


def device_meta(acc: Accelerator) -> DeviceMeta:
    """Metadata for ``acc``; user-added devices fall back to a default family, no capex."""
    meta = device_table().get(acc.id)
    if meta is not None:
        return meta
    return DeviceMeta(acc.id, f"default-{acc.kind}", None, "none: user-added device")


def factors_for(acc: Accelerator, override: dict[str, Factors] | None = None) -> Factors:
    """The efficiency factors of ``acc``'s family (``override`` wins, for calibration)."""
    fam = device_meta(acc).family
    if override is not None and fam in override:
        return override[fam]
    table = factor_table()
    return table.get(fam) or table[f"default-{acc.kind}"]


def factors_csv(table: dict[str, Factors]) -> str:
    """data/factors.csv text for ``table``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["family", "compute_eff", "bw_eff", "mfu_train", "power_floor", "method", "note",
                "moe_eff"])
    for f in table.values():
        w.writerow([f.family, f"{f.compute_eff:.3f}", f"{f.bw_eff:.3f}", f"{f.mfu_train:.3f}",
                    f"{f.power_floor:.2f}", f.method, f.note, f"{f.moe_eff:.2f}"])
    return buf.getvalue()
