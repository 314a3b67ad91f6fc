"""The failure model: rates per component class and device family, blast radius per system
layout, repair-time distributions and hands-on hours, from data/reliability.yaml plus the
scenario's ``reliability`` overrides."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from aifab.errors import BadInput
from aifab.scenario import ReliabilitySettings

#: The component classes, in report order.
CLASSES: tuple[str, ...] = ("gpu", "gpu_memory", "gpu_other", "network", "nic", "host",
                            "software")
#: Units a failure can take out of service.
UNITS = ("slot", "rack")


@dataclass(frozen=True)
class Layout:
    """How a pool's accelerators are grouped: allocation slots and racks of slots."""

    kind: str  # "gpu", "server" or "nvl72": the key of blast radius and hands-on hours
    slot_accelerators: int
    slots_per_rack: int


@dataclass(frozen=True)
class RepairDist:
    """Lognormal time out of service (hours): median and shape."""

    median_h: float
    sigma: float

    @property
    def mean_h(self) -> float:
        """Mean of the lognormal (hours)."""
        return self.median_h * math.exp(self.sigma ** 2 / 2)

    def draw_s(self, rng: np.random.Generator) -> float:
        """One repair time in seconds."""
        return float(self.median_h * 3600.0 * math.exp(self.sigma * rng.standard_normal()))


@dataclass(frozen=True)
class Staffing:
    """Shift and ratio figures for the staffing estimate."""

    productive_h_per_shift: float
    shifts_per_day: int
    relief_factor: float
    min_technicians_per_shift: int
    operators_per_facility_mw: float


@dataclass(frozen=True)
class FailureModel:
    """Everything the reliability functions need; build it with ``failure_model()``."""

    rates: dict[str, float]  # reference family, per accelerator-day
    hardware: frozenset[str]
    multipliers: dict[str, dict[str, float]]
    repair: dict[str, RepairDist]
    layouts: dict[str, Layout]
    blast: dict[str, dict[str, tuple[tuple[str, float], ...]]]
    hands_on_h: dict[str, dict[str, float]]
    checkpoint_write_s: float
    restart_s: float
    spares_share: float
    staffing: Staffing
    sources: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    #: Seconds from a failure to its detection, per class (absent: 0).
    detect_s: dict[str, float] = field(default_factory=dict)
    #: Published range of the hardware detection time (s): fastest and slowest regime.
    detect_range_s: tuple[float, float] = (0.0, 0.0)

    #: Heavy-tailed per-slot rates and the exclusion of repeat offenders (see the data).
    lemon_share: float = 0.0
    lemon_multiplier: float = 1.0
    exclude_after: int = 0  # hardware failures within exclude_window_h; 0: never
    exclude_window_h: float = 0.0
    replace_h: float = 0.0

    def detect_for(self, cls: str) -> float:
        """Seconds a ``cls`` failure leaves its gang hung before it is stopped."""
        return self.detect_s.get(cls, 0.0)

    def with_hardware_detect(self, seconds: float) -> FailureModel:
        """The same model with every hardware class detected after ``seconds``."""
        return replace(self, detect_s={**self.detect_s,
                                       **dict.fromkeys(sorted(self.hardware), float(seconds))})

    def class_rates(self, family: str = "hopper") -> dict[str, float]:
        """Interruptions per accelerator-day by class for a device family."""
        if not self.enabled:
            return dict.fromkeys(CLASSES, 0.0)
        mult = self.multipliers.get(family, {})
        return {c: self.rates[c] * mult.get(c, 1.0) for c in CLASSES}

    def total_rate(self, family: str = "hopper", *, hardware_only: bool = False) -> float:
        """Sum of the class rates (per accelerator-day)."""
        return sum(r for c, r in self.class_rates(family).items()
                   if not hardware_only or c in self.hardware)

    def blast_units(self, layout: str, cls: str) -> tuple[tuple[str, float], ...]:
        """(unit, probability) pairs of what a ``cls`` failure takes out in ``layout``."""
        table = self.blast[layout]
        return table.get(cls, table["default"])

    def scaled(self, factor: float) -> FailureModel:
        """The same model with every rate multiplied by ``factor`` (for tests and studies)."""
        return replace(self, rates={c: r * factor for c, r in self.rates.items()})

    def layout_for(self, form: str, accelerators_per_system: int) -> Layout:
        """The layout of a catalogue system: 8-GPU servers, NVL72-like racks, single GPUs."""
        if form == "rack":
            tray = self.layouts["nvl72"].slot_accelerators
            return Layout("nvl72", tray, max(1, accelerators_per_system // tray))
        if accelerators_per_system <= 1:
            return self.layouts["gpu"]
        return Layout("server", accelerators_per_system, self.layouts["server"].slots_per_rack)


def family_of(accelerator_id: str, kind: str = "gpu") -> str:
    """The device family of a catalogue accelerator (perf's families); kind for others."""
    from aifab.perf import device_table

    meta = device_table().get(accelerator_id)
    return meta.family if meta is not None else kind


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    text = (resources.files("aifab.reliability") / "data" / "reliability.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def _detect_s(cls: dict[str, Any], det: dict[str, Any]) -> float:
    """Detection time of a class: the hardware figure, or for software the mean over its
    causes (by count) of the watchdog's hang time and the crash time."""
    if cls["hardware"]:
        return float(det["hardware_s"])
    causes = {str(k): float(v) for k, v in cls["causes"].items()}
    hang = set(det["hang_causes"])
    total = sum(causes.values())
    return sum(n * float(det["software_hang_s" if c in hang else "software_crash_s"])
               for c, n in causes.items()) / total


def packaged_data() -> dict[str, Any]:
    """The packaged data file as a dictionary (read-only use)."""
    return _raw()


def failure_model(settings: ReliabilitySettings | None = None) -> FailureModel:
    """The packaged failure model with ``settings`` (a scenario's section) applied."""
    d = _raw()
    s = settings or ReliabilitySettings()
    ref = d["reference"]
    exposure = float(ref["accelerators"]) * float(ref["days"])
    rates = {c: float(d["classes"][c]["count"]) / exposure for c in CLASSES}
    rates.update({c: float(v) for c, v in s.rates_per_accelerator_day.items()})
    if s.failure_scale != 1.0:
        rates = {c: r * s.failure_scale for c, r in rates.items()}
    mult = {f: {c: float(v) for c, v in e["multipliers"].items()}
            for f, e in d["families"].items()}
    for fam, table in s.family_multipliers.items():
        mult[fam] = {**mult.get(fam, {}), **table}
    repair = {c: RepairDist(float(e["median_h"]), float(e["sigma"]))
              for c, e in d["repair"].items()}
    for c, med in s.repair_median_h.items():
        repair[c] = RepairDist(float(med), repair[c].sigma)
    layouts = {k: Layout(k, int(v["slot_accelerators"]), int(v["slots_per_rack"]))
               for k, v in d["layouts"].items()}
    blast = {lay: {k: tuple((str(u), float(p)) for u, p in v)
                   for k, v in e.items() if k != "source"} for lay, e in d["blast"].items()}
    for lay, by_cls in blast.items():
        for cls, units in by_cls.items():
            if abs(sum(p for _, p in units) - 1.0) > 1e-9 or any(u not in UNITS for u, _ in units):
                raise BadInput("probabilities must sum to 1 over slot/rack units",
                               source="reliability.yaml", where=f"blast.{lay}.{cls}")
    hands = {lay: {c: float(v) for c, v in e.items()}
             for lay, e in d["hands_on_h"].items() if lay != "source"}
    st = d["staffing"]
    ck = d["checkpoint"]
    sources = {f"classes.{c}": d["classes"][c]["source"] for c in CLASSES}
    sources.update({f"families.{f}": e["source"] for f, e in d["families"].items()})
    sources.update({f"repair.{c}": e["source"] for c, e in d["repair"].items()})
    det, lem = d["detect"], d["lemons"]
    sources["lemons"] = lem["source"]
    detect = {c: _detect_s(d["classes"][c], det) for c in CLASSES}
    detect.update({c: float(v) for c, v in s.detect_s.items()})
    sources.update({"checkpoint": ck["source"], "spares": d["spares"]["source"],
                    "detect": det["source"],
                    "hands_on_h": d["hands_on_h"]["source"]})
    sources.update({f"staffing.{k}": v for k, v in st["sources"].items()})
    sources.update({f"blast.{k}": v["source"] for k, v in d["blast"].items()})
    for c in s.rates_per_accelerator_day:
        sources[f"classes.{c}"] = "scenario reliability.rates_per_accelerator_day"
    if s.failure_scale != 1.0:
        sources["failure_scale"] = f"scenario reliability.failure_scale = {s.failure_scale:g}"
    return FailureModel(
        rates=rates, hardware=frozenset(c for c in CLASSES if d["classes"][c]["hardware"]),
        multipliers=mult, repair=repair, layouts=layouts, blast=blast, hands_on_h=hands,
        checkpoint_write_s=float(s.checkpoint_write_s or ck["write_s"]),
        restart_s=float(ck["restart_s"] if s.restart_s is None else s.restart_s),
        spares_share=float(d["spares"]["share"] if s.spares_share is None else s.spares_share),
        staffing=Staffing(float(st["productive_h_per_shift"]), int(st["shifts_per_day"]),
                          float(st["relief_factor"]), int(st["min_technicians_per_shift"]),
                          float(st["operators_per_facility_mw"])),
        sources=sources, enabled=s.enabled, detect_s=detect,
        detect_range_s=(float(det["hardware_range_s"][0]), float(det["hardware_range_s"][1])),
        lemon_share=float(lem["share"] if s.lemon_share is None else s.lemon_share),
        lemon_multiplier=float(lem["multiplier"] if s.lemon_multiplier is None
                               else s.lemon_multiplier),
        exclude_after=int(lem["exclude_after"] if s.exclude_after is None else s.exclude_after),
        exclude_window_h=float(lem["window_h"]), replace_h=float(lem["replace_h"]))


def train_failure_model(checkpoint_write_s: float | None, restart_s: float | None,
                        checkpoint_interval_h: float | None,
                        failure_scale: float = 1.0) -> FailureModel:
    """The failure model of ``perf train``'s flags; a bad value raises ``BadInput``
    naming its flag (exit 2)."""
    for flag, v in (("--checkpoint-write-s", checkpoint_write_s),
                    ("--checkpoint-interval-h", checkpoint_interval_h)):
        if v is not None and not v > 0:
            raise BadInput(f"must be positive, got {v}", where=flag)
    if restart_s is not None and not restart_s >= 0:
        raise BadInput(f"must not be negative, got {restart_s}", where="--restart-s")
    if not 0 <= failure_scale <= 1000:
        raise BadInput(f"must be in [0, 1000], got {failure_scale}", where="--failure-scale")
    return failure_model(ReliabilitySettings(checkpoint_write_s=checkpoint_write_s,
                                             restart_s=restart_s, failure_scale=failure_scale))
