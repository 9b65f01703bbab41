"""The one error type `ap` raises for anything a user can fix.

The CLI catches `ApError` at its edge, prints `str(error)` to stderr and exits
with `error.exit_code`; nothing below the CLI prints or exits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXIT_OK = 0
EXIT_REFUSED = 1  # refused by the policy
EXIT_USAGE = 2  # usage error or bad value
EXIT_INVALID_FILE = 3  # a records file or input file is invalid
EXIT_BUSY = 4  # another ap process holds the lock


class ApError(Exception):
    """A problem the user can fix. The message says what, where and what to do."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ApError):
    exit_code = EXIT_USAGE

    def naming_the_case(self, case_id: str) -> UsageError:
        """This error with the placeholder CASE in its commands replaced by the case's id, so they run as shown."""
        self.message = re.sub(r"\bCASE\b", case_id, self.message)
        self.args = (self.message,)
        return self


class InvalidFileError(ApError):
    """A file could not be read or does not match its schema."""

    exit_code = EXIT_INVALID_FILE

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
        super().__init__(where + message)
        self.file = file
        self.line = line
        self.detail = message


class BusyError(ApError):
    exit_code = EXIT_BUSY


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, for listing many at once."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class InvalidFilesError(InvalidFileError):
    """Several problems in one file, each with its line."""

    def __init__(self, problems: list[Problem], hint: str = "") -> None:
        text = "\n".join(str(p) for p in problems)
        if hint:
            text += "\n" + hint
        ApError.__init__(self, text)
        self.problems = problems
        self.file = problems[0].file if problems else None
        self.line = problems[0].line if problems else None
        self.detail = text


# What Python itself may raise on a value in a file that no parser refused first: an integer of over 4,300
# digits (ValueError), a date past 9999 (OverflowError), nesting too deep (RecursionError). Caught per file,
# as a backstop, so that one such file is a finding and never stops the check of the others.
UNREADABLE = (ValueError, OverflowError, RecursionError, MemoryError)
