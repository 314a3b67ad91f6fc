"""Run directories (``aifab simulate --out DIR``): one run's files, never two runs mixed.

A new run refuses a directory that holds another run's results or checkpoint unless told
to overwrite (``--force``), and then removes those entries first, without following
symlinks. A completed run removes its checkpoint (the results say all it could).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aifab.errors import BadInput
from aifab.sim.national._runfolder import CHECKPOINT, RESULT_FILES, RESULT_GLOBS

CHECKPOINT_DIR = CHECKPOINT


def run_entries(out: Path) -> list[Path]:
    """Entries of ``out`` that belong to a run (results, checkpoint, leftovers)."""
    if not out.is_dir():
        return []
    found = [out / n for n in (*RESULT_FILES, CHECKPOINT_DIR)
             if (out / n).exists() or (out / n).is_symlink()]
    for g in (*RESULT_GLOBS, f".{CHECKPOINT_DIR}.*"):
        found += sorted(out.glob(g))
    return found


def _remove(p: Path) -> None:
    if p.is_symlink() or not p.is_dir():
        p.unlink(missing_ok=True)  # a link goes, never what it points to
    else:
        shutil.rmtree(p)


def prepare_out(out: Path, force: bool, keep_checkpoint: bool = False) -> None:
    """Make ``out`` ready for a run: refuse (exit 2) or, with ``force``, clear another
    run's files. ``keep_checkpoint``: the run resumes from ``out``'s own checkpoint."""
    if out.exists() and not out.is_dir():
        raise BadInput("exists and is not a directory", source=str(out))
    anc = out.absolute()
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir() or not os.access(anc, os.W_OK | os.X_OK):
        raise BadInput("cannot write output directory (permission denied)", source=str(out))
    entries = run_entries(out)
    for p in entries:
        if p.name.startswith("."):
            _remove(p)  # half-written checkpoint of a killed run
    entries = [p for p in entries if not p.name.startswith(".")
               and not (keep_checkpoint and p.name == CHECKPOINT_DIR and not p.is_symlink())]
    if not entries:
        return
    if not force:
        names = ", ".join(sorted({p.name for p in entries})[:4])
        raise BadInput(f"holds another run's files ({names}); --force overwrites them",
                       source=str(out))
    for p in entries:
        _remove(p)


def finish_out(out: Path) -> None:
    """After a run's results are written: drop its checkpoint (and temporary leftovers)."""
    for p in run_entries(out):
        if p.name == CHECKPOINT_DIR or p.name.startswith(f".{CHECKPOINT_DIR}."):
            _remove(p)
