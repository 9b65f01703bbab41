"""What each letter says: the data a template gets, and the items the letter must state."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from apcli.dates import uk, uk_short
from apcli.letters import LetterPlan
from apcli.notice import Recipient, placement_days, recipients, session_lines

if TYPE_CHECKING:
    from apcli.models import Case, Placement, Review
    from apcli.store import Records

WEEKDAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday"}


def _lines(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


def _common(
    records: Records, case_id: str, case: Case, recipient: Recipient, letter_date: dt.date, method: str
) -> dict[str, Any]:
    school = records.settings.school
    pupil = case.pupil
    return {
        "case_id": case_id,
        "date": uk(letter_date),
        "method": method,
        "school": {
            "name": school.name,
            "address_lines": _lines(school.address),
            "phone": school.phone or "",
            "email": school.email or "",
            "headteacher": school.headteacher or "The Headteacher",
            "send_hub_contact": school.send_hub_contact or "",
        },
        "recipient": {
            "name": recipient.name,
            "relationship": recipient.relationship,
            "address_lines": recipient.address_lines,
            "email": recipient.email or "",
            "is_la": recipient.is_la,
        },
        "pupil": {"name": pupil.name, "dob": uk_short(pupil.dob), "year": f"Year {pupil.year}"},
        "reasons": [_reason_text(r) for r in case.referral.reasons],
        "rationale": case.referral.rationale.strip(),
        "alternative_to_exclusion": case.referral.alternative_to_exclusion,
    }


def _reason_text(reason: str) -> str:
    from apcli.models import REASONS

    return REASONS[reason]


def _recipient_required(method: str) -> dict[str, list[str]]:
    """Paths into the letter's data (see letters.missing_items) that must reach the page."""
    return {"who the letter is to": ["recipient.name", *(["recipient.address_lines[*]"] if method == "post" else [])]}


def _slug(kind: str, date: dt.date, recipient: Recipient, index: int) -> str:
    return f"{kind}-{date.isoformat()}-{'la' if recipient.is_la else f'parent-{index}'}"


def notice_plans(
    records: Records, case_id: str, case: Case, placement: Placement, notice_date: dt.date, method: str
) -> list[LetterPlan]:
    """One notice for each parent with parental responsibility, and one for the LA where there is an EHC plan."""
    provider = records.providers[placement.provider]
    sessions = session_lines(placement.sessions or provider.sessions)
    days = placement_days(records.calendar, placement)
    weekdays = [WEEKDAY_NAMES[day] for day in placement.weekdays]
    people = recipients(case, records)
    la = next((r.name for r in people if r.is_la), None)
    plans = []
    for index, recipient in enumerate(people, start=1):
        context = _common(records, case_id, case, recipient, notice_date, method)
        period_days = f"{len(days)} school day{'s' if len(days) != 1 else ''}"
        context.update(
            {
                "aims": list(placement.aims),
                "period": {
                    "days": len(days),
                    "days_text": period_days,
                    "start": uk(placement.start),
                    "end": uk(placement.end),
                    "weekdays": ", ".join(weekdays[:-1]) + (" and " if len(weekdays) > 1 else "") + weekdays[-1],
                },
                "start": {"date": uk(placement.start), "time": placement.start_time or ""},
                "provider": {
                    "name": provider.name,
                    "address_lines": _lines(provider.address),
                    "phone": provider.phone or "",
                    "code_of_conduct": provider.code_of_conduct or "",
                },
                "report_to": placement.report_to or "",
                "sessions": [{"label": label, "time": time} for label, time in sessions],
                "single_session": len(sessions) == 2,
                "english_maths": placement.english_maths or "",
                "reintegration": placement.reintegration or "",
                "copy_to_la": la if la and not recipient.is_la else "",
            }
        )
        required = {
            "the reasons for the placement": ["rationale"],
            "the aims of the placement": ["aims[*]"],
            "the period (number of days, first and last day)": ["period.days_text", "period.start", "period.end"],
            "the date and time it starts": ["start.date", "start.time"],
            "the address of the provision": ["provider.address_lines[*]"],
            "the person to report to on the first day": ["report_to"],
            "the session times": ["sessions[*].time"],
            **_recipient_required(method),
        }
        plans.append(
            LetterPlan("notice", recipient.name, _slug("notice", notice_date, recipient, index), context, required)
        )
    return plans


def invitation_plans(
    records: Records, case_id: str, case: Case, letter_date: dt.date, method: str, when: dt.date, time: str, place: str
) -> list[LetterPlan]:
    """The invitation to the planning meeting, to each parent with parental responsibility."""
    plans = []
    for index, recipient in enumerate([r for r in recipients(case, records) if not r.is_la], start=1):
        context = _common(records, case_id, case, recipient, letter_date, method)
        context["meeting"] = {"date": uk(when), "time": time, "place": place}
        required = {
            "the date, time and place of the meeting": ["meeting.date", "meeting.time", "meeting.place"],
            "the reasons alternative provision is being considered": ["rationale"],
            **_recipient_required(method),
        }
        plans.append(
            LetterPlan(
                "invitation", recipient.name, _slug("invitation", letter_date, recipient, index), context, required
            )
        )
    return plans


OUTCOME_WORDS = {
    "continue": "the placement continues as agreed",
    "change": "the placement continues with the changes below",
    "end": "the placement will end, and your child will return to the academy full time",
}


def review_plans(
    records: Records, case_id: str, case: Case, review: Review, letter_date: dt.date, method: str
) -> list[LetterPlan]:
    """The letter after a termly review: the outcome, the next review date, and who is responsible."""
    plans = []
    for index, recipient in enumerate([r for r in recipients(case, records) if not r.is_la], start=1):
        context = _common(records, case_id, case, recipient, letter_date, method)
        context["review"] = {
            "date": uk(review.date),
            "outcome": OUTCOME_WORDS[review.outcome],
            "next": uk(review.next) if review.next else "",
            "responsible": review.responsible or "",
            "parents_views": review.parents_views or "",
        }
        required = {
            "the outcome of the review": ["review.outcome"],
            "who is responsible": ["review.responsible"],
            **_recipient_required(method),
        }
        if review.outcome != "end":
            required["the date of the next review"] = ["review.next"]
        plans.append(
            LetterPlan("review", recipient.name, _slug("review", letter_date, recipient, index), context, required)
        )
    return plans
