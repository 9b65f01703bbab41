"""Issue 13, points 8, 9, 12, 15 and the killed notice: letters from a records folder made by someone else.

A school's templates are code, a case's `file:` is text anyone can edit, and an output path is whatever was
typed. Each test plants the attack on real files in tmp_path, runs ap (in a child with bounded memory where it
could blow up), and shows it refused with a clear message, no traceback, nothing outside touched; and beside
each refusal, what is still allowed.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from apcli.errors import EXIT_INVALID_FILE, EXIT_USAGE
from apcli.letters.sending import unrecorded_letters
from apcli.records.store import Records
from tests.conftest import as_json, invoke, snapshot
from tests.untrusted import MEMORY_LIMIT_MB, Sentinel, no_traceback, run_ap

LEO = "AP-2026-001"
MAISIE = "AP-2026-002"
TYLER = "AP-2026-003"  # commissioned: ready for the notice
SHIPPED = Path(__file__).resolve().parents[1] / "templates"
TYLER_LETTER = f"letters/{TYLER}/notice-2026-11-27-parent-1.html"


def school_template(records: Path, name: str, first_line: str) -> None:
    """The shipped template with `first_line` put before it: complete, so only the attack can stop the letter."""
    (records / "templates" / name).write_text(first_line + "\n" + (SHIPPED / name).read_text())


def stopped(result: subprocess.CompletedProcess[str], code: int, *says: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert no_traceback(result), result.stderr[-3000:]
    for fragment in says:
        assert fragment in result.stderr, (fragment, result.stderr[-2000:])


def ap_child(records: Path, *args: str) -> subprocess.Popen[str]:
    """ap started in the background, with the memory limit run_ap uses."""
    import resource

    def limit() -> None:
        size = MEMORY_LIMIT_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    command = [sys.executable, "-m", "apcli", "--today", "2026-11-27", "--by", "T", "--records", str(records), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit)


def case_data(records: Path, case_id: str) -> dict[str, object]:
    data = yaml.safe_load((records / "cases" / f"{case_id}.yaml").read_text())
    assert isinstance(data, dict)
    return data


# --- point 8: templates that hang or exhaust memory ---------------------------------------------------------------

posix = pytest.mark.skipif(not hasattr(os, "fork"), reason="the time and memory limits need fork (POSIX)")


@posix
def test_point_8_nested_ranges_are_stopped_in_bounded_time(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentinel = Sentinel.make(tmp_path)
    before = snapshot(demo)
    # range(100000) is over the sandbox's range limit: refused at once
    school_template(
        demo, "notice.txt.j2", "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    )
    started = time.monotonic()
    stopped(run_ap(demo, "notice", TYLER, "--format", "txt"), EXIT_INVALID_FILE, "notice.txt.j2", "Range too big")
    assert time.monotonic() - started < 30
    # three loops of 10,000 each are within it, but would run for hours: stopped by the time limit
    loops = "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}{% endfor %}"
    school_template(demo, "notice.txt.j2", loops + "{% endfor %}{% endfor %}")
    monkeypatch.setenv("AP_TEMPLATE_SECONDS", "3")
    started = time.monotonic()
    result = run_ap(demo, "notice", TYLER, "--format", "txt", timeout=60)
    stopped(result, EXIT_INVALID_FILE, "templates/notice.txt.j2", "the template ran for more than 3 seconds")
    assert time.monotonic() - started < 40
    (demo / "templates" / "notice.txt.j2").unlink()
    assert snapshot(demo) == before and sentinel.untouched()  # no letter, nothing recorded
    # the shipped template still gives the notice, within the same limit
    done = run_ap(demo, "notice", TYLER, "--format", "txt", "--json")
    assert done.returncode == 0, done.stderr
    assert (demo / TYLER_LETTER.replace(".html", ".txt")).is_file()


@posix
def test_point_8_the_case_is_not_locked_while_a_template_renders(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}{% endfor %}{% endfor %}"
    school_template(demo, "notice.txt.j2", slow + "{% endfor %}")
    monkeypatch.setenv("AP_TEMPLATE_SECONDS", "12")
    monkeypatch.setenv("AP_LOCK_TIMEOUT", "1")
    notice = ap_child(demo, "notice", TYLER, "--format", "txt")
    try:
        time.sleep(4)  # the notice is rendering by now (ap starts in about a second)
        assert notice.poll() is None
        contact = run_ap(
            demo, "contact", TYLER, "--date", "2026-11-26", "--with", "Sam Turner", "--summary", "Transport arranged"
        )
        assert contact.returncode == 0, contact.stderr  # it did not wait for the notice's lock
        assert notice.poll() is None  # and the notice was still rendering
    finally:
        _, errors = notice.communicate(timeout=60)
    assert notice.returncode == EXIT_INVALID_FILE and "ran for more than 12 seconds" in errors
    assert "Traceback" not in errors
    assert "Transport arranged" in (demo / "cases" / f"{TYLER}.yaml").read_text()
    assert not (demo / "letters" / TYLER).exists() or not list((demo / "letters" / TYLER).iterdir())


@posix
@pytest.mark.parametrize(
    ("attack", "says"),
    [
        ("{{ 'x' * 10**10 }}", "repeats text or a list to more than 1,000,000"),
        ("{{ [1, 2] * 10**9 }}", "repeats text or a list to more than 1,000,000"),
        ("{{ lipsum(n=10**6) }}", "lipsum() may make at most 20 paragraphs"),
        ("{{ 2 ** 100000000 }}", "raises a number to a power"),
        ("{{ '%0999999999d' % 1 }}", "formats a value wider"),
        ("{{ ''|center(1500000000) }}", "needed more than 512 MB of memory"),  # no cap for this: the memory limit
    ],
)
def test_point_8_repetition_is_a_clear_error_not_a_memory_error(
    demo: Path, tmp_path: Path, attack: str, says: str
) -> None:
    sentinel = Sentinel.make(tmp_path)
    school_template(demo, "notice.txt.j2", attack)
    before = snapshot(demo)
    result = run_ap(demo, "notice", TYLER, "--format", "txt")
    stopped(result, EXIT_INVALID_FILE, "templates/notice.txt.j2", says)
    assert "rendered ()" not in result.stderr and "MemoryError" not in result.stderr
    assert snapshot(demo) == before and sentinel.untouched()


def test_point_8_a_letter_of_millions_of_characters_is_refused(demo: Path) -> None:
    school_template(demo, "notice.txt.j2", "{% for i in range(9000) %}{{ 'x' * 900 }}{% endfor %}")
    result = invoke(demo, "notice", TYLER, "--format", "txt")
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    assert "makes more than 2,000,000 characters" in result.stderr


def _zip_bomb(path: Path, megabytes: int = 0, parts: int = 0) -> None:
    """The shipped Word notice with a part that unpacks to `megabytes` MB of zeros, or `parts` empty parts."""
    with zipfile.ZipFile(SHIPPED / "notice.docx") as shipped, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in shipped.infolist():
            out.writestr(item, shipped.read(item))
        if megabytes:
            with out.open("word/media/image9.bin", "w") as stream:
                block = bytes(1024 * 1024)
                for _ in range(megabytes):
                    stream.write(block)
        for number in range(parts):
            out.writestr(f"customXml/part{number}.xml", "")


@posix
@pytest.mark.parametrize(
    ("megabytes", "parts", "says"), [(300, 0, "more than 100 MB"), (0, 5000, "parts, more than 1,000")]
)
def test_point_8_a_docx_zip_bomb_is_refused_before_unpacking(
    demo: Path, tmp_path: Path, megabytes: int, parts: int, says: str
) -> None:
    sentinel = Sentinel.make(tmp_path)
    own = demo / "templates" / "notice.docx"
    _zip_bomb(own, megabytes, parts)
    assert own.stat().st_size < 2_000_000
    before = snapshot(demo)
    started = time.monotonic()
    stopped(run_ap(demo, "notice", TYLER, "--format", "docx"), EXIT_INVALID_FILE, "templates/notice.docx", says)
    assert time.monotonic() - started < 30
    assert snapshot(demo) == before and sentinel.untouched()
    # a school's own Word template of a sensible size still gives the letter
    shutil.copy(SHIPPED / "notice.docx", own)
    done = run_ap(demo, "notice", TYLER, "--format", "docx", "--json")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("fmt", ["html", "txt", "docx"])
@pytest.mark.parametrize("kind", ["notice", "invitation", "review"])
def test_point_8_the_shipped_templates_still_give_every_letter_in_every_format(demo: Path, kind: str, fmt: str) -> None:
    if kind == "notice":
        args = ["notice", TYLER]
    elif kind == "invitation":
        args = ["letter", "AP-2026-005", "--kind", "invitation", "--meeting-date", "2026-12-02"]
        args += ["--meeting-time", "9:30", "--place", "Room 4"]
    else:
        args = ["letter", LEO, "--kind", "review"]
    result = invoke(demo, *args, "--format", fmt, "--json")
    assert result.exit_code == 0, result.output
    for letter in as_json(result)["letters"]:
        path = demo / letter["file"]
        assert path.suffix == f".{fmt}" and stat.S_IMODE(path.stat().st_mode) == 0o600


# --- point 9: a template that is a link to another file in the records folder --------------------------------------


@pytest.mark.parametrize("target", [f"../cases/{LEO}.yaml", "../.git/config", "../ap-settings.yaml"])
def test_point_9_a_template_linked_to_another_file_in_the_records_folder_is_refused(
    demo: Path, tmp_path: Path, target: str
) -> None:
    sentinel = Sentinel.make(tmp_path)
    if not (demo / target[3:]).exists():
        pytest.skip(f"the demo folder has no {target[3:]}")
    (demo / "templates" / "notice.txt.j2").symlink_to(target)
    before = snapshot(demo)
    result = run_ap(demo, "notice", TYLER, "--format", "txt", "--dry-run")
    stopped(result, EXIT_INVALID_FILE, "templates/notice.txt.j2", "a link", "templates/ itself")
    assert "Leo Hartley" not in result.stdout + result.stderr and "[core]" not in result.stdout
    assert snapshot(demo) == before and sentinel.untouched()


def test_point_9_an_include_of_a_link_to_a_case_is_refused(demo: Path) -> None:
    (demo / "templates" / "extra.txt.j2").symlink_to(f"../cases/{LEO}.yaml")
    school_template(demo, "notice.txt.j2", "{% include 'extra.txt.j2' %}")
    result = invoke(demo, "notice", TYLER, "--format", "txt", "--dry-run")
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    assert "extra.txt.j2" in result.stderr and "a link" in result.stderr
    assert "Leo Hartley" not in result.output


def test_point_9_a_templates_folder_that_is_a_link_is_refused(demo: Path, tmp_path: Path) -> None:
    elsewhere = demo / "cases-copy"
    elsewhere.mkdir()
    (elsewhere / "notice.txt.j2").write_text((SHIPPED / "notice.txt.j2").read_text() + "{{ 'PLANTED' }}\n")
    shutil.rmtree(demo / "templates")
    (demo / "templates").symlink_to("cases-copy")
    result = invoke(demo, "notice", TYLER, "--format", "txt", "--dry-run")
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    assert "templates" in result.stderr and "a link" in result.stderr and "PLANTED" not in result.output


def test_point_9_a_real_template_may_include_a_real_file_beside_it(demo: Path) -> None:
    (demo / "templates" / "letterhead.txt.j2").write_text("OUR OWN LETTERHEAD\n")
    school_template(demo, "notice.txt.j2", "{% include 'letterhead.txt.j2' %}")
    result = invoke(demo, "notice", TYLER, "--format", "txt", "--json")
    assert result.exit_code == 0, result.output
    assert "OUR OWN LETTERHEAD" in (demo / as_json(result)["letters"][0]["file"]).read_text()


# --- point 12: output paths -----------------------------------------------------------------------------------------


def test_point_12_a_sent_letter_is_never_replaced_by_another_cases_letter(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    assert invoke(demo, "notice", TYLER).exit_code == 0
    sent = (demo / TYLER_LETTER).read_bytes()
    maisie = demo / "cases" / f"{MAISIE}.yaml"  # the demo has given Maisie's notice: take it back, to give it here
    case = yaml.safe_load(maisie.read_text())
    case["placements"][0]["notices"] = []
    maisie.write_text(yaml.safe_dump(case, sort_keys=False))
    before = snapshot(demo)
    result = invoke(demo, "notice", MAISIE, "--out", str(demo / "letters" / TYLER), "--force")
    assert result.exit_code == EXIT_USAGE, result.output
    assert "recorded as sent" in result.stderr and "--force or not" in result.stderr
    assert (demo / TYLER_LETTER).read_bytes() == sent and snapshot(demo) == before and sentinel.untouched()
    # another folder inside letters/ is where it may go
    drafts = invoke(demo, "notice", MAISIE, "--out", str(demo / "letters" / "drafts"), "--json")
    assert drafts.exit_code == 0, drafts.output
    assert as_json(drafts)["letters"][0]["file"] == "letters/drafts/notice-2026-11-27-parent-1.html"


@pytest.mark.parametrize(
    "target", [TYLER_LETTER, ".gitattributes", ".gitignore", "schema/case.schema.json", "report.html"]
)
def test_point_12_an_html_report_never_lands_inside_the_records_folder(demo: Path, tmp_path: Path, target: str) -> None:
    sentinel = Sentinel.make(tmp_path)
    assert invoke(demo, "notice", TYLER).exit_code == 0
    before = snapshot(demo)
    for option in (["report", "--html"], ["review", "due", "--ics"]):
        result = invoke(demo, *option, str(demo / target))
        assert result.exit_code == EXIT_USAGE, result.output
        assert "records folder" in result.stderr and "Traceback" not in result.output
    assert snapshot(demo) == before and sentinel.untouched()


def test_point_12_a_report_through_a_link_into_the_records_folder_is_refused(demo: Path, tmp_path: Path) -> None:
    assert invoke(demo, "notice", TYLER).exit_code == 0
    link = tmp_path / "report.html"
    link.symlink_to(demo / TYLER_LETTER)
    folder_link = tmp_path / "into"
    folder_link.symlink_to(demo / "letters" / TYLER)
    before = snapshot(demo)
    for path in (link, folder_link / "report.html"):
        result = invoke(demo, "report", "--html", str(path))
        assert result.exit_code == EXIT_USAGE and "records folder" in result.stderr, result.output
    assert snapshot(demo) == before


@pytest.mark.parametrize("out", [".", "schema", "templates", "cases-archive"])
def test_point_12_letters_go_only_inside_letters(demo: Path, out: str) -> None:
    before = snapshot(demo)
    result = invoke(demo, "notice", TYLER, "--out", str(demo / out))
    assert result.exit_code == EXIT_USAGE, result.output
    assert "--out:" in result.stderr and "Traceback" not in result.output
    assert snapshot(demo) == before


def test_point_12_reports_and_calendars_go_outside_and_are_private(demo: Path, tmp_path: Path) -> None:
    html, ics = tmp_path / "report.html", tmp_path / "due.ics"
    for path in (html, ics):
        path.write_text("old")
        path.chmod(0o644)
    assert invoke(demo, "report", "--html", str(html)).exit_code == 0
    assert invoke(demo, "review", "due", "--ics", str(ics)).exit_code == 0
    assert html.read_text().startswith("<!DOCTYPE html>") and ics.read_text().startswith("BEGIN:VCALENDAR")
    for path in (html, ics):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# --- point 15: a letter's file in a case -----------------------------------------------------------------------------


def _point_letter_at(records: Path, file: str) -> None:
    path = records / "cases" / f"{TYLER}.yaml"
    text = path.read_text()
    assert TYLER_LETTER in text
    path.write_text(text.replace(TYLER_LETTER, file))


@pytest.mark.parametrize(
    "file",
    ["/dev/zero", "../../etc/passwd", f"cases/{LEO}.yaml", "letters/../cases/AP-2026-001.yaml", "letters", "C:/x"],
)
def test_point_15_a_letter_file_outside_letters_is_refused(demo: Path, tmp_path: Path, file: str) -> None:
    sentinel = Sentinel.make(tmp_path)
    assert invoke(demo, "notice", TYLER).exit_code == 0
    _point_letter_at(demo, file)
    result = run_ap(demo, "log", TYLER)
    stopped(result, EXIT_INVALID_FILE, f"{TYLER}.yaml", "letters/")
    assert "root:" not in result.stdout and sentinel.untouched()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_point_15_a_letter_inside_letters_that_is_a_link_is_not_read(demo: Path, tmp_path: Path) -> None:
    assert invoke(demo, "notice", TYLER).exit_code == 0
    letter = demo / TYLER_LETTER
    letter.unlink()
    letter.symlink_to("/dev/zero")
    result = run_ap(demo, "log", TYLER)
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert "cannot be checked" in result.stdout and "a link" in result.stdout


def test_point_15_a_letter_as_sent_is_shown_as_such(demo: Path) -> None:
    assert invoke(demo, "notice", TYLER).exit_code == 0
    logged = invoke(demo, "log", TYLER)
    assert logged.exit_code == 0 and TYLER_LETTER in logged.stdout
    assert "CHANGED" not in logged.stdout and "missing" not in logged.stdout
    (demo / TYLER_LETTER).write_text("altered")
    assert "CHANGED after it was sent" in invoke(demo, "log", TYLER).stdout


# --- low: a killed notice's letter ----------------------------------------------------------------------------------


def test_low_killed_notice_leaves_no_unrecorded_letter(demo: Path, tmp_path: Path) -> None:
    folder = demo / "letters" / TYLER
    folder.mkdir(parents=True)
    leftover = folder / "notice-2026-11-27-parent-1.html"
    leftover.write_text("written by an ap notice killed before it saved the case")  # the state kill -9 leaves
    notes = folder / "notes.txt"  # not a name ap gives: never touched
    notes.write_text("the school's own notes")
    outside = tmp_path / "outside.html"
    outside.write_text("keep")
    (folder / "notice-2026-11-20-parent-1.html").symlink_to(outside)  # a link with ap's name: never followed
    records = Records.open(demo)
    assert leftover in unrecorded_letters(records)
    assert notes not in unrecorded_letters(records)
    checked = invoke(demo, "check")
    assert f"letters/{TYLER}/notice-2026-11-27-parent-1.html" in checked.output  # `ap check` says so
    result = invoke(demo, "notice", TYLER, "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["letters"][0]["file"] == TYLER_LETTER  # not -2: the leftover was removed first
    assert "killed" not in (demo / TYLER_LETTER).read_text()
    assert notes.read_text() == "the school's own notes" and outside.read_text() == "keep"
    assert (folder / "notice-2026-11-20-parent-1.html").is_symlink()
    assert unrecorded_letters(Records.open(demo)) == []
    notices = case_data(demo, TYLER)["placements"][0]["notices"]
    assert isinstance(notices, list) and len(notices) == 1


def test_low_a_sent_letter_is_never_taken_for_a_leftover(demo: Path) -> None:
    assert invoke(demo, "notice", TYLER).exit_code == 0
    sent = (demo / TYLER_LETTER).read_bytes()
    assert unrecorded_letters(Records.open(demo)) == []
    again = invoke(demo, "letter", TYLER, "--copy", "2026-11-27", "--format", "txt", today="2026-11-30")
    assert again.exit_code == 0, again.output
    assert (demo / TYLER_LETTER).read_bytes() == sent
    assert unrecorded_letters(Records.open(demo)) == []  # the copy (...-copy.txt) is not a leftover either


def test_low_letters_that_is_a_link_is_never_listed_or_followed(demo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / TYLER).mkdir(parents=True)
    (outside / TYLER / "notice-2026-11-27-parent-1.html").write_text("keep")
    shutil.rmtree(demo / "letters", ignore_errors=True)
    (demo / "letters").symlink_to(outside)
    assert unrecorded_letters(Records.open(demo)) == []
    result = invoke(demo, "notice", TYLER)
    assert result.exit_code == EXIT_INVALID_FILE and "a link" in result.stderr, result.output
    assert (outside / TYLER / "notice-2026-11-27-parent-1.html").read_text() == "keep"
    assert [path.name for path in (outside / TYLER).iterdir()] == ["notice-2026-11-27-parent-1.html"]
