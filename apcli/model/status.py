"""A case's status and the facts it rests on, derived from what the case holds (never stored)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from apcli.model.schema import Case, Decision, Meeting, Notice, Placement

Status = Literal["referred", "agreed", "commissioned", "notified", "active", "ended", "closed"]
STATUSES: tuple[Status, ...] = ("referred", "agreed", "commissioned", "notified", "active", "ended", "closed")
PARENT_ROLES = ("parent", "carer")
CLOSING_DECISIONS = ("withdraw", "proceed-with-exclusion")


def _latest(decisions: list[Decision]) -> Decision | None:
    """The last decision by date; of two on one day, the one recorded last."""
    ordered = sorted(enumerate(decisions), key=lambda pair: (pair[1].date, pair[0]))
    return ordered[-1][1] if ordered else None


def parents_response(case: Case) -> Decision | None:
    return _latest([d for d in case.decisions if d.by == "parents"])


def headteacher_decision(case: Case) -> Decision | None:
    return _latest([d for d in case.decisions if d.by == "headteacher"])


def planning_meetings(case: Case) -> list[tuple[int, Meeting]]:
    return [(index, m) for index, m in enumerate(case.meetings) if m.kind == "planning"]


def parent_present(meeting: Meeting) -> bool:
    return any(person.role in PARENT_ROLES for person in meeting.present)


def approving(decision: Decision | None) -> bool:
    """The headteacher's decision lets the placement go ahead (approve, or direct)."""
    return decision is not None and decision.decision in ("approve", "direct")


def agreed(case: Case) -> bool:
    """The headteacher approved after the parents accepted, or directed the placement."""
    return approving(headteacher_decision(case))


def _describes(notice: Notice, placement: Placement) -> bool:
    """The notice states the placement's terms as they now stand: its first day, provider, days, sessions and
    start time, and a last day on or after the current one (a placement shortened since stays notified)."""
    return (
        notice.start == placement.start
        and notice.end >= placement.end
        and notice.provider in (None, placement.provider)
        and notice.weekdays in (None, placement.weekdays)
        and notice.attends in (None, placement.attends)
        and notice.start_time in (None, placement.start_time)
    )


def current_notice(placement: Placement) -> Notice | None:
    """The latest notice that describes the placement as it now stands, if one does."""
    matching = [n for n in placement.notices if _describes(n, placement)]
    return matching[-1] if matching else None


def notice_for_placement(case: Case) -> Notice | None:
    """The latest notice given for any of the case's placements (whether or not it still describes it)."""
    given = [n for p in case.placements for n in p.notices]
    return max(given, key=lambda n: n.date) if given else None


def notice_owed_from(placement: Placement) -> dt.date | None:
    """The first day a notice not yet given must come before: the start, for a placement never notified; for one
    changed since its last notice, the first day the change affects. None when no notice is owed."""
    if placement.ending is not None or current_notice(placement) is not None:
        return None
    if not placement.notices:
        return placement.start
    last = max(n.date for n in placement.notices)
    days = [c.first_day for c in placement.changes if c.needs_notice and c.date >= last]
    return min(days) if days else None


def notified_days(placement: Placement, days: list[dt.date]) -> list[dt.date]:
    """Of the placement's days, those a notice given covers (by its dates and days of the week): days a change
    added are not placement days until their notice is given."""
    from apcli.model.schema import weekday_numbers

    # A notice of a change covers the days from the first day the change affects (the days before it are the
    # earlier notice's, on its own days of the week).
    if not days:
        return days
    spans = [
        (n.first_day or n.start, n.end, weekday_numbers(n.weekdays or placement.weekdays)) for n in placement.notices
    ]
    own = weekday_numbers(placement.weekdays)
    if any(first <= days[0] and days[-1] <= last and own <= wanted for first, last, wanted in spans):
        return days  # one notice covers them all: the usual case, checked once rather than day by day
    return [
        day for day in days if any(first <= day <= last and day.weekday() in wanted for first, last, wanted in spans)
    ]


def placement_status(placement: Placement, today: dt.date) -> Status:
    if placement.ending is not None:
        started = bool(placement.notices) and placement.start <= placement.ending.date
        return "ended" if started else "closed"
    if not placement.notices:
        return "commissioned"
    return "active" if placement.start <= today else "notified"


def closed_by(case: Case) -> Decision | None:
    """The headteacher's decision that closed the case before any placement, if any."""
    head = headteacher_decision(case)
    return head if head is not None and head.decision in CLOSING_DECISIONS else None


_OPEN_ORDER: tuple[Status, ...] = ("commissioned", "notified", "active")


def status(case: Case, today: dt.date) -> Status:
    """The case's status: from its open placements (the furthest on), or, once all have ended, ended (a
    placement ran) or closed (none did)."""
    if not case.placements:
        if closed_by(case):
            return "closed"
        return "agreed" if agreed(case) else "referred"
    states = [placement_status(p, today) for p in case.placements]
    open_states = [state for state in states if state in _OPEN_ORDER]
    if open_states:
        return max(open_states, key=_OPEN_ORDER.index)
    return "ended" if "ended" in states else "closed"


def passed_commands(case: Case) -> set[str]:
    """The workflow commands whose record the case holds: `ap check` holds it to the rules they gate."""
    head = headteacher_decision(case)
    passed = {"refer"}
    for command, done in (
        ("meeting", bool(case.meetings)),
        ("decision", parents_response(case) is not None),
        ("approval", approving(head)),
        ("placement", bool(case.placements)),
        ("notice", any(p.notices for p in case.placements)),
        ("safeguarding", bool(case.safeguarding)),
        ("end", any(p.ending for p in case.placements)),
    ):
        if done:
            passed.add(command)
    return passed


NEXT_STEP: dict[Status, str] = {
    "referred": "planning meeting with the parents (ap meeting), their response and the headteacher's decision (ap decision)",
    "agreed": "commission the placement (ap placement)",
    "commissioned": "send the notice to the parents (ap notice)",
    "notified": "the placement starts; then weekly attendance and contact",
    "active": "weekly attendance and contact; reviews",
    "ended": "-",
    "closed": "-",
}
# Before the notice, `ap show` lists what stops the notice: the goal of agreeing a placement.
WORKING_TOWARDS_NOTICE: tuple[Status, ...] = ("referred", "agreed", "commissioned")
