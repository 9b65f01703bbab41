"""Checks of agreeing a placement (MEET-*, DEC-*, PLACE-*), run by the workflow commands and `ap check`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apcli.model.status import approving, headteacher_decision, parent_present, parents_response, planning_meetings
from apcli.policy.base import CaseContext, Finding

if TYPE_CHECKING:
    from apcli.model.schema import Meeting

PLANNING = (
    'ap meeting CASE --kind planning --date D --present "Name (parent)" --present "Name (senco)" --reasons-explained'
)


def _held_with_parents(meeting: Meeting) -> bool:
    """A parent or carer was there, or the record says why none could come and how they were told."""
    return parent_present(meeting) or bool(meeting.no_parent_reason and meeting.parents_informed)


def planning_meeting(context: CaseContext) -> list[Finding]:
    meetings = planning_meetings(context.case)
    if not meetings:
        return [Finding("MEET-PLANNING", "no planning meeting with the parents is recorded", PLANNING, ("meetings",))]
    if any(_held_with_parents(m) for _, m in meetings):
        return []
    index, meeting = meetings[-1]
    return [
        Finding(
            "MEET-PLANNING",
            f"the planning meeting on {meeting.date} had no parent or carer present, and does not record why none "
            "could attend and how they were told",
            '--present "Name (parent)", or --no-parent-reason "..." --parents-informed "..."',
            ("meetings", index),
        )
    ]


def _flag_missing(context: CaseContext, rule: str, flag: str, message: str, fix: str) -> list[Finding]:
    """A planning meeting held with the parents must record `flag`; one they were not part of does not count."""
    meetings = [(i, m) for i, m in planning_meetings(context.case) if _held_with_parents(m)]
    if not meetings or any(getattr(m, flag) for _, m in meetings):
        return []
    index, meeting = meetings[-1]
    return [Finding(rule, message.format(date=meeting.date), fix, ("meetings", index))]


def reasons_explained(context: CaseContext) -> list[Finding]:
    return _flag_missing(
        context,
        "MEET-REASONS-EXPLAINED",
        "reasons_explained",
        "the planning meeting on {date} does not record that the reasons for the placement were explained to the family",
        "--reasons-explained (on ap meeting --kind planning)",
    )


def exclusion_made_clear(context: CaseContext) -> list[Finding]:
    if not context.case.referral.alternative_to_exclusion:
        return []
    return _flag_missing(
        context,
        "MEET-PEX-CLEAR",
        "exclusion_made_clear",
        "the placement is offered as an alternative to permanent exclusion, but the planning meeting on {date} does "
        "not record that this was made clear to the parents",
        "--exclusion-made-clear (on ap meeting --kind planning)",
    )


def parent_response(context: CaseContext) -> list[Finding]:
    if parents_response(context.case) is not None:
        return []
    return [
        Finding(
            "DEC-PARENT-RESPONSE",
            "the parents' response to the offer of alternative provision is not recorded",
            "ap decision CASE --parents accepted|refused --date D",
            ("decisions",),
        )
    ]


def _refused(context: CaseContext) -> bool:
    response = parents_response(context.case)
    return response is not None and response.decision == "refused"


def exclusion_refused(context: CaseContext) -> list[Finding]:
    case = context.case
    response = parents_response(case)
    if not case.referral.alternative_to_exclusion or response is None or response.decision != "refused":
        return []
    head = headteacher_decision(case)
    if head is not None and head.date >= response.date and head.decision != "approve":
        return []
    return [
        Finding(
            "DEC-PEX-REFUSED",
            f"the parents refused the placement offered as an alternative to permanent exclusion on {response.date}; "
            "the headteacher must decide what happens next before anything else",
            'ap decision CASE --headteacher direct|proceed-with-exclusion|withdraw --date D --reason "..."',
            ("decisions",),
        )
    ]


def direction(context: CaseContext) -> list[Finding]:
    head = headteacher_decision(context.case)
    if head is None or head.decision not in ("approve", "direct"):
        return []
    if head.decision == "direct" and (head.reason or "").strip():
        return []
    if head.decision == "approve" and not _refused(context):
        return []
    message = (
        "the headteacher directed the placement without recording the reasons"
        if head.decision == "direct"
        else "the parents refused the placement, so placing the pupil anyway is a direction, not an approval"
    )
    return [
        Finding(
            "DEC-DIRECTION",
            message,
            'ap decision CASE --headteacher direct --date D --reason "..."',
            ("decisions",),
        )
    ]


def headteacher(context: CaseContext) -> list[Finding]:
    head = headteacher_decision(context.case)
    if approving(head):
        return []
    how = 'direct --reason "..."' if _refused(context) else "approve"
    return [
        Finding(
            "PLACE-HEADTEACHER",
            "the headteacher's approval of the placement is not recorded",
            f"ap decision CASE --headteacher {how} --date D",
            ("decisions",),
        )
    ]


def _no_placement(rule: str, options: str) -> list[Finding]:
    return [Finding(rule, "no placement is recorded", f"ap placement CASE ... {options}", ("placement",))]


def commissioning(context: CaseContext) -> list[Finding]:
    placement = context.placement
    if placement is None:
        return _no_placement("PLACE-COMMISSIONING", "--agreement REF --agreement-signed D")
    if placement.agreement is not None:
        return []
    return [
        Finding(
            "PLACE-COMMISSIONING",
            "the placement has no commissioning agreement (reference and date signed)",
            "ap placement CASE ... --agreement REF --agreement-signed D",
            ("placement",),
        )
    ]


def budget(context: CaseContext) -> list[Finding]:
    placement = context.placement
    options = "--cost AMOUNT --approved-by BODY --approved-on D"
    if placement is None:
        return _no_placement("PLACE-BUDGET", options)
    missing = [
        name
        for name, value in (
            ("cost", placement.cost),
            ("approving body", placement.approved_by),
            ("approval date", placement.approved_on),
        )
        if value is None
    ]
    if missing:
        return [
            Finding("PLACE-BUDGET", f"the placement's budget has no {' or '.join(missing)}", options, ("placement",))
        ]
    bodies = context.records.settings.approving_bodies
    if placement.approved_by not in bodies:
        return [
            Finding(
                "PLACE-BUDGET",
                f"{placement.approved_by!r} is not one of the bodies that may approve a budget in the settings "
                f"({', '.join(bodies)})",
                "--approved-by " + "|".join(bodies),
                ("placement", "approved_by"),
            )
        ]
    return []


def provider_known(context: CaseContext) -> list[Finding]:
    placement = context.placement
    if placement is None:
        return _no_placement("PLACE-PROVIDER-KNOWN", "--provider ID")
    if placement.provider in context.records.provider_ids():
        return []
    return [
        Finding(
            "PLACE-PROVIDER-KNOWN",
            f"the provider {placement.provider!r} is not in the provider register",
            "ap provider list shows the register; ap provider add ID ... adds a provider",
            ("placement", "provider"),
        )
    ]


def provider_safeguarding(context: CaseContext) -> list[Finding]:
    placement = context.placement
    if placement is None:
        return []
    provider = context.records.providers.get(placement.provider)
    if provider is None:
        return []
    missing = [
        text
        for text, value in (
            ("the date it confirmed it follows the academy's safeguarding policy", provider.safeguarding_confirmed),
            ("the date of its written confirmation that staff checks were done", provider.staff_checks_confirmed),
        )
        if value is None
    ]
    if not missing:
        return _confirmation_expired(context, placement.provider, placement.ending is not None)
    return [
        Finding(
            "PLACE-PROVIDER-SAFEGUARDING",
            f"the provider {placement.provider!r} has no record of {' or of '.join(missing)}",
            f"add safeguarding_confirmed and staff_checks_confirmed to providers/{placement.provider}.yaml",
            ("placement", "provider"),
        )
    ]


def _confirmation_expired(context: CaseContext, provider_id: str, ended: bool) -> list[Finding]:
    """A confirmation older than the settings' months no longer counts (KCSIE: checked again each year); an ended
    placement is not judged by what ran out after it."""
    from apcli.policy.absence import expired

    if ended:
        return []
    return [
        Finding(
            "PLACE-PROVIDER-SAFEGUARDING",
            f"the provider {provider_id!r}: {what} has expired",
            f"ask the provider to confirm again, then ap provider confirm {provider_id} --safeguarding D "
            "--staff-checks D",
            ("placement", "provider"),
        )
        for what in expired(context, provider_id, context.today)
    ]


def _placement_text(context: CaseContext, rule: str, field: str, option: str, missing: str) -> list[Finding]:
    placement = context.placement
    if placement is None:
        return _no_placement(rule, option)
    value = getattr(placement, field)
    if value and (not isinstance(value, str) or value.strip()):
        return []
    return [Finding(rule, f"the placement does not say {missing}", option, ("placement",))]


def core_subjects(context: CaseContext) -> list[Finding]:
    return _placement_text(
        context, "PLACE-CORE-SUBJECTS", "english_maths", '--english-maths "..."', "how English and maths are taught"
    )


def plan(context: CaseContext) -> list[Finding]:
    return _placement_text(context, "PLACE-PLAN", "aims", '--aims "..."', "what it aims to achieve") + (
        _placement_text(
            context, "PLACE-PLAN", "reintegration", '--reintegration "..."', "how the pupil will return to the academy"
        )
        if context.placement
        else []
    )


def la_informed(context: CaseContext) -> list[Finding]:
    return _placement_text(
        context, "PLACE-LA-INFORMED", "la_informed", "--la-informed D", "when the local authority was told"
    )


def stays_on_roll(context: CaseContext) -> list[Finding]:
    if context.placement is None:
        return []
    findings = []
    for day, session, code in context.records.sessions(context.case_id):
        if code == "K":
            findings.append(
                Finding(
                    "PLACE-STAYS-ON-ROLL",
                    f"{day} {session.upper()} is marked K, which is for provision the local authority arranges; the "
                    "academy's placement is marked B (or D where the pupil is dual registered)",
                    f"correct the mark in cases/{context.case_id}.attendance.csv (or re-import with --replace)",
                    (),
                )
            )
    return findings


def unregistered_full_time(context: CaseContext) -> list[Finding]:
    """A pupil placed full time in total (10 sessions a week over the placements alongside) with a setting that
    has no URN: an unregistered provider of full-time education may have to register as an independent school."""
    from apcli.model.sessions import FULL_TIME_SESSIONS, pupil_sessions_a_week, sessions_a_week

    placement = context.placement
    if placement is None or placement.ending is not None:
        return []
    provider = context.records.providers.get(placement.provider)
    if provider is None or provider.urn:
        return []
    total = pupil_sessions_a_week(context.records, context.case, placement)
    if total < FULL_TIME_SESSIONS:
        return []
    own = sessions_a_week(placement, provider)
    return [
        Finding(
            "PLACE-UNREGISTERED-FULL-TIME",
            f"the pupil is placed full time ({total} sessions a week in total, {own} of them in {placement.id} at "
            f"{placement.provider}), and {placement.provider} has no URN: it is not a registered school",
            f"check with {placement.provider} whether it must register as an independent school; once it is "
            f"registered, add its urn to providers/{placement.provider}.yaml; or place the pupil part time",
            ("placement", "provider"),
        )
    ]
