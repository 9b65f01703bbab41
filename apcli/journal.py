"""Writing several files as one change, so that a crash leaves all of them old or all of them new.

A change is staged in `.staging/<token>/` in the records folder: each new file is
written there and fsynced, then a plan naming each staged file's target is
written atomically. The plan's arrival is the commit point. The staged files are
then renamed over their targets and the folder is removed.

A writer holds `.staging/<token>.lock` throughout. The next `ap` run to open the
folder finds any staged change whose writer has gone (its lock is free): with a
plan it finishes the renames (rolls forward), without one it discards the
change (rolls back). The lock is the operating system's, so a writer killed at
any point frees it, and a live writer's change is never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from filelock import BaseFileLock

STAGING_DIR = ".staging"
PLAN = "plan.json"


def _lock(path: Path, timeout: float) -> BaseFileLock:
    from filelock import FileLock

    return FileLock(str(path), timeout=timeout)


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def write_together(root: Path, files: dict[Path, str | bytes], locks: Iterable[str]) -> None:
    """Replace every file in `files` (paths inside `root`) as one change, made under the case `locks` held."""
    from apcli.store import _WRITTEN, atomic_write, fsync_folder

    _WRITTEN.extend(files)
    staging = root / STAGING_DIR
    staging.mkdir(exist_ok=True)
    token = secrets.token_hex(8)
    lock = _lock(staging / f"{token}.lock", timeout=0)
    with lock:
        folder = staging / token
        folder.mkdir()
        plan = []
        for number, (target, content) in enumerate(files.items()):
            staged = folder / str(number)
            data = content.encode("utf-8") if isinstance(content, str) else content
            with open(staged, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            if target.exists():
                os.chmod(staged, target.stat().st_mode & 0o777)
            plan.append(
                {
                    "target": target.relative_to(root).as_posix(),
                    "staged": staged.name,
                    "old": _sha(target),
                    "new": hashlib.sha256(data).hexdigest(),
                }
            )
        fsync_folder(folder)
        fsync_folder(staging)
        atomic_write(folder / PLAN, json.dumps({"locks": sorted(locks), "files": plan}, indent=1))
        _finish(root, folder, plan)
    (staging / f"{token}.lock").unlink(missing_ok=True)


def _finish(root: Path, folder: Path, plan: list[dict[str, Any]]) -> list[str]:
    """Rename each staged file still there over its target, then remove the change's folder.

    A target that has changed since the plan was made (neither its old nor its new content) is
    left as it is: someone's later change is never overwritten. Returns those targets.
    """
    from apcli.store import fsync_folder

    kept = []
    for entry in plan:
        staged = folder / entry["staged"]
        if staged.exists():
            target = root / entry["target"]
            if _sha(target) not in (entry["old"], entry["new"]):
                kept.append(entry["target"])
                continue
            os.replace(staged, target)
            fsync_folder(target.parent)
    (folder / PLAN).unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    fsync_folder(folder.parent)
    return kept


def recover(root: Path) -> list[str]:
    """Finish or discard the changes left by writers that stopped part-way. Returns what was done, for a note."""
    from filelock import Timeout

    from apcli.store import LOCKS_DIR, lock_timeout

    staging = root / STAGING_DIR
    if not staging.is_dir():
        return []
    done = []
    for folder in sorted(p for p in staging.iterdir() if p.is_dir()):
        lock_path = staging / f"{folder.name}.lock"
        try:
            with _lock(lock_path, timeout=0):
                if not folder.exists():
                    continue  # its writer finished while we looked
                plan_file = folder / PLAN
                if plan_file.exists():
                    plan = json.loads(plan_file.read_text(encoding="utf-8"))
                    with contextlib.ExitStack() as held:
                        (root / LOCKS_DIR).mkdir(exist_ok=True)
                        for name in plan["locks"]:
                            held.enter_context(_lock(root / LOCKS_DIR / f"{name}.lock", lock_timeout()))
                        kept = _finish(root, folder, plan["files"])
                    done.append(f"finished an interrupted change to {len(plan['files'])} file(s)")
                    done += [f"{target} had changed since, so it was left as it is" for target in kept]
                else:
                    shutil.rmtree(folder, ignore_errors=True)
                    done.append("discarded an interrupted change that had not begun to replace any file")
        except Timeout:
            continue  # a live writer
        except OSError as error:  # a file held open elsewhere (Excel, on Windows): try again next time
            done.append(f"could not yet finish an interrupted change ({error.strerror or error}); ap will try again")
            continue
        with contextlib.suppress(OSError):
            lock_path.unlink()
    return done
