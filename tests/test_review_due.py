"""`ap review due` over a whole school year, and the commands that clear what it lists."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from apcli.model.attendance import expected_sessions
from apcli.policy.duties import DUTIES_AFTER_THE_END
from apcli.records.store import Records
from tests.conftest import Run, as_json, invoke, snapshot

C = "AP-2026-011"


class Scenario:
    """A pupil at the provider on Mondays and Tuesdays from 14 September 2026 to 13 July 2027."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.absent: set[str] = set()

    def ap(self, today: str, *args: str) -> str:
        result = invoke(self.root, *args, today=today)
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    def due(self, today: str) -> list[tuple[str, str, str]]:
        items = json.loads(self.ap(today, "review", "due", "--case", C, "--json"))
        return [(item["due"], item["rule"], item["state"]) for item in items]

    def keep_up(self, today: str, absent: tuple[str, ...] = ()) -> None:
        """Import a mark for every session so far (N on absent days) and log a contact in each week."""
        self.absent.update(absent)
        records = Records.open(self.root)
        case = records.load_case(C).case
        until = dt.date.fromisoformat(today)
        rows = [
            f"{C},{d},{s.upper()},{'N' if str(d) in self.absent else 'B'}"
            for d, s in expected_sessions(records.calendar, case.placements[0], until)
        ]
        register = self.root.parent / "register.csv"
        register.write_text("case,date,session,mark\n" + "\n".join(rows) + "\n")
        self.ap(today, "attendance", "import", str(register))
        contacts = {c.date for c in case.provider_contacts}
        monday = case.placements[0].start
        while monday <= until:
            week = [d for d in records.calendar.school_days_between(monday, monday + dt.timedelta(days=4))]
            if week and not any(monday <= c <= monday + dt.timedelta(days=6) for c in contacts):
                when = min(monday + dt.timedelta(days=1), until)
                self.ap(today, "contact", C, "--date", str(when), "--with", "Sam Turner", "--summary", "Weekly call")
            monday += dt.timedelta(days=7)

    def targets_and_measures(self, meeting: str, measured: str, today: str) -> None:
        self.ap(today, "meeting", C, "--kind", "targets", "--date", meeting, "--present", "Sam Turner (provider)",
                "--present", "Ann Scenario (parent)")  # fmt: skip
        # the meeting reviews a target (a measure on its date): it counts only then
        self.ap(today, "measure", C, "--measure", "behaviour", "--value", "1", "--date", meeting)
        self.ap(today, "measure", C, "--measure", "behaviour", "--value", "1", "--date", measured)
        self.ap(today, "measure", C, "--measure", "sas-reading", "--value", "91", "--date", measured, "--test", "NGRT")


@pytest.fixture
def year(demo: Path) -> Scenario:
    s = Scenario(demo)
    s.ap(
        "2026-09-07",
        "refer",
        "--name",
        "Noah Scenario",
        "--dob",
        "2018-05-01",
        "--year",
        "4",
        "--reason",
        "respite",
        "--rationale",
        "Respite",
        "--send-hub",
        "2026-09-03",
        "--managed-move",
        "not-suitable",
        "--managed-move-why",
        "x",
        "--parent",
        "Ann Scenario (mother)",
        "--address",
        "1 Road, Town",
        "--date",
        "2026-09-07",
    )
    s.ap(
        "2026-09-08",
        "meeting",
        C,
        "--kind",
        "planning",
        "--date",
        "2026-09-08",
        "--present",
        "Ann Scenario (parent)",
        "--present",
        "Jo Patel (senco)",
        "--reasons-explained",
    )
    s.ap("2026-09-08", "decision", C, "--parents", "accepted", "--date", "2026-09-08")
    s.ap("2026-09-09", "decision", C, "--headteacher", "approve", "--date", "2026-09-09")
    s.ap(
        "2026-09-09",
        "placement",
        C,
        "--provider",
        "larkhill-green",
        "--start",
        "2026-09-14",
        "--end",
        "2027-07-13",
        "--weekdays",
        "mon,tue",
        "--aims",
        "x",
        "--agreement",
        "A1",
        "--agreement-signed",
        "2026-09-09",
        "--cost",
        "5000",
        "--approved-by",
        "academy",
        "--approved-on",
        "2026-09-09",
        "--english-maths",
        "x",
        "--reintegration",
        "x",
        "--la-informed",
        "2026-09-09",
    )
    return s


def test_a_whole_school_year_of_what_is_due(year: Scenario) -> None:
    s = year
    # The notice: due by Thursday 10 September for Monday 14 September; overdue the day after.
    assert s.due("2026-09-09") == [("2026-09-10", "NOTICE-ASAP", "due")]
    assert s.due("2026-09-11") == [("2026-09-10", "NOTICE-ASAP", "overdue")]
    s.ap("2026-09-10", "notice", C, "--date", "2026-09-10", "--method", "hand")
    # Started: marks, a contact this week, targets and measures this half term, the autumn review.
    assert s.due("2026-09-15") == [
        ("2026-09-18", "ATT-WEEKLY", "due"),
        ("2026-09-21", "ATT-ACCURATE", "due"),
        ("2026-10-23", "PROGRESS-MONITORED", "due"),
        ("2026-10-23", "TARGETS-HALF-TERMLY", "due"),
        ("2026-12-18", "REVIEW-TERMLY", "due"),
    ]
    s.keep_up("2026-09-17")
    assert s.due("2026-09-18") == [
        ("2026-10-23", "PROGRESS-MONITORED", "due"),
        ("2026-10-23", "TARGETS-HALF-TERMLY", "due"),
        ("2026-12-18", "REVIEW-TERMLY", "due"),
    ]
    s.keep_up("2026-09-24", absent=("2026-09-22",))  # absent all day on Tuesday 22 September
    assert ("2026-09-23", "ATT-ABSENCE-FOLLOW-UP", "overdue") in s.due("2026-09-24")
    s.ap("2026-09-24", "absence", C, "--date", "2026-09-22", "--session", "am", "--follow-up", "Mum rang: ill")
    s.ap("2026-10-05", "meeting", C, "--kind", "targets", "--date", "2026-10-05", "--present", "Sam Turner (provider)",
         "--present", "Noah Scenario (pupil)")  # fmt: skip
    s.ap("2026-10-05", "target", C, "--measure", "behaviour", "--baseline", "5", "--goal", "1", "--date", "2026-10-05")
    s.ap(
        "2026-10-05",
        "target",
        C,
        "--measure",
        "sas-reading",
        "--baseline",
        "85",
        "--goal",
        "92",
        "--date",
        "2026-10-05",
        "--test",
        "NGRT",
    )
    s.ap("2026-10-19", "measure", C, "--measure", "behaviour", "--value", "3", "--date", "2026-10-19")
    s.ap(
        "2026-10-19",
        "measure",
        C,
        "--measure",
        "sas-reading",
        "--value",
        "88",
        "--date",
        "2026-10-19",
        "--test",
        "NGRT",
    )
    s.keep_up("2026-10-20")
    assert s.due("2026-10-20") == [("2026-12-18", "REVIEW-TERMLY", "due")]
    # Half term: no week of contact is owed, and the second half's targets are not due yet.
    assert s.due("2026-10-27") == [("2026-12-18", "REVIEW-TERMLY", "due")]
    s.keep_up("2026-12-15")
    assert s.due("2026-12-15") == [
        ("2026-12-18", "PROGRESS-MONITORED", "due"),
        ("2026-12-18", "REVIEW-TERMLY", "due"),
        ("2026-12-18", "TARGETS-HALF-TERMLY", "due"),
    ]
    s.ap(
        "2026-12-15",
        "review",
        "record",
        C,
        "--date",
        "2026-12-14",
        "--outcome",
        "continue",
        "--next",
        "2027-03-15",
        "--responsible",
        "Priya Shah",
        "--present",
        "Ann Scenario (parent)",
        "--continue-until",
        "2027-07-13",
    )
    s.ap("2026-12-15", "letter", C, "--kind", "review")  # its outcome to the parents
    s.ap("2026-12-15", "meeting", C, "--kind", "targets", "--date", "2026-12-07", "--present", "Sam Turner (provider)",
         "--present", "Ann Scenario (parent)")  # fmt: skip
    s.ap("2026-12-15", "measure", C, "--measure", "behaviour", "--value", "2", "--date", "2026-12-07")
    s.ap(
        "2026-12-15",
        "measure",
        C,
        "--measure",
        "sas-reading",
        "--value",
        "90",
        "--date",
        "2026-12-07",
        "--test",
        "NGRT",
    )
    assert s.due("2026-12-16") == []
    # Spring: Monday 4 January is an INSET day; the review the last one set is due on 15 March.
    s.keep_up("2027-01-05")
    assert s.due("2027-01-05") == [
        ("2027-02-12", "PROGRESS-MONITORED", "due"),
        ("2027-02-12", "TARGETS-HALF-TERMLY", "due"),
        ("2027-03-15", "REVIEW-TERMLY", "due"),
    ]
    s.targets_and_measures("2027-01-11", "2027-02-08", "2027-02-09")
    s.targets_and_measures("2027-02-22", "2027-03-08", "2027-03-09")
    s.keep_up("2027-03-16")
    assert s.due("2027-03-16") == [("2027-03-15", "REVIEW-TERMLY", "overdue")]
    s.ap(
        "2027-03-16",
        "review",
        "record",
        C,
        "--date",
        "2027-03-16",
        "--outcome",
        "continue",
        "--next",
        "2027-06-14",
        "--responsible",
        "Priya Shah",
        "--present",
        "Ann Scenario (parent)",
        "--continue-until",
        "2027-07-13",
    )
    s.ap("2027-03-16", "letter", C, "--kind", "review")
    assert s.due("2027-03-17") == []
    # Summer: Monday 3 May is a bank holiday, so the week's only day is Tuesday 4 May.
    s.keep_up("2027-05-02")
    assert s.due("2027-05-04") == [
        ("2027-05-07", "ATT-WEEKLY", "due"),
        ("2027-05-11", "ATT-ACCURATE", "due"),
        ("2027-05-28", "PROGRESS-MONITORED", "due"),
        ("2027-05-28", "TARGETS-HALF-TERMLY", "due"),
        ("2027-06-14", "REVIEW-TERMLY", "due"),
    ]
    s.targets_and_measures("2027-05-04", "2027-05-04", "2027-05-04")
    # A written request within 10 weeks of the last review asks for nothing; one after does (10 school days).
    s.ap("2027-05-20", "review", "request", C, "--date", "2027-05-20", "--by", "Ann Scenario")
    s.keep_up("2027-06-01")
    s.ap("2027-06-01", "review", "request", C, "--date", "2027-06-01", "--by", "Ann Scenario")
    assert s.due("2027-06-02") == [("2027-06-14", "REVIEW-TERMLY", "due"), ("2027-06-18", "REVIEW-ON-REQUEST", "due")]
    s.ap("2027-06-10", "review", "record", C, "--date", "2027-06-10", "--outcome", "end", "--responsible", "Priya Shah",
         "--present", "Ann Scenario (parent)")  # fmt: skip
    s.ap("2027-06-10", "letter", C, "--kind", "review")
    s.targets_and_measures("2027-06-08", "2027-06-08", "2027-06-10")
    # From 30 days before the provider's confirmations (2026-07-10) run out, their renewal is due; then recorded.
    assert s.due("2027-06-11").count(("2027-07-09", "PROVIDER-RECONFIRM", "due")) == 2
    s.ap(
        "2027-06-11",
        "provider",
        "confirm",
        "larkhill-green",
        "--safeguarding",
        "2027-06-11",
        "--staff-checks",
        "2027-06-11",
    )
    # Ten school days before the period ends, a decision is due.
    s.keep_up("2027-06-29")
    assert s.due("2027-06-28") == []
    assert s.due("2027-06-29") == [("2027-07-13", "PERIOD-END", "due")]
    s.keep_up("2027-07-13")
    s.ap("2027-07-13", "end", C, "--date", "2027-07-13", "--outcome", "reintegrated")
    assert s.due("2027-07-14") == []


def test_attendance_below_the_threshold_needs_a_formal_meeting(year: Scenario) -> None:
    s = year
    s.ap("2026-09-10", "notice", C, "--date", "2026-09-10", "--method", "hand")
    s.keep_up("2026-10-06", absent=("2026-09-28", "2026-09-29", "2026-10-05"))
    # After 28 September: 8 of 10 sessions, 80%, below 90%: a meeting within 5 school days, by 5 October.
    items = s.due("2026-10-06")
    assert ("2026-10-05", "ATT-NOT-WORKING", "overdue") in items
    s.ap(
        "2026-10-07",
        "meeting",
        C,
        "--kind",
        "attendance-concern",
        "--date",
        "2026-10-07",
        "--present",
        "Ann Scenario (parent)",
        "--present",
        "Noah Scenario (pupil)",
        "--present",
        "Jo Patel (senco)",
    )
    assert not [item for item in s.due("2026-10-07") if item[1] == "ATT-NOT-WORKING"]


# --- outputs ---


def test_the_demo_shows_items_in_every_state(ap: Run) -> None:
    items = as_json(ap("review", "due", "--json"))
    assert {item["state"] for item in items} == {"due", "overdue"}
    assert set(items[0]) == {"case", "pupil", "rule", "what", "due", "state"}
    assert [item["due"] for item in items] == sorted(item["due"] for item in items)
    assert "AP-2026-009" not in {item["case"] for item in items}  # closed


def test_within_and_fail_on(ap: Run) -> None:
    everything = as_json(ap("review", "due", "--json"))
    soon = as_json(ap("review", "due", "--within", "3", "--json"))
    assert soon == [item for item in everything if item["due"] <= "2026-11-30"]
    assert ap("review", "due", "--fail-on", "overdue").exit_code == 1
    assert ap("review", "due", "--within", "-1").exit_code == 2


def test_csv_is_formula_safe(ap: Run, demo: Path) -> None:
    path = demo / "cases" / "AP-2026-001.yaml"
    path.write_text(path.read_text().replace("name: Leo Hartley", 'name: =HYPERLINK("x")'))
    text = ap("review", "due", "--csv").stdout
    assert text.startswith("case,pupil,rule,what,due,state\n")
    assert "'=HYPERLINK" in text


def test_the_calendar_file_parses_with_one_event_per_item(ap: Run, demo: Path, tmp_path: Path) -> None:
    from icalendar import Calendar

    path = tmp_path / "due.ics"
    items = as_json(ap("review", "due", "--json", "--ics", str(path)))
    calendar = Calendar.from_ical(path.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(items)
    assert {str(e["SUMMARY"]) for e in events} == {f"{i['state'].upper()}: {i['case']} {i['rule']}" for i in items}
    assert "Leo Hartley" not in path.read_text()  # calendars are shared: no pupil names
    bad = ap("review", "due", "--ics", str(tmp_path / "no-such-folder" / "due.ics"))
    assert bad.exit_code == 2 and "cannot be written" in bad.stderr


# --- recording what clears them, and bad input ---

LEO = "AP-2026-001"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            [
                "review",
                "record",
                LEO,
                "--date",
                "2026-10-01",
                "--outcome",
                "continue",
                "--next",
                "2027-01-20",
                "--responsible",
                "P",
                "--present",
                "Kerry Hartley (parent)",
                "--continue-until",
                "2027-02-12",
            ],
            "once the placement has started",
        ),
        (
            [
                "review",
                "record",
                LEO,
                "--date",
                "2026-11-27",
                "--outcome",
                "continue",
                "--next",
                "2026-11-20",
                "--responsible",
                "P",
            ],
            "is not after today",
        ),
        (["review", "record", LEO, "--date", "2026-11-27", "--outcome", "continue", "--responsible", "P"], "--next"),
        (
            ["measure", LEO, "--measure", "sas-maths", "--value", "95", "--date", "2026-11-27", "--test", "X"],
            "no target",
        ),
        (
            ["measure", LEO, "--measure", "sas-reading", "--value", "170", "--date", "2026-11-27", "--test", "NGRT"],
            "between 40",
        ),
        (["measure", LEO, "--measure", "sas-reading", "--value", "95", "--date", "2026-11-27"], "--test"),
        (
            [
                "target",
                LEO,
                "--measure",
                "boxall-developmental",
                "--baseline",
                "200",
                "--goal",
                "10",
                "--date",
                "2026-11-27",
            ],
            "Boxall",
        ),
        (
            ["measure", LEO, "--measure", "attendance", "--value", "95", "--date", "2026-11-27"],
            "computed from the marks",
        ),
        (["safeguarding", LEO, "--date", "2026-11-27", "--dsl", " ", "--reference", "CP-1"], "--dsl"),
        (
            [
                "safeguarding",
                LEO,
                "--date",
                "2026-11-27",
                "--dsl",
                "D Okafor",
                "--reference",
                "Mum said he was hit at home by her partner on Sunday",
            ],
            "never holds them",
        ),
        (
            ["safeguarding", LEO, "--date", "2026-11-27", "--dsl", "D Okafor", "--reference", "CP-1", "--details", "x"],
            "never holds the details",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(ap: Run, demo: Path, args: list[str], says: str) -> None:
    before = snapshot(demo)
    result = ap(*args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert snapshot(demo) == before


def test_targets_measures_and_safeguarding_are_recorded(ap: Run, demo: Path) -> None:
    assert ap("measure", LEO, "--measure", "attendance", "--date", "2026-11-26").exit_code == 0
    assert (
        ap("safeguarding", LEO, "--date", "2026-11-27", "--dsl", "Daniel Okafor", "--reference", "CPOMS-1234").exit_code
        == 0
    )
    case = (demo / "cases" / f"{LEO}.yaml").read_text()
    assert "value: 91.1" in case and "reference: CPOMS-1234" in case


def test_a_breakdown_needs_its_meeting(ap: Run) -> None:
    result = ap("end", LEO, "--date", "2026-11-27", "--outcome", "breakdown")
    assert result.exit_code == 1 and "BREAKDOWN-MEETING" in result.stderr
    assert (
        ap(
            "meeting",
            LEO,
            "--kind",
            "breakdown",
            "--date",
            "2026-11-27",
            "--present",
            "Kerry Hartley (parent)",
            "--present",
            "Jo Patel (senco)",
            "--present",
            "Sam Turner (provider)",
        ).exit_code
        == 0
    )
    assert ap("end", LEO, "--date", "2026-11-27", "--outcome", "breakdown", "--returns", "2026-11-30").exit_code == 0
    assert as_json(ap("show", LEO, "--json"))["status"] == "ended"


def test_an_exclusion_from_the_provision_needs_its_meeting(ap: Run) -> None:
    result = ap("end", LEO, "--date", "2026-11-27", "--outcome", "excluded-from-provision")
    assert result.exit_code == 1 and "EXCLUDED-FROM-AP" in result.stderr
    assert (
        ap(
            "meeting",
            LEO,
            "--kind",
            "exclusion",
            "--date",
            "2026-11-27",
            "--present",
            "Kerry Hartley (parent)",
            "--present",
            "Sam Turner (provider)",
            "--present",
            "Jo Patel (senco)",
        ).exit_code
        == 0
    )
    refused = ap("end", LEO, "--date", "2026-11-27", "--outcome", "permanently-excluded")
    assert refused.exit_code == 1 and "not viable" in refused.stderr
    assert ap("end", LEO, "--date", "2026-11-27", "--outcome", "excluded-from-provision").exit_code == 0


# --- found in review ---


def test_an_ended_case_can_still_record_its_final_review(ap: Run) -> None:
    assert (
        ap("end", "AP-2026-002", "--date", "2026-11-27", "--outcome", "withdrawn").exit_code == 0
    )  # before it started
    assert ap("end", LEO, "--date", "2026-11-26", "--outcome", "reintegrated").exit_code == 0
    items = [i for i in as_json(ap("review", "due", "--case", LEO, "--json", today="2026-12-10"))]
    assert all(i["rule"] in DUTIES_AFTER_THE_END for i in items)  # what it still owes, not the running duties
    result = ap("review", "record", LEO, "--date", "2026-11-27", "--outcome", "end", "--responsible", "P", "--present",
                "Kerry Hartley (parent)")  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("date", "says"), [("2026-12-01", "after today"), ("2026-09-01", "before the referral")])
def test_an_end_date_must_be_possible(ap: Run, date: str, says: str) -> None:
    result = ap("end", LEO, "--date", date, "--outcome", "reintegrated")
    assert result.exit_code == 2 and says in result.stderr


def test_a_targets_meeting_counts_only_with_the_provider(year: Scenario) -> None:
    s = year
    s.ap("2026-09-10", "notice", C, "--date", "2026-09-10", "--method", "hand")
    s.ap("2026-09-21", "meeting", C, "--kind", "targets", "--date", "2026-09-21", "--present", "Jo Patel (senco)")
    assert ("2026-10-23", "TARGETS-HALF-TERMLY", "due") in s.due("2026-09-21")


def test_calendar_uids_are_stable_and_an_empty_list_writes_no_calendar(ap: Run, demo: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    ap("review", "due", "--ics", str(first))
    ap("review", "due", "--ics", str(second), today="2026-11-30")
    uids = [{line for line in path.read_text().splitlines() if line.startswith("UID:")} for path in (first, second)]
    assert uids[0] & uids[1]  # the same items keep the same UID from day to day
    empty = tmp_path / "empty.ics"
    result = ap("review", "due", "--case", "AP-2026-009", "--ics", str(empty))
    assert result.exit_code == 0 and not empty.exists() and "no calendar" in result.stderr


@pytest.mark.parametrize("reference", ["neglect", "DV at home", "self-harm", "FGM risk", "CPOMS 4821 - bruising"])
def test_a_reference_that_reads_like_details_is_refused(ap: Run, demo: Path, reference: str) -> None:
    before = snapshot(demo)
    result = ap("safeguarding", LEO, "--date", "2026-11-27", "--dsl", "Daniel Okafor", "--reference", reference)
    assert result.exit_code == 2 and "never holds them" in result.stderr
    assert snapshot(demo) == before


def test_a_concern_is_raised_with_the_academys_dsl(ap: Run) -> None:
    result = ap("safeguarding", LEO, "--date", "2026-11-27", "--dsl", "Mrs Jo Patel", "--reference", "CP-1")
    assert result.exit_code == 2 and "not the academy's DSL" in result.stderr
    assert (
        ap("safeguarding", LEO, "--date", "2026-11-27", "--dsl", "mr daniel okafor", "--reference", "CP-1").exit_code
        == 0
    )


def test_the_same_review_is_not_recorded_twice(ap: Run) -> None:
    args = [
        "review",
        "record",
        LEO,
        "--date",
        "2026-11-27",
        "--outcome",
        "continue",
        "--next",
        "2027-02-01",
        "--responsible",
        "P",
        "--present",
        "Kerry Hartley (parent)",
        "--continue-until",
        "2027-02-12",
    ]
    assert ap(*args).exit_code == 0
    again = ap(*args)
    assert again.exit_code == 2 and "already recorded" in again.stderr


def test_a_horizon_past_the_last_date_there_is_lists_everything_due(ap: Run) -> None:
    """--within 999999999 once overflowed the date arithmetic (a traceback); it means 'everything'."""
    everything = ap("review", "due", "--json")
    far = ap("review", "due", "--within", "999999999", "--json")
    assert far.exit_code == everything.exit_code, far.output
    assert far.exception is None or isinstance(far.exception, SystemExit)
    assert json.loads(far.stdout) == json.loads(everything.stdout)
