"""Readers for Alibaba's openb GPU cluster trace (cluster-trace-gpu-v2023).

Node list: ``sn, cpu_milli, memory_mib, gpu, model``. Pod list: ``name, cpu_milli,
memory_mib, num_gpu, gpu_milli`` and optionally ``gpu_spec, qos, pod_phase,
creation_time, deletion_time, scheduled_time``. Every problem is reported as
:class:`~aifab.errors.BadInput` naming the file, line and column (exit code 2).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aifab._io import check_input_file
from aifab.errors import BadInput

MILLI_PER_GPU = 1000
"""Milli-GPU in one whole GPU."""

NODE_COLUMNS = ("sn", "cpu_milli", "memory_mib", "gpu", "model")
POD_COLUMNS = ("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli")
POD_OPTIONAL = ("gpu_spec", "creation_time", "deletion_time")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OpenbNodes:
    """A node list: one entry per node, resources in milli-CPU, MiB and whole GPUs."""

    source: str
    name: tuple[str, ...]
    cpu_milli: IntArray
    memory_mib: IntArray
    gpu: IntArray
    model: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.name)

    @property
    def models(self) -> tuple[str, ...]:
        """Distinct GPU models, sorted (empty string = CPU-only node)."""
        return tuple(sorted(set(self.model)))

    @property
    def gpu_capacity_milli(self) -> int:
        """Total GPU capacity of the cluster in milli-GPU."""
        return int(self.gpu.sum()) * MILLI_PER_GPU


@dataclass(frozen=True)
class OpenbPods:
    """A pod list. ``gpu_spec`` is '' (any model) or models joined by '|'.

    Times are seconds from the trace start; NaN where the trace has none.
    """

    source: str
    name: tuple[str, ...]
    cpu_milli: IntArray
    memory_mib: IntArray
    num_gpu: IntArray
    gpu_milli: IntArray
    gpu_spec: tuple[str, ...]
    creation_time: FloatArray = field(default_factory=lambda: np.zeros(0))
    deletion_time: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.name)

    @property
    def gpu_demand_milli(self) -> IntArray:
        """GPU demand of each pod: ``num_gpu * gpu_milli``."""
        return self.num_gpu * self.gpu_milli

    @property
    def has_times(self) -> bool:
        """True when every pod has a creation time (needed by ``--timed``)."""
        return len(self.creation_time) == len(self) and bool(
            np.isfinite(self.creation_time).all()
        )

    def take(self, index: npt.ArrayLike) -> OpenbPods:
        """A new pod list with the pods at ``index`` (repeats allowed), in that order."""
        idx = np.asarray(index, dtype=np.int64)
        return OpenbPods(
            source=self.source,
            name=tuple(self.name[i] for i in idx),
            cpu_milli=self.cpu_milli[idx],
            memory_mib=self.memory_mib[idx],
            num_gpu=self.num_gpu[idx],
            gpu_milli=self.gpu_milli[idx],
            gpu_spec=tuple(self.gpu_spec[i] for i in idx),
            creation_time=self.creation_time[idx],
            deletion_time=self.deletion_time[idx],
        )


def _rows(path: Path, required: Iterable[str], what: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a CSV file after checking its header."""
    check_input_file(path, what)
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read ({exc.strerror})", source=str(path)) from exc
    with fh:
        reader = csv.DictReader(fh)
        try:
            header = reader.fieldnames
        except UnicodeDecodeError as exc:
            raise BadInput("not UTF-8 text", source=str(path)) from exc
        if not header:
            raise BadInput(f"empty file, expected a {what} with a header line", source=str(path))
        header = [h.strip() for h in header]
        reader.fieldnames = header
        missing = [c for c in required if c not in header]
        if missing:
            raise BadInput(
                f"missing column {missing[0]!r} (header has: {', '.join(header)})",
                source=str(path),
                where="line 1",
            )
        try:
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise BadInput("more fields than the header", source=str(path),
                                   where=f"line {line}")
                bad = next((k for k, v in row.items() if v and any(
                    ord(ch) < 32 and ch not in "\t" for ch in v)), None)
                if bad is not None:  # a NUL or other control character in a name
                    raise BadInput("control character in a field", source=str(path),
                                   where=f"line {line}: {bad}")
                yield line, row
        except UnicodeDecodeError as exc:
            raise BadInput("not UTF-8 text", source=str(path)) from exc
        except csv.Error as exc:
            raise BadInput(f"malformed CSV ({exc})", source=str(path),
                           where=f"line {reader.line_num}") from exc


#: Largest whole number a trace column may hold (CPU milli-cores or MiB of a node: 10^12
#: is a million times a large server); beyond it the arrays would overflow int64 anyway.
MAX_FIELD = 10**12


def _int(path: Path, line: int, row: dict[str, str], col: str, *, lo: int = 0,
         hi: int = MAX_FIELD) -> int:
    raw = (row.get(col) or "").strip()
    where = f"line {line}, column {col}"
    if raw == "":
        raise BadInput("empty field, expected a number", source=str(path), where=where)
    try:
        val = float(raw)
    except ValueError:
        raise BadInput(f"not a number: {raw!r}", source=str(path), where=where) from None
    if not math.isfinite(val) or val != int(val):
        raise BadInput(f"not a whole number: {raw!r}", source=str(path), where=where)
    ival = int(val)
    if ival < lo:
        what = "negative" if lo == 0 else f"below {lo}"
        raise BadInput(f"{what} value {ival}", source=str(path), where=where)
    if ival > hi:
        raise BadInput(f"value {ival} outside {lo}..{hi}", source=str(path), where=where)
    return ival


def _time(path: Path, line: int, row: dict[str, str], col: str) -> float:
    raw = (row.get(col) or "").strip()
    if raw == "":
        return math.nan
    try:
        val = float(raw)
    except ValueError:
        raise BadInput(f"not a number: {raw!r}", source=str(path),
                       where=f"line {line}, column {col}") from None
    if not math.isfinite(val):
        raise BadInput(f"not a finite time: {raw!r} (leave the field empty if unknown)",
                       source=str(path), where=f"line {line}, column {col}")
    if val < 0:
        raise BadInput(f"negative time {raw}", source=str(path),
                       where=f"line {line}, column {col}")
    return val


def read_openb_nodes(path: Path | str) -> OpenbNodes:
    """Read and validate an openb node list (``openb_node_list_*.csv``)."""
    p = Path(path)
    names: list[str] = []
    cpu: list[int] = []
    mem: list[int] = []
    gpu: list[int] = []
    model: list[str] = []
    for line, row in _rows(p, NODE_COLUMNS, "node list CSV"):
        names.append((row["sn"] or "").strip() or f"node-{line - 1}")
        cpu.append(_int(p, line, row, "cpu_milli"))
        mem.append(_int(p, line, row, "memory_mib"))
        n = _int(p, line, row, "gpu", hi=64)
        gpu.append(n)
        m = (row["model"] or "").strip()
        if n > 0 and not m:
            raise BadInput("node has GPUs but no GPU model", source=str(p),
                           where=f"line {line}, column model")
        model.append(m if n > 0 else "")
    if not names:
        raise BadInput("no nodes in file", source=str(p))
    if not any(gpu):
        raise BadInput("no node has a GPU (column gpu is 0 on every line)", source=str(p))
    return OpenbNodes(str(p), tuple(names), np.array(cpu, dtype=np.int64),
                      np.array(mem, dtype=np.int64), np.array(gpu, dtype=np.int64),
                      tuple(model))


def read_openb_pods(path: Path | str, known_models: Iterable[str] | None = None) -> OpenbPods:
    """Read and validate an openb pod list (``openb_pod_list_*.csv``).

    ``known_models``: GPU models of the cluster; a ``gpu_spec`` naming another model is an
    error (a typo would otherwise silently make the pod unschedulable).
    """
    p = Path(path)
    known = None if known_models is None else {m for m in known_models if m}
    names: list[str] = []
    cpu: list[int] = []
    mem: list[int] = []
    ngpu: list[int] = []
    milli: list[int] = []
    spec: list[str] = []
    created: list[float] = []
    deleted: list[float] = []
    for line, row in _rows(p, POD_COLUMNS, "pod list CSV"):
        names.append((row["name"] or "").strip() or f"pod-{line - 1}")
        cpu.append(_int(p, line, row, "cpu_milli"))
        mem.append(_int(p, line, row, "memory_mib"))
        n = _int(p, line, row, "num_gpu", hi=64)
        m = _int(p, line, row, "gpu_milli", hi=MILLI_PER_GPU)
        where = f"line {line}, column gpu_milli"
        if n > 0 and m == 0:
            raise BadInput(f"num_gpu is {n} but gpu_milli is 0", source=str(p), where=where)
        if n == 0 and m > 0:
            raise BadInput(f"gpu_milli is {m} but num_gpu is 0", source=str(p), where=where)
        if n > 1 and m < MILLI_PER_GPU:
            raise BadInput(f"a pod with {n} GPUs must take whole GPUs (gpu_milli 1000), got {m}",
                           source=str(p), where=where)
        ngpu.append(n)
        milli.append(m)
        s = (row.get("gpu_spec") or "").strip()
        models = [x.strip() for x in s.split("|") if x.strip()]
        if known is not None:
            for x in models:
                if x not in known:
                    raise BadInput(f"unknown GPU model {x!r} in gpu_spec (cluster has: "
                                   f"{', '.join(sorted(known))})", source=str(p),
                                   where=f"line {line}, column gpu_spec")
        spec.append("|".join(models))
        created.append(_time(p, line, row, "creation_time"))
        deleted.append(_time(p, line, row, "deletion_time"))
        if deleted[-1] < created[-1]:
            raise BadInput(f"deletion_time {deleted[-1]:g} is before creation_time "
                           f"{created[-1]:g}", source=str(p), where=f"line {line}, "
                           "column deletion_time")
    if not names:
        raise BadInput("no pods in file", source=str(p))
    return OpenbPods(str(p), tuple(names), np.array(cpu, dtype=np.int64),
                     np.array(mem, dtype=np.int64), np.array(ngpu, dtype=np.int64),
                     np.array(milli, dtype=np.int64), tuple(spec),
                     np.array(created, dtype=np.float64), np.array(deleted, dtype=np.float64))


def inflate_pods(pods: OpenbPods, capacity_milli: int, ratio: float,
                 rng: np.random.Generator) -> OpenbPods:
    """The FGD paper's workload tuning: grow the list to ``ratio`` x GPU capacity, shuffled.

    Copies of uniformly drawn pods (with replacement) are appended until the next copy would
    push total GPU demand past ``ratio * capacity_milli``; then the whole list is shuffled.
    With ``ratio <= 0`` or a trace already past the target, only the shuffle is applied.
    """
    demand = pods.gpu_demand_milli
    n = len(pods)
    extra: list[int] = []
    if ratio > 0 and int(demand.sum()) < ratio * capacity_milli and int(demand.max()) > 0:
        target = ratio * capacity_milli
        total = int(demand.sum())
        # draw in blocks to keep the Python loop short
        while True:
            block = rng.integers(0, n, size=1024)
            stop = False
            for i in block:
                d = int(demand[i])
                if total + d > target:
                    stop = True
                    break
                total += d
                extra.append(int(i))
            if stop:
                break
    index = np.concatenate([np.arange(n, dtype=np.int64), np.array(extra, dtype=np.int64)])
    rng.shuffle(index)
    return pods.take(index)
