"""A case's status and the facts it rests on, derived from what the case holds (never stored)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from apcli.models import Case, Decision, Meeting, Notice

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


def notice_for_placement(case: Case) -> Notice | None:
    """The latest notice that describes the placement as it now stands (start, end, provider, days)."""
    placement = case.placement
    if placement is None:
        return None
    matching = [
        n
        for n in case.notices
        if n.start == placement.start
        and n.end == placement.end
        and n.provider in (None, placement.provider)
        and n.weekdays in (None, placement.weekdays)
    ]
    return matching[-1] if matching else None


def closed_by(case: Case) -> Decision | None:
    """The headteacher's decision that closed the case before any placement, if any."""
    head = headteacher_decision(case)
    return head if head is not None and head.decision in CLOSING_DECISIONS else None


def status(case: Case, today: dt.date) -> Status:
    placement = case.placement
    notified = notice_for_placement(case) is not None
    started = placement is not None and notified and placement.start <= today
    if case.ending is not None:
        return "ended" if placement is not None and started and case.ending.date >= placement.start else "closed"
    if closed_by(case):
        return "closed"
    if started:
        return "active"
    if notified:
        return "notified"
    if placement is not None:
        return "commissioned"
    if agreed(case):
        return "agreed"
    return "referred"


def passed_commands(case: Case) -> set[str]:
    """The workflow commands whose record the case holds: `ap check` holds it to the rules they gate."""
    head = headteacher_decision(case)
    passed = {"refer"}
    for command, done in (
        ("meeting", bool(case.meetings)),
        ("decision", parents_response(case) is not None),
        ("approval", approving(head)),
        ("placement", case.placement is not None),
        ("notice", bool(case.notices)),
        ("safeguarding", bool(case.safeguarding)),
        ("end", case.ending is not None),
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
