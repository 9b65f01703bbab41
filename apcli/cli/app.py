"""`ap`: the commands. Each parses its options, calls the core, and prints; nothing else.

Heavy modules (pydantic, ruamel.yaml, holidays, rich) are imported inside the
commands that need them, so that `ap --help` starts fast.
"""

from __future__ import annotations

from apcli.cli import (  # noqa: F401  (they register their commands)
    attendance,
    gitmerge,
    letters,
    looking,
    placements,
    providers,
    reports,
    reviews,
    transition,
    workflow,
)
from apcli.cli.base import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="ap")
