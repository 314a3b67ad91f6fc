"""The stage adapters: a variant's scenario equals what ``load_scenario`` gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifab import load_scenario
from aifab.errors import BadInput
from aifab.sweep._stages import catalog_for, load_variant_scenario


@pytest.mark.parametrize("sets", [
    ["facility.pue=1.4"],
    ["fleets.0.count=1000", "prices.tariff_krw_per_kwh=170.5"],
    ["sim.seed=3", 'facility.system_power="high"', "fleets.2.delivery_year=2029"],
    ["fleets.0.accelerator=\"b200\"", "fleets.0.system=\"dgx-b200\""],
])
def test_fast_variant_loading_matches_the_full_loader(sets: list[str]) -> None:
    cat = catalog_for(())
    fast = load_variant_scenario("korea-2025", ("sim.days=1",), cat, sets)
    assert fast == load_scenario("korea-2025", ["sim.days=1", *sets], catalog=cat)


def test_bad_variants_fail_as_on_the_cli() -> None:
    cat = catalog_for(())
    with pytest.raises(BadInput, match=r"with --set\): facility.pue: input should be less"):
        load_variant_scenario("korea-2025", (), cat, ["facility.pue=5"])
    with pytest.raises(BadInput, match=r"fleets\[0\].accelerator: unknown accelerator"):
        load_variant_scenario("korea-2025", (), cat, ['fleets.0.accelerator="tpu9"'])


@pytest.mark.slow
def test_replay_adapter_matches_the_cli(shared_data: Path) -> None:
    """The sweep's replay stage gives the document of ``aifab replay openb --json`` (one
    typed result, aifab.sim.ReplayResult; only the timings differ)."""
    import json

    from typer.testing import CliRunner

    from aifab.cli import app
    from aifab.sweep._stages import replay_stage

    nodes = str(shared_data / "openb" / "openb_node_list_gpu_node.csv")
    pods = str(shared_data / "openb" / "openb_pod_list_gpushare40.csv")
    r = CliRunner().invoke(app, ["replay", "openb", "--nodes", nodes, "--pods", pods,
                                 "--policy", "bestfit", "--seed", "7", "--json"])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    doc = replay_stage(load_scenario(), catalog_for(()), {
        "nodes": nodes, "pods": pods, "policy": "bestfit", "seed": 7, "tune": 1.3,
        "tie_break": "rank"})
    assert doc["alloc_pct"] == cli["alloc_pct"] and doc["frag_pct"] == cli["frag_pct"]
    assert doc["curves"]["alloc_pct"] == cli["curves"]["alloc_pct"]
    assert doc["pods_offered"] == cli["pods_offered"]
    cli.pop("schema_version")
    timings = ("wall_s", "pods_per_s")
    assert list(doc) == list(cli)
    assert {k: v for k, v in doc.items() if k not in timings} == \
        {k: v for k, v in cli.items() if k not in timings}


@pytest.mark.parametrize("opts, argv", [
    ({"mode": "infer", "model": "llama-3.1-70b", "device": "h100-sxm", "devices": 8,
      "precision": None, "batch": 16, "input": 2048, "output": 128, "tp": None,
      "tokens": 15.6e12, "pue": 1.2},
     ["infer", "--model", "llama-3.1-70b", "--device", "h100-sxm", "--devices", "8",
      "--precision", "fp8", "--batch", "16"]),
    ({"mode": "train", "model": "llama-3.1-8b", "device": "h100-sxm", "devices": 64,
      "precision": None, "batch": 1, "input": 2048, "output": 128, "tp": None,
      "tokens": 1e12, "pue": 1.3},
     ["train", "--model", "llama-3.1-8b", "--tokens", "1e12", "--device", "h100-sxm",
      "--devices", "64", "--pue", "1.3"]),
])
def test_perf_adapter_gives_the_commands_document(opts: dict[str, object],
                                                  argv: list[str]) -> None:
    """The sweep's perf stage gives exactly ``aifab perf infer/train --json``'s document
    for the equivalent flags (one typed report, aifab.perf.InferReport / TrainReport)."""
    import json

    from typer.testing import CliRunner

    from aifab.cli import app
    from aifab.sweep._stages import perf_stage

    r = CliRunner().invoke(app, ["perf", *argv, "--json"])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    cli.pop("schema_version")
    doc = perf_stage(load_scenario(), catalog_for(()), dict(opts))
    assert json.dumps(doc) == json.dumps(cli)
