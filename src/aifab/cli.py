"""The ``aifab`` command. Each stage registers its own sub-commands (``commands/``).

Errors never show a traceback: bad input exits 2 and infeasible problems exit 3, each
with one line on stderr that names the file and field (DESIGN.md, conventions).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click
import typer
from typer.core import TyperGroup

from aifab.errors import AifabError

#: Modules under ``aifab.commands`` that each define ``register(app)``.
COMMAND_MODULES = ("plan",)


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
        except click.exceptions.UsageError as exc:
            where = f"{exc.ctx.command_path}: " if exc.ctx is not None else ""
            click.echo(f"aifab: error: {where}{exc.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"aifab: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("aifab: aborted", err=True)
            sys.exit(130)
        except AifabError as exc:
            click.echo(f"aifab: error: {exc}", err=True)
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
