"""The typed results of ``aifab perf infer``, ``perf train`` and ``perf compare``, for the
commands and the sweep's perf stage alike.

Each report is a frozen block whose ``to_dict()`` is the only schema of its ``--json``
document (None fields are written as null, as the commands always have, except the
optional ``slo_percentile`` flag); :meth:`write` and :func:`read_perf` are the only code
that knows the run folder's file (``perf.json``). The flags a report was computed with
are typed too (:class:`InferInputs`, whose defaults are the command's, and
:class:`TrainInputs`), so a sweep stage describes its run as the equivalent command
would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aifab._io import to_json, versioned, write_text
from aifab._schema import OPTIONAL, encode, read_block
from aifab.errors import BadInput
from aifab.perf._compare import CompareRow
from aifab.perf._disagg import DisaggResult
from aifab.perf._infer import InferenceResult
from aifab.perf._search import SearchResult
from aifab.perf._train import TrainingResult

PERF = "perf.json"


@dataclass(frozen=True)
class InferInputs:
    """The flags of ``perf infer`` (None: not given)."""

    model: str
    device: str
    devices: int | None = None
    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    ep: int | None = None
    spec_tokens: int = 0
    spec_accept: float = 0.0
    precision: str = "fp8"
    batch: int | str = 1
    optimize: str | None = None
    serving: str = "continuous"
    token_budget: int = 8192
    tpot_ms: float | None = None
    ttft_s: float | None = None
    disaggregate: bool = False
    input: int = 2048
    output: int = 128
    pue: float = 1.2
    engine: str = "auto"
    slo_percentile: float | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class TrainInputs:
    """The flags of ``perf train`` (the checkpoint write and restart as used)."""

    model: str
    tokens: float
    device: str
    devices: int
    precision: str
    seq_len: int
    lora: bool
    pue: float
    checkpoint_write_s: float
    restart_s: float
    checkpoint_interval_h: float | None
    failure_scale: float


class _Doc:
    """A report's document, its run folder and its reader (shared by the blocks)."""

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (without ``schema_version``)."""
        out: dict[str, Any] = encode(self, nulls=True)
        return out

    def write(self, folder: Path) -> None:
        """Write ``perf.json`` into ``folder`` (which exists)."""
        write_text(folder / PERF, to_json(versioned(self.to_dict())) + "\n")


@dataclass(frozen=True)
class InferReport(_Doc):
    """``perf infer`` of one configuration."""

    command: str
    inputs: InferInputs
    result: InferenceResult


@dataclass(frozen=True)
class SearchReport(_Doc):
    """``perf infer --batch max`` or ``--optimize``: the search, its best configuration
    (None: none meets the targets) and, with ``--disaggregate``, the best split."""

    command: str
    inputs: InferInputs
    search: SearchResult
    result: InferenceResult | None
    disaggregation: DisaggResult | None


@dataclass(frozen=True)
class TrainReport(_Doc):
    """``perf train``: the training run and its expected failures. ``reliability`` is
    :meth:`aifab.reliability.TrainingReliability.to_dict` (perf sits below reliability,
    so the block is kept as its document here)."""

    command: str
    inputs: TrainInputs
    result: TrainingResult
    reliability: Mapping[str, Any]


@dataclass(frozen=True)
class CompareReport(_Doc):
    """``perf compare``: each device at the shared latency target."""

    command: str
    inputs: Mapping[str, int | float | str | bool | tuple[str, ...] | None]
    rows: tuple[CompareRow, ...]


PerfReport = InferReport | SearchReport | TrainReport | CompareReport


def perf_file(folder: Path) -> Path:
    """A ``perf ... --out`` folder's document (``perf.json``; also where ``perf models``
    and ``perf calibrate`` write theirs)."""
    return folder / PERF


def read_perf(folder: Path) -> PerfReport:
    """The report a ``perf ... --out`` folder holds; exit 2 naming the file (and the
    field) when it is missing, unreadable or mistyped."""
    path = folder / PERF
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"not a perf result ({type(exc).__name__})", source=str(path)) from None
    if not isinstance(doc, dict):
        raise BadInput("not a perf result", source=str(path))
    block: type[PerfReport] = {"perf train": TrainReport, "perf compare": CompareReport}.get(
        str(doc.get("command")), SearchReport if "search" in doc else InferReport)
    return read_block(block, doc, str(path))
