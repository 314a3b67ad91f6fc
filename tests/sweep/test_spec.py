"""Bad specs exit 2 with one line naming the field; random bad specs never traceback."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aifab.cli import app
from aifab.errors import BadInput
from aifab.sweep import load_spec, spec_from_dict

from .conftest import PLAN_SPEC, write_spec

runner = CliRunner()


def _bad(tmp_path: Path, patch: dict[str, Any]) -> str:
    doc = copy.deepcopy(PLAN_SPEC)
    for key, value in patch.items():
        node: Any = doc
        *head, last = key.split("/")
        for part in head:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    spec = write_spec(tmp_path / "bad.yaml", doc)
    r = runner.invoke(app, ["sweep", str(spec), "--workers", "0"])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.mark.parametrize(("patch", "expect"), [
    ({"parameters/facility.puee": {"range": [1, 2]}}, r"parameters[facility.puee]"),
    ({"parameters/facility.pue": {"range": [2, 1]}}, "parameters[facility.pue]"),
    ({"parameters/facility.pue": {"values": [1.2], "range": [1, 2]}},
     "parameters[facility.pue]: give exactly one of"),
    ({"parameters/facility.pue": {"distribution": {"kind": "normal", "mean": 1}}},
     "parameters[facility.pue].distribution: normal needs mean, sd"),
    ({"parameters/facility.pue": {"range": [0.5, 0.9]}}, "parameters[facility.pue]"),
    ({"design/kind": "sobolish"}, "design.kind"),
    ({"design/samples": None}, "design: lhs design needs samples"),
    ({"metrics/twh": "site.totals.x"}, "metrics.twh: path 'site.totals.x' reads stage"),
    ({"metrics/twh": "totals"}, "metrics: metric 'twh'"),
    ({"stages": ["plan", "bake"]}, "stages[1]"),
    ({"scenario": "no-such-scenario"}, "scenario"),
    ({"colour": "blue"}, "colour: unknown field"),
    ({"parameters/replay.seed": {"values": [1, 2]}}, "parameters[replay.seed]: sets a flag"),
    ({"resources": {"cpus": 0}}, "resources.cpus"),
])
def test_bad_spec_names_the_field(tmp_path: Path, patch: dict[str, Any], expect: str) -> None:
    line = _bad(tmp_path, patch)
    assert "bad.yaml" in line and expect in line, line


def test_bad_spec_names_the_line(tmp_path: Path) -> None:
    line = _bad(tmp_path, {"design/kind": "sobolish"})
    doc_lines = (tmp_path / "bad.yaml").read_text().splitlines()
    n = int(line.split("bad.yaml:")[1].split(":")[0])
    assert "kind" in doc_lines[n - 1]


def test_stage_option_checks(tmp_path: Path) -> None:
    doc = {**PLAN_SPEC, "stages": ["plan", "replay"], "options": {"replay": {"nodes": "n.csv"}}}
    with pytest.raises(BadInput, match=r"options.replay.pods: field required"):
        load_spec(write_spec(tmp_path / "s.yaml", doc))
    doc["parameters"] = {**PLAN_SPEC["parameters"], "replay.pods": {"values": ["a.csv"]},
                         "replay.policy": {"values": ["fgd", "random"]}}
    spec = load_spec(write_spec(tmp_path / "s.yaml", doc))
    # Relative trace paths resolve against the spec's folder.
    assert spec.options["replay"]["nodes"] == str(tmp_path / "n.csv")
    assert spec.parameters["replay.pods"].values == [str(tmp_path / "a.csv")]
    doc["parameters"]["replay.colour"] = {"values": [1]}
    with pytest.raises(BadInput, match=r"parameters\[replay.colour\]: unknown flag"):
        load_spec(write_spec(tmp_path / "s.yaml", doc))


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    r = runner.invoke(app, ["sweep", str(tmp_path / "none.yaml")])
    assert r.exit_code == 2 and "not found" in r.stderr
    p = tmp_path / "broken.yaml"
    p.write_text("name: [unclosed\n")
    r = runner.invoke(app, ["sweep", str(p)])
    assert r.exit_code == 2 and "broken.yaml" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(app, ["sweep"])
    assert r.exit_code == 2 and "SPEC" in r.stderr
    r = runner.invoke(app, ["sweep", "--resume", str(tmp_path)])
    assert r.exit_code == 2 and "not a sweep output directory" in r.stderr


def test_unreachable_address_is_bad_input(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = write_spec(tmp_path / "s.yaml", PLAN_SPEC)
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(spec), "--address", f"127.0.0.1:{port}",
                            "--out", str(out)])
    assert r.exit_code == 2 and "--address: cannot reach a Ray cluster" in r.stderr
    assert not out.exists()
    r = runner.invoke(app, ["sweep", str(spec), "--workers", "0", "--address", "auto"])
    assert r.exit_code == 2 and "--address" in r.stderr
    (tmp_path / "file").write_text("x")
    r = runner.invoke(app, ["sweep", str(spec), "--workers", "0", "--out",
                            str(tmp_path / "file" / "sub")])
    assert r.exit_code == 2 and "--out" in r.stderr and "is not a directory" in r.stderr


junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=4)),
                    max_size=3),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(PLAN_SPEC)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc: Any = copy.deepcopy(PLAN_SPEC)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        node: Any = doc
        try:
            for part in path[:-1]:
                node = node[part]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[path[-1]] = draw(junk)
            elif action == "delete":
                del node[path[-1]]
            elif isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=6))] = draw(junk)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_random_bad_specs_never_traceback(doc: Any) -> None:
    """A mutated spec either validates and builds its design, or raises BadInput."""
    from aifab.sweep import build_design

    try:
        spec = spec_from_dict(doc, "fuzz.yaml", yaml.safe_dump(doc))
        build_design(spec)
    except BadInput as exc:
        assert str(exc).startswith("fuzz.yaml")
        assert "\n" not in str(exc)
