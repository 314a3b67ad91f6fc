"""Headless Chromium through Selenium, for the browser tests and the docs' screenshots.

Uses Debian's ``chromium`` and ``chromedriver`` (``apt-get install chromium
chromium-driver``); nothing is downloaded. The accessibility check runs axe-core from the
copy that the ``axe-playwright-python`` wheel ships (``axe.min.js``), injected into the page.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars",
)


def chromium_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) when both are installed, else None."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        return None
    return browser, driver


@contextmanager
def headless_chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A Selenium driver on a fresh profile; browser console messages are kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = chromium_paths()
    if paths is None:
        raise RuntimeError("chromium and chromedriver are not installed "
                           "(apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="aifab-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=paths[1]))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver: Any, origin: str | None = None) -> list[str]:
    """Browser console messages at level SEVERE since the last call (the log drains).
    ``origin`` (``http://host:port`` of the page under test): leave out messages that
    name only other origins, which a page of an earlier, closed server can still log
    after its successor has loaded (its last requests refused)."""
    out = []
    for e in driver.get_log("browser"):
        if e.get("level") != "SEVERE":
            continue
        text = f"{e.get('source', '')}: {e.get('message', '')}"
        seen = set(re.findall(r"https?://[^/\s]+", text))
        if origin is None or not seen or origin.rstrip("/") in seen:
            out.append(text)
    return out


def axe_source() -> str:
    """The text of axe.min.js from the installed ``axe-playwright-python`` wheel."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("axe-playwright-python is not installed (it ships axe.min.js)")
    path = Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"
    return path.read_text(encoding="utf-8")


def axe_violations(driver: Any, impacts: tuple[str, ...] = ("serious", "critical"),
                   exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page.

    Returns the violations whose impact is in ``impacts``, each as
    ``{"id", "impact", "help", "targets"}``; ``exclude`` lists CSS selectors to skip.
    """
    driver.set_script_timeout(60)
    driver.execute_script(axe_source())
    ctx = {"exclude": [[s] for s in exclude]} if exclude else None
    raw = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(arguments[0] || document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify("
        "[{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));", ctx)
    out = []
    for v in json.loads(raw):
        if v.get("impact") in impacts:
            out.append({"id": v["id"], "impact": v["impact"], "help": v.get("help", ""),
                        "targets": [n.get("target") for n in v.get("nodes", [])][:5]})
    return out
