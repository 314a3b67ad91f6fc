"""The sweep spec: base scenario, parameters, design, stages, metrics and resources.

A spec is a YAML (or JSON) file, validated into a frozen :class:`SweepSpec`. Bad specs raise
:class:`~aifab.errors.BadInput` naming the file, line and field (exit 2 on the CLI).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from aifab._io import read_text_file
from aifab._yaml import check_shape, parse_yaml
from aifab.errors import BadInput
from aifab.sweep._options import OPTION_MODELS, PATH_OPTIONS, Frozen

STAGES = ("plan", "site", "simulate", "perf", "replay", "quota")
Stage = Literal["plan", "site", "simulate", "perf", "replay", "quota"]
DesignKind = Literal["grid", "random", "lhs", "saltelli", "oat"]
DistKind = Literal["uniform", "normal", "lognormal", "triangular"]
MAX_VARIANTS = 1_000_000


class Distribution(Frozen):
    """A continuous distribution: uniform(low, high), normal(mean, sd), lognormal(mean, sd
    of the log), triangular(low, mode, high)."""

    kind: DistKind
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        need = {"uniform": ("low", "high"), "normal": ("mean", "sd"),
                "lognormal": ("mean", "sd"), "triangular": ("low", "mode", "high")}[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.kind} needs {', '.join(need)} (missing {', '.join(missing)})")
        extra = [k for k in ("low", "high", "mode", "mean", "sd")
                 if k not in need and getattr(self, k) is not None]
        if extra:
            raise ValueError(f"{self.kind} takes only {', '.join(need)} (not {', '.join(extra)})")
        if self.kind in ("uniform", "triangular") and not (
                self.low is not None and self.high is not None and self.low < self.high):
            raise ValueError("needs low < high")
        if self.kind == "triangular" and self.mode is not None and self.low is not None \
                and self.high is not None and not self.low <= self.mode <= self.high:
            raise ValueError("needs low <= mode <= high")
        return self


class Parameter(Frozen):
    """One swept input: exactly one of ``values``, ``range`` or ``distribution``.

    ``levels`` spaces a range evenly for grid designs; ``integer`` rounds sampled values;
    ``base`` is the nominal value of one-at-a-time designs (default: middle value, midpoint
    or median).
    """

    values: list[Any] | None = Field(default=None, min_length=1)
    range: tuple[float, float] | None = None
    distribution: Distribution | None = None
    levels: int | None = Field(default=None, ge=2, le=1000)
    integer: bool = False
    base: Any = None

    @model_validator(mode="after")
    def _one_kind(self) -> Parameter:
        given = [k for k in ("values", "range", "distribution") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of values, range, distribution"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("range needs low < high")
        if self.values is not None and any(isinstance(v, (dict, list)) for v in self.values):
            raise ValueError("values must be scalars (numbers, strings, booleans)")
        if self.levels is not None and self.range is None:
            raise ValueError("levels only applies to a range")
        return self


class Design(Frozen):
    """How variants are drawn: full grid, random (Monte Carlo), Latin hypercube, Saltelli
    (for Sobol indices; ``samples`` is N, a power of two) or one-at-a-time (tornado)."""

    kind: DesignKind = "grid"
    samples: int | None = Field(default=None, ge=1, le=MAX_VARIANTS)
    seed: int = Field(default=0, ge=0)
    second_order: bool = False

    @model_validator(mode="after")
    def _samples(self) -> Design:
        if self.kind in ("random", "lhs", "saltelli") and self.samples is None:
            raise ValueError(f"{self.kind} design needs samples")
        if self.kind in ("grid", "oat") and self.samples is not None:
            raise ValueError(f"{self.kind} design takes no samples")
        if self.kind == "saltelli" and self.samples is not None and \
                self.samples & (self.samples - 1):
            raise ValueError(f"saltelli samples must be a power of two, got {self.samples}")
        return self


class Resources(Frozen):
    """What one variant task declares to Ray: CPUs (also HiGHS threads) and memory."""

    cpus: float = Field(default=1.0, gt=0, le=256)
    memory_mb: int = Field(default=1024, ge=64, le=1_048_576)


class SweepSpec(Frozen):
    """A whole sweep. Parameter paths are ``--set`` paths into the scenario, or
    ``<stage>.<option>`` for a stage's flags (e.g. ``replay.policy``)."""

    name: str = Field(default="sweep", min_length=1)
    description: str = ""
    scenario: str = Field(default="korea-2025", min_length=1)
    set: list[str] = Field(default_factory=list)
    catalog: list[str] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=lambda: list[Stage](["plan"]), min_length=1)
    options: dict[Stage, dict[str, Any]] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(min_length=1)
    design: Design = Design()
    metrics: dict[str, str] = Field(min_length=1)
    resources: Resources = Resources()

    @field_validator("stages")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("stages listed twice")
        return v

    @field_validator("metrics")
    @classmethod
    def _metric_paths(cls, v: dict[str, str]) -> dict[str, str]:
        for name, path in v.items():
            if not name or any(c in name for c in " \t\n"):
                raise ValueError(f"metric name {name!r} must be non-empty without spaces")
            parts = str(path).split(".")
            if len(parts) < 2 or any(not p for p in parts) or parts[0] not in STAGES:
                raise ValueError(f"metric {name!r}: path {path!r} must be <stage>.<key>[.<key>"
                                 f"...] with a stage from {', '.join(STAGES)}")
        return v

    def stage_params(self, stage: str) -> list[str]:
        """Parameter paths that set a flag of ``stage``."""
        return [p for p in self.parameters if p.split(".", 1)[0] == stage]

    def scenario_params(self) -> list[str]:
        """Parameter paths that are ``--set`` paths into the scenario."""
        return [p for p in self.parameters if p.split(".", 1)[0] not in STAGES]


def _fmt_loc(loc: Sequence[Any]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, str) and (not part or not part.isprintable() or " " in part):
            part = repr(part)
        keyed = i > 0 and loc[i - 1] in ("parameters", "metrics", "options")
        if isinstance(part, int) or (keyed and "." in str(part)):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line(text: str | None, loc: Sequence[Any]) -> int | None:
    if text is None:
        return None
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            break
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(part):
                    nxt, line = v, k.start_mark.line + 1
                    break
        elif isinstance(part, int) and 0 <= part < len(node.value):
            nxt = node.value[part]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def spec_from_dict(doc: Any, source: str = "spec", text: str | None = None,
                   base_dir: Path | None = None) -> SweepSpec:
    """Validate a spec document; relative file paths resolve against ``base_dir``."""
    if not isinstance(doc, dict):
        raise BadInput("expected a mapping at the top level", source=source)
    try:
        spec = SweepSpec.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        loc = [p for p in loc if not (isinstance(p, str) and p.startswith("literal['plan'"))]
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            msg = f"{msg}, got {err['input']!r}"
        line = _line(text, loc)
        src = f"{source}:{line}" if line else source
        raise BadInput(msg[:1].lower() + msg[1:], source=src,
                       where=_fmt_loc(loc) or None) from None
    return _check(spec, source, text, base_dir)


def _resolve(path: str, base_dir: Path | None) -> str:
    p = Path(path).expanduser()
    if base_dir is not None and not p.is_absolute():
        p = base_dir / p
    return str(p)


def _check(spec: SweepSpec, source: str, text: str | None, base_dir: Path | None) -> SweepSpec:
    """Cross-field checks: stage options, parameter paths, metric stages; resolve paths."""
    def bad(msg: str, loc: list[Any]) -> BadInput:
        line = _line(text, loc)
        return BadInput(msg, source=f"{source}:{line}" if line else source, where=_fmt_loc(loc))

    for stage in spec.options:
        if stage not in spec.stages:
            raise bad(f"stage {stage!r} is not in stages", ["options", stage])
    for name, path in spec.metrics.items():
        if path.split(".", 1)[0] not in spec.stages:
            raise bad(f"path {path!r} reads stage {path.split('.', 1)[0]!r}, which is not in "
                      f"stages ({', '.join(spec.stages)})", ["metrics", name])
    options = {k: dict(v) for k, v in spec.options.items()}
    params = dict(spec.parameters)
    for path, par in spec.parameters.items():
        head, _, key = path.partition(".")
        if head in STAGES:
            fields = OPTION_MODELS[head].model_fields
            if head not in spec.stages:
                raise bad(f"sets a flag of stage {head!r}, which is not in stages",
                          ["parameters", path])
            if key not in fields:
                raise bad(f"unknown flag {key!r} of stage {head} (flags: "
                          f"{', '.join(fields) or 'none'})", ["parameters", path])
            if (head, key) in PATH_OPTIONS and par.values is not None:
                par_vals = [_resolve(str(v), base_dir) for v in par.values]
                params[path] = par.model_copy(update={"values": par_vals})
    for stage in spec.stages:
        opts = options.get(stage, {})
        for (owner, key) in PATH_OPTIONS:
            if owner == stage and isinstance(opts.get(key), str):
                opts[key] = _resolve(opts[key], base_dir)
        # Parameters may supply required flags; check with their first value.
        trial = dict(opts)
        for path in spec.stage_params(stage):
            trial[path.split(".", 1)[1]] = first_value(params[path])
        try:
            OPTION_MODELS[stage].model_validate(trial)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"])
            msg = "unknown flag" if err["type"] == "extra_forbidden" else str(err["msg"])
            msg = msg.removeprefix("Value error, ")
            raise bad(msg[:1].lower() + msg[1:],
                      ["options", stage, key] if key else ["options", stage]) from None
        options[stage] = opts
    _check_design(spec, bad)
    scen = spec.scenario
    if base_dir is not None and (base_dir / scen).exists():
        scen = str(base_dir / scen)
    cats = [_resolve(c, base_dir) for c in spec.catalog]
    _check_scenario(scen, spec, cats, bad)
    if "quota" in spec.stages:
        _check_quota(scen, spec, cats, options.get("quota", {}), params, bad)
    return spec.model_copy(update={"options": options, "scenario": scen, "catalog": cats,
                                   "parameters": params})


def _check_design(spec: SweepSpec, bad: Any) -> None:
    """A grid needs listed values or ranges with levels, and a bounded number of variants."""
    if spec.design.kind == "grid":
        n = 1
        for path, par in spec.parameters.items():
            if par.values is None and (par.range is None or par.levels is None):
                raise bad("a grid design needs values, or a range with levels",
                          ["parameters", path])
            n *= len(par.values) if par.values is not None else (par.levels or 1)
        if n > MAX_VARIANTS:
            raise bad(f"{n:,} variants, more than the {MAX_VARIANTS:,} allowed", ["design"])
    elif spec.design.kind == "saltelli" and spec.design.samples is not None:
        k = len(spec.parameters)
        n = spec.design.samples * (2 * k + 2 if spec.design.second_order else k + 2)
        if n > MAX_VARIANTS:
            raise bad(f"{n:,} variants, more than the {MAX_VARIANTS:,} allowed", ["design"])


def set_expr(path: str, value: Any) -> str:
    """A ``--set`` expression whose value parses back to ``value``."""
    return f"{path}={json.dumps(value)}"


def _check_scenario(scen: str, spec: SweepSpec, cats: list[str], bad: Any) -> None:
    """The base scenario loads, and every scenario parameter names a real field."""
    from aifab.catalog import load_catalog
    from aifab.scenario import load_scenario

    try:
        cat = load_catalog([Path(c) for c in cats])
    except BadInput as exc:
        raise bad(str(exc), ["catalog"]) from None
    try:
        load_scenario(scen, spec.set, catalog=cat)
    except BadInput as exc:
        raise bad(str(exc), ["set" if spec.set else "scenario"]) from None
    for path in spec.scenario_params():
        try:
            load_scenario(scen, [*spec.set, set_expr(path, first_value(spec.parameters[path]))],
                          catalog=cat)
        except BadInput as exc:
            raise bad(str(exc), ["parameters", path]) from None


def _check_quota(scen: str, spec: SweepSpec, cats: list[str], options: dict[str, Any],
                 params: dict[str, Parameter], bad: Any) -> None:
    """Every quota design reachable one flag at a time can be built (:mod:`._quota`)."""
    from aifab.catalog import load_catalog
    from aifab.scenario import load_scenario
    from aifab.sweep._quota import check_designs

    values = {p.split(".", 1)[1]: (par.values if par.values is not None else
                                   list(par.range) if par.range is not None
                                   else [first_value(par)])
              for p, par in params.items() if p.startswith("quota.")}
    scn = load_scenario(scen, spec.set, catalog=load_catalog([Path(c) for c in cats]))
    check_designs(scn, options, values, bad)


def first_value(par: Parameter) -> Any:
    """A representative value of a parameter (first value, low end, median)."""
    if par.values is not None:
        return par.values[0]
    if par.range is not None:
        return round(par.range[0]) if par.integer else par.range[0]
    d = par.distribution
    assert d is not None
    v = d.low if d.low is not None else d.mean
    assert v is not None
    return round(v) if par.integer else v


def load_spec(path: Path | str) -> SweepSpec:
    """Read and validate a sweep spec (YAML or JSON)."""
    p = Path(path)
    text = read_text_file(p, "sweep spec")
    if p.suffix != ".json":  # duplicate keys, alias bombs and deep nesting refused
        doc = parse_yaml(text, str(p))
        return spec_from_dict(doc, str(p), text, p.parent)
    try:
        doc = json.loads(text)
        check_shape(doc, str(p))
    except RecursionError:
        raise BadInput("nested too deeply", source=str(p)) from None
    except json.JSONDecodeError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else getattr(exc, "lineno", None)
        raise BadInput("invalid YAML/JSON", source=f"{p}:{line}" if line else str(p)) from None
    return spec_from_dict(doc, str(p), None, p.parent)
