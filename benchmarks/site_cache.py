"""Clustered-network build time with and without the disk cache (issue 20).

Builds the default siting network (korea-2025 years, 96 h, 40 clusters) twice into a fresh
cache directory: the first build is cold (built and written), the second warm (read back);
then once with the cache off. Prints wall times and the machine's load average.

    python benchmarks/site_cache.py
"""

from __future__ import annotations

import os
import tempfile
import time


def main() -> None:
    from aifab.grid import load_grid_data
    from aifab.grid._cluster import build_clustered_network
    from aifab.grid._network import quiet_pypsa

    quiet_pypsa()
    data = load_grid_data()
    ai = sorted(set(data.sites["region"]))
    kw = {"hours": 96, "ai_regions": ai}
    years = [2026, 2027, 2028]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AIFAB_CACHE_DIR"] = tmp
        for label in ("cold (build + write)", "warm (read)"):
            t = time.perf_counter()
            build_clustered_network(data, years, **kw)  # type: ignore[arg-type]
            print(f"{label}: {time.perf_counter() - t:.2f} s", flush=True)
        os.environ["AIFAB_CACHE_DIR"] = "off"
        t = time.perf_counter()
        build_clustered_network(data, years, **kw)  # type: ignore[arg-type]
        print(f"cache off: {time.perf_counter() - t:.2f} s", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
