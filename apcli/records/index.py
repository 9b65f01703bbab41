"""ap's index: one sqlite file per records folder, derived from the files and never a source of truth.

For each case it keeps the validated content of its file (keyed by the sha256 of the file's text), the files'
stat keys (size, modification time, inode, change time) and their sha256, and for each reading command
(`review due`, `check`, `list`, `report`, `export census`) the case's result with the days on which it holds
(apcli/model/days.py); `review due` and `check` keep it worked out for a month ahead, in pieces (`worked_out`).
A command over thousands of cases then stats each case's two files and reads its result: no file is read, no
YAML parsed, no rule run, unless something changed.

- **The files are the truth.** A file whose stat key changed is read and hashed; if its text changed, its
  content and results are dropped and worked out again. An edit that keeps a file's size and times (a clock
  set back) is not seen by a stat; `ap check --rebuild` starts the index again from the files.
- **Keyed by the schema and the rules.** The index records the fingerprint of the code that decides what it
  holds: the schema (`apcli/model/`), the loader and this index (`records/yamlio.py`, `store.py`, `index.py`),
  the rules (`apcli/policy/`), the reports whose results it keeps (`reports/due.py`, `checking.py`,
  `overview.py`, `money.py`, `census.py`), and pydantic's and holidays' versions, in the index file's name
  (`index_name`): other code, or an older format, has a file of its own, so two versions of ap at once each
  keep theirs; another version's is removed once unused for a day. An upgrade that changes none of these keeps
  the index. One that sqlite cannot read, or that says it is of other code or another folder, is made again,
  never trusted.
- **Settings, calendar and providers.** Every result rests on them: the sha256 of their bytes is kept too, and
  when it changes every result is dropped (the contents stay).
- **Where.** In this user's cache folder (apcli/records/cache.py: not the records folder, which may be a
  clone of someone else's), in the records folder's own sub-folder, mode 700; the file is mode 600, checked
  before sqlite opens it (a link, a special file, or a file of another user's or open to others is removed,
  never opened). WAL, and one write transaction per command (begun by its first write, committed at its end).
- **Never an error.** If anything about the index fails, the command goes on without it. Deleting it is
  always safe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apcli.errors import UNREADABLE, ApError, BusyError
from apcli.records.cache import FAILURES, cache_guard, remove_old_entries
from apcli.records.guard import MAX_BYTES, Guard, owned_and_private

if TYPE_CHECKING:
    from apcli.model.schema import Case
    from apcli.records.store import LoadedCase, Records

# One index file per fingerprint (`index_name`); an older ap's was index.sqlite.
_INDEX_NAMES = re.compile(r"index(-[0-9a-f]{16})?\.sqlite(-wal|-shm|-journal)?")
OTHERS_KEPT = 24 * 3600  # seconds another version's index is kept unused before it is removed
FORMAT = "3"
CONTENT_LIMIT = 4 * MAX_BYTES  # a case's JSON is larger than its YAML; beyond this it is not kept
_SIDE_FILES = ("-wal", "-shm", "-journal")
# Whatever the index (or a cache folder) can do to us: then there is simply no index.
_FAILURES = (*FAILURES, sqlite3.Error)

# The code whose change changes what the index holds: the schema, the loader, the rules, the reports it keeps.
FINGERPRINTED = (
    "model",
    "policy",
    *(f"records/{name}.py" for name in ("yamlio", "store", "index")),
    *(f"reports/{name}.py" for name in ("due", "checking", "overview", "money", "census")),
)

# A result's value is kilobytes, stored mostly in overflow pages, and its row's first page holds little else:
# `result_days` holds every result's keys and days apart, so that a run finds what is kept, and which rows hold
# on its day, by reading it alone (at 20,000 cases a few MB, against the results' 260 MB), then only those rows.
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (id TEXT PRIMARY KEY, stat TEXT NOT NULL, sha TEXT NOT NULL,
                    marks_stat TEXT NOT NULL, marks_sha TEXT NOT NULL);
CREATE TABLE contents (id TEXT PRIMARY KEY, sha TEXT NOT NULL, content TEXT NOT NULL);
CREATE TABLE results (id TEXT NOT NULL, kind TEXT NOT NULL, sha TEXT NOT NULL, marks_sha TEXT NOT NULL,
                      first INTEGER NOT NULL, last INTEGER NOT NULL, value TEXT NOT NULL,
                      PRIMARY KEY (id, kind, first));
CREATE INDEX result_days ON results (kind, id, sha, marks_sha, first, last);
"""
KEPT_QUERY = "SELECT id, sha, marks_sha, first, last FROM results WHERE kind = ?"  # `result_days` alone
DAY_QUERY = "SELECT id, first, value FROM results WHERE kind = ? AND first <= ? AND last >= ? ORDER BY id"


# The packages whose versions the index rests on: pydantic reads the cases kept; holidays says which days are
# bank holidays (a new one announced comes with a new version), so which are school days.
VERSIONED = ("pydantic", "holidays")


_in_forked_worker = False  # set in a process forked from this one (workers.py): see `Index.connection`


def _forked() -> None:
    global _in_forked_worker
    _in_forked_worker = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


@cache
def fingerprint(base: Path | None = None) -> str:
    """The sha256 of the code the index depends on (`FINGERPRINTED`, in the package folder `base`), this
    index's format and the versions of `VERSIONED` (`installed_version`: importing pydantic or
    importlib.metadata to ask costs a twentieth of a second, and a run served from the index needs nothing else
    of them)."""
    import importlib.util

    import apcli

    base = base or Path(apcli.__file__).parent
    version = b""
    for package in VERSIONED:
        spec = importlib.util.find_spec(package)
        for place in (spec and spec.submodule_search_locations) or []:
            version += installed_version(Path(place))
    digest = hashlib.sha256(f"{FORMAT}\n".encode() + version + b"\n")
    for part in FINGERPRINTED:
        paths = [base / part] if part.endswith(".py") else sorted((base / part).rglob("*.py"))
        for path in paths:
            digest.update(f"{path.relative_to(base).as_posix()}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def index_name() -> str:
    """The index's file name, one per fingerprint: two versions of ap at once (an `ap serve` left running
    across an upgrade, and the upgraded command line) each keep their own, rather than each making the
    other's again, and neither replaces a file the other has open (sqlite, closing, removes its -wal file by
    name). Only `ap check --rebuild`, asked for, removes another version's at once."""
    return f"index-{fingerprint()[:16]}.sqlite"


def remove_indexes(guard: Guard, keep: str = "", unused_for: float | None = None) -> None:
    """Remove the indexes in the cache folder of `guard` (each one's file and side files) but the one named
    `keep`: all of them (`unused_for` None), or those whose files have not changed for `unused_for` seconds."""
    import time

    changed: dict[str, float] = {}  # each index's newest modification time, of its file and side files
    with contextlib.suppress(OSError), os.scandir(guard.root) as entries:
        for entry in entries:
            named = _INDEX_NAMES.fullmatch(entry.name)
            main = entry.name.removesuffix(named.group(2) or "") if named else None
            if main is not None and main != keep:
                with contextlib.suppress(OSError):
                    changed[main] = max(changed.get(main, 0.0), entry.stat(follow_symlinks=False).st_mtime)
    for main, last in changed.items():
        if unused_for is None or last < time.time() - unused_for:
            remove_index(guard, guard.root / main)


def installed_version(package: Path) -> bytes:
    """What says which version of the package in folder `package` is installed: the names of its installed
    metadata folders beside it (`holidays-0.109.dist-info`) and its version.py. The version.py alone is not
    enough: holidays' reads its version from that metadata, so it is the same text in every release."""
    found = [
        name
        for name in os.listdir(package.parent)
        if name.startswith(f"{package.name}-") and name.endswith((".dist-info", ".egg-info"))
    ]
    here = package / "version.py"
    text = here.read_bytes() if here.is_file() else b""
    return "\0".join(sorted(found)).encode() + b"\0" + text


def stat_key(path: str | Path) -> str | None:
    """A file's size, modification time, inode and change time ("-" if it does not exist); None if it is not
    a regular file of at most MAX_BYTES (then it is not indexed: the command reads it and reports it)."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return "-"
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_BYTES:
        return None
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ino}:{status.st_ctime_ns}"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileState:
    stat: str
    sha: str
    marks_stat: str
    marks_sha: str


class Index:
    """The records folder's index (see the module's docstring). Reads and writes as it goes, in one write
    transaction that `save()` commits."""

    def __init__(self, records: Records, enabled: bool = True) -> None:
        self.records = records
        self.enabled = enabled
        self._connection: sqlite3.Connection | None = None
        self._opened = False
        self._files: dict[str, FileState] | None = None
        self._base: str | None = None
        self._base_changed = False
        self._cases_dir: str | None = None
        self._writing = False  # in this command's one write transaction
        self._unwritable = False  # a write failed: nothing more is written this command

    # --- opening -------------------------------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection | None:
        """The open index; None where there is none, and in a worker forked to work cases out (workers.py),
        which must neither use nor close its parent's connection (sqlite's rule for a fork)."""
        if _in_forked_worker:
            return None
        if not self._opened:
            self._opened = True
            self._connection = self._open() if self.enabled else None
        return self._connection

    def _open(self) -> sqlite3.Connection | None:
        guard = cache_guard(self.records.root)
        if guard is None:
            return None
        remove_old_entries(guard)
        path = guard.root / index_name()
        remove_indexes(guard, keep=path.name, unused_for=OTHERS_KEPT)  # other versions', each as large
        for attempt in range(2):
            try:
                connection = self._connect(guard, path)
                with contextlib.suppress(OSError):
                    os.utime(path)  # used now, whether or not this command writes (see OTHERS_KEPT)
                return connection
            except _FAILURES as error:
                if isinstance(error, sqlite3.OperationalError) and _busy(error):
                    return None  # another ap is making or changing it: this command keeps nothing in it
                if attempt == 0:
                    remove_index(guard, path)  # unreadable: made again from the files
        return None

    def _connect(self, guard: Guard, path: Path) -> sqlite3.Connection:
        for name in _index_files(path):
            if os.path.lexists(name) and not _ours(name):
                guard.remove_tree(name)  # a link, a folder, a special file, another's or open to others: never opened
        if not os.path.lexists(path):
            with contextlib.suppress(FileExistsError):  # made by another ap meanwhile: opened as it is
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
        # A busy index (another ap writing it) is not waited for long: this command then keeps nothing in it.
        connection = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=0.5, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            wanted = {"format": FORMAT, "fingerprint": fingerprint(), "root": os.path.realpath(self.records.root)}
            if not _holds(connection, wanted):
                # New, or (its name being this code's) of another folder or altered by hand: made again in place,
                # never removed, as another ap may be making it this moment (`_start_again` looks again).
                _start_again(connection, wanted)
        except BaseException:
            connection.close()
            raise
        return connection

    # --- the case files ----------------------------------------------------------------------------------------

    def _known_files(self) -> dict[str, FileState]:
        if self._files is None:
            self._files = {}
            connection = self.connection
            if connection is not None:
                with contextlib.suppress(*_FAILURES):
                    rows = connection.execute("SELECT id, stat, sha, marks_stat, marks_sha FROM files").fetchall()
                    self._files = {row[0]: FileState(*row[1:]) for row in rows}
        return self._files

    def _paths(self, case_id: str) -> tuple[str, str]:
        """The case's file and its marks file, as text (a stat of each, for every case, is most of a run)."""
        from apcli.records.layout import CASES_DIR

        if self._cases_dir is None:
            self._cases_dir = os.path.join(self.records.root, CASES_DIR, "")
        return f"{self._cases_dir}{case_id}.yaml", f"{self._cases_dir}{case_id}.attendance.csv"

    def state(self, case_id: str) -> FileState | None:
        """The case's files as they are now: from their stat keys, reading and hashing them only if these
        changed; None if the case cannot be indexed now (a file is not a regular file, or changed while read)."""
        from apcli.records.layout import CASES_DIR

        if self.connection is None:
            return None
        paths = self._paths(case_id)
        keys = (stat_key(paths[0]), stat_key(paths[1]))
        known = self._known_files().get(case_id)
        if known is not None and (known.stat, known.marks_stat) == keys:
            return known
        if keys[0] is None or keys[1] is None or keys[0] == "-":
            return None
        try:
            texts = [self.records.read_bytes(Path(path), CASES_DIR, missing_ok=True) for path in paths]
        except ApError:
            return None
        if (stat_key(paths[0]), stat_key(paths[1])) != keys:
            return None  # changed while it was read: not known which version was read
        now = FileState(keys[0], sha(texts[0]), keys[1], sha(texts[1]))
        self._known_files()[case_id] = now
        self._write("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", (case_id, *vars(now).values()))
        return now

    def unchanged(self, case_id: str, state: FileState) -> bool:
        """Whether the case's files are still as `state` says (a result computed meanwhile is of them)."""
        paths = self._paths(case_id)
        return (stat_key(paths[0]), stat_key(paths[1])) == (state.stat, state.marks_stat)

    # --- validated content ------------------------------------------------------------------------------------

    def case(self, case_id: str, text: str) -> Case | None:
        """The case validated from exactly `text`, if the index holds it."""
        from pydantic import ValidationError

        from apcli.model.schema import Case

        connection = self.connection
        if connection is None:
            return None
        try:
            row = connection.execute(
                "SELECT content FROM contents WHERE id = ? AND sha = ?", (case_id, sha(text.encode("utf-8")))
            ).fetchone()
            return None if row is None else Case.model_validate_json(row[0])
        except (*_FAILURES, ValidationError):
            return None

    def keep_case(self, case_id: str, text: str, case: Case) -> None:
        if self.connection is not None:
            self.keep_content(case_id, sha(text.encode("utf-8")), case.model_dump_json(by_alias=True))

    def keep_content(self, case_id: str, text_sha: str, content: str) -> None:
        """Keep the case's validated `content` (its JSON) for the file text whose sha256 is `text_sha`."""
        if len(content) <= CONTENT_LIMIT:
            self._write("INSERT OR REPLACE INTO contents VALUES (?, ?, ?)", (case_id, text_sha, content))

    # --- results ------------------------------------------------------------------------------------------------

    def results(self, kind: str, usable: bool = True) -> Results:
        """The results of `kind`; not `usable`: none kept or read (the settings, say, cannot be read)."""
        return Results(self, kind, usable)

    def each(
        self,
        kind: str,
        today: dt.date,
        compute: Callable[[LoadedCase, dt.date], Any],
        case_ids: list[str] | None = None,
        results: Results | None = None,
        ahead: int = 0,
    ) -> Iterator[tuple[str, Any]]:
        """Each case's result of `kind` for `today` (the cases `case_ids`, else every case): kept in the index
        where it holds, else `compute(loaded case, today)` (JSON-able), kept then with the days it holds on,
        and (`ahead`) with its results for the days after, up to `ahead` days on (`worked_out`).

        A case that cannot be read or checked gives its error (an `ApError`, or one of `UNREADABLE`) in place
        of a result, and the others go on. The cases none is kept for are found first, so that many of them
        are worked out by workers, one a core (`_worked`). Ends by saving what was learnt (and, over every
        case, forgetting cases that are gone)."""
        results = results or self.results(kind)
        every = case_ids or self.records.case_ids()
        missing = [case_id for case_id in every if not results.holds(case_id, today)]
        waiting, worked = set(missing), self._worked(missing, compute, today, ahead, results)
        for case_id in every:
            if case_id in waiting:
                done, outcome = next(worked)
                assert done == case_id  # worked out in the order asked
            elif (kept := results.get(case_id, today)) is not None:
                yield case_id, kept
                continue
            else:  # held, but its value could not be read back
                outcome = self._work_out(case_id, compute, today, ahead, results)
            if not isinstance(outcome, list):
                yield case_id, outcome
                continue
            results.put(case_id, outcome)
            yield case_id, outcome[0][2]
        if not case_ids:
            self.keep_only(every)
        self.save()

    def _worked(
        self,
        case_ids: list[str],
        compute: Callable[[LoadedCase, dt.date], Any],
        today: dt.date,
        ahead: int,
        results: Results,
    ) -> Iterator[tuple[str, list[tuple[int, int, Any]] | ApError | BaseException]]:
        """Each case's pieces (or its error), in order: by workers where there are many (workers.py), the first
        always here, so that what every case needs (the calendar, the providers) is read before they fork.
        Each case's files are looked at again just before it is worked out (a batch of them, for workers), so
        that what is kept is of the files as they were then, not as they were when the command began."""
        from apcli.records.workers import in_workers, worker_count

        workers = worker_count(len(case_ids))
        for case_id in case_ids[:1] if workers else case_ids:
            yield case_id, self._work_out(case_id, compute, today, ahead, results)
        if workers:

            def work(case_id: str) -> tuple[list[tuple[int, int, Any]], str, str] | None:  # in a worker
                try:
                    loaded = self.records.load_case(case_id)
                    pieces = worked_out(compute, loaded, today, ahead)
                    return pieces, sha(loaded.text.encode("utf-8")), loaded.case.model_dump_json(by_alias=True)
                finally:
                    self.records.forget(case_id)

            def looked_at_again(batch: list[str]) -> None:
                for case_id in batch:
                    results.look_again(case_id)

            for case_id, done in in_workers(work, case_ids[1:], workers, looked_at_again):
                state = results.states.get(case_id)
                if done is None or (state is not None and not self.unchanged(case_id, state)):
                    # not worked out, or its files changed after its batch was looked at: here, as they are now
                    yield case_id, self._work_out(case_id, compute, today, ahead, results)
                    continue
                pieces, text_sha, content = done
                self.keep_content(case_id, text_sha, content)
                yield case_id, pieces

    def _work_out(
        self,
        case_id: str,
        compute: Callable[[LoadedCase, dt.date], Any],
        today: dt.date,
        ahead: int,
        results: Results,
    ) -> list[tuple[int, int, Any]] | ApError | BaseException:
        results.look_again(case_id)
        try:
            return worked_out(compute, self.records.load_case(case_id), today, ahead)
        except (ApError, *UNREADABLE) as error:
            return error
        finally:
            self.records.forget(case_id)

    def base(self) -> str:
        """The sha256 of the settings, the calendar and every provider file: every result rests on them.

        A file the guard refuses is the guard's error: the command cannot go on without it."""
        if self._base is None:
            from apcli.records.layout import CALENDAR_FILE, SETTINGS_FILE

            records = self.records
            digest = hashlib.sha256()
            for path in [records.root / SETTINGS_FILE, records.root / CALENDAR_FILE, *records.provider_files()]:
                digest.update(path.name.encode() + b"\0" + records.read_bytes(path, missing_ok=True) + b"\0")
            self._base = digest.hexdigest()
        return self._base

    def _base_holds(self, connection: sqlite3.Connection) -> bool:
        """Whether what is kept rests on the settings, the calendar and the provider files as they are; if not, it
        is dropped (the results, and the values `of_base` kept)."""
        base = self.base()
        if self._base_changed:
            return False
        stored = connection.execute("SELECT value FROM meta WHERE key = 'base'").fetchone()
        if stored is None or stored[0] != base:
            self._base_changed = True
            self._write("DELETE FROM results", ())
            self._write("DELETE FROM meta WHERE key LIKE 'base:%'", ())
            self._write("INSERT OR REPLACE INTO meta VALUES ('base', ?)", (base,))
            return False
        return True

    def of_base(self, key: str, make: Callable[[], str]) -> str:
        """`make()`, a text worked out from the settings, the calendar and the provider files alone (the school's
        name, say): kept while they are unchanged, so that a run served from the index need not read them."""
        connection, name, found = self.connection, f"base:{key}", None
        alone = not self._writing  # asked outside a command's writing (by a change, say): kept at once
        try:
            if connection is not None and self._base_holds(connection):  # if not, what was kept is dropped
                found = connection.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
        except (ApError, *_FAILURES):
            return make()  # a file it rests on cannot be read (`make` says why) or the index cannot: not kept
        if found is not None:
            return str(found[0])
        value = make()
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
        if alone:
            self.save()
        return value

    def _results_rows(self, kind: str) -> dict[str, list[tuple[str, str, int, int]]]:
        connection = self.connection
        if connection is None:
            return {}
        self.base()  # a file the guard refuses stops the command here, as its error, before any output
        try:
            if not self._base_holds(connection):
                return {}
            rows = connection.execute(KEPT_QUERY, (kind,)).fetchall()
        except _FAILURES:
            return {}
        kept: dict[str, list[tuple[str, str, int, int]]] = {}
        for row in rows:
            kept.setdefault(row[0], []).append(row[1:])
        return kept

    # --- writing --------------------------------------------------------------------------------------------------

    def _write(self, statement: str, values: tuple[Any, ...]) -> None:
        """Write at once, in the command's one transaction (begun by the first write, committed by `save`), so
        that what is learnt is not held in memory; if the index is busy or cannot be written, nothing this
        command learnt is kept."""
        connection = self.connection
        if connection is None or self._unwritable:
            return
        try:
            if not self._writing:
                connection.execute("BEGIN IMMEDIATE")
                self._writing = True
            connection.execute(statement, values)
        except _FAILURES:
            self._unwritable = True
            self._end("ROLLBACK")

    def keep_only(self, case_ids: list[str]) -> None:
        """Forget every case not in `case_ids` (a deleted case leaves no personal data in the index)."""
        known = set(self._known_files())
        connection = self.connection
        if connection is None:
            return
        with contextlib.suppress(*_FAILURES):
            known |= {row[0] for row in connection.execute("SELECT id FROM contents")}
        for gone in sorted(known - set(case_ids)):
            for table in ("files", "contents", "results"):
                self._write(f"DELETE FROM {table} WHERE id = ?", (gone,))

    def save(self) -> None:
        """Commit what this command learnt; if it cannot be committed, it is simply not kept."""
        self._end("COMMIT")

    def close(self) -> None:
        """Commit what was learnt and close the index: for a long-running `ap serve`, at the end of each request
        (a command's process closes it by ending). Not opened again: the rest of this Records' life goes without."""
        self.save()
        connection, self._connection, self._opened = self._connection, None, True
        if connection is not None and not _in_forked_worker:  # a fork's copy is its parent's to close
            with contextlib.suppress(*_FAILURES):
                connection.close()

    def _end(self, how: str) -> None:
        if self._writing and self.connection is not None:
            self._writing = False
            try:
                self.connection.execute(how)
            except _FAILURES:
                with contextlib.suppress(*_FAILURES):
                    self.connection.execute("ROLLBACK")


class Results:
    """One reading command's result for each case, with the days on which it holds."""

    def __init__(self, index: Index, kind: str, usable: bool = True) -> None:
        self.index = index
        self.kind = kind
        self.usable = usable
        self.rows = index._results_rows(kind) if usable else {}
        self.states: dict[str, FileState | None] = {}
        self.held: dict[str, tuple[str, str, int, int] | None] = {}  # `holds`' row, for `get` to read
        self._values: Iterator[tuple[str, int, str]] | None = None
        self._next: tuple[str, int, str] | None = None
        self._day: int | None = None  # the day the values are read in order for

    def look_again(self, case_id: str) -> None:
        """Note the case's files as they are now: what is worked out next is of them (`put`, `again`)."""
        self.states[case_id] = self.index.state(case_id) if self.usable else None

    def holds(self, case_id: str, today: dt.date) -> bool:
        """Whether a result is kept for the case's files as they are, holding on `today` (`get` reads it)."""
        self.look_again(case_id)
        state = self.states[case_id]
        day = today.toordinal()
        row = next((row for row in self.rows.get(case_id, ()) if row[2] <= day <= row[3]), None)
        holding = state is not None and row is not None and (row[0], row[1]) == (state.sha, state.marks_sha)
        self.held[case_id] = row if holding else None
        return holding

    def get(self, case_id: str, today: dt.date) -> Any | None:
        """The case's result for `today`, if one is kept for its files as they are and holds on that day
        (as `holds` found it, if it was asked)."""
        if case_id not in self.held:
            self.holds(case_id, today)
        row = self.held.pop(case_id)
        if row is None:
            return None
        day = today.toordinal()
        try:
            value = self._value(case_id, row[2], day)
            return None if value is None else json.loads(value)
        except (*_FAILURES, ValueError):
            return None

    def _value(self, case_id: str, first: int, day: int) -> str | None:
        """The kept value from `first`: read in the order of the ids as a command over every case asks for them
        (one query for the values holding on `day`, one held at a time: a report's lines are large; the
        pieces of other days are not read), else on its own."""
        connection = self.index.connection
        assert connection is not None  # rows were read, so there is a connection
        wanted = (case_id, first)
        if self._values is None:
            self._day = day
            self._values = iter(connection.execute(DAY_QUERY, (self.kind, day, day)))
            self._next = next(self._values, None)
        while day == self._day and self._next is not None and self._next[:2] < wanted:
            self._next = next(self._values, None)
        if day == self._day and self._next is not None and self._next[:2] == wanted:
            return self._next[2]
        row = connection.execute(
            "SELECT value FROM results WHERE id = ? AND kind = ? AND first = ?", (case_id, self.kind, first)
        ).fetchone()
        return None if row is None else str(row[0])

    def again(self, case_id: str, today: dt.date, compute: Callable[[LoadedCase, dt.date], Any]) -> Any:
        """The case's result as this command's `each` gave it, once more (a report goes through 20,000 large
        results twice rather than hold them): read back from the index, else worked out again from its files,
        which must be as they were then, or the command's figures would not add up."""
        state = self.states.get(case_id)
        connection = self.index.connection
        if state is not None and connection is not None:
            day = today.toordinal()
            with contextlib.suppress(*_FAILURES, ValueError):
                # The index's fingerprint read in the same statement (one snapshot): another ap version may
                # have emptied and refilled it meanwhile, in its own format.
                row = connection.execute(
                    "SELECT value FROM results WHERE id = ? AND kind = ? AND sha = ? AND marks_sha = ? "
                    "AND first <= ? AND last >= ? "
                    "AND (SELECT value FROM meta WHERE key = 'fingerprint') = ?",
                    (case_id, self.kind, state.sha, state.marks_sha, day, day, fingerprint()),
                ).fetchone()
                if row is not None:
                    return json.loads(row[0])
        records = self.index.records
        try:
            value = worked_out(compute, records.load_case(case_id), today, 0)[0][2]
        finally:
            records.forget(case_id)
        if state is None or self.index.state(case_id) != state:
            raise BusyError(
                f"{records.shown(records.case_path(case_id))} changed while this was being worked out, so its "
                "figures would not add up: run the command again."
            )
        return value

    def put(self, case_id: str, pieces: list[tuple[int, int, Any]]) -> None:
        """Keep the case's results, each for its days (first, last, value), unless its files changed while they
        were worked out. Those kept before for other days of the same files stay (cut back where the new ones
        overlap them), so that a run for an earlier day does not undo a month worked out ahead; at most
        KEPT_PIECES of them, those reaching furthest on."""
        state = self.states.get(case_id)
        if state is None or not self.index.unchanged(case_id, state):
            return
        write, key = self.index._write, (case_id, self.kind)
        low, high = min(piece[0] for piece in pieces), max(piece[1] for piece in pieces)
        write(
            "DELETE FROM results WHERE id = ? AND kind = ? AND (sha != ? OR marks_sha != ?)",
            (*key, state.sha, state.marks_sha),
        )
        for first, last in self._kept_days(case_id):
            if first > high or last < low:
                continue
            if last > high:  # its days after the new ones still hold
                write("UPDATE results SET first = ? WHERE id = ? AND kind = ? AND first = ?", (high + 1, *key, first))
            elif first < low:  # its days before them
                write("UPDATE results SET last = ? WHERE id = ? AND kind = ? AND first = ?", (low - 1, *key, first))
            else:
                write("DELETE FROM results WHERE id = ? AND kind = ? AND first = ?", (*key, first))
        for first, last, value in pieces:
            self.index._write(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                (case_id, self.kind, state.sha, state.marks_sha, first, last, json.dumps(value)),
            )
        write(
            "DELETE FROM results WHERE id = ? AND kind = ? AND first NOT IN "
            "(SELECT first FROM results WHERE id = ? AND kind = ? ORDER BY last DESC LIMIT ?)",
            (*key, *key, KEPT_PIECES),
        )

    def _kept_days(self, case_id: str) -> list[tuple[int, int]]:
        """The days of each result kept for the case (of its files as they are: `put` removed the others)."""
        connection = self.index.connection
        if connection is None or self.index._unwritable:
            return []
        try:
            rows = connection.execute(
                "SELECT first, last FROM results WHERE id = ? AND kind = ?", (case_id, self.kind)
            ).fetchall()
        except _FAILURES:
            return []
        return [(first, last) for first, last in rows]


# How far ahead `review due` and `check` work each case out, in days (a school runs them each morning), and in
# how many pieces at most (`worked_out`).
AHEAD = 31
PIECES = 6
KEPT_PIECES = 2 * PIECES  # a case's results kept for one kind: those of a run for other days too


def worked_out(
    compute: Callable[[LoadedCase, dt.date], Any], loaded: LoadedCase, today: dt.date, ahead: int
) -> list[tuple[int, int, Any]]:
    """`compute`'s result for `today`, with the days it holds on, then (`ahead`) for the day after those, and
    so on, until the results reach `ahead` days on: each (first day, last day, result), the days as ordinals.

    The day a period ends, or a review falls due, every case's result changes at once; worked out ahead, that
    morning's run finds them kept. A rule whose answer still holds on the next day is not run again (its
    findings are kept in the `Today`'s memo, apcli/policy/base.py), so each further piece costs only the
    rules whose answers change. A result that looks at the date itself (a single day) is not worked out
    ahead."""
    from apcli.model.days import LAST, Today

    memo: dict[Any, tuple[int, int, Any]] | None = {} if ahead else None
    pieces: list[tuple[int, int, Any]] = []
    day, horizon = today, today.toordinal() + ahead
    while True:
        taken = Today(day, memo=memo)
        value = compute(loaded, taken)
        first, last = taken.window.first, taken.window.last
        pieces.append((first if not pieces else day.toordinal(), last, value))
        if last >= min(horizon, LAST - 1) or first == last or len(pieces) == PIECES:
            return pieces
        day = dt.date.fromordinal(last + 1)


def _ours(path: Path) -> bool:
    """A regular file of this user's, closed to others."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and (os.name == "nt" or owned_and_private(path))


def _index_files(path: Path) -> list[Path]:
    """The index file and the side files sqlite keeps beside it."""
    return [path, *(path.with_name(path.name + side) for side in _SIDE_FILES)]


def _holds(connection: sqlite3.Connection, wanted: dict[str, str]) -> bool:
    """Whether the index is of this format, this code and this folder."""
    try:
        found = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return False
    return all(found.get(key) == value for key, value in wanted.items())


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _busy(error: sqlite3.OperationalError) -> bool:
    """Whether sqlite gave up waiting for another connection's lock (the index is not broken)."""
    code = getattr(error, "sqlite_errorcode", None)  # an extended code: its low byte is the primary one
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _start_again(connection: sqlite3.Connection, wanted: dict[str, str]) -> None:
    """The index emptied (any tables there dropped) and made again, for this format, code and folder: under
    the write lock, looked at again once it is held, since another ap may have just made it."""
    with connection:
        connection.execute("BEGIN IMMEDIATE")
        if _holds(connection, wanted):
            return
        for table in _tables(connection):
            connection.execute(f'DROP TABLE IF EXISTS "{table}"')
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())


def remove_index(guard: Guard, path: Path) -> None:
    """Remove the index file and its side files (links as links, a folder in a file's place with what is in it),
    as far as they can be: what cannot is refused when the index is next opened (`Index._connect`)."""
    for name in _index_files(path):
        with contextlib.suppress(OSError):
            guard.remove_tree(name)


def rebuild(records: Records) -> None:
    """`ap check --rebuild`: remove the records folder's index (every version's), so that this command makes it
    again from the files."""
    guard = cache_guard(records.root)
    if guard is not None:
        remove_indexes(guard)
