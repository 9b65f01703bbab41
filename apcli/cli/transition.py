"""`ap transition`: the receiving secondary school told and the handover recorded (the end of Year 6)."""

from __future__ import annotations

from typing import Annotated

import typer

from apcli.cli.base import CaseArgument, app, date_option
from apcli.cli.workflow import _change, _report


@app.command()
def transition(
    case_id: CaseArgument,
    school: Annotated[str, typer.Option("--school", metavar="NAME", help="The secondary school the pupil moves to.")],
    date: Annotated[str, date_option("When that school was told (up to today).")],
    handover: Annotated[str, typer.Option("--handover", metavar="TEXT", help="What was handed over, and to whom.")],
) -> None:
    """Record the move to secondary school: the school told, on which day, and the handover (TRANSITION-KS3)."""
    from apcli.steps.transition import record_transition

    result = record_transition(_change(case_id), school, date, handover)
    _report(case_id, "transition recorded", result.unneeded)
