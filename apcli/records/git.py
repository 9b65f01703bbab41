"""Working with git: one commit per command that changed records, and a case's history joined with git's.

Git is optional: where it is not installed, or the records folder is not in a
repository, nothing here runs and nothing breaks. A commit holds exactly the
files the command wrote (`git commit -- PATHS`), never anything else a person
had changed or staged.

A command killed between writing its files and committing them would leave its
change uncommitted (and, after `git add`, staged) for good: the next command's
commit names only its own files. So a commit is made under `.locks/commit.lock`,
and `.locks/commit-pending.json` names the command's files and message from just
before `git add` until the commit is made. If that file is still there once the
lock is free, its command was stopped: the next ap command to open the folder
(with `commit: true`) commits those files then, under their own message, before
it changes anything itself, so no change is ever filed under another command's
message. The file is acted on only if this user's ap could have left it (this
user's, closed to others, not tracked by git) and it names only records files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apcli.records.guard import Guard
    from apcli.records.store import Records

NOT_RECORDS = (".cache", ".locks", ".staging")  # written by ap, never committed
PENDING = ".locks/commit-pending.json"
COMMIT_LOCK = ".locks/commit.lock"
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
    """git in the records folder; paths given to it are relative to the folder (`-C` changes to it first)."""
    return subprocess.run(
        ["git", "-C", str(root), "--literal-pathspecs", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",  # an author's name in another encoding is shown, never a traceback
        check=check,
    )


def in_repository(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    result = _git(root, "rev-parse", "--is-inside-work-tree")
    return result.returncode == 0 and result.stdout.strip() == "true"


def _inside(root: Path, path: Path) -> str | None:
    """`path` relative to the records folder `root` (as git is given it, after `-C root`), else None."""
    real_root = Path(os.path.realpath(root))
    absolute = path if path.is_absolute() else Path.cwd() / path
    for base in (root.absolute(), real_root):
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    real = Path(os.path.realpath(absolute))
    return real.relative_to(real_root).as_posix() if real.is_relative_to(real_root) else None


def records_paths(root: Path, written: list[Path]) -> list[str]:
    """The files among `written` that are records, relative to `root`: inside it, outside its cache, locks
    and staging."""
    paths = []
    for path in written:
        relative = _inside(root, path)
        if relative and relative not in paths and not set(Path(relative).parts) & {*NOT_RECORDS, ".git"}:
            paths.append(relative)
    return paths


def commit(root: Path, written: list[Path], message: str, by: str) -> str | None:
    """Commit the records among `written` with `message`. Returns a note for the user, or None when all went well.

    Where git has no name for the user, the commit is made in the name given with --by.
    """
    from filelock import Timeout

    from apcli.errors import ApError
    from apcli.records.guard import Guard
    from apcli.records.layout import lock_timeout

    paths = records_paths(root, written)
    if not paths or not in_repository(root) or not _git(root, "status", "--porcelain", "--", *paths).stdout.strip():
        return None  # no git, or nothing the command wrote differs from the last commit
    guard = Guard(root)
    try:
        with guard.lock_file(COMMIT_LOCK, lock_timeout()):
            guard.write(PENDING, json.dumps({"message": message, "by": by, "paths": paths}, indent=1))
            try:
                return _commit_paths(root, paths, message, by)
            finally:
                guard.remove(PENDING)
    except Timeout:
        return "another ap command is committing, so this change is saved but not committed; commit it with git."
    except ApError as error:
        return f"the change is saved, but not committed: {error.message}"


def _commit_paths(root: Path, paths: list[str], message: str, by: str) -> str | None:
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
class Pending:
    """A commit an ap command was about to make when it stopped."""

    message: str
    by: str
    paths: list[str]


def read_pending(guard: Guard) -> Pending | None:
    """The commit a stopped command left in `.locks/commit-pending.json`, if this user's ap could have left it.

    Raises ApError (UnsafePath) for a marker that is a link, special file, another user's, open to others,
    tracked by git, or not of ap's making: such a file is never acted on."""
    from apcli.errors import ApError
    from apcli.records.guard import UnsafePath, owned_and_private

    shown = str(guard.given / PENDING)
    if not os.path.lexists(guard.root / PENDING):
        return None
    if not guard.exists(PENDING):  # a link or a special file raises here
        return None
    if not (owned_and_private(guard.root / PENDING) and owned_and_private(guard.root / ".locks")):
        raise UnsafePath("not left by your own ap (another user's, or open to others); ap does not act on it", shown)
    if tracked_own_folders(guard.root).get(".locks"):
        raise UnsafePath("tracked by git, so it came with the folder; ap does not act on it", shown)
    try:
        data: Any = json.loads(guard.read(PENDING, limit=200_000))
        message, by, paths = data["message"], data["by"], data["paths"]
        if not (isinstance(message, str) and isinstance(by, str) and isinstance(paths, list)):
            raise TypeError("not text")
        if not paths or len(message) > 2_000 or len(by) > 200 or len(paths) > 10_000:
            raise ValueError("not of ap's making")
        for path in paths:
            relative = guard.relative(path)  # raises for '..' or an absolute path
            if relative.as_posix() != path or set(relative.parts) & {*NOT_RECORDS, ".git"}:
                raise ValueError("a path that is not a records file")
            guard.check(relative)
    except (ValueError, KeyError, TypeError) as error:
        raise UnsafePath(f"not a note ap made ({error}); ap does not act on it. Delete it.", shown) from None
    except ApError as error:
        raise UnsafePath(f"names a file ap will not commit ({error.message}); delete it.", shown) from None
    return Pending(message, by, paths)


def finish_interrupted_commit(root: Path, by: str) -> str | None:
    """Commit the change of an ap command that was stopped before its commit (see the module's docstring).
    Returns a note for the user, or None when there was nothing to do."""
    from filelock import Timeout

    from apcli.errors import ApError
    from apcli.records.guard import Guard

    guard = Guard(root)
    if not os.path.lexists(guard.root / PENDING) or not in_repository(root):
        return None
    try:
        with guard.lock_file(COMMIT_LOCK, timeout=0):
            pending = read_pending(guard)
            if pending is None:
                return None
            changed = [p for p in pending.paths if _git(root, "status", "--porcelain", "--", p).stdout.strip()]
            problem = None
            if changed:
                note = " (committed by the next ap command: the one that made it stopped before its commit)"
                problem = _commit_paths(root, changed, pending.message + note, pending.by or by)
            guard.remove(PENDING)
    except Timeout:
        return None  # a live command is committing: its note is its own
    except ApError as error:
        return f"an unfinished git commit was left alone: {error.message}"
    if problem:
        return f"an earlier ap command stopped before its git commit; committing its change failed: {problem}"
    if not changed:
        return None
    return (
        f"an earlier ap command ({pending.message}) stopped before its git commit; its change to "
        f"{', '.join(changed)} is committed now, under its own message."
    )


def tracked_own_folders(root: Path) -> dict[str, int]:
    """How many files git tracks in each of ap's own folders (.cache, .locks, .staging); {} without git."""
    if not in_repository(root):
        return {}
    listed = _git(root, "ls-files", "-z", "--", *NOT_RECORDS)
    counts: dict[str, int] = {}
    for name in listed.stdout.split("\0"):
        if name:
            top = name.split("/", 1)[0]
            counts[top] = counts.get(top, 0) + 1
    return counts


def uncommitted(root: Path, areas: list[str]) -> list[str]:
    """Records files (under `areas`, relative to `root`) that differ from the last commit, staged or not."""
    if not in_repository(root):
        return []
    listed = _git(root, "status", "--porcelain", "-z", "--untracked-files=no", "--", *areas)
    entries = [entry for entry in listed.stdout.split("\0") if entry]
    found: list[str] = []
    skip = False
    for entry in entries:
        if skip:  # the old name of a rename
            skip = False
            continue
        status, name = entry[:2], entry[3:]
        skip = "R" in status or "C" in status
        found.append(name)
    return found


def commits_touching(root: Path, files: list[Path]) -> list[tuple[str, str, str]]:
    """The commits that touched `files`: (when, who, what) each. Paths are given to git relative to the records folder, since git
    runs in it (`-C`): a relative --records folder once made every path miss and `ap log` show no commits."""
    paths = [relative for relative in (_inside(root, f) for f in files) if relative]
    if not paths or not in_repository(root):
        return []
    # Fields and commits end with NUL, which no name or subject can hold (a tab in an author's name can).
    result = _git(root, "log", "-z", "--format=%aI%x00%an%x00%h %s", "--", *paths)
    fields = result.stdout.split("\0")
    events: list[tuple[str, str, str]] = []
    for index in range(0, len(fields) - 2, 3):
        when, who, what = (field.strip("\n") for field in fields[index : index + 3])
        try:
            with_time = dt.datetime.fromisoformat(when).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            with_time = ""
        events.append((with_time, who, what))
    return events


def commit_records(records: Records, message: str, by: str) -> tuple[list[str], list[str]]:
    """`ap commit`: commit the records files that differ from the last commit (a calendar or settings edited by
    hand, say) and that read as valid; returns (committed, left out as invalid). Nothing is committed that ap
    could not read, so a colleague's clone never gets a broken file."""
    from apcli.errors import ApError, UsageError
    from apcli.records.layout import CALENDAR_FILE, PRIVATE_AREAS, SETTINGS_FILE

    if not message.strip():
        raise UsageError('ap commit needs -m "TEXT": why the files changed, for the history.')
    if not in_repository(records.root):
        raise UsageError(f"{records.root} is not in a git repository, so there is nothing to commit to.")
    changed = uncommitted(records.root, [*PRIVATE_AREAS, SETTINGS_FILE, CALENDAR_FILE])
    good: list[str] = []
    bad: list[str] = []
    for path in changed:
        try:
            if path == SETTINGS_FILE:
                _ = records.settings
            elif path == CALENDAR_FILE:
                _ = records.calendar
            elif path.startswith("cases/") and path.endswith(".yaml") and (records.root / path).exists():
                records.load_case(Path(path).stem)
            elif path.startswith("providers/") and (records.root / path).exists():
                _ = records.providers
            good.append(path)
        except ApError:
            bad.append(path)
    if good:
        problem = _commit_paths(records.root, good, message.strip(), by)
        if problem:
            raise UsageError(problem)
    return good, bad
