"""Structured progress events: JSON lines that a job runner reads, not a terminal bar.

A command writes them when the environment variable ``AIFAB_PROGRESS_JSON`` names a file
(the dashboard's job runner sets it for every run it launches). Each line is one event::

    {"t": 1764727200.1, "elapsed_s": 12.3, "stage": "simulating", "fraction": 0.42,
     "stage_fraction": 0.3, "eta_s": 17.0, "message": "day 3/10"}

- ``stage``: ``warm-up`` / ``simulating`` (the twin), ``sweep`` (variants), or the siting
  step (``loading``, ``network``, ``model``, ``reference``, ``solving``, ``results``,
  ``flexibility``, ``calibration``, ``hosting``);
- ``fraction``: share of the whole run done (0..1), or null when it is not known;
- ``stage_fraction``: share of the current stage done, or null;
- ``eta_s``: seconds left, from the elapsed time and ``fraction`` (null until 1 % is done);
- ``message``: the status line in English (the dashboard translates the stage).

Standard library only; writing never fails a run (an unwritable file is ignored).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

ENV = "AIFAB_PROGRESS_JSON"
MIN_INTERVAL_S = 0.25
"""Events within one stage closer than this are dropped (the last one of a stage is not)."""


class ProgressEvents:
    """Appends progress events to one JSON-lines file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.t0 = time.time()
        self._last = (0.0, "")
        self._fraction = 0.0

    def emit(self, stage: str, fraction: float | None = None, message: str = "", *,
             stage_fraction: float | None = None, force: bool = False) -> None:
        """Write one event (throttled to one per ``MIN_INTERVAL_S`` within a stage).

        ``fraction`` never goes backwards: a smaller value than an earlier one is raised to
        it, so a bar fed from several estimates does not jump back."""
        now = time.time()
        if (not force and stage == self._last[1] and now - self._last[0] < MIN_INTERVAL_S
                and fraction != 1.0):
            return
        self._last = (now, stage)
        elapsed = now - self.t0
        eta: float | None = None
        if fraction is not None:
            fraction = min(1.0, max(self._fraction, float(fraction)))
            self._fraction = fraction
            if fraction >= 0.01:
                eta = round(elapsed * (1.0 - fraction) / fraction, 1)
        doc: dict[str, Any] = {
            "t": round(now, 3), "elapsed_s": round(elapsed, 2), "stage": stage,
            "fraction": None if fraction is None else round(fraction, 4),
            "stage_fraction": (None if stage_fraction is None
                               else round(min(1.0, max(0.0, stage_fraction)), 4)),
            "eta_s": eta, "message": message}
        try:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
        except OSError:
            pass


def events_from_env() -> ProgressEvents | None:
    """The events file ``AIFAB_PROGRESS_JSON`` names, or None when it is unset."""
    path = os.environ.get(ENV, "")
    return ProgressEvents(path) if path else None


def chain(*fns: Callable[..., None] | None) -> Callable[..., None]:
    """One callback that calls each of ``fns`` (None entries skipped) with its arguments."""
    live = [f for f in fns if f is not None]

    def call(*args: Any) -> None:
        for f in live:
            f(*args)

    return call


def twin_events(warmup_days: float, days: float, replications: int = 1,
                events: ProgressEvents | None = None) -> Callable[[float], None] | None:
    """The twin's progress callback (simulated seconds since the start, warm-up included),
    reporting the warm-up as its own stage: a 1-day run with a 7-day warm-up reads
    ``warm-up`` day 3/7, then ``simulating`` day 0.5/1, never "day 8/8".

    With ``replications`` the clock restarts for each seed; the fraction covers them all.
    None when no events file is set."""
    ev = events or events_from_env()
    if ev is None:
        return None
    warm_s, run_s = warmup_days * 86400.0, days * 86400.0
    horizon = warm_s + run_s
    state = {"rep": 0, "last": -1.0}

    def tick(t: float) -> None:
        if t < state["last"]:
            state["rep"] += 1
        state["last"] = t
        rep = min(state["rep"], replications - 1)
        whole = (rep + (t / horizon if horizon > 0 else 1.0)) / replications
        seeds = f" (seed {rep + 1} of {replications})" if replications > 1 else ""
        if t < warm_s:
            ev.emit("warm-up", whole, f"warm-up day {t / 86400:.4g}/{warmup_days:.4g}"
                    + seeds, stage_fraction=t / warm_s)
        else:
            done = (t - warm_s) / 86400.0
            ev.emit("simulating", whole, f"day {done:.4g}/{days:.4g}" + seeds,
                    stage_fraction=(t - warm_s) / run_s if run_s > 0 else 1.0)

    return tick


def sweep_events(events: ProgressEvents | None = None) -> Callable[[int, int], None] | None:
    """A sweep's progress callback (variants done, variants in all); None when no events
    file is set."""
    ev = events or events_from_env()
    if ev is None:
        return None

    def tick(done: int, total: int) -> None:
        frac = done / total if total else None
        ev.emit("sweep", frac, f"{done:,}/{total:,} variants", stage_fraction=frac)

    return tick


#: The siting steps in the order ``aifab.grid.site`` reports them (message prefix, stage,
#: share of the run done when the step starts). The shares are measured, not guessed: on
#: ``aifab site mini.yaml --hours 24`` (tests/serve/conftest.py's two-owner scenario, the
#: shared 2-core test machine) the steps started at 0, 25.6, 34.5, 36.1, 52.2 and 52.5 s
#: of 84 s: building the network, the MIP and calibrating the base case take the time.
#: A step seen again (stage 1 of two-stage siting, the re-solve without flexibility)
#: is mapped into its own span (see ``site_events``); fractions never go back.
SITE_STEPS: tuple[tuple[str, str, float], ...] = (
    ("loading grid data", "loading", 0.0),
    ("stage 1", "stage-1", 0.0),
    ("building network", "network", 0.0),
    ("building optimisation model", "model", 0.30),
    ("stage 2", "solving", 0.41),
    ("solving the grid without AI load", "reference", 0.41),
    ("solving for the fewest GPUs waiting", "fewest", 0.42),
    ("solving with HiGHS", "solving", 0.43),
    ("reading results", "results", 0.62),
    ("re-dispatch", "redispatch", 0.62),
    ("solving again without flexibility", "flexibility", 0.62),
    ("calibrating the base case", "calibration", 0.63),
)
HOSTING_SHARE = 0.46
"""Share of a ``--hosting`` run its hosting-capacity step takes (72 s of 156 s in the same
measurement); the other steps fill the rest."""


def site_events(hosting: bool = False, events: ProgressEvents | None = None,
                ) -> Callable[[str], None] | None:
    """The siting progress callback (its status messages, see ``SITE_STEPS``) as events
    with a stage and a fraction of the run; None when no events file is set.

    Two nested solves repeat the steps: stage 1 of two-stage siting (its steps fill
    0-0.45 of the run, the second stage the rest) and the re-solve without flexibility
    offers (0.62-0.63). With ``hosting`` every share is scaled to leave the last
    ``HOSTING_SHARE`` to the hosting-capacity step."""
    ev = events or events_from_env()
    if ev is None:
        return None
    span = {"lo": 0.0, "hi": 1.0, "nested": 0.0, "after": 0.0}
    scale = 1.0 - HOSTING_SHARE if hosting else 1.0

    def say(msg: str) -> None:
        step = next((s for s in SITE_STEPS if msg.startswith(s[0])), None)
        if msg.startswith("hosting capacity"):
            ev.emit("hosting", 1.0 - HOSTING_SHARE, msg, force=True)
            return
        if step is None:
            ev.emit("siting", None, msg, force=True)
            return
        _, stage, frac = step
        out = (span["lo"] + frac * (span["hi"] - span["lo"])) * scale
        ev.emit(stage, out, msg, force=True)
        if stage in ("stage-1", "flexibility") and not span["nested"]:
            lo, hi, after = (0.0, 0.45, 0.45) if stage == "stage-1" else (0.62, 0.63, 0.0)
            span.update(lo=lo, hi=hi, nested=1.0, after=after)
        elif stage == "results" and span["nested"]:
            span.update(lo=span["after"], hi=1.0, nested=0.0)

    return say


def read_last_event(path: str, tail_bytes: int = 4096) -> dict[str, Any] | None:
    """The newest complete event in an events file, or None (missing, empty, unreadable)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - tail_bytes))
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            doc = json.loads(line)
        except ValueError:
            continue  # a line being written, or the cut first line of the tail
        if isinstance(doc, dict) and isinstance(doc.get("stage"), str):
            return doc
    return None
