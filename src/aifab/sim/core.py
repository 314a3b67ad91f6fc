"""The event core shared by both simulators (defined in :mod:`aifab._eventq`, the bottom
layer, so the job Monte Carlo of :mod:`aifab.reliability` uses the same one)."""

from aifab._eventq import Entry, EventQueue

__all__ = ["Entry", "EventQueue"]
