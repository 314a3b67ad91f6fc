"""A driver shared by the tests of held victims (A5d): one random job's calls."""

from __future__ import annotations

from aifab.sched import Engine, gang


def held_calls(e: Engine, i: int, job: tuple[str, int, int, int]) -> None:
    """Submit job ``i`` (queue, GPUs, priority, act), then by ``act``: 0 nothing, 1 the
    oldest victim's pods gone, 2 every victim's, 3 the first admitted workload ends."""
    q, g, p, act = job
    e.submit(gang(f"j{i}", q, g, priority=p))
    ghosts = list(e.ghosts or ())
    if act == 1 and ghosts:
        e.evicted(ghosts[0])
    elif act == 2:
        for n in ghosts:
            e.evicted(n)
    elif act == 3 and e.admitted:
        e.finish(sorted(e.admitted)[0])
