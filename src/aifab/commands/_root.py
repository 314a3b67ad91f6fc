"""The root ``aifab`` group: lazy sub-commands and one-line errors with fixed exit codes.

A command module (``aifab.commands.<name>``, listed in ``aifab.cli.COMMAND_MODULES``) is
imported only when one of its commands runs or shows its help; the root ``--help`` lists
commands from ``aifab.cli.COMMAND_HELP``.
"""

from __future__ import annotations

import errno
import importlib
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer >= 0.22 vendors click as typer._click
    from typer import _click as _ck
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older typer on external click
    import click as _ck  # type: ignore[no-redef]
    from click import exceptions as _cx  # type: ignore[no-redef]

from aifab.commands import _registry as cli
from aifab.errors import AifabError


class Interrupted(Exception):
    """Ctrl-C inside a command, carried past click's own handling of KeyboardInterrupt."""


class OutputFailed(Exception):
    """A full disk, file size limit or closed pipe while writing output (exit 2)."""

    def __init__(self, exc: OSError):
        target = exc.filename or "standard output"
        why = "broken pipe" if exc.errno == errno.EPIPE else "disk full"
        super().__init__(f"{why} writing {target}")


def _output_error(exc: BaseException) -> bool:
    from aifab._outdir import is_disk_full

    return isinstance(exc, OSError) and (exc.errno == errno.EPIPE or is_disk_full(exc))


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _error(message: str) -> None:
    """Print an error as exactly one line on stderr."""
    one = " ".join(message.split())
    typer.echo(f"aifab: error: {one}", err=True)


def check_out_dir(text: str) -> str | None:
    """Why ``--out text`` cannot be written (checked before any work), or None."""
    if not text.strip():
        return "empty directory name (use . for the current directory)"
    p = Path(text)
    if p.is_symlink():
        return f"{text}: is a symbolic link: --out never follows one (give the folder it " \
            "points to, or another name)"
    if p.exists() and not p.is_dir():
        return f"{text}: exists and is not a directory"
    probe = p
    while not probe.exists():
        if probe.is_symlink():
            return f"{text}: {probe} is a broken symbolic link"
        probe = probe.parent
    if not probe.is_dir():
        return f"{text}: {probe} is not a directory"
    try:  # a real probe: os.access says yes to root, also on /proc or read-only mounts
        os.rmdir(tempfile.mkdtemp(prefix=".aifab-probe.", dir=probe))
    except OSError as exc:
        return f"{text}: cannot write output directory in {probe} ({exc.strerror})"
    return None


def _check_value(param: Any, ctx: _ck.Context, raw: Any, value: Any) -> None:
    """Bad input that typer lets through: nan/inf floats, an ``--out`` that cannot work."""
    values = value if isinstance(value, (list, tuple)) else [value]
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            raise _cx.BadParameter(f"{v} is not a finite number", ctx=ctx, param=param)
    if "--out" in getattr(param, "opts", ()) and value is not None:
        why = check_out_dir(raw if isinstance(raw, str) else str(value))
        if why is not None:
            raise _cx.BadParameter(why, ctx=ctx, param=param)


@cache
def _hardened(cls: Any) -> type:
    """``cls`` (a typer parameter class) whose values also pass :func:`_check_value`."""

    def process_value(self: Any, ctx: _ck.Context, value: Any) -> Any:
        out = cls.process_value(self, ctx, value)
        _check_value(self, ctx, value, out)
        return out

    return type(f"Checked{cls.__name__}", (cls,), {"process_value": process_value})


def _harden(cmd: _ck.Command, name: str | None = None) -> None:
    """Every option and argument of ``cmd`` (and its sub-commands) checked by
    :func:`_check_value` while parsing, before the command does any work; a command with
    ``--out`` holds its folder while it runs (:func:`_claiming`)."""
    for param in cmd.params:
        param.__class__ = _hardened(type(param))
    if isinstance(cmd, TyperGroup):
        for key, sub in cmd.commands.items():
            _harden(sub, f"{name or cmd.name} {key}")
    elif any(p.name == "out" for p in cmd.params) and cmd.callback is not None:
        _claiming(cmd, name or str(cmd.name))


def _force_option() -> _ck.Parameter:
    """A fresh ``--force`` flag, as typer builds it."""
    sub = typer.Typer(add_completion=False)

    @sub.command()
    def _f(force: bool = typer.Option(
            False, "--force",
            help="Write into an --out folder that holds another command's run.")) -> None:
        pass

    return typer.main.get_command(sub).params[0]


def _claiming(cmd: _ck.Command, name: str) -> None:
    """Wrap ``cmd`` so that it runs inside :func:`aifab._outdir.claim` of its ``--out`` (or
    ``--resume``) folder; give it ``--force`` if it has none (overwrite another command's
    run folder)."""
    own_force = any(p.name == "force" for p in cmd.params)
    if not own_force:
        cmd.params.append(_force_option())
    inner = cmd.callback
    assert inner is not None

    def callback(**kwargs: Any) -> Any:
        from aifab._outdir import claim

        force = bool(kwargs.get("force") if own_force else kwargs.pop("force", False))
        out = kwargs.get("out") or kwargs.get("resume")
        if out is None:
            return inner(**kwargs)
        # resuming DIR: its checkpoint is expected there (the command checks the rest)
        force = force or kwargs.get("out") is None
        with claim(Path(out), name, force):
            return inner(**kwargs)

    cmd.callback = callback


@cache
def _module_commands(module: str) -> dict[str, _ck.Command]:
    """The click commands ``aifab.commands.<module>.register`` adds, by name."""
    sub = typer.Typer(add_completion=False)
    importlib.import_module(f"aifab.commands.{module}").register(sub)
    commands = dict(typer.main.get_group(sub).commands)
    for key, cmd in commands.items():
        _harden(cmd, key)
    return commands


def _names(module: str) -> list[str]:
    known = cli.COMMAND_HELP.get(module)
    return list(known) if known is not None else list(_module_commands(module))


class RootGroup(TyperGroup):
    """The root group: commands resolved lazily; errors as one line with exit 2 or 3."""

    _listing = False

    def list_commands(self, ctx: _ck.Context) -> list[str]:
        return [n for m in cli.COMMAND_MODULES for n in _names(m)]

    def get_command(self, ctx: _ck.Context, cmd_name: str) -> _ck.Command | None:
        for module in cli.COMMAND_MODULES:
            if cmd_name not in _names(module):
                continue
            if self._listing and module in cli.COMMAND_HELP:
                return TyperCommand(name=cmd_name, help=cli.COMMAND_HELP[module][cmd_name])
            return _module_commands(module).get(cmd_name)
        return None

    def format_help(self, ctx: _ck.Context, formatter: _ck.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: _ck.Context, args: list[str]
                        ) -> tuple[str | None, _ck.Command | None, list[str]]:
        cmd = self.get_command(ctx, args[0]) if args else None
        if cmd is None and args and not ctx.resilient_parsing and not args[0].startswith("-"):
            close = get_close_matches(args[0], self.list_commands(ctx))
            hint = f" Did you mean {', '.join(repr(m) for m in close)}?" if close else ""
            ctx.fail(f"No such command {args[0]!r}.{hint}")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: _ck.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted from None
        except OSError as exc:
            if _output_error(exc):
                raise OutputFailed(exc) from None
            raise

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            if "AIFAB_PARENT_PID" in os.environ:
                _watch_parent()
            rv = super().main(
                args=args,
                prog_name=prog_name or "aifab",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
            sys.stdout.flush()
        except OutputFailed as exc:
            _silence_stdout()
            _error(str(exc))
            sys.exit(2)
        except OSError as exc:
            if not _output_error(exc):
                raise
            _silence_stdout()
            _error(str(OutputFailed(exc)))
            sys.exit(2)
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
        except (typer.Abort, Interrupted, KeyboardInterrupt):
            cli.aborted()
        except AifabError as exc:
            _error(str(exc))
            sys.exit(exc.exit_code)
        except RecursionError:  # a reader without its own depth check (JSON inputs)
            _error("an input is nested too deeply to read (lists or mappings inside each "
                   "other thousands of levels deep)")
            sys.exit(2)
        if rv == cli.EXIT_ABORTED:  # typer turns a KeyboardInterrupt while parsing into 130
            cli.aborted()
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _watch_parent() -> None:
    """Under ``aifab serve`` (``AIFAB_PARENT_PID`` set): end this run when the server is
    gone, whatever killed it. Ctrl-C first (the run cleans up), SIGKILL after 10 s."""
    import signal
    import threading
    import time

    try:
        parent = int(os.environ.pop("AIFAB_PARENT_PID", ""))
    except ValueError:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    if os.getppid() != parent:
        sys.exit(130)
    threading.Thread(target=watch, name="aifab-parent-watch", daemon=True).start()


def build_app() -> typer.Typer:
    """A fresh root application (commands load when first used)."""
    app = typer.Typer(
        name="aifab",
        cls=RootGroup,
        help="aifab: plan and simulate AI factories (fleets, power, siting, performance, "
             "sharing).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root(max_input_mb: float | None = typer.Option(
            None, "--max-input-mb", metavar="MIB",
            help="Largest input file to read, in MiB (default: 16 for scenarios, "
                 "catalogues and specs; 1024 for traces and tables).")) -> None:
        from aifab._io import set_input_limit

        if max_input_mb is not None and not (math.isfinite(max_input_mb)
                                             and max_input_mb > 0):
            raise typer.BadParameter("must be a positive number of MiB",
                                     param_hint="--max-input-mb")
        set_input_limit(max_input_mb)

    return app
