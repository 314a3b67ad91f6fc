"""A results folder with real runs, the dashboard on a local port, and headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aifab._io import to_json, versioned
from aifab.serve._browser import chromium_paths, headless_chromium

SLOW = float(os.environ.get("AIFAB_TEST_WAIT_SCALE", "1"))
"""Scales every wait's timeout (a busy CI machine sets it; .ci/run)."""

#: Where Dash keeps the language switch's value in the browser (``persistence=True``):
#: ``[value, value in the layout]`` under this localStorage key.
LANG_KEPT = "_dash_persistence.lang.value.true"


def in_english(driver: Any, server: str) -> None:
    """Leave the browser in English: open ``/overview?lang=en`` and wait until the page says
    "Overview" and the value Dash keeps for the language switch is English. A page opened
    with ``?lang=ko`` keeps Korean in the browser, and ``?lang=en`` puts English back only
    once its callback has run: a test that navigated away before then left the next test's
    pages in Korean (the Twin page's "seed 1" read "시드 1": a flake under load)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{server}/overview?lang=en")
    WebDriverWait(driver, 60 * SLOW, poll_frequency=0.2).until(lambda d: d.execute_script(
        "var t=document.getElementById('page-title'), k=localStorage.getItem(arguments[0]);"
        "return t && t.textContent === 'Overview' && document.documentElement.lang === 'en'"
        " && (k === null || JSON.parse(k)[0] === 'en')", LANG_KEPT))


FAST = ["--days", "1", "--set", "sim.scale=0.01", "--set", "sim.warmup_days=0.5"]
MINI = """\
schema_version: 1
name: mini
description: two owners, one delivery year (a quick siting run for the map page)
owners:
  - {name: Naver, home_region: Sejong}
  - {name: Government, kind: public, home_region: Jeonnam}
fleets:
  - {owner: Naver, accelerator: gb200, system: gb200-nvl72, count: 7200, delivery_year: 2026}
  - {owner: Government, accelerator: b200, system: dgx-b200, count: 4000, delivery_year: 2026}
"""

#: A one-at-a-time plan sweep: PUE moves facility power; tariff and load factor do not.
OAT = """\
name: pue-tariff-oat
scenario: korea-2025
stages: [plan]
parameters:
  facility.pue: {range: [1.1, 1.5]}
  prices.tariff_krw_per_kwh: {range: [150, 210]}
  facility.load_factor: {range: [0.7, 1.0]}
design: {kind: oat}
metrics:
  facility_mw: plan.totals.facility_power_mw
  seoul_share: plan.comparisons.0.share
  annual_cost_krw: plan.totals.annual_cost_krw
"""


def _aifab(*args: str) -> list[str]:
    return [sys.executable, "-m", "aifab.cli", *args]


def write_sweep(out: Path, n: int = 40, seed: int = 0) -> None:
    """A sweep folder in the sweep stage's format (sweep.json, variants.parquet with
    param.<path>, metric.<name>, status): energy grows with PUE, waiting GPUs by year."""
    rng = np.random.default_rng(seed)
    pue = rng.uniform(1.1, 1.5, n)
    tariff = rng.uniform(150, 210, n)
    out.mkdir(parents=True)
    df = pd.DataFrame({
        "param.facility.pue": pue, "param.prices.tariff_krw_per_kwh": tariff,
        "metric.annual_energy_twh": 3.6 * pue, "metric.annual_cost_krw": 3.6e9 * pue * tariff,
        "metric.unpowered_gpus.2026": 1000 * pue, "metric.unpowered_gpus.2027": 2000 * pue,
        "metric.unpowered_gpus.2028": 2500 * pue,
        "status": ["ok"] * (n - 1) + ["failed"]})
    df.to_parquet(out / "variants.parquet", index=False)
    (out / "sweep.json").write_text(to_json(versioned(
        {"variants": n, "done": n - 1, "failed": 1, "wall_s": 1.0})))


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Folder with two short simulations, a sweep and (in the background) a siting run."""
    root = tmp_path_factory.mktemp("results")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "mini.yaml").write_text(MINI)
    site = subprocess.Popen(_aifab("site", str(root / "scenarios" / "mini.yaml"), "--hours",
                                   "24", "--out", str(root / "runs" / "site-mini")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ,  # its progress events, as the Runs page's
                                 "AIFAB_PROGRESS_JSON": str(root / ".site-events.jsonl")})
    sims = [subprocess.Popen(_aifab("simulate", *FAST, "--seed", seed, "--out",
                                    str(root / "runs" / name)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for name, seed in (("sim-a", "0"), ("sim-b", "1"))]
    for p in sims:
        _, err = p.communicate(timeout=120 * SLOW)
        assert p.returncode == 0, err.decode()
    write_sweep(root / "runs" / "sweep-pue")
    (root / "specs").mkdir()
    (root / "specs" / "oat.yaml").write_text(OAT)
    oat = subprocess.run(_aifab("sweep", str(root / "specs" / "oat.yaml"), "--workers", "0",
                                "--out", str(root / "runs" / "sweep-oat")),
                         capture_output=True, timeout=180)
    assert oat.returncode == 0, oat.stderr.decode()
    yield {"root": root, "site": site}
    if site.poll() is None:
        site.kill()
        site.wait()


@pytest.fixture(scope="session")
def server(results: dict[str, Any]) -> Iterator[str]:
    """The dashboard over the results folder, on a free local port (a real HTTP server)."""
    from werkzeug.serving import make_server

    from aifab.serve import create_app

    app = create_app(results["root"])
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    th.join(timeout=10)
    app.server.config["aifab.jobs"].shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, fresh profile; skipped only when it is not installed."""
    if chromium_paths() is None:
        pytest.skip("chromium/chromedriver not installed (apt-get install chromium "
                    "chromium-driver; .ci/run does this)")
    with headless_chromium(1280, 1000) as d:
        yield d
