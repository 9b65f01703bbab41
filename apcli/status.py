"""A case's status and next step, derived from what it holds (never stored)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from apcli.models import Case
    from apcli.rules import Step

Status = Literal["referred", "agreed", "commissioned", "notified", "active", "ended", "closed"]
STATUSES: tuple[Status, ...] = ("referred", "agreed", "commissioned", "notified", "active", "ended", "closed")

_CLOSING_DECISIONS = {"withdraw", "proceed-with-exclusion"}


def agreed(case: Case) -> bool:
    """The parents accepted, or the headteacher directed the placement."""
    last: dict[str, str] = {}
    for decision in sorted(case.decisions, key=lambda d: d.date):
        last[decision.by] = decision.decision
    return last.get("parents") == "accepted" or last.get("headteacher") == "direct"


def status(case: Case, today: dt.date) -> Status:
    started = case.placement is not None and bool(case.notices) and case.placement.start <= today
    if case.ending is not None:
        return "ended" if started and case.ending.date >= case.placement.start else "closed"  # type: ignore[union-attr]
    if any(d.by == "headteacher" and d.decision in _CLOSING_DECISIONS for d in case.decisions):
        return "closed"
    if started:
        return "active"
    if case.notices:
        return "notified"
    if case.placement is not None:
        return "commissioned"
    if agreed(case):
        return "agreed"
    return "referred"


NEXT_STEP: dict[Status, tuple[Step | None, str]] = {
    "referred": ("decision", "planning meeting with the parents (ap meeting), then the decisions (ap decision)"),
    "agreed": ("placement", "commission the placement (ap placement)"),
    "commissioned": ("notice", "send the notice to the parents (ap notice)"),
    "notified": ("attendance", "placement starts; then weekly attendance and contact"),
    "active": ("attendance", "weekly attendance and contact; reviews"),
    "ended": (None, "-"),
    "closed": (None, "-"),
}
