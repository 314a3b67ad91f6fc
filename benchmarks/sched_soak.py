"""The engine's on/off tests with every seed: the soak run before a change to aifab.sched lands.

Usage: python benchmarks/sched_soak.py [--workers 2] [PYTEST_ARGS...]

tests/sched runs its random on/off tests (each speed rule on and off over random fleets, the
same decisions asserted) on their first few seeds in ``make test`` and on all of them here
(``AIFAB_SOAK=1``; tests/sched/_soak.py). With ``benchmarks/sched_hash.py`` and
``sched_replay.py beside`` it is the exactness gate for speed rules (docs/sched.md). Prints
pytest's summary and the wall time; the exit code is pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (0: serial)")
    args, rest = ap.parse_known_args(argv)
    env = dict(os.environ, AIFAB_SOAK="1", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", "-n", str(args.workers), "--dist", "loadgroup",
           "-p", "no:cacheprovider", "tests/sched", *rest]
    t0 = time.perf_counter()
    rc = subprocess.call(cmd, cwd=REPO, env=env)
    print(f"sched soak: exit {rc}, {time.perf_counter() - t0:.0f} s wall", flush=True)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
