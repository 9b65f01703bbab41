"""Helpers for the attacks of a records folder made by someone else (issue 13): a sentinel folder outside the
records whose every byte and mode must be the same after ap ran, and ap run in a child with bounded memory."""

from __future__ import annotations

import hashlib
import os
import resource
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT_MB = 1024


def fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    """Every entry under `folder` (links not followed): its mode and the sha256 of its bytes or link target."""
    found: dict[str, tuple[int, str]] = {}
    for path in sorted(folder.rglob("*")):
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode):
            digest = os.readlink(path)
        elif stat.S_ISREG(status.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest = ""
        found[str(path.relative_to(folder))] = (status.st_mode, digest)
    return found


@dataclass
class Sentinel:
    """A folder outside the records, with files an attack would want to overwrite, delete or read."""

    folder: Path
    before: dict[str, tuple[int, str]]

    @classmethod
    def make(cls, tmp_path: Path) -> Sentinel:
        folder = tmp_path / "sentinel"
        (folder / "sub" / "deeper").mkdir(parents=True)
        (folder / "secret.txt").write_text("do not read me\n")
        (folder / "data.json").write_text('{"keep": true}\n')
        (folder / "sub" / "file.yaml").write_text("keep: me\n")
        (folder / "sub" / "deeper" / "x.lock").write_text("")
        return cls(folder, fingerprint(folder))

    def untouched(self) -> bool:
        return fingerprint(self.folder) == self.before


def _limit_memory() -> None:
    limit = MEMORY_LIMIT_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_ap(
    records: Path,
    *args: str,
    timeout: float = 60,
    today: str = "2026-11-27",
    cwd: Path | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`ap` in a child process with at most MEMORY_LIMIT_MB of memory and `timeout` seconds (a hang fails the test)."""
    command = [sys.executable, "-m", "apcli", "--today", today, "--by", "Test User", "--records", str(records), *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        cwd=cwd,
        input=stdin,
        check=False,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in result.stdout + result.stderr
