"""`ap notice` and `ap letter`: letters to parents, rendered from templates and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apcli.cli.base import CaseArgument, DryRunOption, JsonOption, OverrideOption, PlacementOption, app, date_option
from apcli.cli.context import did, note, overrides_from, print_json, state

if TYPE_CHECKING:
    from apcli.letters.sending import Sent

DateOption = Annotated[str | None, date_option("The date it is sent [default: today].")]
MethodOption = Annotated[str, typer.Option("--method", metavar="post|email|hand", help="How it is sent.")]
FormatOption = Annotated[
    str, typer.Option("--format", metavar="html|txt|docx", help="html to print, txt for an email body, docx for Word.")
]
FormatsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--format",
        metavar="html|txt|docx",
        help="html to print, txt for an email body, docx for Word; repeat for several renderings of the one "
        "notice (--format html --format docx) [default: html].",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", metavar="DIR", help="A folder inside the records folder's letters/ [default: letters/CASE/]."
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace a file of the same name that was never sent.")]


def _print(sent: Sent, as_json: bool, dry_run: bool, what: str, method: str | None) -> None:
    for rule_id in sent.unneeded:
        note(f"Note: --override {rule_id} was not needed, so it was not recorded.")
    if as_json:
        letters = [
            {"to": to, "file": file, "sha256": sha, "method": sent.methods.get(to, method or "post")}
            for to, file, sha in sent.letters
        ]
        print_json({"case": sent.case, "date": sent.date.isoformat(), "dry_run": dry_run, "letters": letters})
        return
    if dry_run:
        for preview in sent.previews:
            typer.echo(preview.rstrip() + "\n" + "-" * 72)
        typer.echo(f"Dry run: the {what} above passed every check; nothing was written or recorded.")
        return
    ways = {sent.methods.get(to, method or "post") for to, _, _ in sent.letters}
    if sent.letters:
        did(f"{sent.case}: {what.lower()} issued ({', '.join(sorted(ways))})")
    for to, file, sha in sent.letters:
        shown = len(ways) > 1 or what.startswith("Copy")  # a copy says how it went, one by one
        by = f" by {sent.methods[to]}" if shown and to in sent.methods else ""
        typer.echo(f"{what} to {to}{by}: {file} (sha256 {sha})")
    typer.echo(
        f"Recorded in {sent.case}. Print or send each letter, and keep it as it is: its sha256 shows what was sent."
    )


@app.command()
def notice(
    case_id: CaseArgument,
    date: Annotated[
        str | None,
        date_option("The notice's date: the day it is produced, never earlier [default: today]."),
    ] = None,
    given_on: Annotated[
        str | None,
        typer.Option(
            "--given-on",
            metavar="D",
            help="Record a notice truly given on an earlier day (on paper, say) and entered now; needs --why. "
            "No letter is written.",
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            metavar="post|email|hand",
            help="How it is given to everyone [default: each person's own method (ap parent --method), else post].",
        ),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="NAME",
            help="Give a copy of the notice already given to this parent or carer (or the LA), whom it did not "
            "reach (one added since, say); repeat for each. Dated today, never judged against the notice's deadline.",
        ),
    ] = None,
    fmts: FormatsOption = None,
    out: OutOption = None,
    dry_run: DryRunOption = False,
    force: ForceOption = False,
    placement: PlacementOption = None,
    override: OverrideOption = None,
    why: Annotated[
        list[str] | None,
        typer.Option(
            "--why",
            metavar="TEXT",
            help="Why, for each --override; with --given-on, one more (the last): why the notice is entered late.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Give the parents (and the LA, for an EHC plan) notice of the placement, or of what changed: the letter,
    checked and recorded."""
    from apcli.letters.sending import Output, check_method_and_format, copy_notice, issue_notice
    from apcli.steps.workflow import Change

    s = state()
    given_fmts = [check_method_and_format(method, f) for f in (fmts or ["html"])]
    fmt, also = given_fmts[0], tuple(given_fmts[1:])
    if to:
        if given_on is not None or override:
            from apcli.errors import UsageError

            raise UsageError("--to gives a copy of the notice today; it takes no --given-on or --override.")
        output = Output(fmt, out, force, dry_run, also)
        copied = copy_notice(Change(s.records, case_id, s.today, s.by, {}), to, date, method, output, placement)
        _print(copied, as_json, dry_run, "Copy of the notice", method)
        return
    whys = list(why or [])
    late_why = whys.pop() if given_on is not None and len(whys) > len(override or []) else None
    output = Output(fmt, out, force, dry_run, also)
    change = Change(s.records, case_id, s.today, s.by, overrides_from(override, whys))
    sent = issue_notice(change, date, method, output, placement, given_on, late_why)
    if given_on is not None:
        _print_given(sent, as_json, dry_run, method)
        return
    _print(sent, as_json, dry_run, "Notice", method)


def _print_given(sent: Sent, as_json: bool, dry_run: bool, method: str | None) -> None:
    """What `ap notice --given-on` did: a notice recorded as given on an earlier day, and no letter written."""
    for rule_id in sent.unneeded:
        note(f"Note: --override {rule_id} was not needed, so it was not recorded.")
    if as_json:
        print_json(
            {"case": sent.case, "date": sent.date.isoformat(), "dry_run": dry_run, "entered_late": True, "letters": []}
        )
        return
    if dry_run:
        typer.echo(f"Dry run: the notice given on {sent.date} passed every check; nothing was recorded.")
        return
    how = ", ".join(sorted(set(sent.methods.values()))) or method or "post"
    did(f"{sent.case}: notice given on {sent.date} ({how}) entered late")
    typer.echo(
        f"Recorded in {sent.case}: a notice given on {sent.date} ({how}), entered late (the history says so). "
        "No letter was written: keep the letter that was given with the case's papers."
    )


@app.command()
def letter(
    case_id: CaseArgument,
    kind: Annotated[
        str | None, typer.Option("--kind", metavar="invitation|review", help="Which letter (not with --copy).")
    ] = None,
    meeting_date: Annotated[
        str | None, date_option("invitation: the planning meeting's date.", "--meeting-date")
    ] = None,
    meeting_time: Annotated[
        str | None, typer.Option("--meeting-time", metavar="HH:MM", help="invitation: the meeting's time.")
    ] = None,
    place: Annotated[str | None, typer.Option("--place", metavar="T", help="invitation: where the meeting is.")] = None,
    review_date: Annotated[
        str | None, date_option("review: which review [default: the latest].", "--review-date")
    ] = None,
    date: DateOption = None,
    method: MethodOption = "post",
    fmt: FormatOption = "html",
    out: OutOption = None,
    dry_run: DryRunOption = False,
    force: ForceOption = False,
    copy: Annotated[
        str | None,
        typer.Option(
            "--copy",
            metavar="NOTICE",
            help="Render the notice given on this date again, in --format, from what the case records; it must "
            "say what it said (the sha256 of its words). Written beside the letters as ...-copy.FORMAT; nothing "
            "is recorded.",
        ),
    ] = None,
    placement: PlacementOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send the parents the invitation to the planning meeting, or the letter after a termly review; or
    (--copy) render a notice already given again, in another format."""
    from apcli.letters.sending import Output, check_method_and_format, letter_plans_for, send_letter
    from apcli.steps.workflow import Change

    s = state()
    if copy is not None:
        _copy(case_id, copy, fmt, placement, out, as_json, kind)
        return
    if kind is None:
        from apcli.errors import UsageError

        raise UsageError("ap letter needs --kind invitation or --kind review (or --copy NOTICE, a notice's date).")
    output = Output(check_method_and_format(method, fmt), out, force, dry_run)
    change = Change(s.records, case_id, s.today, s.by, {})
    plans_for = letter_plans_for(change, kind, method, meeting_date, meeting_time, place, review_date)
    _print(
        send_letter(change, kind, date, method, output, plans_for),
        as_json,
        dry_run,
        f"{kind.capitalize()} letter",
        method,
    )


def _copy(
    case_id: str, name: str, fmt: str, placement: str | None, out: Path | None, as_json: bool, kind: str | None
) -> None:
    """`ap letter CASE --copy NOTICE --format F`: a recorded notice rendered again; nothing recorded."""
    from apcli.errors import UsageError
    from apcli.letters.sending import check_method_and_format, copy_letter

    if kind is not None:
        raise UsageError("--copy renders a notice already given again; it takes no --kind.")
    s = state()
    copied = copy_letter(s.records, case_id, name, check_method_and_format(None, fmt), placement, out)
    if as_json:
        print_json(
            {
                "case": copied.case,
                "placement": copied.placement,
                "notice": copied.notice.isoformat(),
                "recorded": False,
                "letters": [{"to": to, "file": file, "text_sha256": sha} for to, file, sha in copied.letters],
            }
        )
        return
    for to, file, sha in copied.letters:
        typer.echo(f"Copy of the notice of {copied.notice} ({copied.placement}) to {to}: {file} (text sha256 {sha})")
    typer.echo(
        "Each says what the notice said when it was given (its words' sha256 match). Nothing was recorded in "
        f"{copied.case}: a copy, not a new notice."
    )
