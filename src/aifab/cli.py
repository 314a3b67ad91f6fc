"""The ``aifab`` command. Each stage registers its own sub-commands (``commands/``).

Errors never show a traceback: bad input exits 2 and infeasible problems exit 3, each
with one line on stderr that names the file and field (DESIGN.md, conventions); Ctrl-C
prints one line and exits 130, also while modules are still being imported.

Start-up is lazy: this module imports only the standard library, and a command's module
(with pandas, pypsa, plotly behind it) is imported only when that command runs, so
``aifab --help`` lists the commands from :data:`COMMAND_HELP` without importing them.
"""

from __future__ import annotations

# The table lives with the commands (the root group reads it too); re-exported here.
from aifab.commands import COMMAND_HELP, COMMAND_MODULES, EXIT_ABORTED, aborted

TYPE_CHECKING = False  # no `typing` at start-up (see aifab/__init__.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["COMMAND_HELP", "COMMAND_MODULES", "EXIT_ABORTED", "aborted", "main"]


def __getattr__(name: str) -> Any:
    """``aifab.cli.app``: the Typer application, built on first use."""
    if name == "app":
        from aifab.commands import build_app

        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    try:
        from aifab.commands import build_app

        build_app()()
    except KeyboardInterrupt:
        aborted()
    except Exception as exc:
        if _interrupted(exc):
            aborted()
        raise


def _interrupted(exc: BaseException) -> bool:
    """Whether Ctrl-C is behind ``exc``. Python 3.11 wraps an exception raised while a
    class body's ``__set_name__`` runs (which is where a SIGINT lands when it arrives while
    pydantic, imported lazily by typer, defines its classes) in a ``RuntimeError`` whose
    cause is the ``KeyboardInterrupt``; so the chain of causes is searched."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        if isinstance(node, KeyboardInterrupt):
            return True
        seen.add(id(node))
        node = node.__cause__ or node.__context__
    return False


if __name__ == "__main__":
    main()
