"""Giving the notice and sending letters: render, check every required item, write, record.

Letters are written under the records folder (`letters/CASE/` by default) with
their sha256 recorded in the case, so that what was sent can be shown later.
A letter already recorded as sent is never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from apcli.errors import ApError, BusyError, UsageError
from apcli.letters.render import FORMATS, Format, LetterPlan, Rendered, render_letters, template_path
from apcli.model.dates import parse_date
from apcli.steps.workflow import Change, change_case, check_not_future, with_placement

if TYPE_CHECKING:
    from apcli.model.schema import Case, Letter, Notice, Placement
    from apcli.policy import GateResult, Rule
    from apcli.records.store import Records

METHODS = ("post", "email", "hand")
LETTERS_DIR = "letters"


@dataclass
class Sent:
    """What a notice or letter command did (or, in a dry run, would do)."""

    case: str
    date: dt.date
    letters: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # to, file, sha256
    previews: list[str] = field(default_factory=list)
    unneeded: list[str] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)  # to -> how it went


@dataclass
class Output:
    fmt: Format
    out: Path | None = None
    force: bool = False
    dry_run: bool = False
    also: tuple[Format, ...] = ()  # more formats of the same letters (ap notice --format html --format docx)

    @property
    def formats(self) -> list[Format]:
        return list(dict.fromkeys((self.fmt, *self.also)))


Written = tuple[str, str, str, str]  # to, file, sha256 of the file, sha256 of its text


def check_method_and_format(method: str | None, fmt: str) -> Format:
    if method is not None and method not in METHODS:
        raise UsageError(f"--method: {method!r} is not one of {', '.join(METHODS)}.")
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}.")
    return fmt


def letter_date(given: str | None, today: dt.date) -> dt.date:
    day = parse_date(given, "--date") if given else today
    check_not_future(day, today, "--date")
    return day


def notice_date(given: str | None, today: dt.date) -> dt.date:
    """A notice is dated the day it is produced: `--date`, if given, is today. An earlier date would make a late
    notice look in time; a later one (a letter dated for tomorrow's post) would record as given a notice that
    has not been, so it is refused too: give the notice on the day it goes."""
    day = parse_date(given, "--date") if given else today
    if day < today:
        raise UsageError(
            f"--date: {day} is before today ({today}). A notice is dated the day it is produced, never earlier, so "
            "that a late notice cannot look in time. If the notice truly was given on that day (on paper, say) and "
            f'is being entered now, record it with --given-on {day} --why "..." instead: its deadline is judged on '
            "that day, and the case history says it was entered late."
        )
    if day > today:
        raise UsageError(
            f"--date: {day} is after today ({today}). A notice is dated the day it is produced and recorded as given "
            "that day; a letter dated for a later post would record a notice not yet given. Run ap notice on the day "
            "it goes (by hand or email it can go today)."
        )
    return day


def given_on_date(given_on: str, why: str | None, given_date: str | None, today: dt.date) -> tuple[dt.date, str]:
    """`--given-on D --why TEXT`: a notice given on D (before today) that is only now being entered."""
    if given_date is not None:
        raise UsageError("--date and --given-on do not go together: --given-on is the day the notice was given.")
    day = parse_date(given_on, "--given-on")
    check_not_future(day, today, "--given-on")
    if day == today:
        raise UsageError("--given-on: that is today; a notice given today is simply ap notice CASE.")
    if not (why or "").strip():
        raise UsageError(
            '--given-on needs --why "...": why the notice given on that day is only entered now (it is recorded).'
        )
    return day, (why or "").strip()


def output_folder(records: Records, case_id: str, out: Path | None) -> Path:
    """Where letters go: letters/CASE/, or an --out folder inside letters/ (never elsewhere in the records
    folder, never outside it, and never through a link)."""
    from apcli.records.exporting import check_output
    from apcli.records.store import check_case_id

    case_id = check_case_id(case_id)
    if out is None:
        folder = records.root / LETTERS_DIR / case_id
    else:
        check_output(out, records.root, "--out", letters=True)
        folder = Path(os.path.abspath(out))
    real = records.guard.check(folder, LETTERS_DIR)
    if not records.guard.is_folder(real, LETTERS_DIR) and real.exists():
        raise UsageError(f"--out: {out} is a file; give a folder inside letters/ of the records folder.")
    return real


def recorded_files(case: Case) -> set[str]:
    return (
        {letter.file for p in case.placements for notice in p.notices for letter in notice.letters}
        | {letter.file for p in case.placements for n in p.notices for copy in n.copies for letter in copy.letters}
        | {letter.file for letter in case.letters}
    )


def every_recorded_file(records: Records, case_id: str, case: Case) -> tuple[set[str], list[str]]:
    """The letter files recorded as sent in every case (`case` standing for `case_id`), and the cases that
    could not be read, whose recorded letters are therefore unknown."""
    recorded = recorded_files(case)
    unreadable = []
    for other in records.case_ids():
        if other == case_id:
            continue
        try:
            recorded |= recorded_files(records.load_case(other).case)
        except ApError:
            unreadable.append(other)
    return recorded, unreadable


# ap names each letter `KIND-DATE-RECIPIENT[-N].FORMAT` (letterplans._slug); nothing else in letters/ is its own.
LETTER_NAME = re.compile(r"(notice|invitation|review)-\d{4}-\d{2}-\d{2}-(la|parent-\d+)(-\d+)?\.(html|txt|docx)")


_LETTER_IN_PATH = re.compile(f"/({LETTER_NAME.pattern})")  # as a letter's file names it (a literal / is quick to find)


def _ap_letters(records: Records, folder: Path) -> list[Path]:
    """The regular files directly in `folder` that ap could have named (links and other files left alone)."""
    found = []
    for entry in records.guard.entries(folder):
        if LETTER_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            found.append(Path(entry.path))
    return found


def unrecorded_letters(records: Records) -> list[Path]:
    """Letters ap wrote in letters/ that no case records: left by an `ap notice` or `ap letter` that was
    killed between writing its letters and saving the case. Never sent as far as the records know.

    Only files ap names (its letter names, regular files, not links) in letters/ and its folders one level
    down are looked at. Only the cases whose text could record one of them are read as cases (see
    _every_recorded_letter), so that `ap check` on a folder of thousands of cases reads none when letters/ is empty.
    If such a case cannot be read (or any case's file), its recorded letters are unknown, so none are listed;
    nor if letters/ is a link (never followed).
    """
    try:
        if not records.guard.is_folder(LETTERS_DIR, LETTERS_DIR):
            return []
        found = _ap_letters(records, records.root / LETTERS_DIR)
        for entry in records.guard.entries(LETTERS_DIR):
            if entry.is_dir(follow_symlinks=False):
                found += _ap_letters(records, records.root / LETTERS_DIR / entry.name)
        if not found:
            return []
        recorded = _every_recorded_letter(records, {path.name for path in found})
    except ApError:  # a case that cannot be read, or letters/ that is a link: `ap check` reports those itself
        return []
    return sorted(path for path in found if records.guard.relative(path).as_posix() not in recorded)


def _every_recorded_letter(records: Records, names: set[str]) -> set[str]:
    """The letter files recorded by every case whose file could record one named in `names`, each
    case's text looked at once and what it mentions kept in ap's index while its files are unchanged."""
    from apcli.model.days import FIRST, LAST
    from apcli.records.index import sha

    # Named by the pattern, so that a change to it is never served what the old one found.
    results = records.index.results(f"letters:{sha(_LETTER_IN_PATH.pattern.encode())[:12]}")
    today, recorded = dt.date.today(), set[str]()
    for case_id in records.case_ids():
        kept = results.get(case_id, today)
        if kept is None:
            kept = _mentions(records, case_id)
            results.put(case_id, [(FIRST, LAST, kept)])
        mentioned, escaped = kept
        if escaped or names.intersection(mentioned):
            recorded |= recorded_files(records.load_case(case_id).case)
            records.forget(case_id)
    records.index.save()
    return recorded


def _mentions(records: Records, case_id: str) -> tuple[list[str], bool]:
    """The letter names the case's file writes after a /, and whether it holds a backslash. A letter's `file:`
    holds it as it is, after a / (the name has no space for a line to fold at and no quote to double), unless
    a double-quoted escape spells it otherwise, which takes a backslash. ApError if the file cannot be read."""
    from apcli.records.store import read_text

    path = records.case_path(case_id)
    text = read_text(path, records.shown(path), records.guard)
    return sorted({match.group(1) for match in _LETTER_IN_PATH.finditer(text)}), "\\" in text


def remove_leftovers(records: Records, case_id: str, recorded: set[str]) -> list[Path]:
    """Remove the unrecorded letters in letters/CASE/ (a killed command's), before new names are chosen.
    Call under the case's lock, with every case's recorded letters."""
    folder = records.root / LETTERS_DIR / case_id
    if not records.guard.is_folder(folder, LETTERS_DIR):
        return []
    removed = []
    for path in _ap_letters(records, folder):
        if records.guard.relative(path).as_posix() not in recorded:
            records.guard.remove(path, LETTERS_DIR)
            removed.append(path)
    return removed


MAX_LETTER_BYTES = 50_000_000  # a Word letter with a letterhead image is well under 1 MB


def letter_flag(records: Records, file: str, sha256: str) -> str:
    """What is wrong with a recorded letter's file ("" if it is as sent), read only inside letters/ through the
    guard and only up to MAX_LETTER_BYTES: a case's `file:` may have been edited to name anything."""
    import hashlib

    try:
        data = records.guard.read_bytes(file, LETTERS_DIR, limit=MAX_LETTER_BYTES, missing_ok=True)
    except ApError as error:
        return f"cannot be checked: {getattr(error, 'detail', error)}"
    if data is None:
        return "the file is missing"
    if hashlib.sha256(data).hexdigest() != sha256:
        return "CHANGED after it was sent: the file no longer matches its sha256"
    return ""


def _targets(
    records: Records, recorded: tuple[set[str], list[str]], folder: Path, rendered: list[Rendered], output: Output
) -> list[Path]:
    sent, unreadable = recorded
    paths = []
    for item in rendered:
        path = folder / f"{item.plan.slug}.{item.fmt}"
        if output.out is None:  # in letters/CASE/, a second letter on one day gets the next free name
            number = 2
            while records.guard.exists(path, LETTERS_DIR) or records.guard.relative(path).as_posix() in sent:
                path = folder / f"{item.plan.slug}-{number}.{item.fmt}"
                number += 1
        if records.guard.relative(path).as_posix() in sent:
            raise UsageError(
                f"{records.shown(path)} is a letter already recorded as sent, so it is never overwritten, "
                "--force or not. Give another --out folder, or another --date."
            )
        if records.guard.exists(path, LETTERS_DIR):
            if not output.force:
                raise UsageError(f"{records.shown(path)} already exists; give --force to replace it, or another --out.")
            if unreadable:
                raise UsageError(
                    f"{records.shown(path)} already exists, and ap cannot tell whether it was sent: "
                    f"{', '.join(unreadable)} cannot be read (`ap check` says why). Give another --out."
                )
        paths.append(path)
    return paths


def render_checked(records: Records, plans: list[LetterPlan], fmt: Format, rule: Rule, command: str) -> list[Rendered]:
    """Render each letter (in a child with bounded time and memory) and refuse any that leaves out a required item.
    Call it without holding the case's lock: a school's template may take its full time."""
    from apcli.policy import Finding, Refused

    checked = render_letters(records, plans, fmt)
    failures = []
    for item in checked:
        for missing in item.missing:
            template = records.shown(template_path(records, item.rendered.plan.kind, fmt))
            failures.append(
                (
                    rule,
                    Finding(
                        rule.id,
                        f"the letter to {item.rendered.plan.to} does not state {missing}",
                        f"put it in the template {template}",
                    ),
                )
            )
    if failures:
        raise Refused(command, failures)
    return [item.rendered for item in checked]


def previews(records: Records, plans: list[LetterPlan], rendered: list[Rendered]) -> list[str]:
    """The letters as plain text, for a dry run in the terminal."""
    if rendered and rendered[0].fmt == "txt":
        return [item.text for item in rendered]
    return [item.rendered.text for item in render_letters(records, plans, "txt", check=False)]


def write_letters(
    records: Records, recorded: tuple[set[str], list[str]], rendered: list[Rendered], output: Output, folder: Path
) -> list[Written]:
    paths = _targets(records, recorded, folder, rendered, output)
    records.guard.make_folder(folder, LETTERS_DIR)
    written = []
    for item, path in zip(rendered, paths, strict=True):
        records.write(path, item.data, LETTERS_DIR)
        written.append((item.plan.to, records.guard.relative(path).as_posix(), item.sha256, item.text_sha256))
    return written


class _CaseChanged(Exception):
    """The case changed, in what its letters say, between rendering them and taking its lock."""


ATTEMPTS = 3


def _render_then_record(
    change: Change,
    command: str,
    what: Callable[[Case], str],
    apply: Callable[[Case], Case],
    plans_for: Callable[[Case], list[LetterPlan]],
    rule: Rule,
    output: Output,
    folder: Path,
    sent: Sent,
    record: Callable[[Case, list[Written]], Case],
    after_the_end: bool = False,
) -> GateResult:
    """Check the change under the case's lock (nothing saved), render its letters with the lock free, then
    under the lock again confirm the letters would say the same, write them and record them.

    Rendering a school's template may take its full time limit; another command on the case need not wait
    for it. If the case changed meanwhile in what the letters say, they are rendered again (a few times)."""
    for _ in range(ATTEMPTS):
        result = _attempt(change, command, what, apply, plans_for, rule, output, folder, sent, record, after_the_end)
        if result is not None:
            return result
    raise BusyError(
        f"{change.case_id} changed {ATTEMPTS} times while its letters were being made; nothing was written or "
        "recorded. Run the command again when nobody else is changing the case."
    )


def _attempt(
    change: Change,
    command: str,
    what: Callable[[Case], str],
    apply: Callable[[Case], Case],
    plans_for: Callable[[Case], list[LetterPlan]],
    rule: Rule,
    output: Output,
    folder: Path,
    sent: Sent,
    record: Callable[[Case, list[Written]], Case],
    after_the_end: bool = False,
) -> GateResult | None:
    """One try of `_render_then_record`: None if the case changed in what its letters say."""
    records = change.records
    seen: list[Case] = []

    def capture(case: Case) -> Case:
        seen.append(case)
        return case

    checked = change_case(change, command, what, apply, capture, dry_run=True, after_the_end=after_the_end)
    plans = plans_for(seen[0])
    rendered = [item for fmt in output.formats for item in render_checked(records, plans, fmt, rule, command)]
    if output.dry_run:
        first = [item for item in rendered if item.fmt == output.fmt]
        sent.previews = previews(records, plans, first)
        sent.letters = [(item.plan.to, None, None) for item in rendered]
        return checked

    def finish(case: Case) -> Case:
        if plans_for(case) != plans:
            raise _CaseChanged
        recorded = every_recorded_file(records, change.case_id, case)
        remove_leftovers(records, change.case_id, recorded[0])
        written = write_letters(records, recorded, rendered, output, folder)
        sent.letters = [(to, file, sha) for to, file, sha, _ in written]
        return record(case, written)

    try:
        with _removing_unrecorded(records, sent):
            return change_case(change, command, what, apply, finish, after_the_end=after_the_end)
    except _CaseChanged:
        return None


def notice_placement(case: Case, placement_id: str | None) -> Placement:
    """The placement a notice is for: the one named, or the one open placement still owed a notice."""
    from apcli.model.status import notice_owed_from
    from apcli.steps.workflow import choose_placement

    if placement_id is None:
        owed = [p for p in case.open_placements if notice_owed_from(p) is not None]
        if len(owed) == 1:
            return owed[0]
    return choose_placement(case, placement_id, "a notice")


def already_given(case_id: str, placement_id: str, notice: Notice) -> str:
    """Why a second notice is not recorded: a notice is given once, and its formats are renderings of it."""
    return (
        f"{placement_id} of {case_id} already has its notice, given on {notice.date} to {', '.join(notice.to)}, "
        "and nothing it describes has changed since, so no second notice is recorded. For the same letter in "
        f"another format: ap letter {case_id} --copy {notice.date} --format docx (records nothing). For a parent "
        f"or carer it did not reach: ap notice {case_id} --to NAME. After a change to the placement (ap change), "
        "a new notice is owed and ap notice gives it."
    )


def issue_notice(
    change: Change,
    given_date: str | None,
    method: str | None,
    output: Output,
    placement_id: str | None = None,
    given_on: str | None = None,
    late_why: str | None = None,
) -> Sent:
    """Give the notice to the parents (and the LA where there is an EHC plan), and record it.

    `method` is how it goes to everyone; without it, each recipient's own method (`ap parent --method`), else
    post. The notice records the method it went by to each.

    With `given_on` (and `late_why`), record a notice that was given on that earlier day and is only now being
    entered: no letter is written (the one given then is the notice; a letter made today would be a new one,
    and dated then it would be backdated), the deadline is judged on the day it was given, and the history says
    it was entered late."""
    from apcli.letters.plans import notice_plans
    from apcli.model.notices import recipients
    from apcli.model.schema import Letter, Notice
    from apcli.model.status import current_notice, notice_owed_from
    from apcli.policy import catalogue

    records = change.records
    if given_on is not None:
        day, why = given_on_date(given_on, late_why, given_date, change.today)
    else:
        day, why = notice_date(given_date, change.today), None
    sent = Sent(change.case_id, day)
    folder = output_folder(records, change.case_id, output.out) if given_on is None else None

    def apply(case: Case) -> Case:
        if not case.placements:
            raise UsageError("There is no placement to give notice of yet: record it with ap placement.")
        placement = notice_placement(case, placement_id)
        change.placement = placement.id
        if (given := current_notice(placement)) is not None:
            raise UsageError(already_given(change.case_id, placement.id, given))
        people = recipients(case, records)
        how = {person.name: person.method_for(method) for person in people}
        sent.methods = dict(how)
        main = method or (next(iter(how.values())) if how else "post")
        notice = Notice(
            date=day,
            method=main,  # type: ignore[arg-type]
            start=placement.start,
            end=placement.end,
            provider=placement.provider,
            weekdays=list(placement.weekdays),
            attends=placement.attends,
            start_time=placement.start_time,
            first_day=notice_owed_from(placement) if placement.notices else None,
            recorded=change.today if why else None,
            late_why=why,
            to=[person.name for person in people],
            methods={name: way for name, way in how.items() if way != main},  # type: ignore[misc]
            la_copy=any(person.is_la for person in people),
        )
        if why and placement.notices and day < max(n.date for n in placement.notices):
            raise UsageError(
                f"--given-on: {day} is before the last notice recorded for {placement.id} "
                f"({max(n.date for n in placement.notices)}); enter notices in the order they were given."
            )
        return with_placement(case, placement.model_copy(update={"notices": [*placement.notices, notice]}))

    def noticed(case: Case) -> Placement:
        placement = case.placement_by_id(change.placement or "")
        assert placement is not None  # apply chose it
        return placement

    def record(case: Case, written: list[Written]) -> Case:
        placement = noticed(case)
        letters = [Letter(to=to, file=file, sha256=sha, text_sha256=text) for to, file, sha, text in written]
        notice = placement.notices[-1].model_copy(update={"letters": letters})
        return with_placement(case, placement.model_copy(update={"notices": [*placement.notices[:-1], notice]}))

    def what(case: Case) -> str:
        placement = noticed(case)
        notice = placement.notices[-1]
        methods = {notice.method_for(name) for name in notice.to}
        if len(methods) > 1:  # each person's method beside their name
            how, to = "", ", ".join(f"{name} ({notice.method_for(name)})" for name in notice.to)
        else:
            how, to = f" ({notice.method})", ", ".join(notice.to)
        if why:
            return (
                f"notice of {placement.id} given on {day}{how} to {to}, entered late on {change.today}: {why}"
                " (no letter written: the one given then is the notice)"
            )
        return f"notice of {placement.id} issued{how} to {to}"

    if given_on is not None:
        result = change_case(change, "notice", what, apply, dry_run=output.dry_run)
        sent.unneeded = result.unneeded
        return sent

    def plans(case: Case) -> list[LetterPlan]:
        placement = noticed(case)
        return notice_plans(records, change.case_id, case, placement, day, method, placement.notices[:-1])

    assert folder is not None
    result = _render_then_record(
        change,
        "notice",
        what,
        apply,
        plans,
        catalogue()["NOTICE-CONTENT"],
        output,
        folder,
        sent,
        record,
    )
    sent.unneeded = result.unneeded
    return sent


def _copy_placement(case: Case, placement_id: str | None, names: list[str]) -> Placement:
    """The placement whose notice is copied: the one named, or the one open placement whose notice has not
    reached the people named."""
    from apcli.steps.workflow import choose_placement

    if placement_id is None:
        wanting = [
            p
            for p in case.open_placements
            if p.notices and not {name.casefold() for name in names} & {n.casefold() for n in _reached(p)}
        ]
        if len(wanting) == 1:
            return wanting[0]
    return choose_placement(case, placement_id, "a copy of the notice")


def _reached(placement: Placement) -> list[str]:
    from apcli.model.status import current_notice

    notice = current_notice(placement)
    return notice.reached if notice else []


def copy_notice(
    change: Change,
    names: list[str],
    given_date: str | None,
    method: str | None,
    output: Output,
    placement_id: str | None = None,
) -> Sent:
    """Give a copy of the placement's notice to each parent or carer (or LA) named whom it did not reach, one
    added since it was given, say: a letter dated today, recorded beside the notice with its date and method.

    The notice keeps its date, and its deadline is judged on it as before: the notice was given; this is a
    copy (SI 2010/1156 reg 3 asks for notice to each parent, Education Act 1996 s576 says who a parent is)."""
    from apcli.letters.plans import notice_plans
    from apcli.model.notices import missing_means, recipients
    from apcli.model.schema import Letter, NoticeCopy
    from apcli.model.status import current_notice
    from apcli.policy import catalogue

    records = change.records
    day = notice_date(given_date, change.today)
    sent = Sent(change.case_id, day)
    folder = output_folder(records, change.case_id, output.out)
    wanted = [name.strip() for name in names if name.strip()]
    if not wanted:
        raise UsageError("--to: give the name of the parent, carer or LA to give a copy of the notice to.")

    def target(case: Case) -> tuple[Placement, int]:
        placement = case.placement_by_id(change.placement or "")
        assert placement is not None  # apply chose it
        notice = current_notice(placement)
        assert notice is not None  # apply checked it
        return placement, placement.notices.index(notice)

    def apply(case: Case) -> Case:
        if not case.placements:
            raise UsageError("There is no placement, so no notice to copy yet: record it with ap placement.")
        placement = _copy_placement(case, placement_id, wanted)
        change.placement = placement.id
        notice = current_notice(placement)
        if notice is None:
            raise UsageError(
                f"{placement.id} has no notice that describes it as it now stands, so there is nothing to copy: "
                "give the notice (ap notice CASE), which goes to everyone."
            )
        people = {person.name.casefold(): person for person in recipients(case, records)}
        reached = {name.casefold() for name in notice.reached}
        copies = []
        for name in wanted:
            person = people.get(name.casefold())
            if person is None:
                listed = ", ".join(p.name for p in people.values()) or "nobody yet"
                raise UsageError(
                    f"--to: {name!r} is not a parent or carer who gets the notice (parental responsibility or "
                    f"care of the child), nor the LA, on {change.case_id} (they are: {listed}). Add them first: "
                    'ap parent CASE --name N --relationship R [--cares-for-child] --address "..."'
                )
            if person.name.casefold() in reached:
                raise UsageError(
                    f"--to: {person.name} has had the notice of {notice.date} for {placement.id} already "
                    "(ap show CASE lists to whom it went)."
                )
            way = person.method_for(method)
            if gap := missing_means(person, way):
                raise UsageError(
                    f"--to: a copy by {way} cannot be sent: {gap}. Add it to the contact (ap edit CASE), or give "
                    "--method hand (or email, with their email address)."
                )
            reached.add(person.name.casefold())
            copies.append(NoticeCopy(to=person.name, date=day, method=way))  # type: ignore[arg-type]
        sent.methods = {c.to: c.method for c in copies}
        index = placement.notices.index(notice)
        copied = notice.model_copy(update={"copies": [*notice.copies, *copies]})
        notices = [*placement.notices[:index], copied, *placement.notices[index + 1 :]]
        return with_placement(case, placement.model_copy(update={"notices": notices}))

    def plans(case: Case) -> list[LetterPlan]:
        placement, index = target(case)
        notice = placement.notices[index]
        earlier = placement.notices[:index]
        found = []
        for copy in notice.copies[len(notice.copies) - len(wanted) :]:
            found += notice_plans(
                records, change.case_id, case, placement, day, copy.method, earlier, copy_of=notice, only=copy.to
            )
        return found

    def record(case: Case, written: list[Written]) -> Case:
        placement, index = target(case)
        notice = placement.notices[index]
        letters: dict[str, list[Letter]] = {}
        for to, file, sha, text in written:
            letters.setdefault(to, []).append(Letter(to=to, file=file, sha256=sha, text_sha256=text))
        new = len(notice.copies) - len(wanted)
        copies = [
            *notice.copies[:new],
            *(c.model_copy(update={"letters": letters.get(c.to, [])}) for c in notice.copies[new:]),
        ]
        notices = [
            *placement.notices[:index],
            notice.model_copy(update={"copies": copies}),
            *placement.notices[index + 1 :],
        ]
        return with_placement(case, placement.model_copy(update={"notices": notices}))

    def what(case: Case) -> str:
        placement, index = target(case)
        notice = placement.notices[index]
        to = ", ".join(f"{c.to} ({c.method})" for c in notice.copies[len(notice.copies) - len(wanted) :])
        return (
            f"copy of the notice of {placement.id} given on {notice.date} given on {day} to {to}: a copy, "
            "so the notice's own date and deadline stand"
        )

    result = _render_then_record(
        change, "notice-copy", what, apply, plans, catalogue()["NOTICE-EVERY-PARENT"], output, folder, sent, record
    )
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
                with contextlib.suppress(ApError, OSError):
                    records.guard.remove(file, LETTERS_DIR)
        sent.letters = []
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
    from apcli.model.schema import SentLetter
    from apcli.policy import catalogue

    records = change.records
    day = letter_date(given_date, change.today)
    sent = Sent(change.case_id, day)
    folder = output_folder(records, change.case_id, output.out)
    # The rule whose words the letter serves: the meeting with parents, or clear review timescales.
    content_rule = catalogue()["MEET-PLANNING" if kind == "invitation" else "REVIEW-TERMLY"]

    def plans(case: Case) -> list[LetterPlan]:
        found = plans_for(case, day)
        if not found:
            raise UsageError(
                "No parent or carer with parental responsibility is recorded to send the letter to (ap parent)."
            )
        return found

    def record(case: Case, written: list[Written]) -> Case:
        letters = [
            SentLetter(kind=kind, date=day, method=method, to=to, file=file, sha256=sha)  # type: ignore[arg-type]
            for to, file, sha, _ in written
        ]
        return case.model_copy(update={"letters": [*case.letters, *letters]})

    def what(case: Case) -> str:
        return f"{kind} letter sent ({method}) to {', '.join(to for to, _, _ in sent.letters)}"

    # A review's outcome is notified after the last review too, when the placement has ended (reg 6).
    result = _render_then_record(
        change, "letter", what, lambda case: case, plans, content_rule, output, folder, sent, record, kind == "review"
    )
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
    from apcli.letters.plans import invitation_plans, review_plans
    from apcli.model.dates import parse_time

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


@dataclass
class Copied:
    """What `ap letter --copy` wrote: a recorded notice rendered again, recorded nowhere."""

    case: str
    placement: str
    notice: dt.date
    letters: list[tuple[str, str, str]] = field(default_factory=list)  # to, file, sha256 of its text


def find_notice(case_id: str, case: Case, name: str, placement_id: str | None) -> tuple[Placement, Notice]:
    """The notice named by its date (`--placement` where two placements had one that day). Of two notices of
    one placement on one day, the later: the earlier was superseded that day and a copy of it would not say
    what it said (the placement has changed since), so it could only be refused."""
    day = parse_date(name, "--copy")
    placements = [p for p in case.placements if placement_id is None or p.id == placement_id.strip().upper()]
    if placement_id is not None and not placements:
        raise UsageError(f"--placement: {case_id} has no placement {placement_id}.")
    found = [(p, n) for p in placements for n in p.notices if n.date == day]
    if not found:
        given = ", ".join(f"{n.date} ({p.id})" for p in case.placements for n in p.notices) or "none yet"
        raise UsageError(f"--copy: {case_id} has no notice given on {day}; its notices: {given}.")
    if len({p.id for p, _ in found}) > 1:
        raise UsageError(
            f"--copy: {day} names a notice of {', '.join(sorted({p.id for p, _ in found}))}; give --placement."
        )
    return found[-1]


def _reference_text(records: Records, letter: Letter) -> tuple[str | None, str | None]:
    """The recorded letter's text sha256 (recorded, or from its file if the file is as sent) and its words
    (from the file, if it is as sent), to compare a new rendering with."""
    from apcli.letters.render import letter_text, text_sha256

    data = None
    if not letter_flag(records, letter.file, letter.sha256):
        data = records.guard.read_bytes(letter.file, LETTERS_DIR, limit=MAX_LETTER_BYTES, missing_ok=True)
    fmt: Format = Path(letter.file).suffix.lstrip(".")  # type: ignore[assignment]
    words = letter_text(data, fmt) if data is not None else None
    return letter.text_sha256 or (text_sha256(data, fmt) if data is not None else None), words


def _differences(old: str, new: str, limit: int = 8) -> str:
    import difflib

    lines = [
        line
        for line in difflib.unified_diff(
            [x for x in (" ".join(line.split()) for line in old.splitlines()) if x],
            [x for x in (" ".join(line.split()) for line in new.splitlines()) if x],
            "as sent",
            "now",
            lineterm="",
            n=0,
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    shown = "\n".join(f"  {line}" for line in lines[:limit])
    more = f"\n  ... and {len(lines) - limit} more" if len(lines) > limit else ""
    return shown + more


def copy_letter(
    records: Records, case_id: str, name: str, fmt: Format, placement_id: str | None, out: Path | None
) -> Copied:
    """Render a recorded notice again, in `fmt`, from what the case records of it, and write it beside the
    letters as `...-copy.FORMAT`; nothing is recorded in the case.

    Each recorded rendering of the notice is rendered again and must say what it said (the sha256 of its
    words): then the case, provider, settings and template still say what they said when it was given, and the
    new format says it too. A rendering that would say something else is refused, with the lines that differ
    where the letter as sent is at hand."""
    from apcli.letters.plans import notice_plans
    from apcli.letters.render import letter_text
    from apcli.policy import catalogue

    case = records.load_case(case_id).case
    placement, notice = find_notice(case_id, case, name, placement_id)
    if not notice.letters:
        raise UsageError(
            f"--copy: the notice of {notice.date} ({placement.id}) has no letter recorded (it was entered late, "
            "given on paper): there is no letter to copy; the paper one given is the notice."
        )
    view = placement.model_copy(
        update={
            "start": notice.start,
            "end": notice.end,
            "provider": notice.provider or placement.provider,
            "weekdays": notice.weekdays or placement.weekdays,
            "attends": notice.attends or placement.attends,
            "start_time": notice.start_time,
        }
    )
    earlier = placement.notices[: placement.notices.index(notice)]
    plans = []
    for person in notice.to:
        found = notice_plans(records, case_id, case, view, notice.date, notice.method_for(person), earlier, only=person)
        if not found:
            raise UsageError(
                f"--copy: {person}, to whom the notice of {notice.date} went, is no longer a parent or carer who "
                f"gets the notice on {case_id}, so the letter to them cannot be rendered as it was."
            )
        plans += found
    problems = []
    for fmt_given in dict.fromkeys(Path(letter.file).suffix.lstrip(".") for letter in notice.letters):
        given: Format = fmt_given  # type: ignore[assignment]
        again = {item.rendered.plan.to: item.rendered for item in render_letters(records, plans, given, check=False)}
        for letter in (x for x in notice.letters if x.file.endswith(f".{given}")):
            expected, words = _reference_text(records, letter)
            if expected is None:
                raise UsageError(
                    f"--copy: {letter.file} has no text sha256 recorded and is not as sent "
                    f"({letter_flag(records, letter.file, letter.sha256)}), so what it said cannot be known."
                )
            now = again.get(letter.to)
            if now is None or now.text_sha256 != expected:
                diff = _differences(words, letter_text(now.data, given)) if words and now else ""
                problems.append(
                    f"{letter.file} (to {letter.to}) would now say something else" + (":\n" + diff if diff else ".")
                )
    if problems:
        raise UsageError(
            f"--copy: the notice of {notice.date} ({placement.id}) would not say what it said when it was given; "
            "the case, its provider, the settings or the template have changed since, so no copy was written:\n"
            + "\n".join(problems)
            + "\nThe letters as sent are still in letters/ (their sha256 shows they are as sent): print one of "
            "those, in the format it was given in."
        )
    rendered = render_checked(records, plans, fmt, catalogue()["NOTICE-CONTENT"], "letter")
    folder = output_folder(records, case_id, out)
    records.guard.make_folder(folder, LETTERS_DIR)
    copied = Copied(case_id, placement.id, notice.date)
    for item in rendered:
        path = folder / f"{item.plan.slug}-copy.{fmt}"
        number = 2
        while records.guard.exists(path, LETTERS_DIR):
            path = folder / f"{item.plan.slug}-copy-{number}.{fmt}"
            number += 1
        records.guard.write(path, item.data, LETTERS_DIR)  # not committed either: a copy, recorded nowhere
        copied.letters.append((item.plan.to, records.guard.relative(path).as_posix(), item.text_sha256))
    return copied
