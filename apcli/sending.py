"""Giving the notice and sending letters: render, check every required item, write, record.

Letters are written under the records folder (`letters/CASE/` by default) with
their sha256 recorded in the case, so that what was sent can be shown later.
A letter already recorded as sent is never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from apcli.dates import parse_date
from apcli.errors import UsageError
from apcli.letters import FORMATS, Format, LetterPlan, Rendered, missing_items, render, template_path
from apcli.workflow import Change, change_case, check_not_future

if TYPE_CHECKING:
    from apcli.models import Case
    from apcli.rules import Rule
    from apcli.store import Records

METHODS = ("post", "email", "hand")


@dataclass
class Sent:
    """What a notice or letter command did (or, in a dry run, would do)."""

    case: str
    date: dt.date
    letters: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # to, file, sha256
    previews: list[str] = field(default_factory=list)
    unneeded: list[str] = field(default_factory=list)


@dataclass
class Output:
    fmt: Format
    out: Path | None = None
    force: bool = False
    dry_run: bool = False


def check_method_and_format(method: str, fmt: str) -> Format:
    if method not in METHODS:
        raise UsageError(f"--method: {method!r} is not one of {', '.join(METHODS)}.")
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}.")
    return fmt


def letter_date(given: str | None, today: dt.date) -> dt.date:
    day = parse_date(given, "--date") if given else today
    check_not_future(day, today, "--date")
    return day


def output_folder(records: Records, case_id: str, out: Path | None) -> Path:
    """Where letters go: inside the records folder, never outside it, and never among its own files."""
    from apcli.exporting import check_output
    from apcli.store import check_case_id

    case_id = check_case_id(case_id)
    root = records.root.resolve()
    folder = (out if out is not None else records.root / "letters" / case_id).resolve()
    if not folder.is_relative_to(root):
        raise UsageError(
            f"--out: {out} is outside the records folder ({records.root}). Letters hold children's personal data "
            "and are kept with the records; give a folder inside it."
        )
    check_output(folder, records.root, "--out")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out: {out} is a file; give a folder inside the records folder.")
    return folder


def recorded_files(case: Case) -> set[str]:
    return {letter.file for notice in case.notices for letter in notice.letters} | {
        letter.file for letter in case.letters
    }


def _targets(records: Records, case: Case, folder: Path, rendered: list[Rendered], output: Output) -> list[Path]:
    root = records.root.resolve()
    sent = recorded_files(case)
    paths = []
    for item in rendered:
        path = folder / f"{item.plan.slug}.{output.fmt}"
        if output.out is None:  # in letters/CASE/, a second letter on one day gets the next free name
            number = 2
            while path.exists() or path.relative_to(root).as_posix() in sent:
                path = folder / f"{item.plan.slug}-{number}.{output.fmt}"
                number += 1
        relative = path.relative_to(root).as_posix()
        if relative in sent:
            raise UsageError(
                f"{records.shown(path)} is a letter already recorded as sent, so it is never overwritten. "
                "Give another --out folder, or another --date."
            )
        if path.exists() and not output.force:
            raise UsageError(f"{records.shown(path)} already exists; give --force to replace it, or another --out.")
        paths.append(path)
    return paths


def render_checked(records: Records, plans: list[LetterPlan], fmt: Format, rule: Rule, command: str) -> list[Rendered]:
    """Render each letter and refuse any that leaves out a required item."""
    from apcli.letters import environment
    from apcli.rules import Finding, Refused

    env = environment(records)
    rendered = [render(records, plan, fmt, env) for plan in plans]
    failures = []
    for item in rendered:
        for missing in missing_items(records, item, env):
            template = records.shown(template_path(records, item.plan.kind, fmt))
            failures.append(
                (
                    rule,
                    Finding(
                        rule.id,
                        f"the letter to {item.plan.to} does not state {missing}",
                        f"put it in the template {template}",
                    ),
                )
            )
    if failures:
        raise Refused(command, failures)
    return rendered


def previews(records: Records, plans: list[LetterPlan], rendered: list[Rendered]) -> list[str]:
    """The letters as plain text, for a dry run in the terminal."""
    if rendered and rendered[0].fmt == "txt":
        return [item.text for item in rendered]
    return [render(records, plan, "txt").text for plan in plans]


def write_letters(
    records: Records, case: Case, rendered: list[Rendered], output: Output, folder: Path
) -> list[tuple[str, str, str]]:
    from apcli.store import atomic_write

    paths = _targets(records, case, folder, rendered, output)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for item, path in zip(rendered, paths, strict=True):
        atomic_write(path, item.data)
        written.append((item.plan.to, path.relative_to(records.root.resolve()).as_posix(), item.sha256))
    return written


def issue_notice(change: Change, given_date: str | None, method: str, output: Output) -> Sent:
    """Give the notice to the parents (and the LA where there is an EHC plan), and record it."""
    from apcli.letterplans import notice_plans
    from apcli.models import Letter, Notice
    from apcli.notice import recipients
    from apcli.rules import catalogue

    records = change.records
    day = letter_date(given_date, change.today)
    sent = Sent(change.case_id, day)
    folder = output_folder(records, change.case_id, output.out)

    def apply(case: Case) -> Case:
        if case.placement is None:
            raise UsageError("There is no placement to give notice of yet: record it with ap placement.")
        people = recipients(case, records)
        notice = Notice(
            date=day,
            method=method,  # type: ignore[arg-type]
            start=case.placement.start,
            end=case.placement.end,
            provider=case.placement.provider,
            weekdays=list(case.placement.weekdays),
            to=[person.name for person in people],
            la_copy=any(person.is_la for person in people),
        )
        return case.model_copy(update={"notices": [*case.notices, notice]})

    def finish(case: Case) -> Case:
        plans = notice_plans(records, change.case_id, case, day, method)
        rendered = render_checked(records, plans, output.fmt, catalogue()["NOTICE-CONTENT"], "notice")
        if output.dry_run:
            sent.previews = previews(records, plans, rendered)
            sent.letters = [(item.plan.to, None, None) for item in rendered]
            return case
        written = write_letters(records, case, rendered, output, folder)
        sent.letters = [(to, file, sha) for to, file, sha in written]
        notice = case.notices[-1].model_copy(
            update={"letters": [Letter(to=to, file=file, sha256=sha) for to, file, sha in written]}
        )
        return case.model_copy(update={"notices": [*case.notices[:-1], notice]})

    def what(case: Case) -> str:
        return f"notice issued ({method}) to {', '.join(case.notices[-1].to)}"

    with _removing_unrecorded(records, sent):
        result = change_case(change, "notice", what, apply, finish, dry_run=output.dry_run)
    sent.unneeded = result.unneeded
    return sent


@contextlib.contextmanager
def _removing_unrecorded(records: Records, sent: Sent) -> Iterator[None]:
    """If the case could not be saved, remove the letters just written: nothing unrecorded is left behind."""
    try:
        yield
    except BaseException:
        for _, file, _ in sent.letters:
            if file:
                (records.root / file).unlink(missing_ok=True)
        raise


def send_letter(
    change: Change,
    kind: str,
    given_date: str | None,
    method: str,
    output: Output,
    plans_for: Callable[[Case, dt.date], list[LetterPlan]],
) -> Sent:
    """Send an invitation or a review letter to each parent, and record it in the case."""
    from apcli.models import SentLetter
    from apcli.rules import catalogue

    records = change.records
    day = letter_date(given_date, change.today)
    sent = Sent(change.case_id, day)
    folder = output_folder(records, change.case_id, output.out)
    # The rule whose words the letter serves: the meeting with parents, or clear review timescales.
    content_rule = catalogue()["MEET-PLANNING" if kind == "invitation" else "REVIEW-TERMLY"]

    def finish(case: Case) -> Case:
        plans = plans_for(case, day)
        if not plans:
            raise UsageError(
                "No parent or carer with parental responsibility is recorded to send the letter to (ap parent)."
            )
        rendered = render_checked(records, plans, output.fmt, content_rule, "letter")
        if output.dry_run:
            sent.previews = previews(records, plans, rendered)
            sent.letters = [(item.plan.to, None, None) for item in rendered]
            return case
        written = write_letters(records, case, rendered, output, folder)
        sent.letters = list(written)
        letters = [
            SentLetter(kind=kind, date=day, method=method, to=to, file=file, sha256=sha)  # type: ignore[arg-type]
            for to, file, sha in written
        ]
        return case.model_copy(update={"letters": [*case.letters, *letters]})

    def what(case: Case) -> str:
        return f"{kind} letter sent ({method}) to {', '.join(to for to, _, _ in sent.letters)}"

    with _removing_unrecorded(records, sent):
        result = change_case(change, "letter", what, lambda case: case, finish, dry_run=output.dry_run)
    sent.unneeded = result.unneeded
    return sent


def letter_plans_for(
    change: Change,
    kind: str,
    method: str,
    meeting_date: str | None,
    meeting_time: str | None,
    place: str | None,
    review_date: str | None,
) -> Callable[[Case, dt.date], list[LetterPlan]]:
    """The plans for an invitation or a review letter, its options checked first."""
    from apcli.dates import parse_time
    from apcli.letterplans import invitation_plans, review_plans

    records, case_id = change.records, change.case_id
    if kind == "invitation":
        if not (meeting_date and meeting_time and place and place.strip()):
            raise UsageError("An invitation needs --meeting-date, --meeting-time and --place.")
        when = parse_date(meeting_date, "--meeting-date")
        time = parse_time(meeting_time, "--meeting-time")
        return lambda case, day: invitation_plans(records, case_id, case, day, method, when, time, place.strip())
    if kind == "review":
        wanted = parse_date(review_date, "--review-date") if review_date else None

        def plans(case: Case, day: dt.date) -> list[LetterPlan]:
            reviews = [r for r in case.reviews if wanted is None or r.date == wanted]
            if not reviews:
                which = f"on {wanted}" if wanted else "yet"
                raise UsageError(f"{case_id} has no review {which}: record it with ap review record.")
            return review_plans(records, case_id, case, reviews[-1], day, method)

        return plans
    raise UsageError(f"--kind: {kind!r} is not invitation or review.")
