"""Checkpoints as data: a run's state in JSON and ``.npz`` arrays, never code.

A checkpoint directory holds ``manifest.json`` (format version, the scenario's content
hash, the catalogue's, the run settings, the instant it was taken at and a sha256 of every
other file), ``scenario.json`` (the scenario, so a run resumes without its flags),
``state.json`` (scalars, queues, policy state, RNG) and ``arrays.npz`` (read with
``allow_pickle=False``). Loading verifies the checksums and the hashes before it builds
anything, and nothing in it can execute code. A checkpoint is taken between instants
(:meth:`._runner.Runner.run` stops there), so a resumed run is bit-identical.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from array import array
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from aifab.catalog import Catalog, default_catalog
from aifab.errors import BadInput
from aifab.scenario import Scenario
from aifab.sim.national._api import new_run
from aifab.sim.national._ckcheck import check_state
from aifab.sim.national._failures import DAILY, FAIL, REPAIR, failures_of
from aifab.sim.national._job import RECORD_FIELDS, SCALARS, Job
from aifab.sim.national._meters import SERIES_COLUMNS
from aifab.sim.national._ops import ARRIVE, END, EVICT, RESET, SAMPLE, SCALE
from aifab.sim.national._runner import Runner

FORMAT = "aifab-twin-checkpoint"
VERSION = 1
FILES = ("scenario.json", "state.json", "arrays.npz")
MAX_JSON_BYTES = 512 * 2**20
_INT = {"id", "tenant", "cls", "n", "pool", "preempt", "state", "prio", "seq", "token",
        "miss"}
_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def content_hash(obj: Any) -> str:
    """sha256 of a JSON value in canonical form (sorted keys, no spaces)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def scenario_hash(scn: Scenario) -> str:
    return content_hash(scn.model_dump(mode="json"))


def catalog_hash(cat: Catalog) -> str:
    return content_hash({"accelerators": {k: v.model_dump(mode="json")
                                          for k, v in sorted(cat.accelerators.items())},
                         "systems": {k: v.model_dump(mode="json")
                                     for k, v in sorted(cat.systems.items())}})


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- state to data ---------------------------------------------------------------------
def _encode(run: Runner) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    arrays: dict[str, npt.NDArray[Any]] = {}
    jobs = list(run.ops.jobs.values())
    for k in SCALARS:
        arrays[f"job.{k}"] = np.array([float(getattr(j, k)) for j in jobs], dtype=np.float64)
    placed = [j for j in jobs if j.doms is not None and j.cnt is not None]
    arrays["job.placed"] = np.array([j.id for j in placed], dtype=np.int64)
    arrays["job.ndoms"] = np.array([len(j.doms) for j in placed if j.doms is not None],
                                   dtype=np.int64)
    arrays["job.doms"] = np.concatenate([j.doms for j in placed if j.doms is not None]
                                        or [np.zeros(0, np.int64)]).astype(np.int64)
    arrays["job.cnt"] = np.concatenate([j.cnt for j in placed if j.cnt is not None]
                                       or [np.zeros(0, np.int64)]).astype(np.int64)
    heap = run.events.entries()
    arrays["ev.t"] = np.array([e[0] for e in heap], dtype=np.float64)
    arrays["ev.kind"] = np.array([e[1] for e in heap], dtype=np.int64)
    arrays["ev.seq"] = np.array([e[2] for e in heap], dtype=np.int64)
    rows = [(0, 0, 0) if e[3] is None else (2, int(e[3][0]), int(e[3][1]))
            if isinstance(e[3], tuple) else (1, int(e[3]), 0) for e in heap]
    codes = np.array(rows, dtype=np.int64).reshape(len(rows), 3)
    arrays["ev.code"], arrays["ev.p0"], arrays["ev.p1"] = codes[:, 0], codes[:, 1], codes[:, 2]
    fl = run.fleet
    for i, p in enumerate(fl.pools):
        arrays[f"pool.{i}"] = p.free
    arrays["fleet.talloc"] = fl.talloc
    arrays["q.qlen"] = run.queues.qlen
    integ = run.integrals
    arrays["m.tenant_s"], arrays["m.queue_s"] = integ.tenant_s, integ.queue_s
    arrays["m.stranded_s"] = run.series.stranded_s
    arrays["m.series"] = np.array(run.series.rows, dtype=np.float64).reshape(
        len(run.series.rows), len(SERIES_COLUMNS))
    arrays["m.campus"] = np.array(run.series.campus_rows, dtype=np.float64).reshape(
        len(run.series.campus_rows), len(run.twin.campuses))
    for k, col in run.records.r.items():
        arrays[f"rec.{k}"] = np.frombuffer(col, dtype=np.float64) if len(col) else np.zeros(0)
    live = run.ops.jobs
    state: dict[str, Any] = {
        "now": run.ops.now, "sliced_to": run.sliced_to, "next_id": run.next_id,
        "n_events": run.n_events, "finished": run.finished, "seq": run.events.seq,
        "rng": run.rng.bit_generator.state, "policy": run.policy.state(),
        "queues": [[[prio, [j.id for j in q if j.id in live]] for prio, q in qs.items()]
                   for qs in run.queues.queues],
        "qver": run.queues.qver, "stale": run.queues.stale,
        "fleet": {"campus_kw": fl.campus_kw, "power_kw": fl.power_kw,
                  "alloc_total": fl.alloc_total, "reclaiming": fl.reclaiming,
                  "gen": fl.gen, "starts": fl.starts, "svc_alloc": fl.svc_alloc,
                  "inf_held": fl.inf_held, "free_total": [p.free_total for p in fl.pools],
                  "running": [list(r) for r in fl.running],
                  "borrowed": [list(b) for b in fl.borrowed]},
        "services": [{"reps": [[pool, doms] for pool, doms in ss.reps.items()],
                      "tok": [ss.served_tok, ss.unmet_tok, ss.npu_tok, ss.demand_tok]}
                     for ss in run.services.state],
        "svc_load": run.services.load,
        "meters": {"counts": run.counts.c, "last": integ.last, "alloc_s": integ.alloc_s,
                   "svc_alloc_s": integ.svc_alloc_s, "energy_kwh": integ.energy_kwh},
    }
    fails = failures_of(run.bus.observers)
    if fails is not None:
        state["failures"], more = fails.state()
        arrays.update(more)
    return state, arrays


def _decode(run: Runner, state: dict[str, Any], a: dict[str, npt.NDArray[Any]]) -> None:
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
    run.ops.jobs = jobs
    entries = []
    for t, kind, seq, code, p0, p1 in zip(*(a[f"ev.{k}"].tolist() for k in
                                            ("t", "kind", "seq", "code", "p0", "p1")),
                                          strict=True):
        payload = None if code == 0 else int(p0) if code == 1 else (int(p0), int(p1))
        entries.append((float(t), int(kind), int(seq), payload))
    run.events.restore(entries, int(state["seq"]))
    fl, f = run.fleet, state["fleet"]
    for i, p in enumerate(fl.pools):
        free = a[f"pool.{i}"]
        if free.shape != p.free.shape:
            raise ValueError(f"pool {i} has {free.shape[0]} domains, expected {p.domains}")
        p.free = free.astype(np.int64).copy()
        p.free_total = int(f["free_total"][i])
    fl.talloc = a["fleet.talloc"].astype(np.int64).copy()
    fl.campus_kw = [float(x) for x in f["campus_kw"]]
    fl.power_kw = float(f["power_kw"])
    fl.alloc_total, fl.svc_alloc = int(f["alloc_total"]), int(f["svc_alloc"])
    fl.reclaiming, fl.gen, fl.starts = f["reclaiming"], f["gen"], f["starts"]
    fl.inf_held = f["inf_held"]
    fl.running = [{i: jobs[i] for i in r} for r in f["running"]]
    fl.borrowed = [{i: jobs[i] for i in b} for b in f["borrowed"]]
    q = run.queues
    q.qlen = a["q.qlen"].astype(np.int64).copy()
    q.qver, q.stale = state["qver"], state["stale"]
    q.queues = [{int(prio): deque(jobs[i] for i in ids) for prio, ids in qs}
                for qs in state["queues"]]
    for ss, s in zip(run.services.state, state["services"], strict=True):
        ss.reps = {int(pool): [int(d) for d in doms] for pool, doms in s["reps"]}
        ss.served_tok, ss.unmet_tok, ss.npu_tok, ss.demand_tok = (float(x) for x in s["tok"])
    run.services.load = [float(x) for x in state["svc_load"]]
    m, integ = state["meters"], run.integrals
    run.counts.c = {str(k): int(v) for k, v in m["counts"].items()}
    integ.last, integ.alloc_s = float(m["last"]), float(m["alloc_s"])
    integ.svc_alloc_s, integ.energy_kwh = float(m["svc_alloc_s"]), float(m["energy_kwh"])
    integ.tenant_s, integ.queue_s = a["m.tenant_s"].copy(), a["m.queue_s"].copy()
    run.series.stranded_s = a["m.stranded_s"].copy()
    run.series.rows = [tuple(float(x) for x in row) for row in a["m.series"]]
    if "m.campus" in a:
        run.series.campus_rows = [tuple(float(x) for x in row) for row in a["m.campus"]]
    run.records.r = {k: array("d", a[f"rec.{k}"].tolist()) for k in RECORD_FIELDS}
    run.policy.restore(state["policy"])
    fails = failures_of(run.bus.observers)
    if fails is not None:
        fails.restore(state["failures"], a)
    run.rng.bit_generator.state = state["rng"]
    run.ops.now, run.sliced_to = float(state["now"]), float(state["sliced_to"])
    run.next_id, run.n_events = int(state["next_id"]), int(state["n_events"])
    run.finished = bool(state["finished"])


# -- files -----------------------------------------------------------------------------
def manifest_for(scn: Scenario, cat: Catalog) -> dict[str, Any]:
    """What a checkpoint must match to be resumed by a command."""
    return {"format": FORMAT, "version": VERSION, "scenario": scn.name,
            "scenario_sha256": scenario_hash(scn), "catalog_sha256": catalog_hash(cat),
            "settings": {"policy": scn.sim.queue_policy, "seed": scn.sim.seed,
                         "days": scn.sim.days, "warmup_days": scn.sim.warmup_days,
                         "scale": scn.sim.scale,
                         "checkpoint_every_h": scn.sim.checkpoint_every_h}}


def save(run: Runner, scn: Scenario, cat: Catalog, directory: Path) -> Path:
    """Write a checkpoint of ``run`` (between instants) to ``directory``, replacing the
    previous one only once the new one is complete."""
    state, arrays = _encode(run)
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
    except OSError as exc:
        raise BadInput(f"cannot write checkpoint ({exc.strerror})", source=str(directory)) \
            from None
    old = None
    try:
        (tmp / "scenario.json").write_text(json.dumps(scn.model_dump(mode="json")))
        (tmp / "state.json").write_text(json.dumps(state))
        np.savez(tmp / "arrays.npz", **arrays)  # type: ignore[arg-type]
        man = {**manifest_for(scn, cat), "at_s": run.sliced_to,
               "files": {f: _sha(tmp / f) for f in FILES}}
        (tmp / "manifest.json").write_text(json.dumps(man, indent=1))
        if directory.is_symlink() or directory.is_file():
            directory.unlink()
        elif directory.exists():
            old = parent / f".{directory.name}.old.{os.getpid()}"
            os.replace(directory, old)
        os.replace(tmp, directory)
    except (OSError, ValueError) as exc:  # numpy reports a short write as a ValueError
        if old is not None and not directory.exists():
            try:  # the previous checkpoint stays the valid one
                os.replace(old, directory)
            except OSError:
                old = None  # never delete it then
        if _disk_full(exc):
            raise BadInput("disk full writing the checkpoint", source=str(directory)) \
                from None
        why = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise BadInput(f"cannot write checkpoint ({why})", source=str(directory)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return directory


def _disk_full(exc: BaseException) -> bool:
    text = str(exc) + str(exc.__context__ or "")
    return (isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS) or any(
        t in text for t in ("No space left", "File too large", "Disk quota"))


def _read_json(path: Path) -> Any:
    if path.is_symlink() or not path.is_file():
        raise BadInput("missing or not a regular file", source=str(path))
    if path.stat().st_size > MAX_JSON_BYTES:
        raise BadInput("too large for a checkpoint file", source=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"unreadable checkpoint file ({exc})", source=str(path)) from None


def find(directory: Path) -> Path:
    """The checkpoint folder of a run directory (``DIR/checkpoint``) or DIR itself."""
    for cand in (directory / "checkpoint", directory):
        if not cand.is_symlink() and (cand / "manifest.json").is_file():
            return cand
    if (directory / "checkpoint" / "state.pkl").exists() or (directory / "state.pkl").exists():
        raise BadInput("old pickle checkpoint: not loaded (it could run code); start the "
                       "run again", source=str(directory))
    done = (directory / "summary.json").is_file()
    raise BadInput("no checkpoint found (expected checkpoint/manifest.json)"
                   + ("; this run is complete (summary.json)" if done else ""),
                   source=str(directory))


def read_manifest(directory: Path) -> tuple[Path, dict[str, Any]]:
    """The checkpoint folder and its manifest, checked for format, version and files."""
    ck = find(directory)
    man = _read_json(ck / "manifest.json")
    src = str(ck / "manifest.json")
    if not isinstance(man, dict) or man.get("format") != FORMAT:
        raise BadInput("not an aifab twin checkpoint", source=src)
    if man.get("version") != VERSION:
        raise BadInput(f"checkpoint version {man.get('version')!r}, this aifab reads "
                       f"{VERSION}", source=src)
    files = man.get("files")
    if not isinstance(files, dict) or set(files) != set(FILES):
        raise BadInput("manifest lists the wrong files", source=src)
    for name in FILES:
        p = ck / name
        if p.is_symlink() or not p.is_file() or _sha(p) != files[name]:
            raise BadInput("checksum mismatch (file changed or missing)", source=str(p))
    return ck, man


def _payloads(run: Runner) -> dict[str, Any]:
    """What events carry: ``codes`` kind -> payload code (0 none, 1 index, 2 pair);
    ``p0`` kind -> the range of its first value where that is an index."""
    rp = run.twin.replay
    codes = {END: 2, EVICT: 2, ARRIVE: 1, SCALE: 0, SAMPLE: 0, RESET: 0}
    p0 = {int(ARRIVE): (-len(rp) if rp is not None else 0, len(run.streams))}
    fails = failures_of(run.bus.observers)
    if fails is not None:
        codes.update({FAIL: 1, REPAIR: 2, DAILY: 0})
        p0.update({int(FAIL): (0, len(fails.events)), int(REPAIR): (0, len(run.twin.pools))})
    return {"codes": {int(k): v for k, v in codes.items()}, "p0": p0,
            "repair": int(REPAIR) if fails is not None else None}


def load(directory: Path, catalog: Catalog | None = None,
         expect: Scenario | None = None) -> tuple[Runner, Scenario]:
    """Rebuild a run from a checkpoint; ``expect``: the scenario the command names (its
    hash must match the checkpoint's)."""
    ck, man = read_manifest(directory)
    src = str(ck / "manifest.json")
    cat = catalog or default_catalog()
    try:
        scn = Scenario.model_validate(_read_json(ck / "scenario.json"))
    except ValidationError as exc:
        raise BadInput(f"bad scenario in checkpoint ({exc.errors()[0]['msg']})",
                       source=str(ck / "scenario.json")) from None
    if scenario_hash(scn) != man.get("scenario_sha256"):
        raise BadInput("scenario does not match the manifest's hash", source=src)
    if expect is not None and scenario_hash(expect) != man["scenario_sha256"]:
        raise BadInput("the checkpoint is of another scenario or other settings than the "
                       "command gives (drop them to resume, or --force a new run)",
                       source=src)
    if catalog_hash(cat) != man.get("catalog_sha256"):
        raise BadInput("the checkpoint was made with another catalogue (give the same "
                       "--catalog)", source=src)
    run = new_run(scn, catalog=cat)
    try:
        with np.load(ck / "arrays.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:
        raise BadInput(f"unreadable arrays ({type(exc).__name__}: {exc})",
                       source=str(ck / "arrays.npz")) from None
    state = _read_json(ck / "state.json")
    tw = run.twin
    limits = {"job.tenant": len(tw.tenants), "job.cls": len(tw.class_names),
              "job.pool": len(tw.pools), "kinds": set(run.handlers),
              "svc_pools": [{r[0] for r in s.replica} for s in tw.services],
              "payloads": _payloads(run)}
    check_state(state, arrays, *_encode(run), tw.horizon_s, limits, ck)
    try:
        _decode(run, state, arrays)
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"corrupt checkpoint ({type(exc).__name__}: {exc})",
                       source=str(ck)) from None
    return run, scn
