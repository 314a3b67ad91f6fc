"""Workload history readers (sacct, Kueue Workloads) and the design comparison replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _cfg import SACCT, config, cq
from typer.testing import CliRunner

from _soak import fast_first
from aifab.cli import app
from aifab.errors import BadInput
from aifab.sched import read_sacct, read_workloads
from aifab.sched._history import HistJob, History
from aifab.sched._replay import replay, tenant_queues


def _sacct(tmp: Path, text: str = SACCT, name: str = "sacct.txt") -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def test_sacct_reader(tmp_path: Path) -> None:
    h = read_sacct(_sacct(tmp_path))
    assert [(j.name, j.tenant, j.submit_s, j.run_s, j.gpus) for j in h.jobs] == [
        ("1", "a", 0.0, 3600.0, 8.0), ("2", "b", 1800.0, 3600.0, 4.0)]
    assert h.skipped == 1  # never started (the step 1.batch is not a job)


def test_sacct_comma_separated_and_errors(tmp_path: Path) -> None:
    h = read_sacct(_sacct(tmp_path, SACCT.replace("|", ",").replace("cpu=8,gres", "gres")
                          .replace("cpu=4,gres", "gres").replace(",cpu=8,", ",gres/gpu=0,")))
    assert len(h.jobs) == 2
    bad = SACCT.replace("2025-01-01T00:30:00", "yesterday")
    with pytest.raises(BadInput, match=r"line 4: Submit"):
        read_sacct(_sacct(tmp_path, bad))
    with pytest.raises(BadInput, match="AllocTRES"):
        read_sacct(_sacct(tmp_path, "JobID|Submit\n1|2025-01-01T00:00:00\n"))


def test_kueue_workload_export(tmp_path: Path) -> None:
    def wl(name: str, cqn: str, gpus: int, created: str, adm: str, fin: str) -> dict:
        return {"metadata": {"name": name, "namespace": "ns", "creationTimestamp": created},
                "spec": {"queueName": "lq", "podSets": [{"count": 2, "template": {"spec": {
                    "containers": [{"resources": {"requests": {"nvidia.com/gpu": gpus}}}]}}}]},
                "status": {"admission": {"clusterQueue": cqn}, "conditions": [
                    {"type": "Admitted", "status": "True", "lastTransitionTime": adm},
                    {"type": "Finished", "status": "True", "lastTransitionTime": fin}]}}
    items = [wl("w1", "a", 4, "2025-01-01T00:00:00Z", "2025-01-01T00:10:00Z",
                "2025-01-01T01:10:00Z"),
             wl("w2", "b", 2, "2025-01-01T00:05:00Z", "2025-01-01T00:05:00Z",
                "2025-01-01T00:35:00Z"),
             {"metadata": {"name": "w3", "creationTimestamp": "2025-01-01T00:00:00Z"},
              "spec": {}, "status": {}}]
    p = tmp_path / "wl.json"
    p.write_text(json.dumps({"items": items}))
    h = read_workloads(p)
    assert [(j.name, j.tenant, j.submit_s, j.run_s, j.gpus) for j in h.jobs] == [
        ("ns/w1", "a", 0.0, 3600.0, 8.0), ("ns/w2", "b", 300.0, 1800.0, 4.0)]
    assert h.skipped == 1


@pytest.mark.parametrize("item,where", [
    (None, r"Workload/items\[0\]: the item: must be a Workload object"),
    ({"metadata": ["x"]}, r"Workload/items\[0\]: metadata: must be a mapping"),
    ({"metadata": {"name": "w", "namespace": "ns"}, "status": {"conditions": 3}},
     r"Workload/ns/w: status\.conditions: must be a list"),
    ({"metadata": {"name": "w"}, "spec": {"podSets": [7]}},
     r"Workload//w: spec\.podSets\[0\]: must be a mapping"),
    ({"metadata": {"name": "w"}, "spec": {"podSets": [{"count": "two"}]}},
     r"spec\.podSets\[0\]\.count: must be an integer"),
    ({"metadata": {"name": "w"}, "spec": {"podSets": [{"count": -1}]}},
     r"spec\.podSets\[0\]\.template: pod count must not be negative"),
    ({"metadata": {"name": "w"}, "spec": {"podSets": [{"template": {"spec": {
        "containers": [{"resources": []}]}}}]}},
     r"spec\.podSets\[0\]\.template\.spec\.containers\[0\]\.resources: must be a mapping"),
    ({"metadata": {"name": "w"}, "status": {"admission": "a", "conditions": []}},
     r"status\.admission: must be a mapping")])
def test_workload_export_fields_of_the_wrong_type_name_the_field(
        tmp_path: Path, item: object, where: str) -> None:
    """A Workload list item or field of the wrong type is BadInput naming the file, the
    Workload and the field (fuzzing found an item that was not an object, and a podSet count
    that was not a number, raising Python errors), in the history reader and in
    ``aifab admit --state`` alike."""
    from aifab.sched import Engine
    from aifab.sched._admit import load_workloads_state

    p = tmp_path / "wl.json"
    p.write_text(json.dumps({"items": [item]}))
    with pytest.raises(BadInput, match=where) as e:
        read_workloads(p)
    assert str(p) in str(e.value)
    m = config(cq("a", "ab", 4))
    with pytest.raises(BadInput, match=where):
        load_workloads_state(m, p, Engine(m))


def test_workload_finished_before_admitted_is_bad_input(tmp_path: Path) -> None:
    item = {"metadata": {"name": "w", "namespace": "ns",
                         "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"podSets": [{"count": 1, "template": {"spec": {"containers": [
                {"resources": {"requests": {"nvidia.com/gpu": 1}}}]}}}]},
            "status": {"conditions": [
                {"type": kind, "status": "True", "lastTransitionTime": f"2025-01-01T0{h}:00:00Z"}
                for kind, h in (("Admitted", 2), ("Finished", 1))]}}
    p = tmp_path / "wl.json"
    p.write_text(json.dumps({"items": [item]}))
    with pytest.raises(BadInput, match=r"Workload/ns/w: status\.conditions: Finished before"):
        read_workloads(p)


def test_sacct_row_without_a_submit_cell_names_the_line(tmp_path: Path) -> None:
    """A row shorter than the header (its Submit cell missing) is BadInput naming the line
    (fuzzing found a Python error)."""
    text = "JobID|Account|AllocTRES|Start|Submit\n1|a|gres/gpu=8|2025-01-01T00:00:00\n"
    with pytest.raises(BadInput, match=r"line 2: Submit"):
        read_sacct(_sacct(tmp_path, text))


def _design(reclaim: str) -> object:
    return config(cq("a", "ab", 4), cq("b", "ab", 4, preemption={"reclaimWithinCohort": reclaim}))


@pytest.mark.parametrize("grace", [0.0, 30.0])
def test_replay_compares_reclaim_policies(tmp_path: Path, grace: float) -> None:
    """a's 8-GPU job (0-1 h) borrows b's 4; b's 4-GPU job arrives at 0.5 h.
    Never: b is set aside and admitted at the requeue a second after a ends (A2b): it
    waits 0.5 h 1 s; a 8 GPU-h, b 4; span 2 h 1 s, utilisation 12/(16 x 2 h 1 s); Jain
    over (8/4, 4/4) = 9/10. Any: b reclaims at 0.5 h and is admitted once a's pods are
    gone (C5: ``grace`` later); a, set aside, restarts at the requeue a second after b
    ends (1.5 h + grace + 1 s): a 8x0.5 + 8 = 12 GPU-h, 1 preemption, b waits the grace;
    span 2.5 h + grace + 1 s, utilisation 16 GPU-h of 8 GPUs over the span; Jain over
    (3, 1) = 16/20."""
    s = 1.0 / 3600.0  # a second, in hours
    g = grace * s
    h = read_sacct(_sacct(tmp_path))
    never = replay(_design("Never"), h, {"a": "a", "b": "b"}, grace)  # type: ignore[arg-type]
    assert never["tenants"]["b"]["wait_p50_h"] == pytest.approx(0.5 + s)
    assert never["tenants"]["a"]["gpu_h"] == pytest.approx(8.0)
    assert never["span_h"] == pytest.approx(2.0 + s)
    assert never["utilization"] == pytest.approx(12.0 / (8.0 * (2.0 + s)))
    assert never["jain_fairness"] == pytest.approx(0.9)
    anyr = replay(_design("Any"), h, {"a": "a", "b": "b"}, grace)  # type: ignore[arg-type]
    assert anyr["tenants"]["b"]["wait_p50_h"] == pytest.approx(g)
    assert anyr["tenants"]["a"]["preemptions"] == 1
    assert anyr["tenants"]["a"]["gpu_h"] == pytest.approx(12.0)
    assert anyr["span_h"] == pytest.approx(2.5 + g + s)
    assert anyr["utilization"] == pytest.approx(16.0 / (8.0 * (2.5 + g + s)))
    assert anyr["jain_fairness"] == pytest.approx(0.8)


def test_unmapped_tenant_is_bad_input(tmp_path: Path) -> None:
    h = read_sacct(_sacct(tmp_path))
    m = config(cq("a", "ab", 4), cq("x", "ab", 4))
    with pytest.raises(BadInput, match="--map"):
        tenant_queues(m, h, {})
    assert tenant_queues(m, h, {"b": "x"}) == {"a": "a", "b": "x"}


def test_compare_queues_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "k"
    assert runner.invoke(app, ["queues", "--kueue", str(out)]).exit_code == 0
    jobs = _sacct(tmp_path, SACCT.replace("|a|", "|universities|").replace("|b|", "|startups|"))
    r = runner.invoke(app, ["compare-queues", str(out), "--jobs", str(jobs), "--json"])
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)["designs"][str(out)]
    assert d["tenants"]["universities"]["jobs"] == 1 and d["tenants"]["startups"]["jobs"] == 1
    r = runner.invoke(app, ["compare-queues", str(out), "--jobs", str(_sacct(tmp_path))])
    assert r.exit_code == 2 and "--map" in r.stderr


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
def test_twin_run_as_history(tmp_path: Path) -> None:
    """A twin run folder replays through the korea-2025 manifests: every started job of
    the run appears once per 1/scale copy, on its tenant's ClusterQueue."""
    from aifab.commands.admit import run_state
    from aifab.sched import history_from_run

    runner = CliRunner()
    run = tmp_path / "run"
    r = runner.invoke(app, ["simulate", "--days", "2", "--set", "sim.scale=0.05", "--set",
                            "sim.warmup_days=0", "--out", str(run), "--json"])
    assert r.exit_code == 0, r.stderr
    h = history_from_run(run_state(run, "--jobs"))
    import pandas as pd

    started = pd.read_parquet(run / "jobs.parquet")["first"].notna().sum()
    assert len(h.jobs) == started * 20 and h.skipped == len(
        pd.read_parquet(run / "jobs.parquet")) - started
    out = tmp_path / "k"
    assert runner.invoke(app, ["queues", "--kueue", str(out)]).exit_code == 0
    r = runner.invoke(app, ["compare-queues", str(out), "--jobs", str(run), "--json"])
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)["designs"][str(out)]
    assert sum(t["jobs"] for t in d["tenants"].values()) == len(h.jobs)


# C6: found by a random search (seed 68 of random 3-queue fair-sharing histories): after
# the arrivals stop, j1, j2, j4, j7 and j8 preempt one another's admissions for ever
FLAP = (("j0", "c", 960, 1200, 4, 1), ("j1", "b", 480, 3600, 8, 2), ("j2", "b", 300, 5400, 2, 0),
        ("j3", "c", 900, 1200, 6, 0), ("j4", "a", 1140, 1800, 4, 0), ("j5", "a", 960, 4200, 8, 2),
        ("j6", "b", 960, 1800, 1, 2), ("j7", "c", 240, 6000, 6, 0), ("j8", "a", 0, 4800, 7, 2))


@pytest.mark.parametrize(("grace", "at_s"), fast_first([(30.0, 2971.0), (0.0, 6361.0)], 1,
                                                      multi=True))
def test_a_history_left_flapping_stops_and_says_when(grace: float, at_s: float) -> None:
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
    m = config(cq("a", "ab", 4, preemption=pre), cq("b", "ab", 6, borrow=2, preemption=pre),
               cq("c", "ab", 2, lend=1, preemption=pre), fair=True)
    h = History(tuple(HistJob(n, t, float(s), float(r), float(g), p)
                      for n, t, s, r, g, p in FLAP), 0, "flap")
    out = replay(m, h, {"a": "a", "b": "b", "c": "c"}, grace)  # type: ignore[arg-type]
    # the last finish (C6's clock), then only undone admissions for longer than the longest
    # run (6,000 s) and two graces
    assert out["stalled_h"] == pytest.approx(at_s / 3600.0)
    assert out["span_h"] > (at_s + 6000.0) / 3600.0
    assert sum(t["preemptions"] for t in out["tenants"].values()) > 20


def test_a_history_that_finishes_is_not_stopped(tmp_path: Path) -> None:
    h = read_sacct(_sacct(tmp_path))
    for policy in ("Never", "Any"):
        assert replay(_design(policy), h, {"a": "a", "b": "b"})["stalled_h"] is None  # type: ignore[arg-type]
