"""The fixed runs whose results are pinned in ``tests/golden/*.json``.

Each run goes through the CLI (``aifab simulate|replay|plan --json``), so the goldens do
not depend on the library's internal API: a refactor keeps them bit-identical, and a
change of results re-records them in its own commit (``python tests/golden/runs.py``).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from aifab.cli import app

HERE = Path(__file__).parent
OPENB = HERE.parents[2] / "shared" / "data" / "openb"
SIM_FILE = HERE / "simulate.json"
REPLAY_FILE = HERE / "replay.json"
CAPS = HERE / "site-caps.json"
"""A hand-written `aifab site`-shaped result: about 60 % of each owner's facility MW."""

SIM_BASE = ["--set", "sim.scale=0.05", "--days", "30"]
POLICIES = ("fifo", "backfill", "fairshare")
SEEDS = (0, 1)
VOLATILE = (("wall_s",), ("events", "per_s"))


def sim_cases() -> dict[str, list[str]]:
    """Name -> CLI arguments: three queue policies x two seeds, with and without caps."""
    out: dict[str, list[str]] = {}
    for pol in POLICIES:
        for seed in SEEDS:
            args = [*SIM_BASE, "--policy", pol, "--seed", str(seed)]
            out[f"{pol}-s{seed}"] = args
            out[f"{pol}-s{seed}-caps"] = [*args, "--power-caps", str(CAPS)]
    return out


def canon(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without wall-clock figures, round-tripped through JSON."""
    d = json.loads(json.dumps(doc))
    for path in VOLATILE:
        node = d
        for k in path[:-1]:
            node = node.get(k, {})
        node.pop(path[-1], None)
    d.pop("schema_version", None)
    return d


def frame_digest(df: pd.DataFrame) -> str:
    """sha256 of a table's exact values (columns, dtypes, float bits)."""
    h = hashlib.sha256()
    h.update(json.dumps([list(map(str, df.columns)), [str(t) for t in df.dtypes]]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def invoke(args: list[str]) -> dict[str, Any]:
    res = CliRunner().invoke(app, args)
    if res.exit_code != 0:
        raise RuntimeError(f"aifab {' '.join(args)} exited {res.exit_code}: {res.output}")
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def simulate(args: list[str]) -> dict[str, Any]:
    """Summary document and a digest of every table ``--out`` writes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        doc = invoke(["simulate", "--json", "--out", str(out), *args])
        frames = {p.stem: frame_digest(pd.read_parquet(p))
                  for p in sorted(out.glob("*.parquet"))}
    return {"doc": canon(doc), "frames": frames}


def replay_cases() -> dict[str, list[str]]:
    nodes = str(OPENB / "openb_node_list_gpu_node.csv")
    pods = str(OPENB / "openb_pod_list_multigpu20.csv")
    return {"openb-fgd": ["replay", "openb", "--nodes", nodes, "--pods", pods,
                          "--policy", "fgd", "--seed", "42"],
            "openb-bestfit-timed": ["replay", "openb", "--nodes", nodes, "--pods",
                                    str(OPENB / "openb_pod_list_default.csv"),
                                    "--policy", "bestfit", "--timed", "--speedup", "20"]}


def replay(args: list[str]) -> dict[str, Any]:
    doc = canon(invoke([*args, "--json"]))
    doc.pop("pods_per_s", None)
    doc["trace"].pop("nodes", None)  # paths depend on where the checkout lies
    doc["trace"].pop("pods", None)
    return doc


def record(which: str = "all") -> None:
    if which in ("all", "simulate"):
        docs = {name: simulate(args) for name, args in sim_cases().items()}
        SIM_FILE.write_text(json.dumps(docs, indent=1, sort_keys=True) + "\n")
    if which in ("all", "replay"):
        rdocs = {name: replay(args) for name, args in replay_cases().items()}
        REPLAY_FILE.write_text(json.dumps(rdocs, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    record(sys.argv[1] if len(sys.argv) > 1 else "all")
