"""The sweep's own document as data: :class:`SweepDocument`, a frozen tree whose
``to_dict()`` is the only schema of ``aifab sweep --json`` and of ``sweep.json`` (the
records are :class:`~aifab.sweep.VariantRecord`'s). Built by ``SweepResult.document()``
(and, for a quota sweep, with its ``designs``); read back by :func:`aifab.sweep.read_sweep`.

The spec is :class:`SpecDoc` (``SweepSpec``'s own dump, as pydantic writes it); a
sensitivity entry is :class:`SobolIndices`, :class:`TornadoSwing` or
:class:`SpearmanRho`, read by the sensitivity's ``method``; a parameter's value (a design's,
a tornado's end, a spec's ``values``) is a :data:`ParamValue`, the scalars a spec allows.
Mappings are keyed by what the run names (metrics, parameters, stages).

A module of the lowest layer (it needs only ``aifab._schema``), so that aifab.report names
its type without importing aifab.sweep, which renders through report. Public as
``aifab.sweep.SweepDocument``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aifab._schema import OPTIONAL, FieldError, decode, encode, fields_of, read_block

ParamValue = str | bool | int | float | None
"""A swept parameter's value: the scalars a spec's ``values`` may hold (null included)."""


@dataclass(frozen=True)
class Percentiles:
    """A metric's 5th, 50th and 95th percentiles over the finished variants."""

    p5: float
    p50: float
    p95: float


@dataclass(frozen=True)
class SobolIndices:
    """A parameter's first-order and total Sobol indices with their 95 % half-widths."""

    S1: float
    S1_conf: float
    ST: float
    ST_conf: float


@dataclass(frozen=True)
class TornadoSwing:
    """A parameter's ends one at a time around the base variant, and the metric there
    (NaN, null in the document, where a variant failed)."""

    low: ParamValue
    high: ParamValue
    base_metric: float
    metric_low: float
    metric_high: float
    swing: float


@dataclass(frozen=True)
class SpearmanRho:
    """A parameter's Spearman rank correlation with the metric (NaN where not numeric)."""

    rho: float


SensitivityEntry = SobolIndices | TornadoSwing | SpearmanRho
_ENTRIES: dict[str, type[SobolIndices] | type[TornadoSwing] | type[SpearmanRho] | None] = {
    "sobol": SobolIndices, "tornado": TornadoSwing, "spearman": SpearmanRho, "none": None}


@dataclass(frozen=True)
class Sensitivity:
    """Per metric and parameter, the ``method``'s entry (see ``_sensitivity``; a "none"
    sensitivity, a grid design's, has no metrics)."""

    method: str
    metrics: Mapping[str, Mapping[str, SensitivityEntry]]
    note: str

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Sensitivity:
        """The typed form of ``aifab.sweep``'s computed sensitivity (plain mappings)."""
        entry = _ENTRIES[str(raw["method"])]
        metrics = {m: {p: entry(**v) for p, v in per.items()} if entry is not None else {}
                   for m, per in raw["metrics"].items()}
        return cls(str(raw["method"]), metrics, str(raw["note"]))


def decode_sensitivity(doc: Any, path: str = "sensitivity") -> Sensitivity:
    """``sensitivity`` read with its ``method``'s entry; FieldError naming the field."""
    if not isinstance(doc, dict):
        raise FieldError(path, "expected an object")
    for k in doc:
        if k not in ("method", "metrics", "note"):
            raise FieldError(f"{path}.{k}", "unknown field")
    for k in ("method", "metrics", "note"):
        if k not in doc:
            raise FieldError(f"{path}.{k}", "missing")
    method = decode(str, doc["method"], f"{path}.method")
    if method not in _ENTRIES:
        raise FieldError(f"{path}.method", f"expected one of {sorted(_ENTRIES)}, "
                         f"got {method!r}"[:120])
    entry = _ENTRIES[method]
    if entry is None:
        if doc["metrics"] != {}:
            raise FieldError(f"{path}.metrics", f"a {method!r} sensitivity has none")
        metrics: Mapping[str, Mapping[str, SensitivityEntry]] = {}
    else:
        metrics = decode(Mapping[str, Mapping[str, entry]], doc["metrics"],  # type: ignore[valid-type]
                         f"{path}.metrics")
    return Sensitivity(method, metrics, decode(str, doc["note"], f"{path}.note"))


@dataclass(frozen=True)
class DistributionDoc:
    """A parameter's distribution as the spec gives it (the fields its kind needs)."""

    kind: str
    low: float | None
    high: float | None
    mode: float | None
    mean: float | None
    sd: float | None


@dataclass(frozen=True)
class ParameterDoc:
    """A swept parameter as the spec gives it: one of ``values``, ``range`` or
    ``distribution`` (the others null)."""

    values: tuple[ParamValue, ...] | None
    range: tuple[float, float] | None
    distribution: DistributionDoc | None
    levels: int | None
    integer: bool
    base: ParamValue


@dataclass(frozen=True)
class DesignDoc:
    kind: str
    samples: int | None
    seed: int
    second_order: bool


@dataclass(frozen=True)
class ResourcesDoc:
    cpus: float
    memory_mb: int


@dataclass(frozen=True)
class SpecDoc:
    """The spec the sweep ran (``SweepSpec``'s dump, its keys in its order). A block a
    spec of an older aifab may lack reads as None."""

    name: str
    description: str | None = field(default=None, metadata=OPTIONAL)
    scenario: str | None = field(default=None, metadata=OPTIONAL)
    set: tuple[str, ...] | None = field(default=None, metadata=OPTIONAL)
    catalog: tuple[str, ...] | None = field(default=None, metadata=OPTIONAL)
    stages: tuple[str, ...] | None = field(default=None, metadata=OPTIONAL)
    options: Mapping[str, Mapping[str, Any]] | None = field(default=None, metadata=OPTIONAL)
    parameters: Mapping[str, ParameterDoc] | None = field(default=None, metadata=OPTIONAL)
    design: DesignDoc | None = field(default=None, metadata=OPTIONAL)
    metrics: Mapping[str, str] | None = field(default=None, metadata=OPTIONAL)
    resources: ResourcesDoc | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class ErrorCount:
    """A failure's one-line error and how many variants failed with it."""

    error: str
    variants: int


@dataclass(frozen=True)
class Spread:
    """A metric's mean, minimum and maximum over a design's finished variants."""

    mean: float
    min: float
    max: float


@dataclass(frozen=True)
class DesignRow:
    """A design: its parameters' values, its variants, those done, each metric's spread."""

    params: Mapping[str, ParamValue]
    variants: int
    done: int
    metrics: Mapping[str, Spread]


@dataclass(frozen=True)
class Designs:
    """A quota sweep's designs: grouped by every non-seed parameter, over the seeds."""

    group_by: tuple[str, ...]
    over: tuple[str, ...]
    rows: tuple[DesignRow, ...]


@dataclass(frozen=True, kw_only=True)
class SweepDocument:
    """``aifab sweep --json`` (and ``sweep.json``): counts, summary, sensitivity, the most
    frequent errors, timings, the spec and (quota sweeps) the designs. Every sweep this
    aifab writes has every block but ``designs``; the counts and ``wall_s`` are all that a
    sweep.json of an older aifab is sure to hold, so the rest reads as None there."""

    command: str | None = field(default=None, metadata=OPTIONAL)
    name: str | None = field(default=None, metadata=OPTIONAL)
    design: str | None = field(default=None, metadata=OPTIONAL)
    variants: int
    done: int
    failed: int
    ran: int | None = field(default=None, metadata=OPTIONAL)
    reused: int | None = field(default=None, metadata=OPTIONAL)
    summary: Mapping[str, Percentiles] | None = field(default=None, metadata=OPTIONAL)
    sensitivity: Sensitivity | None = field(default=None, metadata=OPTIONAL)
    errors: tuple[ErrorCount, ...] | None = field(default=None, metadata=OPTIONAL)
    wall_s: float
    variant_wall_s: float | None = field(default=None, metadata=OPTIONAL)
    variant_cpu_s: float | None = field(default=None, metadata=OPTIONAL)
    spec: SpecDoc | None = field(default=None, metadata=OPTIONAL)
    designs: Designs | None = field(default=None, metadata=OPTIONAL)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` body (without ``schema_version``): the only schema of it."""
        out: dict[str, Any] = encode(self, nulls=True)
        return out

    @classmethod
    def from_dict(cls, doc: Any, source: str = "sweep result") -> SweepDocument:
        """A document read back (``schema_version`` allowed); exit 2 naming ``source`` and
        the field when one is missing, unknown or mistyped."""
        sens: list[Any] = []  # read by its method
        res = read_block(cls, doc, source, lambda body: _aside(body, sens))
        if not sens:
            return res
        with fields_of(source):
            return replace(res, sensitivity=decode_sensitivity(sens[0]))

    @property
    def description(self) -> str:
        """The spec's description ("" where none is stored)."""
        return (self.spec.description or "") if self.spec is not None else ""


def _aside(body: dict[str, Any], sens: list[Any]) -> dict[str, Any]:
    if body.get("sensitivity") is not None:
        sens.append(body.pop("sensitivity"))
    return body
