"""What `ap show` and `ap list` say about a case: status, what stops it, what to do next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from apcli.errors import ApError
from apcli.rules import CaseContext, Finding, Rule, blocking
from apcli.status import NEXT_STEP, WORKING_TOWARDS_NOTICE, Status, status

if TYPE_CHECKING:
    from apcli.store import LoadedCase, Records


@dataclass(frozen=True)
class Overview:
    id: str
    status: Status
    blocking: list[tuple[Rule, Finding]]

    @property
    def blocked_by(self) -> list[str]:
        return list(dict.fromkeys(rule.id for rule, _ in self.blocking))

    @property
    def next(self) -> str:
        if self.blocking:
            rule, finding = self.blocking[0]
            return f"{rule.id}: {finding.message}"
        if self.status == "commissioned":
            return "ready for the notice (ap notice)"
        return NEXT_STEP[self.status]

    def blocking_as_dicts(self) -> list[dict[str, str]]:
        return [
            {"rule": rule.id, "kind": rule.kind, "message": finding.message, "fix": finding.fix}
            for rule, finding in self.blocking
        ]


def overview(records: Records, loaded: LoadedCase, today: dt.date) -> Overview:
    current = status(loaded.case, today)
    found = (
        blocking(CaseContext(loaded.id, loaded.case, today, records), "notice")
        if current in WORKING_TOWARDS_NOTICE
        else []
    )
    named = [(rule, replace(finding, fix=finding.fix.replace("CASE", loaded.id))) for rule, finding in found]
    return Overview(loaded.id, current, named)


def list_rows(records: Records, today: dt.date) -> tuple[list[dict[str, Any]], list[ApError]]:
    """`ap list`: one row a case, and the case files that could not be read (each also a row, `invalid`)."""
    from apcli.cache import ResultCache

    cache = ResultCache(records, "list", today.isoformat())
    rows: list[dict[str, Any]] = []
    problems: list[ApError] = []
    for case_id in records.case_ids():
        key = cache.key(case_id)
        row = cache.get(case_id, key)
        if row is None:
            try:
                row = _list_row(records, records.load_case(case_id), today)
            except ApError as error:
                problems.append(error)
                row = {"id": case_id, "pupil": None, "year": None, "provider": None, "status": "invalid"}
                rows.append({**row, "next": f"fix the case file: ap check {case_id}"})
                continue
            cache.put(case_id, key, row)
            records.forget(case_id)
        rows.append(row)
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
