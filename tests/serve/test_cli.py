"""`aifab serve`: binds to 127.0.0.1 unless --host (then warns); bad input exits 2."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest


def _start(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    """Start `aifab serve` and wait for its URL line; returns (process, url, stderr so far)."""
    p = subprocess.Popen([sys.executable, "-m", "aifab.cli", "serve", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = ""
    assert p.stderr is not None
    for _ in range(20):
        line = p.stderr.readline()
        seen += line
        m = re.search(r"(http://\S+/)", line)
        if m:
            return p, m.group(1), seen
        if p.poll() is not None:
            break
    p.kill()
    raise AssertionError(seen)


def _stop(p: subprocess.Popen[str]) -> None:
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


@pytest.mark.slow
def test_default_binds_loopback_and_serves(tmp_path: Path) -> None:
    p, url, err = _start(str(tmp_path / "res"), "--port", "0")
    try:
        assert url.startswith("http://127.0.0.1:")
        assert "warning" not in err
        with urllib.request.urlopen(url + "plan", timeout=10) as r:
            assert r.status == 200 and b"dash-renderer" in r.read()
    finally:
        _stop(p)
    assert (tmp_path / "res").is_dir()


@pytest.mark.slow
def test_host_warns(tmp_path: Path) -> None:
    p, url, err = _start(str(tmp_path), "--port", "0", "--host", "127.0.0.2")
    try:
        assert url.startswith("http://127.0.0.2:")
        assert "warning" in err and "127.0.0.2" in err
    finally:
        _stop(p)


@pytest.mark.slow
def test_bad_input_exits_2_in_one_line(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("")
    r = subprocess.run([sys.executable, "-m", "aifab.cli", "serve", str(f)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not a directory" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "aifab.cli", "serve", str(tmp_path / "d"),
                            "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--port" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "aifab.cli", "serve", "--port", "70000"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
