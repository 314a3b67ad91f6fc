"""Checkpoints as data: a run's state in JSON and ``.npz`` arrays, never code.

A checkpoint directory holds ``manifest.json`` (format version, the scenario's content
hash, the catalogue's, the run settings, the instant it was taken at and a sha256 of every
other file), ``scenario.json`` (the scenario, so a run resumes without its flags),
``state.json`` (scalars, queues, policy state, RNG) and ``arrays.npz`` (read with
``allow_pickle=False``): what each of the run's parts gives
(:func:`._stateful.collect`; this module knows none of their insides). Loading verifies
the checksums and the hashes before it builds anything, and nothing in it can execute
code. A checkpoint is taken between instants (:meth:`._runner.Runner.run` stops there), so
a resumed run is bit-identical.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from aifab.catalog import Catalog, default_catalog
from aifab.errors import BadInput
from aifab.scenario import Scenario
from aifab.sim.national._api import new_run
from aifab.sim.national._ckcheck import check_state
from aifab.sim.national._curtail import add_curtailment
from aifab.sim.national._curtailck import curtailer_of, windows_in
from aifab.sim.national._events import (
    ARRIVE,
    CURTAIL_END,
    CURTAIL_START,
    RESET,
    SAMPLE,
    SCALE,
    WAKE,
    EventKind,
)
from aifab.sim.national._failures import DAILY, FAIL, REPAIR, failures_of
from aifab.sim.national._runfolder import CHECKPOINT, SUMMARY
from aifab.sim.national._runner import Runner
from aifab.sim.national._stateful import collect, restore

FORMAT = "aifab-twin-checkpoint"
VERSION = 2  # 2: typed event payloads of up to three ints (ev.p2)
_NO_PAYLOAD = {SCALE, SAMPLE, RESET, DAILY, WAKE}
FILES = ("scenario.json", "state.json", "arrays.npz")
MAX_JSON_BYTES = 512 * 2**20
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
    state, arrays = collect(run)
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
    for cand in (directory / CHECKPOINT, directory):
        if not cand.is_symlink() and (cand / "manifest.json").is_file():
            return cand
    if (directory / CHECKPOINT / "state.pkl").exists() or (directory / "state.pkl").exists():
        raise BadInput("old pickle checkpoint: not loaded (it could run code); start the "
                       "run again", source=str(directory))
    done = (directory / SUMMARY).is_file()
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
    """What events carry: ``codes`` kind -> how many ints its payload has (its registered
    type's; kinds without a payload: 0); ``p0`` kind -> the range of its first value
    where that is an index; ``repair``: the repair kind where the run has failures."""
    rp = run.twin.replay
    codes = {int(k): 0 if k.payload is None else 1 if k.payload is int
             else len(getattr(k.payload, "_fields", ())) for k in run.handlers
             if isinstance(k, EventKind) and (k.payload is not None or k in _NO_PAYLOAD)}
    p0 = {int(ARRIVE): (-len(rp) if rp is not None else 0, len(run.streams))}
    fails = failures_of(run.bus.observers)
    if fails is not None:
        p0.update({int(FAIL): (0, len(fails.events)), int(REPAIR): (0, len(run.twin.pools))})
    cur = curtailer_of(run.bus.observers)
    if cur is not None:
        p0.update({int(k): (0, len(cur.windows)) for k in (CURTAIL_START, CURTAIL_END)})
    return {"codes": codes, "p0": p0, "repair": int(REPAIR) if fails is not None else None}


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
    state = _read_json(ck / "state.json")
    windows = windows_in(state, [o.name for o in scn.owners], str(ck / "state.json"))
    if windows is not None:  # the same windows, attached before the state is restored
        add_curtailment(run, windows)
    try:
        with np.load(ck / "arrays.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:
        raise BadInput(f"unreadable arrays ({type(exc).__name__}: {exc})",
                       source=str(ck / "arrays.npz")) from None
    tw = run.twin
    limits = {"job.tenant": len(tw.tenants), "job.cls": len(tw.class_names),
              "job.pool": len(tw.pools), "kinds": set(run.handlers),
              "svc_pools": [{r[0] for r in s.replica} for s in tw.services],
              "payloads": _payloads(run)}
    check_state(state, arrays, *collect(run), tw.horizon_s, limits, ck)
    try:
        restore(run, state, arrays)
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"corrupt checkpoint ({type(exc).__name__}: {exc})",
                       source=str(ck)) from None
    return run, scn
