"""Attendance codes and the two figures (issue 15): D and B at the provider and in the school's statutory
register, # and Y1-Y7 only on a provider's recorded closure, X never for a pupil of compulsory school age.

The School Attendance (Pupil Registration) (England) Regulations 2024; DfE, Working together to improve school
attendance (August 2024); Education Act 1996 s8 and the Education (Start of Compulsory School Age) Order 1998.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import as_json, invoke
from tests.test_two_providers import oak_farm

CASE = "AP-2027-001"
TODAY = "2027-05-07"
CLOSURE = (
    "provider",
    "closure",
    "larkhill-green",
    "--date",
    "2027-04-28",
    "--to",
    "2027-04-29",
    "--why",
    "Staff training",
)


def _notice(start: dt.date, end: dt.date) -> dict[str, object]:
    return {"date": dt.date(2027, 4, 20), "method": "hand", "start": start, "end": end, "to": ["Zoe Pennington"]}


def _placement(pid: str, provider: str, weekdays: list[str], **more: object) -> dict[str, object]:
    start, end = dt.date(2027, 4, 26), dt.date(2027, 5, 7)
    return {
        "id": pid,
        "provider": provider,
        "start": start,
        "end": end,
        "weekdays": weekdays,
        "aims": ["Re-engage with learning"],
        "report_to": "Mr Sam Turner",
        "start_time": "09:15",
        "cost": 1000,
        "notices": [_notice(start, end)],
        **more,
    }


@pytest.fixture
def two(demo: Path) -> Path:
    """A fictional pupil (a copy of the demo's Oscar, Year 4) from Mon 26 Apr to Fri 7 May 2027: Mon-Thu at
    Larkhill Green (code B, P1) and Fridays at Oak Farm (code D: dual registered there, P2)."""
    from apcli.model.schema import Case
    from apcli.records.store import Records

    assert invoke(demo, *oak_farm()).exit_code == 0
    records = Records.open(demo)
    case = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    case["placements"] = [
        _placement("P1", "larkhill-green", ["mon", "tue", "wed", "thu"]),
        _placement("P2", "oak-farm", ["fri"], alongside=True),
    ]
    records.save_case(CASE, Case.model_validate(case), None)
    return demo


def register(tmp_path: Path, rows: list[str], name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_text("case,date,session,mark,provider\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# Every mark of the hand-computed example: (date, AM, PM, provider). Thu 29 Apr has none: Larkhill Green is
# closed on Wed 28 and Thu 29 (a closure recorded), so no mark is expected. Mon 3 May is a bank holiday.
EXAMPLE = [
    ("2027-04-26", "B", "B", "larkhill-green"),  # Mon: present
    ("2027-04-27", "I", "I", "larkhill-green"),  # Tue: ill (authorised)
    ("2027-04-28", "#", "#", "larkhill-green"),  # Wed: closed (not a possible session)
    ("2027-04-30", "D", "D", "oak-farm"),  # Fri: at Oak Farm, dual registered
    ("2027-05-04", "B", "O", "larkhill-green"),  # Tue: present; unauthorised in the afternoon
    ("2027-05-05", "N", "B", "larkhill-green"),  # Wed: no reason yet in the morning (unauthorised); present
    ("2027-05-06", "B", "B", "larkhill-green"),  # Thu: present
    ("2027-05-07", "D", "D", "oak-farm"),  # Fri: at Oak Farm
]


def example_rows() -> list[str]:
    return [f"{CASE},{d},{s},{code},{p}" for d, am, pm, p in EXAMPLE for s, code in (("AM", am), ("PM", pm))]


def test_attendance_show_gives_both_figures_of_a_hand_computed_example(two: Path, tmp_path: Path) -> None:
    """16 marks: B 6, D 4, I 2, # 2, O 1, N 1.
    At the provider: possible = 16 - 2 (#) = 14; attended = B 6 + D 4 = 10; 10/14 = 71.4%;
    authorised 2 (I), unauthorised 2 (O, N), not possible 2 (#).
    Statutory (school register): possible = 16 - 2 (#) - 4 (D, counted at Oak Farm) = 10; attended = B 6;
    6/10 = 60%; authorised 2, unauthorised 2, not possible 2, D left out 4.
    Expected sessions: P1 Mon-Thu 26, 27, (28, 29 closed), 4, 5, 6 May = 5 days; P2 Fri 30 Apr, 7 May = 2 days;
    (5 + 2) x 2 = 14 sessions, all marked: nothing missing."""
    assert invoke(two, *CLOSURE, today="2027-04-27").exit_code == 0
    imported = invoke(two, "attendance", "import", str(register(tmp_path, example_rows())), today=TODAY)
    assert imported.exit_code == 0, imported.output
    shown = as_json(invoke(two, "attendance", "show", CASE, "--json", today=TODAY))
    assert (shown["figure"], shown["possible"], shown["attended"], shown["percent"]) == (
        "at the provider",
        14,
        10,
        71.4,
    )
    assert shown["at_provider"] == {
        "label": "at the provider",
        "possible": 14,
        "attended": 10,
        "percent": 71.4,
        "authorised": 2,
        "unauthorised": 2,
        "not_possible": 2,
        "dual_registered": 0,
    }
    assert shown["statutory"] == {
        "label": "statutory (school register)",
        "possible": 10,
        "attended": 6,
        "percent": 60.0,
        "authorised": 2,
        "unauthorised": 2,
        "not_possible": 2,
        "dual_registered": 4,
    }
    assert shown["missing"] == []
    assert shown["closures"] == [
        {"provider": "larkhill-green", "start": "2027-04-28", "end": "2027-04-29", "why": "Staff training"}
    ]
    text = " ".join(invoke(two, "attendance", "show", CASE, today=TODAY).stdout.split())  # as one line
    assert f"{CASE} Oscar Pennington: 71.4% at the provider (10 of 14 possible sessions)" in text
    assert (
        "Statutory (school register): 60% (6 of 10 possible sessions; 4 D session(s) left out, counted by the "
        "school where the pupil is dual registered)." in text
    )
    assert "Closure of larkhill-green: 2027-04-28 to 2027-04-29 (Staff training): no marks expected." in text
    case = " ".join(invoke(two, "show", CASE, today=TODAY).stdout.split())
    assert "2027-04-26 to 2027-05-07: 71.4% attended at the provider, 60% statutory (school register)" in case


def test_report_and_census_name_both_figures_and_count_no_cost_on_a_closure(two: Path, tmp_path: Path) -> None:
    """The report's period is the placement's: P1 (Larkhill Green, £85 a day) has 7 Mon-Thu school days, 2 of
    them closed: 5 days commissioned, 5 x £85 = £425 by the daily rate; P2 (Oak Farm, £70) 2 days, £140."""
    assert invoke(two, *CLOSURE, today="2027-04-27").exit_code == 0
    assert invoke(two, "attendance", "import", str(register(tmp_path, example_rows())), today=TODAY).exit_code == 0
    report = as_json(invoke(two, "report", "--from", "2027-04-26", "--to", "2027-05-07", "--json", today=TODAY))
    pupil = next(p for p in report["pupils"] if p["case"] == CASE)
    assert (pupil["possible"], pupil["attended"], pupil["percent"], pupil["figure"]) == (
        14,
        10,
        71.4,
        "at the provider",
    )
    assert (pupil["statutory"]["possible"], pupil["statutory"]["attended"], pupil["statutory"]["percent"]) == (
        10,
        6,
        60.0,
    )
    parts = [
        (
            p["placement"],
            p["days_commissioned"],
            p["sessions_commissioned"],
            p["cost_by_rate"],
            p["statutory"]["attended"],
        )
        for p in pupil["placements"]
    ]
    assert parts == [("P1", 5, 10, "425.00", 6), ("P2", 2, 4, "140.00", 0)]
    # the agreement's £1000 for P1 is for its 7 planned days: 5 of them counted, 1000 x 5/7 = 714.29
    assert pupil["placements"][0]["cost_in_period"] == "714.29"
    total = report["total"]
    assert (total["possible"], total["attended"], total["statutory"]["possible"], total["statutory"]["attended"]) == (
        14,
        10,
        10,
        6,
    )
    text = invoke(two, "report", "--from", "2027-04-26", "--to", "2027-05-07", today=TODAY).stdout
    assert "% at provider" in text and "% statutory (school register)" in text and "60 (6/10)" in text
    html = tmp_path / "report.html"
    assert (
        invoke(two, "report", "--from", "2027-04-26", "--to", "2027-05-07", "--html", str(html), today=TODAY).exit_code
        == 0
    )
    page = html.read_text()
    assert "<th>% at provider</th>" in page and "<th>attended/possible statutory (school register)</th>" in page
    assert "<td class=n>6/10</td><td class=n>60%</td>" in page
    census = as_json(invoke(two, "export", "census", "--term", "Summer 2027", "--json", today=TODAY))
    rows = [r for r in census["placements"] if r["case"] == CASE]
    keys = ("placement", "register_code", "possible_at_provider", "attended_at_provider", "possible_statutory",
            "attended_statutory")  # fmt: skip
    # P1: 12 marks, 2 of them # (not possible): 10 possible, B 6 attended, the same in both figures.
    # P2: D 4: 4 of 4 at the provider; none in the statutory figure (they count at Oak Farm).
    assert [tuple(r[k] for k in keys) for r in rows] == [("P1", "B", 10, 6, 10, 6), ("P2", "D", 4, 4, 0, 0)]
    assert census["labels"]["possible_statutory"].startswith("possible sessions in the collection period, statutory")
    assert census["labels"]["sessions_per_week"] == "sessions a week at the provider (its weekdays x sessions a day)"
    table = " ".join(invoke(two, "export", "census", "--term", "Summer 2027", today=TODAY).stdout.split())
    assert (
        "at provider, statutory: sessions attended/possible in the collection period, at the provider (its "
        "register) and statutory (school register: D sessions left out" in table
    )


# --- # and Y1-Y7 need a closure (ATT-CLOSURE-CODES) ---


def test_a_hash_on_a_school_day_without_a_closure_is_refused(two: Path, tmp_path: Path) -> None:
    rows = [f"{CASE},2027-04-28,AM,#,larkhill-green", f"{CASE},2027-04-29,PM,Y4,larkhill-green"]
    result = invoke(two, "attendance", "import", str(register(tmp_path, rows)), today=TODAY)
    assert result.exit_code == 3
    errors = result.stderr.replace("\n", " ")
    assert (
        "row 2, mark '#': # (planned school closure) on 2027-04-28, a school day, needs a closure of "
        "larkhill-green recorded for that day (ATT-CLOSURE-CODES): record it with `ap provider closure "
        "larkhill-green --date 2027-04-28 --why TEXT` (add --to D for several days)" in errors
    )
    assert "row 3, mark 'Y4': Y4 (whole school closed) on 2027-04-29" in errors
    assert not (two / "cases" / f"{CASE}.attendance.csv").exists()


def test_a_hash_or_y_code_on_a_recorded_closure_is_taken(two: Path, tmp_path: Path) -> None:
    assert invoke(two, *CLOSURE, today="2027-04-27").exit_code == 0
    rows = [f"{CASE},2027-04-28,AM,#,larkhill-green", f"{CASE},2027-04-29,PM,Y4,larkhill-green"]
    result = invoke(two, "attendance", "import", str(register(tmp_path, rows)), "--json", today=TODAY)
    assert result.exit_code == 0, result.output
    assert (two / "cases" / f"{CASE}.attendance.csv").read_text() == (
        "date,am,pm,note\n2027-04-28,#,,\n2027-04-29,,Y4,\n"
    )


def test_a_present_mark_on_a_recorded_closure_is_refused(two: Path, tmp_path: Path) -> None:
    assert invoke(two, *CLOSURE, today="2027-04-27").exit_code == 0
    result = invoke(
        two, "attendance", "import", str(register(tmp_path, [f"{CASE},2027-04-29,AM,B,larkhill-green"])), today=TODAY
    )
    assert result.exit_code == 3
    assert (
        "row 2, mark 'B': larkhill-green is recorded as closed on 2027-04-29 (closure 2027-04-28 to 2027-04-29: "
        "Staff training), so no session was held there (ATT-CLOSURE-CODES)" in result.stderr.replace("\n", " ")
    )


def test_a_closure_at_one_provider_leaves_the_other_s_marks_alone(two: Path, tmp_path: Path) -> None:
    """Oak Farm is open on Friday 30 April: a # there needs Oak Farm's own closure."""
    assert invoke(two, *CLOSURE, today="2027-04-27").exit_code == 0
    result = invoke(
        two, "attendance", "import", str(register(tmp_path, [f"{CASE},2027-04-30,AM,#,oak-farm"])), today=TODAY
    )
    assert result.exit_code == 3 and "needs a closure of oak-farm recorded for that day" in result.stderr.replace(
        "\n", " "
    )


def test_review_due_lists_a_hash_recorded_without_a_closure_until_the_closure_is_recorded(two: Path) -> None:
    """Marks written another way than the import (the file edited by hand) are checked by ATT-CLOSURE-CODES."""
    (two / "cases" / f"{CASE}.attendance.csv").write_text("date,am,pm,note\n2027-04-28,#,#,\n", encoding="utf-8")
    due = as_json(invoke(two, "review", "due", "--json", today="2027-04-28"))
    found = [i for i in due if i["case"] == CASE and i["rule"] == "ATT-CLOSURE-CODES"]
    assert [i["what"] for i in found] == [
        "2027-04-28 AM is marked #: # (planned school closure) on 2027-04-28, a school day, needs a closure of "
        "larkhill-green recorded for that day",
        "2027-04-28 PM is marked #: # (planned school closure) on 2027-04-28, a school day, needs a closure of "
        "larkhill-green recorded for that day",
    ]
    assert invoke(two, *CLOSURE, today="2027-04-28").exit_code == 0
    due = as_json(invoke(two, "review", "due", "--json", today="2027-04-28"))
    assert [i for i in due if i["case"] == CASE and i["rule"] == "ATT-CLOSURE-CODES"] == []


def test_a_closure_day_expects_no_mark(two: Path) -> None:
    """Mon 26 to Thu 29 April at Larkhill Green: 4 days, 8 sessions without marks; closed on 28 and 29, 4."""
    before = as_json(invoke(two, "attendance", "show", CASE, "--json", today="2027-04-29"))
    assert len(before["missing"]) == 8
    assert invoke(two, *CLOSURE, today="2027-04-29").exit_code == 0
    after = as_json(invoke(two, "attendance", "show", CASE, "--json", today="2027-04-29"))
    assert after["missing"] == [
        {"date": "2027-04-26", "session": "AM"},
        {"date": "2027-04-26", "session": "PM"},
        {"date": "2027-04-27", "session": "AM"},
        {"date": "2027-04-27", "session": "PM"},
    ]


# --- ap provider closure ---


def test_provider_closure_writes_the_provider_file_keeping_its_comments(demo: Path) -> None:
    path = demo / "providers" / "larkhill-green.yaml"
    before = path.read_text()
    result = invoke(demo, "provider", "closure", "larkhill-green", "--date", "2026-12-07", "--why", "Burst pipe")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("larkhill-green closed 2026-12-07 (1 school day(s)): no marks expected")
    assert path.read_text() == before + "closures:\n  - start: 2026-12-07\n    end: 2026-12-07\n    why: Burst pipe\n"
    listed = as_json(invoke(demo, "provider", "list", "--json"))
    assert listed["larkhill-green"]["closures"] == [{"start": "2026-12-07", "end": "2026-12-07", "why": "Burst pipe"}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "2026-12-08", "--to", "2026-12-07"), "--to 2026-12-07 is before --date 2026-12-08."),
        (("--date", "2026-12-12", "--to", "2026-12-13"), "2026-12-12 to 2026-12-13 holds no school day"),
        (("--date", "2026-12-07", "--why", " "), "--why: say why the provider is closed"),
    ],
)
def test_provider_closure_refuses_what_is_not_a_closure(demo: Path, args: tuple[str, ...], message: str) -> None:
    why = () if "--why" in args else ("--why", "Training")
    result = invoke(demo, "provider", "closure", "larkhill-green", *args, *why)
    assert result.exit_code == 2 and message in result.stderr.replace("\n", " ")
    assert "closures" not in (demo / "providers" / "larkhill-green.yaml").read_text()


def test_provider_closure_refuses_an_overlap_and_an_unknown_provider(demo: Path) -> None:
    first = ("provider", "closure", "larkhill-green", "--date", "2026-12-07", "--to", "2026-12-08", "--why", "Training")
    assert invoke(demo, *first).exit_code == 0
    again = invoke(demo, "provider", "closure", "larkhill-green", "--date", "2026-12-08", "--why", "Other")
    assert again.exit_code == 2
    assert (
        "larkhill-green already has a closure from 2026-12-07 to 2026-12-08 (Training), which overlaps "
        "2026-12-08 to 2026-12-08" in again.stderr.replace("\n", " ")
    )
    unknown = invoke(demo, "provider", "closure", "nowhere", "--date", "2026-12-08", "--why", "Other")
    assert unknown.exit_code == 2 and "'nowhere' is not a provider in the register" in unknown.stderr


# --- X: not of compulsory school age (ATT-CODE-X) ---


@pytest.fixture
def young(demo: Path) -> Path:
    """A fictional Reception pupil born 15 January 2022: five on 15 January 2027, of compulsory school age from
    the next prescribed day, 31 March 2027. At Larkhill Green every weekday in March and April 2027."""
    from apcli.model.schema import Case
    from apcli.records.store import Records

    records = Records.open(demo)
    case = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    case["pupil"] = {**case["pupil"], "name": "Poppy Example", "dob": dt.date(2022, 1, 15), "year": "R", "upn": None}
    start, end = dt.date(2027, 3, 1), dt.date(2027, 4, 30)
    case["placements"] = [
        {**_placement("P1", "larkhill-green", ["mon", "tue", "wed", "thu", "fri"]), "start": start, "end": end,
         "notices": [{**_notice(start, end), "date": dt.date(2027, 2, 22)}]}
    ]  # fmt: skip
    records.save_case(CASE, Case.model_validate(case), None)
    return demo


def test_x_for_a_pupil_of_compulsory_school_age_is_refused_with_its_row_and_cell(young: Path, tmp_path: Path) -> None:
    path = tmp_path / "grid.csv"
    path.write_text(f"case,2027-03-25 AM,2027-04-12 PM\n{CASE},X,X\n", encoding="utf-8")
    result = invoke(young, "attendance", "import", str(path), today="2027-04-30")
    assert result.exit_code == 3
    errors = result.stderr.replace("\n", " ")
    assert (
        "row 2, 2027-04-12 PM 'X': X is for a pupil not of compulsory school age, and AP-2027-001's pupil (born "
        "2022-01-15) has been of compulsory school age since 2027-03-31 (ATT-CODE-X)" in errors
    )
    assert "2027-03-25 AM" not in errors  # before 31 March the pupil was not of compulsory school age


def test_x_before_compulsory_school_age_is_taken(young: Path, tmp_path: Path) -> None:
    path = tmp_path / "grid.csv"
    path.write_text(f"case,2027-03-25 AM\n{CASE},X\n", encoding="utf-8")
    result = invoke(young, "attendance", "import", str(path), today="2027-04-30")
    assert result.exit_code == 0, result.output
    shown = as_json(invoke(young, "attendance", "show", CASE, "--json", today="2027-04-30"))
    assert shown["marks"] == [{"date": "2027-03-25", "session": "AM", "code": "X"}]
    assert (shown["not_possible"], shown["statutory"]["not_possible"]) == (1, 1)


def test_review_due_lists_an_x_recorded_for_a_pupil_of_compulsory_school_age(young: Path) -> None:
    (young / "cases" / f"{CASE}.attendance.csv").write_text(
        "date,am,pm,note\n2027-03-25,X,,\n2027-04-12,X,,\n", encoding="utf-8"
    )
    due = as_json(invoke(young, "review", "due", "--json", today="2027-04-30"))
    assert [i["what"] for i in due if i["case"] == CASE and i["rule"] == "ATT-CODE-X"] == [
        "2027-04-12 AM is marked X (not of compulsory school age), but the pupil has been of compulsory school "
        "age since 2027-03-31: correct the mark"
    ]


@pytest.mark.parametrize(
    ("dob", "day", "since"),
    [
        ("2022-01-15", "2027-03-30", None),  # five on 15 Jan 2027: from 31 March
        ("2022-01-15", "2027-03-31", "2027-03-31"),
        ("2021-08-31", "2026-08-31", "2026-08-31"),  # five on a prescribed day: from that day
        ("2021-09-01", "2026-12-30", None),  # five on 1 Sept 2026: from 31 December
        ("2021-09-01", "2026-12-31", "2026-12-31"),
        ("2016-09-03", "2026-11-27", "2021-12-31"),  # Year 5 in 2026/27
        ("2010-10-01", "2027-06-25", "2015-12-31"),  # 16 on 1 Oct 2026: until the last Friday in June 2027
        ("2010-10-01", "2027-06-26", None),
    ],
)
def test_compulsory_school_age(dob: str, day: str, since: str | None) -> None:
    from apcli.model.attendance import compulsory_school_age

    found = compulsory_school_age(dt.date.fromisoformat(dob), dt.date.fromisoformat(day))
    assert (found.isoformat() if found else None) == since


def test_rules_lists_the_code_rules_with_their_sources(demo: Path) -> None:
    rules = {r["id"]: r for r in as_json(invoke(demo, "rules", "--json"))}
    assert rules["ATT-CLOSURE-CODES"]["source"].startswith(
        "The School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208); DfE, Working "
        "together to improve school attendance (August 2024)"
    )
    assert "Education (Start of Compulsory School Age) Order 1998" in rules["ATT-CODE-X"]["source"]
