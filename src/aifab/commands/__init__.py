"""CLI sub-commands, one module per pipeline stage; each defines ``register(app)``.

Public here: the command table (:data:`COMMAND_HELP`, :data:`COMMAND_MODULES`, standard
library only, so ``aifab --help`` stays fast) and :func:`build_app`, which imports the
command modules only when called.
"""

from __future__ import annotations

from aifab.commands._registry import COMMAND_HELP, COMMAND_MODULES, EXIT_ABORTED, aborted

TYPE_CHECKING = False  # no `typing` at start-up (see aifab/__init__.py)
if TYPE_CHECKING:
    import typer

__all__ = ["COMMAND_HELP", "COMMAND_MODULES", "EXIT_ABORTED", "aborted", "build_app"]


def build_app() -> typer.Typer:
    """The Typer application with every command registered."""
    from aifab.commands._root import build_app as build

    return build()
