"""Reduced fidelity check against the FGD paper's published results (openb default trace).

CI runs one seed (42) for FGD and BestFit, plus Random for the ordering check. Tolerance:
1.5 points of GPU allocation at 100 % and 130 % arrived demand, against the published means
over 10 seeds (the acceptance criterion is 1.0 point on the 10-seed mean, checked by
benchmarks/fgd_reproduce.py). One seed is widened by 0.5 point because the seed-to-seed
sd of a single run is about 0.1-0.3 point and our random numbers differ from Go's, so a
single seed cannot match the published seed 42 exactly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aifab.sim import run_openb
from aifab.workload import read_openb_nodes, read_openb_pods

TOL = 1.5
PAPER_NAME = {"fgd": "06-FGD", "bestfit": "05-BestFit", "random": "01-Random"}


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest) -> tuple[dict[str, object], pd.DataFrame]:
    data = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "openb"
    if not data.is_dir():
        pytest.skip(f"openb data not found at {data}")
    nodes = read_openb_nodes(data / "openb_node_list_gpu_node.csv")
    pods = read_openb_pods(data / "openb_pod_list_default.csv", nodes.models)
    runs = {p: run_openb(nodes, pods, p, seed=42, tune=1.3) for p in PAPER_NAME}
    paper = pd.read_csv(data / "fgd_expected_analysis_allo_discrete.csv")
    paper = paper[paper.workload == "openb_pod_list_default"]
    return runs, paper


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["fgd", "bestfit"])
@pytest.mark.parametrize("point", [100, 130])
def test_allocation_matches_paper(results: tuple[dict[str, object], pd.DataFrame],
                                  policy: str, point: int) -> None:
    runs, paper = results
    published = paper[paper.sc_policy == PAPER_NAME[policy]][str(point)].mean()
    ours = runs[policy].alloc_pct[point]  # type: ignore[attr-defined]
    assert abs(ours - published) <= TOL, f"{policy} @{point}: ours {ours:.2f} vs {published:.2f}"


@pytest.mark.slow
def test_fgd_beats_bestfit_beats_random(results: tuple[dict[str, object], pd.DataFrame]) -> None:
    runs, _ = results
    a = {p: r.alloc_pct[130] for p, r in runs.items()}  # type: ignore[attr-defined]
    assert a["fgd"] > a["bestfit"] > a["random"]
