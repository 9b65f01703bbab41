"""Fictional registers for tests that need many cases (the cases come from apcli.demo.place_pupils)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from apcli.records.store import Records
from apcli.setup.demo import write_register
from tests.conftest import invoke

AGREED_CASE = "AP-2026-011"


def agreed(root: Path, pupil: str, parent: str, dob: str = "2018-05-01") -> str:
    """A fictional Year 4 pupil referred for respite on 7 September 2026, the planning meeting held with the parent
    on the 8th, the parents' acceptance that day and the headteacher's approval on the 9th: ready to be placed.
    Returns the case id (the demo's next)."""
    steps = [
        ("2026-09-07", "refer", "--name", pupil, "--dob", dob, "--year", "4", "--reason", "respite", "--rationale",
         "Respite from the academy", "--send-hub", "2026-09-03", "--managed-move", "not-suitable",
         "--managed-move-why", "x", "--parent", f"{parent} (mother)", "--address", "1 Road, Town", "--date",
         "2026-09-07"),
        ("2026-09-08", "meeting", AGREED_CASE, "--kind", "planning", "--date", "2026-09-08", "--present",
         f"{parent} (parent)", "--present", "Jo Patel (senco)", "--reasons-explained"),
        ("2026-09-08", "decision", AGREED_CASE, "--parents", "accepted", "--date", "2026-09-08"),
        ("2026-09-09", "decision", AGREED_CASE, "--headteacher", "approve", "--date", "2026-09-09"),
    ]  # fmt: skip
    for today, *args in steps:
        result = invoke(root, *args, today=today)
        assert result.exit_code == 0, (args, result.output)
    return AGREED_CASE


def full_register(folder: Path, case_ids: list[str], first: dt.date, last: dt.date, path: Path) -> Path:
    """A long-layout register with B for every session of every school day from `first` to `last`."""
    return write_register(path, case_ids, Records.open(folder).calendar.school_days_between(first, last))
