"""Property tests: whatever the cluster, workload and policy, resources stay consistent."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aifab.sim import (
    PLACEMENT_POLICIES,
    FragIndex,
    NodeCluster,
    Placer,
    PodShape,
    SimContext,
    Simulation,
    Workload,
    get_placement_policy,
    node_frag,
    target_workload,
)

node_st = st.tuples(st.integers(1000, 64000), st.integers(1000, 256000),
                    st.sampled_from([1, 2, 4, 8]), st.integers(0, 2))
shape_st = st.one_of(
    st.builds(PodShape, st.integers(0, 16000), st.integers(0, 64000), st.just(0), st.just(0)),
    st.builds(PodShape, st.integers(0, 16000), st.integers(0, 64000), st.just(1),
              st.integers(1, 1000), st.sampled_from([(), (0,), (1, 2)])),
    st.builds(PodShape, st.integers(0, 16000), st.integers(0, 64000),
              st.sampled_from([1, 2, 4, 8]), st.just(1000)),
)


def build(nodes: list[tuple[int, int, int, int]]) -> NodeCluster:
    cpu, mem, gpu, model = zip(*nodes, strict=True)
    return NodeCluster(cpu, mem, gpu, model, ["M0", "M1", "M2"])


@settings(max_examples=40, deadline=None)
@given(nodes=st.lists(node_st, min_size=1, max_size=6),
       shapes=st.lists(shape_st, min_size=1, max_size=5),
       picks=st.lists(st.integers(0, 4), min_size=1, max_size=40),
       durations=st.lists(st.floats(0.5, 20), min_size=40, max_size=40),
       policy=st.sampled_from(sorted(PLACEMENT_POLICIES)), cache=st.booleans(),
       seed=st.integers(0, 99))
def test_resources_never_overcommitted_and_all_return(
        nodes: list[tuple[int, int, int, int]], shapes: list[PodShape], picks: list[int],
        durations: list[float], policy: str, cache: bool, seed: int) -> None:
    cl = build(nodes)
    ids = np.array([p % len(shapes) for p in picks], dtype=np.int64)
    arrival = np.arange(len(ids), dtype=np.float64)
    departure = arrival + np.array(durations[: len(ids)])
    target = target_workload([shapes[i] for i in ids])
    frag = FragIndex(cl, target)
    placer = Placer(cl, get_placement_policy(policy),
                    SimContext(cl, np.random.default_rng(seed), frag), cache=cache)
    peak = {"alloc": 0}

    class Check:
        def on_event(self, sim: Simulation, event: object, placement: object) -> None:
            assert (cl.gpu_free >= 0).all() and (cl.gpu_free <= 1000).all()
            assert (cl.cpu_free >= 0).all() and (cl.mem_free >= 0).all()
            assert 0 <= cl.allocated_milli <= cl.gpu_capacity_milli
            running = sum(shapes[int(ids[i])].gpu_demand_milli
                          for i, p in enumerate(sim.placements)
                          if p is not None and not done[i])
            assert cl.allocated_milli == running
            used = sum(int(cl.gpu_count[i]) * 1000 - int(cl.gpu_free[i].sum())
                       for i in range(len(cl)))
            assert used == cl.allocated_milli
            peak["alloc"] = max(peak["alloc"], cl.allocated_milli)
            for i in range(len(cl)):  # the incremental index agrees with the definition
                assert abs(frag.frag[i] - node_frag(cl, target, i)) < 1e-6

    done = [False] * len(ids)

    class MarkDone:
        def on_event(self, sim: Simulation, event: object, placement: object) -> None:
            if getattr(event, "kind", "") == "departure":
                done[getattr(event, "pod", 0)] = True

    sim = Simulation(cl, placer, Workload(shapes, ids, arrival, departure), [MarkDone(), Check()])
    sim.run()
    # departures return everything
    assert cl.allocated_milli == 0
    assert (cl.cpu_free == cl.cpu_cap).all() and (cl.mem_free == cl.mem_cap).all()
    assert (cl.gpu_free.sum(axis=1) == cl.gpu_count * 1000).all()
    assert (cl.kind_count == 0).all()


@settings(max_examples=25, deadline=None)
@given(nodes=st.lists(node_st, min_size=1, max_size=6),
       shapes=st.lists(shape_st, min_size=1, max_size=4),
       picks=st.lists(st.integers(0, 3), min_size=1, max_size=30),
       policy=st.sampled_from(sorted(set(PLACEMENT_POLICIES) - {"random"})),
       seed=st.integers(0, 99))
def test_cached_scores_match_fresh_scores(nodes: list[tuple[int, int, int, int]],
                                          shapes: list[PodShape], picks: list[int],
                                          policy: str, seed: int) -> None:
    """The per-shape score cache must not change any decision."""
    ids = np.array([p % len(shapes) for p in picks], dtype=np.int64)
    target = target_workload([shapes[i] for i in ids])
    results = []
    for cache in (True, False):
        cl = build(nodes)
        placer = Placer(cl, get_placement_policy(policy),
                        SimContext(cl, np.random.default_rng(seed), FragIndex(cl, target)),
                        cache=cache)
        results.append([placer.place(int(i), shapes[int(i)]) for i in ids])
    assert results[0] == results[1]
