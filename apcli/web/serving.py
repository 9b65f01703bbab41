"""Start the server: waitress on 127.0.0.1, and the one address to open."""

from __future__ import annotations

import atexit
import signal
import sys

from apcli.web import safety
from apcli.web.server import Served, make_app


def serve_records(served: Served, open_browser: bool) -> None:
    import waitress

    port = served.port
    address = f"http://{safety.LOOPBACK}:{port}/?token={served.token}"
    print(f"ap serve: {served.records}{' (read-only)' if served.read_only else ''}", file=sys.stderr)
    print(f"Open this address in your browser (it is this run's key; keep it to yourself):\n{address}", flush=True)
    print("Stop the server with Ctrl+C.", file=sys.stderr, flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(address)
    # Registers uploaded and not yet imported hold UPNs: gone when the server stops, however it is stopped.
    atexit.register(served.forget_uploads)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        waitress.serve(make_app(served), host=safety.LOOPBACK, port=port, threads=4, ident="ap", _quiet=True)
    finally:
        served.forget_uploads()
