"""Hostile and broken input: each gives a short error naming the file (and line or row where known) and an exit
code from apcli/errors.py; never a traceback, a hang or a huge memory spike, and nothing is read or written
outside the records folder except an output file the user named, which never replaces the folder's own files.

(Aliases, tags, duplicate keys and bad UTF-8 as yamlio sees them are in test_store.py; here they come through
the CLI, in every kind of records file, with their neighbours.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import Result

from apcli.errors import EXIT_INVALID_FILE, EXIT_USAGE
from tests.conftest import as_json, invoke, snapshot

NEW = "AP-2026-011"  # a case id the demo does not use
LEO = "AP-2026-001"  # active at larkhill-green, marked up to 2026-11-26
LEO_UPN = "L860200025001"
TYLER = "AP-2026-003"  # commissioned: ready for the notice
REGISTER_DAY = "2026-12-03"  # a day on which Leo's register for 30 November to 3 December can be imported
SHIPPED = Path(__file__).resolve().parents[1] / "templates"
FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1:A2)"]


def refused(result: Result, code: int, *says: str) -> None:
    """The command stopped with `code` and a message holding every fragment in `says`, and no traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for fragment in says:
        assert fragment in result.stderr, (fragment, result.stderr[:2000])


def case_file(records: Path, case_id: str = NEW) -> Path:
    return records / "cases" / f"{case_id}.yaml"


# --- case and other records files that are not plain, small, safe YAML ------------------------------------


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"  # 9**9 strings if it were expanded


HOSTILE_CASE_FILES: dict[str, tuple[bytes, str, str]] = {
    # name: (the file's bytes, what the message says, the line it names or "")
    "billion laughs": (billion_laughs().encode(), "uses a YAML alias", ":1:"),
    "python object tag": (b"pupil: !!python/object/apply:os.system ['echo hacked']\n", "uses the tag", ":1:"),
    "custom tag": (b"pupil:\n  name: !foo Leo\n", "uses the tag '!foo'", ":2:"),
    "10,000 levels of [": (b"[" * 10_000, "nest", ":1:"),
    "995 levels of [ under a field": (
        b"pupil:\n  name: " + b"[" * 995 + b"]" * 995 + b"\n",
        "nested more than 64 levels deep",
        ":2:",
    ),
    "995 levels of groups": (
        b"pupil:\n  name: " + b"{a: " * 995 + b"1" + b"}" * 995 + b"\n",
        "nested more than 64 levels deep",
        ":2:",
    ),
    "a PNG image": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "a binary file, not YAML text", ""),
    "latin-1, not UTF-8": ("pupil:\n  name: Zoë\n".encode("latin-1"), "not UTF-8 text", ":2:"),
    "UTF-16 with a BOM": ("pupil:\n  name: Zoë\n".encode("utf-16"), "UTF-16", ""),
    "empty": (b"", "missing required field 'pupil'", ""),
    "a list, not a mapping": (b"- pupil\n- referral\n", "should hold a mapping of fields", ":1:"),
    "a bare word": (b"hello\n", "should hold a mapping of fields", ":1:"),
}


@pytest.mark.parametrize("name", list(HOSTILE_CASE_FILES))
def test_a_hostile_case_file_is_an_invalid_file_naming_it(demo: Path, name: str) -> None:
    data, says, line = HOSTILE_CASE_FILES[name]
    case_file(demo).write_bytes(data)
    before = snapshot(demo)
    started = time.monotonic()
    shown = invoke(demo, "show", NEW)
    refused(shown, EXIT_INVALID_FILE, f"{NEW}.yaml{line}", says)
    assert len(shown.stderr) < 2_000  # one line or two, not the file echoed back
    checked = invoke(demo, "check")
    assert checked.exit_code == EXIT_INVALID_FILE, checked.output
    assert f"{NEW}.yaml{line}" in checked.stdout and says in checked.stdout
    assert "Checked 11 case(s)" in checked.stderr  # the other cases were still checked
    assert time.monotonic() - started < 10
    assert snapshot(demo) == before


def test_a_python_tag_never_runs(demo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    case_file(demo).write_text(f"pupil: !!python/object/apply:os.system ['touch {marker}']\n")
    refused(invoke(demo, "show", NEW), EXIT_INVALID_FILE, "uses the tag")
    assert invoke(demo, "check", NEW).exit_code == EXIT_INVALID_FILE
    assert not marker.exists()


@pytest.mark.parametrize("file", ["ap-settings.yaml", "calendar.yaml", "providers/larkhill-green.yaml"])
def test_a_billion_laughs_in_any_records_file_is_refused(demo: Path, file: str) -> None:
    (demo / file).write_text(billion_laughs())
    before = snapshot(demo)
    result = invoke(demo, "check")
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    assert f"{file}:1: invalid: uses a YAML alias" in result.stdout
    if file == "ap-settings.yaml":
        refused(invoke(demo, "list"), EXIT_INVALID_FILE, "ap-settings.yaml:1: uses a YAML alias")
    assert snapshot(demo) == before


def test_a_50_mb_case_file_is_refused_by_its_size_without_being_parsed(demo: Path) -> None:
    case_file(demo).write_bytes(b"pupil:\n  name: " + b"x" * 50_000_000 + b"\n")
    started = time.monotonic()
    result = invoke(demo, "show", NEW)
    refused(result, EXIT_INVALID_FILE, f"{NEW}.yaml: the file is 50,000,016 bytes, more than ap reads (5,000,000)")
    assert time.monotonic() - started < 5


def test_a_file_just_under_the_limit_is_read(demo: Path) -> None:
    text = case_file(demo, LEO).read_text()
    padding = "# " + "x" * 98 + "\n"
    case_file(demo, LEO).write_text(text + padding * ((4_900_000 - len(text)) // len(padding)))
    result = invoke(demo, "show", LEO)
    assert result.exit_code == 0, result.output


def test_thousands_of_problems_in_one_file_take_seconds_not_minutes(demo: Path) -> None:
    """Each problem's line used to be found by parsing the whole file again: 4,000 took over two minutes."""
    case_file(demo).write_text("".join(f"field{n}: {n}\n" for n in range(4_000)))
    started = time.monotonic()
    result = invoke(demo, "show", NEW)
    refused(result, EXIT_INVALID_FILE, f"{NEW}.yaml:1: pupil: missing required field 'pupil'")
    assert f"{NEW}.yaml:31: field30: unknown field 'field30'" in result.stderr  # still the right line
    assert time.monotonic() - started < 30


def test_thousands_of_problems_are_listed_as_the_first_few_and_a_count(demo: Path) -> None:
    case_file(demo).write_text("".join(f"field{n}: {n}\n" for n in range(4_000)))
    result = invoke(demo, "show", NEW)
    refused(result, EXIT_INVALID_FILE, "field0")
    assert len(result.stderr.splitlines()) <= 60  # was 4,002 lines, over a megabyte


def test_a_huge_wrong_value_is_not_echoed_whole(demo: Path) -> None:
    case_file(demo).write_text("pupil:\n  name: [" + ", ".join(["Leo"] * 100_000) + "]\n")
    result = invoke(demo, "show", NEW)
    refused(result, EXIT_INVALID_FILE, f"{NEW}.yaml:2: pupil.name: should be text")
    assert len(result.stderr) < 2_000  # was 700 kB on one line


def test_a_provider_id_in_a_case_file_cannot_be_a_path(demo: Path) -> None:
    path = case_file(demo, LEO)
    path.write_text(path.read_text().replace("provider: larkhill-green", "provider: ../../../etc/passwd", 1))
    refused(invoke(demo, "show", LEO), EXIT_INVALID_FILE, f"{LEO}.yaml:", "placements[0].provider")


# --- ids that are paths ------------------------------------------------------------------------------------

BAD_CASE_IDS = [
    "../../etc/passwd",
    f"{LEO}/../../../etc/passwd",
    "..",
    "/etc/passwd",
    f"{LEO}\x00",
    f"{LEO}/",
    f"cases/{LEO}",
    f"{LEO}.yaml",
    f"{LEO}\n{TYLER}",
    "AP-٢٠٢٦-٠٠١",  # Arabic-Indic digits: \d matched them
    " ",
]


@pytest.mark.parametrize("case_id", BAD_CASE_IDS)
def test_a_case_id_that_is_a_path_is_refused_everywhere(demo: Path, case_id: str) -> None:
    before = snapshot(demo)
    for args in (
        ["show", case_id],
        ["attendance", "show", case_id],
        ["review", "due", "--case", case_id],
        ["safeguarding", case_id, "--date", "2026-11-20", "--dsl", "Mr Daniel Okafor", "--reference", "R1"],
        ["edit", case_id],
    ):
        refused(invoke(demo, *args), EXIT_USAGE, "is not a case id")
    assert snapshot(demo) == before


@pytest.mark.parametrize("case_id", ["../../etc/passwd", f"{LEO}\x00"])
def test_a_letter_for_a_case_id_that_is_a_path_is_refused_as_not_a_case_id(demo: Path, case_id: str) -> None:
    """Refused today, but as "--out: None is outside the records folder", and a NUL is a ValueError traceback."""
    before = snapshot(demo)
    refused(invoke(demo, "notice", case_id, "--dry-run"), EXIT_USAGE, "is not a case id")
    refused(invoke(demo, "letter", case_id, "--kind", "review", "--dry-run"), EXIT_USAGE, "is not a case id")
    assert snapshot(demo) == before


BAD_PROVIDER_IDS = ["../x", "x/../../y", "..", ".", "/tmp/x", "x\n", "x\x00", "X", "a" * 64, "ünï", "x.yaml", ""]


@pytest.mark.parametrize("provider_id", BAD_PROVIDER_IDS)
def test_a_provider_id_that_is_a_path_is_refused(demo: Path, tmp_path: Path, provider_id: str) -> None:
    before, around = snapshot(demo), sorted(tmp_path.rglob("*"))
    result = invoke(
        demo,
        "provider",
        "add",
        provider_id,
        *("--name", "N", "--address", "A", "--contact", "C", "--code", "B", "--daily-cost", "10"),
        *("--safeguarding-confirmed", "2026-01-01", "--staff-checks-confirmed", "2026-01-01"),
        *("--session-start", "09:00", "--session-end", "12:00"),
    )
    refused(result, EXIT_USAGE, "is not a provider id")
    assert snapshot(demo) == before
    assert sorted(tmp_path.rglob("*")) == around


def test_a_good_provider_id_is_still_added(demo: Path) -> None:
    result = invoke(
        demo,
        "provider",
        "add",
        "new-provider-2",
        *("--name", "N", "--address", "A", "--contact", "C", "--code", "B", "--daily-cost", "10"),
        *("--safeguarding-confirmed", "2026-01-01", "--staff-checks-confirmed", "2026-01-01"),
        *("--session-start", "09:00", "--session-end", "12:00"),
    )
    assert result.exit_code == 0, result.output
    assert (demo / "providers" / "new-provider-2.yaml").is_file()


# --- output paths the user gives -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", [f"cases/{LEO}.yaml", "cases/report.html", "ap-settings.yaml", "providers/x.html"])
def test_an_html_report_never_lands_on_the_records_folders_own_files(demo: Path, target: str) -> None:
    before = snapshot(demo)
    refused(invoke(demo, "report", "--html", str(demo / target)), EXIT_USAGE, "--html:", "records folder's own files")
    assert snapshot(demo) == before


def test_an_html_report_through_a_link_to_a_case_is_refused(demo: Path, tmp_path: Path) -> None:
    link = tmp_path / "report.html"
    link.symlink_to(case_file(demo, LEO))
    before = snapshot(demo)
    refused(invoke(demo, "report", "--html", str(link)), EXIT_USAGE, "records folder's own files")
    assert snapshot(demo) == before and link.is_symlink()


def test_an_html_report_goes_only_outside_the_records_folder(demo: Path, tmp_path: Path) -> None:
    """Stricter since issue 13 (point 12): anywhere inside the folder it could replace a sent letter or a file git
    relies on (.gitattributes), so a report may go only outside it."""
    before = snapshot(demo)
    refused(invoke(demo, "report", "--html", str(demo / "report.html")), EXIT_USAGE, "--html:", "inside the records")
    assert snapshot(demo) == before
    result = invoke(demo, "report", "--html", str(tmp_path / "report.html"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_letters_never_go_outside_the_records_folder_nor_over_a_case(demo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (demo / "letters" / "link").symlink_to(outside)
    before = snapshot(demo)
    for out in (outside, demo / "letters" / ".." / ".." / "outside", demo / "letters" / "link"):
        refused(invoke(demo, "notice", TYLER, "--out", str(out)), EXIT_USAGE, "outside the records folder")
    refused(invoke(demo, "notice", TYLER, "--out", str(case_file(demo, LEO))), EXIT_USAGE, f"--out: {demo}")
    assert snapshot(demo) == before
    assert list(outside.iterdir()) == []


def test_letters_never_go_into_the_cases_folder(demo: Path) -> None:
    before = snapshot(demo)
    refused(invoke(demo, "notice", TYLER, "--out", str(demo / "cases")), EXIT_USAGE, "records folder's own files")
    assert snapshot(demo) == before


def test_a_calendar_file_never_replaces_a_case(demo: Path) -> None:
    before = snapshot(demo)
    refused(invoke(demo, "review", "due", "--ics", str(case_file(demo, LEO))), EXIT_USAGE, "own files")
    assert snapshot(demo) == before


# --- links in the records folder to files outside it ---------------------------------------------------------


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_a_case_that_is_a_link_to_etc_passwd_is_invalid_and_not_shown(demo: Path) -> None:
    case_file(demo).symlink_to("/etc/passwd")
    result = invoke(demo, "show", NEW)
    refused(result, EXIT_INVALID_FILE, f"{NEW}.yaml")
    assert "root:" not in result.output
    checked = invoke(demo, "check", "--json")
    assert checked.exit_code == EXIT_INVALID_FILE and "root:" not in checked.output


def test_a_case_linked_to_a_file_outside_is_never_written_through(demo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(case_file(demo, LEO).read_bytes())
    original = outside.read_bytes()
    case_file(demo).symlink_to(outside)
    result = invoke(
        demo, "safeguarding", NEW, "--date", "2026-11-20", "--dsl", "Mr Daniel Okafor", "--reference", "CPOMS-1"
    )
    if result.exit_code == 0:  # written: to a file of its own in cases/, never through the link
        assert not case_file(demo).is_symlink() and "CPOMS-1" in case_file(demo).read_text()
    else:
        refused(result, EXIT_INVALID_FILE, f"{NEW}.yaml")
    assert outside.read_bytes() == original


def test_a_case_linked_to_a_file_outside_is_refused(demo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(case_file(demo, LEO).read_bytes())
    case_file(demo).symlink_to(outside)
    refused(invoke(demo, "show", NEW), EXIT_INVALID_FILE, f"{NEW}.yaml", "a link")


def test_a_cases_folder_linked_outside_is_refused(demo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(demo / "cases", elsewhere)
    (demo / "cases").symlink_to(elsewhere)
    before = snapshot(elsewhere)
    refused(invoke(demo, "list"), EXIT_INVALID_FILE, "cases", "a link")
    invoke(demo, "safeguarding", LEO, "--date", "2026-11-20", "--dsl", "Mr Daniel Okafor", "--reference", "R1")
    assert snapshot(elsewhere) == before


def _limited(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.skipif(not Path("/dev/zero").exists() or sys.platform != "linux", reason="needs /dev/zero")
def test_a_provider_file_that_never_ends_is_refused_not_read_forever(demo: Path) -> None:
    (demo / "providers" / "endless.yaml").symlink_to("/dev/zero")
    command = [sys.executable, "-m", "apcli", "--records", str(demo), "--today", "2026-11-27", "provider", "list"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, preexec_fn=lambda: _limited(1500), check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("ap provider list did not finish in 60 s")
    assert done.returncode == EXIT_INVALID_FILE, done.stderr[-2000:]
    assert "endless.yaml" in done.stderr and "Traceback" not in done.stderr


# --- letter templates that try to get out of the sandbox -----------------------------------------------------

TEMPLATE_ATTACKS = {
    "__subclasses__": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "sandbox does not allow"),
    "cycler globals": ("{{ cycler.__init__.__globals__ }}", "sandbox does not allow"),
    "lipsum to os": ("{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}", "sandbox does not allow"),
    "attr filter": ("{{ ''|attr('__class__') }}", "sandbox does not allow"),
    "str.format": ("{{ '{0.__class__.__init__.__globals__}'.format(pupil) }}", "sandbox does not allow"),
    "include /etc/passwd": ("{% include '/etc/passwd' %}", "not found in search paths"),
    "include ..": ("{% include '../../ap-settings.yaml' %}", "could not be rendered"),
    "extends ..": ("{% extends '../../x' %}", "could not be rendered"),
    "import ..": ("{% import '../calendar.yaml' as m %}", "could not be rendered"),
    "a huge range": ("{{ range(10**7)|list|length }}", "could not be rendered (Range too big"),  # was a traceback
    "division by zero": ("{{ 1 / 0 }}", "could not be rendered (division by zero)"),
    "endless recursion": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "could not be rendered"),
    "syntax": ("{% if %}", "notice.txt.j2:1: template error"),
}


@pytest.mark.parametrize("name", list(TEMPLATE_ATTACKS))
def test_a_template_that_tries_to_escape_is_refused_and_nothing_is_sent(demo: Path, tmp_path: Path, name: str) -> None:
    attack, says = TEMPLATE_ATTACKS[name]
    marker = tmp_path / "ran"
    complete = (SHIPPED / "notice.txt.j2").read_text()  # so that only the attack can stop the letter
    (demo / "templates" / "notice.txt.j2").write_text(attack.replace("MARKER", str(marker)) + "\n" + complete)
    before = snapshot(demo)
    result = invoke(demo, "notice", TYLER, "--format", "txt")
    refused(result, EXIT_INVALID_FILE, "notice.txt.j2", says)
    assert "root:" not in result.output and "school:" not in result.output
    assert snapshot(demo) == before  # no letter, and nothing recorded in the case
    assert not marker.exists()


def test_a_template_linked_to_a_file_outside_is_refused(demo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "notice.txt.j2"
    outside.write_text((SHIPPED / "notice.txt.j2").read_text())  # a complete template: it would render
    (demo / "templates" / "notice.txt.j2").symlink_to(outside)
    before = snapshot(demo)
    refused(invoke(demo, "notice", TYLER, "--format", "txt"), EXIT_INVALID_FILE, "notice.txt.j2", "outside the records")
    assert snapshot(demo) == before


def test_a_template_that_includes_a_link_to_outside_is_refused(demo: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("SECRET\n")
    (demo / "templates" / "extra.txt.j2").symlink_to(tmp_path / "secret.txt")
    complete = (SHIPPED / "notice.txt.j2").read_text()
    (demo / "templates" / "notice.txt.j2").write_text("{% include 'extra.txt.j2' %}\n" + complete)
    result = invoke(demo, "notice", TYLER, "--format", "txt", "--dry-run")
    refused(result, EXIT_INVALID_FILE, "extra.txt.j2", "outside the records folder")
    assert "SECRET" not in result.output


def test_a_word_template_linked_outside_or_broken_is_refused(demo: Path, tmp_path: Path) -> None:
    own = demo / "templates" / "notice.docx"
    shutil.copy(SHIPPED / "notice.docx", tmp_path / "notice.docx")
    before = snapshot(demo)
    own.symlink_to(tmp_path / "notice.docx")
    refused(invoke(demo, "notice", TYLER, "--format", "docx"), EXIT_INVALID_FILE, "notice.docx", "outside the records")
    own.unlink()
    own.write_bytes(b"PK\x03\x04 not really a Word document")
    refused(
        invoke(demo, "notice", TYLER, "--format", "docx"), EXIT_INVALID_FILE, "notice.docx", "could not be rendered"
    )
    own.unlink()
    assert snapshot(demo) == before


def test_the_shipped_template_still_gives_the_notice(demo: Path) -> None:
    result = invoke(demo, "notice", TYLER, "--format", "txt", "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["letters"]


def test_a_pupils_name_is_markup_nowhere(demo: Path, tmp_path: Path) -> None:
    path = case_file(demo, TYLER)
    path.write_text(path.read_text().replace("name: Tyler Ward", "name: <script>alert(1)</script> Ward", 1))
    letter = invoke(demo, "notice", TYLER, "--json")
    assert letter.exit_code == 0, letter.output
    html = (demo / as_json(letter)["letters"][0]["file"]).read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ward" in html and "<script>" not in html
    report = tmp_path / "report.html"
    assert invoke(demo, "report", "--html", str(report)).exit_code == 0
    assert "<script>" not in report.read_text()


def test_escape_sequences_in_a_case_never_reach_the_terminal(demo: Path) -> None:
    """A name holding ESC ]0;...BEL or ESC [2J retitles or clears the user's terminal when `ap list` prints it."""
    path = case_file(demo, LEO)
    path.write_text(path.read_text().replace("name: Leo Hartley", 'name: "Leo\\e]0;pwned\\a\\e[2J Hartley"', 1))
    for args in (["show", LEO], ["list"], ["review", "due"]):
        result = invoke(demo, *args)
        assert "\x1b" not in result.output, args  # shown without it, or the file refused naming the field


# --- registers and exports: formulas stay text ---------------------------------------------------------------


def register(tmp_path: Path, text: str | bytes, name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def no_formula_cells(text: str) -> list[list[str]]:
    """The CSV's rows as a spreadsheet reads them (a \\r outside quotes starts a row), none starting a formula."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len({len(row) for row in rows}) == 1, rows  # no row split in two
    for row in rows:
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)
    return rows


def test_formulas_in_a_registers_notes_are_kept_as_text_and_never_exported_as_formulas(
    demo: Path, tmp_path: Path
) -> None:
    days = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(["upn", "date", "session", "mark", "note"])
    writer.writerows([LEO_UPN, day, "AM", "B", note] for day, note in zip(days, FORMULAS, strict=True))
    result = invoke(demo, "attendance", "import", str(register(tmp_path, rows.getvalue())), today=REGISTER_DAY)
    if result.exit_code == 0:
        stored = list(csv.DictReader(io.StringIO((demo / "cases" / f"{LEO}.attendance.csv").read_text())))
        notes = {row["date"]: row["note"] for row in stored}
        assert [notes[day] for day in days] == FORMULAS  # kept exactly, as text
        assert invoke(demo, "attendance", "show", LEO, "--json", today=REGISTER_DAY).exit_code == 0  # reads back
    else:
        refused(result, EXIT_INVALID_FILE, "formula")
    for case_id, formula in zip([LEO, "AP-2026-006"], FORMULAS[::3], strict=True):  # names that are formulas
        path = case_file(demo, case_id)
        name = next(line for line in path.read_text().splitlines() if line.startswith("  name: "))
        path.write_text(path.read_text().replace(name, f'  name: "{formula}"', 1))
    due = invoke(demo, "review", "due", "--csv", today=REGISTER_DAY)
    assert due.exit_code == 0, due.output
    assert f"'{FORMULAS[0]}" in [row[1] for row in no_formula_cells(due.stdout)]
    census = invoke(demo, "export", "census", "--csv", "--term", "Spring 2027", today=REGISTER_DAY)
    assert census.exit_code == 0, census.output
    pupils = [row[2] for row in no_formula_cells(census.stdout)]
    assert f"'{FORMULAS[0]}" in pupils and f"'{FORMULAS[3]}" in pupils


def test_a_carriage_return_in_a_name_cannot_start_a_row_of_an_export(demo: Path) -> None:
    """csv.writer(lineterminator="\\n") quoted a cell holding \\n but not one holding only \\r, so a name
    "Leo\\r=cmd|..." became two rows in Excel, the second starting with a formula. A CR in text is now read as
    a new line, which the writer quotes: one cell on two lines, never a formula."""
    path = case_file(demo, LEO)
    path.write_text(path.read_text().replace("name: Leo Hartley", f'name: "Leo\\r{FORMULAS[0]}"', 1))
    due = invoke(demo, "review", "due", "--csv")
    assert due.exit_code == 0, due.output
    assert f"Leo\n{FORMULAS[0]}" in [row[1] for row in no_formula_cells(due.stdout)]
    census = invoke(demo, "export", "census", "--csv", "--term", "Spring 2027")
    assert census.exit_code == 0, census.output
    assert f"Leo\n{FORMULAS[0]}" in [row[2] for row in no_formula_cells(census.stdout)]


def test_a_line_break_in_a_registers_note_keeps_the_attendance_file_readable(demo: Path, tmp_path: Path) -> None:
    """A note with a carriage return (a spreadsheet cell with a line break) used to be written to the case's
    attendance file unquoted, splitting its line: every later command then found the file invalid."""
    rows = io.StringIO()
    writer = csv.writer(rows)  # \r\n after each row, and a cell holding a line break quoted, as a spreadsheet does
    writer.writerows([["upn", "date", "session", "mark", "note"], [LEO_UPN, "2026-12-01", "AM", "B", "late\r=1+1"]])
    result = invoke(demo, "attendance", "import", str(register(tmp_path, rows.getvalue())), today=REGISTER_DAY)
    assert result.exit_code == 0, result.output
    shown = invoke(demo, "attendance", "show", LEO, "--json", today=REGISTER_DAY)
    assert shown.exit_code == 0, shown.output
    stored = list(csv.reader(io.StringIO((demo / "cases" / f"{LEO}.attendance.csv").read_text(), newline="")))
    assert ["2026-12-01", "B", "", "late\n=1+1"] in stored and all(len(row) == 4 for row in stored)


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","Leo")', "+Leo", "-cmd", "@Leo"])
def test_a_formula_in_a_registers_name_column_stops_the_import(demo: Path, tmp_path: Path, name: str) -> None:
    rows = io.StringIO()
    csv.writer(rows, lineterminator="\n").writerows(
        [["upn", "name", "date", "session", "mark"], [LEO_UPN, name, "2026-12-01", "AM", "B"]]
    )
    before = snapshot(demo)
    result = invoke(demo, "attendance", "import", str(register(tmp_path, rows.getvalue())), today=REGISTER_DAY)
    refused(result, EXIT_INVALID_FILE, "row 2", "is not the name of the pupil")
    assert snapshot(demo) == before


@pytest.mark.parametrize("mark", FORMULAS)
def test_a_formula_for_a_mark_stops_the_import(demo: Path, tmp_path: Path, mark: str) -> None:
    rows = io.StringIO()
    csv.writer(rows, lineterminator="\n").writerows(
        [["upn", "date", "session", "mark"], [LEO_UPN, "2026-12-01", "AM", mark]]
    )
    before = snapshot(demo)
    result = invoke(demo, "attendance", "import", str(register(tmp_path, rows.getvalue())), today=REGISTER_DAY)
    refused(result, EXIT_INVALID_FILE, "row 2, mark")
    assert snapshot(demo) == before


def test_a_case_column_that_is_a_path_matches_no_case(demo: Path, tmp_path: Path) -> None:
    text = "case,date,session,mark\n../../etc/passwd,2026-12-01,AM,B\n/etc/passwd,2026-12-01,PM,B\n"
    result = invoke(demo, "attendance", "import", str(register(tmp_path, text)), today=REGISTER_DAY)
    refused(result, EXIT_INVALID_FILE, "row 2, case '../../etc/passwd': no case has this id", "row 3")


def _xlsx(tmp_path: Path, change: str, how: Callable[[bytes], bytes]) -> Path:
    """A good workbook with one of its parts replaced (`how` maps the part's bytes to new bytes)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["upn", "date", "session", "mark"])
    sheet.append([LEO_UPN, "2026-12-01", "AM", "B"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    path = tmp_path / "register.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, how(data) if item.filename == change else data)
    return path


XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'.encode() for n in range(1, 10)
    )
    + b"]>"
)


@pytest.mark.parametrize(
    ("name", "how", "says"),
    [
        ("a sheet cut short", lambda data: data[: len(data) // 2], "no element found"),
        ("a sheet of garbage", lambda data: b"\x00\x01 garbage", "not well-formed"),
        (
            "a billion laughs in the sheet",
            lambda data: XML_BOMB + data.replace(b"<t>upn</t>", b"<t>&lol9;</t>"),
            "amplification",
        ),
    ],
)
def test_a_broken_or_hostile_xlsx_is_an_invalid_file(
    demo: Path, tmp_path: Path, name: str, how: Callable[[bytes], bytes], says: str
) -> None:
    path = _xlsx(tmp_path, "xl/worksheets/sheet1.xml", how)
    before = snapshot(demo)
    started = time.monotonic()
    result = invoke(demo, "attendance", "import", str(path), today=REGISTER_DAY)
    refused(result, EXIT_INVALID_FILE, "register.xlsx: is not an .xlsx workbook that ap can read", says)
    assert time.monotonic() - started < 10
    assert snapshot(demo) == before


def test_an_xlsx_that_unpacks_to_gigabytes_is_refused_unopened(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb,
        bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(250):
            part.write(b" " * 1_000_000)
    assert path.stat().st_size < 1_000_000
    started = time.monotonic()
    result = invoke(demo, "attendance", "import", str(path), today=REGISTER_DAY)
    refused(result, EXIT_INVALID_FILE, "register.xlsx: unpacks to 250,000,000 bytes")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "holds binary data"),
        (f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,B\x00\n".encode(), "holds binary data"),
        (f"upn\tdate\tsession\tmark\n{LEO_UPN}\t2026-12-01\tAM\tB\n".encode("utf-16"), "UTF-16"),
        (f"upn,date,session,mark,note\n{LEO_UPN},2026-12-01,AM,B,Zoë\n".encode("latin-1"), "not UTF-8"),
        (f"upn,date,session,mark,note\n{LEO_UPN},2026-12-01,AM,B,{'x' * 200_000}\n".encode(), "not valid CSV"),
    ],
    ids=["png", "nul byte", "utf-16", "latin-1", "a 200 kB cell"],
)
def test_a_register_that_is_not_csv_text_is_an_invalid_file(demo: Path, tmp_path: Path, data: bytes, says: str) -> None:
    before = snapshot(demo)
    result = invoke(demo, "attendance", "import", str(register(tmp_path, data)), today=REGISTER_DAY)
    refused(result, EXIT_INVALID_FILE, "register.csv", says)
    assert snapshot(demo) == before


def test_a_register_of_200000_bad_rows_is_refused_listing_a_few(demo: Path, tmp_path: Path) -> None:
    rows = "".join(f"{LEO_UPN},2026-12-0{1 + n % 3},{'AM' if n % 2 else 'PM'},Q{n}\n" for n in range(200_000))
    before = snapshot(demo)
    started = time.monotonic()
    path = register(tmp_path, "upn,date,session,mark\n" + rows)
    result = invoke(demo, "attendance", "import", str(path), today=REGISTER_DAY)
    refused(result, EXIT_INVALID_FILE, "row 2, mark 'Q0'", "... and 199800 more")
    assert len(result.stderr) < 100_000
    assert time.monotonic() - started < 60
    assert snapshot(demo) == before


def test_a_register_over_50_mb_is_refused_by_its_size(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("wb") as stream:
        stream.write(b"upn,date,session,mark,note\n")
        line = f"{LEO_UPN},2026-12-01,AM,B,{'x' * 100}\n".encode()
        stream.write(line * (50_000_001 // len(line) + 1))
    started = time.monotonic()
    refused(invoke(demo, "attendance", "import", str(path)), EXIT_INVALID_FILE, "register.csv: is ", "bytes")
    assert time.monotonic() - started < 5


# --- calendar files -------------------------------------------------------------------------------------------


def test_text_from_a_file_cannot_start_a_new_calendar_event(demo: Path) -> None:
    from apcli.reports.due import DueItem, as_ics

    sneaky = "review\rEND:VEVENT\r\nBEGIN:VEVENT\nSUMMARY:injected\x00\u2028x"
    item = DueItem(LEO, "Leo", "REVIEW-TERMLY", sneaky, dt.date(2026, 12, 1), "due")
    text = as_ics([item], "School\r\nX-INJECTED:1", dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    lines = text.split("\r\n")
    assert "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "") and "\x00" not in text
    assert lines.count("BEGIN:VEVENT") == 1 and not any(line.startswith("X-INJECTED") for line in lines)
    assert "review\\nEND:VEVENT\\nBEGIN:VEVENT\\nSUMMARY:injected\\nx" in text.replace("\r\n ", "")


def test_a_calendar_is_written_where_asked(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "due.ics"
    result = invoke(demo, "review", "due", "--ics", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text().startswith("BEGIN:VCALENDAR")


def test_an_escape_sequence_typed_on_the_command_line_is_refused_and_nothing_recorded(demo: Path) -> None:
    before = snapshot(demo)
    result = invoke(demo, "contact", LEO, "--date", "2026-11-23", "--with", "S", "--summary", "hi\x1b[2J")
    assert result.exit_code == 2
    assert "Nothing was recorded: summary: holds a control character" in result.output
    assert "Traceback" not in result.output and "\x1b" not in result.output
    assert snapshot(demo) == before


def test_a_windows_line_break_in_old_text_is_read_as_a_new_line(demo: Path) -> None:
    path = case_file(demo, LEO)
    path.write_text(path.read_text().replace("name: Leo Hartley", 'name: "Leo\\r\\nHartley"', 1))
    result = invoke(demo, "show", LEO, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["case"]["pupil"]["name"] == "Leo\nHartley"
