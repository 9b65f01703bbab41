"""The *due* rules: what the policy and the law say must happen over time, as findings with a due date.

Each check returns one finding per thing owed, its `due` date set; `ap review due`
turns them into items that are `due` (the date is today or later) or `overdue`.
A case is looked at from its placement's start to today, or to its end once ended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from apcli.model import codes
from apcli.model.attendance import attending_days, follow_up_for, is_absence, last_day, summarise
from apcli.model.status import notice_owed_from, placement_status
from apcli.policy.base import CaseContext, Finding

if TYPE_CHECKING:
    from apcli.model.schema import Case, Measure, Meeting, Target
    from apcli.records.store import Records

ACADEMY_ROLES = ("senco", "headteacher", "teacher", "attendance", "dsl", "send-hub")
FOLLOW_UP_SCHOOL_DAYS = 1
ATT_MEETING_SCHOOL_DAYS = 5
REQUEST_SCHOOL_DAYS = 10
MIN_SESSIONS_FOR_THRESHOLD = 10


def _window(context: CaseContext) -> tuple[dt.date, dt.date] | None:
    """The days the placement has run: from its start to today (or its last day, or the day it ended)."""
    placement = context.placement
    if placement is None or not placement.notices or placement.start > context.today:
        return None
    return placement.start, min(context.today, last_day(placement))


def _running(context: CaseContext) -> bool:
    """The placement is on: started, not ended. (An ended one still owes what fell due before it ended.)"""
    placement = context.placement
    return placement is not None and placement_status(placement, context.today) == "active"


def _after_school_days(context: CaseContext, day: dt.date, count: int) -> dt.date:
    return context.records.calendar.school_day_after(day, count) or day + dt.timedelta(days=count)


def notice_asap(context: CaseContext) -> list[Finding]:
    from apcli.model.notices import latest_notice_date

    placement = context.placement
    owed = notice_owed_from(placement) if placement else None
    if placement is None or owed is None:
        return []
    needed = context.records.settings.notice_school_days
    latest = latest_notice_date(context.records.calendar, owed, needed) or owed
    if not placement.notices:
        what = (
            f"the last date to give notice for a start on {owed} has passed: move the start "
            "(ap placement ... --start), then give notice (ap notice)"
            if context.today > latest
            else f"give the parents notice of the placement starting {owed} (ap notice); this is the last legal date"
        )
    else:
        what = (
            f"the last date to give notice of the change from {owed} to {placement.id} has passed: change it to "
            "take effect later (ap change), then give notice (ap notice)"
            if context.today > latest
            else f"give the parents notice of the change to {placement.id} from {owed} (ap notice); "
            "this is the last legal date"
        )
    return [
        Finding(
            "NOTICE-ASAP",
            what,
            "ap notice CASE",
            ("placement",),
            latest,
        )
    ]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _every_day_from(first: dt.date, until: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The days taken as today on which a finding about the marks holds: from the placement's day `first` (when
    the window first reaches it), to `until` (the day before the next day of the placement changes it)."""
    return first, until or dt.date.max


def _changes_at(days: list[dt.date], index: int) -> dt.date | None:
    return days[index + 1] - dt.timedelta(days=1) if index + 1 < len(days) else None


def weekly_contact(context: CaseContext) -> list[Finding]:
    window = _window(context)
    if window is None:
        return []
    placement = context.placement
    assert placement is not None  # a window means a placement
    provider = context.records.providers.get(placement.provider)
    first_days: dict[dt.date, dt.date] = {}  # each week's first day at the provider, over the whole placement
    for day in attending_days(context.records.calendar, placement, last_day(placement), provider):
        first_days.setdefault(_monday(day), day)
    contacted = {_monday(c.date) for c in context.case.provider_contacts}
    contacted |= {lapse.week for lapse in context.case.contact_lapses}  # recorded as a lapse: shown by ap check
    return [
        Finding(
            "ATT-WEEKLY",
            f"contact with the provider in the week of {monday} (ap contact)",
            "ap contact CASE --date D --with NAME --summary T",
            ("provider_contacts",),
            monday + dt.timedelta(days=4),
            holds=_every_day_from(first),
        )
        for monday, first in sorted(first_days.items())
        if monday not in contacted
    ]


def accurate_marks(context: CaseContext) -> list[Finding]:
    """One finding: how many sessions have no mark, since when. Its count grows with each missing day, so it is
    given once for each missing day, holding until the next (`Finding.holds`)."""
    window = _window(context)
    if window is None:
        return []
    placement = context.placement
    assert placement is not None
    marks = context.records.marks(context.case_id).days
    provider = context.records.providers.get(placement.provider)
    sessions = placement.session_names
    missing_days: list[dt.date] = []
    counts: list[int] = []
    for day in attending_days(context.records.calendar, placement, last_day(placement), provider):
        marked = marks.get(day, {})
        missing = sum(1 for session in sessions if not marked.get(session))
        if missing:
            missing_days.append(day)
            counts.append((counts[-1] if counts else 0) + missing)
    if not missing_days:
        return []
    first = missing_days[0]
    return [
        Finding(
            "ATT-ACCURATE",
            f"{count} session(s) without a mark since {first}: import the provider's register (ap attendance import)",
            "ap attendance import FILE",
            (),
            first + dt.timedelta(days=7),
            holds=_every_day_from(day, _changes_at(missing_days, index)),
        )
        for index, (day, count) in enumerate(zip(missing_days, counts, strict=True))
    ]


def placement_marks(
    context: CaseContext, keep: Callable[[dt.date, str, str], object] | None = None
) -> list[tuple[dt.date, str, str]]:
    """The marks on the looked-at placement's days (from its start to today or its end) that `keep` keeps.

    They are chosen first and only then looked at against today, so that a result depends on today only
    through the marks it is about (apcli/model/days.py)."""
    from apcli.model.attendance import placement_on

    window = _window(context)
    if window is None:
        return []
    placement = context.placement
    several = len(context.case.placements) > 1
    chosen = [
        (day, session, code)
        for day, session, code in context.records.sessions(context.case_id)
        if window[0] <= day
        and (keep is None or keep(day, session, code))
        and (not several or placement_on(context.case, day, session) is placement)
    ]
    return [mark for mark in chosen if mark[0] <= window[1]]


def closure_codes(context: CaseContext) -> list[Finding]:
    """A mark of # or Y1-Y7 on a school day with no closure of the provider recorded, or another mark on a
    recorded closure day: the import refuses both; this finds them in marks recorded another way."""
    from apcli.policy.during import closure_problem

    placement = context.placement
    if placement is None:
        return []
    calendar = context.records.calendar
    problems: dict[tuple[dt.date, str], str] = {}
    provider = context.records.providers.get(placement.provider)
    closures = provider is not None and bool(provider.closures)

    def wrong(day: dt.date, session: str, code: str) -> bool:
        if not closures and code not in codes.CLOSURE_CODES:
            return False  # with no closure recorded only a closure's code is wrong (closure_problem), once a mark
        why = calendar.is_school_day(day) and closure_problem(context.records, placement.provider, day, code)
        if why:
            problems[day, session] = why
        return bool(why)

    found = [(day, session, code, problems[day, session]) for day, session, code in placement_marks(context, wrong)]
    return [
        Finding(
            "ATT-CLOSURE-CODES",
            f"{day} {session.upper()} is marked {code}: {why.split(' (ATT-CLOSURE-CODES)')[0]}",
            f"ap provider closure {placement.provider} --date D --why TEXT, or correct the mark",
            (),
            day,
        )
        for day, session, code, why in found
    ]


def x_code(context: CaseContext) -> list[Finding]:
    """A mark of X (not of compulsory school age) on a day the pupil is of compulsory school age."""
    from apcli.model.attendance import compulsory_school_age

    dob = context.case.pupil.dob
    return [
        Finding(
            "ATT-CODE-X",
            f"{day} {session.upper()} is marked X (not of compulsory school age), but the pupil has been of "
            f"compulsory school age since {since}: correct the mark",
            "ap attendance import FILE --replace (with the right code)",
            (),
            day,
        )
        for day, session, code in placement_marks(context, lambda _day, _session, code: code == "X")
        if (since := compulsory_school_age(dob, day)) is not None
    ]


def absence_follow_up(context: CaseContext) -> list[Finding]:
    window = _window(context)
    if window is None:
        return []
    follow_ups: dict[tuple[dt.date, str], str] = {(a.date, a.session): a.follow_up for a in context.case.absences}
    owed: dict[dt.date, list[str]] = {}
    for day, session, code in context.records.sessions(context.case_id):
        if window[0] <= day and is_absence(code) and not follow_up_for(follow_ups, day, session):
            owed.setdefault(day, []).append(f"{session.upper()} {code}")
    return [
        Finding(
            "ATT-ABSENCE-FOLLOW-UP",
            f"follow up the absence on {day} ({', '.join(sessions)}) (ap absence)",
            "ap absence CASE --date D --session am|pm --follow-up T",
            ("absences",),
            _after_school_days(context, day, FOLLOW_UP_SCHOOL_DAYS),
            holds=_every_day_from(day),
        )
        for day, sessions in sorted(owed.items())
        if day <= last_day(context.placement)  # type: ignore[arg-type]  # a window means a placement
    ]


def _formal_meeting_after(context: CaseContext, since: dt.date) -> bool:
    """A meeting (or a review recorded with who came, ap review record) since `since` with the academy, a parent
    or carer and the pupil."""
    held = [
        (m.date, m.present) for m in context.case.meetings if m.kind in ("attendance-concern", "review", "breakdown")
    ]
    held += [(r.date, r.present) for r in context.case.reviews]
    for date, present in held:
        roles = {person.role for person in present}
        if date >= since and roles & set(ACADEMY_ROLES) and roles & {"parent", "carer"} and "pupil" in roles:
            return True
    return False


def not_working(context: CaseContext) -> list[Finding]:
    """A formal meeting (academy, parent or carer, pupil) is due when attendance falls below the threshold, when
    the provider or the school raises a concern (ap concern), or when a target's latest measure moves away from
    its goal."""
    window = _window(context)
    if window is None or not _running(context):
        return []
    findings = _below_threshold(context)
    start = context.placement.start if context.placement else window[0]
    for concern in context.case.concerns:
        if start <= concern.date <= window[1] and not _formal_meeting_after(context, concern.date):
            findings.append(
                Finding(
                    "ATT-NOT-WORKING",
                    f"{concern.by} raised a concern on {concern.date} that the placement is not working: hold a "
                    "formal meeting with the academy, a parent or carer and the pupil (ap meeting --kind "
                    "attendance-concern)",
                    'ap meeting CASE --kind attendance-concern --present "..."',
                    ("concerns",),
                    _after_school_days(context, concern.date, ATT_MEETING_SCHOOL_DAYS),
                )
            )
    for target, latest, before in _moving_away(context, window[1]):
        if latest.date >= start and not _formal_meeting_after(context, latest.date):
            findings.append(
                Finding(
                    "ATT-NOT-WORKING",
                    f"{target.measure} moved away from its goal of {target.goal:g}: {latest.value:g} on "
                    f"{latest.date}, after {before}: hold a formal meeting with the academy, a parent or carer "
                    "and the pupil (ap meeting --kind attendance-concern)",
                    'ap meeting CASE --kind attendance-concern --present "..."',
                    ("measures",),
                    _after_school_days(context, latest.date, ATT_MEETING_SCHOOL_DAYS),
                )
            )
    return findings


def _below_threshold(context: CaseContext) -> list[Finding]:
    """ATT-NOT-WORKING for attendance below the threshold, for every day of the placement: after each day's
    marks, the running figure; while it is below (and no formal meeting has been held since it fell), a finding
    that holds until the next day with a mark."""
    placement = context.placement
    assert placement is not None
    threshold = context.records.settings.attendance_threshold
    last = last_day(placement)
    possible = attended = 0
    fell_below: dt.date | None = None
    after_each_day: list[tuple[dt.date, dt.date | None, int, int]] = []
    for day, _, code in context.records.sessions(context.case_id):
        if day > last:
            break
        counted = _counted(code)
        possible += counted[0]
        attended += counted[1]
        below = possible >= MIN_SESSIONS_FOR_THRESHOLD and attended * 100 < threshold * possible
        if below and fell_below is None:
            fell_below = day
        elif not below:
            fell_below = None
        if after_each_day and after_each_day[-1][0] == day:
            after_each_day.pop()  # the day's second session: the figure after the day is what counts
        after_each_day.append((day, fell_below, possible, attended))
    days = [day for day, *_ in after_each_day]
    findings = []
    for index, (day, since, possible, attended) in enumerate(after_each_day):
        if since is None or _formal_meeting_after(context, since):
            continue
        percent = round(100 * attended / possible, 1)
        findings.append(
            Finding(
                "ATT-NOT-WORKING",
                f"attendance is {percent:g}%, below {threshold:g}% since {since}: hold a formal "
                "meeting with the academy, a parent or carer and the pupil (ap meeting --kind attendance-concern)",
                'ap meeting CASE --kind attendance-concern --present "..."',
                ("meetings",),
                _after_school_days(context, since, ATT_MEETING_SCHOOL_DAYS),
                holds=_every_day_from(day, _changes_at(days, index)),
            )
        )
    return findings


def _counted(code: str) -> tuple[int, int]:
    """A session's (possible, attended): `summarise` of the one code, worked out once for each code."""
    counted = _COUNTED.get(code)
    if counted is None:
        summary = summarise([code])
        counted = _COUNTED[code] = (summary.possible, summary.attended)
    return counted


_COUNTED: dict[str, tuple[int, int]] = {}


def _moving_away(context: CaseContext, last: dt.date) -> list[tuple[Target, Measure, str]]:
    """Each target (the latest set for its measure) whose latest measure is further from the goal than the
    measure before it, or than the baseline where it is the first: with the words for what it was before."""
    latest_targets: dict[str, Target] = {}
    for target in sorted(context.case.targets, key=lambda t: t.date):
        latest_targets[target.measure] = target
    found = []
    for name, target in latest_targets.items():
        measures = sorted(
            (m for m in context.case.measures if m.measure == name and target.date <= m.date <= last),
            key=lambda m: m.date,
        )
        if not measures:
            continue
        latest = measures[-1]
        if len(measures) > 1:
            before_value, before = measures[-2].value, f"{measures[-2].value:g} on {measures[-2].date}"
        else:
            before_value, before = target.baseline, f"the baseline of {target.baseline:g}"
        if abs(target.goal - latest.value) > abs(target.goal - before_value):
            found.append((target, latest, before))
    return found


def termly_review(context: CaseContext) -> list[Finding]:
    window = _window(context)
    if window is None:
        return []
    start, last = window
    case, placement = context.case, context.placement
    assert placement is not None  # a window means a placement
    reviews = sorted(case.reviews, key=lambda r: r.date)
    findings = []
    for term in sorted(context.records.calendar.file.terms, key=lambda t: t.start):
        first, final = max(term.start, start), min(term.end, last if placement.ending else placement.end)
        if first > final or first > last:
            continue
        if any(first <= r.date <= term.end for r in reviews):
            continue
        set_before = [r.next for r in reviews if r.next and first <= r.next <= final]
        due = min(set_before) if set_before else final
        findings.append(
            Finding(
                "REVIEW-TERMLY",
                f"the termly review of the agreement for {term.name} (ap review record)",
                "ap review record CASE --date D --outcome ... --next D --responsible NAME",
                ("reviews",),
                due,
            )
        )
    if (
        reviews
        and reviews[-1].next
        and reviews[-1].next <= last
        and not any(f.due == reviews[-1].next for f in findings)
    ):
        next_date = reviews[-1].next
        findings.append(
            Finding(
                "REVIEW-TERMLY",
                f"the review the last one set for {next_date} (ap review record)",
                "ap review record CASE ...",
                ("reviews",),
                next_date,
            )
        )
    return findings


def review_on_request(context: CaseContext) -> list[Finding]:
    case = context.case
    if context.placement is None:
        return []
    findings = []
    for request in case.review_requests:
        held_before = any(request.date - dt.timedelta(weeks=10) <= r.date <= request.date for r in case.reviews)
        held_after = any(r.date >= request.date for r in case.reviews)
        if held_before or held_after:
            continue
        findings.append(
            Finding(
                "REVIEW-ON-REQUEST",
                f"a review meeting asked for in writing on {request.date} (ap review record)",
                "ap review record CASE ...",
                ("review_requests",),
                _after_school_days(context, request.date, REQUEST_SCHOOL_DAYS),
            )
        )
    return findings


def _half_terms(context: CaseContext) -> list[tuple[str, dt.date, dt.date]]:
    window = _window(context)
    if window is None:
        return []
    start, last = window
    placement = context.placement
    assert placement is not None
    calendar = context.records.calendar
    halves = []
    for name, first, final in calendar.half_terms():
        if first <= min(last, placement.end) and final >= start:
            days = calendar.school_days_between(max(first, start), min(final, placement.end))
            if days:  # due on the half term's last school day of the placement
                halves.append((name, days[0], days[-1]))
    return halves


def _provider_named(context: CaseContext) -> str:
    """ "the provider", or, for a pupil with more than one placement, which one."""
    placement = context.placement
    if placement is None or len(context.case.placements) < 2:
        return "the provider"
    return f"{placement.provider} ({placement.id})"


def _targets_meeting_counts(meeting: Meeting, set_or_reviewed: set[dt.date]) -> bool:
    """It set or reviewed a target (ap target or ap measure on its date), with a parent, a carer or the pupil
    present, or the recorded reason none of them was."""
    roles = {p.role for p in meeting.present}
    return meeting.date in set_or_reviewed and bool(roles & {"parent", "carer", "pupil"} or meeting.no_parent_reason)


def half_termly_targets(context: CaseContext) -> list[Finding]:
    set_or_reviewed = {t.date for t in context.case.targets} | {m.date for m in context.case.measures}
    findings = []
    for name, first, final in _half_terms(context):
        held = [
            m
            for m in context.case.meetings
            if m.kind == "targets" and first <= m.date <= final and "provider" in {p.role for p in m.present}
        ]
        if any(_targets_meeting_counts(m, set_or_reviewed) for m in held):
            continue
        what = f"a target meeting with {_provider_named(context)} in {name} (ap meeting --kind targets, then ap target)"
        if held:
            what += (
                f"; the one on {held[-1].date} does not count: it needs a target set or reviewed on its date "
                "(ap target or ap measure) and a parent, carer or the pupil present (or --no-parent-reason)"
            )
        findings.append(
            Finding("TARGETS-HALF-TERMLY", what, "ap meeting CASE --kind targets ...", ("meetings",), final)
        )
    return findings


def progress_monitored(context: CaseContext) -> list[Finding]:
    findings = []
    for name, first, final in _half_terms(context):
        kinds = {m.measure for m in context.case.measures if first <= m.date <= final}
        missing = [
            what
            for what, ok in (
                ("behaviour", "behaviour" in kinds),
                ("progress (an SAS or Boxall score)", bool(kinds - {"behaviour", "attendance"})),
            )
            if not ok
        ]
        if missing:
            findings.append(
                Finding(
                    "PROGRESS-MONITORED",
                    f"{' and '.join(missing)} measured in {name} (ap measure)",
                    "ap measure CASE --measure M --value V --date D",
                    ("measures",),
                    final,
                )
            )
    return findings


ENDED_SCHOOL_DAYS = 5  # after the last day, recording how the placement ended is overdue after these


def period_end(context: CaseContext) -> list[Finding]:
    placement = context.placement
    if placement is None or not _running(context):
        return []
    name = f"{placement.id} ({placement.provider})" if len(context.case.placements) > 1 else "the placement"
    if context.today > placement.end:
        return [
            Finding(
                "PERIOD-END",
                f"{name} ended on {placement.end}: record how it ended (ap end) or extend it (ap change)",
                f"ap end CASE --date {placement.end} --outcome ... ; or ap change CASE --end D --why ...",
                ("placement", "end"),
                _after_school_days(context, placement.end, ENDED_SCHOOL_DAYS),
            )
        ]
    warning = context.records.settings.period_end_warning_school_days
    from_day = context.records.calendar.school_day_before(placement.end, warning) or placement.end
    if context.today < from_day:
        return []
    return [
        Finding(
            "PERIOD-END",
            f"the period of {name} ends on {placement.end}: decide at a review whether to end it and reintegrate "
            "(ap review record --outcome end, then ap end) or to extend it (ap change --end, which needs a new "
            "notice to the parents)",
            "ap review record CASE ... ; ap end CASE ... ; or ap change CASE --end D --why ...",
            ("placement", "end"),
            placement.end,
        )
    ]


def closure_problem(records: Records, provider_id: str, day: dt.date, code: str) -> str | None:
    """Why `code` cannot stand on `day` (a school day) at the provider, or None (ATT-CLOSURE-CODES). # and
    Y1-Y7 say the pupil could not attend because the provider was closed or could not take them: on a day the
    school is open that needs the provider's closure recorded. On a recorded closure day, only those codes."""
    provider = records.providers.get(provider_id)
    closure = provider.closure_on(day) if provider is not None else None
    if code in codes.CLOSURE_CODES and closure is None:
        return (
            f"{code} ({codes.ALL_CODES[code]}) on {day}, a school day, needs a closure of {provider_id} recorded for "
            f"that day (ATT-CLOSURE-CODES): record it with `ap provider closure {provider_id} --date {day} --why "
            "TEXT` (add --to D for several days) and import the register again, or correct the mark"
        )
    if code not in codes.CLOSURE_CODES and closure is not None:
        span = str(closure.start) if closure.start == closure.end else f"{closure.start} to {closure.end}"
        return (
            f"{provider_id} is recorded as closed on {day} (closure {span}: {closure.why}), so no session was held "
            f"there (ATT-CLOSURE-CODES): mark it # or a Y code, or, if it was open after all, remove the closure "
            f"from {records.shown(records.provider_path(provider_id))}"
        )
    return None


def x_problem(case_id: str, case: Case, day: dt.date) -> str | None:
    """Why X cannot stand for the pupil on `day`, or None (ATT-CODE-X): X is for a pupil not of compulsory
    school age, and every pupil from the prescribed day after their fifth birthday is."""
    from apcli.model.attendance import compulsory_school_age

    since = compulsory_school_age(case.pupil.dob, day)
    if since is None:
        return None
    return (
        f"X is for a pupil not of compulsory school age, and {case_id}'s pupil (born {case.pupil.dob}) has been of "
        f"compulsory school age since {since} (ATT-CODE-X): mark the session with the code the provider meant"
    )
