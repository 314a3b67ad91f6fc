"""The twin's modules form no import cycle even counting the imports made for annotations
only (``if TYPE_CHECKING:``): the parts name the types they need (:mod:`._snapshot`,
:mod:`._protocol`) without reaching back into the run that holds them. The same holds
for aifab.perf (its results live in the leaf ``_points``, so ``_table`` names them
without importing ``_infer``, which imports it), and for aifab.sched (a cycle's choices and
the preemption search name what they read of the engine, not the engine)."""

from __future__ import annotations

import ast
from pathlib import Path

import aifab.perf
import aifab.sched
import aifab.sim.national

PKG = "aifab.sim.national"
SRC = Path(aifab.sim.national.__file__).parent


def _graph(pkg: str = PKG, src: Path = SRC) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in it (annotation-only
    included; the package's ``__init__`` re-exporting its modules left out)."""
    mods = {p.stem: p for p in src.glob("_*.py") if p.name != "__init__.py"}
    out: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith(pkg + "."):
                    deps.add(node.module[len(pkg) + 1:].split(".")[0])
                elif node.module == pkg:
                    deps.add("__init__")
            elif isinstance(node, ast.Import):
                deps.update(a.name[len(pkg) + 1:].split(".")[0] for a in node.names
                            if a.name.startswith(pkg + "."))
        out[name] = {d for d in deps if d in mods and d != name}
    return out


def _cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``g`` (a path that comes back to its start), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(g[v]):
            if state.get(w) == 1:
                return [*path[path.index(w):], w]
            if w not in state and (found := visit(w)) is not None:
                return found
        path.pop()
        state[v] = 2
        return None

    for v in sorted(g):
        if v not in state and (found := visit(v)) is not None:
            return found
    return None


def test_no_cycle_among_the_twins_modules_counting_annotation_imports() -> None:
    g = _graph()
    assert {"_runner", "_stateful", "_fleet", "_snapshot"} <= set(g)
    assert _cycle(g) is None, _cycle(g)


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_cycle_among_perfs_modules_counting_annotation_imports() -> None:
    """Failed before ``InferenceResult`` and ``Point`` moved to ``_points``:
    ``_infer -> _table -> _infer`` (``_table``'s annotation-only import)."""
    g = _graph("aifab.perf", Path(aifab.perf.__file__).parent)
    assert {"_infer", "_table", "_points", "_step"} <= set(g)
    assert "_infer" not in g["_table"]
    assert _cycle(g) is None, _cycle(g)


def test_no_cycle_among_scheds_modules_counting_annotation_imports() -> None:
    """Failed before ``_cycle`` named the engine's state as a protocol and ``targets``
    took the index: ``_cycle -> _engine -> _cycle`` and ``_engine -> _index -> _engine``
    (annotation-only imports)."""
    g = _graph("aifab.sched", Path(aifab.sched.__file__).parent)
    assert {"_engine", "_cycle", "_index", "_preempt"} <= set(g)
    assert "_engine" not in g["_cycle"] and "_engine" not in g["_index"]
    assert _cycle(g) is None, _cycle(g)
