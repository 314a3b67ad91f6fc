"""The soak: the tests that run part of their random checks in ``make test``, with all of them.

Usage: python benchmarks/soak.py [--sched] [--workers 2] [PYTEST_ARGS...]

Tests that read ``AIFAB_SOAK`` (tests/_soak.py) run a part of their seeds, hypothesis
examples or simulated horizon in ``make test`` and all of it here: the engine's on/off tests
(tests/sched: each speed rule on and off over random fleets, the same decisions asserted)
the twin's invariant and property tests (tests/sim/national: no stale scheduling cache
after any instant, conservation, no allocation in repair) and the siting's monotone
flexibility property (tests/grid/test_flex.py). ``--sched``: tests/sched only,
the exactness gate for the engine's speed rules with ``benchmarks/sched_hash.py`` and
``sched_replay.py beside`` (docs/sched.md). Prints pytest's summary and the wall time; the
exit code is pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHED = ["tests/sched"]
OTHERS = ["tests/sim/national/test_no_stale_cache.py", "tests/sim/national/test_conservation.py",
          "tests/sim/national/test_failures.py", "tests/grid/test_flex.py"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sched", action="store_true", help="tests/sched only (the engine gate)")
    ap.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (0: serial)")
    args, rest = ap.parse_known_args(argv)
    env = dict(os.environ, AIFAB_SOAK="1", OMP_NUM_THREADS="1")
    paths = SCHED if args.sched else [*SCHED, *OTHERS]
    cmd = [sys.executable, "-m", "pytest", "-n", str(args.workers), "--dist", "loadgroup",
           "-p", "no:cacheprovider", *paths, *rest]
    t0 = time.perf_counter()
    rc = subprocess.call(cmd, cwd=REPO, env=env)
    what = "sched soak" if args.sched else "soak"
    print(f"{what}: exit {rc}, {time.perf_counter() - t0:.0f} s wall", flush=True)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
