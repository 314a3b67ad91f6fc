"""Load scenarios from YAML/TOML files or the embedded set, apply ``--set`` overrides."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from aifab._checks import bad_number, non_finite
from aifab._io import read_text_file
from aifab._yaml import MAX_DEPTH, check_shape, load_toml, load_yaml, node_line, parse_yaml
from aifab.catalog import Catalog, default_catalog
from aifab.errors import BadInput
from aifab.scenario._model import Scenario

DEFAULT_SCENARIO = "korea-2025"


def _load_yaml(text: str) -> Any:
    return parse_yaml(text, "embedded scenario")


@lru_cache(maxsize=1)
def _embedded() -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for entry in sorted((resources.files("aifab.scenario") / "data").iterdir(),
                        key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            doc = _load_yaml(entry.read_text("utf-8"))
            out[entry.name.removesuffix(".yaml")] = str(doc.get("description", "")).strip()
    return tuple(out.items())


def embedded_scenarios() -> dict[str, str]:
    """Embedded scenario names and their one-line descriptions."""
    return dict(_embedded())


def embedded_text(name: str) -> str:
    """The YAML text of the embedded scenario ``name``."""
    return (resources.files("aifab.scenario") / "data" / f"{name}.yaml").read_text("utf-8")


def _fmt_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _parse_value(raw: str, path: str) -> Any:
    if not raw.strip():
        return ""
    try:
        return parse_yaml(raw, f"--set {path}")
    except BadInput as exc:
        if "invalid YAML" in str(exc):
            return raw  # plain text, as typed
        raise


def apply_override(doc: dict[str, Any], expr: str) -> None:
    """Apply one ``PATH=VALUE`` override (dotted path, list indices as numbers) in place."""
    if "=" not in expr:
        raise BadInput(f"malformed --set {expr!r}: expected PATH=VALUE")
    path, raw = expr.split("=", 1)
    parts = path.strip().split(".")
    if not path.strip() or any(not p for p in parts):
        raise BadInput(f"malformed --set {expr!r}: empty path element")
    if len(parts) > MAX_DEPTH:
        raise BadInput(f"path has {len(parts)} parts (at most {MAX_DEPTH})",
                       where="--set")
    node: Any = doc
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise BadInput(f"--set {here}: no list element {part!r} "
                               f"(list has {len(node)})")
            key: Any = int(part)
        elif isinstance(node, dict):
            key = part
            if not last and key not in node:
                node[key] = {}
        else:
            raise BadInput(f"--set {here}: cannot index into a {type(node).__name__}")
        if last:
            node[key] = _parse_value(raw, path.strip())
        else:
            node = node[key]


def _validate(doc: Any, source: str, tree: Any) -> Scenario:
    if not isinstance(doc, dict):
        raise BadInput("expected a mapping at the top level", source=source)
    raw_bad = non_finite(doc)
    if raw_bad is not None:
        line = node_line(tree, raw_bad) if tree is not None else None
        raise BadInput("must be a finite number", source=f"{source}:{line}" if line else source,
                       where=_fmt_loc(raw_bad))
    try:
        scn = Scenario.model_validate(doc)
    except ValidationError as exc:
        _raise_validation(exc, source, tree)
    found = bad_number(doc, scn)
    if found is not None:
        loc, msg = found
        line = node_line(tree, loc) if tree is not None else None
        raise BadInput(msg, source=f"{source}:{line}" if line else source, where=_fmt_loc(loc))
    return scn


def _raise_validation(exc: ValidationError, source: str, tree: Any) -> NoReturn:
    err = exc.errors()[0]
    loc = list(err["loc"])
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
        if ": " in msg and msg.split(": ", 1)[0].startswith("fleets["):
            head, msg = msg.split(": ", 1)
            loc = [*loc, *_split_loc(head)]
    elif "input" in err and not isinstance(err["input"], (dict, list)):
        msg = f"{msg}, got {err['input']!r}"
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    where = _fmt_loc(loc) or None
    line = node_line(tree, loc) if tree is not None and loc else None
    src = f"{source}:{line}" if line else source
    raise BadInput(msg[0].lower() + msg[1:] if msg else msg, source=src, where=where) from None


def _split_loc(head: str) -> list[Any]:
    out: list[Any] = []
    for chunk in head.replace("]", "").split("."):
        name, _, idx = chunk.partition("[")
        out.append(name)
        if idx:
            out.append(int(idx))
    return out


def check_references(scn: Scenario, catalog: Catalog, source: str) -> None:
    """Every fleet and peer names a known accelerator, and a system that holds it."""
    for i, f in enumerate(scn.fleets):
        acc = catalog.accelerators.get(f.accelerator)
        if acc is None:
            raise BadInput(f"unknown accelerator {f.accelerator!r} "
                           f"(known: {', '.join(sorted(catalog.accelerators))})",
                           source=source, where=f"fleets[{i}].accelerator")
        sys_ = catalog.systems.get(f.system)
        if sys_ is None:
            raise BadInput(f"unknown system {f.system!r} "
                           f"(known: {', '.join(sorted(catalog.systems))})",
                           source=source, where=f"fleets[{i}].system")
        if sys_.accelerator != f.accelerator:
            raise BadInput(f"system {f.system!r} holds {sys_.accelerator!r}, "
                           f"not {f.accelerator!r}", source=source, where=f"fleets[{i}].system")
    for i, p in enumerate(scn.peers):
        if p.accelerator not in catalog.accelerators:
            raise BadInput(f"unknown accelerator {p.accelerator!r}", source=source,
                           where=f"peers[{i}].accelerator")
    check_sim_references(scn, catalog, source)


def check_sim_references(scn: Scenario, catalog: Catalog, source: str) -> None:
    """Names inside the ``sim`` section, checked when any command loads the scenario (not
    only when the twin runs): job classes in tenants' mixes and rates, tenants' owners,
    owners in ``inference_share`` and ``power_cap_mw``, the reference accelerator, and the
    accelerators and systems of NPU pools."""
    from aifab.scenario._sim import DEFAULT_CLASS_NAMES

    sim = scn.sim
    classes = sorted(sim.classes if sim.classes is not None else DEFAULT_CLASS_NAMES)
    owners = [o.name for o in scn.owners]
    if sim.reference_accelerator not in catalog.accelerators:
        raise BadInput(f"unknown accelerator {sim.reference_accelerator!r} "
                       f"(known: {', '.join(sorted(catalog.accelerators))})",
                       source=source, where="sim.reference_accelerator")
    for key, tenants in (("tenants", sim.tenants), ("public_tenants", sim.public_tenants)):
        for i, t in enumerate(tenants or []):
            if t.owner not in owners:
                raise BadInput(f"unknown owner {t.owner!r} (owners: {', '.join(owners)})",
                               source=source, where=f"sim.{key}[{i}].owner")
            for field in ("mix", "rates_per_h"):
                for name in getattr(t, field):
                    if name not in classes:
                        raise BadInput(f"unknown job class {name!r} (classes: "
                                       f"{', '.join(classes)})", source=source,
                                       where=f"sim.{key}[{i}].{field}.{name}")
    for key, shares in (("inference_share", sim.inference_share or {}),
                        ("power_cap_mw", sim.power_cap_mw)):
        for name in shares:
            if name not in owners:
                raise BadInput(f"unknown owner {name!r} (owners: {', '.join(owners)})",
                               source=source, where=f"sim.{key}.{name}")
    for i, pool in enumerate(sim.npu_pools or []):
        where = f"sim.npu_pools[{i}]"
        if pool.accelerator not in catalog.accelerators:
            raise BadInput(f"unknown accelerator {pool.accelerator!r} "
                           f"(known: {', '.join(sorted(catalog.accelerators))})",
                           source=source, where=f"{where}.accelerator")
        system = catalog.systems.get(pool.system)
        if system is None:
            raise BadInput(f"unknown system {pool.system!r} "
                           f"(known: {', '.join(sorted(catalog.systems))})",
                           source=source, where=f"{where}.system")
        if system.accelerator != pool.accelerator:
            raise BadInput(f"system {pool.system!r} holds {system.accelerator!r}, "
                           f"not {pool.accelerator!r}", source=source, where=f"{where}.system")
        kind = catalog.accelerators[pool.accelerator].kind
        if kind != "npu":
            raise BadInput(f"{pool.accelerator!r} is a {kind.upper()}, not an NPU (list GPUs "
                           "as fleets)", source=source, where=f"{where}.accelerator")
    if sim.year is not None and scn.fleets and \
            all(f.delivery_year > sim.year for f in scn.fleets):
        first = min(f.delivery_year for f in scn.fleets)
        raise BadInput(f"no fleet is delivered by {sim.year} (the first arrives in {first}): "
                       "nothing to simulate", source=source, where="sim.year")
    if sim.philly_trace is not None or "philly_tenant" in sim.model_fields_set:
        names = _tenant_names(scn)
        if sim.philly_tenant not in names:
            raise BadInput(f"unknown tenant {sim.philly_tenant!r} (tenants: "
                           f"{', '.join(names)})", source=source, where="sim.philly_tenant")


def _tenant_names(scn: Scenario) -> list[str]:
    """The twin's tenants by name (as ``aifab.sim.national`` builds them)."""
    sim = scn.sim
    if sim.tenants is not None:
        return [t.name for t in sim.tenants]
    names: list[str] = []
    for o in scn.owners:
        if o.kind == "private":
            names.append(o.name)
        else:
            names += [t.name for t in sim.public_tenants] if sim.public_tenants is not None \
                else ["public"]
    return list(dict.fromkeys(names))


def load_scenario(
    path_or_name: str | Path | None = None,
    overrides: Sequence[str] | None = None,
    catalog: Catalog | None = None,
) -> Scenario:
    """Load a scenario file (YAML or TOML) or an embedded scenario by name.

    ``overrides`` are ``PATH=VALUE`` strings applied before validation, so an override
    is checked exactly like the file itself.
    """
    tree: Any = None  # the YAML node tree, for line numbers in errors
    if path_or_name is None:
        path_or_name = DEFAULT_SCENARIO
    name = str(path_or_name)
    embedded = embedded_scenarios()
    if name in embedded and not Path(name).exists():
        source = f"{name} (embedded)"
        doc, tree = load_yaml(embedded_text(name), source)
    else:
        p = Path(name)
        if not p.exists() and not p.is_symlink() and p.suffix == "":
            raise BadInput(f"no such scenario file or embedded scenario "
                           f"(embedded: {', '.join(embedded)})", source=name)
        text = read_text_file(p, "scenario file")
        source = str(p)
        if p.suffix == ".toml":
            doc = load_toml(text, source)
        else:
            doc, tree = load_yaml(text, source)
    if overrides:
        if not isinstance(doc, dict):
            raise BadInput("expected a mapping at the top level", source=source)
        doc = copy.deepcopy(doc)
        for expr in overrides:
            apply_override(doc, expr)
        tree = None  # line numbers no longer match the file
        source = f"{source} (with --set)"
        check_shape(doc, source)
    scn = _validate(doc, source, tree)
    check_references(scn, catalog or default_catalog(), source)
    return scn
