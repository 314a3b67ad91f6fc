"""Run a sweep's variants: serially in this process, or as Ray tasks (local or a cluster).

Results stream back as tasks finish and are appended to ``DIR/journal.jsonl`` (one JSON
line per variant, flushed), so a killed sweep resumes with only the missing variants.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from aifab._io import to_json, write_text
from aifab.errors import BadInput
from aifab.sweep._design import DesignPoints, build_design
from aifab.sweep._spec import SweepSpec, spec_from_dict
from aifab.sweep._variant import VariantTask, make_tasks, run_variant

JOURNAL = "journal.jsonl"
SPEC_FILE = "spec.json"
Progress = Callable[[int, int], None]


def read_journal(state_dir: Path) -> dict[str, dict[str, Any]]:
    """Records already in ``state_dir``'s journal, by hash (a torn last line is ignored)."""
    path = state_dir / JOURNAL
    out: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("hash"), str):
                out[rec["hash"]] = rec
    return out


def load_state_spec(state_dir: Path) -> SweepSpec:
    """The spec a sweep in ``state_dir`` was started with (for ``--resume``)."""
    path = state_dir / SPEC_FILE
    if not path.is_file():
        raise BadInput(f"no {SPEC_FILE}: not a sweep output directory", source=str(state_dir),
                       where="--resume")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInput(f"cannot read ({exc})", source=str(path)) from None
    return spec_from_dict(doc, str(path))


def _serial(tasks: Iterable[VariantTask]) -> Iterator[dict[str, Any]]:
    for t in tasks:
        yield run_variant(t)


def check_address(address: str, timeout_s: float = 3.0) -> None:
    """Fail fast (BadInput) when a ``host:port`` or ``ray://host:port`` address does not
    answer: Ray itself retries a dead address for minutes."""
    import socket

    if address == "auto" or address.startswith("local"):
        return
    hostport = address.split("://", 1)[-1].rsplit("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise BadInput(f"expected auto, HOST:PORT or ray://HOST:PORT, got {address!r}",
                       where="--address")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise BadInput(f"cannot reach a Ray cluster at {address} ({exc.strerror or exc})",
                       where="--address") from None


def _ray(tasks: list[VariantTask], spec: SweepSpec, workers: int | None,
         address: str | None) -> Iterator[dict[str, Any]]:
    """Run tasks on Ray, yielding records as they finish (in completion order)."""
    import ray

    started = False
    if not ray.is_initialized():
        kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "logging_level": logging.ERROR}
        try:
            if address:
                check_address(address)
                ray.init(address=address, **kw)
            else:
                ray.init(num_cpus=workers or os.cpu_count() or 1,
                         object_store_memory=200 * 2**20, **kw)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise BadInput(f"cannot start or reach Ray ({' '.join(str(exc).split())[:200]})",
                           where="--address" if address else "--workers") from None
        started = True
    remote = ray.remote(run_variant).options(
        num_cpus=spec.resources.cpus, memory=spec.resources.memory_mb * 2**20, max_retries=0)
    if started and not address:
        limit = 4 * (workers or os.cpu_count() or 1)
    elif workers:
        limit = workers
    else:
        cpus = float(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        limit = max(1, int(2 * cpus / spec.resources.cpus))
    queue = iter(tasks)
    pending: list[Any] = []
    try:
        for t in queue:
            pending.append(remote.remote(t))
            if len(pending) >= limit:
                break
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield ray.get(ref)
            for t in queue:
                pending.append(remote.remote(t))
                if len(pending) >= limit:
                    break
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


def execute(spec: SweepSpec, *, workers: int | None = None, address: str | None = None,
            state_dir: Path | None = None, retry_failed: bool = False,
            progress: Progress | None = None,
            ) -> tuple[DesignPoints, list[dict[str, Any]], int, float]:
    """Run every variant not already recorded in ``state_dir``'s journal.

    ``workers=0`` runs serially in this process (no Ray). Returns the design, the records in
    design order, the number of variants run now and the wall time (s).
    """
    t0 = time.perf_counter()
    if workers is not None and workers < 0:
        raise BadInput(f"must be >= 0, got {workers}", where="--workers")
    if workers == 0 and address:
        raise BadInput("--workers 0 runs in this process; it takes no --address",
                       where="--address")
    if address:
        check_address(address)
    design = build_design(spec)
    tasks = make_tasks(spec, design.variants)
    known: dict[str, dict[str, Any]] = {}
    journal = None
    if state_dir is not None:
        known = read_journal(state_dir)
        if retry_failed:
            known = {h: r for h, r in known.items() if r.get("status") == "ok"}
        try:
            write_text(state_dir / SPEC_FILE, to_json(spec.model_dump(mode="json")))
            journal = (state_dir / JOURNAL).open("a", encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write output directory ({exc.strerror})",
                           source=str(state_dir)) from None
    by_id: dict[int, dict[str, Any]] = {}
    todo = []
    for t in tasks:
        if t.hash in known:
            by_id[t.id] = {**known[t.hash], "id": t.id, "params": t.params}
        else:
            todo.append(t)
    total = len(tasks)
    if progress is not None:
        progress(len(by_id), total)
    try:
        stream = _serial(todo) if workers == 0 or not todo else _ray(todo, spec, workers,
                                                                        address)
        for rec in stream:
            by_id[rec["id"]] = rec
            if journal is not None:
                journal.write(json.dumps(rec, default=str) + "\n")
                journal.flush()
            if progress is not None:
                progress(len(by_id), total)
    finally:
        if journal is not None:
            journal.close()
    records = [by_id[i] for i in range(total)]
    return design, records, len(todo), time.perf_counter() - t0
