"""The records folder: finding it, reading and validating its files, and writing cases safely.

Every write is atomic (temporary file in the same folder, fsync, rename, fsync
of the folder) and made under a lock, so that two `ap` processes never
interleave writes and a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import reprlib
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from apcli.errors import ApError, BusyError, InvalidFileError, InvalidFilesError, Problem, UsageError
from apcli.model.ids import CASE_ID, PROVIDER_ID
from apcli.records.guard import Guard
from apcli.records.layout import (
    CALENDAR_FILE,
    CASES_DIR,
    LOCKS_DIR,
    PROVIDERS_DIR,
    SETTINGS_FILE,
    lock_timeout,
    note_written,
)

if TYPE_CHECKING:
    import datetime as dt

    from pydantic import BaseModel
    from pydantic_core import ErrorDetails

    from apcli.model.attendance import Marks
    from apcli.model.calendar import SchoolCalendar
    from apcli.model.schema import Case, Provider, Settings
    from apcli.records.index import Index

SCHEMA_MODELINE = "# yaml-language-server: $schema={path}\n"

M = TypeVar("M", bound="BaseModel")
MAX_PROBLEMS = 50  # a file with thousands of problems lists the first fifty
_SHORT = reprlib.Repr()  # a wrong value is quoted, but never at length
_SHORT.maxstring = _SHORT.maxother = 80


def find_records(start: Path) -> Path:
    """The records folder holding `start` (looking upward for its settings file), else ./records.

    Only a folder whose settings file is a valid one, and which others cannot write to, is taken: an
    `ap-settings.yaml` that anyone could leave in /tmp, or an empty one, never makes a folder the records.
    """
    for folder in (start, *start.parents):
        if _is_records_folder(folder):
            return folder
    return start / "records"


def _is_records_folder(folder: Path) -> bool:
    from apcli.model.schema import Settings

    try:
        status = os.lstat(folder / SETTINGS_FILE)
        if not stat.S_ISREG(status.st_mode) or os.stat(folder).st_mode & stat.S_IWOTH:
            return False
        guard = Guard(folder)
        parse(read_text(guard.root / SETTINGS_FILE, SETTINGS_FILE, guard), SETTINGS_FILE, Settings)
    except (OSError, ApError):
        return False
    return True


def read_text(path: Path, shown: str, guard: Guard | None = None) -> str:
    """A records file's text, read through the records folder's guard (the file's own folder's if none):
    never a link, a folder, a device or pipe, or a file too large."""
    from apcli.records import yamlio

    guard = guard or Guard(path.parent)
    data = guard.read(path, shown=shown)
    return yamlio.decode(data, shown)


def _fields_at(model: type[BaseModel], path: Sequence[Any]) -> list[str]:
    """The field names a mapping at `path` in `model` may hold (for suggesting a misspelt one)."""
    from pydantic import BaseModel

    def model_in(annotation: Any) -> type[BaseModel] | None:
        stack = [annotation]
        while stack:
            item = stack.pop()
            if isinstance(item, type) and issubclass(item, BaseModel):
                return item
            stack.extend(get_args(item))
        return None

    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return []
        if isinstance(part, int) or part not in _names(current):
            continue
        field = _names(current)[part]
        current = model_in(field.annotation)
    return list(_names(current)) if current else []


def _names(model: type[BaseModel]) -> dict[str, Any]:
    return {(field.alias or name): field for name, field in model.model_fields.items()}


def _describe(error: ErrorDetails, model: type[BaseModel]) -> str:
    """A validation error in words: where and what kind of value, never the value itself (a wrong-typed field
    may hold a safeguarding note, and the message goes to a terminal, a JSON report or a scheduled email).
    A key is structure, not a value, and is named."""
    import datetime as dt
    import difflib

    from apcli.model.dates import FIRST_YEAR, LAST_YEAR
    from apcli.records.yamlio import kind_of

    loc = [part for part in error["loc"] if not isinstance(part, str) or not part.startswith("function-")]
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"the fields here are: {', '.join(allowed)}"
        return f"unknown field {_SHORT.repr(loc[-1])}: {hint}"
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind in _PLAIN_WORDS:
        # text the YAML reader took for a number, a date or true/false stays as written in quotes
        quote = kind == "string_type" and isinstance(value, int | float | dt.date)
        return f"{_PLAIN_WORDS[kind]}, not {kind_of(value)}" + (
            " (put it in quotes to keep it as text)" if quote else ""
        )
    if kind == "literal_error":
        return f"should be {error.get('ctx', {}).get('expected', 'one of the listed words')}, not {kind_of(value)}"
    if kind == "finite_number":
        return (
            "should be an ordinary number, not infinity or nan (a number too large to hold, with hundreds of "
            "digits or a big exponent, reads as infinity)"
        )
    if kind in ("greater_than_equal", "less_than_equal") and isinstance(value, dt.date):
        return f"should be a date in the years {FIRST_YEAR} to {LAST_YEAR}: is the year mistyped?"
    if kind in _MESSAGES_WITHOUT_INPUT:
        return str(error["msg"]).removeprefix("Value error, ").replace("Input should be", "should be")
    return f"is not what this field takes ({kind.replace('_', ' ')}): it holds {kind_of(value)}"


_PLAIN_WORDS = {
    "model_type": "should be a group of fields (key: value lines indented below it)",
    "dict_type": "should be a group of fields (key: value lines indented below it)",
    "list_type": "should be a list (lines starting with - )",
    "date_type": "should be a date written like 2027-01-11",
    "string_type": "should be text",
    "bool_type": "should be true or false",
    "int_type": "should be a whole number",
    "float_type": "should be a number",
    "decimal_type": "should be an amount such as 45.50",
}
# pydantic's messages for these say what was expected and never repeat the input (a ValueError's is ap's own,
# in models.py, written the same way)
_MESSAGES_WITHOUT_INPUT = {
    "value_error",
    "assertion_error",
    "string_too_short",
    "string_too_long",
    "string_pattern_mismatch",
    "too_short",
    "too_long",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "multiple_of",
    "decimal_max_digits",
    "decimal_max_places",
    "decimal_whole_digits",
    "int_from_float",
    "float_parsing",
    "int_parsing",
    "decimal_parsing",
    "bool_parsing",
    "date_parsing",
    "date_from_datetime_inexact",
    "date_from_datetime_parsing",
}


def _field_path(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        else:
            text += ("." if text else "") + str(part)
    return text


def parse(text: str, shown: str, model: type[M]) -> M:
    """The YAML `text` of the file shown as `shown`, validated as `model`."""
    from apcli.records import yamlio

    data = yamlio.load(text, shown, plain=True)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidFileError("should hold a mapping of fields (key: value lines)", shown, 1)
    return validate(model, data, text, shown)


def validate(model: type[M], data: Any, text: str, shown: str) -> M:
    """`data` as `model`, or InvalidFilesError listing each problem with its field and line. `data` is what
    `yamlio.load(text, shown, plain=True)` read (or made of such data, as a merge is): its text is checked for
    control characters, so the models do not look again."""
    from pydantic import ValidationError

    from apcli.model.schema import TEXT_CHECKED, Case, upgrade_case_data
    from apcli.records import yamlio

    try:
        return model.model_validate(upgrade_case_data(data) if model is Case else data, context=TEXT_CHECKED)
    except ValueError as error:
        if not isinstance(error, ValidationError):
            raise InvalidFilesError([Problem(shown, None, str(error))]) from None
        problems = []
        errors = error.errors()
        for item in errors[:MAX_PROBLEMS]:
            loc = [
                part
                for part in item["loc"]
                if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
            ]
            loc = list(as_written(text, loc))
            where = _field_path(loc)
            problems.append(
                Problem(
                    shown,
                    yamlio.locate(text, loc),
                    f"{where}: {_describe(item, model)}" if where else _describe(item, model),
                )
            )
        more = len(errors) - MAX_PROBLEMS
        raise InvalidFilesError(problems, f"... and {more} more problems in {shown}" if more > 0 else "") from None


@dataclass
class LoadedCase:
    id: str
    path: Path
    shown: str
    text: str
    case: Case

    def line_of(self, path: Sequence[str | int]) -> int | None:
        from apcli.records import yamlio

        return yamlio.locate(self.text, as_written(self.text, path)) if path else None


LEGACY_PLACEMENT = re.compile(r"^placement:", re.MULTILINE)


def as_written(text: str, path: Sequence[str | int]) -> Sequence[str | int]:
    """A path into a case as its file holds it: in a file from before placements were a list, P1 is at the
    top (`placement:`, `notices:`, `ending:`), so `placements[0].start` is `placement.start`."""
    if tuple(path[:2]) != ("placements", 0) or not LEGACY_PLACEMENT.search(text):
        return path
    rest = tuple(path[2:])
    return rest if rest and rest[0] in ("notices", "ending") else ("placement", *rest)


@dataclass
class Records:
    """One school's records folder. Files are read on first use and kept for the command's run."""

    root: Path
    _cases: dict[str, LoadedCase] = field(default_factory=dict, repr=False)
    _marks: dict[str, Marks] = field(default_factory=dict, repr=False)
    _sessions: dict[str, list[tuple[dt.date, str, str]]] = field(default_factory=dict, repr=False)
    recovered: list[str] = field(default_factory=list)
    cached: bool = True  # False: never read or fill the user's cache (making the demo, say)
    not_safeguarding: bool = False  # True (--not-safeguarding): text that reads like a concern's details is saved

    @classmethod
    def open(cls, root: Path) -> Records:
        if not root.exists():
            raise UsageError(
                f"The records folder {root} does not exist. Give the right one with --records DIR, "
                "or make one with `ap init DIR`."
            )
        guard = Guard(root)
        if not guard.exists(SETTINGS_FILE):  # a link or a device in its place is refused, naming it
            raise UsageError(
                f"{root} is not an ap records folder (it has no {SETTINGS_FILE}). Give the right one with "
                "--records DIR, or make one with `ap init DIR`."
            )
        for name in (CASES_DIR, PROVIDERS_DIR):
            guard.is_folder(name)  # a link in place of cases/ is refused here, not case by case
        from apcli.records.journal import recover

        return cls(root, recovered=recover(guard))

    @cached_property
    def guard(self) -> Guard:
        return Guard(self.root)

    def read_bytes(self, path: Path, area: str | tuple[str, ...] | None = None, missing_ok: bool = False) -> bytes:
        """A records file's bytes through the guard (b"" for a missing file if `missing_ok`)."""
        data = self.guard.read_bytes(path, area, shown=self.shown(path), missing_ok=missing_ok)
        return b"" if data is None else data

    def write(self, path: Path, content: str | bytes, area: str | tuple[str, ...] | None = None) -> None:
        """Write a file inside the records folder through the guard (atomically, mode 600)."""
        note_written(self.guard.write(path, content, area))

    def shown(self, path: Path) -> str:
        """A path as the user should see it in a message."""
        with contextlib.suppress(ValueError):
            return str(path.relative_to(self._cwd))
        return str(path)

    @cached_property
    def _cwd(self) -> Path:
        return Path.cwd()

    def load_file(self, path: Path, model: type[M]) -> tuple[M, str]:
        shown = self.shown(path)
        text = read_text(path, shown, self.guard)
        return parse(text, shown, model), text

    @cached_property
    def index(self) -> Index:
        """The folder's index (apcli/records/index.py): validated cases and results, never the truth."""
        from apcli.records.index import Index

        return Index(self, enabled=self.cached)

    def close(self) -> None:
        """Close the index if this Records opened it (see `Index.close`)."""
        if "index" in self.__dict__:
            self.index.close()

    # --- settings, calendar, providers ---

    @cached_property
    def settings(self) -> Settings:
        from apcli.model.schema import Settings

        return self.load_file(self.root / SETTINGS_FILE, Settings)[0]

    @cached_property
    def calendar(self) -> SchoolCalendar:
        from apcli.model.calendar import SchoolCalendar
        from apcli.model.schema import CalendarFile

        return SchoolCalendar(self.load_file(self.root / CALENDAR_FILE, CalendarFile)[0], self._bank_holidays)

    def _bank_holidays(self, years: Iterable[int]) -> dict[dt.date, str]:
        """England's bank holidays in `years`, kept in ap's index (working them out imports and runs the
        `holidays` package: a seventh of a second); its version is in the index's fingerprint."""
        import datetime as dt
        import json

        from apcli.model.calendar import england_bank_holidays

        wanted = list(years)
        kept = self.index.of_base(
            f"bank holidays {','.join(map(str, wanted))}",
            lambda: json.dumps({day.isoformat(): name for day, name in england_bank_holidays(wanted).items()}),
        )
        return {dt.date.fromisoformat(day): name for day, name in json.loads(kept).items()}

    def provider_path(self, provider_id: str) -> Path:
        if not PROVIDER_ID.match(provider_id):
            raise UsageError(
                f"{provider_id!r} is not a provider id: use lower-case letters, digits and hyphens, "
                "for example littleton-green"
            )
        return self.root / PROVIDERS_DIR / f"{provider_id}.yaml"

    def provider_ids(self) -> list[str]:
        return [path.stem for path in self.provider_files()]

    def provider_files(self) -> list[Path]:
        return [path for path in self.guard.files(PROVIDERS_DIR, ".yaml") if PROVIDER_ID.match(path.stem)]

    def forget(self, case_id: str) -> None:
        """Let go of a case read for a listing, so that a command over thousands of cases keeps few in memory."""
        self._cases.pop(case_id, None)
        self.forget_marks(case_id)

    @cached_property
    def providers(self) -> dict[str, Provider]:
        from apcli.model.schema import Provider

        return {pid: self.load_file(self.provider_path(pid), Provider)[0] for pid in self.provider_ids()}

    # --- cases ---

    def case_path(self, case_id: str) -> Path:
        return self.root / CASES_DIR / f"{check_case_id(case_id)}.yaml"

    def case_ids(self) -> list[str]:
        stems = (name.removesuffix(".yaml") for name in self.guard.names(CASES_DIR, ".yaml"))
        return [stem for stem in stems if CASE_ID.match(stem)]

    def load_case(self, case_id: str, fresh: bool = False) -> LoadedCase:
        """The case, validated. `fresh` reads the file again (under a lock, before changing it)."""
        from apcli.model.schema import Case

        case_id = check_case_id(case_id)
        if case_id in self._cases and not fresh:
            return self._cases[case_id]
        path = self.case_path(case_id)
        if not self.guard.exists(path, CASES_DIR):
            raise UsageError(
                f"There is no case {case_id} in the records folder {self.root}. `ap list` shows the cases."
            )
        shown = self.shown(path)
        text = read_text(path, shown, self.guard)
        case = None if fresh else self.index.case(case_id, text)
        if case is None:
            case = parse(text, shown, Case)
            if not fresh:
                self.index.keep_case(case_id, text, case)
        loaded = LoadedCase(case_id, path, shown, text, case)
        self._cases[case_id] = loaded
        return loaded

    def marks(self, case_id: str, fresh: bool = False) -> Marks:
        """The case's attendance marks (cases/CASE.attendance.csv), read once per run unless `fresh`."""
        from apcli.model.attendance import marks_path
        from apcli.records.store import load_marks

        path = self.case_path(case_id)
        if fresh or case_id not in self._marks:
            self._marks[case_id] = load_marks(path, self.shown(marks_path(path)), self.guard)
            self._sessions.pop(case_id, None)
        return self._marks[case_id]

    def sessions(self, case_id: str) -> list[tuple[dt.date, str, str]]:
        """The case's marks as (day, session, code), in order (`Marks.sessions`), listed once per run: a dozen
        rules go through them. Every rule's list: not to be changed."""
        found = self._sessions.get(case_id)
        if found is None:
            found = self._sessions[case_id] = list(self.marks(case_id).sessions())
        return found

    def forget_marks(self, case_id: str) -> None:
        self._marks.pop(case_id, None)
        self._sessions.pop(case_id, None)

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the lock `name` (a case id, or `new-case`) for the duration of the block (see `locks`)."""
        with self.locks([name]):
            yield

    @contextlib.contextmanager
    def locks(self, names: Iterable[str]) -> Iterator[None]:
        """Hold every lock in `names` for the duration of the block, taken in sorted order (so that two commands
        that each take several may wait for each other, but never each for the other).

        A lock is the operating system's (filelock), so it is freed when its holder exits or is killed: a dead
        `ap` never blocks the next one. Beside the locks, one note says who holds them (process, machine, time;
        nothing about the pupil), for the message a waiting user sees: `NAME.owner` for one lock, and for several
        one `TOKEN.owners` that lists them (an import of 200 pupils makes one note, not 200: making a file costs
        a slow disk up to a millisecond). A command that must wait for one of several first notes those it
        holds already, so that whoever waits for one of them is told who holds it.
        """
        from filelock import Timeout

        wanted = sorted(set(names))
        timeout = lock_timeout()
        with contextlib.ExitStack() as held:
            for count, name in enumerate(wanted):
                path = self._lock_path(name, ".lock")
                try:
                    held.enter_context(self.guard.lock_file(path, 0))
                except Timeout:
                    if count:
                        held.callback(self.guard.remove, self._note_holder(wanted[:count], many=True))
                    try:
                        held.enter_context(self.guard.lock_file(path, timeout))
                    except Timeout:
                        raise self._busy(name, timeout) from None
            if wanted:  # removed before the locks are let go (the stack unwinds in reverse)
                held.callback(self.guard.remove, self._note_holder(wanted, many=len(wanted) > 1))
            yield

    def _lock_path(self, name: str, suffix: str) -> Path:
        return self.root / LOCKS_DIR / f"{name}{suffix}"

    def _note_holder(self, names: list[str], many: bool) -> Path:
        """Write the note saying who holds the locks `names` (all of them held): `NAME.owner`, made in one write
        (`write_note`), or where `many`, a `.owners` note listing them, written whole (never seen empty)."""
        who = f"process {os.getpid()} on {platform.node()}, since {time.strftime('%H:%M:%S')}"
        if not many:
            return self.guard.write_note(self._lock_path(names[0], ".owner"), who)
        import secrets

        held = set(names)
        for name in self.guard.names(self.root / LOCKS_DIR):
            stem, _, suffix = name.rpartition(".")
            # A note naming a lock now held here was left by a command that was killed: its holder holds nothing.
            if (suffix == "owner" and stem in held) or (suffix == "owners" and held & self._listed(name)[1]):
                self.guard.remove(self.root / LOCKS_DIR / name)
        note = self._lock_path(secrets.token_hex(8), ".owners")
        return self.guard.write(note, "\n".join([who, *names]), durable=False)

    def _listed(self, note: str) -> tuple[str, set[str]]:
        """A holder's note: who (its first line), and the locks it names (one, or a `.owners` note's list)."""
        try:
            lines = self.guard.read(self.root / LOCKS_DIR / note, limit=1_000_000).decode("utf-8", "replace")
        except ApError:
            return "", set()
        who, *listed = lines.split("\n")
        return who, set(listed) if note.endswith(".owners") else {note.removesuffix(".owner")}

    def _busy(self, name: str, timeout: float) -> BusyError:
        """The waiting user's message: who holds `name`, from the newest note that names it (a note that is
        gone by the time it is read, or is not a file, is passed over)."""
        holder, newest = "unknown", -1
        try:
            entries = self.guard.entries(self.root / LOCKS_DIR)
        except ApError:
            entries = []
        for entry in entries:
            if entry.name != f"{name}.owner" and not entry.name.endswith(".owners"):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                made = entry.stat(follow_symlinks=False).st_mtime_ns
            except OSError:
                continue
            who, listed = self._listed(entry.name)
            if name in listed and who and made > newest:
                holder, newest = who, made
        return BusyError(
            f"Another ap command ({printable(holder)}) is changing {name}; waited {timeout:g} seconds. "
            "Wait for it to finish and run this again. A lock is freed when its command ends, even if it "
            f"crashed; only on a network drive can one outlive it: if no ap command is running anywhere, "
            f"delete {self.shown(self._lock_path(name, '.lock'))}."
        )

    def case_text(self, case: Case, old_text: str | None, shown: str) -> str:
        """The file text for `case`: new in house style, or merged into the old text keeping comments."""
        from apcli.records import yamlio

        data = case.model_dump(mode="python", by_alias=True, exclude_defaults=True)
        if old_text is None:
            return yamlio.dump_new(data, SCHEMA_MODELINE.format(path="../schema/case.schema.json"))
        from apcli.records import yamlblocks

        return yamlblocks.update_text(old_text, data, shown, full=case.model_dump(mode="python", by_alias=True))

    def save_case(self, case_id: str, case: Case, old_text: str | None) -> str:
        """Write `case` (call under the case's lock). Returns the text written; an unchanged file is not touched."""
        from apcli.model.schema import Case
        from apcli.records import yamlio

        path = self.case_path(case_id)
        shown = self.shown(path)
        text = self.case_text(case, old_text, shown)
        if (
            validate(Case, yamlio.load(text, shown, plain=True), text, shown) != case
        ):  # never write what would not read back
            raise InvalidFileError(
                "ap could not write this case so that it reads back exactly as it should, so it wrote nothing. "
                "Check the text you gave for unusual characters; if it persists, report it.",
                shown,
            )
        if old_text is not None and text == old_text:
            return text
        self.refuse_safeguarding_details(old_text or "", text)
        self.write(path, text, CASES_DIR)
        self._cases.pop(case_id, None)
        return text

    def refuse_safeguarding_details(self, before: str, after: str) -> None:
        """SAFE-DSL before the write, not only in `ap check` once it is in git's history: the words found are
        named, never the text around them."""
        from apcli.model.safeguarding import new_safeguarding_words

        words = [] if self.not_safeguarding else new_safeguarding_words(before, after)
        if words:
            raise UsageError(
                f"Refused: the text given holds {', '.join(repr(word) for word in words)}, which reads like the details "
                "of a safeguarding concern (SAFE-DSL), so nothing was saved. A case holds only a reference: record the "
                "details in the school's safeguarding system and its reference with `ap safeguarding`. If the text is "
                "not about a safeguarding concern, give the command again with --not-safeguarding."
            )

    def next_case_id(self, year: int) -> str:
        numbers = [int(cid.rsplit("-", 1)[1]) for cid in self.case_ids() if cid.startswith(f"AP-{year}-")]
        return f"AP-{year}-{max(numbers, default=0) + 1:03d}"


def printable(text: str) -> str:
    """`text` with control characters (terminal escapes) shown as ? : for text from a file, printed."""
    return "".join(char if char.isprintable() else "?" for char in text)


def check_case_id(case_id: str) -> str:
    """A case id as typed, upper-cased; anything that is not one (a path, say) is refused."""
    normal = case_id.strip().upper()
    if not CASE_ID.match(normal):
        raise UsageError(f"{case_id!r} is not a case id. Case ids look like AP-2026-001; `ap list` shows them.")
    return normal


def load_marks(case_file: Path, shown: str, guard: Guard) -> Marks:
    """The marks beside `case_file`, read through the records folder's guard; none if there is no file yet."""
    from apcli.model.attendance import Marks, marks_path, parse_marks
    from apcli.records import yamlio

    data = guard.read_bytes(marks_path(case_file), "cases", shown=shown, missing_ok=True)
    return Marks() if data is None else parse_marks(yamlio.decode(data, shown), shown)
