"""Disk cache of built networks (the clustered network takes 10-20 s to build; loading it
back takes about 1 s).

A built ``GridNetwork`` is pickled under ``<cache dir>/grid/<key>.pkl``, ``key`` being a
SHA-256 of everything the build reads: every table of the ``GridData`` (as CSV text), the
build's arguments (years, hours, clusters, busmap, the zonal options), the PyPSA version
and the source of the modules that build networks (so a code change invalidates it).
Any change of input gives another key; an unreadable or stale entry is rebuilt. After
each write only the ``KEEP`` most recently used entries of a kind are kept.

The cache directory is ``$AIFAB_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/aifab``, else
``~/.cache/aifab``; ``AIFAB_CACHE_DIR=off`` turns the cache off. The cache only holds
what this user's own runs built (pickle: never point it at files from elsewhere).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd

CACHE_VERSION = 1
KEEP = 16
"""Entries kept per kind: after a write the oldest beyond these are removed."""
_BUILD_MODULES = ("_cluster.py", "_network.py", "_full.py", "_lines.py", "_profiles.py",
                  "_data.py", "_netcache.py")


def cache_dir() -> Path | None:
    """Where built networks are kept, or None when the cache is off."""
    env = os.environ.get("AIFAB_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env) / "grid"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "aifab" / "grid"


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, pd.DataFrame | pd.Series):
        h.update(value.to_csv().encode())
    elif isinstance(value, dict):
        for k in sorted(value, key=str):
            h.update(repr(k).encode())
            _feed(h, value[k])
    elif isinstance(value, list | tuple):
        for v in value:
            _feed(h, v)
    else:
        h.update(repr(value).encode())
    h.update(b"\x00")


def network_key(kind: str, data: Any, **args: Any) -> str:
    """SHA-256 hex of a build's inputs (``data`` a GridData, ``args`` the build's
    arguments)."""
    import pypsa

    h = hashlib.sha256()
    _feed(h, (CACHE_VERSION, kind, pypsa.__version__))
    here = Path(__file__).parent
    for mod in _BUILD_MODULES:
        h.update((here / mod).read_bytes())
    for f in fields(data):
        if f.name != "files":  # where the tables came from does not change the network
            _feed(h, (f.name, getattr(data, f.name)))
    _feed(h, args)
    return h.hexdigest()


def has(kind: str, data: Any, **args: Any) -> bool:
    """Whether ``cached(kind, data, ..., **args)`` would load an entry (False with the
    cache off)."""
    root = cache_dir()
    return root is not None and _entry(root, kind, data, **args).is_file()


def _entry(root: Path, kind: str, data: Any, **args: Any) -> Path:
    return root / f"{kind}-{network_key(kind, data, **args)}.pkl"


def cached(kind: str, data: Any, build: Callable[[], Any], **args: Any) -> Any:
    """``build()``'s result, from the cache when an entry for the same inputs exists."""
    root = cache_dir()
    if root is None:
        return build()
    path = _entry(root, kind, data, **args)
    if path.is_file():
        try:
            with path.open("rb") as fh:
                hit = pickle.load(fh)
            with contextlib.suppress(OSError):
                os.utime(path)  # most recently used (for pruning)
            return hit
        except Exception:  # a broken entry is rebuilt, not fatal
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    out = build()
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        prune(root, kind)
    except OSError:
        pass  # a read-only or full disk only costs the next run its build time
    return out


def prune(root: Path, kind: str, keep: int = KEEP) -> None:
    """Remove all but the ``keep`` most recently used entries of ``kind`` in ``root``."""
    entries = sorted(root.glob(f"{kind}-*.pkl"), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)
