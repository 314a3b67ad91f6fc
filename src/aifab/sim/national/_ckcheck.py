"""A checkpoint's state checked like any input before a run is rebuilt from it.

The manifest's checksums only say the files are the ones it lists; whoever can rewrite a
file can rewrite the manifest too. So the state is compared with what a fresh run of the
same scenario encodes (:func:`check_state`): the same keys, the same kinds of values, the
same lengths where the fleet fixes them, finite times within the run, no negative counts,
and arrays of the same names, dtypes and shapes. The first problem found is a
:class:`~aifab.errors.BadInput` naming the file and the field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aifab.errors import BadInput

Arrays = dict[str, npt.NDArray[Any]]

_VAR_PREFIX = ("job.", "ev.", "rec.")
"""Arrays as long as the run's jobs, pending events or finished jobs (any length)."""
_VAR_NAMES = {"m.series", "m.campus", "fail.rows"}
"""Row tables: any number of rows, a fixed number of columns."""
_TIMES = ("now", "sliced_to")
_COUNTS = ("next_id", "n_events", "seq")
_COUNTERS = {"meters.counts"}
"""Counters by name: names appear as the run goes (so any key), values whole numbers."""
_NONNEG_ARRAYS = ("pool.", "fleet.talloc", "q.qlen", "job.ndoms", "job.doms", "job.cnt",
                  "m.tenant_s", "m.queue_s", "m.stranded_s", "fail.broken.", "fail.held.")


class _Bad(Exception):
    def __init__(self, field: str, what: str) -> None:
        super().__init__(f"{field}: {what}")


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _kind(v: Any) -> str:
    return "a boolean" if isinstance(v, bool) else "a number" if _num(v) else \
        "text" if isinstance(v, str) else "a list" if isinstance(v, list) else \
        "an object" if isinstance(v, dict) else "null"


def _finite(v: Any, field: str) -> None:
    """A container filled as the run goes: finite numbers, or containers of them; an
    object's entries all of one kind (lists may be tuples such as ``[prio, [ids]]``)."""
    if isinstance(v, float) and not math.isfinite(v):
        raise _Bad(field, f"{v} is not a finite number")
    items = list(v.items()) if isinstance(v, dict) else \
        [(f"[{i}]", x) for i, x in enumerate(v)] if isinstance(v, list) else []
    if not items and not (_num(v) or isinstance(v, (list, dict))):
        raise _Bad(field, f"expected a number, found {_kind(v)}")
    for k, x in items:
        sub = f"{field}{k}" if k.startswith("[") else f"{field}.{k}"
        if isinstance(v, dict) and _kind(x) != _kind(items[0][1]):
            raise _Bad(sub, f"expected {_kind(items[0][1])}, found {_kind(x)}")
        _finite(x, sub)


def _like(v: Any, ref: Any, field: str) -> None:
    """``v`` has the shape of ``ref`` (a fresh run's value at the same place)."""
    if _kind(v) != _kind(ref):
        raise _Bad(field, f"expected {_kind(ref)}, found {_kind(v)}")
    if isinstance(ref, int) and not isinstance(ref, bool) and not isinstance(v, int):
        raise _Bad(field, f"expected a whole number, found {v!r}")
    if isinstance(ref, dict):
        if field in _COUNTERS:  # a key per kind of event seen so far: whole numbers
            for k in ref:
                if k not in v:
                    raise _Bad(f"{field}.{k}", "missing key")
            for k, x in v.items():
                if not isinstance(x, int) or isinstance(x, bool):
                    raise _Bad(f"{field}.{k}", f"expected a whole number, found {x!r}")
            return
        if not ref:  # keys that depend on the run: any, with finite values
            _finite(v, field)
            return
        for k in v:
            if k not in ref:
                raise _Bad(f"{field}.{k}" if field else k, "unknown key")
        for k in ref:
            if k not in v:
                raise _Bad(f"{field}.{k}" if field else k, "missing key")
            _like(v[k], ref[k], f"{field}.{k}" if field else k)
    elif isinstance(ref, list):
        if not ref:  # filled as the run goes: any length, finite values
            _finite(v, field)
            return
        if len(v) != len(ref):
            raise _Bad(field, f"{len(v)} entries, this run has {len(ref)}")
        for i, (x, r) in enumerate(zip(v, ref, strict=True)):
            _like(x, r, f"{field}[{i}]")
    elif _num(v):
        _finite(v, field)


def _nonneg(v: Any, field: str) -> None:
    if _num(v) and v < 0:
        raise _Bad(field, f"{v} is negative")
    for i, x in enumerate(v if isinstance(v, list) else []):
        _nonneg(x, f"{field}[{i}]")
    for k, x in (v.items() if isinstance(v, dict) else ()):
        _nonneg(x, f"{field}.{k}")


def _check_values(state: dict[str, Any], end_s: float) -> None:
    for k in _TIMES:
        if not 0.0 <= state[k] <= end_s:
            raise _Bad(k, f"{state[k]} s is outside the run (0 to {end_s:g} s)")
    m = state["meters"]
    if not 0.0 <= m["last"] <= state["now"]:
        raise _Bad("meters.last", f"{m['last']} s is outside 0 to now ({state['now']} s)")
    if state["sliced_to"] < state["now"]:
        raise _Bad("sliced_to", "before now")
    for k in _COUNTS:
        _nonneg(state[k], k)
    for k in ("counts", "alloc_s", "svc_alloc_s", "energy_kwh"):
        _nonneg(m[k], f"meters.{k}")
    for k in ("alloc_total", "svc_alloc", "free_total", "gen", "starts", "running",
              "borrowed"):
        _nonneg(state["fleet"][k], f"fleet.{k}")
    _nonneg(state["qver"], "qver")
    _nonneg(state["stale"], "stale")
    for i, s in enumerate(state["services"]):
        _nonneg(s["tok"], f"services[{i}].tok")


def _check_arrays(a: Arrays, ref: Arrays, now: float,
                  limits: dict[str, Any]) -> None:
    for k in sorted(set(a) - set(ref)):
        raise _Bad(k, "unknown array")
    for k in sorted(set(ref) - set(a)):
        raise _Bad(k, "missing array")
    lengths: dict[str, tuple[int, str]] = {}
    for k, r in ref.items():
        x = a[k]
        if x.dtype != r.dtype:
            raise _Bad(k, f"dtype {x.dtype}, expected {r.dtype}")
        var = k.startswith(_VAR_PREFIX) or k in _VAR_NAMES
        if x.ndim != r.ndim or (x.shape[1:] if var else x.shape) != (r.shape[1:] if var
                                                                     else r.shape):
            raise _Bad(k, f"shape {x.shape}, expected {('N', *r.shape[1:]) if var else r.shape}")
        group = k.split(".")[0] if k.startswith(_VAR_PREFIX) and k not in (
            "job.placed", "job.ndoms", "job.doms", "job.cnt") else k
        if group in lengths and lengths[group][0] != len(x):
            raise _Bad(k, f"{len(x)} rows, {lengths[group][1]} has {lengths[group][0]}")
        lengths.setdefault(group, (len(x), k))
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise _Bad(k, "holds values that are not finite")
        if k.startswith(_NONNEG_ARRAYS) and x.size and x.min() < 0:
            raise _Bad(k, "holds negative values")
    if a["ev.t"].size and a["ev.t"].min() < now:
        raise _Bad("ev.t", f"an event at {a['ev.t'].min()} s, before now ({now} s)")
    placed, nd = a["job.placed"], a["job.ndoms"]
    if len(placed) != len(nd) or int(nd.sum()) != len(a["job.doms"]) or \
            len(a["job.doms"]) != len(a["job.cnt"]):
        raise _Bad("job.ndoms", "does not match job.placed / job.doms / job.cnt")
    ids = a["job.id"]
    if ids.size and (not np.array_equal(ids, np.round(ids)) or ids.min() < 0
                     or len(set(ids.tolist())) != len(ids)):
        raise _Bad("job.id", "not distinct whole numbers from 0")
    if not set(placed.tolist()) <= set(ids.tolist()):
        raise _Bad("job.placed", "names jobs that are not in job.id")
    for k, hi in limits.items():  # indices into the run's tables (-1: none, for pools)
        if not isinstance(hi, int):
            continue
        x = a[k]
        lo = -1 if k == "job.pool" else 0
        if x.size and (not np.array_equal(x, np.round(x)) or x.min() < lo or x.max() >= hi):
            raise _Bad(k, f"holds values that are not whole numbers from {lo} to {hi - 1}")
    kinds = limits.get("kinds", set())
    if not set(a["ev.kind"].tolist()) <= kinds:
        raise _Bad("ev.kind", f"holds event kinds this run does not have ({sorted(kinds)})")
    if not set(a["ev.code"].tolist()) <= {0, 1, 2, 3}:
        raise _Bad("ev.code", "holds codes other than 0 to 3 (the ints in a payload)")
    pay = limits.get("payloads", {})
    for kind, code in pay.get("codes", {}).items():
        if (a["ev.code"][a["ev.kind"] == kind] != code).any():
            raise _Bad("ev.code", f"an event of kind {kind} without its payload (code {code})")
    for kind, (lo, hi) in pay.get("p0", {}).items():
        p0 = a["ev.p0"][a["ev.kind"] == kind]
        if p0.size and (p0.min() < lo or p0.max() >= hi):
            raise _Bad("ev.p0", f"an event of kind {kind} refers to an index outside "
                       f"{lo} to {hi - 1}")
    if pay.get("repair") is not None:  # (pool, domain, accelerators)
        mine = a["ev.kind"] == pay["repair"]
        for pool, dom, n in zip(*(a[f"ev.p{i}"][mine].tolist() for i in range(3)),
                                strict=True):
            if not 0 <= dom < len(a[f"pool.{pool}"]) or n < 0:
                raise _Bad("ev.p1", f"a repair outside pool {pool}'s domains")
    pool_of = dict(zip(ids.tolist(), a["job.pool"].tolist(), strict=True))
    off = 0
    for jid, n in zip(placed.tolist(), nd.tolist(), strict=True):
        doms, pool = a["job.doms"][off:off + n], int(pool_of[jid])
        off += n
        if pool < 0 or (doms.size and doms.max() >= len(a[f"pool.{pool}"])):
            raise _Bad("job.doms", f"job {jid} placed outside its pool's domains")


def _refs(state: dict[str, Any], ids: set[int], sizes: list[int], free: list[int],
          svc_pools: list[set[int]]) -> None:
    """Job ids in the queues and the fleet's running/borrowed sets name jobs present;
    replicas sit in the run's pools (``sizes``: domains per pool) and each pool's free
    total is the sum of its free array (``free``)."""
    named = [("queues", i) for qs in state["queues"] for q in qs
             for i in (q[1] if isinstance(q, list) and len(q) == 2
                       and isinstance(q[1], list) else [None])]
    named += [(f"fleet.{k}", i) for k in ("running", "borrowed") for r in state["fleet"][k]
              for i in r]
    for field, i in named:
        if not isinstance(i, int) or i not in ids:
            raise _Bad(field, f"names job {i!r}, not in the checkpoint's jobs")
    for n, (svc, usable) in enumerate(zip(state["services"], svc_pools, strict=True)):
        seen: set[int] = set()
        for rep in svc["reps"]:
            pool, doms = (rep if isinstance(rep, list) and len(rep) == 2 else (None, None))
            if not isinstance(pool, int) or pool not in usable - seen or not isinstance(
                    doms, list) or any(not isinstance(d, int) or not 0 <= d < sizes[pool]
                                       for d in doms):
                raise _Bad(f"services[{n}].reps", f"{rep!r} is not one of the service's "
                           "pools (once) and its domains")
            seen.add(pool)
    for i, (ft, size) in enumerate(zip(state["fleet"]["free_total"], free, strict=True)):
        if ft != size:
            raise _Bad(f"fleet.free_total[{i}]", f"{ft}, its pool's free count is {size}")


def check_state(state: Any, arrays: Arrays, ref_state: dict[str, Any], ref_arrays: Arrays,
                end_s: float, limits: dict[str, Any], ck: Path) -> None:
    """Refuse (exit 2) a checkpoint state unlike ``ref_state``/``ref_arrays`` (a fresh
    run's) or outside the run (``end_s``: its horizon), naming the file and field;
    ``limits``: array name -> its values' bound (tenants, classes, pools), and
    ``kinds``: the run's event kinds, ``svc_pools``: each service's usable pools."""
    src = str(ck / "state.json")
    try:
        if not isinstance(state, dict):
            raise _Bad("state", "expected an object")
        _like(state, ref_state, "")
        _check_values(state, end_s)
    except _Bad as exc:
        raise BadInput(str(exc), source=src) from None
    try:
        _check_arrays(arrays, ref_arrays, float(state["now"]), limits)
    except _Bad as exc:
        raise BadInput(str(exc), source=str(ck / "arrays.npz")) from None
    try:
        npools = len([k for k in arrays if k.startswith("pool.")])
        pools = [arrays[f"pool.{i}"] for i in range(npools)]
        _refs(state, set(int(i) for i in arrays["job.id"].tolist()),
              [len(p) for p in pools], [int(p.sum()) for p in pools],
              limits["svc_pools"])
    except _Bad as exc:
        raise BadInput(str(exc), source=src) from None
