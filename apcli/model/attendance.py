"""Attendance marks: kept beside each case as CSV, one line a school day, and the sums made of them.

`cases/AP-2026-001.attendance.csv` holds `date,am,pm,note` in date order (an
empty cell is a session without a mark), so a week's import is a few readable
lines in a git diff, and reading a year of marks costs well under a millisecond
(engineering-notes.md: YAML attendance was 97% of a case's parse time).
`cases/AP-2026-001.attendance-log.csv` is the append-only history of every
change to the marks: who, when, what, and each mark replaced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from apcli.errors import InvalidFileError, InvalidFilesError, Problem
from apcli.model import codes

if TYPE_CHECKING:
    from apcli.model.calendar import SchoolCalendar
    from apcli.model.schema import Case, Placement, Provider

MARKS_SUFFIX = ".attendance.csv"
LOG_SUFFIX = ".attendance-log.csv"
MARKS_HEADER = ["date", "am", "pm", "note"]
LOG_HEADER = ["date", "at", "by", "what"]
SESSIONS = ("am", "pm")


@dataclass
class Marks:
    """One case's marks: {date: {"am": code, "pm": code}}, and a note per day."""

    days: dict[dt.date, dict[str, str]] = field(default_factory=dict)
    notes: dict[dt.date, str] = field(default_factory=dict)

    def get(self, day: dt.date, session: str) -> str | None:
        return self.days.get(day, {}).get(session)

    def set(self, day: dt.date, session: str, code: str) -> None:
        self.days.setdefault(day, {})[session] = code

    def sessions(self) -> Iterable[tuple[dt.date, str, str]]:
        for day in sorted(self.days):
            for session in SESSIONS:
                code = self.days[day].get(session)
                if code:
                    yield day, session, code

    def text(self) -> str:
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(MARKS_HEADER)
        for day in sorted(self.days):
            pair = self.days[day]
            writer.writerow([day.isoformat(), pair.get("am", ""), pair.get("pm", ""), self.notes.get(day, "")])
        return stream.getvalue()


def marks_path(case_file: Path) -> Path:
    return case_file.with_name(case_file.stem + MARKS_SUFFIX)


def log_path(case_file: Path) -> Path:
    return case_file.with_name(case_file.stem + LOG_SUFFIX)


def parse_marks(text: str, shown: str) -> Marks:
    """Marks from the CSV text, every line checked: a bad line is an error with its line number."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return Marks()
    if [cell.strip().lower() for cell in rows[0]] != MARKS_HEADER:
        raise InvalidFileError(f"the first line should be {','.join(MARKS_HEADER)}", shown, 1)
    marks = Marks()
    problems = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        problem = _read_line(marks, row)
        if problem:
            problems.append(Problem(shown, number, problem))
    if problems:
        raise InvalidFilesError(problems)
    return marks


def _read_line(marks: Marks, row: list[str]) -> str | None:
    """One line into `marks`, or what is wrong with it (a line a day: a year of cases is a million lines)."""
    if len(row) != len(MARKS_HEADER):
        return f"expected {len(MARKS_HEADER)} cells (date,am,pm,note), found {len(row)}"
    written, am, pm, note = row
    try:
        day = dt.date.fromisoformat(written.strip())
    except ValueError:
        return f"{written!r} is not a date written like 2027-01-11"
    if day in marks.days:
        return f"{day} appears twice"
    pair = marks.days[day] = {}  # a later line of the day "appears twice", whatever is wrong with this one
    for session, code in (("am", am.strip()), ("pm", pm.strip())):
        if code:
            if code not in codes.ALL_CODES:
                return f"{code!r} is not an attendance code ({session}, {day})"
            pair[session] = code
    if note := note.strip():
        marks.notes[day] = note
    return None


def log_lines(entries: list[tuple[dt.date, str, str, str]]) -> str:
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerows([[d.isoformat(), at, by, what] for d, at, by, what in entries])
    return stream.getvalue()


# --- the sums ------------------------------------------------------------------------


def last_day(placement: Placement) -> dt.date:
    """The placement's last day: its end, or the day it ended if that came first."""
    return min(placement.end, placement.ending.date) if placement.ending else placement.end


def placement_on(case: Case, day: dt.date, session: str | None = None) -> Placement | None:
    """The placement the pupil is at on `day` (and in `session`): of those whose period holds the day, the one
    on whose weekdays it falls, else the first."""
    from apcli.model.schema import WEEKDAYS

    weekday = WEEKDAYS[day.weekday()] if day.weekday() < len(WEEKDAYS) else None
    held = [p for p in case.placements if p.start <= day <= p.end]
    fits = [p for p in held if weekday in p.weekdays and (session is None or session in p.session_names)]
    chosen = fits or held
    return chosen[0] if chosen else None


def attending_days(
    calendar: SchoolCalendar, placement: Placement, until: dt.date, provider: Provider | None = None
) -> list[dt.date]:
    """The placement's days from its start to `until` that a notice covers: days a change added are not
    placement days until the parents have been given notice of them. Given the placement's `provider`, a day
    it recorded as a closure (`ap provider closure`) is not a placement day either: no mark, no cost."""
    from apcli.model.status import notified_days

    days = calendar.days_on(placement.start, min(until, last_day(placement)), placement.weekdays)
    if provider is not None and provider.closures:
        days = [day for day in days if provider.closure_on(day) is None]
    return notified_days(placement, days)


def expected_sessions(
    calendar: SchoolCalendar, placement: Placement, until: dt.date, provider: Provider | None = None
) -> list[tuple[dt.date, str]]:
    """Every session the pupil should be at the provider from the start to `until` (both included): both
    sessions of each day, or the one the placement takes (`attends: am`); none on the provider's closures."""
    sessions = placement.session_names
    return [(day, session) for day in attending_days(calendar, placement, until, provider) for session in sessions]


@dataclass(frozen=True)
class Summary:
    """One figure's sums. `dual_registered`: D sessions left out of possible and attended (the statutory
    figure only; they count at the other school)."""

    possible: int
    attended: int
    authorised: int
    unauthorised: int
    not_possible: int
    dual_registered: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.attended / self.possible, 1) if self.possible else None


def summarise(session_codes: Iterable[str], statutory: bool = False) -> Summary:
    """Attendance = attended / possible; codes that are not possible sessions count in neither.

    By default the figure *at the provider*: its register's D or B is the pupil there, attended. With
    `statutory`, the school's own register (what the MIS shows): a D session counts at the other school at
    which the pupil is dual registered, so in neither possible nor attended; B stays attended (School
    Attendance (Pupil Registration) (England) Regulations 2024; DfE, Working together to improve school
    attendance, Aug 2024)."""
    possible = attended = authorised = unauthorised = not_possible = dual = 0
    for code in session_codes:
        if code in codes.NOT_POSSIBLE:
            not_possible += 1
            continue
        if statutory and code == codes.DUAL_REGISTERED:
            dual += 1
            continue
        possible += 1
        if code in codes.ATTENDED:
            attended += 1
        elif code in codes.UNAUTHORISED:
            unauthorised += 1
        else:
            authorised += 1
    return Summary(possible, attended, authorised, unauthorised, not_possible, dual)


# How each figure is named wherever it is shown.
AT_PROVIDER_LABEL = "at the provider"
STATUTORY_LABEL = "statutory (school register)"


def summary_json(summary: Summary) -> dict[str, int | float | None]:
    return {
        "possible": summary.possible,
        "attended": summary.attended,
        "percent": summary.percent,
        "authorised": summary.authorised,
        "unauthorised": summary.unauthorised,
        "not_possible": summary.not_possible,
        "dual_registered": summary.dual_registered,
    }


def compulsory_school_age(dob: dt.date, day: dt.date) -> dt.date | None:
    """The day a pupil born on `dob` became of compulsory school age, if they are of it on `day`; else None.

    Education Act 1996 s8 and the Education (Start of Compulsory School Age) Order 1998: from the prescribed
    day (31 December, 31 March or 31 August) on or after the fifth birthday, so every pupil in Year 1 or
    above is; until the school leaving date, the last Friday in June of the school year in which they turn 16
    (Education (School Leaving Date) Order 1997)."""
    fifth = _birthday(dob, 5)
    start = min(
        d
        for year in (fifth.year, fifth.year + 1)
        for d in (dt.date(year, 3, 31), dt.date(year, 8, 31), dt.date(year, 12, 31))
        if d >= fifth
    )
    sixteenth = _birthday(dob, 16)
    june = dt.date(sixteenth.year + (sixteenth.month >= 9), 6, 30)
    leaving = june - dt.timedelta(days=(june.weekday() - 4) % 7)
    return start if start <= day <= leaving else None


def _birthday(dob: dt.date, age: int) -> dt.date:
    """The day a person born on `dob` reaches `age` (29 February: 1 March in a common year)."""
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:
        return dt.date(dob.year + age, 3, 1)


def is_absence(code: str) -> bool:
    """A possible session the pupil did not attend: one that needs a follow-up."""
    return code not in codes.ATTENDED and code not in codes.NOT_POSSIBLE


def missing_sessions(
    marks: Marks, calendar: SchoolCalendar, placement: Placement, until: dt.date, provider: Provider | None = None
) -> list[tuple[dt.date, str]]:
    return [
        (day, session)
        for day, session in expected_sessions(calendar, placement, until, provider)
        if not marks.get(day, session)
    ]


# --- what `ap attendance show` shows ----------------------------------------------------


@dataclass(frozen=True)
class Week:
    monday: dt.date
    sessions: dict[tuple[dt.date, str], str | None]  # expected sessions of the week -> code or None
    summary: Summary


@dataclass(frozen=True)
class AttendanceView:
    summary: Summary  # at the provider
    weeks: list[Week]
    missing: list[tuple[dt.date, str]]
    marks: list[tuple[dt.date, str, str]]
    absences: list[tuple[dt.date, str, str, str | None]]  # date, session, code, follow-up
    statutory: Summary | None = None  # the school register's figure of the same marks
    closures: list[tuple[str, dt.date, dt.date, str]] = field(default_factory=list)  # provider, start, end, why


def attendance_view(
    marks: Marks,
    calendar: SchoolCalendar,
    placements: list[Placement],
    follow_ups: dict[tuple[dt.date, str], str],
    today: dt.date,
    providers: dict[str, Provider] | None = None,
) -> AttendanceView:
    """`providers`: the register's providers, whose closures are not placement days."""
    providers = providers or {}
    expected = sorted(
        {pair for p in placements for pair in expected_sessions(calendar, p, today, providers.get(p.provider))}
    )
    all_marks = list(marks.sessions())
    weeks: dict[dt.date, dict[tuple[dt.date, str], str | None]] = {}
    for day, session in expected:
        monday = day - dt.timedelta(days=day.weekday())
        weeks.setdefault(monday, {})[(day, session)] = marks.get(day, session)
    week_list = [
        Week(monday, sessions, summarise(code for code in sessions.values() if code))
        for monday, sessions in sorted(weeks.items())
    ]
    absences = [
        (day, session, code, follow_up_for(follow_ups, day, session))
        for day, session, code in all_marks
        if is_absence(code)
    ]
    shown = {p.provider for p in placements}
    closures = [
        (pid, c.start, c.end, c.why)
        for pid in sorted(shown)
        if (provider := providers.get(pid)) is not None
        for c in provider.closures
        if any(c.start <= last_day(p) and p.start <= c.end for p in placements if p.provider == pid)
    ]
    return AttendanceView(
        summary=summarise(code for _, _, code in all_marks),
        weeks=week_list,
        missing=[(day, session) for day, session in expected if not marks.get(day, session)],
        marks=all_marks,
        absences=absences,
        statutory=summarise((code for _, _, code in all_marks), statutory=True),
        closures=closures,
    )


def follow_up_for(follow_ups: dict[tuple[dt.date, str], str], day: dt.date, session: str) -> str | None:
    """A follow-up of a day's absence covers both its sessions (one call home, not two)."""
    return follow_ups.get((day, session)) or follow_ups.get((day, "pm" if session == "am" else "am"))
