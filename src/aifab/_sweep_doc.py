"""The sweep's own document as data: :class:`SweepDocument`, a frozen tree whose
``to_dict()`` is the only schema of ``aifab sweep --json`` and of ``sweep.json`` (the
records are :class:`~aifab.sweep.VariantRecord`'s). Built by ``SweepResult.document()``
(and, for a quota sweep, with its ``designs``); read back by :func:`aifab.sweep.read_sweep`.

Open mappings where the shape follows the run: the spec (pydantic's own dump of
``SweepSpec``), a sensitivity entry (Sobol indices, a tornado's ends, or a Spearman
coefficient, by ``method``) and a design's parameter values.

A module of the lowest layer (it needs only ``aifab._schema``), so that aifab.report names
its type without importing aifab.sweep, which renders through report. Public as
``aifab.sweep.SweepDocument``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aifab._schema import OPTIONAL, encode, read_block


@dataclass(frozen=True)
class Percentiles:
    """A metric's 5th, 50th and 95th percentiles over the finished variants."""

    p5: float
    p50: float
    p95: float


@dataclass(frozen=True)
class Sensitivity:
    """Per metric and parameter, the ``method``'s figures (see ``_sensitivity``)."""

    method: str
    metrics: Mapping[str, Mapping[str, Mapping[str, Any]]]
    note: str


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
    params: Mapping[str, Any]
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
    spec: Mapping[str, Any] | None = field(default=None, metadata=OPTIONAL)
    designs: Designs | None = field(default=None, metadata=OPTIONAL)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` body (without ``schema_version``): the only schema of it."""
        out: dict[str, Any] = encode(self, nulls=True)
        return out

    @classmethod
    def from_dict(cls, doc: Any, source: str = "sweep result") -> SweepDocument:
        """A document read back (``schema_version`` allowed); exit 2 naming ``source`` and
        the field when one is missing, unknown or mistyped."""
        return read_block(cls, doc, source)
