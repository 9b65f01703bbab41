"""What `ap show` and `ap list` say about a case: status, what stops it, what to do next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apcli.errors import ApError
from apcli.model.status import NEXT_STEP, WORKING_TOWARDS_NOTICE, Status, status
from apcli.policy import CaseContext, Finding, Rule, blocking, naming_the_case

if TYPE_CHECKING:
    from apcli.records.store import LoadedCase, Records


@dataclass(frozen=True)
class Overview:
    id: str
    status: Status
    blocking: list[tuple[Rule, Finding]]
    owed: list[tuple[Rule, Finding]] = field(default_factory=list)  # what ended placements still owe

    @property
    def blocked_by(self) -> list[str]:
        return list(dict.fromkeys(rule.id for rule, _ in self.blocking))

    @property
    def next(self) -> str:
        if self.blocking:
            rule, finding = self.blocking[0]
            return f"{rule.id}: {finding.message}"
        if self.owed and self.status == "ended":
            rule, finding = min(self.owed, key=lambda pair: (pair[1].due or dt.date.max, pair[0].id))
            more = f" (and {len(self.owed) - 1} more: ap review due --case {self.id})" if len(self.owed) > 1 else ""
            return f"{rule.id}: {finding.message}{more}"
        if self.status == "commissioned":
            return "ready for the notice (ap notice)"
        return NEXT_STEP[self.status]

    def owed_as_dicts(self) -> list[dict[str, str | None]]:
        return [
            {"rule": rule.id, "message": finding.message, "due": finding.due.isoformat() if finding.due else None}
            for rule, finding in self.owed
        ]

    def blocking_as_dicts(self) -> list[dict[str, str]]:
        return [
            {"rule": rule.id, "kind": rule.kind, "message": finding.message, "fix": finding.fix}
            for rule, finding in self.blocking
        ]


def overview(records: Records, loaded: LoadedCase, today: dt.date) -> Overview:
    """The case's status (an ended case is closed once its ended placements owe nothing: apcli/steps/duties.py), what
    stops its notice, and what its ended placements still owe."""
    from apcli.policy.duties import owed_after_the_end, refined

    context = CaseContext(loaded.id, loaded.case, today, records)
    current = status(loaded.case, today)
    found = blocking(context, "notice") if current in WORKING_TOWARDS_NOTICE else []
    owed = owed_after_the_end(context) if current != "closed" else []
    named = [(rule, naming_the_case(finding, loaded.id)) for rule, finding in found]
    return Overview(loaded.id, refined(current, owed), named, owed)


def list_rows(records: Records, today: dt.date) -> tuple[list[dict[str, Any]], list[ApError]]:
    """`ap list`: one row a case, and the case files that could not be read (each also a row, `invalid`)."""
    rows: list[dict[str, Any]] = []
    problems: list[ApError] = []
    for case_id, row in records.index.each("list", today, lambda loaded, day: _list_row(records, loaded, day)):
        if isinstance(row, dict):
            rows.append(row)
            continue
        if not isinstance(row, ApError):
            raise row
        problems.append(row)
        invalid = {"id": case_id, "pupil": None, "year": None, "provider": None, "status": "invalid"}
        rows.append({**invalid, "next": f"fix the case file: ap check {case_id}"})
    return rows, problems


def _list_row(records: Records, loaded: LoadedCase, today: dt.date) -> dict[str, Any]:
    case = loaded.case
    seen = overview(records, loaded, today)
    return {
        "id": loaded.id,
        "pupil": case.pupil.name,
        "year": case.pupil.year,
        "provider": ", ".join(dict.fromkeys(p.provider for p in (case.open_placements or case.placements))) or None,
        "status": seen.status,
        "next": seen.next,
    }
