"""Curtailment in a checkpoint: the windows, the campuses' curtailment limits and the
:class:`~._curtail.Curtailer`'s own state (paused jobs, the rows of windows so far), so a
run with curtailment windows resumes bit-identically.

The entry ``curtail`` holds ``windows`` (``[start_h, duration_h, depth, owner]`` each: a
resumed run attaches the same windows before it restores, :func:`windows_in`),
``limits`` (``[campus, kW]`` for each campus under a window's limit), ``active`` (open
windows per campus), ``paused`` (``[job, paused at, accelerators]``), ``paused_acc_s``
and ``rows`` (each window's row as numbers: the window's index, then the response's
figures; the window gives the row's first four fields).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import astuple
from typing import TYPE_CHECKING, Any

import numpy.typing as npt

from aifab.errors import BadInput
from aifab.sim.national._curtail import Curtailer, CurtailWindow
from aifab.sim.national._job import Job
from aifab.sim.national._tree import WindowResponse

if TYPE_CHECKING:
    from aifab.sim.national._fleet import FleetState
    from aifab.sim.national._observers import Observer

KEY = "curtail"
_HEAD = 4  # a row's fields the window gives: owner, start_h, duration_h, depth


def curtailer_of(observers: Iterable[Observer]) -> Curtailer | None:
    """The run's curtailment source, if it has one."""
    return next((o for o in observers if isinstance(o, Curtailer)), None)


class CurtailSection:
    """The :class:`~._stateful.Stateful` part of a run with curtailment windows."""

    def __init__(self, cur: Curtailer, fleet: FleetState) -> None:
        self.cur, self.fleet = cur, fleet

    def state(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
        cur = self.cur
        windows = [w for w, _c in cur.windows]
        keys = [(w.owner, w.start_h, w.duration_h, w.depth) for w in windows]
        rows = [[keys.index(astuple(r)[:_HEAD]), *map(float, astuple(r)[_HEAD:])]
                for r in cur.rows]
        return {KEY: {
            "windows": [[w.start_h, w.duration_h, w.depth, w.owner] for w in windows],
            "limits": [[c, kw] for c, kw in enumerate(self.fleet.curtail_kw)
                       if math.isfinite(kw)],
            "active": list(cur.active),
            "paused": [[jid, t, n] for jid, (t, n) in cur.paused.items()],
            "paused_acc_s": cur.paused_acc_s, "rows": rows}}, {}

    def restore(self, state: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]],
                jobs: Mapping[int, Job]) -> None:
        doc, cur, fl = state[KEY], self.cur, self.fleet
        limits = [math.inf] * len(fl.curtail_kw)
        for c, kw in doc["limits"]:
            limits[int(c)] = float(kw)  # an index out of range: a corrupt checkpoint
        fl.curtail_kw[:] = limits
        if len(doc["active"]) != len(cur.active):
            raise ValueError("curtail.active: one entry per campus")
        cur.active[:] = [int(x) for x in doc["active"]]
        cur.paused = {int(j): (float(t), int(n)) for j, t, n in doc["paused"]}
        cur.paused_acc_s = float(doc["paused_acc_s"])
        cur.rows = [_row(cur.windows[int(r[0])][0], r[1:]) for r in doc["rows"]]


def _row(w: CurtailWindow, figures: list[float]) -> WindowResponse:
    before, req, jobs, acc, moved, shed, unmet, after, met = figures
    return WindowResponse(w.owner, w.start_h, w.duration_h, w.depth, float(before),
                          float(req), int(jobs), int(acc), int(moved), int(shed),
                          float(unmet), float(after), bool(met))


def windows_in(state: Any, owners: list[str], src: str) -> list[CurtailWindow] | None:
    """The curtailment windows a checkpoint's state holds (None: a run without them);
    exit 2 naming ``src`` and the field when they are not windows of these owners."""
    doc = state.get(KEY) if isinstance(state, dict) else None
    if doc is None:
        return None
    raw = doc.get("windows") if isinstance(doc, dict) else None
    if not isinstance(raw, list):
        raise BadInput("expected a list of windows", source=src, where=f"{KEY}.windows")
    out = []
    for i, w in enumerate(raw):
        ok = isinstance(w, list) and len(w) == 4 and all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for x in w[:3]) and w[3] in owners
        if not ok:
            raise BadInput("expected [start_h, duration_h, depth, owner] of the "
                           "scenario's owners", source=src, where=f"{KEY}.windows[{i}]")
        out.append(CurtailWindow(float(w[0]), float(w[1]), float(w[2]), str(w[3])))
    return out
