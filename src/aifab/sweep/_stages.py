"""Thin adapters: one function per stage, returning that stage's ``--json`` document.

This is the only module of the sweep package that calls the stages; each adapter uses the
stage's public API (``aifab.plan``, ``aifab.grid.site``, ``aifab.sim.national.run_twin``,
``aifab.perf``, ``aifab.sim.run_openb``), so a refactor of a stage's internals needs at
most an edit here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from aifab.catalog import Catalog
from aifab.scenario import Scenario


@lru_cache(maxsize=8)
def catalog_for(files: tuple[str, ...]) -> Catalog:
    """The catalogue of a sweep (cached per worker process)."""
    from aifab.catalog import load_catalog

    return load_catalog([Path(f) for f in files])


_BASES: dict[tuple[str, tuple[str, ...], int], tuple[Catalog, dict[str, Any]]] = {}


def _base_doc(source: str, sets: tuple[str, ...], catalog: Catalog) -> dict[str, Any]:
    """The base scenario's document, loaded once per worker process and catalogue."""
    from aifab.scenario import load_scenario

    key = (source, sets, id(catalog))
    if key not in _BASES or _BASES[key][0] is not catalog:
        if len(_BASES) > 8:
            _BASES.clear()
        _BASES[key] = (catalog, load_scenario(source, list(sets), catalog=catalog).model_dump())
    return _BASES[key][1]


#: Fields that name catalogue entries: a variant that sets one takes the full loader,
#: which checks the reference against the catalogue.
_REFERENCES = (".accelerator", ".system")


def load_variant_scenario(source: str, sets: Sequence[str], catalog: Catalog,
                          variant_sets: Sequence[str] = ()) -> Scenario:
    """The base scenario (``source`` with ``sets``) with the variant's ``--set`` overrides.

    The base is loaded once per worker; a variant's overrides are applied to a copy of its
    document and validated, which gives the same scenario as ``load_scenario`` with all the
    overrides, in a tenth of the time. Where validation fails, or an override names a
    catalogue entry, the full loader runs, so errors read exactly as on the CLI.
    """
    import copy

    from pydantic import ValidationError

    from aifab.errors import BadInput
    from aifab.scenario import apply_override, load_scenario

    if not any(e.split("=", 1)[0].endswith(_REFERENCES) for e in variant_sets):
        try:
            doc = copy.deepcopy(_base_doc(source, tuple(sets), catalog))
            for expr in variant_sets:
                apply_override(doc, expr)
            return Scenario.model_validate(doc)
        except (ValidationError, BadInput):
            pass
    return load_scenario(source, [*sets, *variant_sets], catalog=catalog)


def plan_stage(scn: Scenario, cat: Catalog, opts: dict[str, Any]) -> dict[str, Any]:
    """``aifab plan --json``: the command's document (:meth:`PlanResult.document`)."""
    from aifab import plan

    return plan(scn, cat).document()


def site_stage(scn: Scenario, cat: Catalog, opts: dict[str, Any]) -> dict[str, Any]:
    """``aifab site --json``, the command's document built by its one schema
    (:class:`aifab.grid.SiteResult`; year keys are text, as in the JSON); HiGHS threads
    follow the task's declared CPUs."""
    from aifab.grid import SiteResult, site

    threads = max(1, int(opts.pop("_threads", 1)))
    scn = scn.model_copy(update={"siting": scn.siting.model_copy(
        update={"solver_threads": threads})})
    result = site(scn, catalog=cat, hours=opts.get("hours"),
                  time_limit_s=opts.get("time_limit_s"))
    return SiteResult.from_siting(scn.name, result).to_dict()


def simulate_stage(scn: Scenario, cat: Catalog, opts: dict[str, Any]) -> dict[str, Any]:
    """``aifab simulate --json`` (days, policy and seed come from the scenario's ``sim``;
    ``power_caps`` a siting, as ``--power-caps``), through the twin's one pipeline
    (:func:`aifab.sim.national.run_twin` under ``site_constraints``)."""
    from aifab.sim.national import TwinRequest, run_twin, site_constraints

    cons = None
    if opts.get("power_caps"):
        path = str(opts["power_caps"])
        cons = site_constraints(_siting(Path(path)), [o.name for o in scn.owners], src=path)
    return run_twin(TwinRequest(scn, catalog=cat, constraints=cons)).to_dict()


def _siting(path: Path) -> Any:
    """A siting read typed: a site run folder (``read_site``), or its site.json or
    ``site --json`` output; exit 2 naming the file and field when it is not one."""
    import json

    from aifab._io import read_text_file
    from aifab.errors import BadInput
    from aifab.grid import SiteResult, read_site

    if path.is_dir():
        return read_site(path)
    try:
        doc = json.loads(read_text_file(path, "siting result"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"not JSON ({exc.msg}, line {exc.lineno})", source=str(path)) from None
    return SiteResult.from_dict(doc, str(path))


def perf_stage(scn: Scenario, cat: Catalog, opts: dict[str, Any]) -> dict[str, Any]:
    """``aifab perf infer --json`` or ``aifab perf train --json``: the command's document
    (:class:`aifab.perf.InferReport`, :class:`aifab.perf.TrainReport`) for the flags
    the stage's options give (precision given: fp8 to infer, bf16 to train)."""
    from aifab.perf import InferInputs, InferReport, TrainInputs, TrainReport, inference, training

    o = dict(opts)
    if o.get("mode", "infer") == "train":
        from aifab.reliability import train_failure_model, training_reliability

        precision = o.get("precision") or "bf16"
        t = training(o["model"], o["tokens"], o["device"], o["devices"], precision=precision,
                     pue=o["pue"], catalog=cat)
        rel = training_reliability(t.devices, t.time_days, t.family,
                                   train_failure_model(None, None, None))
        return TrainReport("perf train", TrainInputs(
            model=o["model"], tokens=o["tokens"], device=o["device"], devices=o["devices"],
            precision=precision, seq_len=t.seq_len, lora=False, pue=o["pue"],
            checkpoint_write_s=rel.checkpoint_write_s, restart_s=rel.restart_s,
            checkpoint_interval_h=None, failure_scale=1.0), t, rel.to_dict()).to_dict()
    inputs = InferInputs(model=o["model"], device=o["device"], devices=o["devices"],
                         tp=o.get("tp"), precision=o.get("precision") or "fp8",
                         batch=o["batch"], input=o["input"], output=o["output"], pue=o["pue"])
    r = inference(o["model"], o["device"], o["devices"], precision=inputs.precision,
                  batch=o["batch"], input_tokens=o["input"], output_tokens=o["output"],
                  tp=o.get("tp"), pue=o["pue"], catalog=cat)
    return InferReport("perf infer", inputs, r).to_dict()


@lru_cache(maxsize=16)
def _openb(nodes: str, pods: str) -> tuple[Any, Any]:
    from aifab.workload import read_openb_nodes, read_openb_pods

    node_list = read_openb_nodes(Path(nodes))
    return node_list, read_openb_pods(Path(pods), node_list.models)


def replay_stage(scn: Scenario, cat: Catalog, opts: dict[str, Any]) -> dict[str, Any]:
    """``aifab replay openb --json`` for one seed (traces cached per worker process): the
    command's document (:class:`aifab.sim.ReplayResult`)."""
    from aifab.errors import BadInput
    from aifab.sim import PLACEMENT_POLICIES, ReplayResult, run_openb, trace_info

    policy = str(opts["policy"]).strip().lower()
    if policy not in PLACEMENT_POLICIES:
        raise BadInput(f"unknown policy {policy!r} (choose from: {', '.join(PLACEMENT_POLICIES)})",
                       where="replay.policy")
    nodes, pods = _openb(opts["nodes"], opts["pods"])
    r = run_openb(nodes, pods, policy, opts["seed"], opts["tune"], tie_break=opts["tie_break"])
    return ReplayResult.from_runs(
        [r], policy=policy, tune=opts["tune"], tie_break=opts["tie_break"],
        trace=trace_info(opts["nodes"], opts["pods"], nodes, pods), wall_s=r.wall_s).to_dict()


def quota_stage(scn: Scenario, cat: Catalog, opts: dict[str, Any]) -> dict[str, Any]:
    """One quota design of a public programme through the twin (:mod:`._quota`)."""
    from aifab.sweep._quota import quota_stage as run

    return run(scn, cat, opts)


STAGE_FUNCS: dict[str, Callable[[Scenario, Catalog, dict[str, Any]], dict[str, Any]]] = {
    "plan": plan_stage, "site": site_stage, "simulate": simulate_stage,
    "perf": perf_stage, "replay": replay_stage, "quota": quota_stage}
