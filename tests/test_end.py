"""The end of a placement: PERIOD-END before and after its last day, and `ap end` on the last day, late."""

from __future__ import annotations

import json
from datetime import date as D
from pathlib import Path

import pytest

from apcli.model.schema import Ending, Placement
from apcli.records.store import Records
from tests.conftest import invoke, snapshot
from tests.factory import agreed

C = "AP-2026-011"
SECOND_PROVIDER = "oakfield-farm"


def run(root: Path, today: str, *args: str) -> str:
    result = invoke(root, *args, today=today)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def placed(root: Path, end: str = "2026-10-09", weekdays: str = "mon,tue,wed,thu,fri") -> None:
    """Noah Scenario (fictional), placed at Larkhill Green from Monday 14 September 2026, notified on 10 September."""
    agreed(root, "Noah Scenario", "Ann Scenario")
    run(root, "2026-09-09", "placement", C, "--provider", "larkhill-green", "--start", "2026-09-14", "--end", end,
        "--weekdays", weekdays, "--aims", "x", "--agreement", "A1", "--agreement-signed", "2026-09-09",
        "--cost", "5000", "--approved-by", "academy", "--approved-on", "2026-09-09", "--english-maths", "x",
        "--reintegration", "x", "--la-informed", "2026-09-09")  # fmt: skip
    run(root, "2026-09-10", "notice", C, "--date", "2026-09-10", "--method", "hand")


def placed_alongside(root: Path) -> None:
    """P1 at Larkhill Green on Mondays and Tuesdays, P2 at a second (fictional) provider on Wednesdays and
    Thursdays from 23 September, both to 9 October."""
    providers = root / "providers"
    text = (providers / "larkhill-green.yaml").read_text()
    (providers / f"{SECOND_PROVIDER}.yaml").write_text(
        text.replace("Larkhill Green Alternative Provision", "Oakfield Farm Learning")
    )
    placed(root, weekdays="mon,tue")
    run(root, "2026-09-16", "placement", C, "--alongside", "--provider", SECOND_PROVIDER, "--start", "2026-09-23",
        "--end", "2026-10-09", "--weekdays", "wed,thu", "--aims", "x", "--agreement", "A2",
        "--agreement-signed", "2026-09-16", "--cost", "1000", "--approved-by", "academy", "--approved-on",
        "2026-09-16", "--english-maths", "x", "--reintegration", "x", "--la-informed", "2026-09-16")  # fmt: skip
    run(root, "2026-09-17", "notice", C, "--placement", "P2", "--date", "2026-09-17", "--method", "hand")


def period_end(root: Path, today: str) -> list[tuple[str, str, str]]:
    items = json.loads(run(root, today, "review", "due", "--case", C, "--json"))
    return [(item["due"], item["state"], item["what"]) for item in items if item["rule"] == "PERIOD-END"]


def placements(root: Path) -> list[Placement]:
    return Records.open(root).load_case(C).case.placements


ENDS_ON = (
    "the period of the placement ends on 2026-10-09: decide at a review whether to end it and reintegrate (ap review "
    "record --outcome end, then ap end) or to extend it (ap change --end, which needs a new notice to the parents)"
)
ENDED_ON = "the placement ended on 2026-10-09: record how it ended (ap end) or extend it (ap change)"


def test_period_end_warns_before_the_last_day_and_asks_for_the_end_after_it(demo: Path) -> None:
    placed(demo)
    # The warning: from the 10th school day before the last day (period_end_warning_school_days: 10).
    assert period_end(demo, "2026-09-24") == []
    assert period_end(demo, "2026-09-25") == [("2026-10-09", "due", ENDS_ON)]
    assert period_end(demo, "2026-10-09") == [("2026-10-09", "due", ENDS_ON)]
    # From the day after the last day: record the end, due by the 5th school day after it, overdue after that.
    assert period_end(demo, "2026-10-10") == [("2026-10-16", "due", ENDED_ON)]
    assert period_end(demo, "2026-10-16") == [("2026-10-16", "due", ENDED_ON)]
    assert period_end(demo, "2026-10-19") == [("2026-10-16", "overdue", ENDED_ON)]
    run(demo, "2026-10-19", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    assert period_end(demo, "2026-10-19") == []


def test_the_end_is_recorded_on_the_last_day_a_week_later(demo: Path) -> None:
    placed(demo)
    out = run(demo, "2026-10-16", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    assert out.startswith(f"{C}: placement ended (reintegrated). Status: ended.")
    [p1] = placements(demo)
    assert p1.ending == Ending(date=D(2026, 10, 9), outcome="reintegrated", recorded=D(2026, 10, 16))
    last = Records.open(demo).load_case(C).case.history[-1]
    assert (last.date, last.what) == (D(2026, 10, 16), "placement P1 ended on 2026-10-09: reintegrated")


def test_an_end_entered_on_the_day_records_one_date(demo: Path) -> None:
    placed(demo)
    run(demo, "2026-10-09", "end", C, "--date", "2026-10-09", "--outcome", "reintegrated")
    [p1] = placements(demo)
    assert p1.ending == Ending(date=D(2026, 10, 9), outcome="reintegrated", recorded=None)


@pytest.mark.parametrize(
    ("today", "date", "says"),
    [
        (
            "2026-10-16",
            "2026-10-12",
            "--date: 2026-10-12 is after P1's last day (2026-10-09). If it went on longer, extend it first "
            "(ap change AP-2026-011 --end D --why ...).",
        ),
        (
            "2026-10-05",
            "2026-10-06",
            "--date: 2026-10-06 is after today (2026-10-05); record things once they have happened.",
        ),
    ],
)
def test_an_end_after_the_last_day_or_in_the_future_is_refused(demo: Path, today: str, date: str, says: str) -> None:
    placed(demo)
    before = snapshot(demo)
    result = invoke(demo, "end", C, "--date", date, "--outcome", "reintegrated", today=today)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == says
    assert snapshot(demo) == before


def test_of_two_open_placements_the_one_named_is_ended(demo: Path) -> None:
    placed_alongside(demo)
    before = snapshot(demo)
    unnamed = invoke(demo, "end", C, "--date", "2026-10-08", "--outcome", "reintegrated", today="2026-10-08")
    assert unnamed.exit_code == 2, unnamed.output
    assert unnamed.stderr.strip() == (
        f"The case has more than one open placement (P1 (larkhill-green), P2 ({SECOND_PROVIDER})): say which with "
        "--placement."
    )
    assert snapshot(demo) == before
    run(demo, "2026-10-08", "end", C, "--placement", "p2", "--date", "2026-10-08", "--outcome", "moved-provider")
    p1, p2 = placements(demo)
    assert (p1.id, p1.ending) == ("P1", None)
    assert (p2.id, p2.ending) == ("P2", Ending(date=D(2026, 10, 8), outcome="moved-provider"))
    # The other runs on: the case is active, and P1's period end is still asked for.
    shown = json.loads(run(demo, "2026-10-08", "show", C, "--json"))
    assert shown["status"] == "active"
    name = "P1 (larkhill-green)"
    assert period_end(demo, "2026-10-12") == [
        ("2026-10-16", "due", f"{name} ended on 2026-10-09: record how it ended (ap end) or extend it (ap change)")
    ]
