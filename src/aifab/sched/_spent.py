"""Rule A79 (docs/sched.md): what a fair-sharing search that found nothing leaves for its
certificate (src/aifab/sched/_cert.py), beyond the shortfall A39 keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

from aifab.sched._model import FR
from aifab.sched._quota import Node


@dataclass
class Spent:
    """Per child of the root off the preemptor's path, what the search's takes from below
    it moved off the root's usage (``taken``); and per node on the preemptor's path below
    the root that compared shares (not within its quota with the request, F8), its share
    with the request at the search's end, the least it had in the search (``final``)."""

    taken: dict[int, dict[FR, float]] = field(default_factory=dict)
    final: dict[int, float] = field(default_factory=dict)

    def note(self, path: list[Node], snap: list[tuple[Node, dict[FR, float]]],
             frs: list[FR], final: dict[int, float]) -> None:
        """At the end of a failed search, before the usage in ``snap`` (as the search found
        it) is restored: the usage each root child off ``path`` held beyond its kept-back
        quota then, less now, for each of ``frs``; and the path's ``final`` shares."""
        self.final.update(final)
        root, mine = path[0], path[1]
        for d, then in snap:
            if d.parent is root and d is not mine:
                for fr in frs:
                    g = d.guaranteed(fr)
                    x = max(0.0, then.get(fr, 0.0) - g) - max(0.0, d.usage.get(fr, 0.0) - g)
                    if x > 0:
                        self.taken.setdefault(id(d), {})[fr] = x
