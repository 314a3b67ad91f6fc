"""Export korea-2025 as Kueue and KAI manifests: valid against the vendored CRD schemas,
and read back into the twin they give the same run as the native scenario."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from aifab.catalog import default_catalog
from aifab.scenario import load_scenario
from aifab.sched import export_manifests, read_dir, scenario_from_manifests
from aifab.sched._export import kai_docs, kueue_docs, tenants_of
from aifab.sched._schema import validate
from aifab.sim.national import build_twin, simulate

SETS = ["sim.days=4", "sim.warmup_days=1", "sim.scale=0.05"]


@pytest.fixture(scope="module")
def korea() -> object:
    return load_scenario("korea-2025", SETS)


def test_exported_manifests_match_the_published_schemas(korea: object) -> None:
    cat = default_catalog()
    files = kueue_docs(korea, cat) | kai_docs(korea, cat)  # type: ignore[arg-type]
    docs = [d for ds in files.values() for d in ds if d["kind"] != "Configuration"]
    kinds = {d["kind"] for d in docs}
    assert kinds == {"ClusterQueue", "Cohort", "LocalQueue", "ResourceFlavor",
                     "WorkloadPriorityClass", "Topology", "Queue"}
    for d in docs:
        assert validate(d) == [], d["metadata"]["name"]


def test_schema_check_catches_a_broken_manifest(korea: object) -> None:
    cq = copy.deepcopy(kueue_docs(korea, default_catalog())["cluster-queues.yaml"][0])  # type: ignore[arg-type]
    cq["spec"]["queueingStrategy"] = "Random"
    cq["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"] = "lots"
    errs = validate(cq)
    assert any("queueingStrategy" in e for e in errs) and any("nominalQuota" in e for e in errs)


def test_korea_programme_beside_the_four_firms(korea: object) -> None:
    """Universities, startups and institutes share the national fleet; the four firms
    each have their own cohort; quotas add up to each owner's GPUs."""
    files = kueue_docs(korea, default_catalog())  # type: ignore[arg-type]
    cqs = {d["metadata"]["name"]: d for d in files["cluster-queues.yaml"]}
    assert {"naver", "samsung", "sk", "hyundai", "universities", "startups",
            "institutes"} <= set(cqs)

    def nominal(name: str) -> int:
        return sum(r["nominalQuota"] for f in cqs[name]["spec"]["resourceGroups"][0]["flavors"]
                   for r in f["resources"])

    assert nominal("universities") == 17_500 and nominal("institutes") == 15_000
    assert nominal("naver") == 60_000
    assert cqs["universities"]["spec"]["cohortName"] == "government"


@pytest.mark.parametrize("which", ["kueue", "kai"])
def test_round_trip_gives_the_native_run(tmp_path: Path, korea: object, which: str) -> None:
    cat = default_catalog()
    export_manifests(korea, cat, **{which: tmp_path})  # type: ignore[arg-type]
    back, _notes = scenario_from_manifests(tmp_path, korea, cat)  # type: ignore[arg-type]
    assert tenants_of(back) == tenants_of(korea)  # type: ignore[arg-type]
    assert build_twin(back, cat).tenants == build_twin(korea, cat).tenants  # type: ignore[arg-type]
    assert _untimed(simulate(back, catalog=cat).to_dict()) == _untimed(  # type: ignore[arg-type]
        simulate(korea, catalog=cat).to_dict())  # type: ignore[arg-type]


def _untimed(doc: dict) -> dict:
    """The run without its wall-clock figures (they differ between any two runs)."""
    doc = dict(doc)
    doc.pop("wall_s", None)
    doc["events"] = {k: v for k, v in doc["events"].items() if k != "per_s"}
    return doc


def test_imported_quota_changes_the_twin(tmp_path: Path, korea: object) -> None:
    """Not a tautology: a different nominal quota in the manifests moves the twin."""
    cat = default_catalog()
    export_manifests(korea, cat, kueue=tmp_path)  # type: ignore[arg-type]
    p = tmp_path / "cluster-queues.yaml"
    docs = list(yaml.safe_load_all(p.read_text()))
    for d in docs:
        if d["metadata"]["name"] == "startups":
            for f in d["spec"]["resourceGroups"][0]["flavors"]:
                f["resources"][0]["nominalQuota"] //= 2
    p.write_text(yaml.safe_dump_all(docs))
    back, _ = scenario_from_manifests(tmp_path, korea, cat)  # type: ignore[arg-type]
    quotas = {t.name: t.quota for t in tenants_of(back)}
    assert quotas["startups"] == pytest.approx(0.175, abs=1e-4)
    assert quotas["universities"] == 0.35


def test_strict_fifo_and_no_lending_map_to_the_twin(tmp_path: Path, korea: object) -> None:
    cat = default_catalog()
    scn = korea.model_copy(update={"sim": korea.sim.model_copy(  # type: ignore[attr-defined]
        update={"queue_policy": "fifo", "borrowing": False})})
    export_manifests(scn, cat, kueue=tmp_path)
    back, _ = scenario_from_manifests(tmp_path, scn, cat)
    assert back.sim.queue_policy == "fifo" and back.sim.borrowing is False
    m = read_dir(tmp_path)
    assert m.cluster_queues["naver"].quotas[("naver-gb200", "nvidia.com/gpu")].lending_limit == 0


def test_plan_writes_manifests_valid_against_the_crds(tmp_path: Path) -> None:
    """`aifab plan --manifests DIR`: the exporter's Kueue and KAI manifests, each valid
    against the vendored CRD schemas, and read back by the loader."""
    from typer.testing import CliRunner

    from aifab.cli import app

    res = CliRunner().invoke(app, ["plan", "--set", "sim.scale=0.02", "--json",
                                   "--manifests", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for sub in ("kueue", "kai"):
        docs = [d for f in sorted((tmp_path / sub).glob("*.yaml"))
                for d in yaml.safe_load_all(f.read_text()) if d]
        assert docs
        for d in docs:
            if d["kind"] != "Configuration":
                assert validate(d) == [], (sub, d["metadata"]["name"])
        m = read_dir(tmp_path / sub)
        assert "universities" in m.cluster_queues
