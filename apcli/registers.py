"""Reading a provider's register: UTF-8 CSV (comma or semicolon, with or without a BOM) or .xlsx,
in the long layout (one row a session) or the grid layout (one row a pupil, one column a session),
told apart by the header. Every cell keeps its row number and column for error messages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apcli.errors import InvalidFileError

GRID_COLUMN = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(AM|PM)$", re.IGNORECASE)
KEY_COLUMNS = ("case", "upn")
LONG_COLUMNS = ("date", "session", "mark")
OPTIONAL_COLUMNS = ("note", "name")
MAX_BYTES = 50_000_000
MAX_XLSX_UNPACKED = 200_000_000  # the parts of an .xlsx, unzipped (a year's register is a few MB)


@dataclass(frozen=True)
class Cell:
    """One mark as the register gives it, before it is checked."""

    row: int
    column: str
    key_column: str
    key: str
    date: Any  # text, or a date from an .xlsx cell
    session: str
    mark: Any
    note: str = ""
    name: str = ""


class RegisterError(InvalidFileError):
    """The register cannot be read at all (not its rows: those are checked one by one)."""


def _cell_text(value: Any) -> str:
    """A cell as text; a line break in it as \\n, which a CSV writer quotes (a bare \\r it may not: a note
    holding one would split its line of the case's attendance file in two)."""
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def read_table(path: Path) -> list[list[Any]]:
    """The register's rows as lists of cell values (text from CSV; typed values from .xlsx)."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RegisterError(f"cannot be read ({error.strerror or error})", shown) from None
    if len(data) > MAX_BYTES:
        raise RegisterError(f"is {len(data):,} bytes; a register is far smaller. Is it the right file?", shown)
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, data)
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
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise RegisterError(f"is not valid CSV ({error})", shown) from None


def _read_xlsx(path: Path, data: bytes) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    shown = str(path)
    try:
        unpacked = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise RegisterError(f"is not an .xlsx workbook that ap can read ({error})", shown) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise RegisterError(
            f"unpacks to {unpacked:,} bytes, far more than a register; is it the right file? "
            "Save the register on its own, or as CSV (UTF-8).",
            shown,
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            return [[_xlsx_value(cell) for cell in row] for row in sheet.iter_rows()]
        finally:
            workbook.close()
    except Exception as error:  # openpyxl raises many kinds (XML ParseError, KeyError, ...) for a broken workbook
        raise RegisterError(
            f"is not an .xlsx workbook that ap can read ({error or type(error).__name__}); open it in the spreadsheet "
            "and save it again as .xlsx, or as CSV (UTF-8)",
            shown,
        ) from None


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
            f"a pupil); found: {', '.join(n for n in names if n) or 'nothing'}",
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
            problems += [f"unknown {', '.join(unknown)}"] if unknown else []
            problems += ["session columns do not belong in the long layout"] if sessions else []
            raise RegisterError(
                "the header is not a register ap knows: " + "; ".join(problems) + ". The long layout is "
                "upn (or case), date, session, mark, and optionally note.",
                shown,
                1,
            )
        return Layout("long", keys[0], columns, {})
    if not sessions or unknown:
        detail = f"unknown columns: {', '.join(unknown)}" if unknown else "no session columns"
        raise RegisterError(
            f"the header is not a register ap knows ({detail}). The grid layout is upn (or case), optionally name, "
            "then one column per session headed like '2027-01-11 AM'.",
            shown,
            1,
        )
    return Layout("grid", keys[0], columns, sessions)


def read_register(path: Path) -> tuple[str, list[Cell]]:
    """The layout's name, and every mark in the register with its row and column."""
    shown = str(path)
    table = read_table(path)
    while table and not any(_cell_text(cell) for cell in table[-1]):
        table.pop()
    if not table:
        raise RegisterError("is empty", shown)
    layout = detect_layout(table[0], shown)
    if len(table) == 1:
        raise RegisterError("has a header but no rows", shown, 1)
    cells: list[Cell] = []
    key_index = layout.columns[layout.key_column]
    for number, row in enumerate(table[1:], start=2):
        if not any(_cell_text(cell) for cell in row):
            continue
        padded = list(row) + [None] * (len(table[0]) - len(row))
        key = _cell_text(padded[key_index]) if not isinstance(padded[key_index], Formula) else padded[key_index]
        name = _cell_text(padded[layout.columns["name"]]) if "name" in layout.columns else ""
        if layout.kind == "long":
            cols = layout.columns
            note = padded[cols["note"]] if "note" in cols else ""
            cells.append(
                Cell(
                    number,
                    "mark",
                    layout.key_column,
                    key,
                    padded[cols["date"]],
                    _cell_text(padded[cols["session"]]),
                    padded[cols["mark"]],
                    _cell_text(note) if not isinstance(note, Formula) else "",
                    name,
                )
            )
        else:
            for index, (day, session) in layout.sessions.items():
                value = padded[index]
                if _cell_text(value) if not isinstance(value, Formula) else True:
                    cells.append(
                        Cell(
                            number, _cell_text(table[0][index]), layout.key_column, key, day, session, value, name=name
                        )
                    )
    return layout.kind, cells


def as_date(value: Any) -> dt.date | None:
    """A register's date: ISO or UK text, or an .xlsx date; None when it is neither."""
    from apcli.dates import parse_date
    from apcli.errors import UsageError

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
