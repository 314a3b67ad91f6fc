"""Benchmark the static reports in headless chromium: time until every chart is drawn.

Writes the plan report (``aifab plan --out``) and the combined report of a small scenario
(``aifab report --out``, plan + siting + twin), each in both forms: loading the run
folder's ``plotly-<version>.min.js`` at the end of the page (what every command writes)
and self-contained (plotly.js inlined in ``<head>``: what ``render_html`` returns, and
what every report was before issue 21). Each page is opened in a fresh chromium (cold: a
fresh profile, its first page being a tiny one, as in a browser already open) and then
loaded again in the same browser (warm). Times are ``performance.now()`` from navigation
start: the first paint (``first-contentful-paint``: headings, summary strip, tables) and
when every ``.plotly-graph-div`` holds its SVG. Target (issue 21): every report page
draws in under 3 s.

    python benchmarks/report_bench.py [--repeat N] [--write]

``--write`` replaces the "## Static reports in the browser" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aifab.serve._browser import chromium_paths, headless_chromium

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADING = "## Static reports in the browser"
TARGET_S = 3.0

MINI = """\
schema_version: 1
name: mini
description: two owners, one delivery year
owners:
  - {name: Naver, home_region: Sejong}
  - {name: Government, kind: public, home_region: Jeonnam}
fleets:
  - {owner: Naver, accelerator: gb200, system: gb200-nvl72, count: 7200, delivery_year: 2026}
  - {owner: Government, accelerator: b200, system: dgx-b200, count: 4000, delivery_year: 2026}
"""

DRAWN = ("var d=document.querySelectorAll('.plotly-graph-div');"
         "return [d.length, Array.from(d).filter(e=>e._fullLayout&&"
         "e.querySelector('svg.main-svg')).length, performance.now()]")
PAINT = ("var p=performance.getEntriesByName('first-contentful-paint');"
         "return p.length ? p[0].startTime : null")


def make_reports(root: Path) -> dict[str, Path]:
    """The report pages to time: name -> path."""
    aifab = [sys.executable, "-m", "aifab.cli"]
    subprocess.run([*aifab, "plan", "--out", str(root / "plan")], check=True,
                   capture_output=True)
    (root / "mini.yaml").write_text(MINI)
    subprocess.run([*aifab, "report", str(root / "mini.yaml"), "--out", str(root / "report"),
                    "--set", "siting.hours=24", "--days", "1", "--set", "sim.scale=0.05",
                    "--set", "sim.warmup_days=0.5", "--json"], check=True, capture_output=True)
    from aifab.report import write_page
    from aifab.report._bundle import inlined_page

    pages: dict[str, Path] = {}
    for name, page in (("plan", root / "plan" / "report.html"),
                       ("report (plan+site+twin)", root / "report" / "report.html")):
        # the commands write the shared form; time it against the self-contained one
        text = inlined_page(page.read_text(encoding="utf-8"))
        inline = page.with_name("inlined.html")
        inline.write_text(text, encoding="utf-8")
        shared = page.with_name("shared.html")
        write_page(shared, text)
        pages[f"{name}, shared plotly.js"] = shared
        pages[f"{name}, inlined plotly.js"] = inline
    return pages


def draw_time(driver: Any, page: Path,
              timeout: float = 120.0) -> tuple[float, float, int, float]:
    """Seconds from navigation start until the first chart and every chart are drawn, the
    chart count and the first paint (the first chart is measured on the first poll that
    sees it, after the ``get`` returns at the load event)."""
    driver.get(page.as_uri())
    end = time.monotonic() + timeout
    first = None
    while time.monotonic() < end:
        n, drawn, now = driver.execute_script(DRAWN)
        if drawn and first is None:
            first = now / 1000.0
        if n and drawn == n:
            paint = driver.execute_script(PAINT)
            return (first or now / 1000.0, now / 1000.0, n,
                    float("nan") if paint is None else paint / 1000.0)
        time.sleep(0.02)
    raise TimeoutError(f"{page}: charts not drawn within {timeout} s")


def measure(pages: dict[str, Path], repeat: int) -> list[dict[str, Any]]:
    rows = []
    for name, page in pages.items():
        cold, warm, first, paint, n = [], [], [], [], 0
        for _ in range(repeat):
            with headless_chromium(1280, 900) as d:
                d.get("data:text/html,<p>warm-up</p>")  # the browser is up, as a reader's is
                t1, t, n, p = draw_time(d, page)
                cold.append(t)
                first.append(t1)
                paint.append(p)
                warm.append(draw_time(d, page)[1])
        row = {"page": name, "charts": n, "kb": page.stat().st_size / 1024,
               "paint": statistics.median(paint), "first": statistics.median(first),
               "cold": statistics.median(cold), "cold_max": max(cold),
               "warm": statistics.median(warm), "warm_max": max(warm)}
        print(row, flush=True)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]], repeat: int) -> str:
    lines = ["| page | charts | HTML size | cold: first paint | cold: first chart "
             "| cold: all charts, median (max) | warm: all charts, median (max) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['page']} | {r['charts']} | {r['kb']:,.0f} KB | {r['paint']:.2f} s "
                     f"| {r['first']:.2f} s | "
                     f"{r['cold']:.2f} s ({r['cold_max']:.2f}) | "
                     f"{r['warm']:.2f} s ({r['warm_max']:.2f}) |")
    load = os.getloadavg()[0]
    return "\n".join([
        HEADING, "",
        f"`python benchmarks/report_bench.py --repeat {repeat}` on "
        f"{datetime.now(UTC):%Y-%m-%d} ({platform.machine()}, {os.cpu_count()} cores, load "
        f"average {load:.1f} at the end; headless chromium, 1280x900). Time from navigation "
        "start until the first paint (headings, summary strip, tables) and until every chart "
        "holds its SVG; cold: a fresh browser profile, warm: the same page loaded again. "
        "Target: under 3 s.", "", *lines, ""])


def write_section(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if HEADING in doc:
        head, rest = doc.split(HEADING, 1)
        nxt = rest.find("\n## ")
        doc = head + text + (rest[nxt + 1:] if nxt >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if chromium_paths() is None:
        sys.exit("chromium and chromedriver are needed (apt-get install chromium "
                 "chromium-driver)")
    with tempfile.TemporaryDirectory(prefix="aifab-report-bench-") as tmp:
        rows = measure(make_reports(Path(tmp)), args.repeat)
    text = table(rows, args.repeat)
    print(text)
    slow = [r["page"] for r in rows if "shared" in r["page"] and r["cold_max"] > TARGET_S]
    print("target met" if not slow else f"over {TARGET_S:g} s: {', '.join(slow)}")
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
