"""``benchmarks/sched_replay.py compare``: two ``days`` logs (two builds side by side) read
up to their last common day; exit 1 when their decisions differ on a day, 2 with no day in
common; ``budget``'s lines (benchmarks/sched_budget.py) from a run's CPU seconds."""

from __future__ import annotations

from _scripts import load_benchmark

_MOD = load_benchmark("sched_replay")
compare = _MOD.compare


def _log(days: list[tuple[float, float, int, int]], tail: str = "") -> str:
    """What ``days`` prints for these days (its own line formatter)."""
    return "\n".join(_MOD.day_line(d, *v) for d, v in enumerate(days)) + tail


BASE = [(2.0, 10.0, 5, 100), (12.0, 25.0, 9, 180), (4.0, 31.0, 9, 200)]


def test_the_same_decisions_and_the_cpu_compared_up_to_the_last_common_day() -> None:
    new = [(1.0, 8.0, 5, 100), (9.0, 19.0, 9, 180), (3.0, 24.0, 9, 200), (5.0, 30.0, 11, 230)]
    rc, lines = compare(_log(BASE, "\nsomething else on stderr"), _log(new))
    assert rc == 0
    assert lines[0] == "days 0-2: the same preemptions and cycles at the end of every day"
    assert lines[1] == "process CPU-s at the end of day 2: 31.0 / 24.0 (-22.6 %)"
    assert lines[2] == "in the policy (3 days): 18.0 / 13.0 (-27.8 %)"
    assert lines[3] == "days under 10 CPU-s (2 days): 6.0 / 4.0 (-33.3 %)"
    assert lines[4] == "heavier days (1 days): 12.0 / 9.0 (-25.0 %)"
    assert lines[5].startswith("heaviest: day 1 12.0 / 9.0, day 2 4.0 / 3.0")


def test_a_day_that_decides_otherwise_exits_1() -> None:
    new = [BASE[0], (12.0, 25.0, 10, 180), BASE[2]]
    rc, lines = compare(_log(BASE), _log(new))
    assert rc == 1 and lines[0] == "days 0-2: decisions differ from day 1 (1 days)"


def test_no_day_in_common_exits_2() -> None:
    rc, lines = compare(_log(BASE), "not a days log")
    assert rc == 2 and "no day in common" in lines[0]


budget_lines = load_benchmark("sched_budget").budget_lines


def test_budget_says_how_much_faster_the_engine_must_get() -> None:
    """The thirty-ninth session's 38 days: 546.3 CPU-s, 400.1 in Engine.run, native 158.6:
    the rest (146.2) leaves 171.0 CPU-s for the engine within 2x, 2.3x faster than now."""
    lines = budget_lines(546.3, 475.9, 400.1, 158.6)
    assert lines[0] == ("Kueue run: 546.3 CPU-s; its policy 475.9, Engine.run 400.1 "
                        "(73 % of the run)")
    assert lines[1].endswith("158.6 CPU-s; the Kueue run 3.44x")
    assert lines[2] == "outside Engine.run: 146.2 CPU-s (0.92x the native twin)"
    assert lines[3] == "within 2x asks Engine.run for at most 171.0 CPU-s: 2.3x faster than now"


def test_budget_met_and_out_of_the_engines_reach() -> None:
    assert budget_lines(300.0, 250.0, 200.0, 160.0)[-1] == "within 2x of the native twin: met"
    last = budget_lines(700.0, 300.0, 250.0, 200.0)[-1]  # the rest, 450, is over 2 x 200
    assert last.startswith("within 2x: not reachable by the engine alone") and "450.0" in last
    assert budget_lines(700.0, 300.0, 250.0, 200.0, within=3.0)[-1].startswith(
        "within 3x asks Engine.run for at most 150.0 CPU-s: 1.7x")
