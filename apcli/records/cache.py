"""A cache of validated case files and of each case's results, so that a command over thousands of cases
need not parse their YAML again.

Reading YAML is most of the cost of `ap review due`, `ap check` and `ap list` (libyaml
builds the Python objects in Python). Each case file's validated content is kept as
JSON, named by the sha256 of the file's exact text (and of this version of ap's
models), and read back with pydantic's JSON validator.

The case file is always read, and its text decides: any change to it is a new key, so
a cache entry can never stand in for a file that differs from it. A cache entry that
cannot be read or does not validate is ignored and written again.

The cache is not in the records folder: a records folder may be a clone of someone
else's, and nothing in it may decide what ap writes or believes. It lives in this user's
cache folder (`$AP_CACHE_DIR`, else `$XDG_CACHE_HOME/ap`, else `~/.cache/ap`; on Windows
`%LOCALAPPDATA%\\ap\\cache`), one sub-folder per records folder named by the sha256 of
the records folder's real path. That folder must be this user's own and closed to others
(mode 700); every entry is read and written through a `Guard` rooted at the records
folder's sub-folder (no links, regular files only, bounded reads, mode 600 written
atomically under an unpredictable temporary name). If the folder is not private, or
anything about the cache fails, the cache is simply not used: it is never an error.
Deleting it is always safe. `ap check` over every case removes entries no file uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apcli.errors import ApError, InvalidFileError
from apcli.records.guard import FOLDER_MODE, MAX_BYTES, Guard, owned_and_private

if TYPE_CHECKING:
    from apcli.model.schema import Case
    from apcli.records.store import Records

CACHE_DIR = ".cache"  # where ap kept its cache inside the records folder; still git-ignored, never used
VERSION = "2"
ENTRY_LIMIT = 4 * MAX_BYTES  # a case's JSON is larger than its YAML; an entry beyond this is not ap's
# Anything a cache folder (or a missing home folder) can do to us: then there is simply no cache.
_FAILURES = (OSError, ApError, ValueError, RuntimeError, KeyError)


def cache_base() -> Path:
    """This user's folder for ap's cache: $AP_CACHE_DIR, else $XDG_CACHE_HOME/ap, else ~/.cache/ap
    (on Windows %LOCALAPPDATA%\\ap\\cache)."""
    chosen = os.environ.get("AP_CACHE_DIR")
    if chosen:
        return Path(chosen).expanduser()
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "ap" / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG rule: a relative value is ignored
        return Path(xdg) / "ap"
    return Path.home() / ".cache" / "ap"


def folder_name(root: Path) -> str:
    """The name of a records folder's sub-folder of the cache: the first 16 hex of the sha256 of its real path."""
    return hashlib.sha256(os.fsencode(os.path.realpath(root))).hexdigest()[:16]


def _private(path: Path) -> bool:
    """Whether the cache's base folder is this user's folder, not a link, closed to others."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return False
    except OSError:
        return False
    if os.name == "nt":  # no owner or mode bits to speak of; %LOCALAPPDATA% is the user's by its access rules
        return True
    return owned_and_private(path)


def cache_guard(root: Path) -> Guard | None:
    """The guard of the cache folder for the records folder `root`, made if missing; None if there is no
    private cache folder to be had (then nothing is cached)."""
    try:
        base = cache_base()
        if not os.path.lexists(base):
            base.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(base, FOLDER_MODE)
        if not _private(base):
            return None
        name = folder_name(root)
        Guard(base, "ap's cache folder").private_folder(name)
        guard = Guard(base / name, "ap's cache folder")
        return guard if _private(guard.root) else None
    except _FAILURES:
        return None


class Shelf:
    """One file per case in `<cache folder>/<kind>/`: the key of what it was computed from, a newline, then
    the JSON.

    A case has one entry of each kind, replaced when its key changes, so the cache never outgrows the records.
    """

    def __init__(self, root: Path, kind: str) -> None:
        self.root = root
        self.kind = kind
        self._guard: Guard | None = None
        self._opened = False
        self._made = False

    @property
    def guard(self) -> Guard | None:
        if not self._opened:
            self._opened = True
            self._guard = cache_guard(self.root)
        return self._guard

    def get(self, case_id: str, key: str | None) -> bytes | None:
        guard = self.guard
        if key is None or guard is None:
            return None
        try:
            stored = guard.read_bytes(f"{self.kind}/{case_id}.json", self.kind, limit=ENTRY_LIMIT, missing_ok=True)
        except _FAILURES:
            return None
        if stored is None:
            return None
        head, _, body = stored.partition(b"\n")
        return body if head == key.encode() else None

    def put(self, case_id: str, key: str | None, text: str) -> None:
        """Keep `text` for the case; a cache that cannot be written is no error (it is only a cache)."""
        guard = self.guard
        data = f"{key}\n{text}".encode()
        if key is None or guard is None or len(data) > ENTRY_LIMIT:
            return
        with contextlib.suppress(*_FAILURES):
            if not self._made:
                guard.private_folder(self.kind)
                self._made = True
            guard.write(f"{self.kind}/{case_id}.json", data, self.kind)


def _case_salt() -> bytes:
    """This installation's code and pydantic's version: a change to either (a new rule for UPNs, say) starts anew."""
    import pydantic

    return f"{_code_salt()}\n{pydantic.VERSION}\n".encode()


def prune(root: Path, case_ids: list[str]) -> None:
    """Remove the entries of cases that are no longer in the folder: a deleted case leaves no personal data here.

    Only the records folder's own cache folder is looked at, through its guard: a link there is removed as a
    link, and nothing it points to is touched."""
    guard = cache_guard(root)
    if guard is None:
        return
    keep = set(case_ids)
    with contextlib.suppress(*_FAILURES):
        kinds = [entry.name for entry in os.scandir(guard.root) if entry.is_dir(follow_symlinks=False)]
        for kind in kinds:
            with contextlib.suppress(*_FAILURES):
                for entry in guard.files(kind, ".json"):
                    if entry.stem not in keep:
                        guard.remove(entry, kind)


class CaseCache:
    """Validated case files, keyed by the sha256 of the file's text."""

    def __init__(self, root: Path) -> None:
        self.shelf = Shelf(root, "cases")
        self.salt = _case_salt()

    def key(self, text: str) -> str:
        return hashlib.sha256(self.salt + text.encode("utf-8")).hexdigest()

    def get(self, case_id: str, key: str) -> Case | None:
        from pydantic import ValidationError

        from apcli.model.schema import Case

        body = self.shelf.get(case_id, key)
        if body is None:
            return None
        try:
            return Case.model_validate_json(body)
        except (ValueError, ValidationError):
            return None

    def put(self, case_id: str, key: str, case: Case) -> None:
        self.shelf.put(case_id, key, case.model_dump_json(by_alias=True))


@cache
def _code_salt() -> str:
    """Every source file of this installation of ap (name, size, time): results are only reused by the same code."""
    import apcli

    base = Path(apcli.__file__).parent
    parts = [VERSION]
    for path in sorted(base.rglob("*.py")):
        status = path.stat()
        parts.append(f"{path.relative_to(base)}:{status.st_size}:{status.st_mtime_ns}")
    return "\n".join(parts)


class ResultCache:
    """One command's result for each case (due items, check findings, list rows), kept as JSON.

    The key is the sha256 of everything the result is computed from: this code, the command,
    the date taken as today, the settings, the calendar, every provider file, and the case's
    own file and attendance marks, each read afresh through the records folder's guard (so a
    link, a pipe or an oversized file is refused as it is everywhere else, never read). Change
    any of them and the result is computed again; a result is never reused for inputs that differ.

    A settings, calendar or provider file the guard refuses is the guard's error (the command
    cannot go on without it). A case or marks file it refuses gives that case no key, so it is
    not cached: the command then reads the case itself and reports the file as it does any other.
    """

    def __init__(self, records: Records, kind: str, today: str) -> None:
        from apcli.records.layout import CALENDAR_FILE, SETTINGS_FILE

        self.records = records
        self.shelf = Shelf(records.root, kind)
        digest = hashlib.sha256(f"{_code_salt()}\n{kind}\n{today}\n".encode())
        for path in [records.root / SETTINGS_FILE, records.root / CALENDAR_FILE, *records.provider_files()]:
            digest.update(path.name.encode() + b"\0" + records.read_bytes(path, missing_ok=True) + b"\0")
        self.base = digest

    def key(self, case_id: str) -> str | None:
        """The key of the case's result, or None if its case or marks file cannot be read (then no caching)."""
        from apcli.model.attendance import marks_path
        from apcli.records.layout import CASES_DIR

        case_file = self.records.case_path(case_id)
        digest = self.base.copy()
        try:
            for path in (case_file, marks_path(case_file)):
                digest.update(self.records.read_bytes(path, CASES_DIR, missing_ok=True) + b"\0")
        except InvalidFileError:
            return None
        return digest.hexdigest()

    def get(self, case_id: str, key: str | None) -> Any | None:
        body = self.shelf.get(case_id, key)
        try:
            return None if body is None else json.loads(body)
        except ValueError:
            return None

    def put(self, case_id: str, key: str | None, value: Any) -> None:
        """Keep `value`, unless a file changed while it was computed (then it is not known which version it is of)."""
        if key is not None and self.key(case_id) == key:
            self.shelf.put(case_id, key, json.dumps(value))
