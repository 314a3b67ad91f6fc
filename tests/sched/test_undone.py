"""Rule L10: the twin counts the preemptions undone within their instant (the victim
admitted again before the instant ends) per ClusterQueue and workload, and says so."""

from __future__ import annotations

from test_repeats import _loop

from aifab.commands.simulate import _loops
from aifab.sched._engine import Event
from aifab.sched._twinpolicy import KueuePolicy, Undone, admission_report, undone


def _ev(kind: str, wl: str, cq: str, cycle: int) -> Event:
    return Event(kind, wl, cq, cycle)


def test_undone_counts_each_readmission_of_a_victim() -> None:
    evs = [_ev("preempt", "v", "a", 1), _ev("admit", "p", "b", 2),  # p's own admission
           _ev("admit", "v", "a", 3),  # v back: undone
           _ev("admit", "x", "c", 3), _ev("preempt", "x", "c", 4),  # admitted, then out
           _ev("preempt", "v", "a", 5), _ev("admit", "v", "a", 6),  # undone again
           _ev("preempt", "y", "d", 6)]  # not back by the end of the instant
    assert undone(evs) == [("v", "a"), ("v", "a")]
    assert undone([]) == []
    assert undone([_ev("admit", "v", "a", 1), _ev("preempt", "v", "a", 2)]) == []


def test_running_jobs_stopped_count_only_undone_victims() -> None:
    """A victim whose running job was stopped counts once per instant when it is admitted
    again in that instant; a stopped victim left out, or an undone one that was not
    running, does not."""
    u = Undone()
    evs = [_ev("preempt", "v", "a", 1), _ev("preempt", "w", "a", 1), _ev("preempt", "x", "b", 1),
           _ev("admit", "v", "a", 2), _ev("admit", "x", "b", 2), _ev("preempt", "v", "a", 3),
           _ev("admit", "v", "a", 4)]
    u.count(evs, {"v", "w"})  # v and w ran; x had not started
    u.count([_ev("preempt", "w", "a", 9)], {"w"})  # stopped, not back: nothing undone
    rep = u.report()
    assert (rep["preemptions"], rep["instants"], rep["running_jobs_stopped"]) == (3, 1, 1)
    assert rep["most_undone"] == [{"workload": "v", "preemptions": 2},
                                  {"workload": "x", "preemptions": 1}]


def test_a_loop_is_counted_and_reported(capsys: object) -> None:
    """The two-cycle loop of test_repeats at its third instant, cut at 12 cycles (7-18):
    w7 (q10) and w10 (q11) are admitted in cycle 7, w8 preempts both in each even cycle
    8-18, and they are admitted again in each odd cycle 9-17: 10 of 12 preemptions undone,
    5 each."""
    e = _loop(12)
    third = [x for x in e.events if x.cycle >= 7]
    pol = KueuePolicy(e.m, ["q00", "q10", "q11"])
    pol.undone.count(third)
    pol.undone.count([x for x in e.events if x.cycle < 7])  # the first instants: none
    rep = admission_report(pol)["undone"]
    assert rep == {"preemptions": 10, "instants": 1, "workloads": 2, "running_jobs_stopped": 0,
                   "cluster_queues": [{"cluster_queue": "q10", "preemptions": 5},
                                      {"cluster_queue": "q11", "preemptions": 5}],
                   "most_undone": [{"workload": "w10", "preemptions": 5},
                                   {"workload": "w7", "preemptions": 5}]}
    _loops(admission_report(pol))
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "10 preemptions of 2 workloads were undone at 1 instants" in err
    assert "q10 (5), q11 (5)" in err


def test_nothing_undone_says_nothing(capsys: object) -> None:
    e = _loop(10_000)
    pol = KueuePolicy(e.m, ["q00", "q10", "q11"])
    rep = admission_report(pol)
    assert rep["undone"] == {"preemptions": 0, "instants": 0, "workloads": 0,
                             "running_jobs_stopped": 0, "cluster_queues": [], "most_undone": []}
    _loops({**rep, "loops": []})
    assert "undone" not in capsys.readouterr().err  # type: ignore[attr-defined]


def test_many_loops_are_said_in_ten_lines_and_a_summary(capsys: object) -> None:
    """L9 on stderr: the ten loops over the most instants, then one line for the rest."""
    loops = [{"first_day": float(i), "last_day": float(i), "instants": i + 1,
              "workloads": [f"w{i}"], "cluster_queues": [f"q{i}"]} for i in range(14)]
    _loops({"instants_at_cycle_limit": sum(lp["instants"] for lp in loops),
            "loops_found": 14, "loops": loops,
            "undone": {"preemptions": 0, "instants": 0, "workloads": 0,
                       "running_jobs_stopped": 0, "cluster_queues": [], "most_undone": []}})
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    lines = [ln for ln in err.splitlines() if ln.startswith("admission looped")]
    assert len(lines) == 10 and lines[0].startswith("admission looped at 14 instants")
    assert "... and 4 more loops over 10 instants" in err  # instants 1-4 of loops 0-3


def test_an_instant_at_the_cycle_limit_is_left_to_l9() -> None:
    """The loop's instant, run to the twin's limit: its events (as many as A27 left listed)
    are not counted; the same events from an instant that ended are."""
    e = _loop(12)
    third = [x for x in e.events if x.cycle >= 7]
    pol = KueuePolicy(e.m, ["q00", "q10", "q11"])
    pol.undone.count(third, capped=True)
    assert admission_report(pol)["undone"]["preemptions"] == 0
    pol.undone.count(third)
    assert admission_report(pol)["undone"]["preemptions"] == 10
