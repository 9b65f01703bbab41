"""`ap export census`: the school census's items for school-arranged AP placements.

The school census has a module for alternative provision placements arranged by
the school. For each placement it asks for the setting (its URN; else its UKPRN;
else the AP type of setting), the entry date, the leaving date, the sessions a
week, full or part time, and the primary reason for the placement. The rules
below, and what is not confirmed, are cited in the README ("The school census").

Census days: the first Thursday in October (autumn), the third Thursday in
January (spring) and the third Thursday in May (summer). A census's collection
period runs from the previous census day to its own: it reports every placement
open on census day and every one that ended in the period.

Numbers are named by what they count: `sessions_per_week` is the sessions a week *at the provider*; the
attendance in the collection period is given twice, at the provider (its register: B or D is the pupil
there) and statutory (the school's register, as the MIS shows it: D sessions count at the other school
where the pupil is dual registered, so in neither possible nor attended).

A pupil at two providers has a row for each placement, each with its own sessions a week; the pupil's total
(summed over the placements running alongside) is given beside them, and makes the pupil full time or not.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from apcli.errors import UsageError
from apcli.model.sessions import FULL_TIME_SESSIONS, pupil_sessions_a_week, sessions_a_week

if TYPE_CHECKING:
    from apcli.model.attendance import Summary
    from apcli.model.schema import Case, Placement, Provider
    from apcli.records.store import LoadedCase, Records

SETTING_TYPES = {
    "NFE": "non-maintained further education provision",
    "OOT": "one-on-one tuition",
    "OTH": "other unregistered provider",
    "WBP": "work-based placement",
}
THURSDAY = 3
CENSUS_MONTHS = ((1, 3, "spring"), (5, 3, "summer"), (10, 1, "autumn"))  # month, which Thursday, census


def _nth_thursday(year: int, month: int, nth: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(THURSDAY - first.weekday()) % 7 + 7 * (nth - 1))


def census_days(years: range) -> list[tuple[dt.date, str]]:
    """Every census day in `years`, in order, each with its name (spring, summer, autumn)."""
    return [(_nth_thursday(year, month, nth), name) for year in years for month, nth, name in CENSUS_MONTHS]


@dataclass(frozen=True)
class Census:
    name: str  # e.g. "spring 2027"
    day: dt.date
    period_start: dt.date  # the previous census day


def census_in_term(first: dt.date, last: dt.date, term_name: str) -> Census:
    """The census whose day falls in the term from `first` to `last`."""
    days = census_days(range(first.year - 1, last.year + 1))
    for index, (day, name) in enumerate(days):
        if first <= day <= last:
            return Census(f"{name} {day.year}", day, days[index - 1][0])
    raise UsageError(f"No census day falls in {term_name} ({first} to {last}); give a term that holds one.")


def choose_census(records: Records, today: dt.date, term: str | None) -> Census:
    """The census of the named term; without one, of the term holding today (else the next term, else the last)."""
    from apcli.reports.money import find_term

    if term is not None:
        chosen = find_term(records, term)
    else:
        terms = sorted(records.calendar.file.terms, key=lambda t: t.start)
        if not terms:
            raise UsageError("calendar.yaml has no terms; add this year's terms first.")
        chosen = next((t for t in terms if today <= t.end), terms[-1])
    return census_in_term(chosen.start, chosen.end, chosen.name)


@dataclass
class CensusRow:
    case: str
    upn: str
    pupil: str
    provider: str
    urn: str
    ukprn: str
    setting_type: str
    entry_date: str
    leaving_date: str
    sessions_per_week: int
    full_or_part_time: str
    primary_reason: str  # the referral's first reason, e.g. exclusion-risk
    reason_words: str
    reason_code: str
    placement: str = "P1"  # the census has a row for each placement, with its own sessions
    pupil_sessions_per_week: int = 0  # the pupil's total over the placements running alongside it
    pupil_full_or_part_time: str = ""
    register_code: str = ""  # B, or D where the pupil is dual registered at the provider
    possible_at_provider: int = 0  # in the collection period, to census day (or today)
    attended_at_provider: int = 0
    possible_statutory: int = 0  # the school register's figure: D sessions in neither
    attended_statutory: int = 0
    problems: list[str] = field(default_factory=list)


# What each number of a row counts, for whoever reads the export (--json gives it as `labels`).
LABELS = {
    "sessions_per_week": "sessions a week at the provider (its weekdays x sessions a day)",
    "pupil_sessions_per_week": "the pupil's sessions a week at all providers running alongside",
    "possible_at_provider": "possible sessions in the collection period, at the provider (its register)",
    "attended_at_provider": "attended sessions in the collection period, at the provider (B or D: the pupil there)",
    "possible_statutory": "possible sessions in the collection period, statutory (school register): D sessions "
    "left out, they count at the school where the pupil is dual registered",
    "attended_statutory": "attended sessions in the collection period, statutory (school register): D left out, "
    "B attended",
}


COLUMNS = [name for name in CensusRow.__dataclass_fields__ if name != "problems"]


def _setting(provider: Provider | None) -> tuple[str, str, str, list[str]]:
    """URN, else UKPRN, else AP type of setting: exactly one is returned, as the census asks."""
    if provider is None:
        return "", "", "", ["the provider is not in the register"]
    if provider.urn:
        return provider.urn, "", "", []
    if provider.ukprn:
        return "", provider.ukprn, "", []
    if provider.setting_type:
        return "", "", provider.setting_type, []
    return "", "", "", ["the provider has no URN, UKPRN or setting type: add one to its file in providers/"]


def placement_row(
    records: Records, case_id: str, case: Case, placement: Placement, census: Census, today: dt.date
) -> CensusRow | None:
    """The census row for one placement, or None when it is not in this census (it had not begun by census
    day, or it ended before the collection period)."""
    from apcli.model.attendance import last_day
    from apcli.model.schema import REASONS
    from apcli.model.status import placement_status

    if placement_status(placement, today) not in ("active", "ended"):
        return None  # only placements that began are reported
    left = last_day(placement)
    if placement.start > census.day or left < census.period_start:
        return None
    provider = records.providers.get(placement.provider)
    urn, ukprn, setting_type, problems = _setting(provider)
    sessions = sessions_a_week(placement, provider)
    total = pupil_sessions_a_week(records, case, placement)
    reason = case.referral.reasons[0] if case.referral.reasons else None
    code = records.settings.census_reason_codes.get(reason, "") if reason else ""
    at_provider, statutory = _attendance(records, case_id, case, placement, census, today)
    if not case.pupil.upn:
        problems.append("the pupil has no UPN in the case file")
    if reason is None:
        problems.append("the referral gives no reason")
    elif not code:
        problems.append(f"no census code for {reason!r}: add it under census_reason_codes in ap-settings.yaml")
    return CensusRow(
        case=case_id,
        upn=case.pupil.upn or "",
        pupil=case.pupil.name,
        provider=placement.provider,
        urn=urn,
        ukprn=ukprn,
        setting_type=setting_type,
        entry_date=placement.start.isoformat(),
        leaving_date=left.isoformat() if left <= min(census.day, today) else "",
        sessions_per_week=sessions,
        full_or_part_time=_full_or_part(sessions),
        primary_reason=reason or "",
        reason_words=REASONS[reason] if reason else "",
        reason_code=code,
        placement=placement.id,
        pupil_sessions_per_week=total,
        pupil_full_or_part_time=_full_or_part(total),
        register_code=provider.register_code if provider is not None else "",
        possible_at_provider=at_provider.possible,
        attended_at_provider=at_provider.attended,
        possible_statutory=statutory.possible,
        attended_statutory=statutory.attended,
        problems=problems,
    )


def _attendance(
    records: Records, case_id: str, case: Case, placement: Placement, census: Census, today: dt.date
) -> tuple[Summary, Summary]:
    """The placement's marks from the collection period's start to census day (or today): both figures."""
    from apcli.model.attendance import summarise
    from apcli.reports.money import placement_marks

    last = min(census.day, today)
    kept = [
        c for d, _, c in placement_marks(case, records.sessions(case_id), placement) if census.period_start <= d <= last
    ]
    return summarise(kept), summarise(kept, statutory=True)


def _full_or_part(sessions: int) -> str:
    return "full time" if sessions >= FULL_TIME_SESSIONS else "part time"


def census_rows(records: Records, census: Census, today: dt.date) -> list[CensusRow]:
    """A row for each placement on the census's days: each case's rows from the index where they hold."""

    def compute(loaded: LoadedCase, day: dt.date) -> list[dict[str, Any]]:
        found = [placement_row(records, loaded.id, loaded.case, p, census, day) for p in loaded.case.placements]
        return [asdict(row) for row in found if row is not None]

    rows = []
    for _, kept in records.index.each(f"census:{census.day}:{census.period_start}", today, compute):
        if isinstance(kept, BaseException):
            raise kept  # the census is of every case: a case that cannot be read stops it, as it always has
        rows += [CensusRow(**row) for row in kept]
    return rows


def census_json(census: Census, rows: list[CensusRow], today: dt.date) -> dict[str, Any]:
    return {
        "census": census.name,
        "census_day": census.day.isoformat(),
        "period": {"from": census.period_start.isoformat(), "to": census.day.isoformat()},
        "as_of": today.isoformat(),
        "labels": LABELS,
        "placements": [asdict(row) for row in rows],
    }


def census_csv(rows: list[CensusRow]) -> str:
    from apcli.records.exporting import safe_cell

    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(str(getattr(row, column))) for column in COLUMNS])
    return stream.getvalue()
