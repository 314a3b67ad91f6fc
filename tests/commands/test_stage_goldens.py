"""Goldens of the replay and perf stages' JSON documents, as the CLI and as a sweep's stage
write them, and of a small sweep's records: recorded before those documents became typed
result trees (issue 23), kept byte-identical since (``json.dumps`` unsorted, so the key
order counts too). Timings (``wall_s``, ``pods_per_s``, ``cpu_s``), the trace's
temporary paths and a variant's content hash (which covers those paths) are masked;
everything else is compared.

Re-record (only in a commit that says which fields moved and why)::

    PYTHONPATH=src python tests/commands/test_stage_goldens.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "stage_goldens"
NODES = ("sn,cpu_milli,memory_mib,gpu,model\n"
         + "".join(f"n{i},96000,393216,8,G2\n" for i in range(6))
         + "".join(f"m{i},64000,262144,2,T4\n" for i in range(6)))
PODS = ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
        "deletion_time,scheduled_time\n"
        + "".join(f"p{i},{4000 + 1000 * (i % 5)},8192,1,{[1000, 500, 250, 1000][i % 4]},"
                  f"{'T4' if i % 7 == 0 else ''},LS,Running,{10 * i},{10 * i + 300},0\n"
                  for i in range(40))
        + "q0,8000,16384,2,1000,,LS,Running,5,400,0\nc0,4000,4096,0,0,,BE,Running,7,50,0\n")
TIMINGS = ("wall_s", "pods_per_s", "cpu_s", "variant_wall_s", "variant_cpu_s")
MASKED = (*TIMINGS, "hash")

#: name: the CLI's arguments ({nodes}/{pods} stand for the trace files)
CLI = {
    "replay-openb": ["replay", "openb", "--nodes", "{nodes}", "--pods", "{pods}",
                     "--policy", "fgd", "--seeds", "3-4", "--json"],
    "replay-openb-timed": ["replay", "openb", "--nodes", "{nodes}", "--pods", "{pods}",
                           "--policy", "bestfit", "--timed", "--json"],
    "perf-infer": ["perf", "infer", "--model", "llama-3.1-70b", "--device", "h100-sxm", "--devices",
                   "8", "--batch", "16", "--json"],
    "perf-infer-search": ["perf", "infer", "--model", "llama-3.1-8b", "--device", "h100-sxm",
                          "--devices", "2", "--batch", "max", "--json"],
    "perf-train": ["perf", "train", "--model", "llama-3.1-8b", "--tokens", "1e12", "--device",
                   "h100-sxm", "--devices", "64", "--json"],
}

#: name: (stage, the stage's options; {nodes}/{pods} as above)
STAGE = {
    "stage-replay": ("replay", {"nodes": "{nodes}", "pods": "{pods}", "policy": "fgd",
                                "seed": 3, "tune": 1.3, "tie_break": "rank"}),
    "stage-perf-infer": ("perf", {"mode": "infer", "model": "llama-3.1-70b",
                                  "device": "h100-sxm", "devices": 8, "precision": None,
                                  "batch": 16, "input": 2048, "output": 128, "tp": None,
                                  "tokens": 15.6e12, "pue": 1.2}),
    "stage-perf-train": ("perf", {"mode": "train", "model": "llama-3.1-8b",
                                  "device": "h100-sxm", "devices": 64, "precision": None,
                                  "batch": 1, "input": 2048, "output": 128, "tp": None,
                                  "tokens": 1e12, "pue": 1.2}),
}

SWEEP = """\
name: stage-goldens
scenario: korea-2025
stages: [perf, replay]
options:
  replay: {nodes: nodes.csv, pods: pods.csv, seed: 3}
  perf: {model: llama-3.1-8b, device: h100-sxm, devices: 2}
parameters:
  perf.batch: {values: [1, 8]}
  replay.policy: {values: [fgd, bestfit, nosuch]}
design: {kind: grid}
metrics:
  tok_s: perf.result.tokens_per_s
  alloc_100: replay.alloc_pct.100
  frag_100: replay.frag_pct.100
"""


def _trace(tmp: Path) -> dict[str, str]:
    (tmp / "nodes.csv").write_text(NODES)
    (tmp / "pods.csv").write_text(PODS)
    return {"{nodes}": str(tmp / "nodes.csv"), "{pods}": str(tmp / "pods.csv")}


def _masked(doc: Any, paths: dict[str, str]) -> Any:
    """``doc`` with timings and hashes replaced by "<key>" and the trace's paths by their
    names."""
    if isinstance(doc, dict):
        return {k: f"<{k}>" if k in MASKED else _masked(v, paths) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_masked(v, paths) for v in doc]
    if isinstance(doc, str) and doc in paths.values():
        return Path(doc).name
    return doc


def _fill(obj: Any, paths: dict[str, str]) -> Any:
    if isinstance(obj, dict):
        return {k: _fill(v, paths) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, paths) for v in obj]
    return paths.get(obj, obj) if isinstance(obj, str) else obj


def cli_doc(name: str, tmp: Path) -> Any:
    from typer.testing import CliRunner

    from aifab.cli import app

    paths = _trace(tmp)
    r = CliRunner().invoke(app, _fill(CLI[name], paths))
    assert r.exit_code == 0, r.output
    return _masked(json.loads(r.stdout), paths)


def stage_doc(name: str, tmp: Path) -> Any:
    from aifab import load_scenario
    from aifab.sweep._stages import STAGE_FUNCS, catalog_for

    paths = _trace(tmp)
    stage, opts = STAGE[name]
    doc = STAGE_FUNCS[stage](load_scenario(), catalog_for(()), _fill(opts, paths))
    return _masked(json.loads(json.dumps(doc)), paths)


def sweep_doc(tmp: Path) -> Any:
    """A small sweep (perf and replay stages, one variant failing): its records and its
    ``--json`` document."""
    from aifab.sweep import load_spec, sweep

    _trace(tmp)
    (tmp / "spec.yaml").write_text(SWEEP)
    res = sweep(load_spec(tmp / "spec.yaml"), workers=0)
    doc = res.to_dict()
    doc.pop("spec")  # holds the trace's absolute paths
    return _masked({"records": [r.to_dict() for r in res.records], "sweep": doc}, {})


def _golden(name: str) -> str:
    return (GOLDEN / f"{name}.json").read_text()


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=1) + "\n"


@pytest.mark.parametrize("name", list(CLI))
def test_cli_documents_match_their_goldens(name: str, tmp_path: Path) -> None:
    assert _dump(cli_doc(name, tmp_path)) == _golden(name)


@pytest.mark.parametrize("name", list(STAGE))
def test_sweep_stage_documents_match_their_goldens(name: str, tmp_path: Path) -> None:
    assert _dump(stage_doc(name, tmp_path)) == _golden(name)


def test_a_small_sweeps_records_match_their_golden(tmp_path: Path) -> None:
    assert _dump(sweep_doc(tmp_path)) == _golden("sweep-records")


def main() -> None:
    """Re-record every golden of this file."""
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        docs = {**{n: cli_doc(n, tmp) for n in CLI}, **{n: stage_doc(n, tmp) for n in STAGE},
                "sweep-records": sweep_doc(tmp)}
    for name, doc in docs.items():
        (GOLDEN / f"{name}.json").write_text(_dump(doc))
        print(f"wrote {name}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
