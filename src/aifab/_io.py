"""File and terminal edges: atomic output directories and JSON documents."""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aifab.errors import BadInput

SCHEMA_VERSION = 1


def versioned(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with ``schema_version`` first: every JSON document aifab writes or prints."""
    return {"schema_version": SCHEMA_VERSION, **doc}


def _default(obj: Any) -> Any:
    """JSON encoder for numpy scalars, dataclasses, pydantic models and paths."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "__dataclass_fields__"):
        return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
    if hasattr(obj, "item"):  # numpy scalar
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean(obj: Any) -> Any:
    """Replace NaN/inf by None so the output is strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def to_json(doc: dict[str, Any], *, indent: int | None = 2) -> str:
    """Serialise a result document as strict JSON (NaN becomes null)."""
    raw = json.loads(json.dumps(doc, default=_default))
    return json.dumps(_clean(raw), indent=indent, ensure_ascii=False)


@contextmanager
def atomic_out_dir(out: Path | str) -> Iterator[Path]:
    """Yield a temporary directory; on success move its files into ``out``.

    On any exception nothing is written to ``out`` (the temporary directory is removed),
    so a failed run never leaves half-written files behind. A full disk (or file size
    limit) while writing is BadInput "disk full writing OUT" (exit 2). A temporary folder
    left by a killed run is removed by the next run of ``out`` (:mod:`aifab._outdir`).
    """
    from aifab._outdir import is_disk_full, temp_prefix

    out = Path(out)
    if out.is_symlink():
        raise BadInput("is a symbolic link: --out never follows one", source=str(out))
    if out.exists() and not out.is_dir():
        raise BadInput("exists and is not a directory", source=str(out))
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create output directory ({exc.strerror})", source=str(out)) from exc
    try:
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(out), dir=parent))
    except OSError as exc:
        raise BadInput(f"cannot write output directory ({exc.strerror})",
                       source=str(out)) from None
    try:
        try:
            yield tmp
        except OSError as exc:
            if is_disk_full(exc):
                raise BadInput("disk full writing the results", source=str(out)) from None
            raise
        try:
            out.mkdir(exist_ok=True)
            if out.is_symlink():
                raise BadInput("is a symbolic link: --out never follows one", source=str(out))
            for src in sorted(tmp.rglob("*")):
                dst = out / src.relative_to(tmp)
                if src.is_dir():
                    dst.mkdir(parents=True, exist_ok=True)
                else:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
        except OSError as exc:
            what = "disk full writing" if is_disk_full(exc) else \
                f"cannot write ({exc.strerror})"
            raise BadInput(f"{what} output directory", source=str(out)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Write a text file via a temporary file and rename (mode as for a plain open())."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Largest input file per kind (MiB), unless raised with ``aifab --max-input-mb`` or the
#: ``AIFAB_MAX_INPUT_MB`` environment variable. Documents (scenarios, catalogues, specs,
#: model files) are kilobytes in practice; traces, tables and siting results may be large.
DOC_LIMIT_MB = 16
TABLE_LIMIT_MB = 1024
_TABLE_KINDS = ("trace", "job list", "table", "profile", "windows", "pods", "nodes", "csv",
                "result")
_limit_override: float | None = None


def set_input_limit(mb: float | None) -> None:
    """Raise (or lower) the size cap of every input file to ``mb`` MiB; None: defaults."""
    global _limit_override
    _limit_override = mb


def input_limit(what: str) -> int:
    """The size cap in bytes for an input file of kind ``what`` (e.g. "scenario file")."""
    mb: float | None = _limit_override
    if mb is None and os.environ.get("AIFAB_MAX_INPUT_MB"):
        try:
            mb = float(os.environ["AIFAB_MAX_INPUT_MB"])
        except ValueError:
            raise BadInput("must be a number of MiB", where="AIFAB_MAX_INPUT_MB") from None
    if mb is None:
        mb = TABLE_LIMIT_MB if any(k in what.lower() for k in _TABLE_KINDS) else DOC_LIMIT_MB
    return int(mb * 1024 * 1024)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.3g} MiB"


def read_bytes_file(path: Path | str, what: str = "file") -> bytes:
    """Read a user-supplied file (regular, readable, within its size cap) as bytes."""
    p = check_input_file(path, what)
    limit = input_limit(what)
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise BadInput(f"cannot read ({exc.strerror})", source=str(p)) from exc
    if len(data) > limit:  # grew after the check
        raise BadInput(f"{what} larger than {_mb(limit)} (aifab --max-input-mb raises the "
                       "limit)", source=str(p))
    return data


def read_text_file(path: Path | str, what: str = "file") -> str:
    """Read a user-supplied text file, turning OS errors into BadInput."""
    data = read_bytes_file(path, what)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise BadInput("NUL byte in a text file", source=f"{path}:{line}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"not UTF-8 text (byte {exc.start})", source=str(path)) from exc


def check_input_file(path: Path | str, what: str = "file") -> Path:
    """Return ``path`` if it is a readable regular file within its size cap, else raise
    BadInput. A FIFO, socket or device (``/dev/zero``) is refused before it is opened, so
    reading never blocks or runs away."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise BadInput(f"{what} not found", source=str(p)) from None
    except OSError as exc:
        raise BadInput(f"cannot read ({exc.strerror})", source=str(p)) from None
    if stat.S_ISDIR(st.st_mode):
        raise BadInput(f"is a directory, expected a {what}", source=str(p))
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise BadInput(f"is {kind}, expected a regular {what}", source=str(p))
    if not os.access(p, os.R_OK):
        raise BadInput("not readable", source=str(p))
    limit = input_limit(what)
    if st.st_size > limit:
        raise BadInput(f"{what} is {_mb(st.st_size)}, larger than {_mb(limit)} "
                       "(aifab --max-input-mb raises the limit)", source=str(p))
    return p


Writer = Callable[[Path], None]
