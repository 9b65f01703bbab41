"""`ap review due`: everything the due rules say is owed, for every case, soonest first."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from apcli.errors import ApError
from apcli.records.index import AHEAD

if TYPE_CHECKING:
    from apcli.policy import Rule
    from apcli.records.store import LoadedCase, Records


class DueItem(NamedTuple):
    """One thing owed (a tuple: at 20,000 cases a run lists a quarter of a million)."""

    case: str
    pupil: str
    rule: str
    what: str
    due: dt.date
    state: str  # "due" or "overdue"

    def as_dict(self) -> dict[str, str]:
        return {**self._asdict(), "due": self.due.isoformat()}


def due_items(
    records: Records, today: dt.date, case_ids: list[str] | None = None, within: int | None = None
) -> tuple[list[DueItem], list[ApError]]:
    """The items owed, soonest first, and the case files that could not be read (never skipped silently).

    Each case's items are kept in the index (apcli/records/index.py) with the days they hold on, and each with
    the days it is owed on (`Finding.holds`), so another day needs no rule run again."""
    owed: dict[tuple[str, str, str, str, str], None] = {}  # (due, case, rule, what, pupil): sorts as it should
    problems: list[ApError] = []
    day = today.toordinal()
    for _, kept in records.index.each(
        "due", today, lambda loaded, day: _case_items(loaded, due_rules(), day, records), case_ids, ahead=AHEAD
    ):
        if not isinstance(kept, list):
            problems.append(_as_problem(kept))
            continue
        # a provider's item, found by each of its cases, once
        owed.update(
            dict.fromkeys(
                (due, case, rule, what, pupil)
                for case, pupil, rule, what, due, first, last in kept
                if first <= day <= last
            )
        )
    if within is not None:
        horizon = (today + dt.timedelta(days=max(0, min(within, (dt.date.max - today).days)))).isoformat()
        owed = {item: None for item in owed if item[0] <= horizon}
    items = []
    for due_text, case, rule, what, pupil in sorted(owed):
        due = dt.date.fromisoformat(due_text)
        items.append(DueItem(case, pupil, rule, what, due, "overdue" if due < today else "due"))
    return items, problems


@functools.cache
def due_rules() -> list[Rule]:
    """The due rules (their catalogue is imported only when a case's items are worked out, not when they are
    served from the index)."""
    from apcli.policy import catalogue

    return [rule for rule in catalogue().values() if rule.kind == "due" and rule.check]


def _as_problem(error: BaseException) -> ApError:
    """A case's error as `review due` lists it: an ApError as it is; anything else (a number of 5,000 digits
    in the file, say) raised as before."""
    if isinstance(error, ApError):
        return error
    raise error


def _case_items(loaded: LoadedCase, rules: list[Rule], today: dt.date, records: Records) -> list[list[Any]]:
    """An open placement's items, and what an ended one still owes (apcli/steps/duties.py): the due rules run
    once. Each item as the index keeps it: case, pupil, rule, what, due, and the first and last day (as
    ordinals) on which it is owed."""
    from apcli.model.status import status
    from apcli.policy import CaseContext
    from apcli.policy.base import owed_on
    from apcli.policy.duties import due_findings

    current = status(loaded.case, today)
    if current == "closed":
        return []
    found = due_findings(CaseContext(loaded.id, loaded.case, today, records, every_day=True), rules)
    if current == "ended" and not owed_on(found, today):
        return []  # every placement ended and nothing is owed: a closed case has nothing due
    items = []
    for rule, finding in found:
        if finding.due is None:
            continue
        first, last = finding.holds or (dt.date.min, dt.date.max)
        if rule.id in PROVIDER_RULES:  # the provider's item, not the pupil's: named by the provider
            case, pupil = str(finding.path[-1]), ""
        else:
            case, pupil = loaded.id, loaded.case.pupil.name
        items.append(
            [case, pupil, rule.id, finding.message, finding.due.isoformat(), first.toordinal(), last.toordinal()]
        )
    return items


# Due rules whose items are a provider's: each is listed once, under the provider's id, however many cases find it.
PROVIDER_RULES = ("PROVIDER-RECONFIRM",)


def as_csv(items: list[DueItem]) -> str:
    from apcli.records.exporting import safe_cell

    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["case", "pupil", "rule", "what", "due", "state"])
    for item in items:
        writer.writerow(
            [
                safe_cell(value)
                for value in (item.case, item.pupil, item.rule, item.what, item.due.isoformat(), item.state)
            ]
        )
    return stream.getvalue()


_LINE_BREAK = re.compile("\r\n?|[\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _ics_text(text: str) -> str:
    """RFC 5545 TEXT: escaped, each line break as \\n, and no other control character (a bare CR would let
    text from a file start a new property or event in the calendar)."""
    text = _CONTROL.sub("", _LINE_BREAK.sub("\n", text))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets are folded."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def as_ics(items: list[DueItem], school: str, stamp: dt.datetime) -> str:
    """One all-day event per item, for Outlook or Google Calendar. The pupil's name is left out (calendars are shared)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ap//alternative provision//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_text(f'AP due ({school})')}",
    ]
    seen: dict[str, int] = {}
    for item in items:
        key = f"{item.case}-{item.rule}-{item.due.isoformat()}"
        seen[key] = seen.get(key, 0) + 1
        uid = f"{key}-{seen[key]}@ap"  # stable from day to day, so a re-import updates rather than duplicates
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{item.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{item.due + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ics_text(f'{item.state.upper()}: {item.case} {item.rule}')}",
            f"DESCRIPTION:{_ics_text(item.what)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
