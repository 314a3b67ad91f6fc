"""Run folders (``--out DIR``): one command's run per folder, one writer at a time.

:func:`claim` is entered by the CLI around every command given ``--out`` (see
``aifab.commands._root``), before the command does any work:

- ``DIR`` itself must not be a symbolic link (``--out`` never follows one);
- a lock file (``DIR/.aifab.lock``, an exclusive ``flock``) stops a second run writing the
  same folder at once; it is removed when the run ends;
- a marker (``DIR/.aifab-run``) names the command whose run the folder holds; another
  command refuses the folder unless ``--force``;
- temporary folders of an earlier run of ``DIR`` that was killed (``.DIR.aifab-*`` next to
  it, see :func:`aifab._io.atomic_out_dir`) are removed.

A run that fails leaves the folder as it found it: one it created is removed again when
nothing was written into it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from aifab.errors import BadInput

MARKER = ".aifab-run"
LOCK = ".aifab.lock"
TEMP_TAG = "aifab-"
"""Temporary folders of ``DIR`` are ``.DIR.aifab-XXXXXXXX`` in its parent."""
DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def temp_prefix(out: Path) -> str:
    """Prefix of the temporary folders :func:`aifab._io.atomic_out_dir` makes for ``out``."""
    return f".{out.name}.{TEMP_TAG}"


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or a file size limit) is full."""
    if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
        return True
    text = str(exc)
    return isinstance(exc, OSError) and ("No space left" in text or "File too large" in text
                                         or "Disk quota" in text)


def owner(out: Path) -> str | None:
    """The command whose run ``out`` holds (from its marker), or None."""
    try:
        doc = json.loads((out / MARKER).read_text(encoding="utf-8"))
        return str(doc["command"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remove_stale_temps(out: Path) -> None:
    pat = re.compile(re.escape(temp_prefix(out)) + r"[a-z0-9_]{8}")
    parent = out.absolute().parent
    with contextlib.suppress(OSError):
        for p in parent.iterdir():
            if pat.fullmatch(p.name) and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)


def _lock(out: Path) -> int:
    path = out / LOCK
    for _ in range(10):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise BadInput(f"another aifab run (pid {pid}) is writing into this folder; "
                           "wait for it or choose another --out", source=str(out)) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a file the previous holder unlinked while we opened it
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)
    raise BadInput("cannot lock the output folder", source=str(out))


def _unlock(out: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        (out / LOCK).unlink()
    os.close(fd)


def _entries(out: Path) -> set[str]:
    try:
        return {p.name for p in out.iterdir()} - {LOCK, MARKER}
    except OSError:
        return set()


@contextlib.contextmanager
def claim(out: Path, command: str, force: bool = False) -> Iterator[None]:
    """Hold ``out`` for one run of ``command`` (see the module docstring)."""
    if out.is_symlink():
        raise BadInput("is a symbolic link: --out never follows one (give the folder it "
                       "points to, or another name)", source=str(out))
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create output directory ({exc.strerror})",
                       source=str(out)) from None
    if out.is_symlink() or not out.is_dir():  # replaced since the check
        raise BadInput("is not a directory", source=str(out))
    try:
        fd = _lock(out)
    except OSError as exc:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()
        raise BadInput(f"cannot write output directory ({exc.strerror})",
                       source=str(out)) from None
    ok = False
    before = _entries(out)
    marker = out / MARKER
    old_marker = marker.read_bytes() if marker.is_file() and not marker.is_symlink() else None
    try:
        _remove_stale_temps(out)
        held = owner(out)
        if held is not None and held != command and before and not force:
            raise BadInput(f"holds a run of `aifab {held}`; --force writes over it (or "
                           "choose another --out)", source=str(out))
        if held is None and before and not force and _looks_like_run(out, before):
            names = ", ".join(sorted(n for n in before if n in RUN_FILES)[:4])
            raise BadInput(f"holds another run's files ({names}); --force writes over them "
                           "(or choose another --out)", source=str(out))
        stamp = {"schema_version": 1, "command": command, "pid": os.getpid(),
                 "started": datetime.now(UTC).isoformat(timespec="seconds")}
        try:
            marker.unlink(missing_ok=True)
            marker.write_text(json.dumps(stamp) + "\n", encoding="utf-8")
        except OSError as exc:
            if is_disk_full(exc):
                raise BadInput("disk full writing the output folder", source=str(out)) from None
            raise BadInput(f"cannot write output directory ({exc.strerror})",
                           source=str(out)) from None
        yield
        ok = True
    finally:
        if not ok and _entries(out) == before:  # nothing written: leave it as it was
            with contextlib.suppress(OSError):
                if old_marker is None:
                    marker.unlink(missing_ok=True)
                else:
                    marker.write_bytes(old_marker)
        _unlock(out, fd)
        if not ok and created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only when empty


#: Files aifab commands write; a folder without a marker that holds one of them is a run
#: of an earlier aifab (or of a command killed before its marker) and is not merged into.
RUN_FILES = ("report.html", "summary.json", "plan.json", "site.json", "sweep.json",
             "checkpoint", "timeseries.parquet", "variants.parquet")


def _looks_like_run(out: Path, names: set[str]) -> bool:
    return any(n in names for n in RUN_FILES)
