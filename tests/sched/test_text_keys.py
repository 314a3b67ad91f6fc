"""Rule A66: the memos key a workload's pod sets and an assignment's usage by the text of
their values (a string keeps its hash), which must tell apart exactly the values that differ:
two pod sets (or usages) get the same text if and only if their values are equal, and the
same text is one string."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aifab.sched._assign import Assignment
from aifab.sched._cycle import _sig
from aifab.sched._workload import PodSet, Workload

NAMES = st.sampled_from(["main", "worker", "launcher", "a'b", 'q"x', "m,1"])
RES = st.sampled_from(["nvidia.com/gpu", "cpu", "memory", "example.com/npu"])
NUM = st.sampled_from([0.5, 1.0, 2.0, 8.0, 1e-9, 1024.0, 3.25])
POD = st.builds(PodSet, NAMES, st.integers(1, 64), st.dictionaries(RES, NUM, max_size=3),
                st.dictionaries(st.sampled_from(["zone", "rack"]), st.sampled_from(["a", "b"]),
                                max_size=2),
                st.sampled_from([None, "rack", "block"]), st.sampled_from([None, "rack"]))
PODS = st.lists(POD, min_size=1, max_size=3).map(tuple)
FRS = st.tuples(st.sampled_from(["b200", "b300", "gb300"]), RES)
USAGE = st.dictionaries(FRS, NUM, max_size=3)


def _values(pods: tuple[PodSet, ...]) -> Any:
    return tuple((ps.name, ps.count, tuple(sorted(ps.per_pod.items())),
                  tuple(sorted(ps.node_selector.items())), ps.required, ps.preferred)
                 for ps in pods)


@settings(max_examples=300, deadline=None)
@given(PODS, PODS)
def test_pod_sets_get_one_text_exactly_when_their_values_are_equal(a: Any, b: Any) -> None:
    ta, tb = _sig(Workload("x", "q", a)), _sig(Workload("y", "q", b))
    assert (ta == tb) == (_values(a) == _values(b))
    if ta == tb:
        assert ta is tb
    # the same values in new objects: the same string
    again = tuple(PodSet(p.name, p.count, dict(p.per_pod), dict(p.node_selector), p.required,
                         p.preferred) for p in a)
    assert _sig(Workload("z", "q", again)) is ta


@settings(max_examples=300, deadline=None)
@given(USAGE, USAGE)
def test_usages_get_one_text_exactly_when_they_are_equal(a: Any, b: Any) -> None:
    x, y = Assignment(usage=dict(a)), Assignment(usage=dict(reversed(list(b.items()))))
    assert (x.usage_text() == y.usage_text()) == (a == b)
    assert x.usage_frs() == frozenset(a)
    if a == b:
        assert x.usage_text() is y.usage_text()
