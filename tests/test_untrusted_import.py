"""Issue 13, points 5 and 7 and the low points of `ap attendance import`: a register, or a case's attendance
files, made by someone else can never make ap read or write outside the records folder, hang it, fill its
memory, file a mark against the wrong child, or put a safeguarding concern's details or terminal escapes where
they do not belong.

Each test plants the attack on real files in tmp_path, runs ap as a user would (in a child with a memory limit
and a timeout where the attack is on time or memory), and shows it refused with a clear message, no
traceback, nothing outside touched (a sentinel folder fingerprinted before and after), and a good register
beside it still imported.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from apcli.steps import importing, registers
from tests.conftest import invoke, snapshot
from tests.untrusted import Sentinel, no_traceback, run_ap

LEO = "AP-2026-001"  # Leo Hartley: active, mon-thu from 2026-10-05 to 2026-12-18, marked up to 2026-11-26
LEO_UPN = "L860200025001"
TODAY = "2026-12-03"
GOOD = f"upn,date,session,mark,note\n{LEO_UPN},2026-11-30,AM,B,\n{LEO_UPN},2026-11-30,PM,N,Rang home\n"
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def register(tmp_path: Path, text: str, name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def imported(records: Path, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_ap(records, "attendance", "import", str(path), *args, today=TODAY)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def committing(demo: Path) -> None:
    """The demo folder as a school keeps it: a git repository of its own, each command committed."""
    assert (demo / ".git").is_dir()  # ap init made one: tmp_path is in no git repository
    settings = demo / "ap-settings.yaml"
    settings.write_text(settings.read_text().replace("commit: false", "commit: true"))
    assert "commit: true" in settings.read_text()
    git(demo, "add", "-A")
    git(demo, "-c", "user.name=School", "-c", "user.email=school@example.org", "commit", "-qm", "records")


# --- point 5: a case's attendance files as links to files outside --------------------------------


@needs_git
@pytest.mark.parametrize("suffix", [".attendance-log.csv", ".attendance.csv"])
def test_point_5_an_attendance_file_linked_outside_is_refused_and_never_reaches_git(
    demo: Path, tmp_path: Path, suffix: str
) -> None:
    committing(demo)
    sentinel = Sentinel.make(tmp_path)
    planted = demo / "cases" / f"{LEO}{suffix}"
    planted.unlink(missing_ok=True)
    planted.symlink_to(sentinel.folder / "secret.txt")
    commits = git(demo, "rev-list", "--all", "--count")
    path = register(tmp_path, GOOD)

    for dry_run in ((), ("--dry-run",)):
        result = imported(demo, path, *dry_run)
        assert result.returncode == 3, output(result)
        assert f"{LEO}{suffix}" in result.stderr and "a link" in result.stderr, result.stderr
        assert no_traceback(result)

    assert sentinel.untouched()  # nothing appended to the file outside
    assert git(demo, "rev-list", "--all", "--count") == commits  # nothing committed
    assert "do not read me" not in git(demo, "log", "-p", "--all") + git(demo, "diff", "--cached")

    planted.unlink()  # the link replaced by nothing: the same register imports, and is committed
    result = imported(demo, path)
    assert result.returncode == 0, output(result)
    assert int(git(demo, "rev-list", "--all", "--count")) == int(commits) + 1
    history = git(demo, "log", "-p", "--all")
    assert "imported 2 mark(s) from register.csv" in history and "do not read me" not in history
    assert sentinel.untouched()


def test_point_5_a_pipe_as_the_attendance_log_is_refused_without_hanging(demo: Path, tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(demo / "cases" / f"{LEO}.attendance-log.csv")
    before = snapshot(demo)
    result = imported(demo, register(tmp_path, GOOD))
    assert result.returncode == 3 and "a pipe (FIFO)" in result.stderr and no_traceback(result), output(result)
    assert snapshot(demo) == before


# --- point 7: an .xlsx whose stated size is the whole sheet -----------------------------------------


def sparse_workbook(path: Path, far_value: object = None) -> Path:
    """A small register with one formatted blank cell (or `far_value`) at XFD1048576, the last cell of a sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["upn", "date", "session", "mark"])
    sheet.append([LEO_UPN, "2026-11-30", "AM", "B"])
    sheet.append([LEO_UPN, "2026-11-30", "PM", "B"])
    far = sheet.cell(row=1_048_576, column=16_384)
    far.number_format = "0.00"  # formatted, so the workbook holds the cell and claims the whole sheet
    far.value = far_value
    book.save(path)
    return path


def test_point_7_an_xlsx_with_a_blank_cell_at_xfd1048576_is_read_by_its_real_extent(demo: Path, tmp_path: Path) -> None:
    path = sparse_workbook(tmp_path / "register.xlsx")
    assert path.stat().st_size < 10_000
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert 'ref="A1:XFD1048576"' in sheet and 'r="XFD1048576"' in sheet  # the attack as the review found it
    sentinel = Sentinel.make(tmp_path)
    result = run_ap(demo, "attendance", "import", str(path), "--json", today=TODAY, timeout=60)
    assert result.returncode == 0, output(result)  # within the child's 1 GB and a minute, not 3.75 GB and growing
    assert json.loads(result.stdout)["added"] == 2
    assert sentinel.untouched()


def test_point_7_an_xlsx_whose_cells_reach_beyond_any_register_is_refused(demo: Path, tmp_path: Path) -> None:
    path = sparse_workbook(tmp_path / "register.xlsx", far_value="x")
    before = snapshot(demo)
    result = run_ap(demo, "attendance", "import", str(path), today=TODAY, timeout=60)
    assert result.returncode == 3, output(result)
    assert "register.xlsx" in result.stderr and "far beyond any register" in result.stderr
    assert "row 1,048,576 and column 16,384" in result.stderr and no_traceback(result)
    assert snapshot(demo) == before


# --- low: the register's type and size are checked before it is read -------------------------------


def test_low_register_read_size_first_a_device_pipe_or_huge_file_is_refused_unread(demo: Path, tmp_path: Path) -> None:
    before = snapshot(demo)
    candidates: list[tuple[Path, str]] = [(Path("/dev/zero"), "a device")]
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as stream:
        stream.truncate(registers.MAX_BYTES + 1)  # sparse: 50 MB claimed, nothing written
    candidates.append((huge, "a register is far smaller"))
    candidates.append((tmp_path, "a folder"))
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.csv")
        candidates.append((tmp_path / "pipe.csv", "a pipe (FIFO)"))
    for path, why in candidates:
        result = run_ap(demo, "attendance", "import", str(path), today=TODAY, timeout=30)
        assert result.returncode == 3, (path, output(result))
        assert str(path) in result.stderr and why in result.stderr and no_traceback(result), result.stderr
    assert snapshot(demo) == before
    assert imported(demo, register(tmp_path, GOOD)).returncode == 0


def grid(case_ids: list[str], days: list[dt.date], repeat: int = 1) -> str:
    header = "case," + ",".join(f"{day} {session}" for day in days for session in ("AM", "PM"))
    line = "," + ",".join("B" for _ in range(2 * len(days)))
    return header + "\n" + "".join(f"{case_id}{line}\n" for _ in range(repeat) for case_id in case_ids)


def test_low_register_grid_is_checked_once_per_column_pupil_and_day(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linear time, shown by counting: a grid of 24 rows and 104 columns is 2,496 cells, yet each column's
    date is read once, each pupil matched once and each of the pupil's days checked once; and the attendance
    log of each case is written from that case's own changes only (it once scanned every change for every case)."""
    from apcli.records.store import Records

    days = Records.open(demo).calendar.school_days_between(dt.date(2026, 11, 2), dt.date(2026, 12, 3))
    days = [day for day in days if day.weekday() < 4]  # Leo's days
    path = register(tmp_path, grid([LEO], days, repeat=24))
    calls = {"as_date": 0, "match": 0, "_check_day": 0, "to_code": 0}
    for module, name in ((registers, "as_date"), (importing, "as_date"), (importing, "match")):
        original = getattr(module, name)

        def counted(*args: object, _original: object = original, _name: str = name) -> object:
            calls[_name] += 1
            return _original(*args)  # type: ignore[operator]

        monkeypatch.setattr(module, name, counted)
    for owner, name in ((importing, "_check_day"), (importing, "to_code"), (importing._Looked, "_slots")):
        original = getattr(owner, name)

        def counted_too(*args: object, _original: object = original, _name: str = name) -> object:
            calls[_name] = calls.get(_name, 0) + 1
            return _original(*args)  # type: ignore[operator]

        monkeypatch.setattr(owner, name, counted_too)
    result = invoke(demo, "attendance", "import", str(path), "--json", "--replace", today=TODAY)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 24 and report["added"] + report["unchanged"] + report["replaced"] == 2 * len(days)
    assert calls["as_date"] == 2 * len(days)  # once per day as the header is read, once as its cells are checked
    assert calls["match"] == 1 and calls["to_code"] == 1
    assert calls["_slots"] == len(days)  # once per day of the pupil (issue 18), not once per session or cell
    assert calls["_check_day"] == 0  # ordinary days of a pupil's one placement: by comparisons alone


def test_low_register_a_large_grid_is_read_in_bounded_memory(demo: Path, tmp_path: Path) -> None:
    """A grid of 10 MB, about 5 million cells, none of them for a known pupil (the review's 48 MB one took over 5
    minutes and 3.3 GB; this one held every cell and every refusal). Cells are read one by one, never all held,
    so the child's 1 GB is enough; refusals are counted and the first thousand listed."""
    from apcli.records.store import Records

    days = Records.open(demo).calendar.school_days_between(dt.date(2026, 9, 2), dt.date(2026, 12, 3))
    row_bytes = len(grid(["AP-2099-001"], days).splitlines()[1]) + 1
    rows = 10_000_000 // row_bytes
    path = register(tmp_path, grid([f"AP-2099-{n % 900 + 1:03d}" for n in range(rows)], days))
    assert path.stat().st_size > 9_000_000
    before = snapshot(demo)
    result = run_ap(demo, "attendance", "import", str(path), "--json", today=TODAY, timeout=600)
    assert result.returncode == 3, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert len(report["errors"]) == importing.MAX_ERRORS_KEPT
    assert report["more_errors"] == rows * 2 * len(days) - importing.MAX_ERRORS_KEPT
    assert "no case has this id" in result.stderr and no_traceback(result)
    assert snapshot(demo) == before


# --- low: the name column must name this pupil ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "agrees"),
    [
        ("Leo Hartley", True),
        ("HARTLEY Leo", True),
        ('"Hartley, Leo"', True),
        ("leo   hartley", True),
        ("Jack Hartley", False),  # a sibling: the surname alone is never enough
        ("Hartley", False),
        ("Leo Cole", False),
        ("Leo", False),
    ],
)
def test_low_name_check_needs_surname_and_given_name(demo: Path, tmp_path: Path, name: str, agrees: bool) -> None:
    path = register(tmp_path, f"upn,name,2026-12-01 AM\n{LEO_UPN},{name},B\n")
    before = snapshot(demo)
    result = invoke(demo, "attendance", "import", str(path), today=TODAY)
    if agrees:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 3, result.output
    assert "not the name of the pupil in AP-2026-001" in result.stderr
    assert "surname and a given name" in result.stderr
    assert snapshot(demo) == before


def test_low_name_check_of_a_double_barrelled_or_accented_name() -> None:
    assert importing.names_agree("Zoe Smith", "Zoë Smith-Jones")
    assert importing.names_agree("SMITH-JONES, Zoë", "Zoë Smith-Jones")
    assert not importing.names_agree("Amy Smith-Jones", "Zoë Smith-Jones")
    assert not importing.names_agree("Maisie Cole", "Jack Cole")


# --- low: what a register's notes may hold ---------------------------------------------------------


@pytest.mark.parametrize("note", ["Rang\x1b[2J home", "Rang home\x07", "Rang\u202ehome"])
def test_low_register_note_with_a_control_character_is_refused(demo: Path, tmp_path: Path, note: str) -> None:
    path = register(tmp_path, f"upn,date,session,mark,note\n{LEO_UPN},2026-11-30,AM,N,{note}\n")
    before = snapshot(demo)
    result = invoke(demo, "attendance", "import", str(path), today=TODAY)
    assert result.exit_code == 3, result.output
    assert "row 2, note: holds a control character" in result.stderr
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert snapshot(demo) == before
    assert invoke(demo, "attendance", "import", str(register(tmp_path, GOOD)), today=TODAY).exit_code == 0


@pytest.mark.parametrize("note", ["Said his stepdad hit him", "Disclosed to key worker", "bruising on arm"])
def test_low_register_note_reading_like_safeguarding_details_is_refused(demo: Path, tmp_path: Path, note: str) -> None:
    path = register(tmp_path, f"upn,date,session,mark,note\n{LEO_UPN},2026-11-30,AM,N,{note}\n")
    before = snapshot(demo)
    result = invoke(demo, "attendance", "import", str(path), today=TODAY)
    assert result.exit_code == 3, result.output
    assert "row 2, note:" in result.stderr and "safeguarding concern" in result.stderr
    assert "DSL" in result.stderr and "not" in result.stderr
    assert note not in result.output  # the details are never repeated, not even in the refusal
    assert snapshot(demo) == before
    fine = register(tmp_path, f"upn,date,session,mark,note\n{LEO_UPN},2026-11-30,AM,N,Rang home: no answer\n")
    assert invoke(demo, "attendance", "import", str(fine), today=TODAY).exit_code == 0
    assert "Rang home: no answer" in (demo / "cases" / f"{LEO}.attendance.csv").read_text()


# --- low: terminal escapes from a register never reach the terminal ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "upn,\x1b]0;owned\x07evil,2026-12-01 AM\nL860200025001,x,B\n",  # an unknown header
        "\x1b[2Jname,date\nx,y\n",  # no key column
        "upn,date,session,mark\nL860200025001,2026-12-01,AM,\x1b[31mzz\n",  # a mark that is no code
        "upn,date,session,mark\nL860200025001,2026-12-01,\x1b[31m,B\n",  # a session that is not AM or PM
        "upn,date,session,mark,\x1b[31m\nL860200025001,2026-12-01,AM,B,\n",
    ],
)
def test_low_terminal_escapes_in_a_register_never_reach_the_terminal(demo: Path, tmp_path: Path, text: str) -> None:
    before = snapshot(demo)
    for args in ((), ("--json",)):
        result = invoke(demo, "attendance", "import", str(register(tmp_path, text)), *args, today=TODAY)
        assert result.exit_code == 3, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, repr(result.output)
    assert snapshot(demo) == before


def test_low_terminal_escapes_in_a_register_file_name_never_reach_the_terminal_or_the_log(
    demo: Path, tmp_path: Path
) -> None:
    path = register(tmp_path, GOOD, "week\x1b[2J.csv")
    result = invoke(demo, "attendance", "import", str(path), today=TODAY)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "week?[2J.csv" in result.output
    assert "\x1b" not in (demo / "cases" / f"{LEO}.attendance-log.csv").read_text()


# --- low: who imports is plain text ----------------------------------------------------------------


@pytest.mark.parametrize("by", ["Eve\x1b[2J", "Eve\nforged,line", "Eve\tX", "Eve\u202eX"])
def test_low_by_with_control_characters_is_refused_before_the_attendance_log(
    demo: Path, tmp_path: Path, by: str
) -> None:
    path = register(tmp_path, GOOD)
    before = snapshot(demo)
    result = invoke(demo, "attendance", "import", str(path), today=TODAY, by=by)
    assert result.exit_code == 2, result.output
    assert "--by" in result.stderr and "control character" in result.stderr and "\x1b" not in result.output
    assert snapshot(demo) == before
    result = invoke(demo, "attendance", "import", str(path), today=TODAY, by="Eve Adams")
    assert result.exit_code == 0, result.output
    log = (demo / "cases" / f"{LEO}.attendance-log.csv").read_text()
    assert ",Eve Adams," in log and "imported 2 mark(s)" in log and "Eve\n" not in log
