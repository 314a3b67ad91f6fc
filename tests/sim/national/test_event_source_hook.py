"""An event source and a meter plug into a run without touching the core: the hook a
failure model uses (a failure takes a domain down for a repair time and interrupts the
gang on it)."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from aifab.sim.national import EventKind, Observer, finish, new_run, register_source
from aifab.sim.national._events import Repair
from aifab.sim.national._job import RUNNING, Job


class Domain(NamedTuple):
    pool: int
    dom: int


# next free kinds: after every built-in one; payloads typed (what handlers and
# checkpoints get)
FAIL = register_source("test-domain-failure", payload=Domain)
REPAIR = register_source("test-domain-repair", payload=Repair)


class DomainFailures(Observer):
    """Fails domain 0 of pool 0 at the given times for ``repair_s`` each."""

    def __init__(self, run: Any, times: list[float], repair_s: float) -> None:
        self.run, self.repair_s = run, repair_s
        self.failures = self.interrupted = 0
        self.held = 0  # accelerators taken out of service, now
        for t in times:
            run.events.push(t, FAIL, Domain(0, 0))

    def on_fail(self, payload: Domain) -> None:
        pool, dom = payload
        run = self.run
        self.failures += 1
        for job in list(run.ops.jobs.values()):
            if job.state == RUNNING and job.pool == pool and job.doms is not None \
                    and dom in job.doms.tolist():
                run.ops.interrupt(job, "failure")
                self.interrupted += 1
        down = int(run.fleet.pools[pool].free[dom])  # the now idle domain's accelerators
        run.fleet.take_down(pool, dom, down)  # out of service (the change counter moves)
        self.held += down
        run.events.push(run.now + self.repair_s, REPAIR, Repair(pool, dom, down))

    def on_repair(self, payload: Repair) -> None:
        pool, dom, down = payload
        self.run.fleet.bring_up(pool, dom, down)  # back in service: rescheduled at once
        self.held -= down

    def on_requeue(self, job: Job) -> None:
        pass  # a failure's interruption: not a preemption in the core's meters


def test_failures_plug_in_as_event_source_and_meter(kit: Any) -> None:
    scn = kit.small([kit.gb200("Gov", 144)], {
        "days": 2, "seed": 1, "queue_policy": "fifo",
        "tenants": [{"name": "t", "owner": "Gov", "load": 1.5, "mix": {"big": 1.0}}],
        "classes": {"big": {"sizes": [72], "median_h": 6, "sigma": 0.2}}})
    scn = scn.model_copy(update={"reliability": scn.reliability.model_copy(
        update={"enabled": False})})
    base = finish(new_run(scn)).to_dict()
    run = new_run(scn)
    fails = DomainFailures(run, [6 * 3600.0, 30 * 3600.0], repair_s=4 * 3600.0)
    run.add(fails, {FAIL: fails.on_fail, REPAIR: fails.on_repair})
    doc = finish(run).to_dict()
    assert fails.failures == 2 and fails.interrupted >= 1 and fails.held == 0
    # FIFO, one tenant: nothing is preempted; the failures' interruptions are not
    # preemptions (neither the run's count nor the tenants' nor the jobs')
    assert doc["jobs"]["preemptions"] == 0 and doc["jobs"]["preemptions_by_cause"] == {}
    assert sum(t["preemptions"] for t in doc["tenants"]) == 0
    assert doc["utilization"] < base["utilization"]


def test_event_kinds_come_from_one_registry() -> None:
    from aifab.sim.national._events import registered

    kinds = registered()
    # the built-in kinds keep their numbers (event order, results and checkpoints)
    assert {k: int(v) for k, v in kinds.items() if not k.startswith("test-")} == {
        "end": 0, "evict": 1, "scale": 2, "arrive": 3, "sample": 4, "reset": 6,
        "failure": 7, "repair": 8, "reliability-daily": 9, "detect": 10,
        "curtail-start": 11, "curtail-end": 12, "policy-wake": 13}
    assert isinstance(FAIL, EventKind) and FAIL.label == "test-domain-failure"
    assert FAIL.payload is Domain and kinds["repair"].payload is Repair
    assert kinds["end"].payload.__name__ == "JobRef" and kinds["arrive"].payload is int
    assert int(FAIL) > 13 and int(REPAIR) == int(FAIL) + 1
    assert register_source("test-domain-failure") is FAIL  # the same name, the same kind
    with pytest.raises(ValueError, match="taken by 'failure'"):
        register_source("test-other", 7)
    with pytest.raises(ValueError, match="already has kind"):
        register_source("failure", 3)


def test_event_kinds_survive_copies_and_pickles() -> None:
    import copy
    import pickle

    assert copy.deepcopy(FAIL) is FAIL and copy.copy(FAIL) is FAIL
    assert pickle.loads(pickle.dumps(FAIL)) is FAIL
