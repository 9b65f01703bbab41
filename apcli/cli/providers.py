"""`ap provider add` and `ap provider list`: the provider register."""

from __future__ import annotations

from typing import Annotated

import typer

from apcli.cli.base import JsonOption, app, date_option
from apcli.cli.context import console, did, print_json, state

provider_app = typer.Typer(help="The provider register: one file per provider in providers/.", no_args_is_help=True)
app.add_typer(provider_app, name="provider")


@provider_app.command("add")
def add(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="A short id: lower-case letters, digits, hyphens.")],
    name: Annotated[str, typer.Option("--name", metavar="N", help="The provider's name.")],
    address: Annotated[str, typer.Option("--address", metavar="A", help="Where pupils attend.")],
    contact: Annotated[str, typer.Option("--contact", metavar="NAME", help="The person pupils report to.")],
    code: Annotated[
        str,
        typer.Option("--code", metavar="B|D", help="Register code: B, or D where the pupil is dual registered there."),
    ],
    daily_cost: Annotated[str, typer.Option("--daily-cost", metavar="AMOUNT", help="Cost of one day, in pounds.")],
    safeguarding_confirmed: Annotated[
        str,
        date_option("When it confirmed it follows the academy's safeguarding policy.", "--safeguarding-confirmed"),
    ],
    staff_checks_confirmed: Annotated[
        str,
        date_option("Date of its written confirmation that staff checks were done.", "--staff-checks-confirmed"),
    ],
    phone: Annotated[str | None, typer.Option("--phone", metavar="P", help="Phone number.")] = None,
    email: Annotated[str | None, typer.Option("--email", metavar="E", help="Email address.")] = None,
    urn: Annotated[str | None, typer.Option("--urn", metavar="U", help="Its URN, where it has one.")] = None,
    ukprn: Annotated[str | None, typer.Option("--ukprn", metavar="U", help="Its UKPRN, where it has one.")] = None,
    setting_type: Annotated[
        str | None,
        typer.Option(
            "--setting-type",
            metavar="NFE|OOT|OTH|WBP",
            help="For the census, where it has no URN or UKPRN: non-maintained FE, one-on-one tuition, "
            "other unregistered provider, work-based placement.",
        ),
    ] = None,
    morning_start: Annotated[
        str | None,
        typer.Option(
            "--morning-start",
            metavar="HH:MM",
            help="Morning session starts (a day of two sessions: give all four times, "
            "or --session-start and --session-end instead).",
        ),
    ] = None,
    break_start: Annotated[
        str | None,
        typer.Option(
            "--break-start", metavar="HH:MM", help="Break between the two sessions starts (one of the four times)."
        ),
    ] = None,
    break_end: Annotated[
        str | None, typer.Option("--break-end", metavar="HH:MM", help="Break ends (one of the four times).")
    ] = None,
    afternoon_end: Annotated[
        str | None,
        typer.Option("--afternoon-end", metavar="HH:MM", help="Afternoon session ends (one of the four times)."),
    ] = None,
    session_start: Annotated[
        str | None,
        typer.Option(
            "--session-start",
            metavar="HH:MM",
            help="A single session starts (with --session-end, instead of the four times).",
        ),
    ] = None,
    session_end: Annotated[
        str | None, typer.Option("--session-end", metavar="HH:MM", help="A single session ends (with --session-start).")
    ] = None,
    weekdays: Annotated[
        str | None, typer.Option("--weekdays", metavar="mon,tue,...", help="Days it is open [default: mon-fri].")
    ] = None,
    code_of_conduct: Annotated[
        str | None, typer.Option("--code-of-conduct", metavar="T", help="Its code of conduct (title or reference).")
    ] = None,
) -> None:
    """Add a provider to the register. Its session times are required, one of two ways: a day of two sessions
    (--morning-start, --break-start, --break-end, --afternoon-end) or a single session (--session-start and
    --session-end), each as 24-hour HH:MM."""
    from apcli.steps.providers import ProviderInput, add_provider, build_provider

    given = ProviderInput(
        name=name,
        address=address,
        contact=contact,
        code=code,
        daily_cost=daily_cost,
        safeguarding_confirmed=safeguarding_confirmed,
        staff_checks_confirmed=staff_checks_confirmed,
        phone=phone,
        email=email,
        urn=urn,
        ukprn=ukprn,
        setting_type=setting_type,
        morning_start=morning_start,
        break_start=break_start,
        break_end=break_end,
        afternoon_end=afternoon_end,
        session_start=session_start,
        session_end=session_end,
        weekdays=weekdays,
        code_of_conduct=code_of_conduct,
    )
    records = state().records
    add_provider(records, provider_id, build_provider(given))
    did(f"provider {provider_id} added")
    typer.echo(f"Added {provider_id} to the register ({records.shown(records.provider_path(provider_id))}).")


@provider_app.command("list")
def list_providers(as_json: JsonOption = False) -> None:
    """The providers in the register."""
    providers = state().records.providers
    if as_json:
        print_json({pid: p.model_dump(mode="json", exclude_none=True) for pid, p in providers.items()})
        return
    from rich.table import Column, Table

    # The id is what every other command takes: never cut it short, however narrow the terminal.
    longest = max((len(pid) for pid in providers), default=2)
    table = Table(
        Column("id", no_wrap=True, min_width=longest),
        "name",
        "code",
        "contact",
        "days",
        "daily cost",
        "safeguarding",
        "staff checks",
    )
    for pid, p in providers.items():
        table.add_row(
            pid,
            p.name,
            p.register_code,
            p.contact,
            ",".join(p.weekdays),
            f"£{p.daily_cost:,.2f}",
            str(p.safeguarding_confirmed or "MISSING"),
            str(p.staff_checks_confirmed or "MISSING"),
        )
    console().print(table if providers else "No providers yet: ap provider add ID ...")


@provider_app.command("closure")
def closure(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="The provider, as in providers/ID.yaml.")],
    date: Annotated[str, date_option("The first day it is closed.")],
    why: Annotated[str, typer.Option("--why", metavar="TEXT", help="Why it is closed (training day, burst pipe).")],
    to: Annotated[str | None, date_option("The last day it is closed [default: --date].", "--to")] = None,
) -> None:
    """Record days the provider is closed while the school is open: no mark expected, no cost counted, and
    its register may mark them # or Y1-Y7."""
    from apcli.steps.providers import add_closure

    records = state().records
    _, days = add_closure(records, provider_id, date, to, why)
    span = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
    did(f"provider {provider_id}: closure {span} recorded")
    typer.echo(
        f"{provider_id} closed {span} ({len(days)} school day(s)): no marks expected and no cost counted on those "
        f"days; its register may mark them # or Y1-Y7 ({records.shown(records.provider_path(provider_id))})."
    )


@provider_app.command("confirm")
def confirm(
    provider_id: Annotated[str, typer.Argument(metavar="ID", help="The provider's id.")],
    safeguarding: Annotated[
        str | None,
        date_option("When it confirmed again that it follows the academy's safeguarding policy.", "--safeguarding"),
    ] = None,
    staff_checks: Annotated[
        str | None,
        date_option("Date of its renewed written confirmation of staff checks.", "--staff-checks"),
    ] = None,
) -> None:
    """Record a provider's renewed safeguarding or staff-check confirmation (they run out after 12 months)."""
    from apcli.steps.providers import confirm_provider

    records = state().records
    confirm_provider(records, provider_id, safeguarding, staff_checks, state().today)
    did(f"provider {provider_id} confirmations recorded")
    typer.echo(f"Recorded the confirmation(s) in {records.shown(records.provider_path(provider_id))}.")
