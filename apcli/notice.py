"""The notice to parents: its deadline on the school calendar, and what it must say.

SI 2010/1156 reg 3(2): the notice is given "not less than two school days before
the relevant day" (the first school day the pupil must attend off site). The
notice date counts when it is a school day; the first day does not: a notice on
Thursday for Monday gives Thursday and Friday, so it is in time.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apcli.models import Case, Placement, Sessions
    from apcli.schoolcal import SchoolCalendar
    from apcli.store import Records


def school_days_of_notice(calendar: SchoolCalendar, notice_date: dt.date, start: dt.date) -> int:
    """School days from the notice date up to the first day, the first day not counted."""
    return calendar.count_school_days(notice_date, start - dt.timedelta(days=1))


def latest_notice_date(calendar: SchoolCalendar, start: dt.date, needed: int) -> dt.date | None:
    """The last date a notice could be given for this first day: the `needed`-th school day before it."""
    return calendar.school_day_before(start, needed)


def earliest_start(calendar: SchoolCalendar, notice_date: dt.date, needed: int, weekdays: list[str]) -> dt.date | None:
    """The first day a notice given on `notice_date` allows, on one of the placement's weekdays."""
    from apcli.models import weekday_numbers

    wanted = weekday_numbers(weekdays)
    days = calendar.school_days
    first = bisect.bisect_left(days, notice_date)
    return next((day for day in days[first + needed :] if day.weekday() in wanted), None)


def in_time(calendar: SchoolCalendar, notice_date: dt.date, start: dt.date, needed: int) -> bool:
    return notice_date <= start and school_days_of_notice(calendar, notice_date, start) >= needed


def placement_days(calendar: SchoolCalendar, placement: Placement) -> list[dt.date]:
    return calendar.days_on(placement.start, placement.end, placement.weekdays)


def session_lines(sessions: Sessions) -> list[tuple[str, str]]:
    """The session times as a notice states them (reg 3(4))."""
    if sessions.single:
        return [("The session starts", str(sessions.start)), ("The session ends", str(sessions.end))]
    return [
        ("The morning session starts", str(sessions.morning_start)),
        ("The break between sessions starts", str(sessions.break_start)),
        ("The break ends", str(sessions.break_end)),
        ("The afternoon session ends", str(sessions.afternoon_end)),
    ]


@dataclass(frozen=True)
class Recipient:
    name: str
    relationship: str
    address: str | None
    email: str | None
    is_la: bool = False

    @property
    def address_lines(self) -> list[str]:
        return [part.strip() for part in (self.address or "").replace("\n", ",").split(",") if part.strip()]


def recipients(case: Case, records: Records) -> list[Recipient]:
    """Each parent or carer with parental responsibility, and the LA where the pupil has an EHC plan."""
    found = [Recipient(c.name, c.relationship, c.address, c.email) for c in case.contacts if c.parental_responsibility]
    school = records.settings.school
    if case.pupil.send == "ehc-plan" and school.local_authority:
        found.append(Recipient(school.local_authority, "local authority", school.local_authority_address, None, True))
    return found


def missing_means(recipient: Recipient, method: str) -> str | None:
    if method == "post" and not recipient.address_lines:
        return f"no postal address for {recipient.name}"
    if method == "email" and not recipient.email and not recipient.is_la:
        return f"no email address for {recipient.name}"
    return None
