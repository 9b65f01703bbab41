"""History entries and overrides: every change to a case says when, who and what."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apcli.model.schema import Case


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(case: Case, today: dt.date, by: str, what: str, overrides: dict[str, str], step: str) -> Case:
    """`case` with a history entry for `what` and one for each override used."""
    from apcli.model.schema import HistoryEntry, Override

    now = utc_now()
    history = [*case.history, HistoryEntry(date=today, at=now, by=by, what=what)]
    added = [Override(rule=rule, why=why, by=by, date=today, step=step) for rule, why in overrides.items()]
    history += [
        HistoryEntry(date=today, at=now, by=by, what=f"override {rule}: {why}") for rule, why in overrides.items()
    ]
    return case.model_copy(update={"history": history, "overrides": [*case.overrides, *added]})
