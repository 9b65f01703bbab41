"""The end of Key Stage 2 (PLACE-KEY-STAGE-2) and the move to secondary school (TRANSITION-KS3, `ap transition`),
through the CLI on the demo's Tyler Ward: born 2016-06-30, Year 6 in 2026/27, whose summer term ends on
Tuesday 20 July 2027 and whose spring term starts on Monday 4 January 2027."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from apcli.model.calendar import SchoolCalendar
from apcli.model.dates import year6_school_year
from apcli.model.schema import CalendarFile
from apcli.records.store import Records
from tests.conftest import Run, as_json, snapshot

TYLER = "AP-2026-003"  # commissioned, not notified: `ap placement` records his placement again
RUBY = "AP-2026-004"  # Year 2
D = dt.date


def placement(end: str) -> list[str]:
    return [
        "placement",
        TYLER,
        "--provider",
        "larkhill-green",
        "--start",
        "2026-12-09",
        "--end",
        end,
        "--weekdays",
        "mon,wed,fri",
        "--aims",
        "Practical learning before transition",
        "--agreement",
        "LG-2026-021",
        "--agreement-signed",
        "2026-11-24",
        "--cost",
        "3060.00",
        "--approved-by",
        "send-hub",
        "--approved-on",
        "2026-11-24",
        "--english-maths",
        "Each morning at the provider",
        "--reintegration",
        "Back in class for the last week of term",
        "--la-informed",
        "2026-11-25",
    ]


def tyler(demo: Path) -> dict[str, object]:
    data = yaml.safe_load((demo / "cases" / f"{TYLER}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def failed_rules(result: object) -> list[str]:
    text: str = result.stderr  # type: ignore[attr-defined]
    return [line.split(" ")[0] for line in text.splitlines() if line and not line.startswith((" ", "Refused"))]


# --- the year group ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "year", "out_of_year_group", "year6"),
    [
        (D(2016, 6, 30), 6, False, 2026),  # Tyler: Year 6 in 2026/27
        (D(2016, 8, 31), 6, False, 2026),  # the youngest of that year
        (D(2016, 9, 1), 5, False, 2027),  # a day younger: a year later
        (D(2016, 9, 1), 6, False, 2027),  # the stated year is not trusted unless stated out of year group
        (D(2016, 9, 1), 6, True, 2026),  # taught a year ahead, as the referral states
        (D(2020, 1, 15), "R", True, 2032),  # kept in Reception
    ],
)
def test_the_school_year_of_year_6(dob: dt.date, year: int | str, out_of_year_group: bool, year6: int) -> None:
    assert year6_school_year(dob, year, out_of_year_group, D(2026, 11, 9)) == year6


# --- PLACE-KEY-STAGE-2 -------------------------------------------------------------------------------------------


def test_a_year_6_placement_running_into_september_is_refused(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap(*placement("2027-09-10"))
    assert result.exit_code == 1, result.output
    assert failed_rules(result) == ["PLACE-KEY-STAGE-2"]
    assert (
        "PLACE-KEY-STAGE-2 (must): the placement runs to 2027-09-10, after the end of Key Stage 2: the pupil's "
        "Year 6 ends with the summer term (Summer 2027) on 2027-07-20, and then the pupil moves to secondary school"
    ) in result.stderr
    assert "To supply it: end it on or before 2027-07-20 (--end 2027-07-20 or earlier)" in result.stderr
    assert '"a personalised curriculum for students at KS1 and KS2;' in result.stderr
    assert snapshot(demo) == before


def test_the_day_after_the_summer_term_is_refused_and_its_last_day_allowed(ap: Run, demo: Path) -> None:
    refused = ap(*placement("2027-07-21"))
    assert refused.exit_code == 1, refused.output
    assert failed_rules(refused) == ["PLACE-KEY-STAGE-2"]
    allowed = ap(*placement("2027-07-20"))
    assert allowed.exit_code == 0, allowed.output
    placements = Records.open(demo).load_case(TYLER).case.placements
    assert [(p.id, p.start, p.end) for p in placements] == [("P1", D(2026, 12, 9), D(2027, 7, 20))]
    assert ap("check", TYLER).exit_code == 0


def test_ap_check_reports_a_case_file_that_runs_past_year_6(ap: Run, demo: Path) -> None:
    path = demo / "cases" / f"{TYLER}.yaml"
    path.write_text(path.read_text().replace("end: 2027-03-19", "end: 2027-09-10"))
    result = ap("check", TYLER, "--json")
    assert result.exit_code == 1, result.output
    found = [(f["rule"], f["severity"], f["line"]) for f in as_json(result)["findings"]]
    end_line = path.read_text().splitlines().index("    end: 2027-09-10") + 1
    assert found == [("PLACE-KEY-STAGE-2", "error", end_line)]


SPRING_ONLY = """terms:
  - name: Autumn 2026
    start: 2026-09-02
    end: 2026-12-18
    half_term: {start: 2026-10-26, end: 2026-10-30}
  - name: Spring 2027
    start: 2027-01-04
    end: 2027-03-25
    half_term: {start: 2027-02-15, end: 2027-02-19}
closures:
  - 2027-01-04
"""


def test_without_the_summer_term_in_the_calendar_a_last_day_past_it_is_refused_until_it_is_added(
    ap: Run, demo: Path
) -> None:
    calendar = demo / "calendar.yaml"
    full = calendar.read_text()
    calendar.write_text(SPRING_ONLY)
    refused = ap(*placement("2027-05-14"))
    assert refused.exit_code == 1, refused.output
    assert failed_rules(refused) == ["PLACE-KEY-STAGE-2"]
    assert (
        "the placement runs to 2027-05-14, in the pupil's Year 6 (2026/27), but calendar.yaml does not hold the "
        "summer term of 2026/27, so whether it ends before Key Stage 2 does cannot be judged"
    ) in refused.stderr
    assert "To supply it: add the terms of 2026/27 to calendar.yaml" in refused.stderr
    september = ap(*placement("2027-09-10"))  # Year 7 whatever the calendar says
    assert failed_rules(september) == ["PLACE-KEY-STAGE-2"]
    assert "so on 2027-09-10 they are in Year 7, at secondary school" in september.stderr
    assert ap(*placement("2027-03-19")).exit_code == 0  # within the spring term the calendar holds
    calendar.write_text(full)
    assert ap(*placement("2027-05-14")).exit_code == 0


# --- TRANSITION-KS3 and ap transition -----------------------------------------------------------------------------


def due(ap: Run, today: str, case_id: str = TYLER) -> list[tuple[str, str, str, str]]:
    items = as_json(ap("review", "due", "--case", case_id, "--json", today=today))
    return [(item["due"], item["rule"], item["state"], item["what"]) for item in items]


TRANSITION_ITEM = "Year 6: tell the receiving secondary school and record the handover (ap transition)"
NOTICE_LATE = (
    "2026-12-03",
    "NOTICE-ASAP",
    "overdue",
    "the last date to give notice for a start on 2026-12-07 has passed: move the start (ap placement ... --start), "
    "then give notice (ap notice)",
)


def test_the_transition_is_due_from_the_first_day_of_the_spring_term_of_year_6(ap: Run) -> None:
    assert due(ap, "2027-01-03") == [NOTICE_LATE]
    assert due(ap, "2027-01-04") == [NOTICE_LATE, ("2027-04-12", "TRANSITION-KS3", "due", TRANSITION_ITEM)]
    assert due(ap, "2027-04-12")[-1] == ("2027-04-12", "TRANSITION-KS3", "due", TRANSITION_ITEM)
    assert due(ap, "2027-04-13")[-1] == ("2027-04-12", "TRANSITION-KS3", "overdue", TRANSITION_ITEM)
    assert [item[1] for item in due(ap, "2027-01-04", RUBY)] == []  # Year 2: no transition


def test_without_the_summer_term_in_the_calendar_the_transition_is_due_by_1_april(ap: Run, demo: Path) -> None:
    (demo / "calendar.yaml").write_text(SPRING_ONLY)
    assert due(ap, "2027-01-04")[-1] == (
        "2027-04-01",
        "TRANSITION-KS3",
        "due",
        f"{TRANSITION_ITEM}; calendar.yaml does not hold the summer term of 2026/27, so it is due by 2027-04-01",
    )


def test_ap_transition_records_the_handover_and_clears_the_item(ap: Run, demo: Path) -> None:
    result = ap(
        "transition",
        TYLER,
        "--school",
        "Exampleton High School",
        "--date",
        "2027-03-10",
        "--handover",
        "Call with the Year 7 SENCo; AP plan and attendance sent",
        today="2027-03-10",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{TYLER}: transition recorded. Status: ")
    data = tyler(demo)
    assert data["transition"] == {
        "school": "Exampleton High School",
        "date": D(2027, 3, 10),
        "handover": "Call with the Year 7 SENCo; AP plan and attendance sent",
    }
    history = data["history"]
    assert isinstance(history, list)
    assert (str(history[-1]["date"]), history[-1]["what"]) == (
        "2027-03-10",
        "transition to secondary school recorded: Exampleton High School, told on 2027-03-10",
    )
    assert [item[1] for item in due(ap, "2027-03-10")] == ["NOTICE-ASAP"]
    assert [item[1] for item in due(ap, "2027-05-03")] == ["NOTICE-ASAP"]


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2027-03-11", "--date: 2027-03-11 is after today (2027-03-10); record things once they have happened."),
        ("2026-11-08", "--date: 2026-11-08 is before the referral (2026-11-09)."),
    ],
)
def test_ap_transition_refuses_a_date_in_the_future_or_before_the_referral(
    ap: Run, demo: Path, date: str, message: str
) -> None:
    before = snapshot(demo)
    result = ap(
        "transition",
        TYLER,
        "--school",
        "Exampleton High",
        "--date",
        date,
        "--handover",
        "Plan sent",
        today="2027-03-10",
    )
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert snapshot(demo) == before


def test_ap_transition_refuses_a_pupil_not_yet_in_year_6(ap: Run, demo: Path) -> None:
    result = ap(
        "transition", RUBY, "--school", "Exampleton High", "--date", "2027-03-10", "--handover", "x", today="2027-03-10"
    )
    assert result.exit_code == 2, result.output
    assert (
        "--date: on 2027-03-10 the pupil is not yet in Year 6 (their Year 6 is 2030/31); the move to secondary "
        "school is recorded in Year 6."
    ) in result.stderr


def test_ap_rules_lists_the_new_rules(ap: Run) -> None:
    rules = {rule["id"]: rule for rule in as_json(ap("rules", "--json"))}
    assert [
        (rules[i]["kind"], rules[i]["gates"], rules[i]["implemented"]) for i in ("PLACE-KEY-STAGE-2", "TRANSITION-KS3")
    ] == [
        ("must", "ap placement, ap change, ap notice", True),
        ("due", "ap review due", True),
    ]
    assert "KS1 and KS2" in rules["PLACE-KEY-STAGE-2"]["words"]
    assert "transition to high school" in rules["PLACE-KEY-STAGE-2"]["words"]
    assert rules["TRANSITION-KS3"]["words"] == "practical skills that lead to successful transition to high school"


def calendar_of(text: str) -> SchoolCalendar:
    return SchoolCalendar(CalendarFile.model_validate(yaml.safe_load(text)))


SUMMER_ONLY = """terms:
  - {name: Summer 2027, start: 2027-04-12, end: 2027-07-20}
"""


def test_the_spring_and_summer_terms_of_a_school_year(demo: Path) -> None:
    full = calendar_of((demo / "calendar.yaml").read_text())
    spring, summer = full.spring_term(2026), full.summer_term(2026)
    assert (spring.name if spring else None, summer.name if summer else None) == ("Spring 2027", "Summer 2027")
    assert summer is not None and full.first_school_day_of(summer) == D(2027, 4, 12)
    assert spring is not None and full.first_school_day_of(spring) == D(2027, 1, 5)  # 4 January is INSET
    assert (full.spring_term(2027), full.summer_term(2027)) == (None, None)  # 2027/28 is not in the demo calendar
    assert calendar_of(SPRING_ONLY).summer_term(2026) is None
    only_summer = calendar_of(SUMMER_ONLY)
    summer_only = only_summer.summer_term(2026)
    assert (only_summer.spring_term(2026), summer_only.name if summer_only else None) == (None, "Summer 2027")


def test_an_ended_year_6_case_still_owes_the_transition_until_ap_transition(ap: Run) -> None:
    assert ap("notice", TYLER, today="2026-11-27").exit_code == 0
    ended = ap("end", TYLER, "--date", "2027-02-12", "--outcome", "reintegrated", today="2027-02-12")
    assert ended.exit_code == 0, ended.output
    assert [(item[0], item[1], item[2]) for item in due(ap, "2027-02-15")] == [
        ("2026-12-14", "ATT-ACCURATE", "overdue"),  # no register was imported: owed after the end too
        ("2026-12-18", "REVIEW-TERMLY", "overdue"),
        ("2027-02-12", "REVIEW-TERMLY", "overdue"),
        ("2027-04-12", "TRANSITION-KS3", "due"),
    ]
    recorded = ap(
        "transition",
        TYLER,
        "--school",
        "Exampleton High",
        "--date",
        "2027-02-15",
        "--handover",
        "x",
        today="2027-02-15",
    )
    assert recorded.exit_code == 0, recorded.output
    assert [item[1] for item in due(ap, "2027-02-15")] == ["ATT-ACCURATE", "REVIEW-TERMLY", "REVIEW-TERMLY"]


def test_a_second_transition_record_replaces_the_first_and_the_history_keeps_both(ap: Run, demo: Path) -> None:
    for school, date in (("Exampleton High", "2027-03-01"), ("Sampleford Academy", "2027-03-08")):
        args = ("transition", TYLER, "--school", school, "--date", date, "--handover", "Plan sent")
        assert ap(*args, today="2027-03-08").exit_code == 0
    data = tyler(demo)
    assert data["transition"] == {"school": "Sampleford Academy", "date": D(2027, 3, 8), "handover": "Plan sent"}
    history = data["history"]
    assert isinstance(history, list)
    assert [entry["what"] for entry in history[-2:]] == [
        "transition to secondary school recorded: Exampleton High, told on 2027-03-01",
        "transition to secondary school recorded: Sampleford Academy, told on 2027-03-08 "
        "(replacing: Exampleton High, told on 2027-03-01)",
    ]
