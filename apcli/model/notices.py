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
    from apcli.model.calendar import SchoolCalendar
    from apcli.model.schema import Case, Placement, Sessions
    from apcli.records.store import Records


def school_days_of_notice(calendar: SchoolCalendar, notice_date: dt.date, start: dt.date) -> int:
    """School days from the notice date up to the first day, the first day not counted."""
    return calendar.count_school_days(notice_date, start - dt.timedelta(days=1))


def latest_notice_date(calendar: SchoolCalendar, start: dt.date, needed: int) -> dt.date | None:
    """The last date a notice could be given for this first day: the `needed`-th school day before it."""
    return calendar.school_day_before(start, needed)


def earliest_start(calendar: SchoolCalendar, notice_date: dt.date, needed: int, weekdays: list[str]) -> dt.date | None:
    """The first day a notice given on `notice_date` allows, on one of the placement's weekdays."""
    from apcli.model.schema import weekday_numbers

    wanted = weekday_numbers(weekdays)
    days = calendar.school_days
    first = bisect.bisect_left(days, notice_date)
    return next((day for day in days[first + needed :] if day.weekday() in wanted), None)


def in_time(calendar: SchoolCalendar, notice_date: dt.date, start: dt.date, needed: int) -> bool:
    """Whether a notice on `notice_date` gives `needed` school days before `start`: it does up to the latest
    date, and not after (so the answer rests on one comparison of the date: apcli/model/days.py)."""
    latest = latest_notice_date(calendar, start, needed)
    return latest is not None and notice_date <= latest


def placement_days(calendar: SchoolCalendar, placement: Placement) -> list[dt.date]:
    return calendar.days_on(placement.start, placement.end, placement.weekdays)


def session_lines(sessions: Sessions, attends: str = "both") -> list[tuple[str, str]]:
    """The session times as a notice states them (reg 3(4)): of the sessions the pupil attends (a placement
    of mornings only is told the morning's times, never the afternoon's)."""
    if sessions.single:
        return [("The session starts", str(sessions.start)), ("The session ends", str(sessions.end))]
    if attends == "am":
        return [("The morning session starts", str(sessions.morning_start)),
                ("The morning session ends", str(sessions.break_start))]  # fmt: skip
    if attends == "pm":
        return [("The afternoon session starts", str(sessions.break_end)),
                ("The afternoon session ends", str(sessions.afternoon_end))]  # fmt: skip
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
    method: str | None = None  # how they want letters, where the case records it
    title: str | None = None  # Ms, Mr, Dr ...: the salutation is "Dear Ms Surname"

    @property
    def address_lines(self) -> list[str]:
        return [part.strip() for part in (self.address or "").replace("\n", ",").split(",") if part.strip()]

    def method_for(self, given: str | None) -> str:
        """How a letter goes to them: the method given for this letter, else their own, else post."""
        return given or self.method or "post"


def ehc_local_authority(case: Case, records: Records) -> tuple[str | None, str | None]:
    """The LA that maintains the pupil's EHC plan, and its address: the case's, else the settings' LA."""
    if case.ehc_la is not None:
        return case.ehc_la.name, case.ehc_la.address
    school = records.settings.school
    return school.local_authority, school.local_authority_address


def recipients(case: Case, records: Records) -> list[Recipient]:
    """Each parent within Education Act 1996 s576 (parental responsibility, or care of the child), and the LA
    that maintains the plan where the pupil has an EHC plan."""
    found = [
        Recipient(c.name, c.relationship, c.address, c.email, method=c.method, title=c.title)
        for c in case.contacts
        if c.is_parent
    ]
    la, address = ehc_local_authority(case, records)
    if case.pupil.send == "ehc-plan" and la:
        found.append(Recipient(la, "local authority", address, None, True))
    return found


def not_had_notice(case: Case, placement: Placement, records: Records) -> list[Recipient]:
    """The recipients the placement's current notice (or a copy of it) has not reached: a parent or carer added
    since it was given, say. Empty while a notice is owed (the next one goes to everyone) or once it ended."""
    from apcli.model.status import current_notice

    notice = current_notice(placement) if placement.ending is None else None
    if notice is None:
        return []
    reached = {name.casefold() for name in notice.reached}
    return [r for r in recipients(case, records) if r.name.casefold() not in reached]


def missing_means(recipient: Recipient, method: str) -> str | None:
    if method == "post" and not recipient.address_lines:
        return f"no postal address for {recipient.name}"
    if method == "email" and not recipient.email and not recipient.is_la:
        return f"no email address for {recipient.name}"
    return None
