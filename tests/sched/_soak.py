"""How many random seeds the engine's on/off tests run: a few in ``make test``, all of them
in the soak (``benchmarks/sched_soak.py``, which sets ``AIFAB_SOAK=1``).

Each such test runs random fleets with a speed rule on and off and asserts the same
decisions (and that the rule was used); most of their cost was in the seeds after the first
few. The soak runs every seed and is a gate before a change to ``aifab.sched`` lands
(docs/sched.md), beside ``benchmarks/sched_hash.py`` and ``sched_replay.py beside``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pytest

SOAK = os.environ.get("AIFAB_SOAK", "") not in ("", "0")


def seeds(stop: int, ci: int, start: int = 0) -> range:
    """``range(start, stop)`` under the soak, its first ``ci`` seeds otherwise."""
    return range(start, stop if SOAK else min(stop, start + ci))


def fast_first(values: Iterable[Any], n: int = 2, multi: bool = False) -> list[Any]:
    """Parameters for ``pytest.mark.parametrize``: the first ``n`` values as they are, the
    others marked slow (``make test`` runs every one, ``make test-fast`` the first ``n``).
    ``multi``: each value is a tuple of several arguments."""
    out: list[Any] = []
    for i, v in enumerate(values):
        if i < n:
            out.append(v)
        else:
            out.append(pytest.param(*(v if multi else (v,)), marks=pytest.mark.slow))
    return out
