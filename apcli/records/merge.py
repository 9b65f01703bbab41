"""Merging a case's files three ways, field by field: the core of `ap merge-driver`, git's merge driver.

Git calls the driver with three versions of one file: the common ancestor (%O), ours (%A, where the result
must be written) and theirs (%B), and the file's path in the repository (%P), which tells the kind of file:

- a case (`cases/AP-....yaml`): the loaded data merged key by key; a list both sides only added to is the
  base, then our new items, then theirs (an item both added, once); the result must be a valid case, and is
  written into our text, so that our comments and key order stay;
- attendance marks (`cases/CASE.attendance.csv`): day by day, cell by cell (am, pm, note);
- the attendance log (`cases/CASE.attendance-log.csv`): append-only, so every line of both sides, never a conflict;
- anything else: line by line, as git would (`git merge-file`).

A true conflict (the same field, or the same mark, changed to two different values) is never resolved: it
is returned, naming the field (`referral.rationale`, `2026-10-14 AM`), and our file is left as git leaves a
conflict, with conflict markers.
"""

from __future__ import annotations

import datetime as dt
import reprlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from apcli.errors import ApError, InvalidFileError, InvalidFilesError
from apcli.model.attendance import LOG_SUFFIX, MARKS_SUFFIX, SESSIONS, Marks, parse_marks
from apcli.model.ids import CASE_ID
from apcli.records import yamlio
from apcli.records.layout import CASES_DIR, atomic_write

if TYPE_CHECKING:
    from apcli.model.schema import Case

LABELS = ("ours", "base", "theirs")  # the conflict markers' labels, as `git merge-file -L` takes them
VERSIONS = ("base", "ours", "theirs")  # the order of merge_file's arguments (git's %O %A %B)
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


class _Missing:
    """A key one version does not have (so that `None`, written as `key: null`, stays a value)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Conflict:
    """One thing both sides changed differently: where (`field`) and what each side made of it (`detail`)."""

    field: str
    detail: str

    def __str__(self) -> str:
        return f"conflict in {self.field}: {self.detail}"


def kind_of(name: str) -> str:
    """The kind of records file at the repository path `name`: case, marks, log, or text (anything else)."""
    path = PurePosixPath(name.replace("\\", "/"))
    in_cases = path.parent.name == CASES_DIR
    if in_cases and path.name.endswith(MARKS_SUFFIX):
        return "marks"
    if in_cases and path.name.endswith(LOG_SUFFIX):
        return "log"
    if in_cases and path.suffix == ".yaml" and CASE_ID.match(path.stem):
        return "case"
    return "text"


def records_root(name: str, cwd: Path | None = None) -> Path:
    """The records folder holding the file at repository path `name` (the folder above its `cases/`).

    Git runs a merge driver in the repository's top folder, so `name` is relative to the current folder:
    `cases/X.yaml` (the records folder is the repository) or `records/cases/X.yaml` (it is a folder in it).
    """
    here = cwd if cwd is not None else Path.cwd()
    parts = PurePosixPath(name.replace("\\", "/")).parts
    positions = [index for index, part in enumerate(parts[:-1]) if part == CASES_DIR]
    if not positions:
        return here
    return here.joinpath(*parts[: positions[-1]])


def merge_file(base: Path, ours: Path, theirs: Path, name: str) -> list[Conflict]:
    """Merge `theirs` into `ours` against their ancestor `base`, writing the result to `ours` (git's %A).

    Returns the conflicts, empty when the merge is clean. With conflicts, `ours` holds conflict markers.
    """
    datas = [path.read_bytes() for path in (base, ours, theirs)]
    kind = kind_of(name)
    if kind != "text":
        try:
            texts = [yamlio.decode(data, f"{name} ({label})") for data, label in zip(datas, VERSIONS, strict=True)]
            merged, conflicts = _MERGERS[kind](texts[0], texts[1], texts[2], name)
        except ApError:
            pass  # a version ap cannot read field by field (markers of an earlier conflict, say): merge its lines
        else:
            if conflicts:
                _leave_conflict(base, ours, theirs, datas)
                return conflicts
            if merged is not None and merged.encode("utf-8") != datas[1]:
                atomic_write(ours, merged)
            return []
    return _merge_lines(base, ours, theirs, datas)


# --- three-way merge of data -------------------------------------------------------------


def merge_data(base: Any, ours: Any, theirs: Any, field: str = "") -> tuple[Any, list[Conflict]]:
    """The three-way merge of loaded YAML data (MISSING for a key a version lacks), and its conflicts."""
    conflicts: list[Conflict] = []
    return _merge_value(base, ours, theirs, field, conflicts), conflicts


def _merge_value(base: Any, ours: Any, theirs: Any, field: str, conflicts: list[Conflict]) -> Any:
    if same(ours, theirs):
        return ours
    if same(base, ours):
        return theirs
    if same(base, theirs):
        return ours
    empty = base is MISSING or base is None  # not there, or `key:` with nothing after it
    if isinstance(ours, dict) and isinstance(theirs, dict) and (empty or isinstance(base, dict)):
        return _merge_mapping({} if empty else base, ours, theirs, field, conflicts)
    records_list = all(isinstance(item, dict) for item in [*ours, *theirs]) if isinstance(ours, list) else False
    if records_list and isinstance(theirs, list) and (empty or isinstance(base, list)):
        by_id = _merge_by_id([] if empty else base, ours, theirs, field, conflicts)
        if by_id is not None:
            return by_id
    if records_list and isinstance(theirs, list) and (empty or isinstance(base, list)):
        # Only lists of records (history, meetings, contacts...) merge by adding both sides' new items; a list of
        # values (weekdays, reasons) is one value: two different changes to it are a conflict.
        merged = merge_appended([] if empty else base, ours, theirs, same)
        if merged is not None:
            return merged
        conflicts.append(
            Conflict(
                field or "the file",
                f"both sides changed this list other than by adding to its end (ours has {len(ours)} item(s), "
                f"theirs {len(theirs)}, the base {0 if empty else len(base)})",
            )
        )
        return ours
    conflicts.append(Conflict(field or "the file", _describe(base, ours, theirs)))
    return ours


def _ids(items: list[Any]) -> list[Any] | None:
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    return ids if None not in ids and len(set(ids)) == len(ids) else None


def _merge_by_id(
    base: list[Any], ours: list[Any], theirs: list[Any], field: str, conflicts: list[Conflict]
) -> list[Any] | None:
    """A list whose items each have their own id (placements: P1, P2) merges item by item, field by field
    (`placements.P1.end`); None when the items have no ids to go by."""
    base_ids, our_ids, their_ids = _ids(base), _ids(ours), _ids(theirs)
    if base_ids is None or our_ids is None or their_ids is None or not (our_ids or their_ids):
        return None
    old = dict(zip(base_ids, base, strict=True))
    mine, yours = dict(zip(our_ids, ours, strict=True)), dict(zip(their_ids, theirs, strict=True))
    merged = []
    for key in [*our_ids, *(key for key in their_ids if key not in mine)]:
        value = _merge_value(
            old.get(key, MISSING), mine.get(key, MISSING), yours.get(key, MISSING), _join(field, key), conflicts
        )
        if value is not MISSING:
            merged.append(value)
    return merged


def _merge_mapping(
    base: dict[Any, Any], ours: dict[Any, Any], theirs: dict[Any, Any], field: str, conflicts: list[Conflict]
) -> dict[Any, Any]:
    merged: dict[Any, Any] = {}
    for key in [*ours, *(key for key in theirs if key not in ours)]:
        value = _merge_value(
            base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING), _join(field, key), conflicts
        )
        if value is not MISSING:
            merged[key] = value
    return merged


def merge_appended(
    base: list[Any], ours: list[Any], theirs: list[Any], equal: Callable[[Any, Any], bool]
) -> list[Any] | None:
    """Base, our new items, then their new items not among ours, when both sides only added to the end of `base`;
    None when a side changed it otherwise."""
    if not (_starts_with(ours, base, equal) and _starts_with(theirs, base, equal)):
        return None
    ours_new = ours[len(base) :]
    unmatched = list(ours_new)
    theirs_new = []
    for item in theirs[len(base) :]:
        match = next((index for index, mine in enumerate(unmatched) if equal(mine, item)), None)
        if match is None:
            theirs_new.append(item)
        else:
            del unmatched[match]  # added on both sides: once
    return [*base, *ours_new, *theirs_new]


def _starts_with(items: list[Any], prefix: list[Any], equal: Callable[[Any, Any], bool]) -> bool:
    return len(items) >= len(prefix) and all(equal(a, b) for a, b in zip(items, prefix, strict=False))


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (so `true` is not `1`, nor 2026-10-05 a date and time)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(value, b[key]) for key, value in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _join(field: str, key: Any) -> str:
    return f"{field}.{key}" if field else str(key)


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return _SHORT.repr(value)


def _describe(base: Any, ours: Any, theirs: Any) -> str:
    def side(label: str, value: Any) -> str:
        return f"{label} removed it" if value is MISSING else f"{label} {_show(value)}"

    was = "not in the base" if base is MISSING else f"was {_show(base)}"
    return f"{side('ours', ours)}, {side('theirs', theirs)} ({was})"


# --- the kinds of file ---------------------------------------------------------------------


def _merge_case(base_text: str, ours_text: str, theirs_text: str, name: str) -> tuple[str | None, list[Conflict]]:
    """A case file: its data merged field by field, validated as a Case, written into our text."""
    from apcli.model.schema import Case
    from apcli.records.store import validate

    datas = [
        _upgraded(_mapping(text, f"{name} ({label})"), f"{name} ({label})")
        for text, label in zip((base_text, ours_text, theirs_text), VERSIONS, strict=True)
    ]
    merged, conflicts = merge_data(datas[0], datas[1], datas[2])
    if conflicts:
        return None, conflicts
    if same(merged, datas[1]):
        return ours_text, []  # theirs brought nothing ours lacks: our text as it is, not rewritten
    try:
        case = validate(Case, merged, ours_text, name)
    except InvalidFilesError as error:
        return None, [_problem_conflict(problem.message) for problem in error.problems]
    try:
        text = render_case(case, ours_text, name)
        if validate(Case, yamlio.load(text, name, plain=True), text, name) != case:
            raise InvalidFileError("the merged case would not read back exactly as merged", name)
    except InvalidFileError as error:  # a comment of ours would be lost, say: never silently
        return None, [
            Conflict("the file", f"ap merged the fields but could not write them into our file: {error.detail}")
        ]
    return text, []


def _mapping(text: str, shown: str) -> dict[Any, Any]:
    data = yamlio.load(text, shown, plain=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidFileError("should hold a mapping of fields (key: value lines)", shown)
    return data


def _upgraded(data: dict[Any, Any], shown: str) -> dict[Any, Any]:
    """A version in the shape before placements were a list, read as the newer shape (so the three compare)."""
    from apcli.model.schema import upgrade_case_data

    try:
        upgraded: dict[Any, Any] = upgrade_case_data(data)
    except ValueError as error:
        raise InvalidFileError(str(error), shown) from None
    return upgraded


def _problem_conflict(message: str) -> Conflict:
    """A validation problem of the merged case (`placement.end: ...`) as a conflict in that field."""
    where, separator, detail = message.partition(": ")
    if separator and where and " " not in where:
        return Conflict(where, f"the merged case is not valid: {detail}")
    return Conflict("the case", f"the merged case is not valid: {message}")


def render_case(case: Case, old_text: str, name: str) -> str:
    """The file text for the merged `case`, written into `old_text` (ours) so that its comments and key order stay.

    Written by `Records.case_text` of the records folder holding the file (made without `Records.open`: a merge
    must not recover, lock or check anything in the folder); where that is not usable, by yamlio's writers in
    the same way.
    """
    from apcli.records.store import SCHEMA_MODELINE, Records

    old = old_text if old_text.strip() else None
    case_text = getattr(Records(records_root(name)), "case_text", None)
    if callable(case_text):
        text: str = case_text(case, old, name)
        return text
    data = case.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    if old is None:
        return yamlio.dump_new(data, SCHEMA_MODELINE.format(path="../schema/case.schema.json"))
    return yamlio.update_text(old, data, name, full=case.model_dump(mode="python", by_alias=True))


def _merge_marks(base_text: str, ours_text: str, theirs_text: str, name: str) -> tuple[str | None, list[Conflict]]:
    """Attendance marks: day by day and cell by cell (am, pm, note), each by the three-way rule."""
    base, ours, theirs = (
        parse_marks(text, f"{name} ({label})")
        for text, label in zip((base_text, ours_text, theirs_text), VERSIONS, strict=True)
    )
    merged = Marks()
    conflicts: list[Conflict] = []
    for day in sorted(set(base.days) | set(ours.days) | set(theirs.days)):
        kept = _three_way(day in base.days, day in ours.days, day in theirs.days)  # a line added or removed
        cells: dict[str, str] = {}
        for column in (*SESSIONS, "note"):
            values = [_cell(marks, day, column) for marks in (base, ours, theirs)]
            value = _three_way(*values)
            if value is None:
                was, mine, yours = values
                if column == "note":
                    conflicts.append(Conflict(f"{day} note", f"ours {mine!r}, theirs {yours!r} (was {was!r})"))
                else:
                    conflicts.append(
                        Conflict(
                            f"{day} {column.upper()}",
                            f"ours {mine or 'no mark'}, theirs {yours or 'no mark'} (was {was or 'no mark'})",
                        )
                    )
                continue
            cells[column] = value
        if kept or any(cells.values()):
            merged.days[day] = {session: cells[session] for session in SESSIONS if cells.get(session)}
            if cells.get("note"):
                merged.notes[day] = cells["note"]
    if conflicts:
        return None, conflicts
    if merged == ours:
        return ours_text, []
    return merged.text(), []


def _cell(marks: Marks, day: dt.date, column: str) -> str:
    if column == "note":
        return marks.notes.get(day, "")
    return marks.get(day, column) or ""


def _three_way(base: Any, ours: Any, theirs: Any) -> Any:
    """The merged value, or None when both sides changed it to different values."""
    if ours == theirs or base == theirs:
        return ours
    if base == ours:
        return theirs
    return None


def _merge_log(base_text: str, ours_text: str, theirs_text: str, name: str) -> tuple[str | None, list[Conflict]]:
    """The append-only attendance log: the base, our new lines, their new lines; never a conflict."""
    base, ours, theirs = (csv_records(text) for text in (base_text, ours_text, theirs_text))
    merged = merge_appended(base, ours, theirs, str.__eq__)
    if merged is None:  # a side rewrote the log: keep every line of both, ours first
        seen = set(ours)
        merged = [*ours, *(line for line in dict.fromkeys(theirs) if line not in seen)]
    newline = "\r\n" if "\r\n" in ours_text else "\n"
    return "".join(line + newline for line in merged), []


def csv_records(text: str) -> list[str]:
    """The records of CSV `text` as written (a quoted cell may hold a line break), without blank lines."""
    found: list[str] = []
    pending: list[str] = []
    for line in text.splitlines():
        pending.append(line)
        joined = "\n".join(pending)
        if joined.count('"') % 2 == 0:
            found.append(joined)
            pending = []
    if pending:
        found.append("\n".join(pending))
    return [record for record in found if record.strip()]


_MERGERS: dict[str, Callable[[str, str, str, str], tuple[str | None, list[Conflict]]]] = {
    "case": _merge_case,
    "marks": _merge_marks,
    "log": _merge_log,
}


# --- line by line, as git would ---------------------------------------------------------------


def _git_merge_file(base: Path, ours: Path, theirs: Path) -> tuple[bytes, int] | None:
    """`git merge-file`'s result and its number of conflicting parts; None where git cannot merge the files."""
    command = ["git", "merge-file", "-p", "-L", LABELS[0], "-L", LABELS[1], "-L", LABELS[2]]
    try:
        done = subprocess.run([*command, str(ours), str(base), str(theirs)], capture_output=True, check=False)
    except OSError:
        return None
    if not 0 <= done.returncode <= 127:  # negative (shown as 255) on an error, such as a binary file
        return None
    return done.stdout, done.returncode


def _merge_lines(base: Path, ours: Path, theirs: Path, datas: list[bytes]) -> list[Conflict]:
    result = _git_merge_file(base, ours, theirs)
    if result is None:  # as git leaves a binary file: ours, unchanged, and a conflict
        return [Conflict("the file", "git could not merge it line by line (is it a binary file?); ours is kept")]
    text, count = result
    if text != datas[1]:
        atomic_write(ours, text)
    if count:
        return [Conflict("the file", f"{count} part(s) changed on both sides; see the conflict markers")]
    return []


def _leave_conflict(base: Path, ours: Path, theirs: Path, datas: list[bytes]) -> None:
    """Our file as git shows a conflict: git's conflict markers, or where git's line merge finds none (both
    sides changed a list, say), the whole of ours and the whole of theirs, so nothing is resolved silently."""
    result = _git_merge_file(base, ours, theirs)
    if result is not None and result[1] > 0:
        atomic_write(ours, result[0])
    else:
        _write_whole_conflict(ours, datas)


def _write_whole_conflict(ours: Path, datas: list[bytes]) -> None:
    def ended(data: bytes) -> bytes:
        return data if not data or data.endswith(b"\n") else data + b"\n"

    mine, yours = ended(datas[1]), ended(datas[2])
    atomic_write(
        ours, f"<<<<<<< {LABELS[0]}\n".encode() + mine + b"=======\n" + yours + f">>>>>>> {LABELS[2]}\n".encode()
    )
