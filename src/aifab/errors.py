"""Errors that map to the CLI's exit codes (see DESIGN.md): 2 bad input, 3 infeasible."""

from __future__ import annotations


class AifabError(Exception):
    """Base class for errors the CLI reports in one line instead of a traceback."""

    exit_code = 1


class BadInput(AifabError):
    """Bad user input: a scenario, trace, catalogue or flag. Exit code 2.

    The message names where the problem is: ``file: field.path: what is wrong``.
    """

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, where: str | None = None):
        parts = [p for p in (source, where, message) if p]
        super().__init__(": ".join(parts))


class Infeasible(AifabError):
    """A well-formed problem with no solution (e.g. a fleet siting cannot place). Exit code 3."""

    exit_code = 3
