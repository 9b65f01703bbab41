"""A notice is dated the day it is produced, never earlier; one truly given earlier is entered with --given-on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from tests.conftest import Run, as_json, snapshot

TYLER = "AP-2026-003"  # commissioned; starts Monday 7 December 2026, mon/wed/fri


def _placement(demo: Path) -> dict:
    return yaml.safe_load((demo / "cases" / f"{TYLER}.yaml").read_text())["placements"][0]


def _history(demo: Path) -> list[str]:
    return [entry["what"] for entry in yaml.safe_load((demo / "cases" / f"{TYLER}.yaml").read_text())["history"]]


def test_a_backdated_notice_is_refused_pointing_to_given_on(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("notice", TYLER, "--date", "2026-12-01", today="2026-12-04")
    assert result.exit_code == 2
    text = " ".join(result.stderr.split())
    assert "2026-12-01 is before today (2026-12-04)" in text
    assert '--given-on 2026-12-01 --why "..."' in text
    assert snapshot(demo) == before


def test_a_notice_dated_for_a_later_post_is_refused(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("notice", TYLER, "--date", "2026-12-02", today="2026-12-01")
    assert result.exit_code == 2 and "after today" in result.stderr
    assert snapshot(demo) == before


def test_the_date_of_today_is_accepted(ap: Run, demo: Path) -> None:
    result = ap("notice", TYLER, "--date", "2026-12-01", "--json", today="2026-12-01")
    assert result.exit_code == 0, result.output
    [letter] = as_json(result)["letters"]
    assert "notice-2026-12-01" in letter["file"]


def test_a_notice_given_earlier_is_entered_late_and_judged_on_the_day_given(ap: Run, demo: Path) -> None:
    letters_before = sorted((demo / "letters").rglob("*"))
    result = ap(
        "notice", TYLER, "--given-on", "2026-12-01", "--method", "hand", "--why", "Handed over at the meeting; "
        "the office entered it late", today="2026-12-08",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "entered late" in result.stdout and "No letter was written" in result.stdout
    [notice] = _placement(demo)["notices"]
    assert notice["date"] == dt.date(2026, 12, 1) and notice["recorded"] == dt.date(2026, 12, 8)
    assert notice["late_why"].startswith("Handed over at the meeting") and not notice.get("letters")
    assert any("given on 2026-12-01" in what and "entered late on 2026-12-08" in what for what in _history(demo))
    assert sorted((demo / "letters").rglob("*")) == letters_before  # no letter made now, dated then
    shown = " ".join(ap("show", TYLER, today="2026-12-08").stdout.split())
    assert "entered on 2026-12-08" in shown
    assert not [i for i in as_json(ap("review", "due", "--case", TYLER, "--json", today="2026-12-08"))
                if i["rule"].startswith("NOTICE")]  # fmt: skip


def test_a_notice_given_too_late_is_refused_on_the_day_given(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("notice", TYLER, "--given-on", "2026-12-04", "--why", "On paper", today="2026-12-08")
    assert result.exit_code == 1
    assert "NOTICE-DEADLINE" in result.stderr and "a notice given on 2026-12-04 is too late" in result.stderr
    assert snapshot(demo) == before


def test_given_on_needs_its_why_and_a_day_before_today(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    for args, says in (
        (("--given-on", "2026-12-01"), "--given-on needs --why"),
        (("--given-on", "2026-12-04", "--why", "x"), "that is today"),
        (("--given-on", "2026-12-05", "--why", "x"), "after today"),
        (("--given-on", "2026-12-01", "--date", "2026-12-04", "--why", "x"), "do not go together"),
    ):
        result = ap("notice", TYLER, *args, today="2026-12-04")
        assert result.exit_code == 2 and says in result.stderr, (args, result.stderr)
    assert snapshot(demo) == before


def test_given_on_with_an_override_keeps_the_last_why_for_the_lateness(ap: Run, demo: Path) -> None:
    result = ap(
        "notice", TYLER, "--given-on", "2026-12-01", "--method", "hand", "--override", "PLACE-LA-INFORMED",
        "--why", "Not needed here", "--why", "Given on paper", today="2026-12-04",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _placement(demo)["notices"][0]["late_why"] == "Given on paper"
