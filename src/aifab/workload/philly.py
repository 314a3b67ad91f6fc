"""Reader for the Philly-derived job list (Microsoft Philly trace, 2017, CC-BY-4.0).

Columns: ``timestamp, duration (s), num_gpus, gpu_time, cluster``. Jobs are returned in
submission order with times relative to the first submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from aifab._io import check_input_file
from aifab.errors import BadInput

REQUIRED = ("timestamp", "duration", "num_gpus")


@dataclass(frozen=True)
class PhillyJobs:
    """Submission offsets (s), run durations (s) and GPU counts, in submission order."""

    submit_s: npt.NDArray[np.float64]
    duration_s: npt.NDArray[np.float64]
    num_gpus: npt.NDArray[np.int64]
    source: str

    def __len__(self) -> int:
        return len(self.submit_s)

    @property
    def span_s(self) -> float:
        return float(self.submit_s[-1]) if len(self) else 0.0


def read_philly(path: Path | str) -> PhillyJobs:
    """Read the job list; rows with a missing or non-positive duration or GPU count are
    dropped (they carry no work). Bad files raise BadInput naming the file and column."""
    p = check_input_file(path, "Philly job list")
    try:
        df = pd.read_csv(p)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise BadInput(f"not a CSV job list ({exc})", source=str(p)) from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise BadInput(f"missing column(s) {', '.join(missing)}", source=str(p))
    ts = pd.to_datetime(df["timestamp"], errors="coerce")
    if ts.isna().all():
        raise BadInput("no parseable timestamps", source=str(p), where="timestamp")
    dur = pd.to_numeric(df["duration"], errors="coerce")
    gpus = pd.to_numeric(df["num_gpus"], errors="coerce")
    for col, vals in (("duration", dur), ("num_gpus", gpus)):
        inf = np.flatnonzero(np.isinf(vals.to_numpy(dtype=np.float64)))
        if len(inf):
            raise BadInput(f"not a finite number: {df[col].iloc[inf[0]]}", source=str(p),
                           where=f"line {int(inf[0]) + 2}, column {col}")
    ok = ts.notna() & (dur > 0) & (gpus > 0)
    if not ok.any():
        raise BadInput("no usable jobs (positive duration and num_gpus)", source=str(p))
    frame = pd.DataFrame({"t": ts[ok], "d": dur[ok], "n": gpus[ok]}).sort_values(
        "t", kind="stable")
    t0 = frame["t"].iloc[0]
    return PhillyJobs(
        submit_s=((frame["t"] - t0).dt.total_seconds()).to_numpy(dtype=np.float64),
        duration_s=frame["d"].to_numpy(dtype=np.float64),
        num_gpus=np.ceil(frame["n"].to_numpy(dtype=np.float64)).astype(np.int64),
        source=str(p))
