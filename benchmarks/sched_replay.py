"""Record the Kueue engine of a twin run at one day and replay the engine calls that follow
(docs/benchmarks.md): a late stretch of the 1,000-ClusterQueue year in seconds, not the
quarter of an hour it takes to get there, for profiling and A/B runs of speed rules.

Usage:
  python benchmarks/sched_replay.py record OUT [--kueue DIR | --tiered --classic]
                                     [--start 139] [--end 141]
  python benchmarks/sched_replay.py replay OUT [--off A33,A34,...] [--repeat 1]
  python benchmarks/sched_replay.py beside OUT RULE
  python benchmarks/sched_replay.py kinds OUT
  python benchmarks/sched_replay.py days [--kueue DIR | --tiered --classic] [--days 365]
                                   [--off ...]
  python benchmarks/sched_replay.py compare BASE.err NEW.err
  python benchmarks/sched_replay.py budget [--kueue DIR | --tiered --classic] [--days 31]

``record`` runs ``aifab simulate --kueue DIR --days 365`` (DIR: default, the issue #22 case
of sched_bench.fleet_design built in a temporary folder; --tiered, --classic: its tiered
design, classic preemption) and, when the twin reaches day
--start, pickles its engine to OUT/engine.pkl, then logs every engine call (submit, finish,
run with its clock, and each run's event count, with the copies A29 lists, and cycle
number) until day --end (OUT/log.pkl). ``replay`` loads them, makes the same calls,
checks every run's event count and cycle number against the log (exit 1 on any
difference) and prints the engine's CPU seconds; --off turns the named speed rules off
(each is exact: the replay must still match; recordings made before A49 count only the
events ``run()`` returned, so their runs that reach the cycle limit differ). The pickles
are this machine's own files, read back by the same code version.
``beside`` replays the log twice side by side, all rules on and with RULE off, and compares
each run's events (the copies A29 lists included) and the whole engine state after it
(exit 1 on any difference): a stronger check of an exact speed rule than the event counts.
``kinds`` replays the log and counts its engine runs, with their CPU seconds, by kind: given
by A67; after a submission or finish; at a requeue with no event; and of the others, the
smallest k (up to 24) for which the run made the same events as the run k before it, with
nothing called in between (a loop across requeues of period k), or none.
``days`` runs the same simulation and prints, as each simulated day ends, the CPU seconds
spent that day in the Kueue policy, the process's CPU seconds so far, and the engine's
cumulative preemptions and cycles, on stderr (the run's JSON goes to stdout). Two builds
(or --off rules) that decide the same give the same preemptions and cycles at the end of
every day (days count from the start of the warm-up).
``compare`` reads the stderr of two ``days`` runs (two builds side by side) up to their last
common day: whether they decided the same (the same preemptions and cycles at the end of
every day; exit 1 if not), and their process and policy CPU seconds, the days under 10
policy CPU-s and the heavier ones apart, the heaviest days and the median day. A year side
by side to day 31 takes about 5 minutes and is a better first check of a speed rule than a
recording (replayed from an unpickled engine, whose memos start empty: docs/benchmarks.md,
thirty-sixth session row).
``budget``: the run's CPU time split beside the native twin's, and how much faster
``Engine.run`` must get for issue #22's 2x (benchmarks/sched_budget.py).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pickle
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aifab.sched._rules import SPEED as FLAGS  # speed rule -> (module, flag); docs/sched.md


def _design(tiered: bool = False, fair: bool = True) -> Path:
    """The issue #22 case (``sched_bench.fleet_design``) in a temporary folder (``tiered``,
    ``fair``: its variants)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from sched_bench import fleet_design

    from aifab.catalog import default_catalog
    from aifab.scenario import load_scenario
    from aifab.sched import export_manifests
    tmp = Path(tempfile.mkdtemp())
    export_manifests(load_scenario("korea-2025"), default_catalog(), kueue=tmp / "k")
    fleet_design(tmp / "k", tmp / "f", 1000, 20, tiered, fair)
    return tmp / "f"


def days(kueue: Path, n: float, off: list[str]) -> None:
    from aifab.sched import _twinpolicy

    _switch_off(off)
    spent: dict[int, float] = {}
    day = [-1]
    schedule = _twinpolicy.KueuePolicy.schedule

    def schedule_(self: Any, r: Any, dirty: Any) -> None:
        t0 = time.process_time()
        schedule(self, r, dirty)
        d = int(r.now / 86400.0)
        if day[0] >= 0 and d != day[0]:
            print(day_line(day[0], spent[day[0]], time.process_time(), self.preempted,
                           self.engine.cycle), file=sys.stderr, flush=True)
        day[0] = d
        spent[d] = spent.get(d, 0.0) + time.process_time() - t0

    _twinpolicy.KueuePolicy.schedule = schedule_  # type: ignore[method-assign, assignment]
    from aifab.cli import main
    sys.argv = ["aifab", "simulate", "--kueue", str(kueue), "--days", f"{n:g}", "--json"]
    main()


def record(out: Path, kueue: Path, start: float, end: float) -> None:
    from aifab.sched import _engine, _twinpolicy

    out.mkdir(parents=True, exist_ok=True)
    log: list[tuple[Any, ...]] = []
    on = [False]
    eng_cls = _engine.Engine
    submit, finish, run = eng_cls.submit, eng_cls.finish, eng_cls.run
    evicted = eng_cls.evicted

    def submit_(self: Any, wl: Any) -> None:
        if on[0]:
            log.append(("submit", pickle.dumps(wl), self.clock))
        submit(self, wl)

    def finish_(self: Any, name: str) -> None:
        if on[0]:
            log.append(("finish", name, self.clock))
        finish(self, name)

    def evicted_(self: Any, name: str) -> None:
        if on[0]:
            log.append(("evicted", name, self.clock))
        evicted(self, name)

    def run_(self: Any, *a: Any, **k: Any) -> Any:
        evs = run(self, *a, **k)
        if on[0]:
            log.append(("run", self.clock, _count(self, evs), self.cycle))
        return evs

    schedule = _twinpolicy.KueuePolicy.schedule

    def schedule_(self: Any, r: Any, dirty: Any) -> None:
        day = r.now / 86400.0
        if not on[0] and day >= start:
            sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
            (out / "engine.pkl").write_bytes(pickle.dumps(self.engine, protocol=5))
            on[0] = True
        if day >= end:
            (out / "log.pkl").write_bytes(pickle.dumps(log, protocol=5))
            print(f"recorded days {start:g}-{end:g}: {len(log)} engine calls -> {out}")
            sys.stdout.flush()
            os._exit(0)
        schedule(self, r, dirty)

    eng_cls.submit, eng_cls.finish, eng_cls.run = submit_, finish_, run_  # type: ignore
    eng_cls.evicted = evicted_  # type: ignore[method-assign]
    _twinpolicy.KueuePolicy.schedule = schedule_  # type: ignore[method-assign, assignment]
    from aifab.cli import main
    sys.argv = ["aifab", "simulate", "--kueue", str(kueue), "--days", "365", "--json"]
    main()


def day_line(day: int, policy: float, so_far: float, preempted: int, cycles: int) -> str:
    """A line ``days`` prints as a simulated day ends (``compare`` reads it, ``_DAY``)."""
    return (f"day {day}: {policy:.2f} CPU-s in the policy, {so_far:.1f} CPU-s so far, "
            f"preemptions {preempted}, cycles {cycles}")


_DAY = re.compile(r"day (\d+): ([\d.]+) CPU-s in the policy, ([\d.]+) CPU-s so far, "
                  r"preemptions (\d+), cycles (\d+)")


def _days(text: str) -> dict[int, tuple[float, float, int, int]]:
    """A ``days`` run's stderr: per day, (policy CPU-s that day, process CPU-s so far,
    preemptions, cycles)."""
    return {int(m[1]): (float(m[2]), float(m[3]), int(m[4]), int(m[5]))
            for m in _DAY.finditer(text)}


def compare(base: str, new: str) -> tuple[int, list[str]]:
    """``compare``: the exit status (0 the same decisions, 1 not, 2 no day in common) and
    the lines it prints."""
    b, n = _days(base), _days(new)
    common = sorted(set(b) & set(n))
    if not common:
        return 2, ["compare: no day in common (is each file the stderr of a `days` run?)"]
    differ = [d for d in common if b[d][2:] != n[d][2:]]
    last = common[-1]

    def pct(x: float, y: float) -> str:
        return f"{(y / x - 1) * 100:+.1f} %" if x else "-"

    lines = [f"days {common[0]}-{last}: " + (
        f"decisions differ from day {differ[0]} ({len(differ)} days)" if differ
        else "the same preemptions and cycles at the end of every day")]
    lines.append(f"process CPU-s at the end of day {last}: {b[last][1]:.1f} / {n[last][1]:.1f}"
                 f" ({pct(b[last][1], n[last][1])})")
    for name, ds in (("in the policy", common),
                     ("days under 10 CPU-s", [d for d in common if b[d][0] < 10]),
                     ("heavier days", [d for d in common if b[d][0] >= 10])):
        x, y = sum(b[d][0] for d in ds), sum(n[d][0] for d in ds)
        lines.append(f"{name} ({len(ds)} days): {x:.1f} / {y:.1f} ({pct(x, y)})")
    heavy = sorted(common, key=lambda d: -b[d][0])[:5]
    lines.append("heaviest: " + ", ".join(f"day {d} {b[d][0]:.1f} / {n[d][0]:.1f}"
                                           for d in heavy))
    lines.append(f"median day: {statistics.median(b[d][0] for d in common):.2f} / "
                 f"{statistics.median(n[d][0] for d in common):.2f}")
    return (1 if differ else 0), lines


def _switch_off(off: list[str]) -> None:
    for name in off:
        mod, attr = FLAGS[name]
        setattr(importlib.import_module(mod), attr, False)


def _count(eng: Any, evs: list[Any]) -> int:
    """A run's events with the copies of a repeat that a compact engine lists (A29) counted:
    where A27 skips whole periods is a speed choice (A49), what they hold is not."""
    return len(evs) + sum(m * len(period) for _, period, m, _ in eng.elided) \
        if eng.compact else len(evs)


def replay(out: Path, off: list[str], repeat: int) -> int:
    _switch_off(off)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    log = pickle.loads((out / "log.pkl").read_bytes())
    bad, times = 0, []
    for _ in range(repeat):
        eng = pickle.loads((out / "engine.pkl").read_bytes())
        t0 = time.process_time()
        for call in log:
            if len(call) > 2 and call[0] != "run":  # the clock then (A2b reads it at a
                eng.clock = call[2]  # finish; recordings before A2b have none)
            if call[0] == "submit":
                eng.submit(pickle.loads(call[1]))
            elif call[0] in ("finish", "evicted"):
                getattr(eng, call[0])(call[1])
            else:
                eng.clock = call[1]
                n = _count(eng, eng.run())
                bad += n != call[2] or eng.cycle != call[3]
        times.append(time.process_time() - t0)
    runs = sum(c[0] == "run" for c in log)
    print(f"replayed {runs} engine runs ({'all rules on' if not off else 'off: ' + ','.join(off)})"
          f": {min(times):.2f} CPU-s (best of {repeat}); runs that differ from the log: {bad}")
    return 1 if bad else 0


def beside(out: Path, rule: str) -> int:
    from aifab.sched._again import whole
    mod, flag = importlib.import_module(FLAGS[rule][0]), FLAGS[rule][1]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    log = pickle.loads((out / "log.pkl").read_bytes())
    raw = (out / "engine.pkl").read_bytes()
    on, off = pickle.loads(raw), pickle.loads(raw)
    bad = runs = 0
    spent = [0.0, 0.0]
    for call in log:
        for eng in (on, off):
            if len(call) > 2 and call[0] != "run":
                eng.clock = call[2]
            if call[0] == "submit":
                eng.submit(pickle.loads(call[1]))
            elif call[0] in ("finish", "evicted"):
                getattr(eng, call[0])(call[1])
        if call[0] != "run":
            continue
        got = []
        for i, eng in enumerate((on, off)):
            setattr(mod, flag, i == 0)
            eng.clock = call[1]
            t0 = time.process_time()
            evs = eng.run()
            spent[i] += time.process_time() - t0
            got.append(whole(eng, evs))
        runs += 1
        bad += got[0] != got[1]
    setattr(mod, flag, True)
    print(f"replayed {runs} engine runs beside {rule} off: {bad} differ in events or state; "
          f"engine CPU-s {spent[0]:.2f} on, {spent[1]:.2f} off")
    return 1 if bad else 0


def kinds(out: Path) -> int:
    from collections import Counter, defaultdict
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    log = pickle.loads((out / "log.pkl").read_bytes())
    eng = pickle.loads((out / "engine.pkl").read_bytes())
    runs: Counter[str] = Counter()
    spent: defaultdict[str, float] = defaultdict(float)
    back: list[Any] = []  # the events of the runs since the last call, latest last
    for call in log:
        if len(call) > 2 and call[0] != "run":
            eng.clock = call[2]
        if call[0] == "submit":
            eng.submit(pickle.loads(call[1]))
            back = []
        elif call[0] in ("finish", "evicted"):
            getattr(eng, call[0])(call[1])
            back = []
        else:
            eng.clock, given, quiet = call[1], eng.repeated, bool(back)
            t0 = time.process_time()
            evs = eng.run()
            dt = time.process_time() - t0
            sig = (tuple((e.kind, e.workload, e.by) for e in evs),
                   tuple((tuple((e.kind, e.workload) for e in p), m) for _, p, m, _ in eng.elided))
            k = next((k for k in range(1, min(24, len(back)) + 1) if back[-k] == sig), 0)
            kind = ("given (A67)" if eng.repeated > given else "after a call" if not quiet
                    else "no event" if not evs else f"period {k}" if k else "no period")
            kind += "" if eng._fixed or kind.startswith("given") else ", at the cycle limit"
            runs[kind] += 1
            spent[kind] += dt
            back = [*back, sig][-24:]
    for kind in sorted(runs, key=lambda x: -spent[x]):
        print(f"{kind:40s} {runs[kind]:8,d} runs {spent[kind]:8.2f} CPU-s")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    r.add_argument("--kueue", type=Path)
    r.add_argument("--start", type=float, default=139.0)
    r.add_argument("--end", type=float, default=141.0)
    d = sub.add_parser("days")
    g = sub.add_parser("budget")
    for x, span in ((d, 365.0), (g, 31.0)):
        x.add_argument("--kueue", type=Path)
        x.add_argument("--days", type=float, default=span)
        x.add_argument("--off", default="")
    for x in (r, d, g):
        x.add_argument("--tiered", action="store_true", help="the tiered design (no --kueue)")
        x.add_argument("--classic", action="store_true", help="without fair sharing (no --kueue)")
    p = sub.add_parser("replay")
    p.add_argument("out", type=Path)
    p.add_argument("--off", default="")
    p.add_argument("--repeat", type=int, default=1)
    b = sub.add_parser("beside")
    b.add_argument("out", type=Path)
    b.add_argument("rule", choices=sorted(FLAGS))
    k = sub.add_parser("kinds")
    k.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("base", type=Path)
    c.add_argument("new", type=Path)
    a = ap.parse_args()
    if a.cmd == "compare":
        try:
            rc, lines = compare(a.base.read_text(), a.new.read_text())
        except (OSError, UnicodeDecodeError) as e:
            print(f"compare: {e}", file=sys.stderr)
            return 2
        print("\n".join(lines), file=sys.stderr if rc == 2 else sys.stdout)
        return rc
    if a.cmd == "beside":
        return beside(a.out, a.rule)
    if a.cmd == "kinds":
        return kinds(a.out)
    if a.cmd not in ("replay", "beside", "kinds") and a.kueue is None:
        a.kueue = _design(a.tiered, not a.classic)
    if a.cmd == "record":
        record(a.out, a.kueue, a.start, a.end)
        return 0
    off = [x for x in a.off.split(",") if x]
    unknown = [x for x in off if x not in FLAGS]
    if unknown:
        print(f"--off: unknown rule(s) {', '.join(unknown)}; known: {', '.join(FLAGS)}",
              file=sys.stderr)
        return 2
    if a.cmd == "days":
        days(a.kueue, a.days, off)
        return 0
    if a.cmd == "budget":
        from sched_budget import budget  # (this script's folder is on sys.path)

        _switch_off(off)
        print("\n".join(budget(a.kueue, a.days)))
        return 0
    return replay(a.out, off, a.repeat)


if __name__ == "__main__":
    sys.exit(main())
