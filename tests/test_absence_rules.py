"""A provider's "excluded", unauthorised absence reaching the threshold, weekly-contact lapses, and providers'
confirmations running out: each on exact dates through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from apcli.records.store import Records
from tests.conftest import as_json, invoke
from tests.test_review_due import C, Scenario, year  # noqa: F401  (the year fixture: Mondays and Tuesdays)

NOTICE = ("notice", C, "--date", "2026-09-10", "--method", "hand")


def _started(s: Scenario) -> None:
    s.ap("2026-09-10", *NOTICE)


def _register(root: Path, rows: list[str]) -> Path:
    path = root.parent / "register.csv"
    path.write_text("case,date,session,mark\n" + "\n".join(rows) + "\n")
    return path


def _due(s: Scenario, today: str, rule: str) -> list[tuple[str, str, str]]:
    items = json.loads(s.ap(today, "review", "due", "--json"))
    return [(item["due"], item["case"], item["what"]) for item in items if item["rule"] == rule]


# --- a provider's "excluded" ------------------------------------------------------------------------


def test_a_providers_excluded_is_refused_not_turned_into_e(year: Scenario) -> None:  # noqa: F811
    _started(year)
    register = _register(year.root, [f"{C},2026-09-14,AM,present", f"{C},2026-09-14,PM,Excluded"])
    result = invoke(year.root, "attendance", "import", str(register), today="2026-09-15")
    assert result.exit_code == 3, result.output  # the import's refusal: nothing imported
    assert "row 3, mark 'Excluded'" in result.output
    assert "Excluded" in result.output
    assert "not E (E is a suspension or exclusion by the school)" in " ".join(result.output.split())
    assert "--excluded-by-provider" in result.output
    assert "delete that line" not in result.output
    assert Records.open(year.root).marks(C).get(__import__("datetime").date(2026, 9, 14), "am") is None


def test_an_older_settings_file_mapping_excluded_to_e_is_refused_and_named(year: Scenario) -> None:  # noqa: F811
    _started(year)
    settings = year.root / "ap-settings.yaml"
    settings.write_text(settings.read_text().replace("  unauthorised: O\n", "  unauthorised: O\n  excluded: E\n"))
    register = _register(year.root, [f"{C},2026-09-14,AM,excluded"])
    result = invoke(year.root, "attendance", "import", str(register), today="2026-09-15")
    assert result.exit_code == 3, result.output
    flat = " ".join(result.output.split())
    assert "ap-settings.yaml maps 'excluded' to E under mark_words" in flat
    assert "delete that line from ap-settings.yaml" in flat
    assert "  excluded: E\n" in settings.read_text()  # the user's settings are not rewritten


def test_a_new_settings_file_has_no_excluded_word(tmp_path: Path) -> None:
    from apcli.model.schema import DEFAULT_MARK_WORDS

    assert "excluded" not in DEFAULT_MARK_WORDS


def test_the_providers_refusal_makes_the_exclusion_meeting_due_until_one_is_held(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    s.ap("2026-09-15", "attendance", "import", str(_register(s.root, [f"{C},2026-09-14,AM,B", f"{C},2026-09-14,PM,N"])))
    # An absence that is not a refusal makes no meeting due.
    s.ap("2026-09-15", "absence", C, "--date", "2026-09-14", "--session", "pm", "--follow-up", "Rang home")
    assert _due(s, "2026-09-15", "EXCLUDED-FROM-AP-MEETING") == []
    out = s.ap(
        "2026-09-15",
        "absence", C, "--date", "2026-09-14", "--session", "pm", "--excluded-by-provider",
        "--follow-up", "Sent home after an incident; provider will not take him back",
    )  # fmt: skip
    assert "the provider's exclusion of the pupil recorded" in out
    # Due five school days after the refusal (Monday 14 September: Monday 21 September).
    assert _due(s, "2026-09-15", "EXCLUDED-FROM-AP-MEETING") == [
        (
            "2026-09-21",
            C,
            "the provider excluded the pupil on 2026-09-14: convene the meeting of the academy, the provider and "
            "the family (ap meeting --kind exclusion)",
        )
    ]
    assert "excluded by the provider" in s.ap("2026-09-15", "show", C)
    # A meeting of another kind does not clear it; one of kind exclusion on or after the day does.
    s.ap("2026-09-16", "meeting", C, "--kind", "attendance-concern", "--date", "2026-09-16",
         "--present", "Ann Scenario (parent)")  # fmt: skip
    assert len(_due(s, "2026-09-16", "EXCLUDED-FROM-AP-MEETING")) == 1
    s.ap("2026-09-17", "meeting", C, "--kind", "exclusion", "--date", "2026-09-17",
         "--present", "Ann Scenario (parent)", "--present", "Sam Turner (provider)",
         "--present", "Jo Patel (senco)")  # fmt: skip
    assert _due(s, "2026-09-17", "EXCLUDED-FROM-AP-MEETING") == []


# --- unauthorised absence ----------------------------------------------------------------------------


def _absent_days(s: Scenario, today: str, days: list[str], code: str = "N") -> None:
    rows = [f"{C},{d},{session},{code}" for d in days for session in ("AM", "PM")]
    s.ap(today, "attendance", "import", str(_register(s.root, rows)))


MONDAYS_TUESDAYS = ["2026-09-14", "2026-09-15", "2026-09-21", "2026-09-22", "2026-09-28"]


def test_ten_unauthorised_sessions_in_ten_school_weeks_make_the_officers_action_due(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    _absent_days(s, "2026-09-23", MONDAYS_TUESDAYS[:4])  # 8 sessions of N
    assert _due(s, "2026-09-23", "ATT-UNAUTHORISED") == []
    _absent_days(s, "2026-09-29", MONDAYS_TUESDAYS[4:], code="O")  # and 2 of O: 10 by Monday 28 September
    assert _due(s, "2026-09-29", "ATT-UNAUTHORISED") == [
        (
            "2026-10-05",
            C,
            "10 unauthorised sessions (G, N, O, U) by 2026-09-28, the school's threshold of 10 in 10 school weeks: "
            "the attendance officer acts as for absence from the academy (ap meeting --kind attendance-concern "
            "with the attendance officer present)",
        )
    ]
    # A meeting without the attendance officer does not clear it; with the officer, on or after the day, it does.
    s.ap("2026-09-30", "meeting", C, "--kind", "attendance-concern", "--date", "2026-09-30",
         "--present", "Ann Scenario (parent)")  # fmt: skip
    assert len(_due(s, "2026-09-30", "ATT-UNAUTHORISED")) == 1
    s.ap("2026-10-01", "meeting", C, "--kind", "attendance-concern", "--date", "2026-10-01",
         "--present", "Ann Scenario (parent)", "--present", "Pat Officer (attendance)")  # fmt: skip
    assert _due(s, "2026-10-01", "ATT-UNAUTHORISED") == []


def test_sessions_outside_the_rolling_ten_school_weeks_do_not_count(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    # 8 sessions in September, then 2 in the week of 30 November: 11 school weeks after 14 September.
    _absent_days(s, "2026-11-30", [*MONDAYS_TUESDAYS[:4], "2026-11-30"])
    assert _due(s, "2026-11-30", "ATT-UNAUTHORISED") == []


def test_the_threshold_setting_is_the_schools(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    settings = s.root / "ap-settings.yaml"
    settings.write_text(
        settings.read_text().replace("unauthorised_sessions_threshold: 10", "unauthorised_sessions_threshold: 4")
    )
    _absent_days(s, "2026-09-23", MONDAYS_TUESDAYS[:4])  # 8 sessions: the threshold (4) reached twice
    assert [(due, what[:30]) for due, _, what in _due(s, "2026-09-23", "ATT-UNAUTHORISED")] == [
        ("2026-09-22", "4 unauthorised sessions (G, N,"),
        ("2026-09-29", "4 unauthorised sessions (G, N,"),
    ]


# --- weekly contact: lapses and late entries ----------------------------------------------------------------


def test_a_missed_week_is_recorded_once_and_stays_a_lapse(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    assert _due(s, "2026-09-22", "ATT-WEEKLY") == [
        ("2026-09-18", C, "contact with the provider in the week of 2026-09-14 (ap contact)"),
        ("2026-09-25", C, "contact with the provider in the week of 2026-09-21 (ap contact)"),
    ]
    # The current week cannot be given up on: there is still time.
    refused = invoke(s.root, "contact", C, "--missed-week", "2026-09-22", "--why", "x", today="2026-09-22")
    assert refused.exit_code == 2
    assert "the week of 2026-09-21 is not over yet" in refused.output
    s.ap("2026-09-22", "contact", C, "--missed-week", "2026-09-16", "--why", "Provider's phone line was down")
    assert _due(s, "2026-09-22", "ATT-WEEKLY") == [
        ("2026-09-25", C, "contact with the provider in the week of 2026-09-21 (ap contact)"),
    ]
    again = invoke(s.root, "contact", C, "--missed-week", "2026-09-14", "--why", "x", today="2026-09-22")
    assert again.exit_code == 2
    assert "already recorded as a lapse" in again.output
    check = invoke(s.root, "check", C, "--json", today="2026-09-22")
    lapses = [f for f in as_json(check)["findings"] if f["rule"] == "ATT-WEEKLY"]
    assert [(f["severity"], f["message"]) for f in lapses] == [
        (
            "warning",
            "no contact with the provider in the week of 2026-09-14 (a lapse recorded on 2026-09-22: "
            "Provider's phone line was down)",
        )
    ]
    assert "LAPSE: no contact (Provider's phone line was down; recorded 2026-09-22)" in s.ap("2026-09-22", "show", C)
    report = as_json(invoke(s.root, "report", "--json", today="2026-09-22"))
    line = next(p for p in report["pupils"] if p["case"] == C)
    assert line["contact_lapses"] == [{"week": "2026-09-14", "why": "Provider's phone line was down"}]


def test_a_week_with_a_contact_cannot_be_a_lapse(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    s.ap("2026-09-22", "contact", C, "--date", "2026-09-15", "--with", "Sam Turner", "--summary", "Call")
    refused = invoke(s.root, "contact", C, "--missed-week", "2026-09-14", "--why", "x", today="2026-09-22")
    assert refused.exit_code == 2
    assert "a contact with the provider is recorded in the week of 2026-09-14" in refused.output


def test_a_contact_entered_after_its_day_is_recorded_as_late(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    s.ap("2026-09-22", "contact", C, "--date", "2026-09-15", "--with", "Sam Turner", "--summary", "Call")
    s.ap("2026-09-22", "contact", C, "--date", "2026-09-22", "--with", "Sam Turner", "--summary", "Call")
    contacts = Records.open(s.root).load_case(C).case.provider_contacts
    assert [(str(c.date), c.recorded and str(c.recorded)) for c in contacts] == [
        ("2026-09-15", "2026-09-22"),
        ("2026-09-22", None),
    ]
    assert "(entered late, on 2026-09-22)" in s.ap("2026-09-22", "show", C)


# --- providers' confirmations ---------------------------------------------------------------------------


def test_the_reconfirmation_is_listed_once_from_thirty_days_before(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    # larkhill-green confirmed both on 2026-07-10: valid to 2027-07-09, listed from 2027-06-10.
    assert _due(s, "2027-06-09", "PROVIDER-RECONFIRM") == []
    items = _due(s, "2027-06-10", "PROVIDER-RECONFIRM")
    assert [(due, case) for due, case, _ in items] == [
        ("2027-07-09", "larkhill-green"),
        ("2027-07-09", "larkhill-green"),
    ]
    assert items[0][2] == (
        "provider larkhill-green: ask it to confirm again its confirmation that it follows the academy's "
        "safeguarding policy (given 2026-07-10, valid 12 months, runs out on 2027-07-10), then record it "
        "(ap provider confirm)"
    )
    s.ap("2027-06-11", "provider", "confirm", "larkhill-green", "--safeguarding", "2027-06-11")
    items = _due(s, "2027-06-11", "PROVIDER-RECONFIRM")
    assert [what.split(" (given")[0] for _, _, what in items] == [
        "provider larkhill-green: ask it to confirm again its written confirmation that staff checks were done"
    ]
    s.ap("2027-06-11", "provider", "confirm", "larkhill-green", "--staff-checks", "2027-06-11")
    assert _due(s, "2027-06-11", "PROVIDER-RECONFIRM") == []


def test_a_providers_item_is_shown_once_for_all_its_pupils(demo: Path) -> None:
    items = as_json(invoke(demo, "review", "due", "--json", today="2027-06-15"))
    found = [(i["case"], i["pupil"], i["due"]) for i in items if i["rule"] == "PROVIDER-RECONFIRM"]
    assert found == [("larkhill-green", "", "2027-07-09"), ("larkhill-green", "", "2027-07-09")]


def test_an_expired_confirmation_refuses_a_change(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    args = ("change", C, "--weekdays", "mon,tue,wed", "--from", "2027-07-12", "--why", "More days")
    refused = invoke(s.root, *args, today="2027-07-10")
    assert refused.exit_code == 1, refused.output
    flat = " ".join(refused.output.split())
    assert "PLACE-PROVIDER-SAFEGUARDING" in flat
    assert "ran out on 2027-07-10" in flat
    s.ap("2027-07-10", "provider", "confirm", "larkhill-green", "--safeguarding", "2027-07-10",
         "--staff-checks", "2027-07-10")  # fmt: skip
    allowed = invoke(s.root, *args, today="2027-07-10")
    assert "PLACE-PROVIDER-SAFEGUARDING" not in allowed.output


def test_a_confirmation_is_not_renewed_with_an_earlier_or_future_date(demo: Path) -> None:
    earlier = invoke(demo, "provider", "confirm", "larkhill-green", "--safeguarding", "2026-07-01")
    assert earlier.exit_code == 2
    assert "2026-07-01 is earlier" in earlier.output
    future = invoke(demo, "provider", "confirm", "larkhill-green", "--staff-checks", "2026-12-01")
    assert future.exit_code == 2
    assert "is after today (2026-11-27)" in future.output
    text = (demo / "providers" / "larkhill-green.yaml").read_text()
    assert "safeguarding_confirmed: 2026-07-10" in text


def test_a_contact_dated_today_does_not_make_good_a_past_week(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    s.ap("2026-09-22", "contact", C, "--date", "2026-09-22", "--with", "Sam Turner", "--summary", "Call")
    assert _due(s, "2026-09-22", "ATT-WEEKLY") == [
        ("2026-09-18", C, "contact with the provider in the week of 2026-09-14 (ap contact)"),
    ]


def test_the_html_report_and_attendance_show_name_lapses_and_refusals(year: Scenario) -> None:  # noqa: F811
    s = year
    _started(s)
    s.ap("2026-09-22", "contact", C, "--missed-week", "2026-09-14", "--why", "Staff absence")
    s.ap("2026-09-22", "attendance", "import", str(_register(s.root, [f"{C},2026-09-14,AM,B", f"{C},2026-09-14,PM,N"])))
    s.ap("2026-09-22", "absence", C, "--date", "2026-09-14", "--session", "pm", "--excluded-by-provider",
         "--follow-up", "Sent home")  # fmt: skip
    page = s.root.parent / "report.html"
    s.ap("2026-09-22", "report", "--html", str(page))
    assert "<li>week of 2026-09-14: Staff absence</li>" in page.read_text()
    shown = as_json(invoke(s.root, "attendance", "show", C, "--json", today="2026-09-22"))
    assert shown["absences"] == [
        {"date": "2026-09-14", "session": "PM", "code": "N", "follow_up": "Sent home (excluded by the provider)"}
    ]


def _expire_the_provider(root: Path) -> None:
    path = root / "providers" / "larkhill-green.yaml"
    path.write_text(
        path.read_text().replace("safeguarding_confirmed: 2026-07-10", "safeguarding_confirmed: 2025-09-09")
    )


def test_an_expired_confirmation_refuses_the_notice_and_is_an_error_in_check(year: Scenario) -> None:  # noqa: F811
    s = year
    _expire_the_provider(s.root)  # valid 12 months: ran out on 2026-09-09, the day before the notice
    refused = invoke(s.root, *NOTICE, today="2026-09-10")
    assert refused.exit_code == 1, refused.output
    flat = " ".join(refused.output.split())
    assert (
        "PLACE-PROVIDER-SAFEGUARDING (must): the provider 'larkhill-green': its confirmation that it follows the "
        "academy's safeguarding policy (given 2025-09-09, valid 12 months, ran out on 2026-09-09) has expired"
    ) in flat
    s.ap("2026-09-10", "provider", "confirm", "larkhill-green", "--safeguarding", "2026-09-10")
    s.ap("2026-09-10", *NOTICE)
    check = as_json(invoke(s.root, "check", C, "--json", today="2026-09-10"))["findings"]
    assert [f for f in check if f["rule"] == "PLACE-PROVIDER-SAFEGUARDING"] == []
    (s.root / "providers" / "larkhill-green.yaml").write_text(
        (s.root / "providers" / "larkhill-green.yaml")
        .read_text()
        .replace("safeguarding_confirmed: 2026-09-10", "safeguarding_confirmed: 2025-09-09")
    )
    check = as_json(invoke(s.root, "check", C, "--json", today="2026-09-15"))["findings"]
    assert [(f["rule"], f["severity"]) for f in check if f["rule"] == "PLACE-PROVIDER-SAFEGUARDING"] == [
        ("PLACE-PROVIDER-SAFEGUARDING", "error")
    ]
