"""`ap`: the commands. Each parses its options, calls the core, and prints; nothing else.

Heavy modules (pydantic, ruamel.yaml, holidays, rich) are imported inside the
commands that need them, so that `ap --help` starts fast.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import sys

import typer

from apcli.cli import (  # noqa: F401  (they register their commands)
    attendance,
    gitmerge,
    letters,
    looking,
    placements,
    providers,
    reports,
    reviews,
    serve,
    transition,
    workflow,
)
from apcli.cli.base import app
from apcli.cli.context import close_state, command_of

__all__ = ["app", "main"]


def main() -> None:
    command = command_of(sys.argv[1:])
    if command != "serve":
        collect_less_often()
    try:
        only(command)(prog_name="ap")
    finally:
        # the index closed, its -wal file folded in and removed, not left to the interpreter's exit; a Ctrl-C
        # now, the command done, would only print a traceback over its exit code
        with contextlib.suppress(KeyboardInterrupt):
            close_state()
        if command != "serve":
            leave_objects_to_exit()


def collect_less_often() -> None:
    """For a command that runs and ends: Python's cycle collector run once 200,000 more objects are made than
    freed, rather than 700 (mypy does the same), and its older generations less often still. A run over
    thousands of cases makes millions of small objects that hold no cycles (a result's items, a table's rows):
    with the default the collector went through all of them again and again, a fifth of a `review due` served
    from the index at 20,000 cases, growing faster than the cases. Not for `ap serve`, which runs for hours:
    what its requests leave in cycles (each one's records and index connection) must be freed as it goes, or
    open files and memory pile up."""
    gc.set_threshold(200_000, 30, 30)


def leave_objects_to_exit() -> None:
    """The command done, every object it made is moved out of the cycle collector's sight (gc.freeze), so the
    interpreter's exit frees them without first searching all of them for cycles once more: that search was a
    fifteenth of an import of a year's register (0.08 s of 1.3 s), and as much again of a `review due` over
    thousands of cases. Each object is still freed, and its file closed, as at any exit; only garbage in
    cycles is left to the operating system, which takes back the whole process a moment later."""
    gc.freeze()


def only(name: str | None) -> typer.Typer:
    """The app with only the command (or group of commands) `name` in it, as the line typed names one: Typer
    reads the signature of every command it holds before running any, a tenth of a second for all of ap's.
    Any other line (`ap`, `ap --help`, a misspelt command) gets the whole app, so its help and its
    suggestions name every command."""
    from typer.main import get_command_name

    commands = [
        command
        for command in app.registered_commands
        if (command.name or get_command_name(getattr(command.callback, "__name__", ""))) == name
    ]
    groups = [group for group in app.registered_groups if group.name == name]
    if not commands and not groups:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands, narrowed.registered_groups = commands, groups
    return narrowed
