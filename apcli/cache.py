"""A cache of validated case files, so that a command over thousands of cases need not parse their YAML again.

Reading YAML is most of the cost of `ap review due`, `ap check` and `ap list` (libyaml
builds the Python objects in Python). Each case file's validated content is kept as
JSON in `.cache/cases/`, named by the sha256 of the file's exact text (and of this
version of ap's models), and read back with pydantic's JSON validator.

The case file is always read, and its text decides: any change to it is a new key, so
a cache entry can never stand in for a file that differs from it. A cache entry that
cannot be read or does not validate is ignored and written again. The cache holds
personal data like the records, so its folder is private (mode 700) and git-ignored;
deleting it is always safe. `ap check` over every case removes entries no file uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apcli.models import Case
    from apcli.store import Records

CACHE_DIR = ".cache"
VERSION = "1"


class Shelf:
    """One file per case in `.cache/<kind>/`: the key of what it was computed from, a newline, then the JSON.

    A case has one entry of each kind, replaced when its key changes, so the cache never outgrows the records.
    """

    def __init__(self, root: Path, kind: str) -> None:
        self.folder = root / CACHE_DIR / kind

    def get(self, case_id: str, key: str) -> bytes | None:
        try:
            stored = (self.folder / f"{case_id}.json").read_bytes()
        except OSError:
            return None
        head, _, body = stored.partition(b"\n")
        return body if head == key.encode() else None

    def put(self, case_id: str, key: str, text: str) -> None:
        """Keep `text` for the case; a cache that cannot be written is no error (it is only a cache)."""
        path = self.folder / f"{case_id}.json"
        temporary = path.with_name(f".{case_id}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True, mode=0o700)
                self.folder.parent.chmod(0o700)
            temporary.write_text(f"{key}\n{text}", encoding="utf-8")
            os.replace(temporary, path)


def _case_salt() -> bytes:
    """This installation's code and pydantic's version: a change to either (a new rule for UPNs, say) starts anew."""
    import pydantic

    return f"{_code_salt()}\n{pydantic.VERSION}\n".encode()


def prune(root: Path, case_ids: list[str]) -> None:
    """Remove the entries of cases that are no longer in the folder: a deleted case leaves no personal data here."""
    keep = set(case_ids)
    with contextlib.suppress(OSError):
        for kind in (root / CACHE_DIR).iterdir():
            for entry in kind.glob("*.json"):
                if entry.stem not in keep:
                    entry.unlink(missing_ok=True)


class CaseCache:
    """Validated case files, keyed by the sha256 of the file's text."""

    def __init__(self, root: Path) -> None:
        self.shelf = Shelf(root, "cases")
        self.salt = _case_salt()

    def key(self, text: str) -> str:
        return hashlib.sha256(self.salt + text.encode("utf-8")).hexdigest()

    def get(self, case_id: str, key: str) -> Case | None:
        from pydantic import ValidationError

        from apcli.models import Case

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
        stat = path.stat()
        parts.append(f"{path.relative_to(base)}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


class ResultCache:
    """One command's result for each case (due items, check findings, list rows), kept as JSON.

    The key is the sha256 of everything the result is computed from: this code, the command,
    the date taken as today, the settings, the calendar, every provider file, and the case's
    own file and attendance marks, each read afresh. Change any of them and the result is
    computed again; a result is never reused for inputs that differ.
    """

    def __init__(self, records: Records, kind: str, today: str) -> None:
        from apcli.store import CALENDAR_FILE, SETTINGS_FILE

        self.records = records
        self.shelf = Shelf(records.root, kind)
        digest = hashlib.sha256(f"{_code_salt()}\n{kind}\n{today}\n".encode())
        for path in [records.root / SETTINGS_FILE, records.root / CALENDAR_FILE, *records.provider_files()]:
            digest.update(path.name.encode() + b"\0" + _read(path) + b"\0")
        self.base = digest

    def key(self, case_id: str) -> str:
        from apcli.attendance import marks_path

        case_file = self.records.case_path(case_id)
        digest = self.base.copy()
        digest.update(_read(case_file) + b"\0" + _read(marks_path(case_file)))
        return digest.hexdigest()

    def get(self, case_id: str, key: str) -> Any | None:
        body = self.shelf.get(case_id, key)
        try:
            return None if body is None else json.loads(body)
        except ValueError:
            return None

    def put(self, case_id: str, key: str, value: Any) -> None:
        """Keep `value`, unless a file changed while it was computed (then it is not known which version it is of)."""
        if self.key(case_id) == key:
            self.shelf.put(case_id, key, json.dumps(value))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
