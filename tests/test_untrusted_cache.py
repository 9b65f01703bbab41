"""Issue 13, points 3 and 6: the cache. It is kept outside the records folder (so nothing a clone carries can
poison it or make ap write, delete or read through it), in this user's private cache folder; and what its key
is computed from is read through the records folder's guard (so a link to /dev/zero, a pipe or an oversized
file is refused with the guard's message, never read).

Each attack is planted on real files (links, FIFOs, sparse files, a git clone) in tmp_path; ap runs as a user
would (in a child with bounded memory and a timeout where the attack was a memory blow-up or a hang); a sentinel
folder outside is shown untouched, with no traceback and a clear message where ap has something to say.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from apcli.errors import EXIT_INVALID_FILE
from apcli.records.cache import CACHE_DIR, OLD_KINDS, cache_base, folder_name
from tests.conftest import invoke
from tests.test_index import INDEX_FILE
from tests.untrusted import Sentinel, no_traceback, run_ap

LEO = "AP-2026-001"  # active, with attendance marks
ISLA = "AP-2026-009"  # closed
LISTINGS = [("list",), ("check",), ("review", "due")]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def cached(records: Path) -> Path:
    """The records folder's own folder of ap's cache, in this test's AP_CACHE_DIR (tests/conftest.py)."""
    return cache_base() / folder_name(records)


def indexed(records: Path, table: str = "files") -> set[str]:
    """The case ids the records folder's index holds in `table`."""
    with sqlite3.connect(cached(records) / INDEX_FILE) as connection:
        return {row[0] for row in connection.execute(f"SELECT id FROM {table}")}


def answers(records: Path, *commands: tuple[str, ...], child: bool = False) -> list[tuple[int, str]]:
    """Exit code and output of each command: run in this process, or in a child (bounded memory, a timeout)."""
    found = []
    for command in commands or LISTINGS:
        if child:
            done = run_ap(records, *command)
            assert no_traceback(done), done.stderr
            found.append((done.returncode, done.stdout))
        else:
            result = invoke(records, *command)
            assert "Traceback" not in result.output, result.output
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
            found.append((result.exit_code, result.stdout))
    return found


def clean_answers(records: Path) -> list[tuple[int, str]]:
    """What a fresh demo folder beside `records`, with nothing planted, says to each listing and to `show`
    (as `unwrapped` text, its path shown as that of `records`)."""
    other = records.with_name(records.name + "-clean")
    assert invoke(None, "init", str(other), "--demo").exit_code == 0
    return [(code, unwrapped(text, other, records)) for code, text in answers(other, *LISTINGS, ("show", LEO))]


def unwrapped(text: str, folder: Path, shown_as: Path) -> str:
    """`text` without its white space (`show` wraps a long path), with `folder` written as `shown_as`."""
    return "".join(text.split()).replace(str(folder), str(shown_as))


def same_answers(found: list[tuple[int, str]], expected: list[tuple[int, str]], records: Path) -> None:
    """list, review due and show word for word; check with the same exit code (it may warn of an old `.cache`)."""
    found = [(code, unwrapped(text, records, records)) for code, text in found]
    assert [code for code, _ in found] == [code for code, _ in expected]
    assert found[0] == expected[0] and found[2:] == expected[2:]


# --- point 3: nothing under the old `.cache/` in a records folder is used, written or pruned ---


@pytest.mark.parametrize(
    "plant",
    [
        ".cache",  # the whole folder a link (committable: `.cache/` in .gitignore does not match a link)
        ".cache/cases",  # where validated cases were written as JSON
        ".cache/due",  # where check's prune deleted every .json not named by a case
        ".cache/list/AP-2026-001.json",  # one entry a link to a file outside
    ],
)
def test_point_3_a_link_under_the_old_cache_folder_is_never_written_or_pruned_through(
    demo: Path, tmp_path: Path, plant: str
) -> None:
    sentinel = Sentinel.make(tmp_path)
    link = demo / plant
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(sentinel.folder / "data.json" if plant.endswith(".json") else sentinel.folder)
    expected = clean_answers(demo)
    for _ in range(2):  # a first run fills the cache, a second reads it
        same_answers(answers(demo, *LISTINGS, ("show", LEO)), expected, demo)
    (demo / "cases" / f"{ISLA}.yaml").unlink()  # so that check prunes the case's entries
    assert invoke(demo, "check").exit_code == 0
    assert sentinel.untouched()
    assert os.path.islink(link) and os.readlink(link) == str(
        sentinel.folder / "data.json" if plant.endswith(".json") else sentinel.folder
    )
    assert LEO in indexed(demo)  # the index was used, where it belongs
    assert ISLA not in indexed(demo) | indexed(demo, "contents") | indexed(demo, "results")


def test_point_3_planted_side_files_and_old_entries_cannot_redirect_an_index_write(demo: Path, tmp_path: Path) -> None:
    """sqlite writes the index's -wal, -shm and -journal beside it, and an older ap kept a JSON file per case (with
    temporary names beside each): links planted under any of these names are removed as links, never followed."""
    sentinel = Sentinel.make(tmp_path)
    assert invoke(demo, "list").exit_code == 0  # ap makes its private cache folder and the index
    mine = cached(demo)
    for side in ("", "-wal", "-shm", "-journal"):
        (mine / f"{INDEX_FILE}{side}").unlink(missing_ok=True)
    planted = [mine / f"{INDEX_FILE}{side}" for side in ("-wal", "-shm", "-journal")]
    for kind in OLD_KINDS:
        (mine / kind).mkdir(mode=0o700)
        planted += [mine / kind / name for name in (f"{LEO}.json", f".{LEO}.json.tmp")]
    for path in planted:
        path.symlink_to(sentinel.folder / "secret.txt")
    for command in [("show", LEO), ("show", ISLA), *LISTINGS]:
        result = invoke(demo, *command)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
    assert sentinel.untouched()
    assert not any(os.path.islink(path) for path in planted)
    assert not any(os.path.lexists(mine / kind) for kind in OLD_KINDS)
    for path in mine.iterdir():
        status = os.lstat(path)
        assert stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) == 0o600


def test_point_3_the_cache_lives_outside_the_records_folder_with_modes_700_and_600(
    demo: Path, tmp_path: Path, cache_dir: Path
) -> None:
    via = tmp_path / "via-a-link"
    via.symlink_to(demo)  # the same records folder reached another way shares its cache folder
    answers(demo)
    answers(via)
    assert not (demo / CACHE_DIR).exists()
    assert cache_base() == cache_dir
    expected_name = hashlib.sha256(os.fsencode(os.path.realpath(demo))).hexdigest()[:16]
    assert [path.name for path in cache_dir.iterdir()] == [expected_name]
    folders = [cache_dir, *(path for path in cache_dir.rglob("*") if path.is_dir())]
    files = [path for path in cache_dir.rglob("*") if not path.is_dir()]
    assert {path.name for path in folders} == {cache_dir.name, expected_name}
    assert {path.name for path in files} <= {INDEX_FILE, f"{INDEX_FILE}-wal", f"{INDEX_FILE}-shm"}
    assert all(stat.S_IMODE(os.lstat(path).st_mode) == 0o700 for path in folders)
    assert files and all(stat.S_IMODE(os.lstat(path).st_mode) == 0o600 for path in files)
    assert all(stat.S_ISREG(os.lstat(path).st_mode) for path in files)
    assert not [path for path in files if path.name.endswith(".tmp")]


def test_point_3_the_cache_folder_is_found_in_the_users_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_base() == tmp_path / "xdg" / "ap"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_base() == tmp_path / "home" / ".cache" / "ap"
    monkeypatch.setenv("AP_CACHE_DIR", str(tmp_path / "chosen"))
    assert cache_base() == tmp_path / "chosen"


@pytest.mark.parametrize("kind", ["open to others", "a link", "a file"])
def test_point_3_a_cache_folder_that_is_not_this_users_own_and_private_is_not_used(
    demo: Path, tmp_path: Path, cache_dir: Path, kind: str
) -> None:
    sentinel = Sentinel.make(tmp_path)
    if kind == "open to others":
        cache_dir.mkdir(mode=0o755)
        cache_dir.chmod(0o755)
    elif kind == "a link":
        cache_dir.symlink_to(sentinel.folder)
    else:
        cache_dir.write_text("not a folder\n")
    before = sorted(os.listdir(cache_dir)) if kind == "open to others" else None
    expected = clean_answers(demo)
    for _ in range(2):
        same_answers(answers(demo, *LISTINGS, ("show", LEO)), expected, demo)
    assert sentinel.untouched()
    if kind == "open to others":
        assert sorted(os.listdir(cache_dir)) == before == []
        assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o755  # the user's folder is left as they made it
    elif kind == "a link":
        assert os.readlink(cache_dir) == str(sentinel.folder)
    else:
        assert cache_dir.read_text() == "not a folder\n"


def test_point_3_a_link_inside_aps_own_cache_folder_is_removed_or_refused_never_followed(
    demo: Path, tmp_path: Path
) -> None:
    """Defence in depth: even in the user's private cache folder, the index is never opened through a link."""
    sentinel = Sentinel.make(tmp_path)
    expected = clean_answers(demo)
    answers(demo)
    mine = cached(demo)
    for side in ("", "-wal", "-shm"):
        (mine / f"{INDEX_FILE}{side}").unlink(missing_ok=True)
    (mine / INDEX_FILE).symlink_to(sentinel.folder / "data.json")
    (mine / f"{INDEX_FILE}-wal").symlink_to(sentinel.folder / "secret.txt")
    same_answers(answers(demo, *LISTINGS, ("show", LEO)), expected, demo)
    (demo / "cases" / f"{ISLA}.yaml").unlink()
    assert invoke(demo, "check").exit_code == 0
    assert sentinel.untouched()
    assert not os.path.islink(mine / INDEX_FILE) and not os.path.islink(mine / f"{INDEX_FILE}-wal")
    assert LEO in indexed(demo) and ISLA not in indexed(demo)


@needs_git
def test_point_3_a_cache_link_committed_in_a_clone_is_ignored(tmp_path: Path, demo: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    (demo / CACHE_DIR).symlink_to(sentinel.folder)
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "-C", str(demo), "add", "--all"], check=True, capture_output=True)
    subprocess.run([*git, "-C", str(demo), "add", "--force", CACHE_DIR], check=True, capture_output=True)
    subprocess.run([*git, "-C", str(demo), "commit", "-qm", "records"], check=True, capture_output=True)
    tracked = subprocess.run(["git", "-C", str(demo), "ls-files", CACHE_DIR], capture_output=True, text=True)
    assert tracked.stdout.strip() == CACHE_DIR  # git carries the link to the clone
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(demo), str(clone)], check=True, capture_output=True)
    assert os.path.islink(clone / CACHE_DIR)
    expected = clean_answers(clone)
    for _ in range(2):
        same_answers(answers(clone, *LISTINGS, ("show", LEO)), expected, clone)
    assert sentinel.untouched()
    assert LEO in indexed(clone)


# --- point 6: what the result cache's key rests on is read through the guard ---


def plant(path: Path, how: str, sentinel: Sentinel) -> None:
    """Replace `path` by a link to /dev/zero, a pipe, a sparse file of 6 GB, or a link to a file outside."""
    if os.path.lexists(path):
        path.unlink()
    if how == "/dev/zero":
        path.symlink_to("/dev/zero")
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "sparse":
        with path.open("wb") as stream:
            stream.truncate(6 * 1024**3)
    else:
        path.symlink_to(sentinel.folder / "sub" / "file.yaml")


SAYS = {
    "/dev/zero": "a link (to /dev/zero)",
    "fifo": "a pipe (FIFO), not a file",
    "sparse": "more than ap reads",
    "outside": "a link (to ",
}


def refused(result: subprocess.CompletedProcess[str], file: str, says: str) -> None:
    """Exit 3, the file named with the guard's reason, no traceback and no memory error."""
    said = result.stdout + result.stderr
    assert result.returncode == EXIT_INVALID_FILE, said
    assert no_traceback(result) and "MemoryError" not in said, said
    assert file in said and says in said, said


needs_dev_zero = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")


@needs_dev_zero
@pytest.mark.parametrize("how", ["/dev/zero", "fifo", "sparse"])
def test_point_6_a_provider_linked_to_dev_zero_is_refused_with_bounded_memory(
    demo: Path, tmp_path: Path, how: str
) -> None:
    """The key read every provider file whole, unchecked: /dev/zero was a MemoryError at 10.9 GB, a pipe a hang."""
    sentinel = Sentinel.make(tmp_path)
    answers(demo)  # the cache filled first: what is planted afterwards must still be seen
    plant(demo / "providers" / "x.yaml", how, sentinel)
    for command in LISTINGS:
        refused(run_ap(demo, *command, timeout=60), "providers/x.yaml", SAYS[how])
    assert sentinel.untouched()


@needs_dev_zero
@pytest.mark.parametrize(("how", "command"), [("/dev/zero", ("list",)), ("fifo", ("review", "due"))])
def test_point_6_a_calendar_that_is_not_a_file_is_refused_with_bounded_memory(
    demo: Path, tmp_path: Path, how: str, command: tuple[str, ...]
) -> None:
    sentinel = Sentinel.make(tmp_path)
    plant(demo / "calendar.yaml", how, sentinel)
    refused(run_ap(demo, *command, timeout=60), "calendar.yaml", SAYS[how])
    assert sentinel.untouched()


@pytest.mark.parametrize("how", ["fifo", "sparse"])
def test_point_6_a_fifo_marks_file_does_not_hang_list_check_or_review_due(demo: Path, tmp_path: Path, how: str) -> None:
    """The key read the marks whole: a pipe hung every listing. Now the case is simply not cached, and a command
    that needs the marks (review due) refuses the file with the guard's message."""
    sentinel = Sentinel.make(tmp_path)
    answers(demo)  # the cache filled first: the planted file must still be seen, never a stale answer
    marks = f"{LEO}.attendance.csv"
    plant(demo / "cases" / marks, how, sentinel)
    for command in LISTINGS:
        result = run_ap(demo, *command, timeout=30)  # a hang is a TimeoutExpired: the test fails
        if command == ("review", "due"):
            refused(result, marks, SAYS[how])
        else:  # list and check do not need the marks (check's own report of such a file is its own business)
            assert no_traceback(result) and "MemoryError" not in result.stderr, result.stderr
            assert result.returncode in (0, 1, EXIT_INVALID_FILE), result.stderr
            if result.returncode == EXIT_INVALID_FILE:
                assert marks in result.stdout + result.stderr
    assert sentinel.untouched()


def test_point_6_a_case_file_that_is_a_fifo_is_reported_not_read(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    plant(demo / "cases" / "AP-2026-011.yaml", "fifo", sentinel)
    for command in LISTINGS:
        result = run_ap(demo, *command, timeout=30)
        refused(result, "AP-2026-011.yaml", SAYS["fifo"])
        if command == ("list",):
            assert f"{LEO}  Leo Hartley" in result.stdout  # the other cases are still listed
    assert sentinel.untouched()


# --- the cache still does its work ---


def test_the_index_still_works_a_second_run_reads_it_and_says_the_same(demo: Path) -> None:
    first = answers(demo, ("list",), child=True)
    cases = {path.stem for path in (demo / "cases").glob("*.yaml")}
    assert indexed(demo, "results") == cases
    assert answers(demo, ("list",), child=True) == first
    first = answers(demo)
    assert indexed(demo, "contents") == cases
    assert answers(demo) == first
    # the second run did read the index: a result changed behind ap's back (its files unchanged) is what it shows
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        connection.execute("UPDATE results SET value = replace(value, 'Leo Hartley', 'Read From Index')")
    assert "Read From Index" in invoke(demo, "list").stdout
    # and any change to the case is seen at once: the file, not the index, decides
    case = demo / "cases" / f"{LEO}.yaml"
    case.write_text(case.read_text().replace("name: Leo Hartley", "name: Leon Hartley", 1))
    listed = invoke(demo, "list").stdout
    assert "Leon Hartley" in listed and "Read From Index" not in listed
