"""``aifab serve``: the local web dashboard over a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aifab.commands._common import err_console
from aifab.errors import BadInput

DirArg = Annotated[Path, typer.Argument(
    help="Results folder: the dashboard reads and writes only inside it (created if missing).",
    metavar="RESULTS_DIR")]
PortOpt = Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="TCP port (0: any free port).")]
HostOpt = Annotated[str | None, typer.Option(
    "--host", help="Address to bind (default 127.0.0.1, this machine only). Anything else "
                   "exposes the dashboard, which can start runs, to the network.")]


def serve_cmd(results_dir: DirArg = Path("aifab-results"), port: PortOpt = 8050,
              host: HostOpt = None) -> None:
    """A local web dashboard: overview, plan knobs, siting map, runs, twin and sweeps."""
    from werkzeug.serving import make_server

    from aifab.serve import create_app

    bind = host or "127.0.0.1"
    if host is not None and host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[bold yellow]warning:[/] binding to {host}: anyone who can reach "
                          "this address can read the results folder and start runs")
    app = create_app(results_dir)
    try:
        server = make_server(bind, port, app.server, threaded=True)
    except OSError as exc:
        raise BadInput(f"cannot listen on {bind}:{port} ({exc.strerror})",
                       where="--port") from None
    url_host = f"[{bind}]" if ":" in bind else bind
    err_console.print(f"aifab serve: http://{url_host}:{server.server_port}/ "
                      f"(results in {Path(results_dir).resolve()}; Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.server.config["aifab.jobs"].shutdown()


def register(app: typer.Typer) -> None:
    """Add ``aifab serve`` to the CLI."""
    app.command("serve")(serve_cmd)
