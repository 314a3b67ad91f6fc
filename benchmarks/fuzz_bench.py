"""Long run of the CLI fuzz harness (tests/fuzz): fresh random cases, many more of them.

    python benchmarks/fuzz_bench.py [SCALE]      # default 20 x the CI case counts

Prints cases tried and outcomes per command family, wall time and any failure (the
failing command line is in pytest's output). Figures go in docs/benchmarks.md (CLI fuzz).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    scale = sys.argv[1] if len(sys.argv) > 1 else "20"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "outcomes.json"
        env = {**os.environ, "AIFAB_FUZZ_SCALE": scale, "AIFAB_FUZZ_RANDOM": "1",
               "AIFAB_FUZZ_REPORT": str(report)}
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, "-m", "pytest", "tests/fuzz", "-q",
                              "-p", "no:cacheprovider"], cwd=REPO, env=env)
        wall = time.perf_counter() - t0
        outcomes = json.loads(report.read_text()) if report.exists() else {}
    total = 0
    print(f"\nCLI fuzz, scale {scale} (fresh random cases), {wall:.0f} s, pytest exit {rc}")
    print(f"{'family':<20}{'cases':>8}  outcomes")
    for family, counts in outcomes.items():
        n = sum(counts.values())
        total += n
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        print(f"{family:<20}{n:>8}  {detail}")
    print(f"{'total':<20}{total:>8}")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
