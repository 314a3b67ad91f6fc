"""No import cycles inside aifab (function-level imports count; TYPE_CHECKING ones not),
no private imports across packages, no two packages importing each other,
and the twin's engine imports no queue policy."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import aifab

ROOT = Path(aifab.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = ["aifab", *p.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                    pkg = pkg[:len(pkg) - child.level + 1]
                    base = ".".join([*pkg, base] if base else pkg)
                for a in child.names:
                    sub = f"{base}.{a.name}"
                    found.add(sub if sub in mods else base)
            visit(child)

    visit(tree)
    return {m for m in found if m in mods and m != name}


@functools.cache
def _parsed_graph() -> tuple[tuple[str, frozenset[str]], ...]:
    mods = _modules()
    return tuple((m, frozenset(_imports(m, p, mods))) for m, p in mods.items())


def _graph() -> dict[str, set[str]]:
    """Module -> the aifab modules it imports (parsed once per test session; a fresh
    copy per call, so no test sees another's changes)."""
    return {m: set(d) for m, d in _parsed_graph()}


def _cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            strong(v)
    return out


def _without_package_edges(g: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's ``__init__`` re-exporting its own modules is not a cycle."""
    return {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in g.items()}


def test_no_import_cycles_in_the_twin_and_the_replay() -> None:
    g = _without_package_edges(_graph())
    bad = [c for c in _cycles(g) if any(m.startswith("aifab.sim") for m in c)]
    assert not bad, bad


def test_no_import_cycles_anywhere_in_aifab() -> None:
    g = _without_package_edges(_graph())
    assert not _cycles(g)


def test_the_replay_engine_and_the_core_import_no_policy() -> None:
    g = _graph()
    for m in ("aifab.sim.engine", "aifab.sim.core"):
        assert not g[m] & {"aifab.sim.policies", "aifab.sim.placer"}, (m, g[m])


def test_only_the_entry_points_import_the_queue_policies() -> None:
    g = _graph()
    users = {m for m, deps in g.items() if "aifab.sim.national._policies" in deps}
    assert users <= {"aifab.sim.national", "aifab.sim.national._api",
                     "aifab.sim.national._pipeline"}, users
    meters = (ROOT / "sim" / "national" / "_meters.py").read_text()
    assert ".name ==" not in meters and '"fairshare"' not in meters


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_modules_and_classes_stay_short() -> None:
    """Every module of aifab at most 400 lines, every class under 150."""
    for p in ROOT.rglob("*.py"):
        text = p.read_text()
        assert len(text.splitlines()) <= 400, p
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                assert size < 150, (str(p.relative_to(ROOT)), node.name, size)


LAYERS = [("errors",), ("_io", "_checks", "_terminal", "_outdir", "_yaml", "_eventq", "_progress",
                         "_background", "_schema", "_sweep_doc", "_twin_caps"),
          ("catalog",),
          ("scenario",),
          ("power", "perf", "workload", "reliability"),
          ("_plan", "_plan_result", "grid", "sched"), ("sim",),
          ("report",), ("commands", "sweep", "serve"), ("cli",)]
"""The README's layer picture, bottom first: a package imports only from lower layers (or
its own). The root package ``aifab`` (version, re-exports) is outside the layers."""


def test_every_package_has_a_layer() -> None:
    placed = {p for layer in LAYERS for p in layer}
    tops = {m.split(".")[1] for m in _modules() if m.count(".")}
    assert tops <= placed, tops - placed


def test_layers_only_point_down() -> None:
    rank = {p: i for i, layer in enumerate(LAYERS) for p in layer}
    bad = []
    for m, deps in _graph().items():
        for d in deps:
            a, b = m.split(".")[1:2], d.split(".")[1:2]
            if not a or not b or a == b or a[0] not in rank \
                    or b[0] not in rank:
                continue
            if rank[b[0]] > rank[a[0]]:
                bad.append((m, d))
    assert not bad, bad


def test_the_scenarios_default_class_names_match_the_workloads() -> None:
    from aifab.scenario._sim import DEFAULT_CLASS_NAMES
    from aifab.workload.synthetic import DEFAULT_CLASSES

    assert sorted(DEFAULT_CLASSES) == list(DEFAULT_CLASS_NAMES)


def _private_owner(mod: str) -> str | None:
    """The package whose private module ``mod`` is (``aifab.a._b`` -> ``aifab.a``), or
    None for a public module (and the root package's own ``aifab._io`` and the like)."""
    parts = mod.split(".")
    for i in range(2, len(parts)):
        if parts[i].startswith("_"):
            return ".".join(parts[:i])
    return None


#: Private imports across packages that remain (none left: every package is reached through
#: its public ``__init__``). The set may only shrink: an entry that no longer occurs fails
#: the test, so it is removed when fixed.
PRIVATE_LEFT: set[tuple[str, str]] = set()


def test_no_private_imports_across_packages() -> None:
    """``aifab.X._y`` is imported only from inside package X (others use X's public
    ``__init__``); what is left is listed, with its reason, in PRIVATE_LEFT."""
    found = set()
    for m, deps in _graph().items():
        for d in deps:
            owner = _private_owner(d)
            if owner is not None and m != owner and not m.startswith(owner + "."):
                found.add((m, d))
    assert not found - PRIVATE_LEFT, sorted(found - PRIVATE_LEFT)
    assert not PRIVATE_LEFT - found, f"fixed, drop from PRIVATE_LEFT: {PRIVATE_LEFT - found}"


#: Pairs of packages that still import each other (none left: the dashboard looks its run
#: kinds' command modules up without importing the command package).
TWO_WAY_LEFT: set[tuple[str, str]] = set()


def test_no_two_way_package_imports() -> None:
    """No two packages import each other (one of them would have to be the lower layer)."""
    edges = {(m.split(".")[1], d.split(".")[1]) for m, deps in _graph().items() for d in deps
             if m.count(".") and d.count(".") and m.split(".")[1] != d.split(".")[1]}
    two_way = {tuple(sorted(e)) for e in edges if (e[1], e[0]) in edges}
    assert two_way <= TWO_WAY_LEFT, two_way - TWO_WAY_LEFT
    assert two_way >= TWO_WAY_LEFT, f"fixed, drop from TWO_WAY_LEFT: {TWO_WAY_LEFT - two_way}"
