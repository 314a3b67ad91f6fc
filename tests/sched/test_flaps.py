"""L11: the workloads the twin's Kueue admission preempts again and again, counted per
victim with its ClusterQueue and first and last day, reported in ``admission.again`` and
one line on stderr (docs/sched.md)."""

from __future__ import annotations

from _cfg import cq
from test_twin_loop import GRACE, H, Loop

from aifab.commands.simulate import _loops
from aifab.sched import admission_report
from aifab.sched._flaps import AGAIN, Flaps
from aifab.sched._twinpolicy import _name


def test_a_victim_preempted_each_hour_is_reported_with_its_days(capsys: object) -> None:
    """A lone ClusterQueue (32 GPUs, withinClusterQueue LowerPriority) full of 8-GPU
    low-priority jobs; a half-hour high-priority job arrives at 1, 2 and 3 h. Each takes
    the most recently admitted low-priority workload (P1): lo3 first, and lo3 again each
    time, since it was admitted again when the high-priority job before ended (its pods
    gone after the grace, A5d; the set-aside workloads requeued a second after, A2b)."""
    lp = Loop(cq("a", None, 32, preemption={"withinClusterQueue": "LowerPriority"}),
              cq("b", None, 32))
    for k in range(4):
        lp.submit(0.0, "a", f"lo{k}", 10.0)
    for k in (1, 2, 3):
        lp.submit(float(k), "a", f"hi{k}", 0.5, prio=5)
    lp.finish()
    j = lp.jobs
    assert [j[f"lo{k}"].preempt for k in range(4)] == [0, 0, 0, 3]
    assert j["hi1"].first == H + GRACE and j["hi3"].first == 3 * H + GRACE
    rep = admission_report(lp.policy)
    name = _name(j["lo3"].id)
    assert rep["again"] == {"at_least": AGAIN, "workloads": 1, "preemptions": 3,
                            "most": [{"workload": name, "cluster_queue": "a",
                                      "preemptions": 3, "first_day": H / 86400.0,
                                      "last_day": 3 * H / 86400.0}]}
    _loops(rep)
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert f"1 workloads were preempted {AGAIN} times or more (3 preemptions)" in err
    assert f"most: {name} of a, 3 times (days 0.042-0.125)" in err


def test_fewer_preemptions_than_the_threshold_are_not_reported(capsys: object) -> None:
    f = Flaps()
    for t in range(AGAIN - 1):
        f.note("w", "q", float(t))
    f.note("v", "q", 0.0)
    assert f.report() == {"at_least": AGAIN, "workloads": 0, "preemptions": 0, "most": []}
    f.note("w", "q", 86400.0)
    got = f.report()
    assert got["workloads"] == 1 and got["preemptions"] == AGAIN
    assert got["most"][0]["first_day"] == 0.0 and got["most"][0]["last_day"] == 1.0


def test_the_most_preempted_come_first_ties_by_name() -> None:
    f = Flaps()
    for w, n in (("b", 4), ("a", 4), ("c", 9), ("d", 3)):
        for _ in range(n):
            f.note(w, "q", 0.0)
    assert [m["workload"] for m in f.report()["most"]] == ["c", "a", "b", "d"]
    assert [m["workload"] for m in f.report(top=2)["most"]] == ["c", "a"]
