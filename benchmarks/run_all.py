"""Run every benchmark script in this folder (the `make bench` target).

Each script prints its own figures and updates its section of docs/benchmarks.md or its
own doc; this runner only sequences them and reports wall time per script.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

#: Ordered cheapest first; the full FGD table takes longest.
ORDER = ["perf_bench.py", "perf_calibrate.py", "sim_bench.py", "site_bench.py",
         "national_bench.py", "fgd_reproduce.py"]


#: Scripts that need a CUDA GPU (run them on a GPU machine by hand; docs/perf.md).
GPU_PREFIX = "gpu_"


def main() -> int:
    scripts = [HERE / n for n in ORDER if (HERE / n).exists()]
    scripts += sorted(p for p in HERE.glob("*.py")
                      if p.name not in ORDER and p.name != Path(__file__).name
                      and not p.name.startswith(GPU_PREFIX))
    failed = 0
    for script in scripts:
        t0 = time.perf_counter()
        print(f"== {script.name}", flush=True)
        rc = subprocess.call([sys.executable, str(script)])
        print(f"== {script.name}: exit {rc}, {time.perf_counter() - t0:.1f} s", flush=True)
        failed += rc != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
