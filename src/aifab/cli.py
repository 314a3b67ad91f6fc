"""The ``aifab`` command. Each stage registers its own sub-commands (``commands/``).

Errors never show a traceback: bad input exits 2 and infeasible problems exit 3, each
with one line on stderr that names the file and field (DESIGN.md, conventions).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.22 vendors click as typer._click
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older typer on external click
    from click import exceptions as _cx  # type: ignore[no-redef]

from aifab.errors import AifabError

#: Modules under ``aifab.commands`` that each define ``register(app)``.
COMMAND_MODULES = ("plan", "replay", "perf", "simulate", "site", "report", "sweep", "serve")


def _error(message: str) -> None:
    """Print an error as exactly one line on stderr."""
    one = " ".join(message.split())
    typer.echo(f"aifab: error: {one}", err=True)


class _OneLineErrors(TyperGroup):
    """A Typer group whose errors print as one line (usage and input errors exit 2)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name or "aifab",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except _cx.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc), err=True)
            sys.exit(2)
        except _cx.UsageError as exc:
            where = f"{exc.ctx.command_path}: " if exc.ctx is not None else ""
            _error(f"{where}{exc.format_message()}")
            sys.exit(2)
        except _cx.ClickException as exc:
            _error(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("aifab: aborted", err=True)
            sys.exit(130)
        except AifabError as exc:
            _error(str(exc))
            sys.exit(exc.exit_code)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    help="aifab: plan and simulate AI factories (fleets, power, siting, performance, sharing).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"aifab.commands.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
