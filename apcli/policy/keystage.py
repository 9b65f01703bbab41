"""Checks of the end of Key Stage 2 (PLACE-KEY-STAGE-2) and the move to secondary school (TRANSITION-KS3).

The policy covers KS1 and KS2; a pupil's Key Stage 2 ends with the summer term of their Year 6 (the year
group from the date of birth and the English school year, 1 September to 31 August, or the year group the
referral states for a pupil taught out of it). The summer term is the school's own, from calendar.yaml.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from apcli.model.attendance import last_day
from apcli.model.dates import school_year_label, year6_school_year
from apcli.policy.base import CaseContext, Finding

if TYPE_CHECKING:
    from apcli.model.schema import Case

# While calendar.yaml does not hold the summer term of the pupil's Year 6, the transition is due by 1 April:
# no later than any English summer term starts (they start in April, after Easter), so never late by it.
FALLBACK_DUE = (4, 1)


def year6_of(case: Case) -> int:
    """The calendar year in which the school year of the pupil's Year 6 begins."""
    pupil = case.pupil
    return year6_school_year(pupil.dob, pupil.year, pupil.out_of_year_group, case.referral.date)


def end_of_key_stage_2(context: CaseContext) -> list[Finding]:
    """No placement day after the last day of the summer term of the pupil's Year 6."""
    placement = context.placement
    if placement is None:
        return []
    year6 = year6_of(context.case)
    label = school_year_label(dt.date(year6, 9, 1))
    last = last_day(placement)
    if last < dt.date(year6, 9, 1):
        return []
    name = f"{placement.id} ({placement.provider})" if len(context.case.placements) > 1 else "the placement"
    calendar = context.records.calendar
    summer = calendar.summer_term(year6)
    if summer is not None:
        if last <= summer.end:
            return []
        return [
            Finding(
                "PLACE-KEY-STAGE-2",
                f"{name} runs to {last}, after the end of Key Stage 2: the pupil's Year 6 ends with the summer "
                f"term ({summer.name}) on {summer.end}, and then the pupil moves to secondary school",
                f"end it on or before {summer.end} (--end {summer.end} or earlier); the secondary school "
                "takes over from September (ap transition)",
                ("placement", "end"),
            )
        ]
    if last >= dt.date(year6 + 1, 9, 1):
        return [
            Finding(
                "PLACE-KEY-STAGE-2",
                f"{name} runs to {last}, after the end of Key Stage 2: the pupil's Year 6 is {label}, so on "
                f"{last} they are in Year 7, at secondary school",
                f"end it on or before the last day of the summer term of {label} (add that term to calendar.yaml "
                "to see the date)",
                ("placement", "end"),
            )
        ]
    known = calendar.terms_of_school_year(year6)
    if known and last <= known[-1].end:
        return []  # before the end of a term of Year 6 that comes before its summer term
    return [
        Finding(
            "PLACE-KEY-STAGE-2",
            f"{name} runs to {last}, in the pupil's Year 6 ({label}), but calendar.yaml does not hold the summer "
            f"term of {label}, so whether it ends before Key Stage 2 does cannot be judged",
            f"add the terms of {label} to calendar.yaml (the school's published term dates), then run the "
            "command again",
            ("placement", "end"),
        )
    ]


def transition(context: CaseContext) -> list[Finding]:
    """From the first day of the spring term of Year 6, while the case is open: the receiving secondary school
    told and the handover recorded, by the first school day of the summer term.

    Secondary places are offered on national offer day (1 March); the summer term is when secondary schools
    plan their new Year 7, so the handover is due as it starts.
    """
    from apcli.model.status import status

    case = context.case
    if case.transition is not None:
        return []
    year6 = year6_of(case)
    calendar = context.records.calendar
    spring = calendar.spring_term(year6)
    from_day = spring.start if spring is not None else dt.date(year6 + 1, 1, 1)
    if context.today < from_day:
        return []
    current = status(case, context.today)
    if current == "closed":
        return []
    if current == "ended" and not any(last_day(p) >= dt.date(year6, 9, 1) for p in case.placements):
        return []  # the case ended before the pupil's Year 6
    summer = calendar.summer_term(year6)
    label = school_year_label(dt.date(year6, 9, 1))
    message = "Year 6: tell the receiving secondary school and record the handover (ap transition)"
    if summer is None:
        due = dt.date(year6 + 1, *FALLBACK_DUE)
        message += f"; calendar.yaml does not hold the summer term of {label}, so it is due by {due}"
    else:
        due = calendar.first_school_day_of(summer)
    return [
        Finding(
            "TRANSITION-KS3",
            message,
            "ap transition CASE --school NAME --date D --handover TEXT",
            ("pupil",),
            due,
        )
    ]
