"""Safe values for files people open in a spreadsheet, and safe places for the files ap writes on request."""

from __future__ import annotations

from pathlib import Path

from apcli.errors import UsageError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# What ap itself reads or keeps in a records folder: a file the user asks for is never written over these.
RECORDS_OWN = (
    "cases",
    "providers",
    "templates",
    "ap-settings.yaml",
    "calendar.yaml",
    ".git",
    ".locks",
    ".staging",
    ".cache",
)


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (CSV injection).

    Leading spaces are looked past: a spreadsheet that trims them on import would otherwise see the formula.
    A carriage return becomes \\n: csv.writer(lineterminator="\\n") quotes a cell holding \\n but not one
    holding only \\r, which a spreadsheet takes for a new row, whose first cell could be a formula.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if value.lstrip(" ").startswith(FORMULA_STARTS) else value


def check_output(path: Path, records_root: Path | None, option: str) -> None:
    """Refuse an output file or folder the user named that is, or is inside, the records folder's own files
    (cases/, providers/, the settings, ...), links followed: a report must never replace a case."""
    if records_root is None:
        return
    root = records_root.resolve()
    real = path.resolve()
    for name in RECORDS_OWN:
        own = root / name
        if real.is_relative_to(own):
            raise UsageError(
                f"{option}: {path} is inside the records folder's own files ({own}), which ap keeps for itself; "
                "give a file or folder elsewhere."
            )
