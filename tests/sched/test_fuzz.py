"""Mutated manifests never crash the loader: they load, or fail with BadInput (exit 2)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifab.catalog import default_catalog
from aifab.errors import BadInput
from aifab.scenario import load_scenario
from aifab.sched import Manifests, load_docs
from aifab.sched._export import kai_docs, kueue_docs
from aifab.sched._load import check

_SCN = load_scenario("korea-2025")
_DOCS = [d for ds in (kueue_docs(_SCN, default_catalog()) | kai_docs(_SCN, default_catalog()))
         .values() for d in ds]
VALUES = st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=True),
                   st.text(max_size=5), st.just([]), st.just({}), st.just([{}]),
                   st.just("1Gi"), st.just(-1), st.booleans())


def _paths(x: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(x, dict):
        for k, v in x.items():
            out += _paths(v, (*path, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out += _paths(v, (*path, i))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_DOCS) - 1), st.integers(0, 10_000), VALUES)
def test_mutated_manifest_loads_or_is_bad_input(doc_ix: int, where: int, value: Any) -> None:
    docs = copy.deepcopy(_DOCS)
    paths = [p for p in _paths(docs[doc_ix]) if p]
    path = paths[where % len(paths)]
    target = docs[doc_ix]
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    m = Manifests()
    try:
        load_docs(m, "fuzz.yaml", docs)
        check(m)
    except BadInput as exc:
        assert "fuzz.yaml" in str(exc) or "Cohort" in str(exc) or "Queue" in str(exc)
