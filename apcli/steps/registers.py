"""Reading a provider's register: UTF-8 CSV (comma or semicolon, with or without a BOM) or .xlsx,
in the long layout (one row a session) or the grid layout (one row a pupil, one column a session),
told apart by the header. Every cell keeps its row number and column for error messages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from apcli.errors import InvalidFileError

# A grid's session column: the day as ISO or UK (day first) text, as everywhere else, then AM or PM.
GRID_COLUMN = re.compile(r"^(\d{4}-\d{2}-\d{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4})\s+(AM|PM)$", re.IGNORECASE)
KEY_COLUMNS = ("case", "upn")
LONG_COLUMNS = ("date", "session", "mark")
OPTIONAL_COLUMNS = ("note", "name", "provider")  # provider: the id of the provider whose register it is
MAX_BYTES = 50_000_000
MAX_XLSX_UNPACKED = 200_000_000  # the parts of an .xlsx, unzipped (a year's register is a few MB)
# A register's real extent (its cells that hold something): a grid is a column a session (ten school years are
# under 4,000), a long register a row a session; their product bounds the table ap holds in memory.
MAX_COLUMNS = 5_000
MAX_ROWS = 2_000_000
MAX_CELLS = 30_000_000


class Cell(NamedTuple):
    """One mark as the register gives it, before it is checked (a tuple: a register may hold millions)."""

    row: int
    column: str
    key_column: str
    key: str
    date: Any  # text, or a date from an .xlsx cell
    session: str
    mark: Any
    note: str = ""
    name: str = ""
    provider: str = ""  # the row's provider column, where the register has one


class RegisterError(InvalidFileError):
    """The register cannot be read at all (not its rows: those are checked one by one)."""


def _cell_text(value: Any) -> str:
    """A cell as text; a line break in it as \\n, which a CSV writer quotes (a bare \\r it may not: a note
    holding one would split its line of the case's attendance file in two)."""
    if value.__class__ is str and "\r" not in value:
        return value.strip()  # the usual cell, from CSV: the same text, found without replacing
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def shown_path(path: Path) -> str:
    """The register's name as typed, safe to print (a control character in a file name shows as ?)."""
    return "".join(char if char.isprintable() else "?" for char in str(path))


def read_bytes(path: Path) -> bytes:
    """The register's bytes: a regular file only (never a device, pipe or link), its size checked before
    anything is read and while reading, so `/dev/zero` or a huge file is refused, not read."""
    from apcli.records.guard import Guard

    shown = shown_path(path)
    if not path.name or path.name in (".", ".."):
        raise RegisterError("is a folder, not a register", shown)
    try:
        return Guard(path.parent, "the register's folder").read(path.name, limit=MAX_BYTES, shown=shown)
    except InvalidFileError as error:
        raise RegisterError(_register_detail(error.detail), shown) from None
    except IsADirectoryError:
        raise RegisterError("is a folder, not a register", shown) from None
    except OSError as error:
        raise RegisterError(f"cannot be read ({error.strerror or error})", shown) from None


def _register_detail(detail: str) -> str:
    if detail.startswith("the file is ") and "more than ap reads" in detail:
        size = detail.removeprefix("the file is ").split(" bytes", 1)[0]
        return f"is {size} bytes; a register is far smaller. Is it the right file?"
    return detail


def read_table(path: Path) -> list[list[Any]]:
    """The register's rows as lists of cell values (text from CSV; typed values from .xlsx)."""
    return list(read_rows(path))


def read_rows(path: Path) -> Iterator[list[Any]]:
    """The register's rows one by one, as lists of cell values (text from CSV; typed values from .xlsx).
    Whether the file can be read at all is known before the first row."""
    shown = shown_path(path)
    data = read_bytes(path)
    if data.startswith(b"PK\x03\x04"):
        return iter(_read_xlsx(path, data))
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise RegisterError("is not an .xlsx workbook that ap can read; save it as .xlsx or as CSV (UTF-8)", shown)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RegisterError(
            "is UTF-16 text (a spreadsheet's 'Unicode Text'), which ap does not read; save it as 'CSV UTF-8' "
            "and import it again",
            shown,
        )
    if b"\x00" in data:
        raise RegisterError("is not a CSV or .xlsx file (it holds binary data)", shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RegisterError("is not UTF-8 text; save it as 'CSV UTF-8' and import it again", shown, line) from None
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    del data
    return _csv_rows(text, delimiter, shown)


def _csv_rows(text: str, delimiter: str, shown: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as error:
        raise RegisterError(f"is not valid CSV ({printable(str(error))})", shown) from None


def _read_xlsx(path: Path, data: bytes) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    shown = shown_path(path)
    try:
        unpacked = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise RegisterError(f"is not an .xlsx workbook that ap can read ({printable(str(error))})", shown) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise RegisterError(
            f"unpacks to {unpacked:,} bytes, far more than a register; is it the right file? "
            "Save the register on its own, or as CSV (UTF-8).",
            shown,
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            return _sheet_rows(workbook, shown)
        finally:
            workbook.close()
    except RegisterError:
        raise
    except Exception as error:  # openpyxl raises many kinds (XML ParseError, KeyError, ...) for a broken workbook
        raise RegisterError(
            f"is not an .xlsx workbook that ap can read ({printable(str(error) or type(error).__name__)}); open it "
            "in the spreadsheet and save it again as .xlsx, or as CSV (UTF-8)",
            shown,
        ) from None


_NO_ROW: list[Any] = []  # every empty row of a sheet is this one list (never changed), not a list each


def _sheet_rows(workbook: Any, shown: str) -> list[list[Any]]:
    """The first sheet's rows, as far as its cells that hold something reach.

    openpyxl's own row iterator pads every row to the sheet's stated size (or to the row's last cell, blank
    or not), so one blank formatted cell at XFD1048576 made a 5 KB workbook a billion-cell table. Here the
    sheet's XML is read cell by cell, in one pass, and only cells holding a value or a formula are kept; a
    register whose real extent is beyond any register's is refused before a table is made.
    """
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.worksheet._reader import WorkSheetParser

    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # the stated size (<dimension ref=...>) is the workbook's claim, not its cells
    kept: list[tuple[int, list[tuple[int, Any]]]] = []
    last_row = last_column = cells = 0
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, row in parser.parse():
            values = []
            for item in row:
                value = item.get("value")
                if value is None or (isinstance(value, str) and not value.strip() and item.get("data_type") != "f"):
                    continue  # a blank cell, formatted or not, is no part of the register
                column = int(item["column"])
                values.append((column, _xlsx_value(ReadOnlyCell(sheet, **item))))
                last_column = max(last_column, column)
            if not values:
                continue
            cells += len(values)
            last_row = number
            if last_column > MAX_COLUMNS or number > MAX_ROWS or cells > MAX_CELLS:
                raise RegisterError(_too_big(number, last_column), shown)
            kept.append((number, values))
    if last_row * last_column > MAX_CELLS:
        raise RegisterError(_too_big(last_row, last_column), shown)
    table: list[list[Any]] = [_NO_ROW] * last_row
    for number, values in kept:
        dense: list[Any] = [None] * max(column for column, _ in values)
        for column, value in values:
            dense[column - 1] = value
        table[number - 1] = dense
    return table


def _too_big(rows: int, columns: int) -> str:
    return (
        f"has cells as far as row {rows:,} and column {columns:,}, far beyond any register (at most "
        f"{MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns); is it the right file? Delete what is beyond the register, "
        "or save the register on its own sheet, or as CSV (UTF-8)."
    )


def printable(text: str) -> str:
    """`text` from a register with control characters (terminal escapes) shown as ?, for a message."""
    return "".join(char if char.isprintable() else "?" for char in text)


@dataclass(frozen=True)
class Formula:
    text: str


def _xlsx_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
        return Formula(str(value))
    return value


@dataclass
class Layout:
    kind: str  # "long" or "grid"
    key_column: str
    columns: dict[str, int]
    sessions: dict[int, tuple[str, str]]  # grid: column index -> (date text, AM/PM)


def detect_layout(header: list[Any], shown: str) -> Layout:
    names = [_cell_text(cell).lower() for cell in header]
    columns = {name: index for index, name in enumerate(names) if name}
    keys = [key for key in KEY_COLUMNS if key in columns]
    if not keys:
        raise RegisterError(
            "the first row should name the pupil's column: 'upn' or 'case' (a name alone is never enough to match "
            f"a pupil); found: {printable(', '.join(n for n in names if n)) or 'nothing'}",
            shown,
            1,
        )
    sessions = {
        index: (match.group(1), match.group(2).upper())
        for index, name in enumerate(names)
        if (match := GRID_COLUMN.match(name))
    }
    is_long = any(column in columns for column in LONG_COLUMNS)
    known = set(KEY_COLUMNS) | set(OPTIONAL_COLUMNS) | (set(LONG_COLUMNS) if is_long else set())
    unknown = [
        _cell_text(header[i]) for i, name in enumerate(names) if name and name not in known and i not in sessions
    ]
    if is_long:
        missing = [column for column in LONG_COLUMNS if column not in columns]
        if missing or sessions or unknown:
            problems = [f"missing {', '.join(missing)}"] if missing else []
            problems += [f"unknown {printable(', '.join(unknown))}"] if unknown else []
            problems += ["session columns do not belong in the long layout"] if sessions else []
            raise RegisterError(
                "the header is not a register ap knows: " + "; ".join(problems) + ". The long layout is "
                "upn (or case), date, session, mark, and optionally note, name and provider.",
                shown,
                1,
            )
        return Layout("long", keys[0], columns, {})
    if not sessions or unknown:
        detail = f"unknown columns: {printable(', '.join(unknown))}" if unknown else "no session columns"
        raise RegisterError(
            f"the header is not a register ap knows ({detail}). The grid layout is upn (or case), optionally name and "
            "provider, then one column per session headed like '2027-01-11 AM' (or '11/01/2027 AM').",
            shown,
            1,
        )
    return Layout("grid", keys[0], columns, sessions)


def _has_text(row: list[Any]) -> bool:
    for cell in row:
        if cell.__class__ is str:
            if cell.strip():  # what _cell_text gives holds text exactly when the cell does
                return True
        elif isinstance(cell, Formula) or _cell_text(cell):
            return True
    return False


def read_register(path: Path) -> tuple[str, Iterator[Cell]]:
    """The layout's name, and every mark in the register with its row and column, one by one: a register
    of millions of marks is never held as millions of cells. Whether the register can be read at all (its
    file, its header, that it has rows) is known before this returns; a row's problem is its cell's."""
    shown = shown_path(path)
    rows = read_rows(path)
    header = next(rows, None)
    if header is None or not _has_text(header):
        if not any(_has_text(row) for row in rows):
            raise RegisterError("is empty", shown)
        header = header or []
    layout = detect_layout(header, shown)
    for number, row in enumerate(rows, start=2):  # up to the first row that holds something
        if _has_text(row):
            return layout.kind, _cells(layout, header, number, row, rows)
    raise RegisterError("has a header but no rows", shown, 1)


def _cells(layout: Layout, header: list[Any], first: int, row: list[Any], rest: Iterator[list[Any]]) -> Iterator[Cell]:
    key_index = layout.columns[layout.key_column]
    name_index = layout.columns.get("name")
    provider_index = layout.columns.get("provider")
    days = {day: as_date(day) or day for day in dict.fromkeys(day for day, _ in layout.sessions.values())}
    columns = [  # a grid's session columns: index, the column as messages name it, its day, its session
        (index, f"{day} {session}", days[day], session) for index, (day, session) in layout.sessions.items()
    ]
    width = len(header)
    cols = layout.columns
    long = layout.kind == "long"
    if long:  # the long layout's columns, looked up once rather than once a row
        date_index, session_index, mark_index = cols["date"], cols["session"], cols["mark"]
        note_index = cols.get("note")
    number = first
    while True:
        if _has_text(row):
            padded = list(row) + [None] * (width - len(row)) if len(row) < width else row
            key = padded[key_index] if isinstance(padded[key_index], Formula) else _cell_text(padded[key_index])
            name = _cell_text(padded[name_index]) if name_index is not None else ""
            provider = _cell_text(padded[provider_index]).lower() if provider_index is not None else ""
            if long:
                note = padded[note_index] if note_index is not None else ""
                yield Cell(
                    number,
                    "mark",
                    layout.key_column,
                    key,
                    padded[date_index],
                    _cell_text(padded[session_index]),
                    padded[mark_index],
                    _cell_text(note) if not isinstance(note, Formula) else "",
                    name,
                    provider,
                )
            else:
                key_column = layout.key_column
                for index, column, day, session in columns:
                    value = padded[index]
                    if value is None or value == "":
                        continue
                    if isinstance(value, Formula) or (value.strip() if isinstance(value, str) else _cell_text(value)):
                        yield Cell(number, column, key_column, key, day, session, value, "", name, provider)
        following = next(rest, None)
        if following is None:
            return
        number, row = number + 1, following


def as_date(value: Any) -> dt.date | None:
    """A register's date: ISO or UK text, or an .xlsx date; None when it is neither."""
    from apcli.errors import UsageError
    from apcli.model.dates import parse_date

    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except UsageError:
            return None
    return None
