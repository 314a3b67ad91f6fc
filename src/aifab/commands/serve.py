"""``aifab serve``: the local web dashboard over a results folder."""

from __future__ import annotations

import errno
import signal
import socket
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
AllowHostOpt = Annotated[list[str] | None, typer.Option(
    "--allow-host", metavar="NAME", help="Also answer requests whose Host header names NAME "
    "(repeatable); other names get 403 (DNS rebinding). The bound address and, when local, "
    "localhost/127.0.0.1/::1 are always allowed.")]
MaxJobsOpt = Annotated[int, typer.Option(
    "--max-jobs", min=1, max=64, help="Most runs the dashboard may have running at once.")]


def _check_address(host: str, port: int) -> None:
    """BadInput (exit 2) if ``host:port`` cannot be bound (werkzeug would exit 1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"unknown address {host!r} ({exc})", where="--host") from None
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port} ({exc.strerror})",
                       where="--port" if exc.errno == errno.EADDRINUSE else "--host") from None


def serve_cmd(results_dir: DirArg = Path("aifab-results"), port: PortOpt = 8050,
              host: HostOpt = None, allow_host: AllowHostOpt = None,
              max_jobs: MaxJobsOpt = 2) -> None:
    """A local web dashboard: overview, plan knobs, siting map, runs, twin and sweeps."""
    from werkzeug.serving import make_server

    from aifab.serve import JobManager, ResultsDir, allowed_hosts, create_app

    bind = host or "127.0.0.1"
    _check_address(bind, port)
    if host is not None and host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[bold yellow]warning:[/] binding to {host}: anyone who can reach "
                          "this address can read the results folder and start runs")
        if host in ("0.0.0.0", "::") and not allow_host:
            err_console.print("note: requests must name this machine by an allowed Host: "
                              "add --allow-host NAME for each name browsers will use")
    jobs = JobManager(ResultsDir(results_dir), max_jobs=max_jobs)
    app = create_app(results_dir, jobs=jobs, hosts=allowed_hosts(bind, allow_host or []),
                     warm=True)
    server = make_server(bind, port, app.server, threaded=True)
    url_host = f"[{bind}]" if ":" in bind else bind
    err_console.print(f"aifab serve: http://{url_host}:{server.server_port}/ "
                      f"(results in {Path(results_dir).resolve()}; Ctrl-C stops)")

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # unwinds serve_forever into the clean-up below

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
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
