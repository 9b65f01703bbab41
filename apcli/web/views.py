"""What the pages show, read through the same core as `ap review due`, `ap list`, `ap show`, `ap log` and
`ap check`: nothing here decides anything the CLI does not."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from apcli.web.forms import Step, suggested

if TYPE_CHECKING:
    from apcli.records.store import LoadedCase, Records


@dataclass(frozen=True)
class Link:
    """A form that does what a finding asks: its step, and the values the finding's words give."""

    title: str
    href: str


def link_for(text: str | None, case: str | None, known: Mapping[str, Step]) -> Link | None:
    if "ap attendance import" in (text or ""):
        return Link("Import attendance", "/import")
    found = suggested(text or "", frozenset(known))
    if not found:
        return None
    slug, given = found
    return Link(known[slug].title, f"/do/{slug}?" + urlencode([*([("case", case)] if case else []), *given]))


def today_items(records: Records, today: dt.date, known: Mapping[str, Step]) -> tuple[list[dict[str, Any]], list[str]]:
    """`ap review due`'s items, soonest first, each with the form that clears it; and the unreadable files."""
    from apcli.reports.due import due_items

    items, problems = due_items(records, today)
    shown = [{**item.as_dict(), "link": link_for(item.what, item.case, known)} for item in items]
    return shown, [problem.message for problem in problems]


def case_rows(records: Records, today: dt.date, status: str | None, query: str) -> tuple[list[dict[str, Any]], int]:
    """`ap list`'s rows, of one status and matching the words searched for (in the id or the pupil's name)."""
    from apcli.reports.overview import list_rows

    rows, _ = list_rows(records, today)
    words = query.casefold().split()

    def matches(row: dict[str, Any]) -> bool:
        text = f"{row['id']} {row['pupil'] or ''}".casefold()
        return all(word in text for word in words)

    kept = [row for row in rows if (not status or row["status"] == status) and matches(row)]
    return kept, len(rows)


def fingerprint(records: Records, case_id: str) -> str:
    """The case file as it is now: a form carries it, so that a change made since the form was opened (in
    another tab, or from the CLI) is found before anything is written."""
    return hashlib.sha256(records.read_bytes(records.case_path(case_id), "cases")).hexdigest()


@dataclass(frozen=True)
class CasePage:
    loaded: LoadedCase
    status: str
    next: str
    blocking: list[dict[str, Any]]
    owed: list[dict[str, Any]]
    timeline: list[Any]
    charts: str
    letters: list[dict[str, Any]]
    seen: str


def case_page(records: Records, case_id: str, today: dt.date, known: Mapping[str, Step]) -> CasePage:
    from apcli.reports.overview import overview
    from apcli.reports.timeline import timeline

    loaded = records.load_case(case_id)
    seen = overview(records, loaded, today)
    blocking = [{**item, "link": link_for(item["fix"], loaded.id, known)} for item in seen.blocking_as_dicts()]
    owed = [{**item, "link": link_for(item["message"], loaded.id, known)} for item in seen.owed_as_dicts()]
    return CasePage(
        loaded,
        seen.status,
        seen.next,
        blocking,
        owed,
        timeline(records, loaded.id),
        _charts(records, loaded, today),
        letters_of(loaded),
        fingerprint(records, loaded.id),
    )


def _charts(records: Records, loaded: LoadedCase, today: dt.date) -> str:
    """The report's own charts for this pupil (attendance week by week, each target's measures), over the
    school year holding today: the same drawing as `ap report --html`."""
    from apcli.reports.money import choose_period, pupil_line
    from apcli.reports.moneyhtml import pupil_section

    period = choose_period(records, today, None, None, None, None)
    line = pupil_line(records, loaded.id, loaded.case, period, today)
    return pupil_section(line, records.settings.attendance_threshold, True) if line else ""


def letters_of(loaded: LoadedCase) -> list[dict[str, Any]]:
    """Every letter file the case records (each placement's notices and their copies, then the other letters),
    in that order: the only files the server lets anyone download, each by the path the case holds for it."""
    case = loaded.case
    found: list[dict[str, Any]] = []
    for placement in case.placements:
        for notice in placement.notices:
            found += [{"kind": "notice", "date": notice.date, "to": x.to, "file": x.file} for x in notice.letters]
            for copy in notice.copies:
                found += [{"kind": "notice copy", "date": copy.date, "to": x.to, "file": x.file} for x in copy.letters]
    found += [{"kind": x.kind, "date": x.date, "to": x.to, "file": x.file} for x in case.letters]
    return found
