"""`ap serve`: the records folder in a browser (apcli/web), each form run as this CLI's own command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apcli.cli.base import app
from apcli.cli.context import state

if TYPE_CHECKING:
    from apcli.web.running import Ran, Runner
    from apcli.web.server import Served


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", metavar="N", help="The port on 127.0.0.1 [default: 8765].")] = 8765,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Serve the pages and letters only; nothing can be changed.")
    ] = False,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the address in the web browser.")] = False,
) -> None:
    """A local web view of the records: Today, the cases, a form for every step, import, report, check.

    Bound to 127.0.0.1 only. Open the one address it prints (it holds this run's key); stop it with Ctrl+C."""
    from apcli.errors import UsageError
    from apcli.web.serving import serve_records

    if not 1024 <= port <= 65535:
        raise UsageError(f"--port: {port} is not a port ap can use; give one from 1024 to 65535.")
    s = state()
    root = s.records.root  # opened, and checked, before the server starts
    serve_records(web_setup(root, s.today_option, s.by_option, read_only, port), open_browser)


def web_setup(records: Path, today: str | None, by: str | None, read_only: bool, port: int) -> Served:
    """What the web view needs from the CLI: its commands (for the forms) and a way to run one."""
    import typer.main

    from apcli.web import safety
    from apcli.web.server import Served

    return Served(
        records, port, safety.new_token(), typer.main.get_command(app), runner(records, today), read_only, today, by
    )


def runner(records: Path, today: str | None) -> Runner:
    """`ap --records RECORDS [--today T] [--by BY] ARGS...`, run in this process (apcli/web/running.py)."""
    from typer.testing import CliRunner

    from apcli.cli.context import close_state, forget_state, last_error
    from apcli.web.running import ONE_AT_A_TIME, Ran

    line = ["--records", str(records), *(["--today", today] if today else [])]
    # The server's environment must not choose the folder, the day or the person for a form: the line does.
    quiet: dict[str, str | None] = {"AP_RECORDS": None, "AP_TODAY": None, "AP_USER": None, "VISUAL": None}

    def run(args: list[str], by: str | None) -> Ran:
        with ONE_AT_A_TIME:
            forget_state()
            try:
                result = CliRunner().invoke(
                    app, [*line, *(["--by", by] if by else []), *args], env=quiet, prog_name="ap"
                )
            finally:
                close_state()  # its index closed now, not when the cycle collector frees it
            crashed = result.exception if not isinstance(result.exception, SystemExit | None) else None
            return Ran(result.exit_code, result.stdout, result.stderr, last_error(), crashed)

    return run
