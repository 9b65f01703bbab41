"""Checks of the referral (REF-*), run by `ap refer` and `ap check`."""

from __future__ import annotations

from apcli.model.dates import format_year_group, year_group_for
from apcli.policy.base import CaseContext, Finding


def key_stage(context: CaseContext) -> list[Finding]:
    pupil, referral = context.case.pupil, context.case.referral
    if pupil.year == "R" or not 1 <= int(pupil.year) <= 6:
        shown = "Reception" if pupil.year == "R" else f"Year {pupil.year}"
        return [
            Finding(
                "REF-KEY-STAGE",
                f"the pupil is in {shown}; this policy covers Key Stages 1 and 2 (Years 1 to 6) only",
                "check --year; a pupil outside Years 1 to 6 cannot be referred under this policy",
                ("pupil", "year"),
            )
        ]
    expected = year_group_for(pupil.dob, referral.date)
    if expected != pupil.year and not pupil.out_of_year_group:
        return [
            Finding(
                "REF-KEY-STAGE",
                f"the date of birth {pupil.dob} gives {format_year_group(expected)} on {referral.date}, "
                f"not Year {pupil.year}",
                "correct --dob or --year, or, if the pupil is taught out of their year group, say so with --out-of-year-group",
                ("pupil", "year"),
            )
        ]
    return []


def reason(context: CaseContext) -> list[Finding]:
    if context.case.referral.reasons:
        return []
    return [
        Finding(
            "REF-REASON",
            "no reason for the referral is given",
            "--reason curriculum-needs | exclusion-risk | attendance | send-assessment | broader-curriculum | respite",
            ("referral",),
        )
    ]


def more_appropriate(context: CaseContext) -> list[Finding]:
    if context.case.referral.rationale.strip():
        return []
    return [
        Finding(
            "REF-MORE-APPROPRIATE",
            "there is no written rationale saying why this provision is more appropriate than what the academy can provide",
            '--rationale "..."',
            ("referral",),
        )
    ]


def send_hub(context: CaseContext) -> list[Finding]:
    if context.case.referral.send_hub is not None:
        return []
    return [
        Finding(
            "REF-SEND-HUB",
            "there is no date on which the pupil's case was discussed with the SEND Hub to explore other avenues of support",
            "--send-hub DATE",
            ("referral",),
        )
    ]


def exclusion_history(context: CaseContext) -> list[Finding]:
    referral = context.case.referral
    if "exclusion-risk" not in referral.reasons or referral.suspensions:
        return []
    return [
        Finding(
            "REF-EXCLUSION-HISTORY",
            "the reason exclusion-risk needs at least one suspension (fixed-term exclusion), with its date and days",
            "--suspension DATE:DAYS, for example --suspension 2026-10-05:2 (repeat for each)",
            ("referral", "reasons"),
        )
    ]


def attendance_evidence(context: CaseContext) -> list[Finding]:
    referral = context.case.referral
    if "attendance" not in referral.reasons or referral.attendance_percent is not None:
        return []
    return [
        Finding(
            "REF-ATTENDANCE-EVIDENCE",
            "the reason attendance needs the attendance figure it rests on",
            "--attendance PCT, for example --attendance 82.5",
            ("referral", "reasons"),
        )
    ]


def ehcna(context: CaseContext) -> list[Finding]:
    """The request date when the reason is given; the later steps (ap ehcna) in order after it."""
    referral = context.case.referral
    if referral.ehcna_steps and referral.ehcna_requested is None:
        return [
            Finding(
                "REF-EHCNA",
                "the EHC needs assessment has later steps recorded but not the date it was requested",
                "ap ehcna CASE --status requested --date D",
                ("referral", "ehcna_requested"),
            )
        ]
    previous = referral.ehcna_requested
    for index, step in enumerate(referral.ehcna_steps):
        if previous is not None and step.date < previous:
            return [
                Finding(
                    "REF-EHCNA",
                    f"the EHC needs assessment step {step.status} ({step.date}) is dated before the step before it "
                    f"({previous})",
                    "correct the dates with ap edit",
                    ("referral", "ehcna_steps", index),
                )
            ]
        if step.status == "plan-issued" and (index == 0 or referral.ehcna_steps[index - 1].status != "agreed"):
            return [
                Finding(
                    "REF-EHCNA",
                    "an EHC plan is recorded as issued without the LA's agreement to assess before it",
                    "ap ehcna CASE --status agreed --date D (before the plan)",
                    ("referral", "ehcna_steps", index),
                )
            ]
        previous = step.date
    if "send-assessment" not in referral.reasons or referral.ehcna_requested is not None:
        return []
    return [
        Finding(
            "REF-EHCNA",
            "the reason send-assessment needs the date the EHC needs assessment was requested",
            "--ehcna-requested DATE",
            ("referral", "reasons"),
        )
    ]


def managed_move(context: CaseContext) -> list[Finding]:
    move = context.case.referral.managed_move
    if move is None:
        return [
            Finding(
                "REF-MANAGED-MOVE",
                "the referral does not say whether a managed move was considered",
                '--managed-move considered|tried|not-suitable --managed-move-why "..."',
                ("referral",),
            )
        ]
    findings = []
    if not (move.why or "").strip():
        findings.append(
            Finding(
                "REF-MANAGED-MOVE",
                f"the managed move is {move.status}, but not why it was or was not tried",
                '--managed-move-why "..."',
                ("referral", "managed_move"),
            )
        )
    if move.status == "tried" and move.parents_consent is None:
        findings.append(
            Finding(
                "REF-MANAGED-MOVE",
                "a managed move was tried, but the parents' consent to it is not recorded",
                "--managed-move-consent DATE",
                ("referral", "managed_move"),
            )
        )
    return findings
