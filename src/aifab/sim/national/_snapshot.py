"""What a checkpoint saves of a run's part (:class:`Snapshot`) and the protocol of the
parts that own their state (:class:`Stateful`): a leaf module, so the parts (fleet,
queues, services, meters, curtailment) name these types without importing the
checkpoint's machinery (:mod:`._stateful`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy.typing as npt

from aifab.sim.national._job import Job

Arrays = dict[str, npt.NDArray[Any]]
Snapshot = tuple[dict[str, Any], Arrays]
"""A part's checkpoint entries: JSON values by name, arrays by name."""


@runtime_checkable
class Stateful(Protocol):
    """A part of a run that a checkpoint saves and restores."""

    def state(self) -> Snapshot:
        """Its entries (values it may share with the live object: written at once)."""
        ...

    def restore(self, state: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]],
                jobs: Mapping[int, Job]) -> None:
        """Read its entries back from a whole checkpoint; ``jobs``: the job table."""
        ...
