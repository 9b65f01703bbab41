"""The workflow commands: refer, meeting, decision, placement, edit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apcli.cli.base import CaseArgument, JsonOption, OverrideOption, WhyOption, app, date_option
from apcli.cli.context import did, note, overrides_from, print_json, state

if TYPE_CHECKING:
    from apcli.steps.workflow import Change


@app.command()
def refer(
    name: Annotated[str | None, typer.Option("--name", metavar="N", help="The pupil's full name.")] = None,
    dob: Annotated[str | None, date_option("Date of birth.", "--dob")] = None,
    year: Annotated[str | None, typer.Option("--year", metavar="Y", help="Year group (1-6 for this policy).")] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option(
            "--reason",
            metavar="R",
            help="A policy reason (repeatable): curriculum-needs, exclusion-risk, attendance, send-assessment, broader-curriculum, respite.",
        ),
    ] = None,
    rationale: Annotated[
        str | None,
        typer.Option(
            "--rationale", metavar="T", help="Why this provision is more appropriate than what the academy can provide."
        ),
    ] = None,
    upn: Annotated[
        str | None, typer.Option("--upn", metavar="U", help="Unique Pupil Number (its check letter is checked).")
    ] = None,
    send: Annotated[
        str | None, typer.Option("--send", metavar="none|sen-support|ehc-plan", help="SEND status.")
    ] = None,
    send_hub: Annotated[
        str | None, typer.Option("--send-hub", metavar="DATE", help="Date discussed with the SEND Hub.")
    ] = None,
    alternative_to_exclusion: Annotated[
        bool, typer.Option("--alternative-to-exclusion", help="Offered as an alternative to permanent exclusion.")
    ] = False,
    suspension: Annotated[
        list[str] | None, typer.Option("--suspension", metavar="DATE:DAYS", help="A suspension (repeatable).")
    ] = None,
    attendance: Annotated[
        str | None, typer.Option("--attendance", metavar="PCT", help="Attendance per cent the referral rests on.")
    ] = None,
    ehcna_requested: Annotated[
        str | None,
        typer.Option("--ehcna-requested", metavar="DATE", help="Date the EHC needs assessment was requested."),
    ] = None,
    managed_move: Annotated[
        str | None,
        typer.Option(
            "--managed-move", metavar="considered|tried|not-suitable", help="Whether a managed move was considered."
        ),
    ] = None,
    managed_move_why: Annotated[
        str | None, typer.Option("--managed-move-why", metavar="T", help="Why a managed move was or was not tried.")
    ] = None,
    managed_move_consent: Annotated[
        str | None,
        typer.Option("--managed-move-consent", metavar="DATE", help="Date the parents consented to a managed move."),
    ] = None,
    parent: Annotated[
        list[str] | None,
        typer.Option(
            "--parent",
            metavar='"NAME (RELATIONSHIP)"',
            help="A parent or carer with parental responsibility (repeat for each).",
        ),
    ] = None,
    address: Annotated[
        list[str] | None,
        typer.Option("--address", metavar="A", help="That parent's postal address (one for each --parent, in order)."),
    ] = None,
    ehc_la: Annotated[
        str | None,
        typer.Option(
            "--ehc-la",
            metavar="NAME",
            help="With --send ehc-plan: the LA that maintains the plan, which gets a copy of the notice "
            "[default: the settings' local authority].",
        ),
    ] = None,
    ehc_la_address: Annotated[
        str | None, typer.Option("--ehc-la-address", metavar="A", help="That LA's postal address.")
    ] = None,
    date: Annotated[str | None, date_option("Date of the referral [default: today].")] = None,
    out_of_year_group: Annotated[
        bool,
        typer.Option(
            "--out-of-year-group", help="The pupil is taught outside the year group their date of birth gives."
        ),
    ] = False,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", metavar="FILE", help="A YAML referral form; options given here win over it."),
    ] = None,
    override: OverrideOption = None,
    why: WhyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open a case from a referral, checked against every REF-* rule; prints the new case id."""
    from apcli.steps.referral import ReferralInput, build_case, load_form, open_case

    s = state()
    overrides = overrides_from(override, why)
    records = s.records
    given = ReferralInput(
        name=name,
        dob=dob,
        year=year,
        date=date,
        reasons=reason or [],
        rationale=rationale,
        upn=upn,
        send=send,
        send_hub=send_hub,
        alternative_to_exclusion=alternative_to_exclusion,
        out_of_year_group=out_of_year_group,
        suspensions=suspension or [],
        attendance=attendance,
        ehcna_requested=ehcna_requested,
        managed_move=managed_move,
        managed_move_why=managed_move_why,
        managed_move_consent=managed_move_consent,
        parents=parent or [],
        addresses=address or [],
        ehc_la=ehc_la,
        ehc_la_address=ehc_la_address,
    )
    case = build_case(given, load_form(from_file) if from_file else None, s.today, s.by)
    case_id, unneeded = open_case(records, case, s.today, s.by, overrides)
    for rule_id in unneeded:
        note(f"Note: --override {rule_id} was not needed (the rule passes), so it was not recorded.")
    did(f"{case_id}: referred")
    if as_json:
        print_json({"id": case_id})
    else:
        typer.echo(case_id)


def _change(case_id: str, override: list[str] | None = None, why: list[str] | None = None) -> Change:
    from apcli.steps.workflow import Change

    s = state()
    return Change(s.records, case_id, s.today, s.by, overrides_from(override, why))


def _report(case_id: str, done: str, unneeded: list[str]) -> None:
    from apcli.errors import ApError
    from apcli.reports.overview import overview

    s = state()
    did(f"{case_id.upper()}: {done}")
    for rule_id in unneeded:
        note(f"Note: --override {rule_id} was not needed (the rule does not apply here), so it was not recorded.")
    try:
        seen = overview(s.records, s.records.load_case(case_id, fresh=True), s.today)
    except ApError as error:  # saved already: say so, and what stops the summary
        typer.echo(f"{case_id.upper()}: {done}. (ap could not summarise the case: {error.message})")
        return
    typer.echo(f"{seen.id}: {done}. Status: {seen.status}. Next: {seen.next}")


@app.command()
def meeting(
    case_id: CaseArgument,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            metavar="planning|review|targets|attendance-concern|breakdown|exclusion",
            help="The kind of meeting.",
        ),
    ],
    date: Annotated[str, date_option("When it was held.")],
    present: Annotated[
        list[str] | None,
        typer.Option(
            "--present",
            metavar='"NAME (ROLE)"',
            help="Who was there (repeat for each); roles: parent, carer, pupil, senco, headteacher, teacher, send-hub, provider, la, attendance, dsl, other.",
        ),
    ] = None,
    reasons_explained: Annotated[
        bool, typer.Option("--reasons-explained", help="The reasons for the placement were explained to the family.")
    ] = False,
    exclusion_made_clear: Annotated[
        bool,
        typer.Option(
            "--exclusion-made-clear", help="It was made clear the placement is an alternative to permanent exclusion."
        ),
    ] = False,
    no_parent_reason: Annotated[
        str | None, typer.Option("--no-parent-reason", metavar="T", help="Why no parent or carer could attend.")
    ] = None,
    parents_informed: Annotated[
        str | None, typer.Option("--parents-informed", metavar="T", help="How the parents were told of the meeting.")
    ] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", metavar="T", help="What the meeting decided.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", metavar="T", help="Anything else to record.")] = None,
    override: OverrideOption = None,
    why: WhyOption = None,
) -> None:
    """Record a meeting (planning, review, targets, attendance concern, breakdown, exclusion)."""
    from apcli.steps.workflow import MeetingInput, build_meeting, record_meeting

    change = _change(case_id, override, why)
    given = MeetingInput(
        kind=kind,
        date=date,
        present=present or [],
        reasons_explained=reasons_explained,
        exclusion_made_clear=exclusion_made_clear,
        no_parent_reason=no_parent_reason,
        parents_informed=parents_informed,
        outcome=outcome,
        notes=notes,
    )
    result = record_meeting(change, build_meeting(given, change.today))
    _report(case_id, f"{kind} meeting recorded", result.unneeded)


@app.command()
def decision(
    case_id: CaseArgument,
    date: Annotated[str, date_option("When it was decided.")],
    parents: Annotated[
        str | None, typer.Option("--parents", metavar="accepted|refused", help="The parents' response to the offer.")
    ] = None,
    headteacher: Annotated[
        str | None,
        typer.Option(
            "--headteacher",
            metavar="approve|direct|proceed-with-exclusion|withdraw",
            help="The headteacher's decision; direct places the pupil without the parents' agreement.",
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="T", help="The headteacher's reasons (needed to direct).")
    ] = None,
    override: OverrideOption = None,
    why: WhyOption = None,
) -> None:
    """Record the parents' response or the headteacher's decision."""
    from apcli.steps.workflow import record_decision

    change = _change(case_id, override, why)
    result = record_decision(change, parents, headteacher, date, reason)
    _report(case_id, f"{'parents' if parents else 'headteacher'}: {parents or headteacher}", result.unneeded)


@app.command()
def placement(
    case_id: CaseArgument,
    provider: Annotated[
        str, typer.Option("--provider", metavar="ID", help="A provider in the register (ap provider list).")
    ],
    start: Annotated[str, date_option("The first day at the provider (a school day).", "--start")],
    start_time: Annotated[
        str | None,
        typer.Option("--start-time", metavar="HH:MM", help="Time on the first day [default: the provider's start]."),
    ] = None,
    days: Annotated[
        int | None, typer.Option("--days", metavar="N", help="How many days at the provider (gives the end date).")
    ] = None,
    end: Annotated[str | None, date_option("The last day (instead of --days).", "--end")] = None,
    weekdays: Annotated[
        str | None,
        typer.Option(
            "--weekdays", metavar="mon,tue,...", help="Days of the week at the provider [default: all it is open]."
        ),
    ] = None,
    sessions: Annotated[
        str,
        typer.Option("--sessions", metavar="am|pm|both", help="The sessions of each day at the provider."),
    ] = "both",
    alongside: Annotated[
        bool, typer.Option("--alongside", help="Add it while another placement runs (both run at once).")
    ] = False,
    aims: Annotated[
        list[str] | None, typer.Option("--aims", metavar="T", help="An aim of the placement (repeatable).")
    ] = None,
    report_to: Annotated[
        str | None,
        typer.Option(
            "--report-to",
            metavar="NAME",
            help="Who the pupil reports to on the first day [default: the provider's contact].",
        ),
    ] = None,
    agreement: Annotated[
        str | None, typer.Option("--agreement", metavar="REF", help="The commissioning agreement's reference.")
    ] = None,
    agreement_signed: Annotated[str | None, date_option("When the agreement was signed.", "--agreement-signed")] = None,
    cost: Annotated[
        str | None, typer.Option("--cost", metavar="AMOUNT", help="The placement's cost in pounds.")
    ] = None,
    approved_by: Annotated[
        str | None,
        typer.Option("--approved-by", metavar="BODY", help="Who approved the budget (an id in the settings)."),
    ] = None,
    approved_on: Annotated[str | None, date_option("When the budget was approved.", "--approved-on")] = None,
    english_maths: Annotated[
        str | None, typer.Option("--english-maths", metavar="T", help="How English and maths teaching continues.")
    ] = None,
    reintegration: Annotated[
        str | None, typer.Option("--reintegration", metavar="T", help="The plan for the pupil's return to the academy.")
    ] = None,
    la_informed: Annotated[str | None, date_option("When the local authority was told.", "--la-informed")] = None,
    override: OverrideOption = None,
    why: WhyOption = None,
) -> None:
    """Record the placement and its commissioning: provider, dates, aims, agreement, budget."""
    from apcli.steps.workflow import PlacementInput, build_placement, check_placement_values, record_placement

    change = _change(case_id, override, why)
    records = state().records
    given = PlacementInput(
        provider=provider,
        start=start,
        aims=aims or [],
        start_time=start_time,
        days=days,
        end=end,
        weekdays=weekdays,
        sessions=sessions,
        report_to=report_to,
        agreement=agreement,
        agreement_signed=agreement_signed,
        cost=cost,
        approved_by=approved_by,
        approved_on=approved_on,
        english_maths=english_maths,
        reintegration=reintegration,
        la_informed=la_informed,
    )
    built = build_placement(records, given)
    check_placement_values(records, built, given, state().today)
    result = record_placement(change, built, alongside=alongside)
    _report(case_id, "placement recorded", result.unneeded)


@app.command()
def edit(
    case_id: CaseArgument,
    discard: Annotated[bool, typer.Option("--discard", help="Drop an unsaved edit kept from before.")] = False,
    ehc_la: Annotated[
        str | None,
        typer.Option(
            "--ehc-la",
            metavar="NAME",
            help='Set, without the editor, the LA that maintains the EHC plan ("" for the settings\' one).',
        ),
    ] = None,
    ehc_la_address: Annotated[
        str | None, typer.Option("--ehc-la-address", metavar="A", help="That LA's postal address.")
    ] = None,
) -> None:
    """Open the case file in $EDITOR; on save it is checked, and an invalid edit is refused with the old file kept.
    With --ehc-la (and --ehc-la-address), set the LA that maintains the EHC plan instead."""
    from apcli.cli.context import run_editor
    from apcli.steps.editing import discard_draft, draft_paths, edit_case

    s = state()
    if ehc_la is not None or ehc_la_address is not None:
        from apcli.steps.workflow import set_ehc_la

        if discard:
            from apcli.errors import UsageError

            raise UsageError("--discard and --ehc-la do not go together: run them one at a time.")
        recorded = set_ehc_la(_change(case_id), ehc_la, ehc_la_address)
        _report(case_id, "the LA that maintains the EHC plan recorded", recorded.unneeded)
        return
    if discard:
        dropped = discard_draft(s.records, s.records.case_path(case_id).stem)
        typer.echo("Dropped the unsaved edit." if dropped else "There was no unsaved edit.")
        return
    if draft_paths(s.records, s.records.case_path(case_id).stem)[0].is_file():
        note("Opening your unsaved edit from before.")
    result = edit_case(s.records, case_id, s.today, s.by, run_editor)
    did(f"{case_id.upper()}: edited by hand ({', '.join(result.changed)})")
    if not result.changed:
        typer.echo("No changes; the case file is as it was.")
    else:
        typer.echo(f"Saved. Changed: {', '.join(result.changed)}.")


@app.command()
def parent(
    case_id: CaseArgument,
    name: Annotated[str, typer.Option("--name", metavar="N", help="Their full name.")],
    relationship: Annotated[str, typer.Option("--relationship", metavar="R", help="mother, father, carer, ...")],
    address: Annotated[str | None, typer.Option("--address", metavar="A", help="Postal address.")] = None,
    email: Annotated[str | None, typer.Option("--email", metavar="E", help="Email address.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", metavar="P", help="Phone number.")] = None,
    no_parental_responsibility: Annotated[
        bool,
        typer.Option(
            "--no-parental-responsibility",
            help="They do not have parental responsibility (no notices go to them, unless --cares-for-child).",
        ),
    ] = False,
    cares_for_child: Annotated[
        bool,
        typer.Option(
            "--cares-for-child",
            help="They have care of the child (the child lives with them: a grandparent, a foster carer), so they "
            "are a parent in law (Education Act 1996 s576) and get the notice.",
        ),
    ] = False,
    method: Annotated[
        str | None,
        typer.Option(
            "--method", metavar="post|email|hand", help="How letters go to them [default: post, or as ap notice says]."
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", metavar="T", help="Ms, Mr, Mrs, Dr, Mx ...: letters open 'Dear Ms Surname'."),
    ] = None,
) -> None:
    """Add a parent or carer; notices go to each one with parental responsibility or care of the child."""
    from apcli.steps.workflow import add_contact

    change = _change(case_id, None, None)
    add_contact(
        change,
        name,
        relationship,
        address,
        email,
        phone,
        not no_parental_responsibility,
        cares_for_child,
        method,
        title,
    )
    _report(case_id, f"{name.strip()} ({relationship.strip()}) added", [])
