"""``aifab admit``, ``aifab queues`` and ``aifab simulate --kueue/--kai`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aifab.cli import app

runner = CliRunner()
NONE_UNDONE = {"preemptions": 0, "instants": 0, "workloads": 0, "running_jobs_stopped": 0,
               "cluster_queues": [], "most_undone": []}
SIM = ["--days", "2", "--set", "sim.scale=0.02", "--set", "sim.warmup_days=0", "--json"]
NONE_AGAIN = {"at_least": 3, "workloads": 0, "preemptions": 0, "most": []}  # L11

JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  namespace: universities
  labels:
    kueue.x-k8s.io/queue-name: {queue}
    kueue.x-k8s.io/priority-class: finetune
spec:
  parallelism: {pods}
  template:
    metadata:
      annotations:
        kueue.x-k8s.io/podset-{topo}-topology: aifab.io/nvlink-domain
    spec:
      containers:
      - name: main
        image: trainer
        resources:
          limits: {{nvidia.com/gpu: 8}}
"""


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("m")
    code, _, err = run("queues", "--kueue", str(out / "kueue"), "--kai", str(out / "kai"))
    assert code == 0, err
    return out


def _job(tmp: Path, name: str = "ft", queue: str = "universities", pods: int = 1,
         topo: str = "required") -> Path:
    p = tmp / f"{name}.yaml"
    p.write_text(JOB.format(name=name, queue=queue, pods=pods, topo=topo), encoding="utf-8")
    return p


def test_admit_fits_now(tmp_path: Path, manifests: Path) -> None:
    code, out, _ = run("admit", str(_job(tmp_path)), "--kueue", str(manifests / "kueue"))
    assert code == 0
    assert out.count("\n") == 1 and "admitted now on government-b200" in out


def test_admit_json_explains_topology(tmp_path: Path, manifests: Path) -> None:
    """64 pods x 8 GPUs required in one 8-GPU DGX domain: pends on topology; preferred
    instead: admitted across domains."""
    code, out, _ = run("admit", str(_job(tmp_path, pods=64)), "--kueue",
                       str(manifests / "kueue"), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["admitted"] is False
    assert doc["request"] == {"nvidia.com/gpu": 512.0} and doc["priority"] == 1
    assert {r["kind"] for r in doc["reasons"]} == {"topology"}
    code, out, _ = run("admit", str(_job(tmp_path, pods=64, topo="preferred")), "--kueue",
                       str(manifests / "kueue"), "--json")
    assert json.loads(out)["admitted"] is True


def test_admit_quota_reason_over_the_whole_fleet(tmp_path: Path, manifests: Path) -> None:
    """70,000 GPUs exceed even the whole national cohort: pends on quota."""
    _code, out, _ = run("admit", str(_job(tmp_path, pods=8750, topo="preferred")), "--kueue",
                       str(manifests / "kueue"), "--json")
    doc = json.loads(out)
    assert doc["admitted"] is False and doc["reasons"][0]["kind"] == "quota"


def test_admit_with_state_and_forecast(tmp_path: Path, manifests: Path) -> None:
    run_dir = tmp_path / "run"
    code, _, err = run("simulate", *SIM, "--out", str(run_dir))
    assert code == 0, err
    code, out, _ = run("admit", str(_job(tmp_path, pods=8750, topo="preferred")), "--kueue",
                       str(manifests / "kueue"), "--state", str(run_dir), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["state"]["running"] > 0
    assert doc["forecast"] is not None and doc["forecast"]["tenant"] == "universities"


def test_admit_kai_queue(tmp_path: Path, manifests: Path) -> None:
    code, out, _ = run("admit", str(_job(tmp_path, topo="preferred")), "--kai",
                       str(manifests / "kai"))
    assert code == 0 and "admitted now" in out


@pytest.mark.parametrize("problem,needle", [
    ("queue", "kueue.x-k8s.io/queue-name"),
    ("prio", "priority-class"),
    ("kind", "unknown kind"),
])
def test_admit_bad_job_exits_2(tmp_path: Path, manifests: Path, problem: str,
                               needle: str) -> None:
    p = _job(tmp_path)
    text = p.read_text()
    if problem == "queue":
        text = text.replace("queue-name: universities", "queue-name: nowhere")
    elif problem == "prio":
        text = text.replace("priority-class: finetune", "priority-class: vip")
    else:
        text = text.replace("kind: Job", "kind: CronJob")
    p.write_text(text)
    code, _, err = run("admit", str(p), "--kueue", str(manifests / "kueue"))
    assert code == 2 and needle in err and str(p) in err and "Traceback" not in err


def test_bad_manifest_dir_exits_2(tmp_path: Path, manifests: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    docs = list(yaml.safe_load_all((manifests / "kueue" / "cluster-queues.yaml").read_text()))
    uni = next(d for d in docs if d["metadata"]["name"] == "universities")
    uni["spec"]["resourceGroups"][0]["flavors"][1]["resources"][0]["nominalQuota"] = -5
    (bad / "cq.yaml").write_text(yaml.safe_dump_all(docs))
    for name in ("flavors.yaml", "cohorts.yaml"):
        (bad / name).write_text((manifests / "kueue" / name).read_text())
    code, _, err = run("simulate", "--kueue", str(bad), *SIM)
    assert code == 2 and "cq.yaml" in err and "ClusterQueue/universities" in err
    assert "spec.resourceGroups[0].flavors[1].resources[0].nominalQuota" in err


@pytest.mark.parametrize("which", ["kueue", "kai"])
def test_simulate_from_manifests_equals_native(manifests: Path, which: str) -> None:
    """With --policy, the manifests give the tenants only: the native run, exactly."""
    code, native, _ = run("simulate", *SIM)
    code2, imported, _ = run("simulate", *SIM, f"--{which}", str(manifests / which),
                             "--policy", "fairshare")
    assert code == code2 == 0
    a, b = json.loads(native), json.loads(imported)
    for d in (a, b):
        d.pop("wall_s")
        d["events"].pop("per_s")
    assert a == b


@pytest.mark.parametrize("which", ["kueue", "kai"])
def test_simulate_under_kueue_semantics_same_demand_other_admission(
        manifests: Path, which: str) -> None:
    """Without --policy the twin admits by the manifests (rules L1-L7): the same tenants
    get the same jobs (arrivals do not depend on the policy), admitted differently."""
    code, native, _ = run("simulate", *SIM)
    code2, imported, _ = run("simulate", *SIM, f"--{which}", str(manifests / which))
    assert code == code2 == 0
    a, b = json.loads(native), json.loads(imported)
    assert (a["policy"], b["policy"]) == ("fairshare", "kueue")
    assert [(t["tenant"], t["jobs_submitted"]) for t in a["tenants"]] == [
        (t["tenant"], t["jobs_submitted"]) for t in b["tenants"]]
    assert b["jobs"]["started"] > 0.5 * b["jobs"]["submitted"]
    assert a["tenants"] != b["tenants"]
    # rules L9, L10: no instant of this small case loops, reaches the engine's cycle
    # limit or undoes a preemption
    assert "admission" not in a
    assert b["admission"] == {"instants_at_cycle_limit": 0, "loops_found": 0, "loops": [],
                              "undone": NONE_UNDONE, "again": NONE_AGAIN}


def test_kueue_semantics_run_once(manifests: Path) -> None:
    code, _, err = run("simulate", *SIM, "--kueue", str(manifests / "kueue"),
                       "--replications", "2")
    assert code == 2 and "--kueue/--kai" in err and "Traceback" not in err


def test_simulate_reads_the_manifests_once(manifests: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``simulate --kueue DIR`` builds its tenants and its policy from one read of DIR."""
    import aifab.sched
    from aifab.sched import _api

    reads: list[Path] = []

    def counted(path: Path) -> object:
        reads.append(path)
        return read(path)

    read = aifab.sched.read_dir
    monkeypatch.setattr(aifab.sched, "read_dir", counted)
    monkeypatch.setattr(_api, "read_dir", counted)
    code, _, err = run("simulate", "--kueue", str(manifests / "kueue"), *SIM)
    assert code == 0, err
    assert reads == [manifests / "kueue"]


def test_simulate_lists_unsupported_fields(tmp_path: Path, manifests: Path) -> None:
    d = tmp_path / "k"
    d.mkdir()
    for f in (manifests / "kueue").iterdir():
        (d / f.name).write_text(f.read_text())
    cq = d / "cluster-queues.yaml"
    cq.write_text(cq.read_text().replace("  namespaceSelector: {}\n",
                                         "  namespaceSelector: {}\n  admissionScope: {}\n", 1))
    code, _, err = run("simulate", "--kueue", str(d), *SIM)
    assert code == 0 and "not modelled" in err and "spec.admissionScope" in err


def test_explicit_policy_wins_over_manifests(manifests: Path) -> None:
    code, out, _ = run("simulate", *SIM, "--kueue", str(manifests / "kueue"), "--policy", "fifo")
    assert code == 0 and json.loads(out)["policy"] == "fifo"


def test_simulate_under_kueue_writes_the_admission_report(tmp_path: Path,
                                                            manifests: Path) -> None:
    """Rule L9: a run folder under Kueue semantics holds admission.json, as --json's
    ``admission`` (with ``schema_version``, as every JSON document aifab writes); a native
    run folder has none."""
    sim = [a for a in SIM if a != "--json"]
    code, _, err = run("simulate", *sim, "--kueue", str(manifests / "kueue"), "--out",
                       str(tmp_path / "k"))
    assert code == 0, err
    doc = json.loads((tmp_path / "k" / "admission.json").read_text())
    assert doc == {"schema_version": 1, "instants_at_cycle_limit": 0, "loops_found": 0,
                   "loops": [], "undone": NONE_UNDONE, "again": NONE_AGAIN}
    code, _, err = run("simulate", *sim, "--out", str(tmp_path / "n"))
    assert code == 0, err
    assert not (tmp_path / "n" / "admission.json").exists()
