"""Safe values for files people open in a spreadsheet, and safe places for the files ap writes on request."""

from __future__ import annotations

import os
from pathlib import Path

from apcli.errors import UsageError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LETTERS = "letters"  # where ap keeps the letters it writes

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
    "schema",
    ".gitattributes",
    ".gitignore",
)


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (CSV injection).

    Leading spaces are looked past: a spreadsheet that trims them on import would otherwise see the formula.
    A carriage return becomes \\n: csv.writer(lineterminator="\\n") quotes a cell holding \\n but not one
    holding only \\r, which a spreadsheet takes for a new row, whose first cell could be a formula.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if value.lstrip(" ").startswith(FORMULA_STARTS) else value


def check_output(path: Path, records_root: Path | None, option: str, *, letters: bool = False) -> None:
    """The one rule for a file or folder the user names for ap to write (--html, --ics, an export, --out):

    - a report, a calendar or an export (`letters` false) goes only outside the records folder: inside it, it
      could replace a sent letter, a case, or a file ap or git relies on (.gitattributes, .gitignore, schema/);
    - letters (`letters` true) go only inside the records folder's letters/, where ap keeps them.

    The path is judged both as given and with links followed, so a link can lead it neither in nor out. (That a
    letter already recorded as sent is never replaced is checked where letters are written, against every case.)
    """
    if records_root is None:
        return
    roots = {Path(os.path.abspath(records_root)), records_root.resolve()}
    given, real = Path(os.path.abspath(path)), path.resolve()

    def under(target: Path, name: str | None = None) -> bool:
        return any(target.is_relative_to(root / name if name else root) for root in roots)

    inside = under(given) or under(real)
    for name in RECORDS_OWN:
        if under(given, name) or under(real, name):
            raise UsageError(
                f"{option}: {path} is inside the records folder's own files ({records_root / name}), which ap keeps "
                "for itself; give a file or folder elsewhere."
            )
    if letters:
        if not (under(given) and under(real)):
            raise UsageError(
                f"{option}: {path} is outside the records folder ({records_root}). Letters hold children's personal "
                f"data and are kept with the records; give a folder inside its {LETTERS}/."
            )
        if not (under(given, LETTERS) and under(real, LETTERS)):
            raise UsageError(
                f"{option}: {path} is not inside {LETTERS}/ of the records folder, where ap keeps letters; give a "
                f"folder inside {LETTERS}/ (for example {LETTERS}/drafts)."
            )
    elif inside:
        raise UsageError(
            f"{option}: {path} is inside the records folder ({records_root}). ap writes reports, calendars and "
            "exports only outside it, so that nothing written on request can replace a letter that was sent or a "
            "file ap or git relies on; give a file elsewhere."
        )
