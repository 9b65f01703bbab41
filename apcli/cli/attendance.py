"""`ap attendance import|show`, `ap contact`, `ap absence`: attendance at the provider."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apcli.cli.base import CaseArgument, DryRunOption, JsonOption, app, date_option
from apcli.cli.context import console, did, print_json, state
from apcli.cli.workflow import _change, _report

if TYPE_CHECKING:
    from apcli.model.attendance import AttendanceView
    from apcli.steps.importing import ImportResult

attendance_app = typer.Typer(
    help="Attendance at the provider: import its register, show the marks.", no_args_is_help=True
)
app.add_typer(attendance_app, name="attendance")


@attendance_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The provider's register: CSV (UTF-8) or .xlsx.")],
    dry_run: DryRunOption = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Let the register change marks already recorded (kept in the log).")
    ] = False,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            metavar="ID",
            help="Whose register it is: its marks land on the placements at this provider (needed for a pupil "
            "at two providers, unless the register has a provider column).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Merge a provider's register into the cases: every row checked first, all cases written or none."""
    from apcli.steps.importing import ImportRefused, import_register

    s = state()
    try:
        result = import_register(s.records, file, s.today, s.by, replace=replace, dry_run=dry_run, provider=provider)
    except ImportRefused as refused:
        if as_json:
            print_json(refused.result.as_dict())
        raise
    did(
        f"{', '.join(result.cases)}: attendance imported from {result.source} ({result.added} added, "
        f"{len(result.replaced)} replaced)"
    )
    if as_json:
        print_json(result.as_dict())
        return
    _print_summary(result)


def _print_summary(result: ImportResult) -> None:
    verb = "would be" if result.dry_run else "were"
    typer.echo(
        f"{result.source}: {result.rows} row(s) read; {result.added} mark(s) added, {result.unchanged} unchanged, "
        f"{len(result.replaced)} replaced; {result.absences} absence(s); cases {verb} touched: "
        f"{', '.join(result.cases) or 'none'}."
    )
    for change in result.replaced:
        typer.echo(f"  replaced {change}")
    for case_id, count in sorted(result.missing.items()):
        if count:
            typer.echo(
                f"  {case_id}: {count} session(s) since the placement started still have no mark (ATT-ACCURATE)."
            )
    if result.dry_run:
        typer.echo("Dry run: nothing was written.")


@attendance_app.command("show")
def show(case_id: CaseArgument, as_json: JsonOption = False) -> None:
    """Marks week by week, the attendance percentage, absences and their follow-up, missing marks."""
    from apcli.errors import UsageError
    from apcli.model.attendance import attendance_view

    s = state()
    loaded = s.records.load_case(case_id)
    placements = loaded.case.placements
    if not placements:
        raise UsageError(f"{loaded.id} has no placement yet, so no attendance at a provider.")
    follow_ups: dict[tuple[dt.date, str], str] = {
        (a.date, a.session): a.follow_up + (" (excluded by the provider)" if a.excluded_by_provider else "")
        for a in loaded.case.absences
    }
    view = attendance_view(
        s.records.marks(loaded.id), s.records.calendar, placements, follow_ups, s.today, s.records.providers
    )
    if as_json:
        print_json(_view_json(loaded.id, view))
        return
    _print_view(loaded.id, loaded.case.pupil.name, view, s.records.settings.attendance_threshold)


def _view_json(case_id: str, view: AttendanceView) -> dict[str, object]:
    """The top-level sums are the figure at the provider (as before); `at_provider` and `statutory` name both."""
    from apcli.model.attendance import AT_PROVIDER_LABEL, STATUTORY_LABEL, summary_json

    sums = view.summary
    statutory = view.statutory or sums
    return {
        "case": case_id,
        "figure": AT_PROVIDER_LABEL,
        "at_provider": {"label": AT_PROVIDER_LABEL, **summary_json(sums)},
        "statutory": {"label": STATUTORY_LABEL, **summary_json(statutory)},
        "possible": sums.possible,
        "attended": sums.attended,
        "percent": sums.percent,
        "authorised": sums.authorised,
        "unauthorised": sums.unauthorised,
        "not_possible": sums.not_possible,
        "closures": [
            {"provider": pid, "start": start.isoformat(), "end": end.isoformat(), "why": why}
            for pid, start, end, why in view.closures
        ],
        "missing": [{"date": d.isoformat(), "session": s.upper()} for d, s in view.missing],
        "marks": [{"date": d.isoformat(), "session": s.upper(), "code": c} for d, s, c in view.marks],
        "absences": [
            {"date": d.isoformat(), "session": s.upper(), "code": c, "follow_up": f} for d, s, c, f in view.absences
        ],
        "weeks": [
            {
                "week": w.monday.isoformat(),
                "possible": w.summary.possible,
                "attended": w.summary.attended,
                "percent": w.summary.percent,
            }
            for w in view.weeks
        ],
    }


def _bar(percent: float | None, width: int = 20) -> str:
    if percent is None:
        return ""
    filled = round(percent / 100 * width)
    return "█" * filled + "·" * (width - filled)


def _day_cell(
    day: dt.date, expected: dict[tuple[dt.date, str], str | None], recorded: dict[tuple[dt.date, str], str]
) -> str:
    """A day's two sessions: the mark where one is recorded (a closure's # too), ? where one is expected and
    missing, - where the placement has no session (the afternoon of a mornings-only day); blank: no placement day."""
    cells = [recorded.get((day, s)) or ("?" if (day, s) in expected else "-") for s in ("am", "pm")]
    return "" if cells == ["-", "-"] else " ".join(cells)


def _print_view(case_id: str, pupil: str, view: AttendanceView, threshold: float) -> None:
    from rich.table import Table

    sums = view.summary
    percent = f"{sums.percent:g}%" if sums.percent is not None else "no possible sessions yet"
    table = Table(
        "week of",
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "%",
        f"attendance (threshold {threshold:g}%)",
        title=f"{case_id} {pupil}: {percent} at the provider ({sums.attended} of {sums.possible} possible sessions)",
        title_justify="left",
    )
    recorded = {(day, session): code for day, session, code in view.marks}
    for week in view.weeks:
        cells = []
        for offset in range(5):
            day = week.monday + dt.timedelta(days=offset)
            cells.append(_day_cell(day, week.sessions, recorded))
        share = week.summary.percent
        table.add_row(str(week.monday), *cells, "" if share is None else f"{share:g}", _bar(share))
    out = console()
    out.print(table)
    out.print(
        f"At the provider: authorised absence {sums.authorised}; unauthorised {sums.unauthorised}; "
        f"not possible sessions (not counted) {sums.not_possible}.  ? = no mark yet; - = no session there.  "
        "(week % at the provider)"
    )
    statutory = view.statutory or sums
    statutory_share = f"{statutory.percent:g}%" if statutory.percent is not None else "no possible sessions"
    dual = (
        f"; {statutory.dual_registered} D session(s) left out, counted by the school where the pupil is dual registered"
        if statutory.dual_registered
        else ""
    )
    out.print(
        f"Statutory (school register): {statutory_share} ({statutory.attended} of {statutory.possible} possible sessions{dual})."
    )
    for pid, start, end, why in view.closures:
        span = str(start) if start == end else f"{start} to {end}"
        out.print(f"Closure of {pid}: {span} ({why}): no marks expected.")
    if view.missing:
        shown = ", ".join(f"{d} {s.upper()}" for d, s in view.missing[:12])
        more = f" and {len(view.missing) - 12} more" if len(view.missing) > 12 else ""
        out.print(f"Missing marks ({len(view.missing)}, ATT-ACCURATE): {shown}{more}")
    for day, session, code, follow_up in view.absences:
        out.print(f"Absence {day} {session.upper()} ({code}): {follow_up or 'NO FOLLOW-UP YET (ap absence)'}")


@app.command()
def contact(
    case_id: CaseArgument,
    date: Annotated[str | None, date_option("When.")] = None,
    with_: Annotated[str | None, typer.Option("--with", metavar="NAME", help="Who at the provider.")] = None,
    summary: Annotated[str | None, typer.Option("--summary", metavar="T", help="What was discussed.")] = None,
    missed_week: Annotated[
        str | None,
        date_option(
            "Record that a past week (any day of it) had no contact: a lapse, kept, never made good.", "--missed-week"
        ),
    ] = None,
    why: Annotated[str | None, typer.Option("--why", metavar="T", help="With --missed-week: why.")] = None,
) -> None:
    """Record the weekly contact with the provider (ATT-WEEKLY).

    With --missed-week D --why T: a past week that had none, recorded once as a lapse (never made good)."""
    from apcli.errors import UsageError
    from apcli.steps.workflow import record_contact, record_contact_lapse

    if missed_week is not None:
        if date is not None or with_ is not None or summary is not None:
            raise UsageError(
                "--missed-week records a week with no contact: give it with --why, not --date/--with/--summary."
            )
        if why is None:
            raise UsageError('--missed-week needs --why "...": the reason is recorded with the lapse.')
        monday = record_contact_lapse(_change(case_id, None, None), missed_week, why)
        _report(case_id, f"the week of {monday} recorded as a lapse in contact with the provider", [])
        return
    if date is None or with_ is None or summary is None:
        raise UsageError("Give --date, --with and --summary (or --missed-week D --why T for a week with no contact).")
    if why is not None:
        raise UsageError("--why goes with --missed-week.")
    record_contact(_change(case_id, None, None), date, with_, summary)
    _report(case_id, "contact with the provider recorded", [])


@app.command()
def absence(
    case_id: CaseArgument,
    date: Annotated[str, date_option("The day of the absence.")],
    session: Annotated[str, typer.Option("--session", metavar="am|pm", help="Which session.")],
    follow_up: Annotated[
        str, typer.Option("--follow-up", metavar="T", help="What was done: provider rang home, escalated, referred on.")
    ],
    excluded_by_provider: Annotated[
        bool,
        typer.Option(
            "--excluded-by-provider",
            help="The provider refused the pupil that session (not E, the school's own exclusion): "
            "the exclusion-from-AP meeting becomes due (EXCLUDED-FROM-AP-MEETING).",
        ),
    ] = False,
) -> None:
    """Record the follow-up of an absence (ATT-ABSENCE-FOLLOW-UP).

    With --excluded-by-provider: the provider refused the pupil that session (EXCLUDED-FROM-AP-MEETING)."""
    from apcli.steps.workflow import record_absence_follow_up

    record_absence_follow_up(_change(case_id, None, None), date, session, follow_up, excluded_by_provider)
    _report(
        case_id,
        "the provider's exclusion of the pupil recorded" if excluded_by_provider else "absence follow-up recorded",
        [],
    )
