"""Fictional registers for tests that need many cases (the cases come from apcli.demo.place_pupils)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from apcli.demo import write_register
from apcli.store import Records


def full_register(folder: Path, case_ids: list[str], first: dt.date, last: dt.date, path: Path) -> Path:
    """A long-layout register with B for every session of every school day from `first` to `last`."""
    return write_register(path, case_ids, Records.open(folder).calendar.school_days_between(first, last))
