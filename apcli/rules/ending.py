"""Checks of safeguarding references (SAFE-DSL) and of ending a placement (BREAKDOWN-MEETING, EXCLUDED-FROM-AP)."""

from __future__ import annotations

from apcli.rules import CaseContext, Finding

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


def breakdown(context: CaseContext) -> list[Finding]:
    ending = context.placement.ending if context.placement else None
    if ending is None or ending.outcome != "breakdown":
        return []
    if any(m.kind == "breakdown" and m.date <= (ending.recorded or ending.date) for m in context.case.meetings):
        return []
    return [
        Finding(
            "BREAKDOWN-MEETING",
            "a placement ends as broken down only after the meeting that discussed it",
            'ap meeting CASE --kind breakdown --date D --present "..." (the pupil then returns to the academy)',
            ("ending",),
        )
    ]


def excluded_from_provision(context: CaseContext) -> list[Finding]:
    ending = context.placement.ending if context.placement else None
    if ending is None or ending.outcome not in ("excluded-from-provision", "permanently-excluded"):
        return []
    meetings = [
        m
        for m in context.case.meetings
        if m.kind == "exclusion"
        and m.date <= (ending.recorded or ending.date)
        and {p.role for p in m.present} & FAMILY
        and "provider" in {p.role for p in m.present}
    ]
    if not meetings:
        return [
            Finding(
                "EXCLUDED-FROM-AP",
                "a meeting of the academy, the provider and the family about the exclusion "
                "from the provision is not recorded",
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
