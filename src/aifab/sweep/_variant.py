"""One variant: its task (plain, picklable data), content hash, run and metric extraction."""

from __future__ import annotations

import hashlib
import json
import math
import time
import traceback
from dataclasses import dataclass
from typing import Any

from aifab import __version__
from aifab.errors import AifabError
from aifab.sweep._spec import STAGES, SweepSpec, set_expr


@dataclass(frozen=True)
class VariantTask:
    """Everything a worker needs to run one variant (no live objects, so Ray can ship it)."""

    id: int
    hash: str
    params: dict[str, Any]
    scenario: str
    sets: tuple[str, ...]
    catalog: tuple[str, ...]
    stages: tuple[str, ...]
    options: dict[str, dict[str, Any]]
    metrics: dict[str, str]
    threads: int


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def base_fingerprint(spec: SweepSpec) -> str:
    """What every variant of ``spec`` shares: base scenario content, stages, flags, metrics."""
    from aifab.sweep._stages import catalog_for, load_variant_scenario

    scn = load_variant_scenario(spec.scenario, spec.set, catalog_for(tuple(spec.catalog)))
    return _canonical({"aifab": __version__, "scenario": scn.model_dump(mode="json"),
                       "catalog": spec.catalog, "stages": spec.stages,
                       "options": spec.options, "metrics": spec.metrics})


def make_tasks(spec: SweepSpec, variants: list[dict[str, Any]]) -> list[VariantTask]:
    """One task per variant; the hash covers the base fingerprint and the variant's values."""
    base = base_fingerprint(spec)
    threads = max(1, int(spec.resources.cpus))
    out = []
    for i, params in enumerate(variants):
        digest = hashlib.sha256((base + _canonical(params)).encode()).hexdigest()[:16]
        out.append(VariantTask(
            id=i, hash=digest, params=params, scenario=spec.scenario, sets=tuple(spec.set),
            catalog=tuple(spec.catalog), stages=tuple(spec.stages),
            options={k: dict(v) for k, v in spec.options.items()}, metrics=dict(spec.metrics),
            threads=threads))
    return out


def extract(doc: Any, path: list[str], where: str) -> float:
    """The number at ``path`` (keys, or list indices as digits) in a stage's document."""
    node = doc
    for i, part in enumerate(path):
        here = ".".join(path[: i + 1])
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit() and \
                -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            keys = ", ".join(map(str, list(node)[:12])) if isinstance(node, dict) else ""
            raise KeyError(f"{where}: no {here!r} in the stage output"
                           + (f" (keys: {keys})" if keys else ""))
    if node is None:
        return math.nan
    if isinstance(node, bool):
        return float(node)
    if isinstance(node, (int, float)):
        return float(node)
    raise KeyError(f"{where}: {'.'.join(path)!r} is a {type(node).__name__}, not a number")


def _options(stage: str, opts: dict[str, Any]) -> dict[str, Any]:
    """A stage's flags for this variant, validated (bad values fail the variant)."""
    from pydantic import ValidationError

    from aifab.errors import BadInput
    from aifab.sweep._options import OPTION_MODELS

    try:
        return OPTION_MODELS[stage].model_validate(opts).model_dump()
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join([stage, *map(str, err["loc"])])
        raise BadInput(f"{err['msg']}, got {err.get('input')!r}", where=where) from None


def run_variant(task: VariantTask) -> dict[str, Any]:
    """Run the stages of one variant; a failure is recorded with its error, never raised."""
    from aifab.sweep._stages import STAGE_FUNCS, catalog_for, load_variant_scenario

    t0, c0 = time.perf_counter(), time.process_time()
    rec: dict[str, Any] = {"id": task.id, "hash": task.hash, "params": task.params,
                           "status": "ok", "error": "", "metrics": {}}
    try:
        sets: list[str] = []
        opts = {s: dict(task.options.get(s, {})) for s in task.stages}
        for path, value in task.params.items():
            stage, _, key = path.partition(".")
            if stage in STAGES:
                opts[stage][key] = value
            else:
                sets.append(set_expr(path, value))
        cat = catalog_for(task.catalog)
        scn = load_variant_scenario(task.scenario, task.sets, cat, sets)
        docs = {}
        for stage in task.stages:
            o = _options(stage, opts[stage])
            if stage == "site":
                o["_threads"] = task.threads
            docs[stage] = STAGE_FUNCS[stage](scn, cat, o)
        for name, path in task.metrics.items():
            stage, *rest = path.split(".")
            rec["metrics"][name] = extract(docs[stage], rest, f"metric {name}")
    except AifabError as exc:
        rec.update(status="failed", error=" ".join(str(exc).split()))
    except Exception as exc:  # a variant's bug must not stop the sweep; keep where it was
        tb = traceback.extract_tb(exc.__traceback__)
        at = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        rec.update(status="failed", error=f"{type(exc).__name__}: {msg}{at}")
    rec["wall_s"] = round(time.perf_counter() - t0, 4)
    rec["cpu_s"] = round(time.process_time() - c0, 4)
    return rec
