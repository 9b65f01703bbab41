"""`ap`: the commands. Each parses its options, calls the core, and prints; nothing else.

Heavy modules (pydantic, ruamel.yaml, holidays, rich) are imported inside the
commands that need them, so that `ap --help` starts fast.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from apcli.cli.context import ApGroup, State, console, note, overrides_from, print_json, set_state, state, today_from
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
OverrideOption = Annotated[
    list[str] | None,
    typer.Option("--override", metavar="RULE-ID", help="Go ahead although this *should* rule fails (needs --why)."),
]
WhyOption = Annotated[list[str] | None, typer.Option("--why", metavar="TEXT", help="Why, for each --override.")]


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
) -> None:
    try:
        set_state(State(records, today_from(today), by))
    except ApError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(error.exit_code) from None


# --- set-up and looking ----------------------------------------------------------


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The new records folder.")],
    school: Annotated[str | None, typer.Option("--school", metavar="NAME", help="The school's name.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Fill it with a fictional school and cases.")] = False,
) -> None:
    """Make a new records folder: settings, calendar, providers, cases, templates, git."""
    from apcli.initfolder import init_records

    name = school or ("Hollybank Primary Academy (fictional)" if demo else "The Academy")
    notes = init_records(folder, name, demo)
    typer.echo(f"Made the records folder {folder}" + (" with the fictional demo school." if demo else "."))
    for line in notes:
        typer.echo(line)
    if not school and not demo:
        typer.echo(f"Set the school's name and staff in {folder / 'ap-settings.yaml'}.")


@app.command()
def rules(as_json: JsonOption = False) -> None:
    """The rule catalogue: id, kind, the policy's words, what it checks, what it gates."""
    from apcli.rules import catalogue

    listed = [
        {
            "id": r.id,
            "kind": r.kind,
            "step": r.step,
            "words": r.words,
            "source": r.source,
            "checks": r.checks,
            "gates": r.gates,
            "implemented": r.implemented,
        }
        for r in catalogue().values()
    ]
    if as_json:
        print_json(listed)
        return
    from rich.table import Table

    table = Table("rule", "kind", "the policy says", "checks", "gates", show_lines=True)
    for r in listed:
        checked = "" if r["implemented"] else "\n(not yet checked by ap)"
        table.add_row(str(r["id"]), str(r["kind"]), f'"{r["words"]}"', f"{r['checks']}{checked}", str(r["gates"]))
    console().print(table)


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Write one .schema.json file per kind of file here.")
    ] = None,
) -> None:
    """JSON Schema of case, provider, settings and calendar files, for editors."""
    from apcli.schema import json_schemas, write_schemas

    if out is None:
        print_json(json_schemas())
        return
    for path in write_schemas(out):
        typer.echo(f"wrote {path}")


@app.command("list")
def list_cases(
    status: Annotated[str | None, typer.Option("--status", metavar="S", help="Only cases with this status.")] = None,
    as_json: JsonOption = False,
) -> None:
    """One row a case: id, pupil, provider, status, next step."""
    from apcli.errors import UsageError
    from apcli.status import NEXT_STEP, STATUSES
    from apcli.status import status as derive

    if status is not None and status not in STATUSES:
        raise UsageError(f"--status: {status!r} is not a status. Give one of {', '.join(STATUSES)}.")
    s = state()
    rows, problems = [], []
    for case_id in s.records.case_ids():
        try:
            case = s.records.load_case(case_id).case
        except ApError as error:
            problems.append(error)
            continue
        current = derive(case, s.today)
        if status and current != status:
            continue
        rows.append(
            {
                "id": case_id,
                "pupil": case.pupil.name,
                "year": case.pupil.year,
                "provider": case.placement.provider if case.placement else None,
                "status": current,
                "next": NEXT_STEP[current][1],
            }
        )
    if as_json:
        print_json(rows)
    else:
        _print_list(rows)
    for problem in problems:
        note(problem.message)
    if problems:
        raise typer.Exit(problems[0].exit_code)


def _print_list(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("case", "pupil", "year", "provider", "status", "next")
    for row in rows:
        table.add_row(row["id"], row["pupil"], str(row["year"]), row["provider"] or "-", row["status"], row["next"])
    console().print(table if rows else "No cases.")


@app.command()
def show(case_id: Annotated[str, typer.Argument(metavar="CASE")], as_json: JsonOption = False) -> None:
    """The whole case, its status, and the rules that block its next step."""
    from apcli.rules import CaseContext, blocked_by
    from apcli.status import NEXT_STEP
    from apcli.status import status as derive

    s = state()
    loaded = s.records.load_case(case_id)
    current = derive(loaded.case, s.today)
    step, next_text = NEXT_STEP[current]
    blocking = blocked_by(CaseContext(loaded.id, loaded.case, s.today, s.records), step)
    if as_json:
        print_json(
            {
                "id": loaded.id,
                "status": current,
                "blocked_by": blocking,
                "next": next_text,
                "file": loaded.shown,
                "case": loaded.case.model_dump(mode="json", by_alias=True),
            }
        )
        return
    from apcli.cli.render import render_case

    console().print(render_case(loaded, current, next_text, blocking))


@app.command()
def check(
    case_ids: Annotated[list[str] | None, typer.Argument(metavar="[CASE]...", help="Only these cases.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Parse every file, validate it against the schema, and check each case against the rules."""
    from apcli.checking import check_records, exit_code

    s = state()
    findings = check_records(s.records, case_ids, s.today)
    if as_json:
        print_json({"findings": [f.as_dict() for f in findings]})
    else:
        for finding in findings:
            typer.echo(str(finding))
        cases = len(case_ids) if case_ids else len(s.records.case_ids())
        errors = sum(f.severity != "warning" for f in findings)
        typer.echo(
            f"Checked {cases} case(s): {errors} error(s), {len(findings) - errors} warning(s).", err=bool(findings)
        )
    raise typer.Exit(exit_code(findings))


# --- the workflow ----------------------------------------------------------------


@app.command()
def refer(
    name: Annotated[str | None, typer.Option("--name", metavar="N", help="The pupil's full name.")] = None,
    dob: Annotated[str | None, typer.Option("--dob", metavar="D", help="Date of birth.")] = None,
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
        str | None,
        typer.Option(
            "--parent", metavar='"NAME (RELATIONSHIP)"', help="A parent or carer with parental responsibility."
        ),
    ] = None,
    address: Annotated[str | None, typer.Option("--address", metavar="A", help="The parent's postal address.")] = None,
    date: Annotated[
        str | None, typer.Option("--date", metavar="D", help="Date of the referral [default: today].")
    ] = None,
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
    from apcli.referral import ReferralInput, build_case, load_form, open_case

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
        parent=parent,
        address=address,
    )
    case = build_case(given, load_form(from_file) if from_file else None, s.today, s.by)
    case_id, unneeded = open_case(records, case, s.today, s.by, overrides)
    for rule_id in unneeded:
        note(f"Note: --override {rule_id} was not needed (the rule passes), so it was not recorded.")
    if as_json:
        print_json({"id": case_id})
    else:
        typer.echo(case_id)


def main() -> None:
    app(prog_name="ap")


_ = dt  # dates are parsed in the core; kept for annotations in later commands
