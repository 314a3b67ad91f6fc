"""Components that own their state: what a checkpoint saves is what each part gives.

Every part of a run that changes as it goes (the run's clock, RNG, job table and event
heap; the fleet; the queues; the services; each meter; the queue policy; an event source
such as the failure model) is :class:`Stateful`: ``state()`` gives its entries of the
checkpoint (JSON values by name, and numpy arrays by name) and ``restore()`` reads them
back. The checkpoint only loops over :func:`parts` (it knows no component's insides), and
components share no entry except an object that several fill in (``meters``).

The layout on disk is the one checkpoints always had (format version 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from aifab.sim.national._curtailck import CurtailSection, curtailer_of
from aifab.sim.national._events import MAX_FIELDS, Payload, registered
from aifab.sim.national._failures import failures_of
from aifab.sim.national._job import SCALARS, Job
from aifab.sim.national._snapshot import Arrays, Snapshot, Stateful

if TYPE_CHECKING:
    from aifab.sim.national._runner import Runner

_INT = {"id", "tenant", "cls", "n", "pool", "preempt", "state", "prio", "seq", "token",
        "miss"}


class Section:
    """A part whose own state is one JSON value (a queue policy) or a value and arrays
    (the failure model), saved under ``key``."""

    def __init__(self, key: str, part: Any, arrays: bool) -> None:
        self.key, self.part, self.arrays = key, part, arrays

    def state(self) -> Snapshot:
        got = self.part.state()
        doc, arrays = got if self.arrays else (got, {})
        return {self.key: doc}, dict(arrays)

    def restore(self, state: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]],
                jobs: Mapping[int, Job]) -> None:
        if self.arrays:
            self.part.restore(state[self.key], arrays)
        else:
            self.part.restore(state[self.key])


class RunCore:
    """The run's own state: clock, RNG, counters, the job table and the event heap (a
    payload is stored as ``ev.code``, the number of its ints, and ``ev.p0``..``ev.p2``;
    it comes back as its kind's payload type, :mod:`._events`)."""

    def __init__(self, run: Runner) -> None:
        self.run = run

    def state(self) -> Snapshot:
        run = self.run
        arrays = job_arrays(list(run.ops.jobs.values()))
        heap = run.events.entries()
        arrays["ev.t"] = np.array([e[0] for e in heap], dtype=np.float64)
        arrays["ev.kind"] = np.array([e[1] for e in heap], dtype=np.int64)
        arrays["ev.seq"] = np.array([e[2] for e in heap], dtype=np.int64)
        rows = [_fields(e[3]) for e in heap]
        codes = np.array(rows, dtype=np.int64).reshape(len(rows), 1 + MAX_FIELDS)
        arrays["ev.code"] = codes[:, 0]
        arrays.update({f"ev.p{i}": codes[:, 1 + i] for i in range(MAX_FIELDS)})
        return {"now": run.ops.now, "sliced_to": run.sliced_to, "next_id": run.next_id,
                "n_events": run.n_events, "finished": run.finished, "seq": run.events.seq,
                "rng": run.rng.bit_generator.state}, arrays

    def restore(self, state: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]],
                jobs: Mapping[int, Job]) -> None:
        run = self.run
        run.ops.jobs = dict(jobs)
        types = {int(k): k.payload for k in registered().values()}
        cols = ("t", "kind", "seq", "code", *(f"p{i}" for i in range(MAX_FIELDS)))
        entries = []
        for t, kind, seq, code, *ps in zip(*(arrays[f"ev.{k}"].tolist() for k in cols),
                                           strict=True):
            entries.append((float(t), int(kind), int(seq),
                            _payload(types.get(int(kind)), int(code), ps)))
        run.events.restore(entries, int(state["seq"]))
        run.rng.bit_generator.state = state["rng"]
        run.ops.now, run.sliced_to = float(state["now"]), float(state["sliced_to"])
        run.next_id, run.n_events = int(state["next_id"]), int(state["n_events"])
        run.finished = bool(state["finished"])


def _fields(payload: object) -> tuple[int, ...]:
    """(number of ints, the ints, zeros) of a payload: None, an int or a tuple."""
    ints = () if payload is None else tuple(int(x) for x in payload) \
        if isinstance(payload, tuple) else (int(payload),)  # type: ignore[call-overload]
    if len(ints) > MAX_FIELDS:
        raise ValueError(f"an event payload of {len(ints)} ints (at most {MAX_FIELDS})")
    return (len(ints), *ints, *(0,) * (MAX_FIELDS - len(ints)))


def _payload(typ: Payload, code: int, ps: list[int]) -> object:
    """A payload back from :func:`_fields`, as its kind's type where it has one."""
    if code == 0:
        return None
    if typ is None or typ is int:  # untyped: an int or a plain tuple, as pushed
        return int(ps[0]) if code == 1 else tuple(ps[:code])
    make: Any = typ  # a NamedTuple of ints
    return make(*ps[:code])


def job_arrays(jobs: list[Job]) -> Arrays:
    """The job table as arrays: a column per scalar field, and the placed jobs' domains
    and counts (``job.ndoms`` per placed job, then ``job.doms``/``job.cnt`` flat)."""
    arrays = {f"job.{k}": np.array([float(getattr(j, k)) for j in jobs], dtype=np.float64)
              for k in SCALARS}
    placed = [j for j in jobs if j.doms is not None and j.cnt is not None]
    arrays["job.placed"] = np.array([j.id for j in placed], dtype=np.int64)
    arrays["job.ndoms"] = np.array([len(j.doms) for j in placed if j.doms is not None],
                                   dtype=np.int64)
    arrays["job.doms"] = np.concatenate([j.doms for j in placed if j.doms is not None]
                                        or [np.zeros(0, np.int64)]).astype(np.int64)
    arrays["job.cnt"] = np.concatenate([j.cnt for j in placed if j.cnt is not None]
                                       or [np.zeros(0, np.int64)]).astype(np.int64)
    return arrays


def read_jobs(a: Mapping[str, npt.NDArray[Any]]) -> dict[int, Job]:
    """The job table back from :func:`job_arrays`."""
    jobs: dict[int, Job] = {}
    cols = {k: a[f"job.{k}"] for k in SCALARS}
    for r in range(len(cols["id"])):
        j = Job.__new__(Job)
        for k in SCALARS:
            v = float(cols[k][r])
            setattr(j, k, int(v) if k in _INT else bool(v) if k == "borrowed" else v)
        j.doms = j.cnt = None
        jobs[j.id] = j
    off = 0
    for jid, nd in zip(a["job.placed"].tolist(), a["job.ndoms"].tolist(), strict=True):
        jobs[jid].doms = a["job.doms"][off:off + nd].copy()
        jobs[jid].cnt = a["job.cnt"][off:off + nd].copy()
        off += nd
    return jobs


def parts(run: Runner) -> list[Stateful]:
    """Every stateful part of ``run``, in the order a checkpoint restores them."""
    out: list[Stateful] = [RunCore(run), run.fleet, run.queues, run.services, run.counts,
                           run.integrals, run.series, run.records,
                           Section("policy", run.policy, arrays=False)]
    fails = failures_of(run.bus.observers)
    if fails is not None:
        out.append(Section("failures", fails, arrays=True))
    cur = curtailer_of(run.bus.observers)
    if cur is not None:  # after the fleet: it sets the fleet's curtailment limits
        out.append(CurtailSection(cur, run.fleet))
    return out


def collect(run: Runner) -> Snapshot:
    """The whole checkpoint of ``run``."""
    return merge(parts(run))


def merge(parts: Iterable[Stateful]) -> Snapshot:
    """Every part's entries merged (an object that several parts fill in, such as
    ``meters``, gets each part's keys); two parts giving one entry is an error."""
    state: dict[str, Any] = {}
    arrays: Arrays = {}
    for part in parts:
        doc, arr = part.state()
        for k, v in doc.items():
            if k in state and isinstance(v, dict) and isinstance(state[k], dict) \
                    and not set(v) & set(state[k]):
                state[k] = {**state[k], **v}
            elif k in state:
                raise ValueError(f"checkpoint entry {k!r} is given by two parts")
            else:
                state[k] = v
        if set(arr) & set(arrays):
            raise ValueError(f"checkpoint arrays {sorted(set(arr) & set(arrays))} are "
                             "given by two parts")
        arrays.update(arr)
    return state, arrays


def restore(run: Runner, state: Mapping[str, Any],
            arrays: Mapping[str, npt.NDArray[Any]]) -> None:
    """Rebuild ``run``'s state from a checkpoint (already checked)."""
    jobs = read_jobs(arrays)
    for part in parts(run):
        part.restore(state, arrays, jobs)
