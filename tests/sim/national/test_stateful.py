"""Components own their state: the checkpoint loops over the run's parts, each with
``state()``/``restore()``, and knows none of their insides."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

from aifab.scenario import load_scenario
from aifab.sim.national import new_run
from aifab.sim.national._events import REPAIR, JobRef, Repair, register_source
from aifab.sim.national._stateful import Section, Stateful, collect, merge, parts, restore

SETS = ["sim.scale=0.01", "sim.warmup_days=0.5", "sim.days=1.5"]
SRC = Path(__file__).resolve().parents[3] / "src" / "aifab" / "sim" / "national"


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("extra", [["reliability.enabled=false"], []])
def test_every_part_round_trips_into_a_fresh_run(extra: list[str]) -> None:
    scn = load_scenario(None, [*SETS, *extra])
    run = new_run(scn)
    run.run(until=20 * 3600.0)
    state, arrays = collect(run)
    state = json.loads(json.dumps(state))  # what a checkpoint file gives back
    fresh = new_run(scn)
    assert not _same(collect(fresh)[0], state)  # the run did change something
    restore(fresh, state, {k: v.copy() for k, v in arrays.items()})
    for mine, theirs in zip(parts(run), parts(fresh), strict=True):
        assert isinstance(theirs, Stateful)
        (d0, a0), (d1, a1) = mine.state(), theirs.state()
        assert _same(d0, d1), type(mine).__name__
        assert set(a0) == set(a1)
        for k in a0:
            assert a0[k].dtype == a1[k].dtype and np.array_equal(a0[k], a1[k]), k
    run.run()
    fresh.run()
    assert run.n_events == fresh.n_events and _same(collect(run)[0], collect(fresh)[0])
    assert ("failures" in state) == (extra == [])


class _Part:
    def __init__(self, doc: dict[str, Any], arrays: dict[str, Any]) -> None:
        self.doc, self.arrays = doc, arrays

    def state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.doc, self.arrays

    def restore(self, state: Any, arrays: Any, jobs: Any) -> None:
        pass


def test_parts_fill_a_shared_object_but_never_the_same_entry() -> None:
    run = new_run(load_scenario(None, SETS))
    state, _ = collect(run)
    assert set(state["meters"]) == {"counts", "last", "alloc_s", "svc_alloc_s", "energy_kwh"}
    assert any(isinstance(p, Section) and p.key == "policy" for p in parts(run))
    a, b = _Part({"m": {"x": 1}}, {}), _Part({"m": {"y": 2}, "t": 0}, {})
    assert merge([a, b])[0] == {"m": {"x": 1, "y": 2}, "t": 0}
    with pytest.raises(ValueError, match="'m'"):
        merge([a, _Part({"m": {"x": 3}}, {})])
    with pytest.raises(ValueError, match="'t'"):
        merge([b, _Part({"t": 1}, {})])
    with pytest.raises(ValueError, match="'z'"):
        merge([_Part({}, {"z": np.zeros(1)}), _Part({}, {"z": np.ones(1)})])


def test_event_payloads_come_back_typed_from_a_checkpoint() -> None:
    """Ends and evictions carry a JobRef, repairs a Repair (no ints packed into one);
    after a restore the handlers get the same types back."""
    scn = load_scenario(None, SETS)
    run = new_run(scn)
    run.run(until=20 * 3600.0)
    run.events.push(21 * 3600.0, REPAIR, Repair(0, 3, 4))
    state, arrays = collect(run)
    fresh = new_run(scn)
    restore(fresh, json.loads(json.dumps(state)), arrays)
    got = {(e[1], e[2]): e[3] for e in fresh.events.entries()}
    for _t, kind, seq, payload in run.events.entries():
        back = got[(kind, seq)]
        assert back == payload and type(back) is type(payload), (kind, payload, back)
    kinds = {type(e[3]) for e in run.events.entries()}
    assert {JobRef, Repair, int} <= kinds
    assert Repair(0, 3, 4).dom == 3 and JobRef(7, 1).token == 1


def test_a_payload_type_has_at_most_three_ints() -> None:
    class Wide(NamedTuple):
        a: int
        b: int
        c: int
        d: int

    with pytest.raises(ValueError, match="1 to 3 ints"):
        register_source("test-wide-payload", payload=Wide)
    assert register_source("test-narrow-payload", payload=Repair).payload is Repair


def test_the_checkpoint_module_reaches_into_no_component() -> None:
    """``_checkpoint.py`` reads no component of the Runner except the twin (for the
    validation limits) and the observer list (to find the failure model's event kinds)."""
    tree = ast.parse((SRC / "_checkpoint.py").read_text())
    reached = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
               and isinstance(n.value, ast.Name) and n.value.id == "run"}
    assert reached <= {"twin", "streams", "bus", "handlers", "sliced_to"}, reached


@pytest.mark.parametrize(("module", "view"), [("_curtail.py", "RunContext"),
                                              ("_summary.py", "RunView"),
                                              ("_loadshape.py", "RunView")])
def test_extensions_see_only_a_narrow_view_of_the_run(module: str, view: str) -> None:
    """Curtailment uses what :class:`RunContext` offers, the summary and the load shape
    what :class:`RunView` offers, nothing of the Runner beyond (mypy checks the types;
    this checks the names)."""
    from aifab.sim.national import _protocol

    offered = {n for n in vars(getattr(_protocol, view)) if not n.startswith("_")}
    assert offered == ({"twin", "now", "events", "fleet", "ops", "services", "add"}
                       if view == "RunContext" else
                       {"twin", "now", "n_events", "policy", "ops", "queues", "services",
                        "counts", "integrals", "series", "records", "bus"})
    text = (SRC / module).read_text()
    used = {n.attr for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Attribute)
            and ((isinstance(n.value, ast.Name) and n.value.id == "run")
                 or (isinstance(n.value, ast.Attribute) and n.value.attr == "run"))}
    assert used and used <= offered, used - offered
    assert "Runner" not in text


#: The failure model's parts: the facade and the blast radius see a RunContext; the rest
#: (source, domain health, goodput, report) see no run at all (the repeat-offender rule is
#: aifab.reliability's, shared with the job Monte Carlo).
FAILURE_PARTS = ("_failures.py", "_blast.py", "_failsource.py", "_health.py", "_goodput.py",
                 "_failreport.py")


@pytest.mark.parametrize("module", FAILURE_PARTS)
def test_the_failure_model_sees_only_a_run_context(module: str) -> None:
    """No part of the failure model names the Runner; those given the run use only
    :class:`RunContext`'s names (mypy checks the types)."""
    from aifab.sim.national import _protocol

    offered = {n for n in vars(_protocol.RunContext) if not n.startswith("_")}
    text = (SRC / module).read_text()
    used = {n.attr for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Attribute)
            and ((isinstance(n.value, ast.Name) and n.value.id == "run")
                 or (isinstance(n.value, ast.Attribute) and n.value.attr == "run"))}
    assert used <= offered, used - offered
    assert "Runner" not in text and "_runner" not in text
    assert bool(used) == (module in ("_failures.py", "_blast.py")), used
