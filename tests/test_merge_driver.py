"""`ap merge-driver`: two clones that changed the same case merge field by field; a true conflict stays one.

The merges are made by real git in tmp_path, with the driver configured as each clone needs it. Until
apcli/cli/app.py imports apcli.cli.gitmerge, git runs the driver through a two-line script that imports it
first (this module does not import it, so the command list the other tests see is unchanged).
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from apcli.records.merge import Conflict, csv_records, kind_of, merge_data, merge_file, records_root
from tests.conftest import invoke

ATTRIBUTES = "cases/*.yaml merge=ap\ncases/*.attendance.csv merge=ap\ncases/*.attendance-log.csv merge=ap\n"
CASE = "cases/AP-2026-001.yaml"
MARKS = "cases/AP-2026-001.attendance.csv"
LOG = "cases/AP-2026-001.attendance-log.csv"
DRIVER_SCRIPT = (
    "import apcli.cli.gitmerge  # noqa: F401  (registers the command)\nfrom apcli.cli.app import main\n\nmain()\n"
)
# git isolated from the machine's and the user's configuration, which these tests never read or change
GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, env=GIT_ENV, check=False)
    if check:
        assert result.returncode == 0, f"git {' '.join(args)}: {result.stdout}{result.stderr}"
    return result


def commit_all(folder: Path, message: str) -> None:
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)


def merge_from(ours: Path, theirs: Path) -> subprocess.CompletedProcess[str]:
    """`git pull` of their main branch into ours, as a person would after the other clone pushed."""
    git(ours, "fetch", "-q", str(theirs), "main")
    return git(ours, "merge", "--no-edit", "FETCH_HEAD", check=False)


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of a demo records folder, each with the merge driver configured."""
    origin = tmp_path / "origin"
    result = invoke(None, "init", str(origin), "--demo")
    assert result.exit_code == 0, result.output
    (origin / ".gitattributes").write_text(ATTRIBUTES)
    commit_all(origin, "demo school")
    git(origin, "branch", "-M", "main")
    script = tmp_path / "ap_driver.py"
    script.write_text(DRIVER_SCRIPT)
    driver = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} merge-driver %O %A %B %P"
    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        git(tmp_path, "clone", "-q", str(origin), str(folder))
        git(folder, "config", "merge.ap.driver", driver)
        git(folder, "config", "merge.ap.name", "ap: case and attendance files field by field")
        folders.append(folder)
    return folders[0], folders[1]


def register(tmp_path: Path, name: str, *rows: str) -> str:
    path = tmp_path / name
    path.write_text("case,date,session,mark\n" + "".join(f"AP-2026-001,{row}\n" for row in rows))
    return str(path)


def ok(folder: Path, *args: str) -> None:
    result = invoke(folder, *args)
    assert result.exit_code == 0, result.output


def no_markers(folder: Path) -> None:
    for path in (folder / "cases").iterdir():
        assert "<<<<<<<" not in path.read_text(), path


# --- real git, two clones ---------------------------------------------------------------------


def test_attendance_in_one_clone_and_a_contact_in_the_other_merge_cleanly(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    a, b = clones
    ok(a, "contact", "AP-2026-001", "--date", "2026-11-23", "--with", "Sam Turner", "--summary", "Call about the week")
    ok(a, "attendance", "import", register(tmp_path, "a.csv", "2026-11-25,PM,I"), "--replace")
    commit_all(a, "contact and a mark")
    ok(b, "attendance", "import", register(tmp_path, "b.csv", "2026-11-24,AM,N", "2026-11-24,PM,N"), "--replace")
    ok(b, "absence", "AP-2026-001", "--date", "2026-11-24", "--session", "am", "--follow-up", "Provider rang home")
    commit_all(b, "marks and a follow-up")

    merged = merge_from(a, b)

    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "conflict" not in (merged.stdout + merged.stderr).lower()
    no_markers(a)
    case = (a / CASE).read_text()
    assert "summary: Call about the week" in case and "follow_up: Provider rang home" in case
    assert "contact with the provider on 2026-11-23 (Sam Turner)" in case  # both history entries
    assert case.count("what: follow-up of the absence on 2026-11-24 AM (N)") == 1 and case.startswith(
        "# yaml-language-server"
    )
    marks = (a / MARKS).read_text()
    assert "2026-11-24,N,N,\n2026-11-25,B,I,\n" in marks  # neighbouring lines: git's line merge would conflict
    log = (a / LOG).read_text().splitlines()
    assert log[0] == "date,at,by,what" and log.count("date,at,by,what") == 1
    assert sum("from a.csv" in line for line in log) == 1 and sum("from b.csv" in line for line in log) == 1
    assert len(log) == 1 + 2 + 3  # the header, a's import (1 mark) and b's (2 marks): a line each and one per mark
    assert git(a, "status", "--porcelain").stdout == ""
    check = invoke(a, "check")
    assert check.exit_code == 0, check.output


def test_the_same_mark_changed_to_two_codes_is_a_conflict_naming_the_day_and_session(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    a, b = clones
    ok(a, "attendance", "import", register(tmp_path, "a.csv", "2026-11-24,AM,N", "2026-11-26,PM,N"), "--replace")
    commit_all(a, "a's marks")
    ok(b, "attendance", "import", register(tmp_path, "b.csv", "2026-11-24,AM,I", "2026-11-17,PM,N"), "--replace")
    commit_all(b, "b's marks")

    merged = merge_from(a, b)

    assert merged.returncode != 0
    assert f"{MARKS}: conflict in 2026-11-24 AM: ours N, theirs I (was B)" in merged.stderr
    assert "2026-11-26" not in merged.stderr and "2026-11-17" not in merged.stderr  # only the true conflict
    marks = (a / MARKS).read_text()
    assert "<<<<<<< ours" in marks and "=======" in marks and ">>>>>>> theirs" in marks
    assert MARKS in git(a, "diff", "--name-only", "--diff-filter=U").stdout
    assert LOG not in git(a, "diff", "--name-only", "--diff-filter=U").stdout  # the log merged, both sides' lines
    assert "<<<<<<<" not in (a / LOG).read_text()


def test_the_same_field_set_to_two_values_is_a_conflict_naming_the_field(clones: tuple[Path, Path]) -> None:
    a, b = clones
    for folder, end in ((a, "2027-01-29"), (b, "2027-02-05")):
        case = folder / CASE
        case.write_text(
            case.read_text().replace("    end: 2027-02-12\n    weekdays:", f"    end: {end}\n    weekdays:")
        )
        ok(folder, "contact", "AP-2026-001", "--date", "2026-11-23", "--with", "Sam Turner", "--summary", folder.name)
        commit_all(folder, f"end {end}")

    merged = merge_from(a, b)

    assert merged.returncode != 0
    assert (
        f"{CASE}: conflict in placements.P1.end: ours 2027-01-29, theirs 2027-02-05 (was 2027-02-12)" in merged.stderr
    )
    assert "history" not in merged.stderr and "provider_contacts" not in merged.stderr  # those merged
    case = (a / CASE).read_text()
    assert "<<<<<<< ours" in case and ">>>>>>> theirs" in case
    assert CASE in git(a, "diff", "--name-only", "--diff-filter=U").stdout


def test_the_driver_runs_from_a_records_folder_inside_a_larger_repository(tmp_path: Path) -> None:
    """%P is `records/cases/...` when the records folder is a folder of the repository."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    result = invoke(None, "init", str(repo / "records"), "--demo")
    assert result.exit_code == 0, result.output
    (repo / "records" / ".gitattributes").write_text(ATTRIBUTES)
    script = tmp_path / "ap_driver.py"
    script.write_text(DRIVER_SCRIPT)
    git(
        repo,
        "config",
        "merge.ap.driver",
        f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} merge-driver %O %A %B %P",
    )
    commit_all(repo, "demo")
    git(repo, "branch", "-M", "main")
    git(repo, "switch", "-q", "-c", "other")
    ok(repo / "records", "contact", "AP-2026-001", "--date", "2026-11-23", "--with", "Sam Turner", "--summary", "Other")
    commit_all(repo, "other")
    git(repo, "switch", "-q", "main")
    ok(repo / "records", "contact", "AP-2026-001", "--date", "2026-11-24", "--with", "Sam Turner", "--summary", "Main")
    commit_all(repo, "main")

    merged = git(repo, "merge", "--no-edit", "other", check=False)

    assert merged.returncode == 0, merged.stdout + merged.stderr
    case = (repo / "records" / CASE).read_text()
    assert "summary: Main" in case and "summary: Other" in case
    assert case.index("summary: Main") < case.index("summary: Other")  # ours first, then theirs
    assert invoke(repo / "records", "check").exit_code == 0


# --- merge_file on small files ----------------------------------------------------------------

BASE_CASE = """\
# yaml-language-server: $schema=../schema/case.schema.json
pupil:
  name: Leo Hartley
  dob: 2017-03-14
  year: 5
referral:
  date: 2026-09-28
  by: Mrs Jo Patel
  reasons:
    - exclusion-risk
    - respite
  rationale: Two suspensions this term.
history:
  - date: 2026-09-28
    by: Mrs Jo Patel
    what: referral opened
"""


def history(what: str) -> str:
    return f"  - date: 2026-11-27\n    by: Test User\n    what: {what}\n"


def run_merge(tmp_path: Path, base: str, ours: str, theirs: str, name: str = CASE) -> tuple[list[Conflict], str]:
    paths = []
    for label, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        path = tmp_path / f"{label}.tmp"
        path.write_text(text)
        paths.append(path)
    conflicts = merge_file(paths[0], paths[1], paths[2], name)
    return conflicts, paths[1].read_text()


def test_both_sides_append_to_a_list_base_then_ours_then_theirs(tmp_path: Path) -> None:
    ours = BASE_CASE + history("ours added this")
    theirs = BASE_CASE + history("theirs added this")
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == []
    assert text == BASE_CASE + history("ours added this") + history("theirs added this")


def test_an_item_both_sides_appended_is_kept_once(tmp_path: Path) -> None:
    ours = BASE_CASE + history("the same") + history("ours only")
    theirs = BASE_CASE + history("the same")
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == [] and text == ours


def test_a_field_changed_on_one_side_and_a_list_appended_on_the_other(tmp_path: Path) -> None:
    ours = BASE_CASE.replace("Two suspensions this term.", "Three suspensions this term.")
    theirs = BASE_CASE + history("theirs added this")
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == []
    assert text == ours + history("theirs added this")


def test_the_same_scalar_changed_two_ways_is_a_conflict_with_markers(tmp_path: Path) -> None:
    ours = BASE_CASE.replace("Two suspensions this term.", "Ours.") + history("ours")
    theirs = BASE_CASE.replace("Two suspensions this term.", "Theirs.") + history("theirs")
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == [
        Conflict("referral.rationale", "ours 'Ours.', theirs 'Theirs.' (was 'Two suspensions this term.')")
    ]
    assert str(conflicts[0]).startswith("conflict in referral.rationale: ")
    assert "<<<<<<< ours" in text and "  rationale: Ours." in text and "  rationale: Theirs." in text


def test_a_key_one_side_deletes_and_the_other_leaves_is_deleted(tmp_path: Path) -> None:
    ours = BASE_CASE.replace("  rationale: Two suspensions this term.\n", "")
    theirs = BASE_CASE + history("theirs")
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == [] and text == ours + history("theirs")


def test_a_key_one_side_deletes_and_the_other_changes_is_a_conflict(tmp_path: Path) -> None:
    ours = BASE_CASE.replace("  year: 5\n", "")
    theirs = BASE_CASE.replace("  year: 5\n", "  year: 6\n")
    conflicts, _ = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == [Conflict("pupil.year", "ours removed it, theirs 6 (was 5)")]


def test_a_list_changed_otherwise_on_both_sides_is_a_conflict_even_where_lines_merge(tmp_path: Path) -> None:
    """git's line merge finds nothing to conflict here, so both whole files are left between markers."""
    ours = BASE_CASE.replace("    - exclusion-risk\n", "    - attendance\n")
    theirs = BASE_CASE.replace("    - respite\n", "    - respite\n    - curriculum-needs\n")
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert [c.field for c in conflicts] == ["referral.reasons"]
    assert text == f"<<<<<<< ours\n{ours}=======\n{theirs}>>>>>>> theirs\n"


def test_a_merge_that_would_make_an_invalid_case_is_a_conflict_naming_the_field(tmp_path: Path) -> None:
    base = BASE_CASE.replace(
        "history:\n", "placement:\n  provider: larkhill-green\n  start: 2026-10-05\n  end: 2026-12-18\nhistory:\n"
    )
    ours = base.replace("start: 2026-10-05", "start: 2026-12-01")  # each side valid; together, ends before it starts
    theirs = base.replace("end: 2026-12-18", "end: 2026-11-20")
    conflicts, text = run_merge(tmp_path, base, ours, theirs)
    assert [str(c) for c in conflicts] == [
        "conflict in placement: the merged case is not valid: "
        "the placement ends before it starts: its end should be on or after its start"
    ]
    assert "<<<<<<<" in text


def test_comments_in_our_file_survive_a_clean_merge(tmp_path: Path) -> None:
    ours = BASE_CASE.replace("  year: 5\n", "  year: 5  # moved up in September\n").replace(
        "history:\n", "# Every change, oldest first.\nhistory:\n"
    )
    theirs = BASE_CASE.replace("  rationale: Two suspensions this term.", "  rationale: Three.") + history("theirs")
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == []
    assert "  year: 5  # moved up in September\n" in text and "# Every change, oldest first.\nhistory:\n" in text
    assert "  rationale: Three.\n" in text and text.endswith(history("theirs"))


def test_when_ours_already_holds_their_change_our_text_is_kept_as_it_is(tmp_path: Path) -> None:
    theirs = BASE_CASE + history("both")
    ours = theirs.replace(
        "    - exclusion-risk\n    - respite\n", "  - exclusion-risk\n  - respite\n"
    )  # not house style
    conflicts, text = run_merge(tmp_path, BASE_CASE, ours, theirs)
    assert conflicts == [] and text == ours


def test_a_case_both_sides_added_merges_from_an_empty_base(tmp_path: Path) -> None:
    conflicts, text = run_merge(tmp_path, "", BASE_CASE + history("ours"), BASE_CASE + history("theirs"))
    assert conflicts == [] and text == BASE_CASE + history("ours") + history("theirs")


MARKS_BASE = "date,am,pm,note\n2026-10-13,B,B,\n2026-10-14,B,B,\n"


def test_marks_merge_by_day_and_session(tmp_path: Path) -> None:
    ours = MARKS_BASE.replace("2026-10-14,B,B,", "2026-10-14,B,N,") + "2026-10-15,B,B,\n"
    theirs = MARKS_BASE.replace("2026-10-14,B,B,", "2026-10-14,I,B,rang home") + "2026-10-19,B,,\n"
    conflicts, text = run_merge(tmp_path, MARKS_BASE, ours, theirs, MARKS)
    assert conflicts == []
    assert text == "date,am,pm,note\n2026-10-13,B,B,\n2026-10-14,I,N,rang home\n2026-10-15,B,B,\n2026-10-19,B,,\n"


def test_the_same_mark_changed_two_ways_names_the_day_and_session(tmp_path: Path) -> None:
    ours = MARKS_BASE.replace("2026-10-14,B,B,", "2026-10-14,L,B,")
    theirs = MARKS_BASE.replace("2026-10-14,B,B,", "2026-10-14,N,B,")
    conflicts, text = run_merge(tmp_path, MARKS_BASE, ours, theirs, MARKS)
    assert [str(c) for c in conflicts] == ["conflict in 2026-10-14 AM: ours L, theirs N (was B)"]
    assert "<<<<<<< ours\n2026-10-14,L,B,\n=======\n2026-10-14,N,B,\n>>>>>>> theirs\n" in text


def test_a_mark_added_on_both_sides_differently_is_a_conflict(tmp_path: Path) -> None:
    ours = MARKS_BASE + "2026-10-15,B,,\n"
    theirs = MARKS_BASE + "2026-10-15,N,,\n"
    conflicts, _ = run_merge(tmp_path, MARKS_BASE, ours, theirs, MARKS)
    assert [str(c) for c in conflicts] == ["conflict in 2026-10-15 AM: ours B, theirs N (was no mark)"]


def test_the_log_keeps_every_line_of_both_sides(tmp_path: Path) -> None:
    base = "date,at,by,what\n2026-11-01,t0,X,first\n"
    ours = base + '2026-11-02,t1,A,"ours, with a comma"\n'
    theirs = base + "2026-11-02,t2,B,theirs\n"
    conflicts, text = run_merge(tmp_path, base, ours, theirs, LOG)
    assert conflicts == [] and text == ours + "2026-11-02,t2,B,theirs\n"
    rewritten = "date,at,by,what\n2026-11-02,t2,B,theirs\n"  # a side that lost a line: the union, never a conflict
    conflicts, text = run_merge(tmp_path, base, ours, rewritten, LOG)
    assert conflicts == [] and text == ours + "2026-11-02,t2,B,theirs\n"
    conflicts, text = run_merge(tmp_path, "", ours, theirs, LOG)  # added on both sides: one header
    assert conflicts == [] and text == ours + "2026-11-02,t2,B,theirs\n"


def test_other_files_merge_line_by_line(tmp_path: Path) -> None:
    base = "one\ntwo\nthree\nfour\nfive\n"
    conflicts, text = run_merge(tmp_path, base, base.replace("one", "ONE"), base.replace("five", "FIVE"), "notes.txt")
    assert conflicts == [] and text == "ONE\ntwo\nthree\nfour\nFIVE\n"
    conflicts, text = run_merge(tmp_path, base, base.replace("one", "1"), base.replace("one", "uno"), "notes.txt")
    assert len(conflicts) == 1 and "<<<<<<< ours\n1\n=======\nuno\n>>>>>>> theirs\n" in text
    conflicts, text = run_merge(tmp_path, "a\0b", "a\0ours", "a\0theirs", "photo.bin")  # as git does: ours kept
    assert [c.field for c in conflicts] == ["the file"] and text == "a\0ours"


def test_a_version_ap_cannot_read_merges_line_by_line(tmp_path: Path) -> None:
    broken = BASE_CASE.replace("pupil:\n", "pupil: [\n")
    conflicts, text = run_merge(tmp_path, BASE_CASE, broken, BASE_CASE + history("theirs"))
    assert conflicts == [] and text == broken + history("theirs")


def test_the_helpers() -> None:
    assert kind_of("cases/AP-2026-001.yaml") == kind_of("records/cases/AP-2026-001.yaml") == "case"
    assert kind_of("cases/AP-2026-001.attendance.csv") == "marks"
    assert kind_of("cases/AP-2026-001.attendance-log.csv") == "log"
    assert kind_of("providers/x.yaml") == kind_of("ap-settings.yaml") == kind_of("cases/notes.yaml") == "text"
    assert records_root("cases/AP-2026-001.yaml", Path("/r")) == Path("/r")
    assert records_root("school/records/cases/AP-2026-001.yaml", Path("/r")) == Path("/r/school/records")
    assert csv_records('a,b\n1,"two\nlines"\n\n3,x\n') == ["a,b", '1,"two\nlines"', "3,x"]
    merged, conflicts = merge_data({"a": [{"n": 1}], "b": True}, {"a": [{"n": 1}, {"n": 2}], "b": 1},
                                   {"a": [{"n": 1}, {"n": 3}], "b": True})  # fmt: skip
    assert merged == {"a": [{"n": 1}, {"n": 2}, {"n": 3}], "b": 1} and conflicts == []  # `true` is not `1`


def test_a_list_of_values_changed_two_ways_is_a_conflict_not_a_union() -> None:
    """Weekdays [tue, thu]: ours adds fri, theirs mon. Joined, the pupil would be expected on four days."""
    _, conflicts = merge_data({"weekdays": ["tue", "thu"]}, {"weekdays": ["tue", "thu", "fri"]},
                              {"weekdays": ["tue", "thu", "mon"]})  # fmt: skip
    assert [c.field for c in conflicts] == ["weekdays"]
    _, missing_base = merge_data({}, {"weekdays": ["tue", "thu"]}, {"weekdays": ["mon", "wed"]})
    assert [c.field for c in missing_base] == ["weekdays"]


OLD_PLACEMENT = "placement:\n  provider: larkhill-green\n  start: 2026-10-05\n  end: 2026-12-18\nhistory:\n"
NEW_PLACEMENT = (
    "placements:\n  - id: P1\n    provider: larkhill-green\n    start: 2026-10-05\n    end: {end}\n{rest}history:\n"
)
NOTICE = (
    "    notices:\n      - date: 2026-09-30\n        method: hand\n        start: 2026-10-05\n        end: 2026-12-18\n"
)


def test_placements_merge_by_id_a_notice_on_one_side_and_an_older_shape_on_the_other(tmp_path: Path) -> None:
    base = BASE_CASE.replace("history:\n", OLD_PLACEMENT)  # never rewritten since placements became a list
    ours = BASE_CASE.replace("history:\n", NEW_PLACEMENT.format(end="2026-12-18", rest=NOTICE))
    theirs = base.replace("end: 2026-12-18", "end: 2027-02-12")
    conflicts, text = run_merge(tmp_path, base, ours, theirs)
    assert conflicts == []
    (placement,) = yaml.safe_load(text)["placements"]
    assert placement["end"] == dt.date(2027, 2, 12) and placement["notices"][0]["date"] == dt.date(2026, 9, 30)
