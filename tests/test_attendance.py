"""`ap attendance import` and `show`, `ap contact`, `ap absence`: exact, idempotent, all or nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.conftest import Run, as_json, invoke, snapshot

LEO = "AP-2026-001"  # active, mon-thu from 2026-10-05 to 2026-12-18, marked up to 2026-11-26
LEO_UPN = "L860200025001"
MAISIE = "AP-2026-002"  # notified, tue/thu from 2026-12-01, UPN P207000016049
TODAY = "2026-12-03"


def csv_file(tmp_path: Path, text: str, name: str = "register.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_file(tmp_path: Path, rows: list[list[object]], name: str = "register.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def marks_csv(demo: Path, case_id: str) -> str:
    return (demo / "cases" / f"{case_id}.attendance.csv").read_text()


LONG = (
    "upn,date,session,mark,note\n"
    + "\n".join(
        f"{LEO_UPN},{day},{session},{mark},"
        for day, session, mark in [
            ("2026-11-30", "AM", "present"),
            ("2026-11-30", "PM", "B"),
            ("2026-12-01", "AM", "late"),
            ("2026-12-01", "PM", "ill"),
            ("2026-12-02", "AM", "B"),
            ("2026-12-02", "PM", "absent"),
            ("2026-12-03", "AM", "B"),
            ("2026-12-03", "PM", "B"),
        ]
    )
    + "\n"
)


def test_a_long_csv_register_imports_then_reimports_as_unchanged(ap: Run, demo: Path, tmp_path: Path) -> None:
    path = csv_file(tmp_path, LONG)
    result = ap("attendance", "import", str(path), "--json", today=TODAY)
    assert result.exit_code == 0, result.output
    report = as_json(result)
    assert (report["rows"], report["added"], report["unchanged"], report["replaced"]) == (8, 8, 0, 0)
    assert report["absences"] == 2 and report["cases"] == [LEO] and report["missing"] == {LEO: 0}
    text = marks_csv(demo, LEO)
    assert "2026-11-30,B,B,\n2026-12-01,B,I,\n2026-12-02,B,N,\n2026-12-03,B,B,\n" in text
    before = snapshot(demo)
    again = as_json(ap("attendance", "import", str(path), "--json", today=TODAY))
    assert (again["added"], again["unchanged"], again["replaced"]) == (0, 8, 0)
    assert snapshot(demo) == before  # re-importing the same file adds nothing, not even a log line


def test_a_grid_register_with_bom_and_semicolons(ap: Run, demo: Path, tmp_path: Path) -> None:
    text = "\ufeffcase;name;2026-11-30 AM;2026-11-30 PM;2026-12-01 AM;2026-12-01 PM\nAP-2026-001;Leo Hartley;B;B;N;\n"
    result = ap("attendance", "import", str(csv_file(tmp_path, text)), "--json", today=TODAY)
    assert result.exit_code == 0, result.output
    assert as_json(result)["added"] == 3  # an empty cell is no mark yet
    assert "2026-12-01,N,,\n" in marks_csv(demo, LEO)
    assert as_json(result)["missing"][LEO] == 5  # 1 Dec PM, 2 Dec, 3 Dec still unmarked


def test_xlsx_in_both_layouts(ap: Run, demo: Path, tmp_path: Path) -> None:
    long = xlsx_file(
        tmp_path,
        [
            ["UPN", "Date", "Session", "Mark"],
            [LEO_UPN, dt.datetime(2026, 11, 30), "AM", "B"],
            [LEO_UPN, dt.date(2026, 11, 30), "PM", "present"],
        ],
        "long.xlsx",
    )
    assert as_json(ap("attendance", "import", str(long), "--json", today=TODAY))["added"] == 2
    grid = xlsx_file(tmp_path, [["upn", "2026-12-01 AM", "2026-12-01 PM"], [LEO_UPN, "B", "M"]], "grid.xlsx")
    assert as_json(ap("attendance", "import", str(grid), "--json", today=TODAY))["added"] == 2
    assert "2026-12-01,B,M,\n" in marks_csv(demo, LEO)


def test_several_cases_in_one_register(ap: Run, demo: Path, tmp_path: Path) -> None:
    text = f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,B\nP207000016049,2026-12-01,AM,B\nP207000016049,2026-12-01,PM,I\n"
    report = as_json(ap("attendance", "import", str(csv_file(tmp_path, text)), "--json", today=TODAY))
    assert report["cases"] == [LEO, MAISIE] and report["added"] == 3


def test_a_changed_mark_is_refused_then_replaced_and_logged(ap: Run, demo: Path, tmp_path: Path) -> None:
    text = f"upn,date,session,mark\n{LEO_UPN},2026-11-10,AM,I\n{LEO_UPN},2026-11-10,PM,N\n"  # AM was N
    path = csv_file(tmp_path, text)
    before = snapshot(demo)
    result = ap("attendance", "import", str(path), today=TODAY)
    assert result.exit_code == 1
    assert "AP-2026-001 2026-11-10 AM: N -> I (row 2)" in result.stderr and "--replace" in result.stderr
    assert snapshot(demo) == before
    result = ap("attendance", "import", str(path), "--replace", "--json", today=TODAY)
    assert result.exit_code == 0, result.output
    assert (as_json(result)["replaced"], as_json(result)["unchanged"]) == (1, 1)
    assert "2026-11-10,I,N,\n" in marks_csv(demo, LEO)
    log = (demo / "cases" / f"{LEO}.attendance-log.csv").read_text()
    assert "replaced 2026-11-10 AM: N with I (register.csv row 2)" in log and "Test User" in log


def test_dry_run_reports_and_changes_nothing(ap: Run, demo: Path, tmp_path: Path) -> None:
    before = snapshot(demo)
    result = ap("attendance", "import", str(csv_file(tmp_path, LONG)), "--dry-run", "--json", today=TODAY)
    assert result.exit_code == 0 and as_json(result)["added"] == 8 and as_json(result)["dry_run"] is True
    assert snapshot(demo) == before


def test_one_bad_row_among_several_cases_writes_nothing(ap: Run, demo: Path, tmp_path: Path) -> None:
    text = f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,B\nP207000016049,2026-12-01,AM,Q9\n"
    before = snapshot(demo)
    result = ap("attendance", "import", str(csv_file(tmp_path, text)), "--json", today=TODAY)
    assert result.exit_code == 3
    errors = json.loads(result.stdout)["errors"]
    [error] = errors
    assert (error["row"], error["column"], error["value"]) == (3, "mark", "Q9")
    assert error["message"].startswith("is not an attendance code") and "mark_words" in error["message"]
    assert snapshot(demo) == before


def test_a_failed_write_puts_back_the_cases_already_written(ap: Run, demo: Path, tmp_path: Path) -> None:
    (demo / "cases" / f"{MAISIE}.attendance-log.csv").mkdir()  # the second case's log cannot be written
    before = snapshot(demo)
    text = f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,B\nP207000016049,2026-12-01,AM,B\n"
    result = ap("attendance", "import", str(csv_file(tmp_path, text)), today=TODAY)
    assert result.exit_code != 0
    assert snapshot(demo) == before  # Leo's marks, written first, were put back


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (f"{LEO_UPN},2026-12-01,AM,H", "H is a retired code"),
        (f"{LEO_UPN},2026-12-01,AM,Y", "split into Y1 to Y7"),
        (f"{LEO_UPN},2026-12-01,AM,J", "now J1"),
        (f"{LEO_UPN},2026-12-01,AM,K", "local authority"),
        (f"{LEO_UPN},2026-12-01,AM,D", "marked B, not D"),
        (f"{LEO_UPN},2026-12-01,AM,maybe", "not an attendance code"),
        (f"{LEO_UPN},2026-12-01,EVE,B", "not AM or PM"),
        (f"{LEO_UPN},1 Dec,AM,B", "not a date"),
        (f"{LEO_UPN},2026-11-27,AM,B", "not one of the placement's days"),
        (f"{LEO_UPN},2026-10-27,AM,B", "half-term"),
        (f"{LEO_UPN},2026-10-02,AM,B", "outside the placement"),
        (f"{LEO_UPN},2026-12-07,AM,B", "in the future"),
        ("B801200005999,2026-12-01,AM,B", "no case has this UPN"),
    ],
)
def test_each_bad_cell_is_named_by_row_and_nothing_is_written(
    ap: Run, demo: Path, tmp_path: Path, row: str, says: str
) -> None:
    before = snapshot(demo)
    result = ap(
        "attendance",
        "import",
        str(csv_file(tmp_path, f"upn,date,session,mark\n{LEO_UPN},2026-12-01,PM,B\n{row}\n")),
        today=TODAY,
    )
    assert result.exit_code == 3, result.output
    assert "row 3" in result.stderr and says in result.stderr
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        ("upn,date,session,mark\n", "header but no rows"),
        ("upn,date,session,mark,colour\nX,2026-12-01,AM,B,red\n", "unknown colour"),
        ("upn,date,mark\nX,2026-12-01,B\n", "missing session"),
        ("name,date,session,mark\nLeo,2026-12-01,AM,B\n", "a name alone is never enough"),
        ("upn,notes\nX,hello\n", "not a register ap knows"),
    ],
)
def test_registers_that_cannot_be_read_at_all(ap: Run, demo: Path, tmp_path: Path, text: str, says: str) -> None:
    before = snapshot(demo)
    result = ap("attendance", "import", str(csv_file(tmp_path, text)), today=TODAY)
    assert result.exit_code == 3, result.output
    assert says in result.stderr and "Traceback" not in result.output
    assert snapshot(demo) == before


def test_not_utf8_not_csv_and_two_marks_for_one_session(ap: Run, tmp_path: Path) -> None:
    latin = csv_file(tmp_path, f"upn,date,session,mark,note\n{LEO_UPN},2026-12-01,AM,B,Zoë\n", encoding="latin-1")
    assert "not UTF-8" in ap("attendance", "import", str(latin), today=TODAY).stderr
    binary = tmp_path / "register.pdf"
    binary.write_bytes(b"%PDF-1.4\x00\x01\x02")
    assert "not a CSV or .xlsx" in ap("attendance", "import", str(binary), today=TODAY).stderr
    twice = csv_file(tmp_path, f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,B\n{LEO_UPN},2026-12-01,AM,N\n")
    result = ap("attendance", "import", str(twice), today=TODAY)
    assert result.exit_code == 3 and "marked B in row 2 and N here" in result.stderr
    same = csv_file(tmp_path, f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,B\n{LEO_UPN},2026-12-01,AM,present\n")
    assert as_json(ap("attendance", "import", str(same), "--json", today=TODAY))["added"] == 1


def test_a_formula_or_a_date_typed_mark_in_xlsx(ap: Run, tmp_path: Path) -> None:
    path = xlsx_file(
        tmp_path,
        [
            ["upn", "date", "session", "mark"],
            [LEO_UPN, "2026-12-01", "AM", "=CHAR(66)"],
            [LEO_UPN, "2026-12-01", "PM", dt.datetime(2026, 1, 2)],
        ],
    )
    result = ap("attendance", "import", str(path), today=TODAY)
    assert result.exit_code == 3
    assert "row 2" in result.stderr and "formula" in result.stderr
    assert "row 3" in result.stderr and "is a date, not a mark" in result.stderr


def test_a_broken_xlsx(ap: Run, tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    result = ap("attendance", "import", str(path), today=TODAY)
    assert result.exit_code == 3 and "not an .xlsx workbook" in result.stderr


def test_a_very_large_register_imports(ap: Run, demo: Path, tmp_path: Path) -> None:
    rows = [f"{LEO_UPN},2026-12-0{1 + i % 3},{'AM' if i % 2 else 'PM'},B" for i in range(100_000)]
    path = csv_file(tmp_path, "upn,date,session,mark\n" + "\n".join(rows) + "\n")
    result = ap("attendance", "import", str(path), "--json", today=TODAY)
    assert result.exit_code == 0, result.output[:500]
    assert as_json(result)["rows"] == 100_000 and as_json(result)["added"] == 6


# --- the sums ---


def test_percentages_agree_with_a_hand_computed_example(demo: Path, tmp_path: Path) -> None:
    """Mon 26 Apr to Fri 7 May 2027: 9 school days (3 May is a bank holiday), 18 sessions.
    Illness on Tue 27 (2 sessions, authorised), a planned closure # on Thu 29 (2, not possible),
    late on Wed 5 May (attended), N on Thu 6 PM (unauthorised), Fri 7 not yet marked (2 missing).
    Possible 18 - 2 - 2 = 14; attended 14 - 2 - 1 = 11: 78.6%."""
    from apcli.model.schema import Case, upgrade_case_data
    from apcli.records.store import Records

    records = Records.open(demo)
    case = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    case["placement"] = {
        "provider": "larkhill-green",
        "start": dt.date(2027, 4, 26),
        "end": dt.date(2027, 5, 7),
        "aims": ["x"],
        "report_to": "x",
        "start_time": "09:15",
    }
    case["notices"] = [
        {
            "date": dt.date(2027, 4, 20),
            "method": "hand",
            "start": dt.date(2027, 4, 26),
            "end": dt.date(2027, 5, 7),
            "to": ["Zoe Pennington"],
        }
    ]
    records.save_case("AP-2027-001", Case.model_validate(upgrade_case_data(case)), None)
    days = [
        "2027-04-26",
        "2027-04-27",
        "2027-04-28",
        "2027-04-29",
        "2027-04-30",
        "2027-05-04",
        "2027-05-05",
        "2027-05-06",
    ]
    special = {
        ("2027-04-27", "AM"): "ill",
        ("2027-04-27", "PM"): "I",
        ("2027-04-29", "AM"): "#",
        ("2027-04-29", "PM"): "#",
        ("2027-05-05", "AM"): "late",
        ("2027-05-06", "PM"): "N",
    }
    lines = [f"AP-2027-001,{d},{s},{special.get((d, s), 'present')}" for d in days for s in ("AM", "PM")]
    path = csv_file(tmp_path, "case,date,session,mark\n" + "\n".join(lines) + "\n")
    # a # on a day the school is open stands on the provider's closure (ATT-CLOSURE-CODES)
    closure = ("provider", "closure", "larkhill-green", "--date", "2027-04-29", "--why", "Staff training day")
    assert invoke(demo, *closure, today="2027-04-28").exit_code == 0
    assert invoke(demo, "attendance", "import", str(path), today="2027-05-07").exit_code == 0
    shown = as_json(invoke(demo, "attendance", "show", "AP-2027-001", "--json", today="2027-05-07"))
    assert (shown["possible"], shown["attended"], shown["percent"]) == (14, 11, 78.6)
    assert (shown["authorised"], shown["unauthorised"], shown["not_possible"]) == (2, 1, 2)
    assert shown["missing"] == [{"date": "2027-05-07", "session": "AM"}, {"date": "2027-05-07", "session": "PM"}]
    assert "2027-05-03" not in json.dumps([shown["marks"], shown["missing"]])  # the bank holiday is no session at all


def test_attendance_show_for_people(ap: Run) -> None:
    result = ap("attendance", "show", LEO)
    assert result.exit_code == 0
    assert "91.1%" in result.stdout and "NO FOLLOW-UP YET" in result.stdout and "████" in result.stdout


# --- contact and absence ---


def test_contact_and_absence_follow_up(ap: Run, demo: Path) -> None:
    assert ap("contact", LEO, "--date", "2026-11-27", "--with", "Sam Turner", "--summary", "Week fine").exit_code == 0
    assert (
        ap("absence", LEO, "--date", "2026-11-11", "--session", "pm", "--follow-up", "Rang home: dentist").exit_code
        == 0
    )
    case = yaml.safe_load((demo / "cases" / f"{LEO}.yaml").read_text())
    assert case["provider_contacts"][-1]["summary"] == "Week fine"
    assert case["absences"][-1] == {"date": dt.date(2026, 11, 11), "session": "pm", "follow_up": "Rang home: dentist"}
    assert "NO FOLLOW-UP YET" not in ap("attendance", "show", LEO).stdout
    result = ap("absence", LEO, "--date", "2026-11-12", "--session", "am", "--follow-up", "x")
    assert result.exit_code == 2 and "not an absence" in result.stderr


# --- property: what goes in comes out ---

# No # or Y codes: on a school day they need a closure of the provider (ATT-CLOSURE-CODES, tests/test_codes_figures.py)
VALID = ["B", "I", "M", "N", "O", "G", "U", "C", "E", "R", "present", "ill", "absent", "late"]
SESSIONS = [(d, s) for d in ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"] for s in ("AM", "PM")]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(st.sampled_from(SESSIONS), st.sampled_from(VALID), min_size=1),
    st.booleans(),
    st.sampled_from([",", ";"]),
)
def test_any_valid_register_comes_back_exactly(
    demo: Path, marks: dict[tuple[str, str], str], grid: bool, sep: str
) -> None:
    from apcli.model.schema import DEFAULT_MARK_WORDS

    folder = Path(tempfile.mkdtemp())
    try:
        shutil.copytree(demo, folder / "records")
        records = folder / "records"
        if grid:
            columns = sorted(marks)
            text = (
                sep.join(["upn", *[f"{d} {s}" for d, s in columns]])
                + "\n"
                + sep.join([LEO_UPN, *[marks[c] for c in columns]])
                + "\n"
            )
        else:
            text = f"upn{sep}date{sep}session{sep}mark\n" + "".join(
                f"{LEO_UPN}{sep}{d}{sep}{s}{sep}{m}\n" for (d, s), m in marks.items()
            )
        path = folder / "register.csv"
        path.write_text(text)
        assert invoke(records, "attendance", "import", str(path), today=TODAY).exit_code == 0
        shown = as_json(invoke(records, "attendance", "show", LEO, "--json", today=TODAY))
        got = {(m["date"], m["session"]): m["code"] for m in shown["marks"] if m["date"] >= "2026-11-30"}
        words = {k: ("B" if v == "attended" else v) for k, v in DEFAULT_MARK_WORDS.items()}
        assert got == {key: words.get(mark, mark) for key, mark in marks.items()}
    finally:
        shutil.rmtree(folder)


# --- found in review ---


def test_no_marks_after_the_end_nor_before_the_notice(ap: Run, demo: Path, tmp_path: Path) -> None:
    assert ap("end", LEO, "--date", "2026-11-30", "--outcome", "reintegrated", today=TODAY).exit_code == 0
    text = f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,B\nAP-2026-003,2026-12-07,AM,B\n"
    result = ap("attendance", "import", str(csv_file(tmp_path, text.replace("AP-2026-003", "X"))), today="2026-12-08")
    assert result.exit_code == 3 and "after the placement ended" in result.stderr
    tyler = csv_file(tmp_path, "case,date,session,mark\nAP-2026-003,2026-12-07,AM,B\n", "t.csv")
    result = ap("attendance", "import", str(tyler), today="2026-12-08")
    assert result.exit_code == 3 and "not been given notice" in result.stderr


def test_a_word_for_the_other_provider_code_is_refused(ap: Run, demo: Path, tmp_path: Path) -> None:
    settings = demo / "ap-settings.yaml"
    settings.write_text(settings.read_text().replace("  present: attended\n", "  present: attended\n  here: D\n"))
    result = ap(
        "attendance",
        "import",
        str(csv_file(tmp_path, f"upn,date,session,mark\n{LEO_UPN},2026-12-01,AM,here\n")),
        today=TODAY,
    )
    assert result.exit_code == 3 and "marked B, not D" in result.stderr


def test_notes_are_kept_and_an_xlsx_with_another_name_is_read(ap: Run, demo: Path, tmp_path: Path) -> None:
    path = xlsx_file(
        tmp_path,
        [["upn", "date", "session", "mark", "note"], [LEO_UPN, "2026-12-01", "AM", "N", "Rang: no answer"]],
        "register.xls",
    )
    result = ap("attendance", "import", str(path), today=TODAY)
    assert result.exit_code == 0, result.output
    assert "2026-12-01,N,,Rang: no answer\n" in marks_csv(demo, LEO)


def test_a_name_that_is_not_the_pupils_stops_the_import(ap: Run, demo: Path, tmp_path: Path) -> None:
    text = f"upn,name,2026-12-01 AM\n{LEO_UPN},Maisie Cole,B\n"
    before = snapshot(demo)
    result = ap("attendance", "import", str(csv_file(tmp_path, text)), today=TODAY)
    assert result.exit_code == 3 and "not the name of the pupil in AP-2026-001" in result.stderr
    assert snapshot(demo) == before
    assert (
        ap(
            "attendance",
            "import",
            str(csv_file(tmp_path, f"upn,name,2026-12-01 AM\n{LEO_UPN},HARTLEY Leo,B\n")),
            today=TODAY,
        ).exit_code
        == 0
    )


def test_an_absence_is_followed_up_after_the_end(ap: Run, demo: Path) -> None:
    assert ap("end", LEO, "--date", "2026-11-26", "--outcome", "reintegrated").exit_code == 0
    result = ap("absence", LEO, "--date", "2026-11-11", "--session", "pm", "--follow-up", "Rang home")
    assert result.exit_code == 0, result.output


def test_a_note_added_later_is_kept_beside_the_first(ap: Run, demo: Path, tmp_path: Path) -> None:
    first = csv_file(tmp_path, f"upn,date,session,mark,note\n{LEO_UPN},2026-12-01,AM,N,Rang home\n", "a.csv")
    later = csv_file(tmp_path, f"upn,date,session,mark,note\n{LEO_UPN},2026-12-01,AM,N,GP letter seen\n", "b.csv")
    assert ap("attendance", "import", str(first), today=TODAY).exit_code == 0
    assert ap("attendance", "import", str(later), today=TODAY).exit_code == 0
    assert "2026-12-01,N,,Rang home; GP letter seen\n" in marks_csv(demo, LEO)
    before = snapshot(demo)
    assert ap("attendance", "import", str(later), today=TODAY).exit_code == 0
    assert snapshot(demo) == before  # the same note again changes nothing
