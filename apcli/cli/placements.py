"""`ap change`: a variation of a placement, before its start or while it runs."""

from __future__ import annotations

from typing import Annotated

import typer

from apcli.cli.base import CaseArgument, PlacementOption, app, date_option
from apcli.cli.context import did, note, state


@app.command()
def change(
    case_id: CaseArgument,
    why: Annotated[str, typer.Option("--why", metavar="TEXT", help="Why the placement changes (recorded).")],
    placement: PlacementOption = None,
    end: Annotated[str | None, date_option("The new last day.", "--end")] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days", metavar="N", help="The new length in days at the provider, from the start (gives --end)."
        ),
    ] = None,
    start: Annotated[str | None, date_option("A new first day (only before the placement starts).", "--start")] = None,
    weekdays: Annotated[
        str | None, typer.Option("--weekdays", metavar="mon,tue,...", help="The new days of the week at the provider.")
    ] = None,
    sessions: Annotated[
        str | None, typer.Option("--sessions", metavar="am|pm|both", help="The new sessions of each day.")
    ] = None,
    start_time: Annotated[
        str | None, typer.Option("--start-time", metavar="HH:MM", help="The new time the pupil starts.")
    ] = None,
    cost: Annotated[str | None, typer.Option("--cost", metavar="AMOUNT", help="The new cost in pounds.")] = None,
    approved_by: Annotated[
        str | None,
        typer.Option("--approved-by", metavar="BODY", help="Who approved an added cost (an id in the settings)."),
    ] = None,
    approved_on: Annotated[str | None, date_option("When the added cost was approved.", "--approved-on")] = None,
    from_day: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="D",
            help="For a running placement: the first day of new days, sessions or start time "
            "[default: the first day a notice given today allows].",
        ),
    ] = None,
) -> None:
    """Change a placement (shorten, extend, new days, sessions, start time or cost): the notice already given
    stays recorded, and a new one is due for what it must state."""
    from apcli.reports.overview import overview
    from apcli.steps.variations import VariationInput, vary
    from apcli.steps.workflow import Change

    s = state()
    given = VariationInput(
        why=why,
        end=end,
        days=days,
        start=start,
        weekdays=weekdays,
        sessions=sessions,
        start_time=start_time,
        cost=cost,
        approved_by=approved_by,
        approved_on=approved_on,
        from_day=from_day,
    )
    _, varied = vary(Change(s.records, case_id, s.today, s.by, {}), given, placement)
    assert varied.variation is not None  # vary recorded it
    from apcli.steps.variations import describe

    text = describe(varied.placement, varied.variation)
    did(f"{case_id.upper()}: {text}")
    typer.echo(f"{case_id.upper()}: {text}")
    for line in varied.notes:
        note(line)
    seen = overview(s.records, s.records.load_case(case_id, fresh=True), s.today)
    typer.echo(f"{seen.id}: status {seen.status}. Next: {seen.next}")
