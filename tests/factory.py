"""Fictional placed pupils for tests that need many cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from apcli.models import Case
from apcli.store import Records


def place_pupils(folder: Path, count: int, start: dt.date, end: dt.date, prefix: str = "AP-2025") -> list[str]:
    """Add `count` cases placed at the demo provider every weekday from `start` to `end`, notice given."""
    records = Records.open(folder)
    template = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    ids = []
    for number in range(count):
        case_id = f"{prefix}-{number + 1:03d}"
        data = dict(template)
        data["pupil"] = {**template["pupil"], "name": f"Pupil {number}"}
        data["placement"] = {
            "provider": "larkhill-green",
            "start": start,
            "end": end,
            "aims": ["x"],
            "report_to": "x",
            "start_time": "09:15",
        }
        data["notices"] = [
            {"date": start - dt.timedelta(days=7), "method": "hand", "start": start, "end": end, "to": ["x"]}
        ]
        records.save_case(case_id, Case.model_validate(data), None)
        ids.append(case_id)
    return ids


def full_register(
    folder: Path, case_ids: list[str], first: dt.date, last: dt.date, path: Path, mark: str = "B"
) -> Path:
    """A long-layout register with `mark` for every session of every school day from `first` to `last`."""
    days = Records.open(folder).calendar.school_days_between(first, last)
    rows = [f"{c},{d},{s},{mark}" for c in case_ids for d in days for s in ("AM", "PM")]
    path.write_text("case,date,session,mark\n" + "\n".join(rows) + "\n")
    return path
