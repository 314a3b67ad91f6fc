"""L1 with the twin's touched tenants: under Kueue semantics the twin policy reads only the
tenants whose queue the twin marked as moved (``Queues.touched``), not every tenant of a
touched partition; the workloads reach the engine in the same order, and the run is the
same (speed only)."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import pytest

from aifab.catalog import default_catalog
from aifab.scenario import Scenario
from aifab.sched import _twinpolicy, export_manifests, twin_policy, with_manifests
from aifab.sched._engine import Engine
from aifab.sim.national import finish, new_run
from aifab.sim.national._job import Job
from aifab.sim.national._queues import Queues

_SUBMIT = Engine.submit


def _scenario() -> Scenario:
    """Two owners, five tenants in two partitions, arrivals above capacity (long queues,
    jobs started and requeued)."""
    mix = {"a": 0.6, "b": 0.4}
    return Scenario.model_validate({
        "name": "touched", "owners": [{"name": "Own", "kind": "private"},
                                      {"name": "Gov", "kind": "public"}],
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 144, "delivery_year": 2026},
                   {"owner": "Gov", "accelerator": "b200", "system": "dgx-b200",
                    "count": 64, "delivery_year": 2026}],
        "reliability": {"enabled": False},
        "sim": {"days": 0.5, "queue_policy": "fairshare", "seed": 4, "load": 1.6,
                "warmup_days": 0, "npu_pools": [], "services_per_owner": 0,
                "reference_accelerator": "b200", "preempt_grace_s": 0.0,
                "classes": {"a": {"sizes": [1, 4, 8, 16], "median_h": 1.0, "sigma": 1.0},
                            "b": {"sizes": [1, 8], "duration": "exponential",
                                  "median_h": 0.5, "priority": 3}},
                "tenants": [
                    {"name": "o1", "owner": "Own", "kind": "owner", "load": 0.6, "mix": mix},
                    {"name": "o2", "owner": "Own", "kind": "owner", "load": 0.6, "mix": mix},
                    {"name": "u", "owner": "Gov", "kind": "university", "quota": 0.5,
                     "mix": mix},
                    {"name": "s1", "owner": "Gov", "kind": "startup", "quota": 0.25,
                     "mix": mix},
                    {"name": "s2", "owner": "Gov", "kind": "startup", "quota": 0.25,
                     "mix": mix}]}})


def _run(tmp: Path, touched: bool, monkeypatch: pytest.MonkeyPatch
         ) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """A Kueue-semantics run (``simulate --kueue`` on the scenario's own manifests): the
    (workload, ClusterQueue) submissions in order, and the run's summary."""
    monkeypatch.setattr(_twinpolicy, "TOUCHED", touched)
    seen: list[tuple[str, str]] = []

    def record(self: Engine, wl: Any) -> None:
        seen.append((wl.name, wl.queue))
        _SUBMIT(self, wl)

    monkeypatch.setattr(Engine, "submit", record)
    scn, cat = _scenario(), default_catalog()
    export_manifests(scn, cat, kueue=tmp / "kueue")
    scn = with_manifests(scn, cat, tmp / "kueue", None, lambda _note: None)
    run = new_run(scn, policy=twin_policy(tmp / "kueue", scn))
    return seen, _timeless(finish(run).to_dict())


def _timeless(x: Any) -> Any:
    """A summary without its timings (wall_s, events per second)."""
    if isinstance(x, dict):
        return {k: _timeless(v) for k, v in x.items() if k not in ("wall_s", "per_s")}
    if isinstance(x, list):
        return [_timeless(v) for v in x]
    return x


@pytest.mark.slow  # (about 4 s)
def test_touched_tenants_give_the_same_run(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    a, sa = _run(tmp_path / "a", True, monkeypatch)
    b, sb = _run(tmp_path / "b", False, monkeypatch)
    assert a == b
    assert sa == sb
    # the check has teeth: many submissions, from every tenant's ClusterQueue
    assert len(a) > 200
    assert len({q for _, q in a}) == 5


def _job(jid: int, tenant: int) -> Job:
    return Job(jid, tenant, 0, 8, 3600.0, 0.0, 0)


def test_queues_mark_touched_tenants_only_when_asked() -> None:
    q = Queues([0, 0, 1], set())
    q.enqueue(_job(1, 0))
    assert q.touched is None  # the native twin's queues keep no such record
    q.touched = set()
    q.enqueue(_job(2, 2))
    assert q.touched == {2} and q.dirty == {0, 1}
    q.touched.clear()
    q.started(q.queues[0][0][0])  # a job leaving its queue moves its version too
    assert q.touched == {0}
    v = list(q.qver)
    state, arrays = q.state()
    q.touched.clear()
    q.restore(state, arrays, {1: _job(1, 0), 2: _job(2, 2)})
    assert q.touched == {0, 1, 2} and q.qver == v
    assert isinstance(q.queues[2][0], deque)


@pytest.mark.parametrize("touched", [True, False])
def test_tenants_touched_in_one_instant_are_read_in_partition_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, touched: bool) -> None:
    """Jobs of three Gov tenants queued at one instant, last tenant first: their workloads
    reach the engine in the partition's tenant order, as a scan of it reads them."""
    monkeypatch.setattr(_twinpolicy, "TOUCHED", touched)
    scn, cat = _scenario(), default_catalog()
    export_manifests(scn, cat, kueue=tmp_path)
    scn = with_manifests(scn, cat, tmp_path, None, lambda _note: None)
    pol = twin_policy(tmp_path, scn)
    run = new_run(scn, policy=pol)
    run.events.heap.clear()  # no arrivals of its own: only the jobs below
    pol.schedule(run.ops, range(len(run.ops.partitions)))  # (every tenant read once, empty)
    seen: list[str] = []

    def record(self: Engine, wl: Any) -> None:
        seen.append(wl.queue)
        _SUBMIT(self, wl)

    monkeypatch.setattr(Engine, "submit", record)
    names = [t.name for t in scn.sim.tenants]
    for jid, tenant in enumerate(["s2", "u", "s1", "o2"]):
        run.ops.submit(Job(100 + jid, names.index(tenant), 0, 8, 3600.0, run.now, 0))
    pol.schedule(run.ops, run.dirty)
    gov = [pol.cq_of[t] for t in run.ops.partitions[1].tenants]
    assert [q for q in seen if q in gov] == [pol.cq_of[names.index(t)]
                                             for t in ("u", "s1", "s2")]
    assert len(seen) == 4


def test_touched_reads_every_tenant_first_and_again_for_other_queues() -> None:
    """``Touched.changed``: every tenant of the partitions asked for the first time; then
    only those the queues marked, in partition order; every tenant again when the policy
    is handed another run's queues (which mark nothing until asked)."""
    from types import SimpleNamespace

    from aifab.sched._twinpolicy import Touched

    parts = [SimpleNamespace(index=0, tenants=(0, 1, 2)), SimpleNamespace(index=1, tenants=(3,))]

    def run(q: Queues) -> Any:
        return SimpleNamespace(partitions=parts, queues=q)

    tt, q = Touched(), Queues([0, 0, 0, 1], set())
    assert tt.changed(run(q), {0, 1}) == [0, 1, 2, 3]
    assert tt.changed(run(q), {0, 1}) == []
    q.enqueue(_job(1, 2))
    q.enqueue(_job(2, 0))
    q.enqueue(_job(3, 3))
    assert tt.changed(run(q), {0}) == [0, 2]  # partition 1 not touched yet: 3 kept
    assert tt.changed(run(q), {1}) == [3]
    other = Queues([0, 0, 0, 1], set())
    assert tt.changed(run(other), {0}) == [0, 1, 2]
