"""Benchmark the dashboard's Plan page in a real browser (headless chromium): how long
from asking for ``/plan`` until its five charts are drawn.

- **cold**: the first page a browser asks for after ``aifab serve`` said it is ready (a
  fresh server process, a fresh browser profile);
- **warm**: the same page loaded again (same server, same browser).

Target (issue 21): under 2 s cold. Prints a table and, with ``--write``, replaces the
"## Dashboard (Plan page)" section of docs/benchmarks.md.

    python benchmarks/serve_bench.py [--write] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aifab.serve._browser import headless_chromium

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADING = "## Dashboard (Plan page)"
DRAWN = ("return ['plan-power','plan-energy','plan-growth','plan-h100e','plan-output']"
         ".every(function(i){var e=document.getElementById(i);"
         "return e && e.querySelector('.main-svg')})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _time_to_draw(driver: object, url: str, timeout: float = 120) -> float:
    t0 = time.perf_counter()
    driver.get(url)  # type: ignore[attr-defined]
    while time.perf_counter() - t0 < timeout:
        if driver.execute_script(DRAWN):  # type: ignore[attr-defined]
            return time.perf_counter() - t0
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not draw in {timeout:g} s")


def one_server(repeat: int) -> tuple[float, list[float], float]:
    """(cold s, warm s list, server start s) with a fresh server and browser."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as res, headless_chromium(1440, 1000) as driver:
        driver.get("about:blank")
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "aifab.cli", "serve", res, "--port",
                                 str(port)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                text=True)
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                if "aifab serve: http" in line:
                    break
            else:
                raise RuntimeError("aifab serve did not start")
            start = time.perf_counter() - t0
            url = f"http://127.0.0.1:{port}/plan"
            cold = _time_to_draw(driver, url)
            warm = [_time_to_draw(driver, url) for _ in range(repeat)]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return cold, warm, start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--repeat", type=int, default=3, help="warm loads per server")
    ap.add_argument("--servers", type=int, default=2, help="fresh servers (cold loads)")
    args = ap.parse_args()
    runs = [one_server(args.repeat) for _ in range(args.servers)]
    colds = [c for c, _, _ in runs]
    warms = [w for _, ws, _ in runs for w in ws]
    starts = [s for _, _, s in runs]
    load = os.getloadavg()[0]
    rows = [("server start (ready line)", min(starts), max(starts)),
            ("Plan page, cold (first load)", min(colds), max(colds)),
            ("Plan page, warm (reload)", min(warms), max(warms))]
    lines = ["| case | best (s) | worst (s) |", "|---|---:|---:|",
             *(f"| {n} | {a:.2f} | {b:.2f} |" for n, a, b in rows)]
    table = "\n".join(lines)
    print(table)
    print(f"load average {load:.1f} on {os.cpu_count()} cores; target: cold under 2 s")
    if args.write:
        section = (f"{HEADING}\n\n`python benchmarks/serve_bench.py` "
                   f"({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
                   f"{os.cpu_count()} cores, load average {load:.1f}): {args.servers} fresh "
                   f"servers, {args.repeat} reloads each, headless chromium at 1440 px; time "
                   "from asking for /plan until its five charts are drawn. Target: under "
                   "2 s on a cold first load.\n\n" + table + "\n")
        text = DOC.read_text(encoding="utf-8")
        if HEADING in text:
            head, _, rest = text.partition(HEADING)
            nxt = rest.find("\n## ")
            text = head + section + (rest[nxt + 1:] if nxt >= 0 else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
        DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
