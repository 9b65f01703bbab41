"""Checks of the notice to parents (NOTICE-*), run by `ap notice`, `ap show` and `ap check`.

Before a notice is given they look at the notice that would be given today
(by post), so `ap show` can say whether a notice today is still in time.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from apcli.model.notices import (
    Recipient,
    earliest_start,
    ehc_local_authority,
    in_time,
    latest_notice_date,
    missing_means,
    not_had_notice,
    placement_days,
    recipients,
    school_days_of_notice,
)
from apcli.model.status import current_notice, notice_owed_from
from apcli.policy.base import CaseContext, Finding

if TYPE_CHECKING:
    from apcli.model.schema import School


def _pending(context: CaseContext) -> tuple[dt.date, str]:
    """The date and method of the notice for the placement as it stands: recorded, or as if given today by post."""
    notice = current_notice(context.placement) if context.placement else None
    return (notice.date, notice.method) if notice else (context.today, "post")


def _judged_day(context: CaseContext) -> dt.date | None:
    """The first day the notice must come before: the one still owed, or the one the current notice was for."""
    placement = context.placement
    if placement is None:
        return None
    owed = notice_owed_from(placement)
    if owed is not None:
        return owed
    notice = current_notice(placement)
    return (notice.first_day or notice.start) if notice else None


def _for_what(context: CaseContext, day: dt.date) -> str:
    placement = context.placement
    return "the first day" if placement is None or day == placement.start else "the first day the change affects"


def in_writing(context: CaseContext) -> list[Finding]:
    case, records, placement = context.case, context.records, context.placement
    if placement is None or placement.ending is not None:
        return []
    owed = notice_owed_from(placement)
    if owed is not None and owed <= context.today:
        what = (
            "the placement started" if owed == placement.start and not placement.notices else "the change took effect"
        )
        return [
            Finding(
                "NOTICE-IN-WRITING",
                f"{what} on {owed} without a notice in writing to the parents",
                "ap notice CASE (and move the start with ap placement, or ap change once notified, if it is too late)",
                ("placement", "start"),
            )
        ]
    people = recipients(case, records)
    if not [r for r in people if not r.is_la]:
        return [
            Finding(
                "NOTICE-IN-WRITING",
                "no parent or carer is recorded (a person with parental responsibility, or who has care of the "
                "child: Education Act 1996 s576), so there is no one to give notice to",
                'ap parent CASE --name N --relationship R [--cares-for-child] --address "..."',
                ("contacts",),
            )
        ]
    # Each recipient by the method the notice went to them (or, before it is given, their own, else post); the
    # means of anyone added since the notice are NOTICE-EVERY-PARENT's concern, when their copy is given.
    notice = current_notice(placement)
    ways: list[tuple[Recipient, str]]
    if notice is not None:
        given = {name.casefold() for name in notice.to}
        ways = [(r, notice.method_for(r.name)) for r in people if r.name.casefold() in given]
    else:
        ways = [(r, r.method_for(None)) for r in people]
    gaps: dict[str, list[str]] = {}
    for r, way in ways:
        if gap := missing_means(r, way):
            gaps.setdefault(way, []).append(gap)
    return [
        Finding(
            "NOTICE-IN-WRITING",
            f"a notice by {way} cannot be sent: {'; '.join(found)}",
            "add it to the contact in the case file (ap edit CASE), or give their method (ap parent --method), "
            "or choose --method hand",
            ("contacts",),
        )
        for way, found in gaps.items()
    ]


def deadline(context: CaseContext) -> list[Finding]:
    records, placement = context.records, context.placement
    start = _judged_day(context)
    if placement is None or start is None or placement.ending is not None:
        return []
    calendar = records.calendar
    first = _for_what(context, start)
    why_not = calendar.why_not_school_day(start)
    if why_not:
        return [
            Finding(
                "NOTICE-DEADLINE",
                f"{first}, {start}, is not a school day: it is {why_not}",
                "ap placement CASE ... --start D (a school day)"
                if not placement.notices
                else "ap change CASE --start D --why ... (a school day)",
                ("placement", "start"),
            )
        ]
    notice_date, _ = _pending(context)
    needed = records.settings.notice_school_days
    if in_time(calendar, notice_date, start, needed):
        return []
    given = school_days_of_notice(calendar, notice_date, start) if notice_date <= start else 0
    latest = latest_notice_date(calendar, start, needed)
    earliest = earliest_start(calendar, notice_date, needed, list(placement.weekdays))
    recorded = current_notice(placement) is not None
    when = f"a notice given on {notice_date}" if recorded else f"a notice given today ({notice_date})"
    message = (
        f"{when} is too late for {first} of {start}: it gives {given} school day(s) of notice, "
        f"and {needed} are needed (the first day not counted). The latest date a notice could have been given "
        f"for this {'start' if start == placement.start else 'day'} was {latest or 'before the calendar begins'}; "
        f"{when} allows a first day of "
        f"{earliest or 'a date past the end of calendar.yaml'} at the earliest"
    )
    if len(placement.notices) <= int(recorded):  # the first notice (the one being given counts as recorded)
        fix = f"ap placement CASE ... --start {earliest or 'D'}"
    elif start == placement.start:
        fix = f"ap change CASE --start {earliest or 'D'} --why ..."
    else:
        fix = f"ap change CASE ... (the change taking effect from {earliest or 'a later day'}) --why ..."
    return [Finding("NOTICE-DEADLINE", message, fix, ("placement", "start"))]


def content(context: CaseContext) -> list[Finding]:
    case, records = context.case, context.records
    if context.placement is None:
        return []
    placement = context.placement
    provider = records.providers.get(placement.provider)
    missing: list[tuple[str, str]] = []
    if not case.referral.rationale.strip():
        missing.append(("the reasons for the placement", "ap edit CASE (referral: rationale)"))
    if not placement.aims:
        missing.append(("the aims of the placement", 'ap placement CASE ... --aims "..."'))
    if not placement_days(records.calendar, placement):
        missing.append(("the period, as a number of school days", "ap placement CASE ... --end D (on the calendar)"))
    if not placement.start_time:
        missing.append(("the time the placement starts", "ap placement CASE ... --start-time HH:MM"))
    if provider is None or not provider.address.strip():
        missing.append(("the address of the provider", f"providers/{placement.provider}.yaml: address"))
    if not (placement.report_to or "").strip():
        missing.append(("the person to report to on the first day", 'ap placement CASE ... --report-to "Name"'))
    if placement.sessions is None and provider is None:
        missing.append(("the session times", f"providers/{placement.provider}.yaml: sessions"))
    return [Finding("NOTICE-CONTENT", f"the notice cannot state {item}", fix, ("placement",)) for item, fix in missing]


def la_copy(context: CaseContext) -> list[Finding]:
    case, records = context.case, context.records
    if case.pupil.send != "ehc-plan" or context.placement is None:
        return []
    la, address = ehc_local_authority(case, records)
    if not la or not address:
        return [
            Finding(
                "NOTICE-LA-COPY",
                "the pupil has an EHC plan, so the notice also goes to the local authority that maintains it, "
                "but neither the case nor the settings name that local authority with an address",
                'ap edit CASE --ehc-la "NAME" --ehc-la-address "..." (the LA that maintains the plan), or set '
                "school.local_authority and school.local_authority_address in ap-settings.yaml",
                ("ehc_la",) if case.ehc_la else ("pupil", "send"),
            )
        ]
    notice = current_notice(context.placement)
    if notice is not None and not notice.la_copy:
        return [
            Finding(
                "NOTICE-LA-COPY",
                f"the notice of {notice.date} was not also addressed to the local authority",
                "ap notice CASE (again: it addresses the local authority too)",
                ("notices",),
            )
        ]
    return []


def every_parent(context: CaseContext) -> list[Finding]:
    """Each parent or carer (or the LA) the placement's notice has not reached, one added since it was given,
    say: a copy is due to them (`ap notice CASE --to NAME`), dated when it goes, not judged late against the
    notice's deadline."""
    placement = context.placement
    if placement is None:
        return []
    notice = current_notice(placement)
    return [
        Finding(
            "NOTICE-EVERY-PARENT",
            f"{person.name} ({person.relationship}) has not had the notice of {notice.date} for {placement.id}: "
            "give them a copy",
            f'ap notice CASE --to "{person.name}"',
            ("contacts",) if not person.is_la else ("ehc_la",),
            due=context.today,
        )
        for person in not_had_notice(context.case, placement, context.records)
        if notice is not None
    ]


# What a parent needs to reply to any letter (or to ask for a review in writing, reg 4A): the school's field,
# what it is, and an example line for ap-settings.yaml.
SCHOOL_DETAILS: tuple[tuple[str, str, str], ...] = (
    ("address", "the school's postal address", "address: 1 School Lane, Town, County, POSTCODE"),
    ("headteacher", "the headteacher's name", "headteacher: Mrs A Example"),
    ("phone", "a telephone number", "phone: 01234 567890"),
    ("email", "an email address", "email: office@school.example"),
)


def missing_school_details(school: School) -> list[tuple[str, str, str]]:
    """The details every letter needs that the settings' `school:` does not hold."""
    return [item for item in SCHOOL_DETAILS if not (getattr(school, item[0]) or "").strip()]


def school_details(context: CaseContext) -> list[Finding]:
    from apcli.records.layout import SETTINGS_FILE

    missing = missing_school_details(context.records.settings.school)
    if not missing:
        return []
    return [
        Finding(
            "LETTER-SCHOOL-DETAILS",
            f"{SETTINGS_FILE} does not give {', '.join(what for _, what, _ in missing)}, so a parent could "
            "not reply to the letter",
            f"fill in, under school: in {SETTINGS_FILE}, " + "; ".join(f"`{line}`" for _, _, line in missing),
        )
    ]
