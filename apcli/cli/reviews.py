"""`ap review due|record|request`, `ap target`, `ap measure`, `ap safeguarding`, `ap end`, `ap write-off`,
`ap ehcna`, `ap concern`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apcli.cli.base import CaseArgument, JsonOption, OverrideOption, PlacementOption, WhyOption, app, date_option
from apcli.cli.context import note, print_json, print_table, say, state
from apcli.cli.workflow import _change, _report

if TYPE_CHECKING:
    from apcli.reports.due import DueItem

review_app = typer.Typer(help="Reviews: what is due, reviews held, reviews asked for.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("due")
def due(
    within: Annotated[
        int | None,
        typer.Option("--within", metavar="DAYS", help="Only what is due within DAYS days (and all that is overdue)."),
    ] = None,
    case_id: Annotated[str | None, typer.Option("--case", metavar="CASE", help="Only this case.")] = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout.")] = False,
    ics: Annotated[
        Path | None, typer.Option("--ics", metavar="FILE", help="Also write a calendar file (.ics) staff can import.")
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", metavar="overdue", help="Exit 1 when anything is overdue (for cron).")
    ] = None,
) -> None:
    """Everything due or overdue, for every open case, soonest first."""
    from apcli.errors import UsageError
    from apcli.records.store import check_case_id
    from apcli.reports.due import as_csv as to_csv
    from apcli.reports.due import as_ics, due_items

    if within is not None and within < 0:
        raise UsageError("--within: give a number of days, 0 or more.")
    if fail_on not in (None, "overdue"):
        raise UsageError("--fail-on: the only value is overdue.")
    if as_json and as_csv:
        raise UsageError("Give --json or --csv, not both.")
    s = state()
    ids = [check_case_id(case_id)] if case_id else None
    if ids:
        s.records.load_case(ids[0])  # a case that does not exist is an error, not an empty list
    if ics is not None:
        from apcli.records.exporting import check_output

        check_output(ics, s.records.root, "--ics")
    items, problems = due_items(s.records, s.today, ids, within)
    if ics is not None and problems:
        # A calendar without the unreadable cases' dates would look complete and miss them; and writing it, then
        # exiting with an error, left a scheduled job unsure whether it had a calendar. So: none, and the error.
        note(
            f"No calendar was written to {ics}: {len(problems)} case file(s) could not be read (below), and a "
            "calendar without their dates would miss them. Fix them (ap check) and run this again."
        )
    elif ics is not None and items:
        _write_ics(ics, as_ics(items, s.records.settings.school.name, dt.datetime.now(dt.UTC)))
    elif ics is not None:
        note(f"Nothing is due, so no calendar was written to {ics}.")
    if as_json:
        print_json([item.as_dict() for item in items])
    elif as_csv:
        typer.echo(to_csv(items), nl=False)
    else:
        _print_due(items, s.today)
    for problem in problems:
        note(problem.message)
    if problems:
        raise typer.Exit(problems[0].exit_code)
    if fail_on == "overdue" and any(item.state == "overdue" for item in items):
        raise typer.Exit(1)


def _write_ics(path: Path, text: str) -> None:
    from apcli.errors import UsageError
    from apcli.records.layout import atomic_write

    if path.is_dir() or not path.parent.is_dir():
        raise UsageError(f"--ics: {path} cannot be written (give a file in a folder that exists).")
    try:
        atomic_write(path, text)
    except OSError as error:
        raise UsageError(f"--ics: {path} cannot be written ({error.strerror or error}).") from None


def _print_due(items: list[DueItem], today: dt.date) -> None:
    if not items:
        say(f"Nothing is due or overdue on {today}.")
        return
    print_table(
        ("due", "state", "case", "pupil", "rule", "what to do"),
        [(due.isoformat(), state, case, pupil, rule, what) for case, pupil, rule, what, due, state in items],
        title=f"Due and overdue on {today}",
        red=[i.state == "overdue" for i in items],
    )
    overdue = sum(item.state == "overdue" for item in items)
    say(f"{len(items)} item(s), {overdue} overdue.")


@review_app.command("record")
def record(
    case_id: CaseArgument,
    date: Annotated[str, date_option("When the review was held.")],
    outcome: Annotated[str, typer.Option("--outcome", metavar="continue|change|end", help="What it decided.")],
    responsible: Annotated[
        str, typer.Option("--responsible", metavar="NAME", help="Who is responsible until the next review.")
    ],
    present: Annotated[
        list[str] | None,
        typer.Option(
            "--present",
            metavar='"NAME (ROLE)"',
            help="Who attended (repeat for each), as ap meeting; the parents are invited: a parent or carer, or "
            "--no-parent-reason.",
        ),
    ] = None,
    no_parent_reason: Annotated[
        str | None,
        typer.Option("--no-parent-reason", metavar="T", help="Why no parent or carer came, though invited."),
    ] = None,
    continue_until: Annotated[
        str | None,
        typer.Option(
            "--continue-until",
            metavar="D",
            help="How long the placement continues: its last day as decided (needed unless the outcome is end; "
            "for end, its last day).",
        ),
    ] = None,
    next_date: Annotated[
        str | None,
        date_option("The date of the next review (needed unless the outcome is end).", "--next"),
    ] = None,
    parents_views: Annotated[
        str | None, typer.Option("--parents-views", metavar="T", help="The parents' views.")
    ] = None,
) -> None:
    """Record a review of the agreement (REVIEW-TERMLY; SI 2010/1156 reg 4): who came, what it decided, and for
    how long. Then send the parents its outcome (ap letter --kind review; REVIEW-OUTCOME-NOTIFIED, reg 6)."""
    from apcli.steps.workflow import ReviewInput, record_review

    given = ReviewInput(date, outcome, responsible, next_date, parents_views, present, no_parent_reason, continue_until)
    result = record_review(_change(case_id), given)
    _report(case_id, f"review recorded ({outcome})", result.unneeded)


@review_app.command("request")
def request(
    case_id: CaseArgument,
    date: Annotated[str, date_option("The date of the written request.")],
    requested_by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who asked (a parent, or the LA).")],
) -> None:
    """Record a parent's written request for a review meeting (REVIEW-ON-REQUEST)."""
    from apcli.steps.workflow import record_review_request

    result = record_review_request(_change(case_id), date, requested_by)
    _report(case_id, "review request recorded", result.unneeded)


MeasureOption = Annotated[
    str,
    typer.Option(
        "--measure",
        metavar="M",
        help="attendance, behaviour, sas-reading, sas-maths, boxall-developmental, boxall-diagnostic, or a name.",
    ),
]


@app.command()
def target(
    case_id: CaseArgument,
    measure: MeasureOption,
    baseline: Annotated[str, typer.Option("--baseline", metavar="X", help="Where the pupil starts.")],
    goal: Annotated[str, typer.Option("--goal", metavar="Y", help="Where the target is.")],
    date: Annotated[str, date_option("When the target was set (at a targets meeting).")],
    test: Annotated[str | None, typer.Option("--test", metavar="NAME", help="The test a score comes from.")] = None,
) -> None:
    """Set a target (TARGETS-HALF-TERMLY): attendance, behaviour, standardised age scores, Boxall Profile."""
    from apcli.steps.workflow import record_target

    result = record_target(_change(case_id), measure, baseline, goal, date, test)
    _report(case_id, "target set", result.unneeded)


@app.command()
def measure(
    case_id: CaseArgument,
    measure: MeasureOption,
    date: Annotated[str, date_option("When it was measured.")],
    value: Annotated[
        str | None, typer.Option("--value", metavar="V", help="The score (attendance is computed from the marks).")
    ] = None,
    test: Annotated[
        str | None, typer.Option("--test", metavar="NAME", help="The test a standardised age score comes from.")
    ] = None,
) -> None:
    """Record a measure against a target (PROGRESS-MONITORED)."""
    from apcli.steps.workflow import record_measure

    result, number = record_measure(_change(case_id), measure, value, date, test)
    _report(case_id, f"{measure} measured: {number:g}", result.unneeded)


@app.command()
def safeguarding(
    case_id: CaseArgument,
    date: Annotated[str, date_option("When the concern was raised with the DSL.")],
    dsl: Annotated[str, typer.Option("--dsl", metavar="NAME", help="The DSL it was raised with.")],
    reference: Annotated[
        str, typer.Option("--reference", metavar="REF", help="Its reference in the school's safeguarding system.")
    ],
    details: Annotated[str | None, typer.Option("--details", hidden=True)] = None,
) -> None:
    """Log that a safeguarding concern was raised with the DSL (SAFE-DSL); the details stay in the safeguarding system."""
    from apcli.errors import UsageError
    from apcli.steps.workflow import record_safeguarding

    if details is not None:
        raise UsageError(
            "The case never holds the details of a safeguarding concern: record them in the school's safeguarding "
            "system, and give here only the date, the DSL and its reference."
        )
    result = record_safeguarding(_change(case_id), date, dsl, reference)
    _report(case_id, "safeguarding reference recorded", result.unneeded)


@app.command()
def end(
    case_id: CaseArgument,
    date: Annotated[str, date_option("The last day of the placement.")],
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            metavar="reintegrated|breakdown|excluded-from-provision|moved-provider|permanently-excluded|withdrawn",
            help="How it ended.",
        ),
    ],
    notes: Annotated[str | None, typer.Option("--notes", metavar="T", help="Anything to add.")] = None,
    returns: Annotated[
        str | None,
        date_option(
            "breakdown or excluded-from-provision: the day the pupil returns to the academy (may be ahead).",
            "--returns",
        ),
    ] = None,
    instead: Annotated[
        str | None,
        typer.Option(
            "--instead",
            metavar="T",
            help="breakdown or excluded-from-provision: what happens instead of a return to the academy.",
        ),
    ] = None,
    placement: PlacementOption = None,
    override: OverrideOption = None,
    why: WhyOption = None,
) -> None:
    """End a placement on its last day, which may be before today (BREAKDOWN-MEETING, EXCLUDED-FROM-AP).

    A breakdown needs the meeting of the academy, the provider and the family first, and says when the pupil
    returns to the academy (--returns) or what happens instead (--instead)."""
    from apcli.steps.workflow import end_case

    result = end_case(_change(case_id, override, why), date, outcome, notes, placement, returns, instead)
    _report(case_id, f"placement ended ({outcome})", result.unneeded)


@app.command("write-off")
def write_off(
    case_id: CaseArgument,
    rule: Annotated[
        str,
        typer.Argument(
            metavar="RULE",
            help="ATT-ACCURATE, ATT-ABSENCE-FOLLOW-UP, REVIEW-TERMLY, REVIEW-ON-REQUEST, REVIEW-OUTCOME-NOTIFIED or "
            "TRANSITION-KS3.",
            show_default=False,
        ),
    ],
    why: Annotated[str, typer.Option("--why", metavar="TEXT", help="Why it will not be done (recorded in the case).")],
    placement: Annotated[
        str | None,
        typer.Option("--placement", metavar="P", help="Only this ended placement's items [default: every ended one]."),
    ] = None,
) -> None:
    """Write off what an ended placement still owes under RULE, and why: it no longer shows as due."""
    from apcli.steps.writeoff import write_off as record_write_off

    result, count = record_write_off(_change(case_id), rule, why, placement)
    _report(case_id, f"{count} item(s) of {rule.strip().upper()} written off", result.unneeded)


@app.command()
def ehcna(
    case_id: CaseArgument,
    status: Annotated[
        str,
        typer.Option(
            "--status",
            metavar="requested|agreed|refused|plan-issued",
            help="The step: requested, the LA agreed or refused to assess, the EHC plan issued.",
        ),
    ],
    date: Annotated[str, date_option("When it happened.")],
) -> None:
    """Record a step of the EHC needs assessment (REF-EHCNA): its status and date, after the request."""
    from apcli.steps.workflow import record_ehcna

    result = record_ehcna(_change(case_id), status.strip().lower(), date)
    _report(case_id, f"EHC needs assessment: {status.strip().lower()}", result.unneeded)


@app.command()
def concern(
    case_id: CaseArgument,
    date: Annotated[str, date_option("When the concern was raised.")],
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who raised it, at the provider or the school.")],
    summary: Annotated[str, typer.Option("--summary", metavar="TEXT", help="The concern, in a few words.")],
) -> None:
    """Record a concern that the placement is not working (ATT-NOT-WORKING): a formal meeting becomes due.

    A safeguarding concern is not recorded here: raise it with the DSL and log only its reference with
    ap safeguarding; its details stay in the school's safeguarding system."""
    from apcli.steps.workflow import record_concern

    result = record_concern(_change(case_id), date, by, summary)
    _report(case_id, "concern recorded", result.unneeded)
