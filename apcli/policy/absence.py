"""Due rules about absence and providers: the provider's refusal of the pupil, unauthorised absence reaching the
school's threshold, and a provider's safeguarding confirmations running out."""

from __future__ import annotations

import bisect
import calendar as months
import datetime as dt

from apcli.model import codes
from apcli.model.status import placement_status
from apcli.policy.base import CaseContext, Finding

MEETING_SCHOOL_DAYS = 5  # a meeting the policy says "will be convened", with no time given: within a school week
OFFICER_SCHOOL_DAYS = 5
RECONFIRM_DAYS_BEFORE = 30
OPEN_STATES = ("commissioned", "notified", "active")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _after_school_days(context: CaseContext, day: dt.date, count: int) -> dt.date:
    return context.records.calendar.school_day_after(day, count) or day + dt.timedelta(days=count)


def _window(context: CaseContext) -> tuple[dt.date, dt.date] | None:
    from apcli.model.attendance import last_day

    placement = context.placement
    if placement is None or not placement.notices or placement.start > context.today:
        return None
    return placement.start, min(context.today, last_day(placement))


def excluded_meeting(context: CaseContext) -> list[Finding]:
    """Each day the provider refused the pupil makes the exclusion-from-AP meeting due, until a meeting of kind
    exclusion on or after that day is recorded."""
    window = _window(context)
    if window is None:
        return []
    refused = sorted({a.date for a in context.case.absences if a.excluded_by_provider})
    meetings = [m.date for m in context.case.meetings if m.kind == "exclusion"]
    return [
        Finding(
            "EXCLUDED-FROM-AP-MEETING",
            f"the provider excluded the pupil on {day}: convene the meeting of the academy, the provider and "
            "the family (ap meeting --kind exclusion)",
            'ap meeting CASE --kind exclusion --date D --present "Name (parent)" --present "Name (provider)" '
            '--present "Name (senco)"',
            ("meetings",),
            _after_school_days(context, day, MEETING_SCHOOL_DAYS),
        )
        for day in refused
        if window[0] <= day <= window[1] and not any(held >= day for held in meetings)
    ]


def _school_mondays(context: CaseContext) -> list[dt.date]:
    return sorted({_monday(day) for day in context.records.calendar.school_days})


def threshold_reached(context: CaseContext, until: dt.date) -> list[tuple[dt.date, int]]:
    """Each day the pupil's unauthorised sessions reached the threshold within the rolling period of school
    weeks, with the count. Once reached, those sessions are spent: the next reaching counts only later ones."""
    settings = context.records.settings
    needed, weeks = settings.unauthorised_sessions_threshold, settings.unauthorised_school_weeks
    mondays = _school_mondays(context)
    sessions = [
        day for day, _, code in context.records.sessions(context.case_id) if code in codes.UNAUTHORISED and day <= until
    ]
    reached: list[tuple[dt.date, int]] = []
    first = 0  # the first session not yet spent
    for index, day in enumerate(sessions):
        week = bisect.bisect_right(mondays, _monday(day)) - 1
        since = mondays[max(0, week - weeks + 1)] if week >= 0 else _monday(day)
        while first < index and sessions[first] < since:
            first += 1
        count = index - first + 1
        if count >= needed:
            reached.append((day, count))
            first = index + 1
    return reached


def unauthorised(context: CaseContext) -> list[Finding]:
    """Reaching the threshold of unauthorised sessions makes an attendance-officer action due, recorded as a
    meeting of kind attendance-concern with the attendance officer present, on or after the day."""
    window = _window(context)
    if window is None:
        return []
    settings = context.records.settings
    acted = [
        m.date
        for m in context.case.meetings
        if m.kind == "attendance-concern" and "attendance" in {p.role for p in m.present}
    ]
    return [
        Finding(
            "ATT-UNAUTHORISED",
            f"{count} unauthorised sessions (G, N, O, U) by {day}, the school's threshold of "
            f"{settings.unauthorised_sessions_threshold} in {settings.unauthorised_school_weeks} school weeks: "
            "the attendance officer acts as for absence from the academy (ap meeting --kind attendance-concern "
            "with the attendance officer present)",
            'ap meeting CASE --kind attendance-concern --date D --present "Name (attendance)" '
            '--present "Name (parent)" --outcome "..."',
            ("meetings",),
            _after_school_days(context, day, OFFICER_SCHOOL_DAYS),
        )
        for day, count in threshold_reached(context, window[1])
        if not any(held >= day for held in acted)
    ]


def add_months(day: dt.date, count: int) -> dt.date:
    """The same day `count` months on (the month's last day where it is shorter)."""
    month = day.month - 1 + count
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, months.monthrange(year, month)[1]))


CONFIRMATIONS = (
    ("safeguarding_confirmed", "its confirmation that it follows the academy's safeguarding policy", "--safeguarding"),
    ("staff_checks_confirmed", "its written confirmation that staff checks were done", "--staff-checks"),
)


def expiry(confirmed: dt.date, months_valid: int) -> dt.date:
    """The first day a confirmation given on `confirmed` is no longer valid."""
    return add_months(confirmed, months_valid)


def expired(context: CaseContext, provider_id: str, on: dt.date) -> list[str]:
    """Which of the provider's confirmations have run out on `on` (with when they were given)."""
    provider = context.records.providers.get(provider_id)
    if provider is None:
        return []
    valid = context.records.settings.provider_confirmation_months
    found = []
    for field, what, _ in CONFIRMATIONS:
        given: dt.date | None = getattr(provider, field)
        if given is not None and expiry(given, valid) <= on:
            found.append(f"{what} (given {given}, valid {valid} months, ran out on {expiry(given, valid)})")
    return found


def reconfirm(context: CaseContext) -> list[Finding]:
    """A provider with an open placement is asked to confirm again from 30 days before a confirmation runs out.
    The item is the provider's: `ap review due` shows it once, however many pupils are placed there."""
    placement = context.placement
    if placement is None or placement_status(placement, context.today) not in OPEN_STATES:
        return []
    provider = context.records.providers.get(placement.provider)
    if provider is None:
        return []
    valid = context.records.settings.provider_confirmation_months
    findings = []
    for field, what, option in CONFIRMATIONS:
        given: dt.date | None = getattr(provider, field)
        if given is None:
            continue
        ends = expiry(given, valid)
        if context.today < ends - dt.timedelta(days=RECONFIRM_DAYS_BEFORE):
            continue
        findings.append(
            Finding(
                "PROVIDER-RECONFIRM",
                f"provider {placement.provider}: ask it to confirm again {what} (given {given}, valid "
                f"{valid} months, runs out on {ends}), then record it (ap provider confirm)",
                f"ap provider confirm {placement.provider} {option} D",
                ("providers", placement.provider),
                ends - dt.timedelta(days=1),
            )
        )
    return findings
