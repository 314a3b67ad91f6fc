"""Background runs launched from the dashboard: the aifab CLI in a subprocess.

Each job is ``python -m aifab.cli KIND ... --out RESULTS/runs/KIND-STAMP``; its output
goes to ``RESULTS/runs/.logs/ID.log``. Progress comes from the structured events the CLI
writes to ``RESULTS/runs/.logs/ID.progress.jsonl`` (``AIFAB_PROGRESS_JSON``, see
:mod:`aifab._progress`: stage, fraction, ETA), never from terminal text.
Cancel terminates the job's process group; the CLI writes ``--out`` atomically, so a
cancelled run leaves no half-written folder.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aifab._progress import ENV as PROGRESS_ENV
from aifab._progress import read_last_event
from aifab.errors import BadInput
from aifab.serve._paths import ResultsDir

KINDS = ("simulate", "site", "sweep")


@dataclass(frozen=True)
class JobRequest:
    """What the Runs form asks for (validated by ``validate``)."""

    kind: str
    scenario: str = "korea-2025"
    days: float | None = None
    scale: float | None = None
    seed: int | None = None
    policy: str | None = None
    hours: int | None = None
    spec: str | None = None
    siting: str | None = None  # a site run folder (simulate: its caps and curtailment)


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands: from its newest progress event (or its exit)."""

    fraction: float | None = None  # of the whole run, 0..1; None when not known
    stage: str = ""  # warm-up, simulating, sweep, network, solving, ... ("" before any)
    message: str = ""  # the event's status line, or the log's last line once it ended
    eta_s: float | None = None
    stage_fraction: float | None = None


@dataclass
class Job:
    """A launched run."""

    id: str
    kind: str
    argv: list[str]
    out: Path
    log: Path
    started: float
    proc: subprocess.Popen[bytes] | None = None
    rc: int | None = None
    cancelled: bool = False
    ended: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def events(self) -> Path:
        """The job's progress events (JSON lines, next to its log)."""
        return self.log.with_suffix(".progress.jsonl")

    @property
    def state(self) -> str:
        """queued, running, done, failed or cancelled."""
        if self.cancelled:
            return "cancelled"
        if self.rc is None:
            return "running"
        return "done" if self.rc == 0 else "failed"


@functools.cache
def available_kinds() -> frozenset[str]:
    """The run kinds whose command this aifab has (a module ``aifab.commands.KIND``,
    looked up, not imported: the dashboard stays below the command layer)."""
    return frozenset(k for k in KINDS if importlib.util.find_spec(f"aifab.commands.{k}"))


def _num(value: Any, what: str, lo: float, hi: float, *, integer: bool = False) -> Any:
    if value is None or value == "":
        return None
    try:
        x = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise BadInput(f"not a number: {value!r}", where=what) from None
    if integer and float(value) != x:
        raise BadInput(f"not a whole number: {value!r}", where=what)
    if not lo <= x <= hi:
        raise BadInput(f"{value!r} is outside {lo:g}..{hi:g}", where=what)
    return x


def validate(req: JobRequest, results: ResultsDir) -> list[str]:
    """The CLI arguments for a request (without ``--out``); BadInput naming the field."""
    from aifab.scenario import embedded_scenarios

    for name in ("kind", "scenario", "policy", "spec", "siting"):  # a form posts any JSON
        v = getattr(req, name)
        if v is not None and not isinstance(v, str):
            raise BadInput(f"must be text, got {type(v).__name__}", where=name)
    if req.kind not in KINDS:
        raise BadInput(f"unknown run kind {req.kind!r} (one of: {', '.join(KINDS)})",
                       where="kind")
    if req.kind not in available_kinds():
        raise BadInput(f"this aifab has no `{req.kind}` command", where="kind")
    if req.siting and req.kind != "simulate":
        raise BadInput("only a twin run (simulate) takes a siting", where="siting")
    if req.kind == "sweep":
        if not req.spec:
            raise BadInput("a sweep needs a spec file inside the results folder", where="spec")
        spec = results.resolve(req.spec)
        if not spec.is_file():
            raise BadInput("spec file not found in the results folder", where="spec")
        return ["sweep", str(spec)]
    argv, scenario = [req.kind], req.scenario
    if req.scenario in embedded_scenarios():
        argv += ["--scenario", req.scenario]
    else:
        path = results.resolve(req.scenario)
        if not path.is_file():
            raise BadInput(f"no embedded scenario or file {req.scenario!r} in the results "
                           "folder", where="scenario")
        argv.append(str(path))
        scenario = str(path)
    if req.kind == "simulate":
        days = _num(req.days, "days", 0.01, 3650)
        scale = _num(req.scale, "scale", 1e-4, 1)
        seed = _num(req.seed, "seed", 0, 2**31 - 1, integer=True)
        argv += ["--days", f"{days:g}"] if days is not None else []
        argv += ["--set", f"sim.scale={scale:g}"] if scale is not None else []
        argv += ["--seed", str(seed)] if seed is not None else []
        if req.policy:
            from aifab.sim.national import QUEUE_POLICIES

            if req.policy not in QUEUE_POLICIES:
                raise BadInput(f"unknown policy {req.policy!r}", where="policy")
            argv += ["--policy", req.policy]
        argv += _siting(req.siting, results, scenario)
    if req.kind == "site":
        hours = _num(req.hours, "hours", 24, 8760, integer=True)
        if hours is not None and int(hours) % 24:
            raise BadInput(f"must be a multiple of 24 (whole days), got {hours:g}",
                           where="hours")
        argv += ["--hours", str(hours)] if hours is not None else []
    return argv


def _siting(rel: str | None, results: ResultsDir, scenario: str) -> list[str]:
    """``--power-caps`` of a site run folder, read typed and turned into the twin's
    constraints for ``scenario``'s owners first (the pipeline's ``site_constraints``, as
    the run will), so a bad folder is refused before anything starts, naming the file and
    the field."""
    if not rel:
        return []
    from aifab.grid import read_site, site_file
    from aifab.scenario import load_scenario
    from aifab.serve._paths import safe_path
    from aifab.sim.national import site_constraints

    folder = results.resolve(rel)
    if not site_file(folder).is_file():
        raise BadInput(f"{rel!r} is not a site run folder of the results folder (no "
                       f"{site_file(folder).name})", where="siting")
    res = read_site(folder, resolve=lambda name: safe_path(folder, name), label=rel)
    site_constraints(res, [o.name for o in load_scenario(scenario).owners],
                     src=f"{rel}/{site_file(folder).name}")
    return ["--power-caps", str(site_file(folder))]


class JobManager:
    """Launches, watches and cancels runs; all files stay inside the results folder."""

    def __init__(self, results: ResultsDir, max_jobs: int = 2) -> None:
        self.results = results
        self.max_jobs = max_jobs
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._n = 0

    def launch(self, req: JobRequest) -> Job:
        """Start a run in the background (BadInput for a bad request; nothing starts)."""
        argv = validate(req, self.results)
        self.poll()
        with self._lock:
            running = sum(1 for j in self.jobs.values() if j.rc is None)
            if running >= self.max_jobs:
                raise BadInput(f"{running} runs are already running (at most {self.max_jobs}; "
                               "aifab serve --max-jobs); wait for one or cancel it",
                               where="launch")
            self._n += 1
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            jid = f"{req.kind}-{stamp}-{self._n}"
            out = self.results.resolve(f"runs/{jid}")
            log = self.results.resolve(f"runs/.logs/{jid}.log")
            log.parent.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "aifab.cli", *argv, "--out", str(out)]
            env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1",
                   PROGRESS_ENV: str(log.with_suffix(".progress.jsonl")),
                   # the job ends itself if the server dies (even by SIGKILL)
                   "AIFAB_PARENT_PID": str(os.getpid())}
            with open(log, "wb") as fh:
                proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env,
                                        cwd=self.results.root, start_new_session=True)
            job = Job(jid, req.kind, cmd, out, log, time.time(), proc)
            self.jobs[jid] = job
        return job

    def poll(self) -> list[Job]:
        """Every job of this session, newest first, with exit codes collected."""
        with self._lock:
            for j in self.jobs.values():
                if j.proc is not None and j.rc is None:
                    rc = j.proc.poll()
                    if rc is not None:
                        j.rc, j.ended = rc, time.time()
            return sorted(self.jobs.values(), key=lambda j: j.started, reverse=True)

    def cancel(self, jid: str) -> bool:
        """Terminate a running job (and its children); False if it was not running."""
        with self._lock:
            j = self.jobs.get(jid)
            if j is None or j.proc is None or j.rc is not None:
                return False
            j.cancelled = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(j.proc.pid, signal.SIGTERM)
        try:
            j.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(j.proc.pid, signal.SIGKILL)
            j.proc.wait()
        j.rc, j.ended = j.proc.returncode, time.time()
        return True

    def shutdown(self) -> None:
        """End whatever still runs (the server is stopping): SIGINT to every job's process
        group at once (the CLI's Ctrl-C path: it removes its temporary files), then SIGKILL
        to any still there after 10 s."""
        live = [j for j in list(self.jobs.values())
                if j.proc is not None and j.rc is None and j.proc.poll() is None]
        for j in live:
            j.cancelled = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(j.proc.pid, signal.SIGINT)  # type: ignore[union-attr]
        deadline = time.time() + 10
        for j in live:
            assert j.proc is not None
            try:
                j.proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(j.proc.pid, signal.SIGKILL)
                j.proc.wait()
            j.rc, j.ended = j.proc.returncode, time.time()

    def progress(self, job: Job) -> JobProgress:
        """Where ``job`` stands, from its newest progress event; a finished job is at 1
        (done) or where it stopped (cancelled), or has the log's last line (its error) as
        message (failed)."""
        ev = read_last_event(str(job.events)) or {}
        frac = ev.get("fraction")
        got = JobProgress(
            fraction=float(frac) if isinstance(frac, (int, float)) else None,
            stage=str(ev.get("stage", "")), message=str(ev.get("message", ""))[:200],
            eta_s=_eta_now(ev),
            stage_fraction=ev.get("stage_fraction")
            if isinstance(ev.get("stage_fraction"), (int, float)) else None)
        if job.state == "running":
            return got
        try:
            with open(job.log, "rb") as fh:
                fh.seek(max(0, job.log.stat().st_size - 4000))
                last = _last_line(fh.read().decode("utf-8", "replace"))
        except OSError:
            last = ""
        if job.state == "done":
            return JobProgress(1.0, "done", last, 0.0, 1.0)
        if job.state == "cancelled":  # where it stopped
            return JobProgress(got.fraction, got.stage, got.message, None, got.stage_fraction)
        return JobProgress(got.fraction, got.stage, last or got.message, None,
                           got.stage_fraction)


def _eta_now(ev: dict[str, Any]) -> float | None:
    """The event's time left, less the time since it was written (a long siting step
    writes no event for minutes; its ETA counts down, not below zero)."""
    eta, stamp = ev.get("eta_s"), ev.get("t")
    if not isinstance(eta, (int, float)) or not isinstance(stamp, (int, float)):
        return None
    return max(0.0, float(eta) - max(0.0, time.time() - float(stamp)))


def _last_line(text: str) -> str:
    clean = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "\n")
    lines = [ln.strip() for ln in clean.splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""
