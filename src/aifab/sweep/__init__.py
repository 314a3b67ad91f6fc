"""Scenario sweeps on Ray: designs, execution, summaries and sensitivity (``aifab sweep``).

``sweep(spec)`` runs every variant of a :class:`SweepSpec` (serially, on an embedded local
Ray, or on a cluster) and returns a :class:`SweepResult` whose ``to_frames()`` gives
DataFrames; ``plan_uncertainty(scenario)`` gives P5-P95 ranges of the plan's headline
figures from the documented ranges of their assumptions. See docs/sweep.md.
"""

from __future__ import annotations

from pathlib import Path

from aifab._sweep_doc import SweepDocument
from aifab.sweep._design import DesignPoints, build_design
from aifab.sweep._designs import design_frame, design_rows, sweep_document, write_designs
from aifab.sweep._exec import Progress, execute, load_state_spec, read_journal
from aifab.sweep._plan_cli import print_uncertainty, write_uncertainty
from aifab.sweep._results import (
    SweepResult,
    VariantRecord,
    read_sweep,
    sweep_file,
    sweep_html,
    write_sweep,
)
from aifab.sweep._sensitivity import percentiles, sobol_indices
from aifab.sweep._spec import Parameter, SweepSpec, load_spec, spec_from_dict
from aifab.sweep._uncertainty import (
    UncertaintyResult,
    plan_uncertainty,
    uncertainty_ranges,
)


def sweep(spec: SweepSpec, *, workers: int | None = None, address: str | None = None,
          state_dir: Path | None = None, retry_failed: bool = False,
          progress: Progress | None = None) -> SweepResult:
    """Run a sweep. ``workers=0``: serially in this process; otherwise Ray tasks, on the
    running Ray, the cluster at ``address``, or an embedded local Ray with ``workers``
    CPUs. With ``state_dir`` every finished variant is journalled there and variants
    already journalled (same content hash) are not run again."""
    design, records, ran, wall = execute(spec, workers=workers, address=address,
                                         state_dir=state_dir, retry_failed=retry_failed,
                                         progress=progress)
    return SweepResult(spec=spec, design=design, ran=ran, wall_s=wall,
                       records=tuple(VariantRecord.from_dict(r) for r in records))


__all__ = [
    "DesignPoints",
    "Parameter",
    "SweepDocument",
    "SweepResult",
    "SweepSpec",
    "UncertaintyResult",
    "VariantRecord",
    "build_design",
    "design_frame",
    "design_rows",
    "load_spec",
    "load_state_spec",
    "percentiles",
    "plan_uncertainty",
    "print_uncertainty",
    "read_journal",
    "read_sweep",
    "sobol_indices",
    "spec_from_dict",
    "sweep",
    "sweep_document",
    "sweep_file",
    "sweep_html",
    "uncertainty_ranges",
    "write_designs",
    "write_sweep",
    "write_uncertainty",
]
