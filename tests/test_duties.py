"""Duties that outlive a placement's end: still due after `ap end` until done or written off (`ap write-off`),
and the case ended while any remain, closed when none do."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from apcli.model.attendance import expected_sessions
from apcli.model.schema import WrittenOff
from apcli.records.store import Records
from tests.conftest import invoke, snapshot
from tests.test_end import C, placed, placed_alongside, run

STILL_OWED = "; still owed after P1 ended on 2026-10-09 (do it, or write it off: ap write-off AP-2026-011 {} --why ...)"
UNMARKED = "40 session(s) without a mark since 2026-09-14: import the provider's register (ap attendance import)"
REVIEW = "the termly review of the agreement for Autumn 2026 (ap review record)"


def due(root: Path, today: str) -> list[tuple[str, str, str, str]]:
    items = json.loads(run(root, today, "review", "due", "--case", C, "--json"))
    return [(item["due"], item["rule"], item["state"], item["what"]) for item in items]


def checked(root: Path, today: str) -> list[tuple[str, str, str]]:
    result = invoke(root, "check", C, "--json", today=today)
    assert result.exit_code == 0, result.output  # what is still owed is a warning, not an error
    return [(f["rule"], f["severity"], f["message"]) for f in json.loads(result.stdout)["findings"]]


def shown(root: Path, today: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(run(root, today, "show", C, "--json"))
    return found


def listed(root: Path, today: str, status: str) -> list[str]:
    return [row["id"] for row in json.loads(run(root, today, "list", "--status", status, "--json"))]


def register(root: Path, rows: list[tuple[dt.date, str, str]]) -> Path:
    path = root.parent / "register.csv"
    path.write_text("case,date,session,mark\n" + "".join(f"{C},{d},{s.upper()},{m}\n" for d, s, m in rows))
    return path


def sessions(root: Path, until: str, placement: str = "P1") -> list[tuple[dt.date, str]]:
    records = Records.open(root)
    chosen = records.load_case(C).case.placement_by_id(placement)
    assert chosen is not None
    return expected_sessions(records.calendar, chosen, dt.date.fromisoformat(until))


def test_the_issues_scenario_forty_sessions_never_marked_then_ended_as_reintegrated(demo: Path) -> None:
    placed(demo)  # Monday to Friday, 14 September to 9 October 2026: 20 days, 40 sessions, none marked
    run(demo, "2026-10-16", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    unmarked = UNMARKED + STILL_OWED.format("ATT-ACCURATE")
    review = REVIEW + STILL_OWED.format("REVIEW-TERMLY")
    assert due(demo, "2026-10-16") == [
        ("2026-09-21", "ATT-ACCURATE", "overdue", unmarked),
        ("2026-10-09", "REVIEW-TERMLY", "overdue", review),
    ]
    assert checked(demo, "2026-10-16") == [
        ("ATT-ACCURATE", "warning", unmarked),
        ("REVIEW-TERMLY", "warning", review),
    ]
    assert shown(demo, "2026-10-16")["status"] == "ended"
    assert shown(demo, "2026-10-16")["owed_after_the_end"] == [
        {"rule": "ATT-ACCURATE", "message": unmarked, "due": "2026-09-21"},
        {"rule": "REVIEW-TERMLY", "message": review, "due": "2026-10-09"},
    ]
    assert C in listed(demo, "2026-10-16", "ended")  # (the demo's AP-2026-006 owes its review letter)

    out = run(demo, "2026-10-16", "write-off", C, "att-accurate", "--why", "The provider sent no register")
    assert out == f"{C}: 1 item(s) of ATT-ACCURATE written off. Status: ended. Next: REVIEW-TERMLY: {review}\n"
    assert due(demo, "2026-10-16") == [("2026-10-09", "REVIEW-TERMLY", "overdue", review)]
    out = run(demo, "2026-10-16", "write-off", C, "REVIEW-TERMLY", "--why", "The reintegration meeting stood in")
    assert out == f"{C}: 1 item(s) of REVIEW-TERMLY written off. Status: closed. Next: -\n"

    assert due(demo, "2026-10-16") == []
    assert run(demo, "2026-10-16", "review", "due", "--case", C) == "Nothing is due or overdue on 2026-10-16.\n"
    assert checked(demo, "2026-10-16") == []
    assert shown(demo, "2026-10-16")["status"] == "closed"
    assert shown(demo, "2026-12-01")["status"] == "closed"
    assert C not in listed(demo, "2026-10-16", "ended")
    assert C in listed(demo, "2026-10-16", "closed")
    case = Records.open(demo).load_case(C).case
    assert case.written_off == [
        WrittenOff(
            rule="ATT-ACCURATE",
            what=f"P1: {UNMARKED}",
            date=dt.date(2026, 10, 16),
            why="The provider sent no register",
            by="Test User",
        ),
        WrittenOff(
            rule="REVIEW-TERMLY",
            what=f"P1: {REVIEW}",
            date=dt.date(2026, 10, 16),
            why="The reintegration meeting stood in",
            by="Test User",
        ),
    ]
    assert [(h.date, h.what) for h in case.history[-2:]] == [
        (dt.date(2026, 10, 16), f"written off ATT-ACCURATE (1 item(s): P1: {UNMARKED}): The provider sent no register"),
        (
            dt.date(2026, 10, 16),
            f"written off REVIEW-TERMLY (1 item(s): P1: {REVIEW}): The reintegration meeting stood in",
        ),
    ]


def test_duties_done_after_the_end_clear_it_and_close_the_case(demo: Path) -> None:
    placed(demo)
    run(demo, "2026-10-16", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    # The register arrives after the end: the import still lands, and shows an absence to follow up.
    marks = [(d, s, "N" if d == dt.date(2026, 9, 22) else "B") for d, s in sessions(demo, "2026-10-09")]
    run(demo, "2026-10-19", "attendance", "import", str(register(demo, marks)))
    follow_up = "follow up the absence on 2026-09-22 (AM N, PM N) (ap absence)" + STILL_OWED.format(
        "ATT-ABSENCE-FOLLOW-UP"
    )
    assert due(demo, "2026-10-19") == [
        ("2026-09-23", "ATT-ABSENCE-FOLLOW-UP", "overdue", follow_up),
        ("2026-10-09", "REVIEW-TERMLY", "overdue", REVIEW + STILL_OWED.format("REVIEW-TERMLY")),
    ]
    run(demo, "2026-10-19", "absence", C, "--date", "2026-09-22", "--session", "am", "--follow-up", "Mum rang: ill")
    assert [rule for _, rule, _, _ in due(demo, "2026-10-19")] == ["REVIEW-TERMLY"]
    assert shown(demo, "2026-10-19")["status"] == "ended"
    out = run(demo, "2026-10-19", "review", "record", C, "--date", "2026-10-19", "--outcome", "end",
              "--responsible", "Jo Patel", "--present", "Jo Patel (senco)", "--no-parent-reason", "Did not reply")  # fmt: skip
    letter = (
        "send the parents the outcome of the review of 2026-10-19 (ap letter --kind review --review-date 2026-10-19)"
    )
    assert out.startswith(f"{C}: review recorded (end). Status: ended. Next: REVIEW-OUTCOME-NOTIFIED: {letter}")
    run(demo, "2026-10-19", "letter", C, "--kind", "review")
    assert due(demo, "2026-10-19") == []
    assert checked(demo, "2026-10-19") == []


def test_a_written_off_register_stays_written_off_as_some_marks_come_in(demo: Path) -> None:
    placed(demo)
    run(demo, "2026-10-16", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    run(demo, "2026-10-16", "write-off", C, "ATT-ACCURATE", "--why", "The provider sent no register")
    first_week = [(d, s, "B") for d, s in sessions(demo, "2026-09-18")]
    assert len(first_week) == 10
    run(demo, "2026-10-19", "attendance", "import", str(register(demo, first_week)))
    assert [rule for _, rule, _, _ in due(demo, "2026-10-19")] == ["REVIEW-TERMLY"]


def test_an_ended_placement_beside_a_running_one_owes_only_its_own(demo: Path) -> None:
    placed_alongside(demo)  # P1 Mon, Tue 14 Sep to 9 Oct; P2 Wed, Thu 23 Sep to 9 Oct
    run(demo, "2026-10-02", "end", C, "--placement", "P2", "--date", "2026-10-01", "--outcome", "moved-provider")
    p2_owes = (
        "8 session(s) without a mark since 2026-09-23: import the provider's register (ap attendance import); "
        "still owed after P2 ended on 2026-10-01 (do it, or write it off: ap write-off AP-2026-011 ATT-ACCURATE "
        "--why ...)"
    )
    accurate = [(d, w) for d, r, _, w in due(demo, "2026-10-02") if r == "ATT-ACCURATE"]
    assert accurate == [
        ("2026-09-21", "12 session(s) without a mark since 2026-09-14: import the provider's register "
         "(ap attendance import)"),
        ("2026-09-30", p2_owes),
    ]  # fmt: skip
    # The termly review is P1's to hold as well: it stays P1's, not a duty left after an end.
    assert [w for _, r, _, w in due(demo, "2026-10-02") if r == "REVIEW-TERMLY"] == [REVIEW]
    assert checked(demo, "2026-10-02") == [("ATT-ACCURATE", "warning", p2_owes)]
    out = run(demo, "2026-10-02", "write-off", C, "ATT-ACCURATE", "--why", "P2's register was lost")
    assert out.startswith(f"{C}: 1 item(s) of ATT-ACCURATE written off. Status: active.")
    assert [w for _, r, _, w in due(demo, "2026-10-02") if r == "ATT-ACCURATE"] == [
        "12 session(s) without a mark since 2026-09-14: import the provider's register (ap attendance import)"
    ]
    assert checked(demo, "2026-10-02") == []
    written = Records.open(demo).load_case(C).case.written_off
    assert [w.what for w in written] == [f"P2: {p2_owes.split('; still owed')[0]}"]


@pytest.mark.parametrize(
    ("today", "args", "code", "says"),
    [
        (
            "2026-10-01",
            ["ATT-ACCURATE"],
            1,
            "Refused: no placement of the case has ended, and a running placement's duties are done, not written "
            "off. Once one has ended (ap end), what it still owes can be written off.",
        ),
        (
            "2026-10-01",
            ["ATT-ACCURATE", "--placement", "P1"],
            1,
            "Refused: P1 has not ended, and a running placement's duties are done, not written off. Once it has "
            "ended (ap end), what it still owes can be written off.",
        ),
        (
            "2026-10-16",
            ["ATT-WEEKLY"],
            2,
            "RULE: ATT-WEEKLY is not a duty that outlives a placement's end; only ATT-ACCURATE, "
            "ATT-ABSENCE-FOLLOW-UP, REVIEW-TERMLY, REVIEW-ON-REQUEST, REVIEW-OUTCOME-NOTIFIED, TRANSITION-KS3 can be "
            "written off.",
        ),
        ("2026-10-16", ["NO-SUCH-RULE"], 2, "RULE: there is no rule 'NO-SUCH-RULE'. `ap rules` lists them."),
        (
            "2026-10-16",
            ["ATT-ACCURATE", "--placement", "P9"],
            2,
            "--placement: the case has no placement 'P9' (its placements: P1).",
        ),
        (
            "2026-10-16",
            ["ATT-ABSENCE-FOLLOW-UP"],
            2,
            "ATT-ABSENCE-FOLLOW-UP: P1 owes nothing under it on 2026-10-16, so there is nothing to write off "
            "(ap review due --case AP-2026-011 lists what is owed).",
        ),
    ],
)
def test_a_write_off_is_refused_where_it_does_not_apply_and_changes_nothing(
    demo: Path, today: str, args: list[str], code: int, says: str
) -> None:
    placed(demo)
    if today == "2026-10-16":
        run(demo, today, "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    before = snapshot(demo)
    result = invoke(demo, "write-off", C, *args, "--why", "No register", today=today)
    assert result.exit_code == code, result.output
    assert result.stderr.strip() == says
    assert snapshot(demo) == before


def test_a_write_off_needs_its_reason(demo: Path) -> None:
    placed(demo)
    run(demo, "2026-10-16", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    result = invoke(demo, "write-off", C, "ATT-ACCURATE", "--why", "  ", today="2026-10-16")
    assert result.exit_code == 2
    assert result.stderr.strip() == '--why: say why it will not be done ("..."); the reason is recorded in the case.'
    assert [rule for _, rule, _, _ in due(demo, "2026-10-16")] == ["ATT-ACCURATE", "REVIEW-TERMLY"]


def test_a_review_asked_for_before_the_end_stays_owed_until_written_off(demo: Path) -> None:
    placed(demo)
    run(demo, "2026-10-05", "review", "request", C, "--date", "2026-10-05", "--by", "Ann Scenario")
    run(demo, "2026-10-09", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    asked = "a review meeting asked for in writing on 2026-10-05 (ap review record)"
    assert [(d, r, s) for d, r, s, _ in due(demo, "2026-10-12") if r.startswith("REVIEW")] == [
        ("2026-10-09", "REVIEW-TERMLY", "overdue"),
        ("2026-10-19", "REVIEW-ON-REQUEST", "due"),
    ]
    assert (asked + STILL_OWED.format("REVIEW-ON-REQUEST")) in [w for _, _, _, w in due(demo, "2026-10-12")]
    run(demo, "2026-10-12", "write-off", C, "REVIEW-ON-REQUEST", "--why", "The family moved away; no meeting wanted")
    assert [r for _, r, _, _ in due(demo, "2026-10-12") if r.startswith("REVIEW")] == ["REVIEW-TERMLY"]
    assert Records.open(demo).load_case(C).case.written_off[-1].what == f"P1: {asked}"
