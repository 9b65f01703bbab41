"""`ap attendance import`: a provider's register merged into the cases, exact, idempotent, all or nothing.

Every cell is checked before anything is written; one bad cell means nothing is
written and every bad cell is listed. A mark that would change an existing one
is refused unless --replace, and each replaced mark goes into the case's
attendance log. All the cases a register touches are locked together and
written together as one change (apcli/records/journal.py): after a crash, all of them or none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from apcli.policy.during import closure_problem, x_problem

if TYPE_CHECKING:
    from collections.abc import Iterable

from apcli.errors import EXIT_INVALID_FILE, EXIT_REFUSED, ApError
from apcli.model import codes
from apcli.model.attendance import Marks, is_absence, log_lines, log_path, marks_path, missing_sessions
from apcli.steps.registers import Cell, Formula, as_date, printable, read_register, shown_path

if TYPE_CHECKING:
    from apcli.model.schema import Case, Placement, Provider
    from apcli.records.store import Records


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    value: str  # "" where the cell's text must not be repeated (a note: it may hold what the message is about)
    why: str

    @property
    def message(self) -> str:
        value = f" {self.value!r}" if self.value else ""
        return f"row {self.row}, {self.column}{value}: {self.why}"


class MarkChange(NamedTuple):
    """A mark an import adds or replaces (a tuple: a year's register makes tens of thousands)."""

    case: str
    date: dt.date
    session: str
    old: str | None
    new: str
    row: int

    def __str__(self) -> str:
        return f"{self.case} {self.date} {self.session.upper()}: {self.old} -> {self.new} (row {self.row})"


@dataclass
class ImportResult:
    source: str
    rows: int = 0
    added: int = 0  # counted, not listed: a year's register adds tens of thousands
    added_in: dict[str, int] = field(default_factory=dict)  # case -> marks added to it
    unchanged: int = 0
    replaced: list[MarkChange] = field(default_factory=list)
    absences_added: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_ERRORS_KEPT
    error_count: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def cases(self) -> list[str]:
        return sorted({*self.added_in, *(change.case for change in self.replaced)})

    @property
    def absences(self) -> int:
        """Of the marks added or replaced."""
        return self.absences_added + sum(is_absence(change.new) for change in self.replaced)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "rows": self.rows,
            "added": self.added,
            "unchanged": self.unchanged,
            "replaced": len(self.replaced),
            "absences": self.absences,
            "cases": self.cases,
            "missing": self.missing,
            "dry_run": self.dry_run,
            "changes": [str(change) for change in self.replaced],
            "errors": [{"row": e.row, "column": e.column, "value": e.value, "message": e.why} for e in self.errors],
            "more_errors": self.error_count - len(self.errors),
        }


class ImportRefused(ApError):
    """Nothing was written; `result` says why (for --json)."""

    def __init__(self, message: str, result: ImportResult, exit_code: int) -> None:
        super().__init__(message)
        self.result = result
        self.exit_code = exit_code


# --- matching pupils and reading marks ---------------------------------------------------


@dataclass
class Pupils:
    """Open-to-marks cases by id and by UPN."""

    by_id: dict[str, Case]
    by_upn: dict[str, list[str]]


def index_cases(records: Records) -> Pupils:
    by_id: dict[str, Case] = {}
    by_upn: dict[str, list[str]] = defaultdict(list)
    for case_id in records.case_ids():
        case = records.load_case(case_id).case  # an invalid case file stops the import: ap check says why
        by_id[case_id] = case
        if case.pupil.upn:
            by_upn[case.pupil.upn].append(case_id)
    return Pupils(by_id, dict(by_upn))


def match(pupils: Pupils, cell: Cell, day: dt.date | None) -> str | RowError:
    from apcli.model.attendance import placement_on
    from apcli.model.upn import normalise_upn

    key = cell.key if isinstance(cell.key, str) else ""
    if cell.key_column == "case":
        case_id = key.upper()
        return case_id if case_id in pupils.by_id else RowError(cell.row, "case", key, "no case has this id")
    upn = normalise_upn(key)
    found = pupils.by_upn.get(upn, [])
    if day is not None and len(found) > 1:
        found = [c for c in found if placement_on(pupils.by_id[c], day) is not None] or found
    if not found:
        return RowError(cell.row, "upn", key, "no case has this UPN (a name alone is never used to match a pupil)")
    if len(found) > 1:
        return RowError(
            cell.row, "upn", key, f"this UPN matches {len(found)} cases ({', '.join(found)}); use the case id"
        )
    return found[0]


def to_code(raw: Any, provider: Provider, words: dict[str, str]) -> tuple[str | None, str | None]:
    """A register's mark as a DfE code: (code, None), or (None, why not). A word goes through the same checks."""
    if isinstance(raw, Formula):
        return None, "is a formula; save the register with the marks as values"
    if isinstance(raw, dt.date | dt.datetime):
        return None, "is a date, not a mark (the spreadsheet may have turned the mark into a date)"
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None, "no mark"
    if text.startswith("="):
        return None, "is a formula; save the register with the marks as values"
    mapped = words.get(text.lower())
    if text.lower() == PROVIDER_EXCLUDED and mapped in (None, "E"):
        return None, _excluded_why(mapped)
    upper = provider.register_code if mapped == codes.ATTENDED_AT_PROVIDER else (mapped or text).upper()
    own = provider.register_code
    if upper in codes.RETIRED:
        return None, f"{upper} is a retired code: {codes.RETIRED[upper]}"
    if upper == "K":
        return None, codes.K_REFUSAL
    if upper in ("/", "\\", "L"):
        return own, None  # present: at the provider that is its own code
    if upper in codes.PROVIDER_CODES and upper != own:
        return None, f"this provider's sessions are marked {own}, not {upper}"
    if upper in codes.ALL_CODES:
        return upper, None
    return None, (
        f"is not an attendance code, nor a word for one in the settings' mark_words (to use it, add "
        f"'{printable(text.lower())}: CODE' under mark_words in ap-settings.yaml)"
    )


PROVIDER_EXCLUDED = "excluded"


def _excluded_why(mapped: str | None) -> str:
    """A provider's "excluded" is its refusal of the pupil (the policy's exclusion from the provision), not E."""
    why = (
        "is the provider refusing the pupil, not E (E is a suspension or exclusion by the school): mark the "
        "session with the provider's own absence word (or N), import the register again, and record the "
        "refusal with `ap absence CASE --date D --session am|pm --excluded-by-provider --follow-up TEXT`"
    )
    if mapped == "E":
        why += (
            "; ap-settings.yaml maps 'excluded' to E under mark_words (as older versions of ap wrote it): "
            "delete that line from ap-settings.yaml"
        )
    return why


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SESSION_WORDS = {"am": "mornings only", "pm": "afternoons only"}


def _span(placement: Placement) -> str:
    return f"{placement.id}, {placement.start} to {placement.end}"


def _where(placements: list[Placement]) -> str:
    """`larkhill-green on mon, tue (P1, 2026-12-07 to 2027-02-12)`, each placement named."""
    return "; and at ".join(f"{p.provider} on {', '.join(p.weekdays)} ({_span(p)})" for p in placements)


class _Notified:
    """Whether a notice given covers a placement's day and the day is not past its last (status.notified_days
    for one day, and attendance.last_day), each placement's notices read once rather than once a day."""

    def __init__(self) -> None:
        self._of: dict[int, tuple[set[int], list[tuple[dt.date, dt.date, set[int]]], dt.date]] = {}
        self._held: list[Placement] = []  # the placements looked at, so that no id in _of is reused

    def __call__(self, placement: Placement, day: dt.date) -> bool:
        found = self._of.get(id(placement))
        if found is None:
            from apcli.model.attendance import last_day
            from apcli.model.schema import weekday_numbers

            spans = [
                (n.first_day or n.start, n.end, weekday_numbers(n.weekdays or placement.weekdays))
                for n in placement.notices
            ]
            found = self._of[id(placement)] = (weekday_numbers(placement.weekdays), spans, last_day(placement))
            self._held.append(placement)
        own, spans, last = found
        if day > last:
            return False
        for first, end, wanted in spans:  # noqa: SIM110 (a loop, not any(): this runs once a day of every case)
            if first <= day <= end and (own <= wanted or day.weekday() in wanted):
                return True
        return False


def _check_day(
    records: Records,
    case_id: str,
    case: Case,
    day: dt.date,
    today: dt.date,
    provider: str = "",
    notified_on: _Notified | None = None,
) -> list[Placement] | str:
    """The placements (at `provider`, the register's, where given) that could take a mark on `day`, or why the
    case can have no mark that day: worked out once a day of a case, whichever sessions the register marks (the
    session is `_in_session`'s). A pupil at two providers on the day needs the register's provider."""
    if not case.placements:
        return "the case has no placement"
    candidates = case.placements
    if provider:
        candidates = [p for p in case.placements if p.provider == provider]
        if not candidates:
            at = ", ".join(sorted({p.provider for p in case.placements}))
            return f"{case_id} has no placement at {provider} (its placements are at {at})"
    held = [p for p in candidates if p.start <= day <= p.end]
    if not held:
        spans = "; ".join(f"{p.id} at {p.provider} {p.start} to {p.end}" for p in candidates)
        return f"{day} is outside the placements ({spans})"
    live = [p for p in held if p.ending is None or day <= p.ending.date]  # a placement ended early is not there
    if len({p.provider for p in live}) > 1:
        return (
            f"{case_id} is at {len({p.provider for p in live})} providers at that time (at {_where(live)}): say "
            "whose register this is with --provider ID, or a provider column in the register"
        )
    if not live:
        ended = held[0].ending
        assert ended is not None
        return f"{day} is after the placement ended ({ended.date}, {ended.outcome})"
    running = [p for p in live if p.notices]
    if not running:
        return "the parents have not been given notice of this placement, so it has not begun"
    if day > today:
        return f"{day} is in the future"
    if not records.calendar.is_school_day(day):
        return f"{day} is not a school day: it is {records.calendar.why_not_school_day(day)}"
    on_day = [p for p in running if _WEEKDAYS[day.weekday()] in p.weekdays]
    if not on_day:
        return f"{day} is a {day:%A}, not one of the placement's days; {case_id} is at {_where(running)}"
    covered = notified_on or _Notified()
    notified = [p for p in on_day if covered(p, day)]
    if not notified:
        p = on_day[0]
        return (
            f"{day} was added to {p.id} at {p.provider} by a change the parents have not yet been given notice "
            f"of, so it is not a placement day yet (ap notice {case_id} --placement {p.id})"
        )
    return notified


def _only_placement(case: Case, provider: str) -> tuple[Placement, dt.date, dt.date, frozenset[int]] | None:
    """A case's one placement (at `provider`, where given) that has begun, with its first and last day that
    can take a mark and its weekdays: where `_check_day` would find it alone on any such day. None where the
    case has several, or none, or one not yet begun: those days go `_check_day`'s way."""
    from apcli.model.attendance import last_day
    from apcli.model.schema import weekday_numbers

    candidates = [p for p in case.placements if not provider or p.provider == provider]
    if len(candidates) != 1 or not candidates[0].notices:
        return None
    placement = candidates[0]
    return placement, placement.start, last_day(placement), frozenset(weekday_numbers(placement.weekdays))


def _in_session(case_id: str, notified: list[Placement], day: dt.date, session: str) -> Placement | str:
    """Of the placements `_check_day` found for the day, the one a mark in `session` lands on, or why none."""
    for placement in notified:
        if session in placement.session_names:
            return placement
    p = notified[0]
    return (
        f"{day} {session.upper()}: {case_id}'s placement {p.id} at {p.provider} is "
        f"{_SESSION_WORDS.get(p.attends, p.attends)} (--sessions {p.attends}), so it has no {session.upper()} "
        "session to mark"
    )


# What a register asks of each case: {case: {day: {session: (code, row, note)}}}, the cells' order kept.
Asked = dict[str, dict[dt.date, dict[str, tuple[str, int, str]]]]

MAX_ERRORS_KEPT = 1000  # a register of a million bad cells is refused with its first thousand, and their count


class Problems(list[RowError]):
    """The register's problems: the first MAX_ERRORS_KEPT, and how many there are."""

    total = 0

    def append(self, error: RowError) -> None:
        self.total += 1
        if len(self) < MAX_ERRORS_KEPT:
            super().append(error)

    def add(self, row: int, column: str, value: str, why: str) -> None:
        """As append(RowError(...)), but past the kept ones only counted (nothing made)."""
        self.total += 1
        if len(self) < MAX_ERRORS_KEPT:
            super().append(RowError(row, column, value, why))


# A cell's problem before its row is known: (column, or None for the cell's own; value; why).
Refusal = tuple[str | None, str, str]
# Where a session's mark of a pupil-day lands: its placement, what each mark means there, and whether the
# provider's closures must be looked at; or why no mark can land in that session.
Slot = tuple["Placement", dict[Any, "str | Refusal"], bool] | str


class _Day(NamedTuple):
    """The pupil a run of cells names, the day, and where each session's mark lands (or why none can)."""

    case: str
    day: dt.date
    slots: dict[str, Slot] | str


@dataclass
class _Looked:
    """What check_cells works out once, not once a cell: dates, sessions, pupils, days, marks, closures."""

    records: Records
    today: dt.date
    provider: str
    pupils: Pupils
    dates: dict[Any, dt.date | None] = field(default_factory=dict)
    pupil_of: dict[tuple[str, Any, str], str | Refusal] = field(default_factory=dict)
    # (case, day, provider): why no mark can stand that day, or where each session's mark lands
    on_day: dict[tuple[str, dt.date, str], dict[str, Slot] | str] = field(default_factory=dict)
    what: dict[tuple[str, str], dict[Any, str | Refusal]] = field(default_factory=dict)  # (case, provider): marks
    notified_on: _Notified = field(default_factory=lambda: _Notified())
    only: dict[tuple[str, str], tuple[Placement, dt.date, dt.date, frozenset[int]] | None] = field(
        default_factory=dict
    )  # (case, provider): its one placement there, and the days it can take marks (see _only_placement)
    slots_of: dict[int, dict[str, Slot]] = field(default_factory=dict)  # a placement's slots, by its id
    known_providers: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.known_providers = set(self.records.provider_ids())

    def day_of(self, cell: Cell) -> _Day | Refusal:
        """The pupil a cell's row names, its day and where each session's mark lands; or the cell's problem."""
        date, key = cell.date, cell.key
        try:
            day = self.dates[date]
        except KeyError:
            day = self.dates[date] = as_date(date)
        except TypeError:
            day = as_date(date)
        who = (cell.key_column, key, cell.name)
        found = self.pupil_of.get(who) if isinstance(key, str) else None
        if found is None:
            found, shared = _pupil(self.pupils, cell, day)
            if shared:
                self.pupil_of[who] = found
        if isinstance(found, tuple):
            return found
        row_provider, provider = cell.provider, self.provider
        if row_provider and provider and row_provider != provider:
            return ("provider", row_provider, f"is not {provider}, the provider given with --provider")
        if row_provider and row_provider not in self.known_providers:
            return ("provider", row_provider, "is not a provider in the register (ap provider list)")
        if day is None:
            return ("date", _shown(date), "is not a date (write 2027-01-11 or 11/01/2027)")
        at = row_provider or provider
        placed = self.on_day.get((found, day, at))
        if placed is None:
            placed = self.on_day[(found, day, at)] = self._slots(found, day, at)
        return _Day(found, day, placed)

    def _slots(self, case_id: str, day: dt.date, at: str) -> dict[str, Slot] | str:
        """Where each session's mark of the day lands, or why none can: for a pupil with one placement (at the
        register's provider) on an ordinary placement day, by a few comparisons; any other day, and every day
        that cannot take a mark (whose reason must be said), by `_check_day`, which has the last word."""
        try:
            only = self.only[(case_id, at)]
        except KeyError:
            only = self.only[(case_id, at)] = _only_placement(self.pupils.by_id[case_id], at)
        if only is not None:
            placement, first, last, weekdays = only
            if (
                first <= day <= last
                and day <= self.today
                and day.weekday() in weekdays
                and self.records.calendar.is_school_day(day)
                and self.notified_on(placement, day)
            ):
                return self._placed(case_id, day, [placement])
        checked = _check_day(self.records, case_id, self.pupils.by_id[case_id], day, self.today, at, self.notified_on)
        return checked if isinstance(checked, str) else self._placed(case_id, day, checked)

    def _placed(self, case_id: str, day: dt.date, checked: list[Placement]) -> dict[str, Slot]:
        """The sessions' slots on a day the placements `checked` take marks: the same for every such day of
        the same placements (what differs is said in `_in_session`'s words, which name the day), so kept."""
        if len(checked) == 1 and (kept := self.slots_of.get(id(checked[0]))) is not None:
            return kept
        slots: dict[str, Slot] = {}
        for session in ("am", "pm"):
            placement = _in_session(case_id, checked, day, session)
            if isinstance(placement, str):
                slots[session] = placement
                continue
            provider = self.records.providers.get(placement.provider)
            marks = self.what.setdefault((case_id, placement.provider), {})
            slots[session] = (placement, marks, bool(provider and provider.closures))
        if len(checked) == 1 and all(not isinstance(slot, str) for slot in slots.values()):
            self.slots_of[id(checked[0])] = slots  # the placement is held by the case, so its id is not reused
        return slots


def check_cells(
    records: Records, cells: Iterable[Cell], today: dt.date, provider: str = "", counted: ImportResult | None = None
) -> tuple[Asked, Problems]:
    """Every cell checked: the marks the register asks for, and every problem with its row.

    What many cells share is worked out once, not once a cell: who a row's pupil is, what a day and
    session of a case allow, what a mark means for a case. Consecutive cells of one pupil's day (a register's
    AM and PM rows, or a row's cells) share their pupil, day and placements by comparison, without a lookup.
    A register's cells are read in one pass, so a grid of a million marks is checked in linear time.
    `provider` is whose register it is (--provider), where the register has no provider column. Where
    `counted` is given, the register's rows that hold marks are counted into it (a row's cells come together)."""
    looked = _Looked(records, today, provider, index_cases(records))
    words = records.settings.mark_words
    asked: Asked = {}
    errors = Problems()
    sessions: dict[str, str] = {}  # a session as the register writes it ("AM", "am ") -> "am"
    closed: dict[tuple[str, dt.date, str], str | None] = {}  # (provider, day, code): closure_problem's
    closure_codes = codes.CLOSURE_CODES
    rows, last_row = 0, None
    run: tuple[Any, ...] | None = None  # what the cells of one pupil's day have in common
    refused: Refusal | None = None
    found, day = "", dt.date.min
    placed: dict[str, Slot] | str = ""
    day_asked: dict[str, tuple[str, int, str]] | None = None
    for cell in cells:
        row, column, key_column, key, date, session_text, mark, note, name, row_provider = cell
        if row != last_row:
            rows, last_row = rows + 1, row
        if note and (why := note_problem(note)) is not None:
            errors.add(row, "note", "", why)
            continue
        this = (key_column, key, key.__class__, name, date, date.__class__, row_provider)
        if this != run:
            run, day_asked = this, None
            here = looked.day_of(cell)
            if isinstance(here, _Day):
                refused, (found, day, placed) = None, here
            else:
                refused = here
        if refused is not None:
            errors.add(row, refused[0] or column, refused[1], refused[2])
            continue
        session = sessions.get(session_text)
        if session is None:
            session = session_text.strip().lower()
            if session not in ("am", "pm"):
                errors.add(row, "session", session_text, "is not AM or PM")
                continue
            sessions[session_text] = session
        slot = placed if isinstance(placed, str) else placed[session]
        if isinstance(slot, str):
            errors.add(row, "date" if column == "mark" else column, str(date), slot)
            continue
        placement, means, has_closures = slot
        try:
            code = means[mark]
        except KeyError:
            code = means[mark] = _code(records, found, cell, words, placement)
        except TypeError:
            code = _code(records, found, cell, words, placement)
        if isinstance(code, tuple):
            errors.add(row, code[0] or column, code[1], code[2])
            continue
        if has_closures or code in closure_codes:
            at_provider = placement.provider
            try:
                why = closed[(at_provider, day, code)]
            except KeyError:
                why = closed[(at_provider, day, code)] = closure_problem(records, at_provider, day, code)
            if why:
                errors.add(row, column, _shown(mark), why)
                continue
        if code == codes.NOT_COMPULSORY_AGE and (why := x_problem(found, looked.pupils.by_id[found], day)):
            errors.add(row, column, _shown(mark), why)
            continue
        if day_asked is None:
            day_asked = asked.setdefault(found, {}).setdefault(day, {})
        earlier = day_asked.get(session)
        if earlier is None:
            day_asked[session] = (code, row, note)
        elif earlier[0] != code:
            errors.append(
                RowError(
                    row,
                    column,
                    _shown(mark),
                    f"{found} {day} {session.upper()} is marked {earlier[0]} in row {earlier[1]} and {code} here",
                )
            )
    if counted is not None:
        counted.rows += rows
    return asked, errors


def _pupil(pupils: Pupils, cell: Cell, day: dt.date | None) -> tuple[str | Refusal, bool]:
    """The case a cell's row names, or why not; and whether that holds for every cell of the same key and name
    (not when one UPN has several cases, told apart by the cell's day)."""
    from apcli.model.upn import normalise_upn

    shared = cell.key_column == "case" or len(pupils.by_upn.get(normalise_upn(str(cell.key)), [])) < 2
    matched = match(pupils, cell, day)
    if isinstance(matched, RowError):
        return (matched.column, matched.value, matched.why), shared
    if cell.name and not names_agree(cell.name, pupils.by_id[matched].pupil.name):
        why = (
            f"is not the name of the pupil in {matched} (the surname and a given name must both agree): check "
            f"the {cell.key_column}, so that no mark is filed against the wrong child"
        )
        return ("name", cell.name, why), shared
    return matched, shared


def _code(records: Records, case_id: str, cell: Cell, words: dict[str, str], placement: Placement) -> str | Refusal:
    """The cell's mark as a code at the placement's provider: present is B at one provider, D at another."""
    provider = records.providers.get(placement.provider)
    if provider is None:
        return (cell.key_column, str(cell.key), f"{case_id}'s provider is not in the register")
    code, why = to_code(cell.mark, provider, words)
    if code is None:
        return (None, _shown(cell.mark), why or "not a mark")
    return code


def note_problem(note: str) -> str | None:
    """Why a register's note cannot go into the case's marks, or None. The note's text is never repeated."""
    from apcli.model.safeguarding import SAFEGUARDING_DETAIL, SAFEGUARDING_STEMS
    from apcli.model.schema import CONTROL_CHARACTERS

    if CONTROL_CHARACTERS.search(note) or any(not char.isprintable() and char not in "\n\t" for char in note):
        return "holds a control character (an escape or similar), which ap does not keep; remove it"
    lower = note.lower()
    if any(stem in lower for stem in SAFEGUARDING_STEMS) and (found := SAFEGUARDING_DETAIL.search(note)):
        return (
            f"{found.group(0).lower()!r} reads like the details of a safeguarding concern. A register note is kept "
            "in the case's attendance file, which is no place for them: raise the concern with the DSL, record "
            "the details in the school's safeguarding system (and its reference with `ap safeguarding`), and "
            "take them out of the register"
        )
    return None


def names_agree(given: str, recorded: str) -> bool:
    """A register's name column agrees with the case when it holds the pupil's surname (the recorded name's
    last word) and one of the pupil's given names, in any order (`HARTLEY Leo`, `Hartley, Leo`): a sibling
    shares the surname, so the surname alone is never enough. Case and accents aside."""
    import unicodedata

    def words(text: str) -> list[str]:
        plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
        return [w for w in re.split(r"[\s,.'\u2019-]+", plain) if len(w) > 1]

    parts = recorded.split()
    if not parts:
        return False
    surname, given_names = set(words(parts[-1])), set(words(" ".join(parts[:-1])))
    register = set(words(given))
    return bool(surname & register) and (not given_names or bool(given_names & register))


def _shown(value: Any) -> str:
    return value.text if isinstance(value, Formula) else ("" if value is None else str(value))


# --- planning and writing ----------------------------------------------------------------


def import_register(
    records: Records,
    path: Path,
    today: dt.date,
    by: str,
    replace: bool = False,
    dry_run: bool = False,
    provider: str | None = None,
) -> ImportResult:
    """Read, check, and (unless dry_run) write a provider's register into the cases it names. `provider`: whose
    register it is, so that its marks land on the placements at that provider."""
    from apcli.errors import UsageError

    provider = (provider or "").strip().lower()
    if provider and provider not in records.provider_ids():
        known = ", ".join(sorted(records.provider_ids())) or "none yet"
        raise UsageError(f"--provider {printable(provider)!r} is not a provider in the register ({known}).")
    if not by.strip() or any(not char.isprintable() for char in by):
        raise UsageError(
            "--by: who imports the register is written into each case's attendance log, so it is a name in plain "
            "text; this one holds a control character (an escape, a tab or a line break). Give your name as text."
        )
    result = ImportResult(printable(path.name), dry_run=dry_run)  # the name goes into the log
    shown = shown_path(path)
    _, cells = read_register(path)
    asked, errors = check_cells(records, cells, today, provider, counted=result)
    result.errors, result.error_count = list(errors), errors.total
    if errors.total:
        listed = "\n".join(f"  {e.message}" for e in result.errors[:200])
        more = f"\n  ... and {errors.total - 200} more" if errors.total > 200 else ""
        # Every problem in one round: the good rows' changes to recorded marks are named now too, not only once
        # the bad rows are corrected.
        changing = [] if replace else _would_replace(records, asked)
        result.replaced = changing
        also = (
            f"\nIt would also change {len(changing)} mark(s) already recorded (ATT-ACCURATE):\n"
            + "\n".join(f"  {change}" for change in changing[:200])
            + "\nIf the provider has corrected its register, import it again with --replace."
            if changing
            else ""
        )
        raise ImportRefused(
            f"{shown}: nothing was imported, because {errors.total} mark(s) cannot be taken as they are:\n"
            f"{listed}{more}{also}\nCorrect the register (or the case) and import it again.",
            result,
            EXIT_INVALID_FILE,
        )
    with records.locks(asked):
        new_marks = _plan(records, asked, result)
        if result.replaced and not replace:
            listed = "\n".join(f"  {change}" for change in result.replaced)
            raise ImportRefused(
                f"Refused: {shown} would change {len(result.replaced)} mark(s) already recorded, so nothing was imported "
                f'(ATT-ACCURATE: "every step should be taken to ensure that accurate attendance data is kept"):\n{listed}\n'
                "If the provider has corrected its register, import it again with --replace; each replaced mark is "
                "kept in the case's attendance log.",
                result,
                EXIT_REFUSED,
            )
        for case_id in asked:
            case = records.load_case(case_id).case
            after = new_marks.get(case_id) or records.marks(case_id)
            result.missing[case_id] = sum(
                len(missing_sessions(after, records.calendar, p, today, records.providers.get(p.provider)))
                for p in case.placements
            )
        if not dry_run and new_marks:
            _write_all(records, new_marks, result, today, by)
    return result


def _would_replace(records: Records, asked: Asked) -> list[MarkChange]:
    """The recorded marks that `asked` would change, read without writing or locking (for a refusal's list)."""
    scratch = ImportResult("", dry_run=True)
    _plan(records, asked, scratch)
    return scratch.replaced


def _plan(records: Records, asked: Asked, result: ImportResult) -> dict[str, Marks]:
    """The marks each case will hold; counts what is added and unchanged, and lists what is replaced."""
    changed: dict[str, Marks] = {}
    added_codes: dict[str, int] = defaultdict(int)
    for case_id, asked_days in asked.items():
        case_file = records.case_path(case_id)
        records.guard.exists(log_path(case_file), "cases")  # a link or pipe in its place is refused, dry run too
        current = records.marks(case_id, fresh=True)
        days = current.days
        updated = Marks(dict(days), dict(current.notes))  # a day's pair is copied only where it changes
        new_days, touched, added, unchanged = updated.days, False, 0, 0
        for day in sorted(asked_days):
            pair = days.get(day)
            sessions = asked_days[day]
            if pair is None and not any(note for _, _, note in sessions.values()):  # a new day: all of it added
                new_days[day] = {session: code for session, (code, _, _) in sessions.items()}
                for code, _, _ in sessions.values():
                    added_codes[code] += 1
                added += len(sessions)
                touched = True
                continue
            for session in sorted(sessions) if len(sessions) > 1 else sessions:
                code, row, note = sessions[session]
                if note and _add_note(updated, day, note):
                    touched = True
                old = None if pair is None else pair.get(session)
                if old == code:
                    unchanged += 1
                    continue
                if old is None:
                    added += 1
                    added_codes[code] += 1
                else:
                    result.replaced.append(MarkChange(case_id, day, session, old, code, row))
                new_days[day] = {**new_days.get(day, {}), session: code}
                touched = True
        result.unchanged += unchanged
        if added:
            result.added += added
            result.added_in[case_id] = added
        if touched:
            changed[case_id] = updated
    result.absences_added += sum(count for code, count in added_codes.items() if is_absence(code))
    return changed


def _add_note(marks: Marks, day: dt.date, note: str) -> bool:
    """Keep a register's note for the day beside what was noted before; True if anything changed."""
    earlier = marks.notes.get(day, "")
    if not note or note in earlier.split("; "):
        return False
    marks.notes[day] = f"{earlier}; {note}" if earlier else note
    return True


def _write_all(records: Records, new_marks: dict[str, Marks], result: ImportResult, today: dt.date, by: str) -> None:
    """Write every case's marks and log as one change: after a crash, all of them or none (see journal.py)."""
    from apcli.model.history import utc_now
    from apcli.records.journal import write_together

    now = utc_now()
    files: dict[Path, str | bytes] = {}
    replaced: dict[str, list[MarkChange]] = defaultdict(list)
    for change in result.replaced:
        replaced[change.case].append(change)
    for case_id, marks in sorted(new_marks.items()):
        case_file = records.case_path(case_id)
        files[marks_path(case_file)] = marks.text()
        added = result.added_in.get(case_id, 0)
        files[log_path(case_file)] = _log_text(
            records, case_file, added, replaced[case_id], result.source, today, now, by
        )
    write_together(records.guard, files, locks=new_marks)
    for case_id in new_marks:
        records.forget_marks(case_id)


def _log_text(
    records: Records,
    case_file: Path,
    added: int,
    replaced: list[MarkChange],
    source: str,
    today: dt.date,
    now: str,
    by: str,
) -> str:
    from apcli.model.attendance import LOG_HEADER
    from apcli.records import yamlio

    path = log_path(case_file)
    data = records.guard.read_bytes(path, "cases", shown=records.shown(path), missing_ok=True)
    before = ",".join(LOG_HEADER) + "\n" if data is None else yamlio.decode(data, records.shown(path))
    entries = [
        (
            today,
            now,
            by,
            f"imported {added + len(replaced)} mark(s) from {source}: {added} added, {len(replaced)} replaced",
        )
    ]
    entries += [
        (today, now, by, f"replaced {c.date} {c.session.upper()}: {c.old} with {c.new} ({source} row {c.row})")
        for c in replaced
    ]
    return before + log_lines(entries)
