"""Exact, hand-computed cases: fragmentation, FGD scores, each policy on a 2-node cluster."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aifab.sim import (
    FragIndex,
    NodeCluster,
    Placement,
    Placer,
    PodShape,
    SimContext,
    Simulation,
    TargetWorkload,
    Workload,
    get_placement_policy,
    node_frag,
    target_workload,
)
from aifab.sim.engine import Event

# Shapes: A shares half a GPU, B is CPU-only, C takes a whole GPU with lots of CPU.
A = PodShape(4000, 0, 1, 500)
B = PodShape(2000, 0, 0, 0)
C = PodShape(16000, 0, 1, 1000)
TARGET = TargetWorkload((A, B, C), (0.5, 0.25, 0.25))


def one_node(gpu_free: list[int], cpu_free: int = 8000) -> NodeCluster:
    cl = NodeCluster([cpu_free], [10**6], [len(gpu_free)], [0], ["G2"])
    cl.gpu_free[0, : len(gpu_free)] = gpu_free
    return cl


def test_node_fragmentation_by_hand() -> None:
    # free GPUs [1000, 300], 8 CPUs free; total free 1300 milli.
    # A fits (one GPU >= 500, CPU ok): only the 300 on the small GPU is fragmented -> 0.5*300
    # B needs no GPU: all 1300 fragmented -> 0.25*1300
    # C lacks CPU (8000 < 16000): all 1300 fragmented -> 0.25*1300
    cl = one_node([1000, 300])
    expected = 0.5 * 300 + 0.25 * 1300 + 0.25 * 1300
    assert node_frag(cl, TARGET, 0) == pytest.approx(expected)
    assert FragIndex(cl, TARGET).frag[0] == pytest.approx(expected)


def test_fgd_score_by_hand() -> None:
    # Place A on GPU 0: free [500, 300], CPU 4000. After: A still fits (150), B 0.25*800,
    # C 0.25*800 -> 550. Before: 800. Score = trunc(100 * sigmoid((800 - 550) / 1000)) = 56.
    cl = one_node([1000, 300])
    fi = FragIndex(cl, TARGET)
    pol = get_placement_policy("fgd")
    pol.bind(SimContext(cl, np.random.default_rng(0), fi))
    after = fi.after_placement(A, np.array([0]))
    assert after[0, 0] == pytest.approx(550.0)
    assert math.isnan(after[0, 1])  # 300 < 500: A cannot go on GPU 1
    expected = math.trunc(100 / (1 + math.exp(-0.25)))
    assert expected == 56
    assert pol.score(A, np.array([0]))[0] == expected
    assert pol.choose_gpus(A, 0) == (0,)


def test_target_workload_keeps_95_percent() -> None:
    shapes = [A] * 60 + [B] * 30 + [C] * 6 + [PodShape(1, 0, 8, 1000)] * 4
    tw = target_workload(shapes)
    assert tw.shapes == (PodShape(4000, 0, 1, 500), PodShape(2000, 0, 0, 0),
                         PodShape(16000, 0, 1, 1000))
    assert tw.freq == pytest.approx((60 / 96, 30 / 96, 6 / 96))


def two_nodes() -> NodeCluster:
    # node 0: 8 idle GPUs; node 1: 2 GPUs, one half used by a shared pod (kind "share").
    cl = NodeCluster([96000, 64000], [10**6, 10**6], [8, 2], [0, 0], ["G2"])
    cl.allocate(PodShape(4000, 0, 1, 500), Placement(1, (0,)))
    return cl


@pytest.mark.parametrize(("policy", "shape", "node", "gpus"), [
    ("bestfit", PodShape(4000, 0, 1, 500), 1, (0,)),   # least free left: the small node
    ("packing", PodShape(4000, 0, 1, 500), 1, (0,)),   # a GPU already in use first
    ("clustering", PodShape(4000, 0, 1, 500), 1, (0,)),  # node hosting only shared pods
    ("clustering", PodShape(4000, 0, 1, 1000), 0, (0,)),  # whole GPU: idle node over mixed
    ("dotprod", PodShape(4000, 0, 1, 1000), 1, (1,)),  # smaller dot product of free x request
    ("bestfit", PodShape(4000, 0, 2, 1000), 0, (0, 1)),  # only node 0 has 2 whole GPUs
])
def test_policies_on_two_nodes(policy: str, shape: PodShape, node: int,
                               gpus: tuple[int, ...]) -> None:
    cl = two_nodes()
    placer = Placer(cl, get_placement_policy(policy), SimContext(cl, np.random.default_rng(0),
                                                       FragIndex(cl, TARGET)))
    p = placer.place(0, shape)
    assert p is not None and (p.node, p.gpus) == (node, gpus)


def test_bestfit_scores_by_hand() -> None:
    cl = two_nodes()
    pol = get_placement_policy("bestfit")
    pol.bind(SimContext(cl, np.random.default_rng(0)))
    s = pol.score(PodShape(4000, 0, 1, 500), np.array([0, 1]))
    # node 0: left (92000/128000 + 7500/8000)/2 = 0.828125 -> trunc(17.1875) = 17
    # node 1: left (56000/128000 + 1000/8000)/2 = 0.28125 -> trunc(71.875) = 71
    assert list(s) == [17.0, 71.0]


def test_infeasible_pod_fails_and_fgd_spreads_by_frag() -> None:
    cl = two_nodes()
    placer = Placer(cl, get_placement_policy("fgd"), SimContext(cl, np.random.default_rng(0),
                                                      FragIndex(cl, TARGET)))
    assert placer.place(0, PodShape(4000, 0, 4, 1000, (5,))) is None  # model 5: none
    assert placer.place(1, PodShape(200_000, 0, 0, 0)) is None       # too much CPU


def test_event_order_time_priority_sequence() -> None:
    a = Event(1.0, 1, 0, "arrival", 0)
    d = Event(1.0, 0, 5, "departure", 1)
    b = Event(0.5, 1, 9, "arrival", 2)
    assert sorted([a, d, b]) == [b, d, a]


def test_departure_frees_before_arrival_at_same_time() -> None:
    # One node with 1 GPU; pod 0 holds it until t=5; pod 1 arrives at t=5 and must fit.
    cl = NodeCluster([8000], [1000], [1], [0], ["G2"])
    shapes = [PodShape(1000, 100, 1, 1000)]
    wl = Workload(shapes, np.array([0, 0]), np.array([0.0, 5.0]), np.array([5.0, 9.0]))
    placer = Placer(cl, get_placement_policy("bestfit"), SimContext(cl, np.random.default_rng(0)))
    sim = Simulation(cl, placer, wl)
    sim.run()
    assert sim.failed == [] and all(p is not None for p in sim.placements)
    assert cl.allocated_milli == 0 and cl.gpu_free[0, 0] == 1000
