"""Transformer model descriptions (dense and MoE) loaded from a data file with sources."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aifab._checks import bad_number
from aifab._io import read_text_file
from aifab.errors import BadInput


class ModelSpec(BaseModel):
    """One transformer: shapes for FLOPs, weight bytes and KV-cache bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    arch: Literal["dense", "moe"] = "dense"
    params_b: float = Field(gt=0, description="Total parameters (billions).")
    active_params_b: float = Field(gt=0, description="Parameters used per token (billions).")
    layers: int = Field(gt=0)
    hidden: int = Field(gt=0)
    heads: int = Field(gt=0, description="Query heads.")
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    ffn: int | None = Field(default=None, gt=0,
                            description="MLP width (MoE: one routed expert's).")
    vocab: int = Field(gt=0)
    experts: int | None = Field(default=None, gt=0)
    experts_active: int | None = Field(default=None, gt=0)
    kv_elems_per_layer: int | None = Field(
        default=None, gt=0, description="KV-cache elements per token per layer (MLA); "
        "default 2 x kv_heads x head_dim.")
    max_seq: int = Field(default=8192, gt=0)
    source: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        if self.active_params_b > self.params_b:
            raise ValueError("active_params_b must not exceed params_b")
        if self.arch == "moe" and (self.experts is None or self.experts_active is None):
            raise ValueError("a moe model needs experts and experts_active")
        if self.experts and self.experts_active and self.experts_active > self.experts:
            raise ValueError("experts_active must not exceed experts")
        return self

    @property
    def kv_elems_per_token(self) -> int:
        """KV-cache elements per token over all layers."""
        per_layer = self.kv_elems_per_layer or 2 * self.kv_heads * self.head_dim
        return self.layers * per_layer

    @property
    def attn_dim(self) -> int:
        """Query width (heads x head_dim) used for attention FLOPs."""
        return self.heads * self.head_dim

    @property
    def mla(self) -> bool:
        """Multi-head latent attention: one compressed KV latent per layer (DeepSeek)."""
        return self.kv_elems_per_layer is not None and self.kv_heads == 1

    @property
    def attn_flops_per_ctx(self) -> float:
        """Attention FLOPs per (query token x context token) over all layers.

        Standard attention: 4 x heads x head_dim per layer (QK^T and AV). MLA in its
        absorbed form scores every head against the whole latent and mixes the latent
        back: 4 x heads x latent width per layer (about 4x the standard count for
        DeepSeek-V3; the 64-wide RoPE part is counted in both products, a 6 % overcount).
        """
        width = self.kv_elems_per_layer if self.mla and self.kv_elems_per_layer else \
            self.head_dim
        return 4.0 * self.layers * self.heads * width

    def kv_copies(self, tp: int) -> int:
        """Copies of each token's KV cache a tensor-parallel group of ``tp`` holds: heads
        are split across devices, but a group wider than the KV heads replicates them
        (an MLA latent, one "head", is held whole by every device)."""
        return max(1, tp // self.kv_heads)

    def split_b(self) -> tuple[float, float, float, float]:
        """(dense params, expert params, dense active, expert active) in billions: the
        dense part is everything outside the routed experts (attention, shared experts,
        embeddings); a dense model is all dense part."""
        return self._split

    @cached_property
    def _split(self) -> tuple[float, float, float, float]:
        if self.arch != "moe" or not self.experts or not self.experts_active:
            return self.params_b, 0.0, self.active_params_b, 0.0
        e, k = self.experts, self.experts_active
        per_expert = (self.params_b - self.active_params_b) / (e - k) if e > k else 0.0
        shared = self.params_b - e * per_expert
        return shared, e * per_expert, shared, k * per_expert

    def weights_read_b(self, tokens: float) -> float:
        """Parameters (billions) read in one decode step that routes ``tokens`` tokens.

        Dense models read everything; an MoE reads the shared part plus the experts that
        at least one token picks (uniform routing: 1 - (1 - k/E)^tokens of them).
        """
        if self.arch != "moe" or not self.experts or not self.experts_active:
            return self.params_b
        shared, expert, _, _ = self.split_b()
        touched = 1.0 - (1.0 - self.experts_active / self.experts) ** max(tokens, 1.0)
        return float(shared + expert * touched)


@dataclass(frozen=True)
class ModelSet:
    """Models by id; ``get`` raises BadInput listing the known ids."""

    models: dict[str, ModelSpec]

    def get(self, ident: str, where: str = "model") -> ModelSpec:
        try:
            return self.models[ident]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise BadInput(f"unknown model {ident!r} (known: {known})", where=where) from None

    def __hash__(self) -> int:
        return id(self)


def _parse(text: str, source: str) -> dict[str, ModelSpec]:
    out: dict[str, ModelSpec] = {}
    reader = csv.DictReader(io.StringIO(text))
    for i, row in enumerate(reader, start=2):
        clean = {k: v for k, v in row.items() if k is not None and v not in ("", None)}
        try:
            spec = ModelSpec.model_validate(clean)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"]) or "row"
            raise BadInput(f"{loc}: {err['msg']}", source=source, where=f"line {i}") from None
        bad = bad_number(clean, spec)
        if bad is not None:
            raise BadInput(f"{'.'.join(map(str, bad[0]))}: {bad[1]}", source=source,
                           where=f"line {i}")
        out[spec.id] = spec
    if not out:
        raise BadInput("no models found (expected a CSV with a header row)", source=source)
    return out


@lru_cache(maxsize=1)
def default_models() -> ModelSet:
    """The packaged model descriptions (data/models.csv)."""
    text = (resources.files("aifab.perf") / "data" / "models.csv").read_text("utf-8")
    return ModelSet(_parse(text, "models.csv"))


def load_models(extra: Iterable[Path | str] = ()) -> ModelSet:
    """Packaged models extended by user CSV files (same columns; same id replaces)."""
    models = dict(default_models().models)
    for path in extra:
        src = str(path)
        if not src.endswith(".csv"):
            raise BadInput("model file must be .csv (columns as data/models.csv)", source=src)
        models.update(_parse(read_text_file(path, "model file"), src))
    return ModelSet(models)
