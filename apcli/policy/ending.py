"""Checks of safeguarding references (SAFE-DSL) and of ending a placement (BREAKDOWN-MEETING, EXCLUDED-FROM-AP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apcli.policy.base import CaseContext, Finding
from apcli.policy.during import ACADEMY_ROLES

if TYPE_CHECKING:
    from apcli.model.schema import Meeting

FAMILY = {"parent", "carer"}


def safeguarding(context: CaseContext) -> list[Finding]:
    findings = []
    for index, entry in enumerate(context.case.safeguarding):
        if not entry.dsl.strip() or not entry.reference.strip():
            findings.append(
                Finding(
                    "SAFE-DSL",
                    f"the concern of {entry.date} does not name the DSL and its reference",
                    "ap safeguarding CASE --date D --dsl NAME --reference REF",
                    ("safeguarding", index),
                )
            )
    return findings


def _everyone_there(meeting: Meeting) -> bool:
    """The school (a member of staff), the provider and the family (a parent or carer) were at the meeting."""
    roles = {person.role for person in meeting.present}
    return bool(roles & set(ACADEMY_ROLES) and "provider" in roles and roles & FAMILY)


def _who_was_missing(meetings: list[Meeting]) -> str:
    roles = {person.role for meeting in meetings for person in meeting.present}
    missing = [
        who
        for who, there in (
            ("a member of the academy's staff", roles & set(ACADEMY_ROLES)),
            ("the provider", "provider" in roles),
            ("a parent or carer", roles & FAMILY),
        )
        if not there
    ]
    return " and ".join(missing)


def breakdown(context: CaseContext) -> list[Finding]:
    ending = context.placement.ending if context.placement else None
    if ending is None or ending.outcome != "breakdown":
        return []
    held = [m for m in context.case.meetings if m.kind == "breakdown" and m.date <= (ending.recorded or ending.date)]
    if not held:
        return [
            Finding(
                "BREAKDOWN-MEETING",
                "a placement ends as broken down only after the meeting that discussed it",
                'ap meeting CASE --kind breakdown --date D --present "Name (parent)" --present "Name (provider)" '
                '--present "Name (senco)" (the pupil then returns to the academy)',
                ("ending",),
            )
        ]
    if not any(_everyone_there(m) for m in held):
        return [
            Finding(
                "BREAKDOWN-MEETING",
                f"the breakdown meeting needs the academy, the provider and the family: {_who_was_missing(held)} "
                "was not recorded as present",
                'ap meeting CASE --kind breakdown --date D --present "Name (parent)" --present "Name (provider)" '
                '--present "Name (senco)"',
                ("meetings",),
            )
        ]
    if ending.returns is None and not (ending.instead or "").strip():
        return [
            Finding(
                "BREAKDOWN-MEETING",
                "a broken-down placement records the day the pupil returns to the academy, or what happens instead",
                'ap end CASE ... --outcome breakdown --returns D (or --instead "...")',
                ("ending",),
            )
        ]
    return []


def excluded_from_provision(context: CaseContext) -> list[Finding]:
    ending = context.placement.ending if context.placement else None
    if ending is None or ending.outcome not in ("excluded-from-provision", "permanently-excluded"):
        return []
    held = [m for m in context.case.meetings if m.kind == "exclusion" and m.date <= (ending.recorded or ending.date)]
    meetings = [m for m in held if _everyone_there(m)]
    if not meetings:
        missing = f": {_who_was_missing(held)} was not recorded as present" if held else " is not recorded"
        return [
            Finding(
                "EXCLUDED-FROM-AP",
                "a meeting of the academy, the provider and the family about the exclusion "
                f"from the provision{missing}",
                'ap meeting CASE --kind exclusion --present "Name (parent)" '
                '--present "Name (provider)" --present "Name (senco)"',
                ("ending",),
            )
        ]
    if ending.outcome == "permanently-excluded" and not any((m.outcome or "").strip() for m in meetings):
        return [
            Finding(
                "EXCLUDED-FROM-AP",
                "a permanent exclusion from the academy needs the exclusion meeting's finding "
                "that a return to the academy and another provider are not viable",
                'ap meeting CASE --kind exclusion ... --outcome "..."',
                ("ending",),
            )
        ]
    return []
