"""Accelerator and system specs: frozen, typed, units in the field names."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Precisions with a dense-throughput column in the catalogue.
Precision = Literal["bf16", "fp8", "fp4", "int8"]
PRECISIONS: tuple[Precision, ...] = ("bf16", "fp8", "fp4", "int8")


class Accelerator(BaseModel):
    """One accelerator (GPU or NPU): dense peak figures, no sparsity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    vendor: str
    kind: Literal["gpu", "npu"]
    mem_gb: float = Field(gt=0, description="Usable device memory (GB).")
    bw_tbps: float = Field(gt=0, description="Memory bandwidth (TB/s).")
    tflops_bf16: float | None = Field(default=None, gt=0, description="Dense BF16/FP16 TFLOPS.")
    tflops_fp8: float | None = Field(default=None, gt=0, description="Dense FP8 TFLOPS.")
    tflops_fp4: float | None = Field(default=None, gt=0, description="Dense FP4 TFLOPS.")
    tops_int8: float | None = Field(default=None, gt=0, description="Dense INT8 TOPS.")
    tdp_w: float = Field(gt=0, description="Board power limit (W).")
    idle_w: float = Field(ge=0, description="Idle draw (W); mostly estimates.")
    interconnect: str = ""
    link_gbps: float = Field(gt=0, description="Per-device scale-up bandwidth (GB/s).")
    domain_size: int = Field(ge=1, description="Devices in one scale-up (NVLink) domain.")
    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> Accelerator:
        if self.idle_w >= self.tdp_w:
            raise ValueError(f"idle_w ({self.idle_w}) must be below tdp_w ({self.tdp_w})")
        return self

    def peak_tflops(self, precision: str) -> float | None:
        """Dense peak for ``precision`` (TFLOPS or TOPS); None if the device lacks it."""
        return {
            "bf16": self.tflops_bf16,
            "fp16": self.tflops_bf16,
            "fp8": self.tflops_fp8,
            "fp4": self.tflops_fp4,
            "int8": self.tops_int8,
        }.get(precision)

    @property
    def uncertain(self) -> bool:
        """True where the catalogue note flags a derived or unconfirmed figure."""
        text = self.note.lower()
        return any(w in text for w in ("uncertain", "unconfirmed", "(d)", "derived"))


class System(BaseModel):
    """A server or rack that holds accelerators; its power drives the power model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    accelerator: str
    accelerators_per_system: int = Field(gt=0)
    power_kw: float = Field(gt=0, description="System power at full load (kW), low end.")
    power_kw_high: float | None = Field(default=None, gt=0, description="High end of range.")
    form: Literal["server", "rack"]
    source: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _range(self) -> System:
        if self.power_kw_high is not None and self.power_kw_high < self.power_kw:
            raise ValueError("power_kw_high must be >= power_kw")
        return self

    @property
    def kw_per_accelerator(self) -> float:
        """System power per accelerator (kW), host share included."""
        return self.power_kw / self.accelerators_per_system
