"""`ap check`: every file in a records folder parsed, validated and checked against the rules.

Like beancount's checker, each problem is a finding with its file and line, so
that `file:line: message` can be followed in an editor.

One file ap cannot read (a link, a pipe, a value no parser takes) is a finding
for that file, and the check goes on with the rest. Beside the files, the folder
itself is checked as something that may have come from someone else: who may
read it (a clone is 755/644), what git carries of ap's own folders, and what a
stopped command left behind (a letter never recorded, a change never committed).
These are warnings: they say what to run, and do not change check's exit code.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shlex
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apcli.errors import UNREADABLE, ApError, InvalidFileError, InvalidFilesError
from apcli.policy.casecheck import CheckFinding, check_case, safeguarding_details
from apcli.records.layout import PRIVATE_AREAS

if TYPE_CHECKING:
    from apcli.records.store import LoadedCase, Records


def _invalid(error: ApError, case: str | None) -> list[CheckFinding]:
    if isinstance(error, InvalidFilesError):
        return [CheckFinding(case, "FILE", "invalid", p.message, p.file, p.line) for p in error.problems]
    if isinstance(error, InvalidFileError):
        return [CheckFinding(case, "FILE", "invalid", error.detail, error.file, error.line)]
    return [CheckFinding(case, "FILE", "invalid", error.message, None, None)]


def _unreadable(error: BaseException, case: str | None, shown: str | None) -> CheckFinding:
    """A finding for a file Python could not take in; the value itself is never repeated."""
    return CheckFinding(
        case,
        "FILE",
        "invalid",
        f"ap could not read this file ({type(error).__name__}): it holds a value far out of the ordinary, such "
        "as a number thousands of digits long or a date after 9999. Correct it and run ap check again.",
        shown,
        None,
    )


def _each_file(case: str | None, shown: str | None, read: Callable[[], object]) -> list[CheckFinding]:
    """Findings for one file's read: none if it reads, else what stopped it (with its file and line)."""
    try:
        read()
    except ApError as error:
        return _invalid(error, case)
    except UNREADABLE as error:
        return [_unreadable(error, case, shown)]
    return []


def check_folder_files(records: Records) -> list[CheckFinding]:
    """The settings, calendar and each provider file (one by one: a broken one never hides the next), the
    files ap would not read, and the folder as a whole (`folder_findings`).

    That the settings, calendar and provider files read cleanly is kept in ap's index while their bytes are
    the same (`Index.of_base`), so that a run served from the index does not parse and validate them."""
    found: tuple[list[CheckFinding], list[CheckFinding]] | None = None

    def clean() -> str:
        nonlocal found
        found = _own_files(records)
        return "" if found[0] or found[1] else "clean"

    if records.index.of_base("check: files read", clean) == "clean":
        return stray_files(records) + folder_findings(records)
    unread, calendar = found or _own_files(records)
    return unread + stray_files(records) + calendar + folder_findings(records)


def _own_files(records: Records) -> tuple[list[CheckFinding], list[CheckFinding]]:
    """What stops the settings, the calendar or a provider file being read (with its file and line), and what
    is wrong with the calendar read."""
    from apcli.model.schema import Provider
    from apcli.records.layout import CALENDAR_FILE, SETTINGS_FILE

    findings: list[CheckFinding] = []
    findings += _each_file(None, records.shown(records.root / SETTINGS_FILE), lambda: records.settings)
    findings += _each_file(None, records.shown(records.root / CALENDAR_FILE), lambda: records.calendar)
    try:
        provider_files = records.provider_files()
    except ApError as error:
        provider_files = []
        findings += _invalid(error, None)
    for path in provider_files:
        findings += _each_file(None, records.shown(path), functools.partial(records.load_file, path, Provider))
    calendar: list[CheckFinding] = []
    try:
        if not records.calendar.file.terms:
            calendar.append(
                CheckFinding(
                    None,
                    "CALENDAR",
                    "warning",
                    "the calendar has no terms, so ap knows no school days: write the school's term dates in it",
                    records.shown(records.root / "calendar.yaml"),
                    None,
                )
            )
    except (ApError, *UNREADABLE):
        pass
    return findings, calendar


def stray_files(records: Records) -> list[CheckFinding]:
    """Files in cases/ and providers/ that ap would never read: a misnamed case must not go unseen."""
    from apcli.model.ids import CASE_ID, PROVIDER_ID
    from apcli.records.layout import CASES_DIR, PROVIDERS_DIR

    expected = {CASES_DIR: (CASE_ID, "AP-2026-001.yaml"), PROVIDERS_DIR: (PROVIDER_ID, "larkhill-green.yaml")}
    findings = []
    for folder, (pattern, example) in expected.items():
        base = records.root / folder
        try:
            entries = records.guard.entries(folder) if records.guard.is_folder(folder) else []
        except ApError:
            continue  # a link or file in place of the folder: Records.open refused it already
        names = {entry.name for entry in entries}
        for name in sorted(names):  # as names, not paths: a folder of 2,000 cases holds 6,000 of them
            if name.startswith(".") or (name.endswith(".yaml") and pattern.match(name.removesuffix(".yaml"))):
                continue  # a case or provider file; one that is a link or a pipe is reported when it is read
            if folder == CASES_DIR and _attendance_file_of_a_case(name, names):
                continue
            path = base / name
            findings.append(
                CheckFinding(
                    None,
                    "FILE",
                    "warning",
                    f"ap does not read this file: files in {folder}/ are named "
                    f"like {example}. Rename it, or move it out of the records folder.",
                    records.shown(path),
                    None,
                )
            )
    return findings


def _attendance_file_of_a_case(name: str, names: set[str]) -> bool:
    """Whether `name` is the marks or the marks' log of a case file among `names` (the folder's)."""
    from apcli.model.attendance import LOG_SUFFIX, MARKS_SUFFIX

    return any(
        name.endswith(suffix) and name.removesuffix(suffix) + ".yaml" in names for suffix in (MARKS_SUFFIX, LOG_SUFFIX)
    )


# --- the folder as a whole: modes, git, what a stopped command left ---


def folder_findings(records: Records) -> list[CheckFinding]:
    """What is wrong with the records folder as a place, not with any one record (all warnings)."""
    findings: list[CheckFinding] = []
    for part in (open_to_others, own_folders, left_behind):
        try:
            findings += part(records)
        except (ApError, OSError, *UNREADABLE) as error:  # a folder that cannot be looked at: said, and on
            message = error.message if isinstance(error, ApError) else type(error).__name__
            findings.append(
                CheckFinding(None, "FOLDER", "warning", f"could not be checked: {message}", _root(records), None)
            )
    return findings


def _root(records: Records) -> str:
    return records.shown(records.root)


def _warning(rule: str, message: str, file: str | None, case: str | None = None) -> CheckFinding:
    return CheckFinding(case, rule, "warning", message, file, None)


def open_to_others(records: Records) -> list[CheckFinding]:
    """Point 11: records other users can read (or write). A clone is made with the user's umask (755/644,
    often), and children's records should be their owner's only. An entry counts only where the others can
    reach it (every folder above it, up to the records folder, searchable by them): a file made by hand at
    644 inside a folder of 700 is not open to anyone, and is not reported."""
    if os.name != "posix":
        return []
    root = records.root
    found: list[tuple[str, int]] = []  # (shown name, mode)

    def look(path: Path, name: str, reach: int) -> tuple[os.stat_result | None, int]:
        """The entry's status, and who may go on into it if it is a folder (the group and other bits)."""
        try:
            status = os.lstat(path)
        except OSError:
            return None, 0
        if stat.S_ISLNK(status.st_mode):
            return None, 0
        mode = stat.S_IMODE(status.st_mode)
        if mode & reach:
            found.append((name, mode))
        onward = reach & (0o070 if mode & 0o010 else 0) | reach & (0o007 if mode & 0o001 else 0)
        return status, onward

    everyone = 0o077
    _, inside = look(root, "the folder itself", everyone)
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                look(root / entry.name, entry.name, inside)
    look(root / ".git", ".git/ (the history of every case)", inside)
    for area in PRIVATE_AREAS:
        status, onward = look(root / area, f"{area}/", inside)
        if status is None or not stat.S_ISDIR(status.st_mode) or not onward:
            continue
        reach = {str(root / area): onward}
        for top, folders, files in os.walk(root / area):
            here = reach.pop(top, 0)
            for name in files:
                look(Path(top) / name, (Path(top) / name).relative_to(root).as_posix(), here)
            for name in folders:
                path = Path(top) / name
                reach[str(path)] = look(path, path.relative_to(root).as_posix(), here)[1]
    if not found:
        return []
    shown = [f"{name} ({mode:o})" for name, mode in found[:5]]
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    return [
        _warning(
            "PRIVATE",
            f"other users of this computer can read these records: {', '.join(shown)}{more}. They are children's "
            f"records: close them to everyone but you with: chmod -R go-rwx {shlex.quote(_root(records))}",
            _root(records),
        )
    ]


def own_folders(records: Records) -> list[CheckFinding]:
    """ap's own folders: tracked by git (so they came with a clone, or would go out with a push), not ignored
    as links, a link or another user's in place of them, and the cache left from before it moved out."""
    from apcli.records.git import NOT_RECORDS, tracked_own_folders
    from apcli.records.guard import owned_and_private

    findings = []
    root = records.root
    for name, count in sorted(tracked_own_folders(root).items()):
        findings.append(
            _warning(
                "GIT-OWN-FILES",
                f"git tracks {count} file(s) in {name}, which is ap's own working folder, never records: a clone "
                f"carries it to everyone, and ap does not act on it. Remove it from git (your copy stays): "
                f"git rm -r --cached {name} && git commit -m 'ap's own files are not records'",
                records.shown(root / name),
            )
        )
    ignored = _gitignore_lines(records)
    if ignored is not None:
        missing = [name for name in NOT_RECORDS if not {name, f"/{name}"} & ignored]
        if missing:
            findings.append(
                _warning(
                    "GIT-OWN-FILES",
                    f".gitignore does not ignore {', '.join(missing)} when it is a link or a file (a line like "
                    f"'{missing[0]}/' matches only a folder): add the line(s) {', '.join(missing)} to it",
                    records.shown(root / ".gitignore"),
                )
            )
    for name in (".staging", ".locks"):
        path = root / name
        if not os.path.lexists(path):
            continue
        quoted = shlex.quote(records.shown(path))
        if path.is_symlink():
            problem = f"{name} is a link (to {os.readlink(path)}), so ap does not use it or act on what it holds"
            fix = f"check no ap command is running, then remove the link (only the link): rm {quoted}"
        elif not path.is_dir():
            problem, fix = f"{name} is not a folder, so ap cannot use it", f"remove it: rm {quoted}"
        elif not owned_and_private(path):
            status = os.lstat(path)
            if hasattr(os, "geteuid") and status.st_uid != os.geteuid():
                problem = f"{name}/ belongs to another user (uid {status.st_uid}), so ap does not act on it"
                fix = f"check no ap command is running anywhere, then delete it: rm -r {quoted}"
            else:
                problem = f"{name}/ is open to other users (mode {stat.S_IMODE(status.st_mode):o})"
                fix = f"ap leaves an interrupted change there alone until it is yours only: chmod 700 {quoted}"
        else:
            continue
        findings.append(_warning("AP-FOLDER", f"{problem}; {fix}", records.shown(path)))
    cache = root / ".cache"
    if os.path.lexists(cache):
        from apcli.records.cache import cache_base

        link = os.path.islink(cache)
        findings.append(
            _warning(
                "OLD-CACHE",
                f".cache{'' if link else '/'} in the records folder is left from an older ap: ap keeps its cache in "
                f"{cache_base()} now and never reads this one. It can be deleted: "
                f"{'rm' if link else 'rm -r'} {shlex.quote(records.shown(cache))}",
                records.shown(cache),
            )
        )
    return findings


def _gitignore_lines(records: Records) -> set[str] | None:
    """The lines of the folder's .gitignore, if it is in git and has one."""
    from apcli.records.git import in_repository

    if not in_repository(records.root):
        return None
    data = records.guard.read_bytes(".gitignore", limit=1_000_000, missing_ok=True)
    if data is None:
        return set()
    return {line.strip() for line in data.decode("utf-8", errors="replace").splitlines()}


def left_behind(records: Records) -> list[CheckFinding]:
    """What a command killed part-way left: letters never recorded, a commit never made, changes not committed."""
    findings = _unrecorded_letters(records)
    findings += _unfinished_commit(records)
    return findings


def _unrecorded_letters(records: Records) -> list[CheckFinding]:
    try:
        from apcli.letters.sending import unrecorded_letters
    except ImportError:  # an ap without it: nothing to report
        return []
    letters: list[Any] = list(unrecorded_letters(records))
    return [
        _warning(
            "LETTER-UNRECORDED",
            "a letter ap wrote that no case records: an `ap notice` or `ap letter` was stopped before it saved the "
            "case, so as far as the records know it was never sent. If it was not sent, delete it; the next "
            "notice or letter for the case also removes it. If it was sent, record it again with ap notice or "
            "ap letter for the case",
            records.shown(Path(path)),
            Path(path).parent.name if Path(path).parent.name.startswith("AP-") else None,
        )
        for path in letters
    ]


def _unfinished_commit(records: Records) -> list[CheckFinding]:
    """A commit a stopped command did not make (see apcli/records/git.py), and, where ap commits (commit: true),
    records files changed since the last commit: a command stopped before its `git add`, or a hand edit."""
    from apcli.records.git import PENDING, in_repository, read_pending, uncommitted

    if not in_repository(records.root):
        return []
    findings = []
    pending_file = records.shown(records.root / PENDING)
    try:
        pending = read_pending(records.guard)
    except ApError as error:
        findings.append(_warning("GIT-COMMIT", f"{error.message}", pending_file))
        pending = None
    if pending is not None:
        files = " ".join(shlex.quote(p) for p in pending.paths)
        findings.append(
            _warning(
                "GIT-COMMIT",
                f"an ap command ({pending.message}) was stopped before its git commit of {', '.join(pending.paths)}. "
                "With commit: true the next ap command commits it, under that message; or commit it yourself: "
                f"git commit -m {shlex.quote(pending.message)} -- {files} && rm {shlex.quote(pending_file)}",
                pending_file,
            )
        )
    try:  # kept in the index while the settings are the same: a served run need not read them
        commits = records.index.of_base("settings: commit", lambda: "yes" if records.settings.commit else "") == "yes"
    except ApError:
        return findings
    if not commits:
        return findings  # the user commits: a change not yet committed is theirs to make
    from apcli.records.layout import CALENDAR_FILE, SETTINGS_FILE

    named = set(pending.paths) if pending else set()
    for path in uncommitted(records.root, [*PRIVATE_AREAS, SETTINGS_FILE, CALENDAR_FILE]):
        if path in named:
            continue
        findings.append(
            _warning(
                "GIT-COMMIT",
                "changed since the last commit, but not committed, although ap commits each change (commit: true): "
                "an ap command was stopped before its commit, or the file was edited by hand. Commit it: ap commit -m "
                "'why it changed' (every valid records file changed), or git commit "
                f"-m 'why it changed' -- {shlex.quote(path)}; or undo the change: git restore --staged --worktree "
                f"-- {shlex.quote(path)}",
                records.shown(records.root / path),
            )
        )
    return findings


def check_records(records: Records, case_ids: list[str] | None, today: dt.date) -> list[CheckFinding]:
    """The folder's own files, then each case: its findings are kept in the result cache (apcli/records/cache.py)."""
    findings = check_folder_files(records)
    try:
        results = records.index.results("check")
    except (ApError, *UNREADABLE):  # a settings, calendar or provider file it cannot read: reported above
        results = records.index.results("check", usable=False)

    def compute(loaded: LoadedCase, day: dt.date) -> list[dict[str, Any]]:
        return _case_findings(records, loaded, day)

    from apcli.records.index import AHEAD

    for case_id, kept in records.index.each("check", today, compute, case_ids, results, ahead=AHEAD):
        if isinstance(kept, list):
            shown = records.shown(records.case_path(case_id))
            findings += [CheckFinding(**{**item, "file": shown}) for item in kept]
        elif isinstance(kept, ApError):
            if case_ids and not isinstance(kept, InvalidFileError):
                raise kept
            findings += _invalid(kept, case_id)
        else:
            findings.append(_unreadable(kept, case_id, records.shown(records.case_path(case_id))))
    return _once_for_the_folder(records, findings)


def _once_for_the_folder(records: Records, findings: list[CheckFinding]) -> list[CheckFinding]:
    """The findings with those of a rule about the settings (LETTER-SCHOOL-DETAILS) given once, against the
    settings file, however many cases it holds up."""
    if all(finding.case is None for finding in findings):
        return findings  # (without the rules' catalogue, which a served run need not import)
    from apcli.policy import catalogue
    from apcli.records.layout import SETTINGS_FILE

    about_the_folder = {rule.id for rule in catalogue().values() if rule.of_the_folder}
    kept: list[CheckFinding] = []
    held_up: dict[str, list[CheckFinding]] = {}
    for finding in findings:
        if finding.rule in about_the_folder and finding.case is not None:
            held_up.setdefault(finding.rule, []).append(finding)
        else:
            kept.append(finding)
    for same in held_up.values():
        cases = sorted({f.case for f in same if f.case})
        first = same[0]
        shown = f"{first.message} (for the letters of {len(cases)} case{'s' if len(cases) != 1 else ''}: "
        shown += ", ".join(cases[:5]) + (", ..." if len(cases) > 5 else "") + ")"
        settings = records.shown(records.root / SETTINGS_FILE)
        kept.append(replace(first, case=None, message=shown, file=settings, line=None))
    return kept


def _case_findings(records: Records, loaded: LoadedCase, today: dt.date) -> list[dict[str, Any]]:
    """One case's findings as the index keeps them (without the file's name, which depends on where ap runs)."""
    found = check_case(records, loaded, today) + safeguarding_details(loaded)
    return [{**f.as_dict(), "file": None} for f in found]


def exit_code(findings: list[CheckFinding]) -> int:
    if any(f.severity == "invalid" for f in findings):
        return 3
    return 1 if any(f.severity == "error" for f in findings) else 0
