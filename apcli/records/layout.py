"""What a records folder holds and where, and the few helpers every part of apcli/records/ shares: the lock
timeout, and atomic writes with the list of files this command wrote (for its one git commit). The lowest
module of the package but the guard, so the store, the journal and the cache all import it and it none of them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from apcli.errors import UsageError
from apcli.records.guard import Guard

if TYPE_CHECKING:
    from collections.abc import Iterable

SETTINGS_FILE = "ap-settings.yaml"


CALENDAR_FILE = "calendar.yaml"


CASES_DIR = "cases"


PROVIDERS_DIR = "providers"


LOCKS_DIR = ".locks"


LOCK_TIMEOUT_SECONDS = 15.0  # AP_LOCK_TIMEOUT overrides it


_WRITTEN: list[Path] = []


def written_files() -> list[Path]:
    """Every file this process has written (for the one git commit a command makes)."""
    return list(_WRITTEN)


def note_written(*paths: Path) -> None:
    """Add files a command wrote (through the guard) to those its git commit takes."""
    _WRITTEN.extend(paths)


def forget_written() -> None:
    _WRITTEN.clear()


def atomic_write(path: Path, content: str | bytes | Iterable[str], guard: Guard | None = None) -> None:
    """Replace `path` by `content` so that a reader sees the whole old or the whole new file (mode 600).

    Inside a records folder give its `guard`; without one, `path` is a file the user named (a report) and
    only its own folder is trusted."""
    guard = guard or Guard(path.parent, "the output folder")
    _WRITTEN.append(guard.write(path, content))


def lock_timeout() -> float:
    """Seconds to wait for another command's lock: AP_LOCK_TIMEOUT, else 15."""
    try:
        return max(0.0, float(os.environ.get("AP_LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS)))
    except ValueError:
        raise UsageError("AP_LOCK_TIMEOUT must be a number of seconds, e.g. 15.") from None


PRIVATE_AREAS = ("cases", "providers", "letters")  # and the folder itself, its own files, and .git
