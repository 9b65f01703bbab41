"""`ap merge-driver`: git's merge driver for case files and attendance files (run by git, not by people)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from apcli.cli.base import app


@app.command("merge-driver", hidden=True)
def merge_driver(
    base: Annotated[Path, typer.Argument(metavar="BASE", help="The common ancestor's version (git's %O).")],
    ours: Annotated[Path, typer.Argument(metavar="OURS", help="Our version, where the result goes (git's %A).")],
    theirs: Annotated[Path, typer.Argument(metavar="THEIRS", help="Their version (git's %B).")],
    path: Annotated[str, typer.Argument(metavar="PATH", help="The file's path in the repository (git's %P).")],
) -> None:
    """Merge a case or attendance file field by field, for git (hidden from `ap --help`: git runs it).

    Set up once per clone with: git config merge.ap.driver "ap merge-driver %O %A %B %P" (with the
    .gitattributes lines `ap init` writes). Changes to different fields, marks on different days, and items
    both sides added to a list (history, meetings, contacts) merge cleanly. The same field or mark changed to
    two different values is left as a conflict, with conflict markers in the file, and named here:
    exit status 1. It works from the files git gives it, without --records.
    """
    from apcli.records.merge import merge_file

    conflicts = merge_file(base, ours, theirs, path)
    for conflict in conflicts:
        typer.echo(f"{path}: {conflict}", err=True)
    if conflicts:
        raise typer.Exit(1)


@app.command("commit")
def commit_command(
    message: Annotated[str, typer.Option("-m", "--message", metavar="TEXT", help="Why the files changed.")],
) -> None:
    """Commit the records files changed since the last commit and not committed (calendar.yaml or ap-settings.yaml
    edited by hand, say), each only if ap reads it as valid. `ap check` names such files."""
    from apcli.cli.context import state
    from apcli.records.git import commit_records

    s = state()
    committed, invalid = commit_records(s.records, message, s.by)
    for path in invalid:
        typer.echo(f"Not committed: {path} does not read as valid (ap check says why); correct it, then ap commit.")
    if committed:
        typer.echo(f"Committed {', '.join(committed)}.")
    elif not invalid:
        typer.echo("Nothing to commit: every records file is as last committed.")
    if invalid:
        raise typer.Exit(3)
