"""Working with git: one commit per command that changed records, and a case's history joined with git's.

Git is optional: where it is not installed, or the records folder is not in a
repository, nothing here runs and nothing breaks. A commit holds exactly the
files the command wrote (`git commit -- PATHS`), never anything else a person
had changed or staged.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apcli.store import Records

NOT_RECORDS = (".cache", ".locks", ".staging")  # written by ap, never committed
MERGE_ATTRIBUTES = """# Written by ap init: ap merges case files and attendance files field by field (ap merge-driver).
cases/*.yaml merge=ap
cases/*.attendance.csv merge=ap
cases/*.attendance-log.csv merge=ap
"""


def merge_driver() -> str:
    """The driver command, with ap's full path: git may run it where `ap` is not on the PATH (an inactive
    virtualenv, a GUI client), and a driver git cannot start leaves our side of a conflict, unmarked."""
    import shlex
    import sys

    found = shutil.which("ap")
    program = shlex.quote(found) if found else f"{shlex.quote(sys.executable)} -m apcli"
    return f"{program} merge-driver %O %A %B %P"


def _git(root: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=check)


def in_repository(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    result = _git(root, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == "true"


def records_paths(root: Path, written: list[Path]) -> list[Path]:
    """The files among `written` that are records: inside `root`, outside its cache, locks and staging."""
    real_root = root.resolve()
    paths = []
    for path in dict.fromkeys(p.resolve() for p in written):
        if path.is_relative_to(real_root) and not set(path.relative_to(real_root).parts) & set(NOT_RECORDS):
            paths.append(path)
    return paths


def commit(root: Path, written: list[Path], message: str, by: str) -> str | None:
    """Commit the records among `written` with `message`. Returns a note for the user, or None when all went well.

    Where git has no name for the user, the commit is made in the name given with --by.
    """
    paths = [str(p) for p in records_paths(root, written)]
    if not paths or not in_repository(root) or not _git(root, "status", "--porcelain", "--", *paths).stdout.strip():
        return None  # no git, or nothing the command wrote differs from the last commit
    added = _git(root, "add", "--", *paths)
    if added.returncode != 0:
        return f"git could not add the changed files ({added.stderr.strip()}); they are saved, but not committed."
    identity: list[str] = []
    if not _git(root, "config", "user.email").stdout.strip():
        identity = ["-c", f"user.name={by}", "-c", "user.email=ap@localhost"]
    done = _git(root, *identity, "commit", "-q", "-m", message, "--", *paths)
    if done.returncode != 0 and "nothing to commit" not in done.stdout + done.stderr:
        return f"git could not commit ({done.stderr.strip() or done.stdout.strip()}); the files are saved."
    return None


@dataclass(frozen=True)
class Event:
    """One line of a case's timeline."""

    when: str  # ISO date, or date and time (UTC)
    source: str  # "case" (its history), "git" (a commit), "letter" (a notice's file checked)
    who: str
    what: str
    flag: str = ""  # "changed after it was sent", for instance

    def as_dict(self) -> dict[str, str]:
        return {"when": self.when, "source": self.source, "who": self.who, "what": self.what, "flag": self.flag}


def timeline(records: Records, case_id: str) -> list[Event]:
    """The case's history, the git commits that touched its files, and each letter checked against its sha256."""
    from apcli.attendance import log_path, marks_path
    from apcli.sending import letter_flag

    loaded = records.load_case(case_id)
    case = loaded.case
    events = [Event(f"{h.date} {(h.at or '')[11:16]}".strip(), "case", h.by, h.what) for h in case.history]
    files = [loaded.path, marks_path(loaded.path), log_path(loaded.path)]
    events += _commits(records.root, [f for f in files if f.exists()])
    letters = [(n.date, letter.file, letter.sha256) for n in case.notices for letter in n.letters]
    letters += [(letter.date, letter.file, letter.sha256) for letter in case.letters]
    for date, file, sha256 in letters:
        flag = letter_flag(records, file, sha256)  # read through the guard: only a file inside letters/
        events.append(Event(date.isoformat(), "letter", "", f"{file} (sha256 {sha256[:12]}...)", flag))
    return sorted(events, key=lambda e: e.when)


def _commits(root: Path, files: list[Path]) -> list[Event]:
    if not files or not in_repository(root):
        return []
    result = _git(root, "log", "--format=%aI%x09%an%x09%h %s", "--", *(str(f) for f in files))
    events = []
    for line in result.stdout.splitlines():
        when, who, what = [*line.split("\t", 2), "", ""][:3]
        with_time = dt.datetime.fromisoformat(when).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if when else ""
        events.append(Event(with_time, "git", who, what))
    return events
