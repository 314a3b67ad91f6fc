"""Checkpoints: the whole run (heap, RNG, queues, metrics) pickled atomically."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from aifab.errors import BadInput

if TYPE_CHECKING:
    from aifab.sim.national.engine import NationalSim

CHECKPOINT_FILE = "state.pkl"
FORMAT = 1


def save(sim: NationalSim, directory: Path) -> Path:
    """Write ``directory/state.pkl`` via a temporary file and rename."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHECKPOINT_FILE
    keep, sim.ckpt_dir = sim.ckpt_dir, None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".state.", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((FORMAT, sim), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        sim.ckpt_dir = keep
    return path


def load(directory: Path) -> NationalSim:
    """Read a run back from ``directory`` (a run's --out folder or its checkpoint/)."""
    from aifab.sim.national.engine import NationalSim

    for cand in (directory / "checkpoint" / CHECKPOINT_FILE, directory / CHECKPOINT_FILE):
        if cand.is_file():
            try:
                with cand.open("rb") as fh:
                    fmt, sim = pickle.load(fh)
            except Exception as exc:
                raise BadInput(f"unreadable checkpoint ({exc})", source=str(cand)) from None
            if fmt != FORMAT or not isinstance(sim, NationalSim):
                raise BadInput("not a checkpoint of this version", source=str(cand))
            return sim
    raise BadInput("no checkpoint found (expected checkpoint/state.pkl)",
                   source=str(directory))
