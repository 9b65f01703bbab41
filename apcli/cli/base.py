"""The Typer app, its global options, and the option types the commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from apcli.cli.context import ApGroup, State, set_state, today_from
from apcli.errors import ApError

app = typer.Typer(
    cls=ApGroup,
    help="Alternative provision case records for an English primary school, kept as YAML in git.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
CaseArgument = Annotated[str, typer.Argument(metavar="CASE", help="The case id, e.g. AP-2026-001.", show_default=False)]
OverrideOption = Annotated[
    list[str] | None,
    typer.Option("--override", metavar="RULE-ID", help="Go ahead although this *should* rule fails (needs --why)."),
]
WhyOption = Annotated[list[str] | None, typer.Option("--why", metavar="TEXT", help="Why, for each --override.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check everything and show what would be done; write and record nothing.")
]


def date_option(help: str, name: str = "--date") -> Any:
    """A date option (`--date D`, `--end D`, ...): every one takes a date as users type it, 2026-12-07 or
    07/12/2026, and says so in its metavar; `help` says which date it is."""
    return typer.Option(name, metavar="D", help=help)


PlacementOption = Annotated[
    str | None,
    typer.Option("--placement", metavar="P", help="Which placement (P1, P2, ...) [default: the only open one]."),
]


@app.callback()
def root(
    records: Annotated[
        Path | None,
        typer.Option(
            "--records",
            envvar="AP_RECORDS",
            metavar="DIR",
            help="The records folder [default: the one holding the current folder, else ./records].",
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option("--today", envvar="AP_TODAY", metavar="DATE", help="The date ap takes as today [default: today]."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            envvar="AP_USER",
            metavar="NAME",
            help="Who is acting, for the history [default: git config user.name].",
        ),
    ] = None,
    not_safeguarding: Annotated[
        bool,
        typer.Option(
            "--not-safeguarding",
            help="The text given is not about a safeguarding concern, though it holds words that read like one "
            "(anywhere on the line).",
        ),
    ] = False,
) -> None:
    try:
        set_state(State(records, today_from(today), by, not_safeguarding=not_safeguarding, today_option=today))
    except ApError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(error.exit_code) from None
