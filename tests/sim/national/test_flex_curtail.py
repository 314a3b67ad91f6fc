"""Curtailment windows in the twin: the response meets the cut at once and loses no work."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab.cli import app
from aifab.errors import BadInput
from aifab.scenario import Scenario
from aifab.sim.national import new_run, simulate
from aifab.sim.national._curtail import (
    CurtailWindow,
    add_curtailment,
    read_curtailment,
)
from aifab.sim.national._invariants import check
from aifab.sim.national._job import RUNNING
from aifab.sim.national._pipeline import simulate_curtailed
from aifab.sim.national._schema import encode

OWNERS = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]


def _scn(services: int = 0, npu: bool = False, seed: int = 3,
         warmup_days: float = 0.25) -> Scenario:
    return Scenario.model_validate({"name": "curtail", "owners": OWNERS, "fleets": [
        {"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72", "count": 144,
         "delivery_year": 2026},
        {"owner": "Gov", "accelerator": "b200", "system": "dgx-b200", "count": 96,
         "delivery_year": 2026}],
        "sim": {"days": 1.0, "warmup_days": warmup_days, "seed": seed, "load": 1.5,
                "services_per_owner": services, "reference_accelerator": "b200",
                "npu_pools": [{"owner": "Gov", "count": 64}] if npu else [],
                "classes": {"low": {"sizes": [1, 8, 16], "median_h": 2.0, "sigma": 0.8,
                                    "checkpoint_h": 1.0, "priority": 1},
                            "high": {"sizes": [8, 36], "median_h": 6.0, "sigma": 0.5,
                                     "checkpoint_h": 1.0, "priority": 2}},
                "tenants": [
                    {"name": "o", "owner": "Own", "kind": "owner",
                     "mix": {"low": 0.5, "high": 0.5}},
                    {"name": "u", "owner": "Gov", "kind": "university", "quota": 1.0,
                     "mix": {"low": 0.5, "high": 0.5}}]}})


def _remaining(run, job, t: float) -> float:  # type: ignore[no-untyped-def]
    """Reference-seconds of work a running job has left at ``t`` (its run time is
    stretched by checkpoint writes: ``run.ops.stretch``)."""
    ran = max(0.0, t - job.start - job.ran_restart)
    return job.work - ran * run.twin.pools[job.pool].speed / run.ops.stretch(job)


@pytest.mark.parametrize("depth", [0.2, 0.5])
def test_cut_is_met_in_its_step_and_work_is_conserved(depth: float) -> None:
    run = new_run(_scn(warmup_days=0.0))  # no warm-up: the integrals cover every job
    w = CurtailWindow(start_h=3.0, duration_h=2.0, depth=depth, owner="Own")
    cur = add_curtailment(run, [w])
    c = [cam.owner for cam in run.twin.campuses].index("Own")
    t0 = run.twin.warmup_s + 3 * 3600.0
    run.run(until=t0)
    before = run.fleet.campus_kw[c]
    left = {j.id: _remaining(run, j, t0) for j in run.ops.jobs.values() if j.state == RUNNING}
    run.run(until=t0 + 1e-3)  # the signal's instant only: events and the policy pass
    target = before * (1 - depth)
    assert run.fleet.campus_kw[c] <= target + 1e-6
    row = cur.rows[0]
    assert row.met and row.jobs_paused > 0
    assert row.requested_mw == pytest.approx(before * depth / 1000.0)
    check(run)
    paused = [j for j in run.ops.jobs.values() if j.id in cur.paused]
    assert paused
    for j in paused:  # checkpointed as it paused: every second of work is kept
        assert j.work == pytest.approx(left[j.id], rel=1e-12, abs=1e-6)
        assert j.restart == run.twin.settings.restart_cost_s
    # held below the cut for the whole window, lifted after it
    t = t0
    while t < t0 + 2 * 3600.0 - 600:
        t += 600.0
        run.run(until=t)
        assert run.fleet.campus_kw[c] <= target + 1e-6
        check(run)
    run.run()
    assert run.fleet.curtail_kw[c] == math.inf
    check(run)
    # accelerator-seconds: every allocation is a job's or a replica's (conservation)
    acc = sum(run.records.r["acc_s"])
    for j in run.ops.jobs.values():
        acc += j.acc_s + (j.n * (run.now - j.start) if j.state in (1, 2) else 0.0)
    assert math.isclose(run.integrals.alloc_s, acc + run.integrals.svc_alloc_s,
                        rel_tol=1e-9, abs_tol=1e-3)
    s = cur.summary()
    assert s.jobs_delayed == row.jobs_paused and s.accelerator_h_paused > 0
    assert s.by_window[0] == row and s.by_window[0] is not row  # a copy: the tree is frozen
    d = encode(s)["by_window"][0]
    assert d == dataclasses.asdict(row)  # the typed row is the table's row
    assert list(d) == [f.name for f in dataclasses.fields(row)]


def test_low_priority_training_pauses_first() -> None:
    run = new_run(_scn(seed=5))
    cur = add_curtailment(run, [CurtailWindow(3.0, 1.0, 0.05, "Own")])
    t0 = run.twin.warmup_s + 3 * 3600.0
    run.run(until=t0)
    prios = {j.id: j.prio for j in run.ops.jobs.values() if j.state == RUNNING}
    run.run(until=t0 + 1e-3)
    paused = [prios[i] for i in cur.paused if i in prios]
    still = [p for i, p in prios.items() if i not in cur.paused]
    # a paused high-priority job means no low-priority one was left running
    if 2 in paused:
        assert 1 not in still
    assert paused and min(paused) == min(prios.values())


def test_inference_moves_to_another_campus_or_is_shed() -> None:
    scn = _scn(services=2, npu=True)
    base = simulate(scn)
    res = simulate_curtailed(scn, [CurtailWindow(2.0, 3.0, 0.9, "Own")])
    f = res.to_dict()["flexibility"]
    r = f["by_window"][0]
    assert r["met"] or r["after_mw"] < r["before_mw"]
    assert r["replicas_moved"] + r["replicas_shed"] > 0
    inf0, inf1 = base.to_dict()["inference"], res.to_dict()["inference"]
    assert inf1["served_share"] <= inf0["served_share"] + 1e-12


def test_no_window_changes_nothing() -> None:
    scn = _scn(services=1, npu=True)
    a = simulate(scn).to_dict()
    b = simulate_curtailed(scn, []).to_dict()
    flex = b.pop("flexibility")
    a.pop("wall_s"), b.pop("wall_s")
    a["events"].pop("per_s"), b["events"].pop("per_s")
    assert a == b
    assert flex["windows"] == 0 and flex["jobs_delayed"] == 0


def test_windows_file_and_cli(tmp_path: Path) -> None:
    f = tmp_path / "w.csv"
    f.write_text("start_h,duration_h,depth,owner\n1,2,0.3,Naver\n5,1,0.2,*\n")
    owners = ["Naver", "SK"]
    ws = read_curtailment(f, owners)
    assert [(w.owner, w.start_h) for w in ws] == [("Naver", 1.0), ("Naver", 5.0), ("SK", 5.0)]
    for bad, where in [("1,2,1.5,Naver", "line 2"), ("1,0,0.3,Naver", "line 2"),
                       ("1,2,0.3,Nobody", "column owner")]:
        f.write_text("start_h,duration_h,depth,owner\n" + bad + "\n")
        with pytest.raises(BadInput, match=where):
            read_curtailment(f, owners)
    f.write_text("start_h,duration_h,depth,owner\n2,2,0.3,Naver\n")
    r = CliRunner().invoke(app, ["simulate", "--set", "sim.scale=0.01", "--set",
                                 "sim.warmup_days=0.25", "--days", "0.5", "--curtail", str(f),
                                 "--json", "--out", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["flexibility"]["windows"] == 1
    assert "Curtailment response" in (tmp_path / "run" / "report.html").read_text()
    r = CliRunner().invoke(app, ["simulate", "--curtail", str(f), "--replications", "2"])
    assert r.exit_code == 2 and "--curtail" in r.output


def test_hourly_limits_from_a_siting_result(tmp_path: Path) -> None:
    from aifab.sim.national._curtail import windows_from_site_doc

    hourly = [{"owner": "Naver", "year": 2026, "day": 9, "hour": h, "depth": d}
              for h, d in ((12, 0.3), (13, 0.5), (14, 0.4), (20, 0.2))]
    hourly += [{"owner": "Naver", "year": 2026, "day": 30, "hour": 12, "depth": 0.3},
               {"owner": "Naver", "year": 2025, "day": 1, "hour": 1, "depth": 0.9}]
    doc = {"placements": [{"owner": "Naver", "year": 2026, "site": "a", "mw": 80.0}],
           "flexibility": {"curtailment_hourly": hourly}}
    ws = windows_from_site_doc(doc, ["Naver", "SK"])
    assert [(w.start_h, w.duration_h, w.depth) for w in ws] == [
        (12.0, 3.0, 0.5), (20.0, 1.0, 0.2), (36.0, 1.0, 0.3)]
    assert windows_from_site_doc({"placements": []}, ["Naver"]) == []
    p = tmp_path / "site.json"
    p.write_text(json.dumps(doc))
    r = CliRunner().invoke(app, ["simulate", "--set", "sim.scale=0.01", "--set",
                                 "sim.warmup_days=0.25", "--days", "1", "--power-caps", str(p),
                                 "--json"])
    assert r.exit_code == 0, r.output
    f = json.loads(r.stdout)["flexibility"]
    assert f["windows"] == 2 and {w["owner"] for w in f["by_window"]} == {"Naver"}
