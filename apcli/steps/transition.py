"""`ap transition`: the move to secondary school at the end of Year 6 recorded on the case (TRANSITION-KS3)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from apcli.errors import UsageError
from apcli.model.dates import parse_date, school_year_label
from apcli.steps.workflow import Change, change_case, check_not_before_referral, check_not_future

if TYPE_CHECKING:
    from apcli.model.schema import Case
    from apcli.policy import GateResult


def record_transition(change: Change, school: str, date: str, handover: str) -> GateResult:
    """Record that the receiving secondary school was told, and what was handed over, on `date` (up to today,
    in the pupil's Year 6 and not before the referral). A case that has ended may still record it; a second
    record replaces the first, and the history keeps both."""
    from apcli.model.schema import Transition
    from apcli.policy.keystage import year6_of

    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    if not school.strip():
        raise UsageError("--school: give the name of the secondary school the pupil moves to.")
    if not handover.strip():
        raise UsageError('--handover: say what was handed over, and to whom (for example "SENCo call, plan sent").')
    entry = Transition.model_validate({"school": school.strip(), "date": day, "handover": handover.strip()})
    before: list[Transition | None] = [None]

    def apply(case: Case) -> Case:
        check_not_before_referral(day, case, "--date")
        year6 = year6_of(case)
        if day < dt.date(year6, 9, 1):
            raise UsageError(
                f"--date: on {day} the pupil is not yet in Year 6 (their Year 6 is {school_year_label(dt.date(year6, 9, 1))}); "
                "the move to secondary school is recorded in Year 6."
            )
        before[0] = case.transition
        return case.model_copy(update={"transition": entry})

    def what(case: Case) -> str:
        text = f"transition to secondary school recorded: {entry.school}, told on {entry.date}"
        old = before[0]
        if old is not None:
            text += f" (replacing: {old.school}, told on {old.date})"
        return text

    return change_case(change, "transition", what, apply, after_the_end=True)
