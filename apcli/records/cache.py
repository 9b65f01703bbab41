"""Where ap keeps what it derives from a records folder (its index, apcli/records/index.py).

The cache is not in the records folder: a records folder may be a clone of someone
else's, and nothing in it may decide what ap writes or believes. It lives in this user's
cache folder (`$AP_CACHE_DIR`, else `$XDG_CACHE_HOME/ap`, else `~/.cache/ap`; on Windows
`%LOCALAPPDATA%\\ap\\cache`), one sub-folder per records folder named by the sha256 of
the records folder's real path. That folder must be this user's own and closed to others
(mode 700); every entry is read and written through a `Guard` rooted at the records
folder's sub-folder (no links, regular files only, bounded reads, mode 600 written
atomically under an unpredictable temporary name). If the folder is not private, or
anything about the cache fails, the cache is simply not used: it is never an error.
Deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from apcli.errors import ApError
from apcli.records.guard import FOLDER_MODE, Guard, owned_and_private

CACHE_DIR = ".cache"  # where ap kept its cache inside the records folder; still git-ignored, never used
# Anything a cache folder (or a missing home folder) can do to us: then there is simply no cache.
FAILURES = (OSError, ApError, ValueError, RuntimeError, KeyError)


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
    except FAILURES:
        return None


# The kinds of entry an older ap kept here, one JSON file per case: removed, as the index replaced them.
OLD_KINDS = ("cases", "due", "check", "list")


def remove_old_entries(guard: Guard) -> None:
    """Remove the per-case JSON files an older ap kept in the cache folder: they hold personal data no longer used.

    Only this records folder's own cache folder is looked at, through its guard: a link there is removed as a
    link, and nothing it points to is touched."""
    for kind in OLD_KINDS:
        if os.path.lexists(guard.root / kind):
            with contextlib.suppress(*FAILURES):
                guard.remove_tree(kind)
