"""``benchmarks/sched_replay.py compare``: two ``days`` logs (two builds side by side) read
up to their last common day; exit 1 when their decisions differ on a day, 2 with no day in
common."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    "sched_replay", Path(__file__).resolve().parents[2] / "benchmarks" / "sched_replay.py")
assert _SPEC is not None and _SPEC.loader is not None
_MOD = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_MOD)
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
