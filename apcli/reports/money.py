"""`ap report`: value for money, per pupil and in total, for a period (VALUE-FOR-MONEY).

Every figure is computed from the case files and the marks: days and sessions
commissioned on the school calendar, possible and attended sessions from the
marks, cost from the commissioning agreement and from the provider's daily rate
(both shown, and the difference), cost per attended session, targets against
baseline and goal, reviews held against reviews due, outcome and length.
A cost that was never recorded is reported as "no cost recorded", never as zero; a cost per attended
session with no session marked yet as "no sessions yet" (two different gaps, two different words).

Every figure a rendering shows (text, JSON, HTML) is a property of `PupilLine` or `Totals`, computed once
here; the renderings only format it (`money_text`).
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from apcli.errors import UsageError
from apcli.model.attendance import Summary, attending_days, expected_sessions, last_day, placement_on, summarise
from apcli.model.days import Today

if TYPE_CHECKING:
    from pathlib import Path

    from apcli.model.schema import Case, Placement, Term
    from apcli.records.store import LoadedCase, Records


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str


def find_term(records: Records, name: str) -> Term:
    """The term in calendar.yaml with this name (any case), or a usage error listing the names."""
    terms = records.calendar.file.terms
    found = next((t for t in terms if t.name.casefold() == name.strip().casefold()), None)
    if found is None:
        raise UsageError(f"--term: {name!r} is not a term in calendar.yaml ({', '.join(t.name for t in terms)}).")
    return found


def choose_period(
    records: Records, today: dt.date, start: dt.date | None, end: dt.date | None, term: str | None, year: str | None
) -> Period:
    from apcli.model.dates import school_year_start

    given = sum(x is not None for x in (term, year)) + (1 if start or end else 0)
    if given > 1:
        raise UsageError("Give one period: --from and --to, or --term NAME, or --year YYYY/YY.")
    if start or end:
        if not (start and end):
            raise UsageError("--from and --to go together.")
        if start > end:
            raise UsageError(f"--from {start} is after --to {end}.")
        return Period(start, end, f"{start} to {end}")
    if term is not None:
        found = find_term(records, term)
        return Period(found.start, found.end, found.name)
    if year is not None:
        from apcli.model.dates import FIRST_YEAR, LAST_YEAR

        parts = year.strip().split("/")
        if len(parts) != 2 or not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):
            raise UsageError(f"--year: {year!r} is not a school year written like 2026/27.")
        first = int(parts[0])
        if int(parts[1]) != (first + 1) % 100:
            raise UsageError(f"--year: {year!r} is not a school year written like 2026/27.")
        if not FIRST_YEAR <= first < LAST_YEAR:
            raise UsageError(
                f"--year: {year!r} is not a school year from {FIRST_YEAR}/{FIRST_YEAR % 100 + 1:02d} "
                f"to {LAST_YEAR - 1}/{LAST_YEAR % 100:02d}."
            )
        return Period(dt.date(first, 9, 1), dt.date(first + 1, 8, 31), f"{first}/{(first + 1) % 100:02d}")
    first = school_year_start(today)
    return Period(dt.date(first, 9, 1), dt.date(first + 1, 8, 31), f"{first}/{(first + 1) % 100:02d}")


@dataclass
class TargetLine:
    measure: str
    baseline: float
    goal: float
    latest: float | None
    direction: str
    measures: list[tuple[dt.date, float]]


@dataclass
class PupilLine:
    case: str
    pupil: str
    provider: str
    start: dt.date
    end: dt.date
    outcome: str
    length_days: int
    days_commissioned: int
    sessions_commissioned: int
    summary: Summary  # at the provider: what the policy's reviews and targets use
    cost: Decimal | None
    cost_by_rate: Decimal | None
    reviews_held: int
    reviews_due: int
    targets: list[TargetLine]
    planned_days: int = 0
    elapsed_days: int = 0
    weekly: list[tuple[dt.date, float | None]] = field(default_factory=list)
    placement: str = ""  # a placement's line: its id; a pupil's line: ""
    parts: list[PupilLine] = field(default_factory=list)  # a pupil's line: one line per placement in the period
    statutory: Summary = field(default_factory=lambda: Summary(0, 0, 0, 0, 0))  # the school register's figure
    contact_lapses: list[tuple[dt.date, str]] = field(default_factory=list)  # weeks with no provider contact
    # Cost per attended session counts cost and sessions over the same days: the placement's days in the
    # period, up to today, whose every session is marked. Sessions of days passed with no mark are counted apart.
    marked_days: int = 0
    attended_on_marked_days: int = 0
    unmarked_sessions: int = 0
    provider_name: str = ""  # the provider's name (its id in `provider`); a pupil's line: the names, joined
    # What moves the line on to a later day (`moved_on`), up to LATER days after the day it was worked out for
    # ("from", an ordinal): the placement's attending days after it ("days": each is one more day elapsed, its
    # "sessions" unmarked) and the school days after it up to the last day ("school": one more day of length).
    later: dict[str, Any] = field(default_factory=dict)

    @property
    def cost_to_date(self) -> Decimal | None:
        """The agreement's cost for the days that have passed (pro rata to the days planned); for a pupil, the
        sum over the placements (missing if any placement's is)."""
        if self.parts:
            return _sum([part.cost_to_date for part in self.parts])
        if self.cost is None or not self.planned_days:
            return None
        return (self.cost * self.elapsed_days / self.planned_days).quantize(Decimal("0.01"))

    @property
    def cost_in_period(self) -> Decimal | None:
        """The agreement's cost for the placement's days in the period (pro rata), so terms add up."""
        if self.parts:
            return _sum([part.cost_in_period for part in self.parts])
        if self.cost is None or not self.planned_days:
            return None
        return (self.cost * self.days_commissioned / self.planned_days).quantize(Decimal("0.01"))

    @property
    def cost_difference(self) -> Decimal | None:
        if self.parts:
            return _sum([part.cost_difference for part in self.parts])
        in_period = self.cost_in_period
        return None if in_period is None or self.cost_by_rate is None else in_period - self.cost_by_rate

    @property
    def cost_of_marked_days(self) -> Decimal | None:
        """The agreement's cost for the marked days (pro rata to the days planned); for a pupil, the sum over
        the placements (None if any placement's cost is not recorded)."""
        if self.parts:
            return _sum([part.cost_of_marked_days for part in self.parts])
        if self.cost is None or not self.planned_days:
            return None
        return (self.cost * self.marked_days / self.planned_days).quantize(Decimal("0.01"))

    @property
    def cost_per_attended_session(self) -> Decimal | None:
        """The cost of the marked days over the sessions attended on them: None (see `why_no_cost_per_session`),
        never zero or infinite. Days passed with no marks yet count in neither."""
        cost = self.cost_of_marked_days
        if cost is None or not self.attended_on_marked_days:
            return None
        return (cost / self.attended_on_marked_days).quantize(Decimal("0.01"))

    @property
    def why_no_cost_per_session(self) -> str | None:
        """Why there is no cost per attended session: no cost recorded, or no (attended) sessions marked yet."""
        return _why(self.cost_of_marked_days, self.attended_on_marked_days)


_LINE_FIELDS = tuple(f.name for f in fields(PupilLine))

NO_COST = "no cost recorded"  # the agreement's cost (or the provider's daily rate) was never recorded
NO_SESSIONS = "no sessions yet"  # no attended session on a marked day yet: nothing to divide by


def _why(cost: Decimal | None, attended: int) -> str | None:
    if cost is None:
        return NO_COST
    return None if attended else NO_SESSIONS


def money_text(value: Decimal | None, why: str = NO_COST) -> str:
    """£1,234.50, a negative amount as -£36.43; `why` when there is no figure. The one format of every
    rendering of the report (text and HTML)."""
    if value is None:
        return why
    return f"-£{-value:,.2f}" if value < 0 else f"£{value:,.2f}"


def _sum(values: list[Decimal | None]) -> Decimal | None:
    """The sum, or None (missing, never zero) when any of the values is missing."""
    if any(value is None for value in values):
        return None
    return sum((value for value in values if value is not None), Decimal("0"))


def _direction(baseline: float, goal: float, latest: float | None) -> str:
    if latest is None:
        return "no measure yet"
    if latest == baseline:
        return "no change"
    towards = (latest - baseline) * (goal - baseline) > 0
    if towards and ((goal >= baseline and latest >= goal) or (goal < baseline and latest <= goal)):
        return "goal met"
    return "towards the goal" if towards else "away from the goal"


def _outcome(case: Case, today: dt.date) -> str:
    """How the pupil's placements ended: while one is open, the case's state (a pupil still at one provider is
    still placed when another placement ended); once all have ended, how the last to end did."""
    from apcli.model.status import status

    if case.placements and not case.open_placements:
        ending = max((p.ending for p in case.placements if p.ending), key=lambda e: e.date)
        return ending.outcome
    return {"active": "still placed", "notified": "not started", "commissioned": "not started"}.get(
        status(case, today), status(case, today)
    )


def placement_marks(
    case: Case, marks: list[tuple[dt.date, str, str]], placement: Placement
) -> list[tuple[dt.date, str, str]]:
    """Of the case's marks (`Records.sessions`), those that belong to `placement`: all of them when it is the
    only one, else those on its days and sessions (`placement_on`)."""
    if len(case.placements) == 1:
        return marks
    return [(d, s, c) for d, s, c in marks if placement_on(case, d, s) is placement]


def placement_line(
    records: Records, case_id: str, case: Case, placement: Placement, period: Period, today: dt.date
) -> PupilLine | None:
    """One placement's figures in the period, or None when it does not reach into the period. Days a change
    added are not counted until the parents have been given notice of them (attending_days)."""
    from apcli.model.status import placement_status

    last = last_day(placement)
    if last < period.start or placement.start > period.end:
        return None
    calendar = records.calendar
    window_end = min(last, period.end)
    provider = records.providers.get(placement.provider)
    # A day the provider recorded as a closure is not commissioned, nor elapsed: no cost is counted for it.
    commissioned = [d for d, s in expected_sessions(calendar, placement, window_end, provider) if d >= period.start]
    in_period = _marks_to(placement_marks(case, records.sessions(case_id), placement), period, today)
    planned = calendar.days_on(placement.start, placement.end, placement.weekdays)
    # The cost agreed is for every day of the terms; a day a change added counts (elapsed) only once notified.
    planned_days = len(planned)
    day = _plain(today)
    ahead = attending_days(calendar, placement, min(last, period.end, _later(day)), provider)
    passed = [d for d in ahead if period.start <= d <= day]
    elapsed_days = len(passed)
    marked = {(d, s): c for d, s, c in in_period}
    sessions = placement.session_names
    unmarked = sum((d, s) not in marked for d in passed for s in sessions)
    full_days = [d for d in passed if all((d, s) in marked for s in sessions)]
    on_full_days = summarise(marked[d, s] for d in full_days for s in sessions)
    days_in_period = len(set(commissioned))
    rate = provider.daily_cost * days_in_period if provider is not None else None
    terms_due = [
        t
        for t in calendar.file.terms
        if t.start <= min(window_end, today) and t.end >= max(placement.start, period.start)
    ]
    ending = placement.ending
    outcome = ending.outcome if ending is not None else _NOT_ENDED.get(placement_status(placement, today), "")
    length_days, school_later = _length(records, placement.start, last, day)
    return PupilLine(
        case=case_id,
        pupil=case.pupil.name,
        provider=placement.provider,
        start=placement.start,
        end=last,
        outcome=outcome,
        length_days=length_days,
        days_commissioned=days_in_period,
        sessions_commissioned=len(commissioned),
        summary=summarise(c for _, _, c in in_period),
        statutory=summarise((c for _, _, c in in_period), statutory=True),
        cost=placement.cost,
        cost_by_rate=rate,
        reviews_held=sum(period.start <= r.date <= period.end for r in case.reviews),
        reviews_due=len(terms_due),
        targets=[],
        planned_days=planned_days,
        elapsed_days=elapsed_days,
        placement=placement.id,
        marked_days=len(full_days),
        attended_on_marked_days=on_full_days.attended,
        unmarked_sessions=unmarked,
        provider_name=provider.name if provider is not None else placement.provider,
        later={
            "from": day.toordinal(),
            "days": [d.toordinal() for d in ahead if d > day and d >= period.start],
            "sessions": len(sessions),
            "school": school_later,
        },
    )


_NOT_ENDED = {"active": "still placed", "notified": "not started", "commissioned": "not started"}


def pupil_line(records: Records, case_id: str, case: Case, period: Period, today: dt.date) -> PupilLine | None:
    """The pupil's figures in the period: each placement's line, and their sums (sessions, days and costs
    summed over placements that ran alongside or one after another)."""
    parts = [
        line
        for placement in case.placements
        if (line := placement_line(records, case_id, case, placement, period, today)) is not None
    ]
    if not parts:
        return None
    calendar = records.calendar
    in_period = _marks_to(records.sessions(case_id), period, today)
    measures_by: dict[str, list[tuple[dt.date, float]]] = {}
    for m in sorted(case.measures, key=lambda m: m.date):
        if m.date <= period.end:
            measures_by.setdefault(m.measure, []).append((m.date, m.value))
    targets = []
    attendance_now = summarise(c for _, _, c in in_period).percent
    for t in case.targets:
        series = measures_by.get(t.measure, [])
        latest = series[-1][1] if series else (attendance_now if t.measure == "attendance" else None)
        targets.append(
            TargetLine(t.measure, t.baseline, t.goal, latest, _direction(t.baseline, t.goal, latest), series)
        )
    weekly: dict[dt.date, list[str]] = {}
    for d, _, c in in_period:
        weekly.setdefault(d - dt.timedelta(days=d.weekday()), []).append(c)
    start = min(part.start for part in parts)
    end = max(part.end for part in parts)
    window_end = min(end, period.end)
    terms_due = [
        t for t in calendar.file.terms if t.start <= min(window_end, today) and t.end >= max(start, period.start)
    ]
    day = _plain(today)
    length_days, school_later = _length(records, start, end, day)
    if isinstance(today, Today):
        today.narrow(day.toordinal(), _later(day).toordinal())  # moved on to those days, not worked out again
    return PupilLine(
        case=case_id,
        pupil=case.pupil.name,
        provider=", ".join(dict.fromkeys(part.provider for part in parts)),
        start=start,
        end=end,
        outcome=_outcome(case, today),
        length_days=length_days,
        days_commissioned=sum(part.days_commissioned for part in parts),
        sessions_commissioned=sum(part.sessions_commissioned for part in parts),
        summary=summarise(c for _, _, c in in_period),
        statutory=summarise((c for _, _, c in in_period), statutory=True),
        cost=_sum([part.cost for part in parts]),
        cost_by_rate=_sum([part.cost_by_rate for part in parts]),
        reviews_held=sum(period.start <= r.date <= period.end for r in case.reviews),
        reviews_due=len(terms_due),
        targets=targets,
        planned_days=sum(part.planned_days for part in parts),
        elapsed_days=sum(part.elapsed_days for part in parts),
        weekly=[(monday, summarise(codes).percent) for monday, codes in sorted(weekly.items())],
        parts=parts,
        marked_days=sum(part.marked_days for part in parts),
        attended_on_marked_days=sum(part.attended_on_marked_days for part in parts),
        unmarked_sessions=sum(part.unmarked_sessions for part in parts),
        provider_name=", ".join(dict.fromkeys(part.provider_name for part in parts)),
        contact_lapses=[
            (lapse.week, lapse.why) for lapse in case.contact_lapses if period.start <= lapse.week <= period.end
        ],
        later={"from": day.toordinal(), "school": school_later},
    )


# How many days on a line is moved on (`moved_on`) rather than worked out again: a school runs the report on
# any morning, and each school day passed adds to its days elapsed, its unmarked sessions and its length.
LATER = 31


def _later(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=LATER)


def _plain(today: dt.date) -> dt.date:
    """The date itself, where `today` notes what is compared with it (model/days.py): what is worked out from it
    here is worked out for the days after too (`PupilLine.later`), so it must not narrow the days it holds on."""
    return today.plain if isinstance(today, Today) else today


def _marks_to(marks: list[tuple[dt.date, str, str]], period: Period, today: dt.date) -> list[tuple[dt.date, str, str]]:
    """The marks (in date order) in the period up to today: found by bisection, so that a `today` noting its
    comparisons is compared with the marks nearest it, not with every mark. The line holds until the next mark."""
    dates = [d for d, _, _ in marks]
    return marks[bisect_left(dates, period.start) : bisect_right(dates, min(period.end, today))]


def _length(records: Records, start: dt.date, last: dt.date, day: dt.date) -> tuple[int, list[int]]:
    """The school days from `start` to `day` (up to `last`), and the ordinals of those after it up to LATER days
    on: the length on `day`, and what each later day adds to it."""
    calendar = records.calendar
    length = len(calendar.school_days_between(start, min(last, day))) if min(last, day) >= start else 0
    after = calendar.school_days_between(max(start, day + dt.timedelta(days=1)), min(last, _later(day)))
    return length, [d.toordinal() for d in after]


def moved_on(line: PupilLine, day: dt.date) -> PupilLine:
    """The line as it is on `day`, a day after the one it was worked out for and up to LATER days on, when
    nothing else has changed (the index keeps it for those days only): each attending day passed since is one
    more day elapsed with its sessions unmarked (no mark falls between: the line holds until the next mark), and
    each school day one more day of length."""
    later = line.later
    if not later or day.toordinal() <= later["from"]:
        return line
    ordinal = day.toordinal()
    length = line.length_days + bisect_right(later["school"], ordinal)
    if line.parts:
        parts = [moved_on(part, day) for part in line.parts]
        return replace(
            line,
            parts=parts,
            length_days=length,
            elapsed_days=sum(part.elapsed_days for part in parts),
            unmarked_sessions=sum(part.unmarked_sessions for part in parts),
        )
    passed = bisect_right(later["days"], ordinal)
    return replace(
        line,
        length_days=length,
        elapsed_days=line.elapsed_days + passed,
        unmarked_sessions=line.unmarked_sessions + passed * later["sessions"],
    )


@dataclass
class Totals:
    label: str
    pupils: int
    days_commissioned: int
    summary: Summary
    cost: Decimal
    missing_costs: int
    cost_to_date: Decimal
    statutory: Summary = field(default_factory=lambda: Summary(0, 0, 0, 0, 0))
    cost_of_marked_days: Decimal = Decimal("0")  # over the placements whose cost is recorded
    attended_on_marked_days: int = 0  # over the same placements
    unmarked_sessions: int = 0
    placements: int = 0
    name: str = ""  # a provider's totals: its name (the label is its id); the school's: the school's name

    @property
    def cost_per_attended_session(self) -> Decimal | None:
        """The cost of the marked days over the sessions attended at the provider on them (what was bought),
        both over the placements whose cost is recorded."""
        if not self.attended_on_marked_days:
            return None
        return (self.cost_of_marked_days / self.attended_on_marked_days).quantize(Decimal("0.01"))

    @property
    def why_no_cost_per_session(self) -> str | None:
        if self.attended_on_marked_days:
            return None
        return NO_COST if self.missing_costs == self.placements and self.placements else NO_SESSIONS


SUMMARY_FIELDS = ("possible", "attended", "authorised", "unauthorised", "not_possible", "dual_registered")


def totals(label: str, lines: Iterable[PupilLine], name: str = "") -> Totals:
    """The sums over pupils' lines (or placements' lines), each placement counted once."""
    tally = Tally()
    for line in lines:
        tally.add(line)
    return tally.totals(label, name)


def combined(label: str, parts: list[Totals]) -> Totals:
    """Several schools' totals as one (a trust's view). Each school numbers its own cases (AP-2026-001 and on),
    so the pupils are added up, never matched by case id: the same id at two schools is two pupils."""

    def summary(figure: str) -> Summary:
        return Summary(*(sum(getattr(getattr(t, figure), name) for t in parts) for name in SUMMARY_FIELDS))

    def count(name: str) -> int:
        return sum(getattr(t, name) for t in parts)

    def money(name: str) -> Decimal:
        return sum((getattr(t, name) for t in parts), Decimal("0"))

    return Totals(
        label,
        count("pupils"),
        count("days_commissioned"),
        summary("summary"),
        money("cost"),
        count("missing_costs"),
        money("cost_to_date"),
        summary("statutory"),
        money("cost_of_marked_days"),
        count("attended_on_marked_days"),
        count("unmarked_sessions"),
        count("placements"),
        label,
    )


class Tally:
    """Totals summed as the lines come, one at a time: a report of 20,000 pupils need not hold them all."""

    def __init__(self) -> None:
        self.cases: set[str] = set()
        self.days = self.missing = self.attended_on_marked_days = self.unmarked = self.placements = 0
        self.summary, self.statutory = [0] * len(SUMMARY_FIELDS), [0] * len(SUMMARY_FIELDS)
        self.cost = self.cost_to_date = self.cost_of_marked_days = Decimal("0")

    def add(self, line: PupilLine) -> None:
        """A pupil's line (its placements' parts, each counted once) or a placement's."""
        self.cases.add(line.case)
        for part in line.parts or [line]:
            self.placements += 1
            self.days += part.days_commissioned
            self.unmarked += part.unmarked_sessions
            for index, name in enumerate(SUMMARY_FIELDS):
                self.summary[index] += getattr(part.summary, name)
                self.statutory[index] += getattr(part.statutory, name)
            if part.cost is None:
                self.missing += 1
                continue
            self.cost += part.cost_in_period if part.cost_in_period is not None else 0
            self.cost_to_date += part.cost_to_date if part.cost_to_date is not None else 0
            self.cost_of_marked_days += part.cost_of_marked_days if part.cost_of_marked_days is not None else 0
            self.attended_on_marked_days += part.attended_on_marked_days

    def totals(self, label: str, name: str = "") -> Totals:
        return Totals(
            label,
            len(self.cases),
            self.days,
            Summary(*self.summary),
            self.cost,
            self.missing,
            self.cost_to_date,
            Summary(*self.statutory),
            self.cost_of_marked_days,
            self.attended_on_marked_days,
            self.unmarked,
            self.placements,
            name or label,
        )


# How much of a kept line is read back: "tables", all but its details (`_DETAILS`, the targets' measures): what
# the totals sum and the text report shows; "all", the whole line.
Detail = Literal["tables", "all"]


class Lines(Collection["PupilLine"]):
    """A report's pupils' lines, given again each time they are gone through (the pupils' table, the
    targets', the lapses'): read back one at a time from ap's index, so that a report of 20,000 pupils never
    holds them all (`Results.again`)."""

    def __init__(self, count: int, read: Callable[[Detail], Iterator[PupilLine]]) -> None:
        self.count = count
        self.read = read

    def __iter__(self) -> Iterator[PupilLine]:
        return self.read("all")

    def __len__(self) -> int:
        return self.count

    def __contains__(self, line: object) -> bool:
        return any(line == mine for mine in self)


def for_tables(pupils: Collection[PupilLine]) -> Iterable[PupilLine]:
    """The lines as the text report's tables show them: read back without their weeks and their targets'
    measures (a sixth of its second run), where they are read back; as they are where they are held."""
    return pupils.read("tables") if isinstance(pupils, Lines) else pupils


@dataclass
class Report:
    school: str
    period: Period
    pupils: Collection[PupilLine]
    by_provider: list[Totals]
    total: Totals
    root: Path | None = None  # the records folder it was made from (an output file must not land in its cases/)
    # The widest cell of each column of the pupils' and the targets' tables (`pupil_cells`, `target_cells`), so
    # that they are written as the lines are read back, never all held.
    widths: list[int] = field(default_factory=lambda: [0] * len(PUPIL_HEADINGS))
    target_widths: list[int] = field(default_factory=lambda: [0] * len(TARGET_HEADINGS))


def build_report(records: Records, period: Period, today: dt.date) -> Report:
    """The report: each pupil's line from the index where its files have not changed and it holds today
    (apcli/records/index.py), else worked out from the files and kept. The totals are summed as the lines
    come; the lines themselves are read back from the index when the report is written (`Lines`)."""

    def compute(loaded: LoadedCase, day: dt.date) -> dict[str, Any] | None:
        line = pupil_line(records, loaded.id, loaded.case, period, day)
        return None if line is None else kept_line(line)

    results = records.index.results(f"report:{period.start}:{period.end}")
    name = records.index.of_base("school", lambda: records.settings.school.name)  # before `each` commits
    school, by_provider, names = Tally(), dict[str, Tally](), dict[str, str]()
    ids, held = [], {}  # held: the lines the index could not keep (it cannot be used, say), as they were
    widths, target_widths = Widest(len(PUPIL_HEADINGS)), Widest(len(TARGET_HEADINGS))  # headings: `aligned`'s
    for case_id, kept in records.index.each(results.kind, today, compute, results=results):
        if isinstance(kept, BaseException):
            raise kept  # the report is of every case: a case that cannot be read stops it, as it always has
        if kept is None:
            continue
        ids.append(case_id)
        if results.states.get(case_id) is None:
            held[case_id] = kept
        line = line_from_kept(kept, today, "tables")
        widths.add(pupil_cells(line))
        for target in line.targets:
            target_widths.add(target_cells(line.case, target))
        school.add(line)
        for part in line.parts:
            by_provider.setdefault(part.provider, Tally()).add(part)
            names[part.provider] = part.provider_name

    def read(detail: Detail) -> Iterator[PupilLine]:
        for case_id in ids:
            kept = held[case_id] if case_id in held else results.again(case_id, today, compute)
            yield line_from_kept(kept, today, detail)

    return Report(
        name,
        period,
        Lines(len(ids), read),
        [by_provider[p].totals(p, names[p]) for p in sorted(by_provider)],
        school.totals("school", name),
        records.root,
        widths.widths(),
        target_widths.widths(),
    )


class Widest:
    """The widest cell of each column of the rows added, measured a thousand rows at a time (by `zip` and `map`,
    which run in C: row by row in Python was an eighth of a report's second run), never holding more."""

    def __init__(self, columns: int) -> None:
        self._widths = [0] * columns
        self._rows: list[tuple[str, ...]] = []

    def add(self, row: tuple[str, ...]) -> None:
        self._rows.append(row)
        if len(self._rows) == 1000:
            self._measure()

    def widths(self) -> list[int]:
        self._measure()
        return self._widths

    def _measure(self) -> None:
        if self._rows:
            columns = zip(*self._rows, strict=True)
            self._widths = [max(width, *map(len, column)) for width, column in zip(self._widths, columns, strict=True)]
            self._rows.clear()


# What no total sums, no column width needs and the text report does not show, with the targets' measures: kept
# as one JSON text inside the line's, decoded only for the whole line (most of a line).
_DETAILS = ("weekly",)


def kept_line(line: PupilLine) -> dict[str, Any]:
    """A pupil's line as the index keeps it (JSON): dates as ISO text, money as decimal text; its details (the
    weeks and the targets' measures) as JSON text of their own."""
    kept = {name: _kept(getattr(line, name)) for name in _LINE_FIELDS if name not in _DETAILS}
    details = {name: _kept(getattr(line, name)) for name in _DETAILS}
    details["measures"] = [target.pop("measures") for target in kept["targets"]]
    kept["details"] = json.dumps(details)
    return kept


def _kept(value: Any) -> Any:
    if isinstance(value, PupilLine):
        return kept_line(value)
    if isinstance(value, Summary | TargetLine):
        return {name: _kept(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [_kept(item) for item in value]
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def line_from_kept(data: dict[str, Any], day: dt.date | None = None, detail: Detail = "all") -> PupilLine:
    """A pupil's line read back from the index: the exact line `kept_line` was given (all of it, or the part
    `detail` names), moved on to `day` where given (`moved_on`)."""
    line = _from_kept(data, detail)
    return line if day is None else moved_on(line, day)


def _from_kept(data: dict[str, Any], detail: Detail) -> PupilLine:
    day, money = dt.date.fromisoformat, _decimal_or_none
    fields = dict(data)
    details = fields.pop("details")
    fields.update(
        start=day(data["start"]),
        end=day(data["end"]),
        summary=Summary(**data["summary"]),
        statutory=Summary(**data["statutory"]),
        cost=money(data["cost"]),
        cost_by_rate=money(data["cost_by_rate"]),
        parts=[_from_kept(part, detail) for part in data["parts"]],
    )
    fields["contact_lapses"] = [(day(week), why) for week, why in data["contact_lapses"]]
    if detail == "tables":
        fields.update(targets=[TargetLine(**t, measures=[]) for t in data["targets"]], weekly=[])
        return PupilLine(**fields)
    more = json.loads(details)
    fields.update(
        targets=[
            TargetLine(**t, measures=[(day(d), value) for d, value in measures])
            for t, measures in zip(data["targets"], more["measures"], strict=True)
        ],
        weekly=[(day(monday), percent) for monday, percent in more["weekly"]],
    )
    return PupilLine(**fields)


def _decimal_or_none(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def pupil_money_cells(p: PupilLine) -> list[tuple[str, str]]:
    """The money columns of a pupil's row, (heading, cell), as the text and the HTML both show them: the
    period's cost (never the whole agreement's), the daily rate's, their difference, cost per attended session."""
    return [
        ("cost in period", money_text(p.cost_in_period)),
        ("by daily rate", money_text(p.cost_by_rate)),
        ("difference", money_text(p.cost_difference)),
        ("per attended session", money_text(p.cost_per_attended_session, p.why_no_cost_per_session or NO_COST)),
        ("unmarked sessions", str(p.unmarked_sessions)),
    ]


def totals_money_cells(t: Totals) -> list[tuple[str, str]]:
    """The money columns of a totals row, (heading, cell), for the text and the HTML."""
    return [
        ("cost (known)", money_text(t.cost)),
        (NO_COST, str(t.missing_costs)),
        ("per attended session", money_text(t.cost_per_attended_session, t.why_no_cost_per_session or NO_COST)),
        ("unmarked sessions", str(t.unmarked_sessions)),
    ]


PUPIL_MONEY_HEADINGS = ("cost in period", "by daily rate", "difference", "per attended session", "unmarked sessions")
# The pupils' table as the text report shows it (`pupil_cells`).
PUPIL_HEADINGS: tuple[str, ...] = (
    "case", "pupil", "provider", "days", "possible at provider", "attended at provider", "% at provider",
    "% statutory (school register)", *PUPIL_MONEY_HEADINGS, "reviews held/due", "outcome", "length (school days)",
)  # fmt: skip


def pupil_cells(p: PupilLine) -> tuple[str, ...]:
    """A pupil's row of the text report (`PUPIL_HEADINGS`): from its figures alone, so that the column widths
    are known from the pass that sums the totals, and the rows can be written as they are read back."""
    return (
        p.case, p.pupil, p.provider_name or p.provider, str(p.days_commissioned), str(p.summary.possible),
        str(p.summary.attended), percent_text(p.summary.percent), statutory_text(p.statutory),
        *(cell for _, cell in pupil_money_cells(p)), f"{p.reviews_held}/{p.reviews_due}", p.outcome,
        str(p.length_days),
    )  # fmt: skip


TARGET_HEADINGS: tuple[str, ...] = ("case", "target", "baseline", "goal", "latest", "direction")


def target_cells(case: str, t: TargetLine) -> tuple[str, ...]:
    """A target's row of the text report (`TARGET_HEADINGS`)."""
    latest = "-" if t.latest is None else f"{t.latest:g}"
    return case, t.measure, f"{t.baseline:g}", f"{t.goal:g}", latest, t.direction


def percent_text(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def statutory_text(summary: Summary) -> str:
    """The school register's figure: its percent, with its sessions (D sessions left out of both)."""
    return f"{percent_text(summary.percent)} ({summary.attended}/{summary.possible})"


TOTALS_MONEY_HEADINGS = ("cost (known)", NO_COST, "per attended session", "unmarked sessions")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def figures_json(at_provider: Summary, statutory: Summary) -> dict[str, Any]:
    """Both figures, each named: the top-level possible/attended/percent stay the figure at the provider."""
    from apcli.model.attendance import AT_PROVIDER_LABEL, STATUTORY_LABEL, summary_json

    return {
        "figure": AT_PROVIDER_LABEL,
        "at_provider": {"label": AT_PROVIDER_LABEL, **summary_json(at_provider)},
        "statutory": {"label": STATUTORY_LABEL, **summary_json(statutory)},
    }


def totals_json(t: Totals) -> dict[str, Any]:
    return {
        "label": t.label,
        "name": t.name,
        "pupils": t.pupils,
        "days_commissioned": t.days_commissioned,
        "possible": t.summary.possible,
        "attended": t.summary.attended,
        "percent": t.summary.percent,
        **figures_json(t.summary, t.statutory),
        "cost": _money(t.cost),
        "missing_costs": t.missing_costs,
        "no_cost_recorded": t.missing_costs,
        "cost_of_marked_days": _money(t.cost_of_marked_days),
        "attended_on_marked_days": t.attended_on_marked_days,
        "unmarked_sessions": t.unmarked_sessions,
        "cost_per_attended_session": _money(t.cost_per_attended_session),
        "cost_per_attended_session_why_none": t.why_no_cost_per_session,
    }


def _line_json(p: PupilLine, names: bool) -> dict[str, Any]:
    return {
        "case": p.case,
        **({"pupil": p.pupil} if names else {}),
        "provider": p.provider,
        "provider_name": p.provider_name,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "outcome": p.outcome,
        "length_days": p.length_days,
        "days_commissioned": p.days_commissioned,
        "sessions_commissioned": p.sessions_commissioned,
        "possible": p.summary.possible,
        "attended": p.summary.attended,
        "percent": p.summary.percent,
        **figures_json(p.summary, p.statutory),
        "cost": _money(p.cost),  # the whole agreement's, as before; the period's is cost_in_period
        "cost_agreed": _money(p.cost),
        "cost_by_rate": _money(p.cost_by_rate),
        "cost_difference": _money(p.cost_difference),
        "cost_in_period": _money(p.cost_in_period),
        "cost_to_date": _money(p.cost_to_date),
        "cost_of_marked_days": _money(p.cost_of_marked_days),
        "marked_days": p.marked_days,
        "attended_on_marked_days": p.attended_on_marked_days,
        "unmarked_sessions": p.unmarked_sessions,
        "cost_per_attended_session": _money(p.cost_per_attended_session),
        "cost_per_attended_session_why_none": p.why_no_cost_per_session,
        "cost_why_none": None if p.cost is not None else NO_COST,
        "reviews_held": p.reviews_held,
        "reviews_due": p.reviews_due,
        **(
            {"contact_lapses": [{"week": week.isoformat(), "why": why} for week, why in p.contact_lapses]}
            if p.contact_lapses
            else {}
        ),
    }


def report_json(report: Report, names: bool = True, stream: bool = False) -> dict[str, Any]:
    """The report as JSON data. `stream`: its pupils as a `Streamed` list, made one at a time as it is written
    (`print_json`), so that a report of 20,000 pupils is never held whole."""
    total = totals_json
    return {
        "school": report.school,
        "period": {
            "from": report.period.start.isoformat(),
            "to": report.period.end.isoformat(),
            "label": report.period.label,
        },
        "pupils": Streamed(len(report.pupils), lambda: (_pupil_json(p, names) for p in report.pupils))
        if stream
        else [_pupil_json(p, names) for p in report.pupils],
        "providers": [total(t) for t in report.by_provider],
        "total": total(report.total),
    }


def _pupil_json(p: PupilLine, names: bool) -> dict[str, Any]:
    targets = [
        {"measure": t.measure, "baseline": t.baseline, "goal": t.goal, "latest": t.latest, "direction": t.direction}
        for t in p.targets
    ]
    placements = [{"placement": part.placement, **_line_json(part, names)} for part in p.parts]
    return {**_line_json(p, names), "targets": targets, "placements": placements}


class Streamed(list[Any]):
    """A list JSON writes item by item as `read()` makes them (json's encoder iterates a list it is given), never
    held whole; its length is known beforehand. Compared by its items; to be gone through, not indexed."""

    def __init__(self, count: int, read: Callable[[], Iterator[Any]]) -> None:
        super().__init__()
        self.length = count
        self.read = read

    def __iter__(self) -> Iterator[Any]:
        return self.read()

    def __len__(self) -> int:
        return self.length

    def __bool__(self) -> bool:
        return self.length > 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and list(iter(self)) == list(iter(other))

    def __ne__(self, other: object) -> bool:
        return not self == other
