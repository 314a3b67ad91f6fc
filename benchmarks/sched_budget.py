"""``python benchmarks/sched_replay.py budget``: how far a Kueue run of the twin is from
issue #22's 2x of the native twin, and how much of that the engine must make up.

``budget`` runs ``aifab simulate --kueue DIR --days N`` in this process with its CPU time
split (the Kueue policy, and ``Engine.run`` within it), then the native twin on the same
tenants and jobs (``--policy fairshare``) in a child process, and says how fast
``Engine.run`` would have to be for the run to cost at most 2x the native twin: the rest of
the run is the twin's own work, which no speed rule of the engine takes away
(docs/benchmarks.md, thirty-ninth session row).
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def budget(kueue: Path, n: float) -> list[str]:
    """The Kueue run's CPU seconds (from its ``simulate`` call on, in this
    process), those of its policy and of ``Engine.run``, then the native twin's (a child
    process, its start-up included); the lines ``budget_lines`` makes of them."""
    from aifab.cli import main
    from aifab.sched import _engine, _twinpolicy

    spent = {"policy": 0.0, "engine": 0.0}

    def timed(f: Any, key: str) -> Any:
        def g(*a: Any, **k: Any) -> Any:
            t0 = time.process_time()
            try:
                return f(*a, **k)
            finally:
                spent[key] += time.process_time() - t0
        return g

    _twinpolicy.KueuePolicy.schedule = timed(  # type: ignore[method-assign]
        _twinpolicy.KueuePolicy.schedule, "policy")
    _engine.Engine.run = timed(_engine.Engine.run, "engine")  # type: ignore[method-assign]
    args = ["simulate", "--kueue", str(kueue), "--days", f"{n:g}", "--json"]
    t0 = time.process_time()
    sys.argv = ["aifab", *args]
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        try:
            main()
        except SystemExit as e:  # (the CLI exits when done)
            if e.code:
                raise
    run = time.process_time() - t0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "aifab.cli", *args, "--policy", "fairshare"],
                   check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    native = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return budget_lines(run, spent["policy"], spent["engine"], native)


def budget_lines(run: float, policy: float, engine: float, native: float,
                 within: float = 2.0) -> list[str]:
    """What ``budget`` prints of a Kueue run's CPU seconds (``policy`` and ``engine`` =
    ``Engine.run`` within them) and the native twin's: the ratio, what lies outside the
    engine, and how much faster ``Engine.run`` must get for the run to cost at most
    ``within`` times the native twin (or that it already does, or that no engine can)."""
    rest = run - engine
    lines = [f"Kueue run: {run:.1f} CPU-s; its policy {policy:.1f}, Engine.run {engine:.1f} "
             f"({engine / run * 100:.0f} % of the run)" if run else "Kueue run: 0 CPU-s",
             f"native twin (--policy fairshare, the same tenants and jobs): {native:.1f} "
             f"CPU-s; the Kueue run {run / native:.2f}x" if native else
             "native twin: 0 CPU-s",
             f"outside Engine.run: {rest:.1f} CPU-s"
             + (f" ({rest / native:.2f}x the native twin)" if native else "")]
    room = within * native - rest
    if run <= within * native:
        lines.append(f"within {within:g}x of the native twin: met")
    elif room <= 0:
        lines.append(f"within {within:g}x: not reachable by the engine alone (the rest of "
                     f"the run already costs {rest:.1f} of the {within * native:.1f} CPU-s)")
    else:
        lines.append(f"within {within:g}x asks Engine.run for at most {room:.1f} CPU-s: "
                     f"{engine / room:.1f}x faster than now")
    return lines
