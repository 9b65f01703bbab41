"""A whole school year of one pupil's placements, through the CLI on fixed dates (issue 14).

Ella is placed at Larkhill Green (P1, Mon-Wed, from 21 September), the placement is extended at her review
with a new notice, a second placement at Brookside Tuition (P2, Thursday mornings) runs alongside from January,
P1 breaks down on 3 February, and P2 ends at Easter (its last day, 25 March, recorded on 29 March). The
provider's registers and weekly calls are kept up at each date, so `ap review due` lists only what a school
must decide or do, and those lists are exact.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from apcli.model.attendance import expected_sessions
from apcli.records.store import Records
from tests.conftest import invoke
from tests.factory import agreed

C = "AP-2026-011"
TERMS = (
    "--aims", "Re-engage with learning", "--agreement", "A1", "--agreement-signed", "2026-09-09",
    "--approved-by", "academy", "--approved-on", "2026-09-09", "--english-maths", "Daily at the provider",
    "--reintegration", "Back full time after Easter", "--la-informed", "2026-09-09",
)  # fmt: skip


class Year:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.contacted: set[dt.date] = set()

    def ok(self, today: str, *args: str) -> str:
        result = invoke(self.root, *args, today=today)
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    def keep_up(self, today: str) -> None:
        """Every session so far marked B from each provider's own register, and a call in each week."""
        until = dt.date.fromisoformat(today)
        records = Records.open(self.root)
        case = records.load_case(C).case
        weeks: set[dt.date] = set()
        for placement in case.placements:
            sessions = expected_sessions(records.calendar, placement, until)
            if sessions:
                register = self.root.parent / f"{placement.id}.csv"
                rows = [f"{C},{day},{session.upper()},B" for day, session in sessions]
                register.write_text("case,date,session,mark\n" + "\n".join(rows) + "\n")
                self.ok(today, "attendance", "import", str(register), "--provider", placement.provider)
            weeks |= {day - dt.timedelta(days=day.weekday()) for day, _ in sessions}
        for monday in sorted(weeks - self.contacted):
            day = min(monday + dt.timedelta(days=1), until)
            self.ok(today, "contact", C, "--date", str(day), "--with", "Sam Turner", "--summary", "Weekly call")
            self.contacted.add(monday)

    def due(self, today: str) -> list[tuple[str, str, str]]:
        self.keep_up(today)
        items = json.loads(self.ok(today, "review", "due", "--case", C, "--json"))
        return [(item["due"], item["rule"], item["what"]) for item in items]


@pytest.fixture
def year(demo: Path) -> Year:
    y = Year(demo)
    agreed(demo, "Ella Marsden", "Jo Marsden", dob="2018-03-05")
    y.ok(
        "2026-09-09", "placement", C, "--provider", "larkhill-green", "--start", "2026-09-21", "--end",
        "2026-12-18", "--weekdays", "mon,tue,wed", "--cost", "3000", *TERMS,
    )  # fmt: skip
    return y


def _targets(y: Year, day: str, reviewed: bool = True) -> None:
    """A targets meeting with the provider and a parent; it reviews the behaviour target (a measure that day)
    unless it sets the targets (`reviewed=False`: ap target follows on the same date)."""
    y.ok(day, "meeting", C, "--kind", "targets", "--date", day, "--present", "Jo Patel (senco)", "--present",
         "Sam Turner (provider)", "--present", "Jo Marsden (parent)")  # fmt: skip
    if reviewed:
        y.ok(day, "measure", C, "--measure", "behaviour", "--value", "2", "--date", day)


def _measures(y: Year, day: str) -> None:
    y.ok(day, "measure", C, "--measure", "behaviour", "--value", "2", "--date", day)
    y.ok(day, "measure", C, "--measure", "sas-reading", "--value", "95", "--date", day, "--test", "NGRT")


def _rules(items: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    return [(due, rule) for due, rule, _ in items]


def test_a_whole_year_of_placements(year: Year) -> None:
    y = year
    assert y.due("2026-09-10") == [
        ("2026-09-17", "NOTICE-ASAP", "give the parents notice of the placement starting 2026-09-21 (ap notice); "
         "this is the last legal date"),
    ]  # fmt: skip
    y.ok("2026-09-14", "notice", C, "--method", "hand")
    _targets(y, "2026-09-25", reviewed=False)
    y.ok("2026-09-25", "target", C, "--measure", "behaviour", "--baseline", "6", "--goal", "2", "--date", "2026-09-25")
    y.ok("2026-09-25", "target", C, "--measure", "sas-reading", "--baseline", "88", "--goal", "95", "--date",
         "2026-09-25", "--test", "NGRT")  # fmt: skip
    assert _rules(y.due("2026-10-01")) == [("2026-10-23", "PROGRESS-MONITORED"), ("2026-12-18", "REVIEW-TERMLY")]
    _measures(y, "2026-10-22")

    # The review extends P1 to the February half term: the notice of 14 September still holds for its days,
    # and a new one is due two school days before the first added day (Tuesday 5 January; the 4th is INSET).
    y.ok("2026-11-16", "review", "record", C, "--date", "2026-11-16", "--outcome", "change", "--next",
         "2027-02-10", "--responsible", "Ms Priya Shah", "--present", "Jo Marsden (parent)", "--continue-until",
         "2027-02-12")  # fmt: skip
    y.ok("2026-11-16", "change", C, "--end", "2027-02-12", "--cost", "5000", "--approved-by", "academy",
         "--approved-on", "2026-11-16", "--why", "Extended at her review")  # fmt: skip
    y.ok("2026-11-16", "letter", C, "--kind", "review")  # the review's outcome to the parents
    assert y.due("2026-11-17") == [
        ("2026-12-17", "NOTICE-ASAP", "give the parents notice of the change to P1 from 2027-01-05 (ap notice); "
         "this is the last legal date"),
        ("2026-12-18", "PROGRESS-MONITORED", "behaviour and progress (an SAS or Boxall score) measured in Autumn "
         "2026, second half (ap measure)"),
        ("2026-12-18", "TARGETS-HALF-TERMLY", "a target meeting with the provider in Autumn 2026, second half "
         "(ap meeting --kind targets, then ap target)"),
    ]  # fmt: skip
    _targets(y, "2026-11-18")
    y.ok("2026-11-20", "notice", C, "--method", "hand")
    assert _rules(y.due("2026-12-04")) == [("2026-12-18", "PROGRESS-MONITORED")]
    _measures(y, "2026-12-11")
    assert y.due("2026-12-18") == []
    spring = [("2027-02-10", "REVIEW-TERMLY"), ("2027-02-12", "PROGRESS-MONITORED"),
              ("2027-02-12", "TARGETS-HALF-TERMLY")]  # fmt: skip
    assert _rules(y.due("2027-01-06")) == spring  # the added days are placement days: marks came for them

    # P2: Thursday mornings at Brookside Tuition, alongside P1, gated and notified on its own.
    y.ok("2027-01-11", "placement", C, "--provider", "brookside-tuition", "--start", "2027-01-14", "--end",
         "2027-03-25", "--weekdays", "thu", "--sessions", "am", "--alongside", "--cost", "600", *TERMS)  # fmt: skip
    y.ok("2027-01-11", "notice", C, "--placement", "P2", "--method", "hand")
    assert _rules(y.due("2027-01-12")) == spring
    _targets(y, "2027-01-13")  # before P2's first day: it counts for P1 only
    items = y.due("2027-02-01")
    # P1's behaviour was measured at its targets meeting, P2's not yet: one item for each
    assert _rules(items) == [*spring[:1], ("2027-02-12", "PERIOD-END"), spring[1], *spring[1:]]
    assert items[1][2].startswith("the period of P1 (larkhill-green) ends on 2027-02-12: decide at a review")
    assert [items[2][2], items[3][2]] == [
        "behaviour and progress (an SAS or Boxall score) measured in Spring 2027, first half (ap measure)",
        "progress (an SAS or Boxall score) measured in Spring 2027, first half (ap measure)",
    ]
    assert items[4][2].startswith("a target meeting with brookside-tuition (P2) in Spring 2027, first half")

    # P1 breaks down: its final review is due on its last day; P2 goes on.
    y.ok("2027-02-03", "meeting", C, "--kind", "breakdown", "--date", "2027-02-03", "--present", "Jo Marsden (parent)",
         "--present", "Jo Patel (senco)", "--present", "Ella Marsden (pupil)", "--present",
         "Sam Turner (provider)")  # fmt: skip
    y.ok("2027-02-03", "end", C, "--placement", "P1", "--date", "2027-02-03", "--outcome", "breakdown",
         "--returns", "2027-02-04")  # fmt: skip
    assert _rules(y.due("2027-02-04")) == [("2027-02-03", "REVIEW-TERMLY"), *spring[1:]]
    _measures(y, "2027-02-12")
    _targets(y, "2027-02-24")
    assert _rules(y.due("2027-03-15")) == [
        ("2027-02-03", "REVIEW-TERMLY"), ("2027-02-12", "TARGETS-HALF-TERMLY"), ("2027-03-25", "PERIOD-END"),
        ("2027-03-25", "PROGRESS-MONITORED"),
    ]  # fmt: skip
    items = y.due("2027-03-26")  # the day after P2's last day: how did it end? overdue after 5 school days
    assert items[-1] == (
        "2027-04-16", "PERIOD-END",
        "P2 (brookside-tuition) ended on 2027-03-25: record how it ended (ap end) or extend it (ap change)",
    )  # fmt: skip
    y.ok("2027-03-29", "end", C, "--date", "2027-03-25", "--outcome", "reintegrated")  # at Easter, recorded after
    assert y.due("2027-03-29") == [
        ("2027-02-03", "REVIEW-TERMLY", "the termly review of the agreement for Spring 2027 (ap review record); "
         f"still owed after P1 ended on 2027-02-03 (do it, or write it off: ap write-off {C} REVIEW-TERMLY --why ...)"),
    ]  # fmt: skip
    shown = json.loads(y.ok("2027-03-29", "show", C, "--json"))
    assert shown["status"] == "ended"  # the review is still owed
    endings = [p["ending"] for p in shown["case"]["placements"]]
    assert [(e["date"], e["outcome"], e["recorded"]) for e in endings] == [
        ("2027-02-03", "breakdown", None),
        ("2027-03-25", "reintegrated", "2027-03-29"),
    ]

    _report_and_census(y)


def _report_and_census(y: Year) -> None:
    """P1: 50 days (Mon-Wed, 21 Sep to 3 Feb) of the 53 its £5,000 was agreed for; P2: 10 Thursday mornings, £600."""
    report = json.loads(y.ok("2027-03-29", "report", "--from", "2026-09-01", "--to", "2027-03-31", "--json"))
    (ella,) = [p for p in report["pupils"] if p["case"] == C]
    keys = ("days_commissioned", "sessions_commissioned", "possible", "attended", "cost", "cost_by_rate",
            "cost_to_date", "cost_per_attended_session", "outcome")  # fmt: skip
    assert [tuple(p[k] for k in keys) for p in ella["placements"]] == [
        (50, 100, 100, 100, "5000.00", "4250.00", "4716.98", "47.17", "breakdown"),  # 5000 x 50/53; 50 x £85
        (10, 10, 10, 10, "600.00", "600.00", "600.00", "60.00", "reintegrated"),
    ]
    assert tuple(ella[k] for k in keys) == (60, 110, 110, 110, "5600.00", "4850.00", "5316.98", "48.34", "reintegrated")
    census = json.loads(y.ok("2027-01-21", "export", "census", "--term", "Spring 2027", "--json"))
    rows = [r for r in census["placements"] if r["case"] == C]
    columns = ("placement", "provider", "urn", "setting_type", "entry_date", "leaving_date", "sessions_per_week",
               "pupil_sessions_per_week", "pupil_full_or_part_time")  # fmt: skip
    assert [tuple(r[k] for k in columns) for r in rows] == [
        ("P1", "larkhill-green", "999001", "", "2026-09-21", "", 6, 7, "part time"),
        ("P2", "brookside-tuition", "", "OOT", "2027-01-14", "", 1, 7, "part time"),
    ]


def test_days_an_extension_adds_cost_nothing_until_notified(demo: Path) -> None:
    """Leo's £5,355 is for 63 days (40 notified, 23 added by his extension): until the notice of the change is
    given, the report counts 40 of them (£3,400, his provider's £85 a day)."""

    def leo(today: str) -> tuple[str, str, int]:
        report = json.loads(
            invoke(demo, "report", "--from", "2026-09-01", "--to", "2027-03-31", "--json", today=today).stdout
        )
        (line,) = [p for p in report["pupils"] if p["case"] == "AP-2026-001"]
        return line["cost"], line["cost_in_period"], line["days_commissioned"]

    assert leo("2026-11-27") == ("5355.00", "3400.00", 40)
    assert invoke(demo, "notice", "AP-2026-001", "--method", "hand", today="2026-11-27").exit_code == 0
    assert leo("2026-11-27") == ("5355.00", "5355.00", 63)
