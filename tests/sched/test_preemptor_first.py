"""Rule A3 with Kueue's PrioritizePreemptorWorkloads feature gate (alpha, off by default
since Kueue v0.19; pkg/features/kube_features.go: "prioritization of workloads waiting for
preemption to complete to prevent quota stealing and thrashing"): a head waiting for the
quota its preemptions freed (A5) goes first, in the fair-sharing tournament at every
cohort before the other tests (pkg/scheduler/fair_sharing_iterator.go, entryComparer.less,
step 1) and in the classic order before the borrowing level (pkg/scheduler/scheduler.go,
the entry ordering's step 1; aifab already put it first under a nested cohort).
Kubernetes-sigs/kueue at v0.19.2, read, not copied; expected orders worked out by hand.
"""

from __future__ import annotations

from typing import Any

import pytest
import test_repeats as tr
from _cfg import cohort, config, cq

from aifab.sched import Engine, gang
from aifab.sched._cycle import heads, order
from aifab.sched._twinpolicy import undone

GATE = "PrioritizePreemptorWorkloads"


def _loop(gate: bool) -> Engine:
    """test_repeats' loop (its module docstring), with the gate set, 40 cycles at most."""
    orig = tr.config

    def gated(*docs: Any, **kw: Any) -> Any:
        m = orig(*docs, **kw)
        m.gates[GATE] = gate
        return m

    tr.config = gated  # type: ignore[assignment]
    try:
        return tr._loop(40)
    finally:
        tr.config = orig


def test_gate_off_by_default_and_read_from_the_configuration() -> None:
    conf = {"apiVersion": "config.kueue.x-k8s.io/v1beta2", "kind": "Configuration",
            "metadata": {"name": "kueue"}, "featureGates": {GATE: True}}
    assert config(cohort("r"), cq("a", "r", 1)).gates[GATE] is False
    m = config(cohort("r"), cq("a", "r", 1), conf)
    assert m.gates[GATE] is True and not any(GATE in u for u in m.unsupported)


def test_fair_sharing_waiting_preemptor_is_admitted_before_its_victims() -> None:
    """At the third instant w8 (q21) preempts w7 (q10) and w10 (q11) in cycle 8 and waits
    for the quota (A5). Without the gate the victims, nominated on the freed quota, win the
    tournament in cycle 9 and are admitted again, and w8 preempts them again (the loop of
    test_repeats). With the gate w8 goes first in cycle 9 and is admitted; w7 then takes
    w3 (q00) instead and is admitted in cycle 11, w10 stays pending: one preemption undone
    (w7's), no loop."""
    off, on = _loop(False), _loop(True)
    assert [(x.kind, x.workload) for x in off.events if x.cycle == 9] == [
        ("admit", "w7"), ("admit", "w10")]
    assert len(undone([x for x in off.events if x.cycle >= 7])) > 10 and off.loops
    assert [(x.kind, x.workload) for x in on.events if x.cycle == 9] == [("admit", "w8")]
    assert [(x.kind, x.workload, x.by) for x in on.events if x.cycle in (10, 11)] == [
        ("preempt", "w3", "w7"), ("admit", "w7", None)]
    assert len(undone([x for x in on.events if x.cycle >= 7])) == 1 and not on.loops
    assert {"w8", "w7"} <= set(on.admitted) and "w10" in on.pending
    assert on.cycle < off.cycle


@pytest.mark.parametrize("gate", [False, True])
def test_classic_flat_cohort_waiting_preemptor_first_only_with_the_gate(gate: bool) -> None:
    """Classic preemption, flat cohort r over a (2 GPUs) and b (4). Heads: wa (a, 4 GPUs:
    it borrows 2, level 1) and wb (b, 1 GPU, level 0). With wa marked as a's preemptor
    waiting for its quota: without the gate the level decides (a flat cohort: A3), wb
    first; with it, wa first."""
    e = Engine(config(cohort("r"), cq("a", "r", 2), cq("b", "r", 4),
                      *([{"apiVersion": "config.kueue.x-k8s.io/v1beta2",
                          "kind": "Configuration", "metadata": {"name": "kueue"},
                          "featureGates": {GATE: True}}] if gate else [])))
    e.submit(gang("wa", "a", 4, priority=0, created=1.0))
    e.submit(gang("wb", "b", 1, priority=0, created=2.0))
    e._nominated["a"] = "wa"
    entries = [(c, w, e.tries.get(e, c, w)) for c, w in heads(e)]
    assert sorted(x[2].level for x in entries) == [0, 1]
    assert [x[1].name for x in order(e, entries)] == (["wa", "wb"] if gate else ["wb", "wa"])
