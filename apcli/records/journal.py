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
import re
import secrets
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apcli.model.ids import CASE_ID
from apcli.records.guard import Guard, UnsafePath, fsync_files, fsync_folder, owned_and_private
from apcli.records.layout import LOCKS_DIR, lock_timeout, note_written

if TYPE_CHECKING:
    from collections.abc import Iterable

STAGING_DIR = ".staging"
PLAN = "plan.json"
_TOKEN = re.compile(r"^[0-9a-f]{16}$")
_STAGED = re.compile(r"^[0-9]{1,6}$")
# A plan may only name a case's own files: its YAML, its marks, its attendance log.
_TARGET = re.compile(r"^cases/(AP-[0-9]{4}-[0-9]{3,})(\.yaml|\.attendance\.csv|\.attendance-log\.csv)$")


def _sha(guard: Guard, path: Path) -> str | None:
    data = guard.read_bytes(path, "cases", missing_ok=True, limit=50_000_000)
    return None if data is None else hashlib.sha256(data).hexdigest()


def write_together(guard: Guard, files: dict[Path, str | bytes], locks: Iterable[str]) -> None:
    """Replace every file in `files` (case files inside the folder) as one change, made under the case `locks`."""
    staging = guard.private_folder(STAGING_DIR)
    token = secrets.token_hex(8)
    with guard.lock_file(staging / f"{token}.lock", timeout=0):
        folder = guard.private_folder(staging / token)
        plan: list[dict[str, Any]] = []
        staged = []
        for number, (target, content) in enumerate(files.items()):
            relative = guard.relative(guard.check(target, "cases")).as_posix()
            data = content.encode("utf-8") if isinstance(content, str) else content
            staged.append(guard.write_new(folder / str(number), data, sync=False))
            plan.append({"target": relative, "staged": str(number), "old": _sha(guard, target), "new": _hash(data)})
        fsync_files(staged)
        fsync_folder(folder)
        fsync_folder(staging)
        guard.write(folder / PLAN, json.dumps({"locks": sorted(locks), "files": plan}, indent=1))
        note_written(*(guard.root / entry["target"] for entry in plan))
        _finish(guard, folder, plan, just_staged=True)
    guard.remove(staging / f"{token}.lock")


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _finish(guard: Guard, folder: Path, plan: list[dict[str, Any]], just_staged: bool = False) -> list[str]:
    """Rename each staged file still there over its target, then remove the change's folder.

    A target that has changed since the plan was made (neither its old nor its new content) is
    left as it is: someone's later change is never overwritten. Returns those targets. Not looked
    for when `just_staged`: the writer has this moment read each target for the plan, under its
    cases' locks, and staged every file (a second reading of each costs an import 400 file reads).
    Each folder renamed into is fsynced once, after all the renames and before the change's folder
    is removed (a rename is durable before its staged file is known to be gone, as when each was
    fsynced on its own, but a change of 400 files costs one fsync, not 400).
    """
    kept = []
    renamed_into: dict[Path, None] = {}
    for entry in plan:
        staged = folder / entry["staged"]
        if just_staged or guard.exists(staged):
            target = guard.root / entry["target"]
            if not just_staged and _sha(guard, target) not in (entry["old"], entry["new"]):
                kept.append(entry["target"])
                continue
            renamed_into[guard.move(staged, target, "cases", sync=False)] = None
    for renamed in renamed_into:
        fsync_folder(renamed)
    guard.remove_tree(folder)
    fsync_folder(folder.parent)
    return kept


def _trusted_plan(guard: Guard, folder: Path) -> dict[str, Any] | None:
    """The change's plan, if this user's own ap could have made it; None if there is none yet.

    A `.staging` carried by a clone, or left by another user, is never acted on: the folder must be this
    user's, closed to others and not tracked by git, and the plan may name only case files and case locks.
    """
    if not (owned_and_private(guard.root / STAGING_DIR) and owned_and_private(folder)):
        raise UnsafePath(
            "a change ap did not leave for you (another user's, or one copied with the folder); "
            f"ap does not act on it. Check no ap command is running, then delete {STAGING_DIR}/.",
            str(guard.given / STAGING_DIR / folder.name),
        )
    data = guard.read_bytes(folder / PLAN, missing_ok=True, limit=1_000_000)
    if data is None:
        return None
    shown = str(guard.given / STAGING_DIR / folder.name / PLAN)
    if _tracked(guard, STAGING_DIR):
        raise UnsafePath(
            f"git tracks {STAGING_DIR}/, so this change came with the folder; ap does not act on it. "
            f"Remove it from git: git rm -r --cached {STAGING_DIR}",
            shown,
        )
    try:
        plan = json.loads(data)
        files, locks = plan["files"], plan["locks"]
        cases = {CASE_ID.match(name) is not None for name in locks}
        for entry in files:
            if not (_TARGET.match(entry["target"]) and _STAGED.match(entry["staged"])):
                raise ValueError("a target that is not a case file")
            for digest in (entry["old"], entry["new"]):
                if digest is not None and not re.fullmatch(r"[0-9a-f]{64}", digest):
                    raise ValueError("a hash that is not one")
        if cases != {True} and locks:
            raise ValueError("a lock that is not a case's")
    except (ValueError, KeyError, TypeError) as error:
        raise UnsafePath(
            f"not a plan ap made ({error}); ap does not act on it. Delete {STAGING_DIR}/.", shown
        ) from None
    return {"files": files, "locks": locks}


def _tracked(guard: Guard, name: str) -> bool:
    """Whether git tracks anything under `name` in the records folder (False where git is not there)."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(guard.root), "ls-files", "--", name],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and bool(listed.stdout.strip())


def recover(guard: Guard) -> list[str]:
    """Finish or discard the changes left by writers that stopped part-way. Returns what was done, for a note."""
    from apcli.errors import ApError

    try:
        if not guard.is_folder(STAGING_DIR):
            return []
        folders = [entry for entry in guard.entries(STAGING_DIR) if _TOKEN.match(entry.name)]
    except ApError as error:
        return [f"left {STAGING_DIR}/ alone: {error}"]
    from filelock import Timeout  # only now: most runs find nothing left to finish

    done = []
    for entry in folders:
        if not entry.is_dir(follow_symlinks=False):
            continue
        folder = guard.root / STAGING_DIR / entry.name
        lock_path = folder.with_name(f"{entry.name}.lock")
        try:
            with guard.lock_file(lock_path, timeout=0):
                if not guard.is_folder(folder):
                    continue  # its writer finished while we looked
                plan = _trusted_plan(guard, folder)
                if plan is not None:
                    with contextlib.ExitStack() as held:
                        for name in plan["locks"]:
                            held.enter_context(guard.lock_file(Path(LOCKS_DIR) / f"{name}.lock", lock_timeout()))
                        kept = _finish(guard, folder, plan["files"])
                    done.append(f"finished an interrupted change to {len(plan['files'])} file(s)")
                    done += [f"{target} had changed since, so it was left as it is" for target in kept]
                else:
                    guard.remove_tree(folder)
                    done.append("discarded an interrupted change that had not begun to replace any file")
        except Timeout:
            continue  # a live writer
        except ApError as error:
            done.append(f"left an interrupted change alone: {error}")
            continue
        except OSError as error:  # a file held open elsewhere (Excel, on Windows): try again next time
            done.append(f"could not yet finish an interrupted change ({error.strerror or error}); ap will try again")
            continue
        with contextlib.suppress(OSError, ApError):
            guard.remove(lock_path)
    return done
