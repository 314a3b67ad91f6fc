"""Curtailment in the twin: the grid asks a campus to cut its power for a while.

A window (start, duration, depth) asks the campus to lower its facility draw by ``depth``
x the draw at the window's start, at once, and to stay at or below that level until the
window ends. The response, in order, at the instant the signal arrives:

1. checkpoint and pause running training, lowest priority first (larger gangs first
   within a priority): the gang frees now, the job keeps all its work (the checkpoint is
   taken as it pauses) and is queued again at the front; it pays ``sim.restart_cost_s``
   when it resumes;
2. move inference replicas off the campus to the service's pools on other campuses (the
   NPU pools) where they fit; what does not fit is shed (unmet tokens until the next
   autoscaling, when the services size for the capped campus themselves).

While the window lasts the campus is capped at the reduced level (no start or replica may
raise it); at its end the cap is lifted and paused jobs restart as the policy decides.
Not modelled: DVFS throttling of running work (the ``throttle`` power mode does it for a
whole run, not per window), the seconds a real checkpoint takes.

Event kinds ``curtail-start`` and ``curtail-end`` (:mod:`._events`); a checkpoint holds
the windows and the response's state (:mod:`._curtailck`).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aifab._io import read_text_file
from aifab.errors import BadInput
from aifab.sim.national._events import CURTAIL_END, CURTAIL_START
from aifab.sim.national._job import QUEUED, RUNNING, Job
from aifab.sim.national._observers import Observer
from aifab.sim.national._tree import Flexibility, WindowResponse

if TYPE_CHECKING:
    from aifab.sim.national._protocol import RunContext


@dataclass(frozen=True)
class CurtailWindow:
    """Hours after the warm-up, length (h), share of the campus draw to shed, owner."""

    start_h: float
    duration_h: float
    depth: float
    owner: str


def read_curtailment(path: Path | str, owners: list[str]) -> list[CurtailWindow]:
    """Windows from a CSV: ``start_h, duration_h, depth, owner`` (owner empty or ``*``:
    every campus)."""
    src = str(path)
    try:
        df = pd.read_csv(io.StringIO(read_text_file(path, "curtailment windows")),
                         dtype={"owner": str}, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadInput(f"cannot parse CSV ({exc})", source=src) from None
    for col in ("start_h", "duration_h", "depth"):
        if col not in df.columns:
            raise BadInput(f"missing column '{col}'", source=src, where="line 1")
    out = []
    for i, r in enumerate(df.to_dict(orient="records")):
        where = f"line {i + 2}"
        try:
            start, dur, depth = (float(r[c]) for c in ("start_h", "duration_h", "depth"))
        except (TypeError, ValueError):
            raise BadInput("start_h, duration_h and depth must be numbers", source=src,
                           where=where) from None
        if not (math.isfinite(start) and start >= 0 and math.isfinite(dur) and dur > 0):
            raise BadInput("start_h must be >= 0 and duration_h > 0", source=src, where=where)
        if not 0 < depth <= 1:
            raise BadInput(f"depth {depth} must be in (0, 1]", source=src, where=where)
        who = str(r.get("owner", "") or "*").strip() or "*"
        if who != "*" and who not in owners:
            raise BadInput(f"owner {who!r} is not in the scenario", source=src,
                           where=f"{where}, column owner")
        for o in (owners if who == "*" else [who]):
            out.append(CurtailWindow(start, dur, depth, o))
    return out


def windows_from_site_doc(doc: Any, owners: list[str], year: int | None = None,
                          src: str = "siting result") -> list[CurtailWindow]:
    """The hourly limits of an ``aifab site`` result with flexibility offers
    (``flexibility.curtailment_hourly`` of ``year``, default the last): each owner's
    curtailed hours of the k-th curtailed representative day fall on the twin's k-th
    measured day, consecutive hours merged into one window at their deepest cut. None
    when the result has no hourly curtailment."""
    rows = ((doc.get("flexibility") or {}).get("curtailment_hourly") or []
            if isinstance(doc, dict) else [])
    try:
        df = pd.DataFrame(rows, columns=["owner", "year", "day", "hour", "depth"])
        df = df.astype({"owner": str, "year": int, "day": int, "hour": int, "depth": float})
    except (TypeError, ValueError, KeyError):
        raise BadInput("needs owner, year, day, hour and depth",
                       source=src, where="flexibility.curtailment_hourly") from None
    if df.empty:
        return []
    y = int(df["year"].max()) if year is None else year
    df = df[df["year"] == y]
    out: list[CurtailWindow] = []
    for owner, g in df.groupby("owner", sort=True):
        if owner not in owners:
            raise BadInput(f"owner {owner!r} is not in the scenario", source=src,
                           where="flexibility.curtailment_hourly")
        days = sorted(set(g["day"]))
        for _, r in g.sort_values(["day", "hour"]).iterrows():
            start = days.index(int(r["day"])) * 24.0 + int(r["hour"])
            d = min(1.0, float(r["depth"]))
            last = out[-1] if out else None
            if last is not None and last.owner == owner and \
                    last.start_h + last.duration_h == start:
                out[-1] = CurtailWindow(last.start_h, last.duration_h + 1.0,
                                        max(last.depth, d), str(owner))
            elif d > 0:
                out.append(CurtailWindow(start, 1.0, d, str(owner)))
    return out


class Curtailer(Observer):
    """The curtailment signal's event source and its meter (reset at warm-up)."""

    def __init__(self, run: RunContext, windows: list[CurtailWindow]) -> None:
        self.run = run
        tw = run.twin
        camp = {c.owner: i for i, c in enumerate(tw.campuses)}
        self.windows = [(w, camp[w.owner]) for w in windows if w.owner in camp]
        self.paused: dict[int, tuple[float, int]] = {}  # job id -> (paused at, n)
        self.rows: list[WindowResponse] = []
        self.paused_acc_s = 0.0
        self.active = [0] * len(tw.campuses)
        for k, (w, _c) in enumerate(self.windows):
            t0 = tw.warmup_s + w.start_h * 3600.0
            if t0 < tw.horizon_s:
                run.events.push(t0, CURTAIL_START, k)
                run.events.push(min(t0 + w.duration_h * 3600.0, tw.horizon_s), CURTAIL_END, k)

    # -- observer hooks --------------------------------------------------------------
    def on_start(self, job: Job, multi_domain: bool, spilled: bool) -> None:
        got = self.paused.pop(job.id, None)
        if got is not None:
            self.paused_acc_s += got[1] * (self.run.now - max(got[0], self.run.twin.warmup_s))

    def on_warm(self) -> None:
        self.paused_acc_s = 0.0

    # -- events ----------------------------------------------------------------------
    def start(self, k: int) -> None:
        run, (w, c) = self.run, self.windows[k]
        fl, tw = run.fleet, run.twin
        before = fl.campus_kw[c]
        target = before * (1.0 - w.depth)
        fl.set_curtail(c, min(fl.curtail_kw[c], target))
        self.active[c] += 1
        pools = set(tw.campuses[c].pools)
        row = WindowResponse(w.owner, w.start_h, w.duration_h, w.depth, before / 1000.0,
                             (before - target) / 1000.0)
        running = [j for p in {fl.pool_part[i] for i in pools if fl.pool_part[i] >= 0}
                   for j in fl.running[p].values()
                   if j.pool in pools and j.state == RUNNING]
        for job in sorted(running, key=lambda j: (j.prio, -j.n, j.id)):
            if fl.campus_kw[c] <= target + 1e-6:
                break
            self._pause(job)
            row.jobs_paused += 1
            row.accelerators_paused += job.n
        if fl.campus_kw[c] > target + 1e-6:
            self._move_inference(c, target, row)
        row.after_mw = fl.campus_kw[c] / 1000.0
        row.met = bool(fl.campus_kw[c] <= target + 1e-6)
        if run.now >= tw.warmup_s:
            self.rows.append(row)

    def end(self, k: int) -> None:
        run, (_w, c) = self.run, self.windows[k]
        self.active[c] -= 1
        if self.active[c] == 0:  # overlapping windows: the last one to end lifts the cap
            run.fleet.set_curtail(c, math.inf)

    # -- responses -------------------------------------------------------------------
    def _pause(self, job: Job) -> None:
        """Checkpoint and pause: free the gang now, keep every second of work."""
        ops = self.run.ops
        for fe in ops.bus.evict:
            fe(job, "curtail")
        done = ops._ran(job)
        job.work = max(0.0, job.work - done)
        job.restart = ops.settings.restart_cost_s
        job.state = QUEUED
        job.preempt += 1
        job.token += 1
        for f in ops.bus.requeue:
            f(job)
        ops.queues.enqueue(job, front=True)
        self.paused[job.id] = (self.run.now, job.n)

    def _move_inference(self, c: int, target: float, row: WindowResponse) -> None:
        run = self.run
        fl, tw, ops, services = run.fleet, run.twin, run.ops, run.services
        pools = set(tw.campuses[c].pools)
        every = run.twin.settings.scale_interval_h * 3600.0
        left = every - (run.now % every) if run.now % every else every
        for svc in tw.services:
            ss = services.per_service[svc.index]
            load = services.load[svc.index]
            for pool, dev, cap in svc.replica:
                doms = ss.reps.get(pool, [])
                if pool not in pools or not doms:
                    continue
                per = dev * (tw.pools[pool].busy_kw - tw.pools[pool].idle_kw)
                need = max(0, math.ceil((fl.campus_kw[c] - target - 1e-6) / per))
                k = min(len(doms), need)
                if k == 0:
                    continue
                ops.release_replicas(pool, doms[len(doms) - k:], dev)
                del doms[len(doms) - k:]
                moved_cap = k * cap * load
                for opool, odev, ocap in svc.replica:
                    if opool in pools or moved_cap <= 1e-9:
                        continue
                    want = math.ceil(moved_cap / ocap - 1e-9)
                    got = ops.place_replicas(opool, odev, want)
                    ss.reps.setdefault(opool, []).extend(got)
                    row.replicas_moved += len(got)
                    moved_cap -= len(got) * ocap
                if moved_cap > 1e-9:
                    row.replicas_shed += math.ceil(moved_cap / (cap * load)) if load else 0
                    tok = moved_cap * left
                    ss.served_tok -= tok
                    ss.unmet_tok += tok
                    row.inference_unmet_tokens += tok
                if fl.campus_kw[c] <= target + 1e-6:
                    return

    # -- results ---------------------------------------------------------------------
    def summary(self) -> Flexibility:
        """The ``flexibility`` block (each window's row copied: the tree is frozen)."""
        now = self.run.now
        still = sum(n * (now - max(t, self.run.twin.warmup_s)) for t, n in self.paused.values())
        rows = self.rows
        return Flexibility(
            windows=len(rows), windows_met=sum(1 for r in rows if r.met),
            requested_mwh=sum(r.requested_mw * r.duration_h for r in rows),
            jobs_delayed=sum(r.jobs_paused for r in rows),
            accelerator_h_paused=(self.paused_acc_s + still) / 3600.0,
            still_paused_at_end=len(self.paused),
            replicas_moved=sum(r.replicas_moved for r in rows),
            replicas_shed=sum(r.replicas_shed for r in rows),
            inference_unmet_tokens=sum(r.inference_unmet_tokens for r in rows),
            by_window=tuple(replace(r) for r in rows))


def add_curtailment(run: RunContext, windows: list[CurtailWindow]) -> Curtailer:
    """Attach the curtailment windows to a fresh run (before it starts)."""
    cur = Curtailer(run, windows)
    run.add(cur, {CURTAIL_START: cur.start, CURTAIL_END: cur.end})
    return cur

