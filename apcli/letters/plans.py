"""What each letter says: the data a template gets, and the items the letter must state."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from apcli.letters.render import LetterPlan
from apcli.model.dates import uk, uk_short
from apcli.model.notices import Recipient, placement_days, recipients, session_lines

if TYPE_CHECKING:
    from apcli.model.schema import Case, Notice, Placement, Review
    from apcli.records.store import Records

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
        "date_iso": letter_date.isoformat(),  # for the Word file's properties (created, modified)
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
            "salutation": salutation(recipient),
        },
        "pupil": {"name": pupil.name, "dob": uk_short(pupil.dob), "year": f"Year {pupil.year}"},
        "reasons": [_reason_text(r, school.name) for r in case.referral.reasons],
        "rationale": case.referral.rationale.strip(),
        "alternative_to_exclusion": case.referral.alternative_to_exclusion,
    }


def salutation(recipient: Recipient) -> str:
    """How the letter opens, without "Dear": "Ms Testcase" from a title and the surname (the name's last
    word), else the full name; an LA, which has no one named, "Sir or Madam"."""
    if recipient.is_la:
        return "Sir or Madam"
    if recipient.title:
        return f"{recipient.title} {recipient.name.split()[-1]}"
    return recipient.name


def _reason_text(reason: str, school: str) -> str:
    """The policy's reason as a sentence, with the school's own name for "the academy" (capitalised here, not by
    the template, whose `capitalize` would lower the name's capitals)."""
    from apcli.model.schema import REASONS

    text = REASONS[reason].replace("the academy", school)
    return text[:1].upper() + text[1:]


def _recipient_required(method: str) -> dict[str, list[str]]:
    """Paths into the letter's data (see letters.missing_items) that must reach the page."""
    return {
        "who the letter is to": ["recipient.name", *(["recipient.address_lines[*]"] if method == "post" else [])],
        "how to reply to the school (its address, telephone and email)": [
            "school.address_lines[*]",
            "school.phone",
            "school.email",
        ],
        "who signs it (the headteacher's name)": ["school.headteacher"],
    }


def _slug(kind: str, date: dt.date, recipient: Recipient, index: int) -> str:
    return f"{kind}-{date.isoformat()}-{'la' if recipient.is_la else f'parent-{index}'}"


def _weekday_words(weekdays: list[str]) -> str:
    names = [WEEKDAY_NAMES[day] for day in weekdays]
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""


def what_changed(records: Records, pupil: str, placement: Placement, earlier: list[Notice]) -> dict[str, Any] | str:
    """What this notice changes in the last one the parents were given, in plain words ("" for a first notice):
    `This letter changes the placement we told you about on 7 December 2026: it now ends on 26 March 2027
    instead of 12 February 2027.` It compares what that notice stated with the placement as it now stands."""
    if not earlier:
        return ""
    last = max(earlier, key=lambda n: n.date)
    clauses = []
    if last.provider not in (None, placement.provider):
        before, after = records.providers.get(last.provider), records.providers.get(placement.provider)
        clauses.append(
            f"it is now at {after.name if after else placement.provider} instead of "
            f"{before.name if before else last.provider}"
        )
    if last.start != placement.start:
        clauses.append(f"it now starts on {uk(placement.start)} instead of {uk(last.start)}")
    if last.end != placement.end:
        clauses.append(f"it now ends on {uk(placement.end)} instead of {uk(last.end)}")
    if last.weekdays not in (None, list(placement.weekdays)):
        clauses.append(
            f"it is now on {_weekday_words(list(placement.weekdays))} instead of "
            f"{_weekday_words(list(last.weekdays or []))}"
        )
    if last.attends not in (None, placement.attends):
        words = {"both": "for the whole day", "am": "in the mornings only", "pm": "in the afternoons only"}
        clauses.append(f"{pupil} now attends {words[placement.attends]} instead of {words[last.attends]}")
    if last.start_time not in (None, placement.start_time):
        clauses.append(f"the start time is now {placement.start_time} instead of {last.start_time}")
    told = uk_short(last.date)
    if clauses:
        joined = "; ".join(clauses[:-1]) + ("; and " if len(clauses) > 1 else "") + clauses[-1]
        text = f"This letter changes the placement we told you about on {told}: {joined}."
    else:
        text = (
            f"This letter replaces the notice we gave you on {told}: the placement's terms below are as they now stand."
        )
    owed = [c.first_day for c in placement.changes if c.needs_notice and c.date >= last.date]
    first = min(owed) if owed else None
    if first is not None and first != placement.start:
        text += f" The change takes effect from {uk(first)}; until then the placement goes on as we told you."
    return {"text": text, "since": told, "from": uk(first) if first else ""}


# A placement of part of each day says so wherever its days are stated ("on Tuesday and Thursday, mornings only").
_PART_OF_DAY = {"am": ", mornings only", "pm": ", afternoons only"}


def notice_plans(
    records: Records,
    case_id: str,
    case: Case,
    placement: Placement,
    notice_date: dt.date,
    method: str | None,
    earlier: list[Notice] | None = None,
    copy_of: Notice | None = None,
    only: str | None = None,
) -> list[LetterPlan]:
    """One notice for each parent within Education Act 1996 s576 (parental responsibility, or care of the
    child), and one for the LA that maintains the plan where there is an EHC plan, each by the method given
    (`method`) or else the recipient's own. `earlier`: the notices given before this one; a notice after them
    says what changed since the last. `copy_of` and `only`: a copy of that notice, for that one recipient."""
    provider = records.providers[placement.provider]
    change = what_changed(records, case.pupil.name, placement, earlier or [])
    sessions = session_lines(placement.sessions or provider.sessions, placement.attends)
    days = placement_days(records.calendar, placement)
    people = recipients(case, records)
    la = next((r.name for r in people if r.is_la), None)
    plans = []
    for index, recipient in enumerate(people, start=1):
        if only is not None and recipient.name.casefold() != only.casefold():
            continue
        how = recipient.method_for(method)
        context = _common(records, case_id, case, recipient, notice_date, how)
        period_days = f"{len(days)} school day{'s' if len(days) != 1 else ''}"
        context.update(
            {
                "aims": list(placement.aims),
                "period": {
                    "days": len(days),
                    "days_text": period_days,
                    "start": uk(placement.start),
                    "end": uk(placement.end),
                    "weekdays": _weekday_words(list(placement.weekdays)) + _PART_OF_DAY.get(placement.attends, ""),
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
                "change": change,
                "copy_of": uk(copy_of.date) if copy_of else "",
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
            **_recipient_required(how),
        }
        if copy_of:
            required["that it is a copy of the notice given, and when"] = ["copy_of"]
        if change:
            required["what changed since the last notice"] = ["change.text"]
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
    "end": "the placement will end, and your child will return to {school} full time",
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
            "outcome": OUTCOME_WORDS[review.outcome].format(school=records.settings.school.name),
            "next": uk(review.next) if review.next else "",
            "responsible": review.responsible or "",
            "parents_views": review.parents_views or "",
            "continue_until": uk(review.continue_until) if review.continue_until else "",
            "ends": review.outcome == "end",
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
