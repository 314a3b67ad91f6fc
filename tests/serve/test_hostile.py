"""The dashboard as a server on a shared machine (issue 24), over raw HTTP against a real
``aifab serve`` process: planted symbolic links and FIFOs, a foreign Host header, a huge
request body, a flood of run launches, broken files, and SIGTERM/SIGKILL of the server
with runs going (no run may outlive it)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aifab._io import to_json, versioned

pytestmark = pytest.mark.slow  # real servers and runs: `make test`, not `make test-fast`

WAIT = float(os.environ.get("AIFAB_TEST_WAIT_SCALE", "1"))
"""Multiplies every wait (a busy CI machine sets it above 1)."""


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until(cond: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout * WAIT
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout * WAIT:.0f} s waiting for {what}")


def _folder(root: Path, outside: Path) -> None:
    (outside / "secret.txt").write_text("secret")
    runs = root / "runs"
    runs.mkdir(parents=True)
    (root / "ok.txt").write_text("fine")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(root / "pipe.txt")
    (root / "evil.yaml").symlink_to(outside / "secret.txt")  # listed by the Plan page
    sim = runs / "sim-evil"  # a simulate folder whose parquet leads out of the folder
    sim.mkdir()
    (sim / "summary.json").write_text(to_json(versioned({"utilization": 0.5, "days": 1})))
    (sim / "timeseries.parquet").symlink_to(outside / "secret.txt")
    (sim / "tenants.parquet").symlink_to(outside / "secret.txt")
    site = runs / "site-bad"  # a site folder whose site.json has no years
    site.mkdir()
    (site / "site.json").write_text(to_json(versioned({"placements": []})))
    _good_site(runs / "site-good")
    _mistyped_twin(runs / "sim-mistyped")
    sweep = runs / "sweep-evil"
    sweep.mkdir()
    (sweep / "sweep.json").write_text(to_json(versioned({"variants": 1})))
    (sweep / "variants.parquet").symlink_to(outside / "secret.txt")


def _good_site(d: Path) -> None:
    """A site run folder as ``site --out`` writes it (the site golden's result)."""
    from aifab.grid import SiteResult

    text = (Path(__file__).parents[1] / "commands" / "site_goldens" /
            "site-korea-2025.json").read_text().replace("<t>", "1.5")
    SiteResult.from_dict(json.loads(text)).write(d)


def _mistyped_twin(d: Path) -> None:
    """A real twin run folder whose summary gives ``jobs.completed`` as a string."""
    from aifab.scenario import load_scenario
    from aifab.sim.national import simulate, summary_file

    d.mkdir()
    simulate(load_scenario(None, ["sim.scale=0.01", "sim.warmup_days=0.5",
                                  "sim.days=1.5"])).write(d)
    doc = json.loads(summary_file(d).read_text())
    doc["jobs"]["completed"] = "many"
    summary_file(d).write_text(json.dumps(doc))


def _serve(root: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen([sys.executable, "-m", "aifab.cli", "serve", str(root), "--port",
                             "0", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    end = time.monotonic() + 60 * WAIT
    while time.monotonic() < end:
        line = proc.stderr.readline().decode()
        if "http://127.0.0.1:" in line:
            return proc, int(line.split("http://127.0.0.1:")[1].split("/")[0])
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("aifab serve did not start")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root, outside = tmp_path / "results", tmp_path / "outside"
    outside.mkdir()
    _folder(root, outside)
    proc, port = _serve(root, "--max-jobs", "2")
    yield {"proc": proc, "port": port, "root": root}
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30 * WAIT)
    c.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
    r = c.getresponse()
    return r.status, r.read()


def _callback(port: int, output: str, inputs: list[dict[str, Any]],
              state: list[dict[str, Any]] = ()) -> tuple[int, str]:  # type: ignore[assignment]
    oid, prop = output.split(".")
    body = json.dumps({"output": output, "outputs": {"id": oid, "property": prop},
                       "inputs": inputs, "state": list(state),
                       "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60 * WAIT)
    c.request("POST", "/_dash-update-component", body=body,
              headers={"Content-Type": "application/json", "Host": f"127.0.0.1:{port}"})
    r = c.getresponse()
    return r.status, r.read().decode()


def test_files_route_refuses_links_out_and_fifos(served: dict[str, Any]) -> None:
    port = served["port"]
    assert _get(port, "/files/ok.txt") == (200, b"fine")
    status, body = _get(port, "/files/leak.txt")
    assert status == 403 and b"secret" not in body
    assert _get(port, "/files/pipe.txt")[0] == 403  # would block the server thread
    assert _get(port, "/files/runs/sim-evil/timeseries.parquet")[0] == 403


def test_foreign_host_header_refused(served: dict[str, Any]) -> None:
    port = served["port"]
    for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.nip.io"):
        status, body = _get(port, "/", host=host)
        assert status == 403 and b"Host" in body, host
    assert _get(port, "/", host=f"localhost:{port}")[0] == 200
    assert _get(port, "/", host=f"127.0.0.1:{port}")[0] == 200


def test_allow_host_adds_a_name(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    proc, port = _serve(root, "--allow-host", "dash.example")
    try:
        assert _get(port, "/", host="dash.example")[0] == 200
        assert _get(port, "/", host="other.example")[0] == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30 * WAIT)


def test_huge_body_refused_without_reading_it(served: dict[str, Any]) -> None:
    c = http.client.HTTPConnection("127.0.0.1", served["port"], timeout=30 * WAIT)
    c.putrequest("POST", "/_dash-update-component", skip_host=True)
    c.putheader("Host", f"127.0.0.1:{served['port']}")
    c.putheader("Content-Type", "application/json")
    c.putheader("Content-Length", str(50 * 1024 * 1024))
    c.endheaders()
    c.send(b"{" * 1024)  # the other 50 MB never come: the answer must not wait for them
    t0 = time.monotonic()
    r = c.getresponse()
    assert r.status == 413
    assert time.monotonic() - t0 < 10 * WAIT


def test_page_callbacks_refuse_links_and_show_broken_files(served: dict[str, Any]) -> None:
    port = served["port"]
    lang = [{"id": "lang", "property": "value", "value": "en"}]
    status, body = _callback(port, "twin-body.children",
                             [{"id": "twin-run", "property": "value",
                               "value": "runs/sim-evil"}], lang)
    assert status == 200 and "outside the results folder" in body and "secret" not in body
    # a mistyped summary field: a one-line message naming the file and the field
    status, body = _callback(port, "twin-body.children",
                             [{"id": "twin-run", "property": "value",
                               "value": "runs/sim-mistyped"}], lang)
    assert status == 200, body
    body = body.replace("\\u002f", "/")  # Dash's JSON escapes slashes
    assert ("cannot read this run: runs/sim-mistyped/summary.json: jobs.completed: expected "
            "an integer, got str 'many'") in body and "Traceback" not in body
    status, body = _callback(port, "ov-cards.children",  # the Overview's twin card
                             [{"id": "ov-scenario", "property": "value",
                               "value": "korea-2025"}], lang)
    assert status == 200, body
    assert "jobs.completed: expected an integer" in body
    status, body = _callback(port, "sweep-body.children",
                             [{"id": "sweep-run", "property": "value",
                               "value": "runs/sweep-evil"}], lang)
    assert status == 200 and "outside the results folder" in body
    # site.json with no more than placements: one line naming the file and the first
    # missing field (read typed, read_site), not a 500
    status, body = _callback(port, "map-year-box.children",
                             [{"id": "map-run", "property": "value",
                               "value": "runs/site-bad"}],
                             [*lang, {"id": "url-state", "property": "data", "value": None},
                              {"id": "url", "property": "search", "value": "?year=2026"}])
    assert status == 200, body
    assert "runs\\u002fsite-bad\\u002fsite.json: scenario: missing" in body  # JSON's "/"
    assert "Traceback" not in body
    # a good site folder: the Map page draws its typed result (read_site) at the
    # packaged coordinates, with the year's title
    status, body = _callback(port, "map-body.children",
                             [{"id": "map-year", "property": "value", "value": 2027}],
                             [{"id": "map-run", "property": "value",
                               "value": "runs/site-good"}, *lang])
    assert status == 200, body
    assert "map-graph" in body and "Campuses and corridor loading, 2027" in body
    assert "GPUs waiting for power: 0" in body and "Traceback" not in body
    # the Plan page lists scenario files: a link leading out is not offered, no 500
    status, body = _get(port, "/plan")
    assert status == 200


def _launch(port: int) -> str:
    state = [{"id": i, "property": "value", "value": v} for i, v in (
        ("job-kind", "simulate"), ("job-scenario", "korea-2025"), ("job-days", 3650),
        ("job-scale", 0.01), ("job-seed", None), ("job-policy", None), ("job-hours", None),
        ("job-spec", None), ("job-siting", None), ("lang", "en"))]
    status, body = _callback(port, "job-msg.children",
                             [{"id": "job-launch", "property": "n_clicks", "value": 1}],
                             state)
    assert status == 200, body
    return body


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_job_flood_capped_and_jobs_end_with_server(served: dict[str, Any], sig: int) -> None:
    port, proc = served["port"], served["proc"]
    assert "started" in _launch(port)
    assert "started" in _launch(port)
    third = _launch(port)
    assert "already running" in third and "--max-jobs" in third
    kids = _children(proc.pid)
    assert len(kids) == 2
    proc.send_signal(sig)
    proc.wait(timeout=60 * WAIT)
    _wait_until(lambda: not any(_alive(k) for k in kids), 30, "the runs to end")


def test_browser_sees_notices_and_refusals_not_errors(served: dict[str, Any],
                                                      browser: Any) -> None:
    """In chromium: a broken site.json is one line on the Map page naming the file and the
    field, a run whose files lead out of the folder is refused on the page, and no request
    fails (no 500)."""
    from selenium.webdriver.support.ui import WebDriverWait

    from aifab.serve._browser import console_errors

    base = f"http://127.0.0.1:{served['port']}"

    def text_of(elem_id: str) -> Any:
        return WebDriverWait(browser, 30 * WAIT, poll_frequency=0.2).until(
            lambda d: d.execute_script(
                f"var e=document.getElementById('{elem_id}');"
                "return e && e.offsetParent !== null && e.textContent"))

    console_errors(browser)  # drain
    browser.get(f"{base}/map?run=runs/site-bad")
    assert "runs/site-bad/site.json: scenario: missing" in text_of("map-year-box")
    browser.get(f"{base}/twin?run=runs/sim-evil")
    assert "outside the results folder" in text_of("twin-body")
    assert "secret" not in browser.page_source
    browser.get(f"{base}/plan")  # lists scenario files, one of them a link leading out
    text_of("page-title")
    assert not [e for e in console_errors(browser) if "500" in e], console_errors(browser)


def test_scenario_list_skips_links_out_and_fifos(tmp_path: Path) -> None:
    from aifab.serve._paths import ResultsDir

    root, outside = tmp_path / "results", tmp_path / "outside"
    outside.mkdir()
    _folder(root, outside)
    (root / "good.yaml").write_text("name: g\n")
    os.mkfifo(root / "fifo.yaml")
    (root / "inner.yaml").symlink_to(root / "good.yaml")  # a link that stays inside: fine
    assert ResultsDir(root).scenario_files() == ["good.yaml", "inner.yaml"]


def test_read_json_refuses_huge_deep_and_non_objects(tmp_path: Path) -> None:
    from aifab.errors import BadInput
    from aifab.serve._paths import ResultsDir

    results = ResultsDir(tmp_path)
    with open(tmp_path / "huge.json", "wb") as fh:
        fh.truncate(65 * 2**20)  # sparse: 65 MiB without writing them
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "list.json").write_text("[1, 2]")
    for name, needle in (("huge.json", "larger than 64 MiB"), ("deep.json", "cannot read"),
                         ("list.json", "not a JSON object")):
        with pytest.raises(BadInput, match=needle):
            results.read_json(name)
