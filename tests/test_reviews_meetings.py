"""Reviews (who came, how long the placement continues, the outcome letter), the EHC needs assessment's status,
targets meetings, breakdown and exclusion meetings, and concerns: issue 15, "Reviews" and "Meetings"."""

from __future__ import annotations

import json

import pytest

from apcli.records.store import Records
from tests.conftest import invoke
from tests.test_review_due import C, Scenario, year  # noqa: F401 (year is the fixture used below)

PARENT, PUPIL, SENCO, PROVIDER = (
    "Ann Scenario (parent)",
    "Noah Scenario (pupil)",
    "Jo Patel (senco)",
    "Sam Turner (provider)",
)


def run(s: Scenario, today: str, *args: str) -> tuple[int, str]:
    result = invoke(s.root, *args, today=today)
    return result.exit_code, result.output


def due(s: Scenario, today: str, rule: str) -> list[tuple[str, str, str]]:
    items = json.loads(s.ap(today, "review", "due", "--case", C, "--json"))
    return [(item["due"], item["state"], item["what"]) for item in items if item["rule"] == rule]


@pytest.fixture
def started(year: Scenario) -> Scenario:  # noqa: F811
    """The scenario's placement, notified and running, its marks and contacts kept up to 6 October 2026."""
    year.ap("2026-09-10", "notice", C, "--date", "2026-09-10", "--method", "hand")
    year.keep_up("2026-10-06")
    return year


def review(s: Scenario, today: str, *extra: str) -> tuple[int, str]:
    return run(s, today, "review", "record", C, "--date", today, "--responsible", "Priya Shah", *extra)


# --- reviews ---------------------------------------------------------------------


def test_a_review_records_who_came_and_how_long_the_placement_continues(started: Scenario) -> None:
    s = started
    going_on = ("--outcome", "continue", "--next", "2026-12-08", "--continue-until", "2027-07-13")
    code, out = review(s, "2026-10-06", *going_on)
    assert code == 2
    assert "A review is a meeting: give who attended with --present" in out
    code, out = review(s, "2026-10-06", *going_on, "--present", SENCO, "--present", PROVIDER)
    assert code == 2
    assert "No parent or carer is among --present" in out
    code, out = review(s, "2026-10-06", "--outcome", "continue", "--next", "2026-12-08", "--present", PARENT)
    assert code == 2
    assert "--continue-until: the review decides how long the placement continues (reg 4(1)(b))" in out
    code, out = review(
        s, "2026-10-06", "--outcome", "continue", "--next", "2026-12-08", "--continue-until", "2027-07-14",
        "--present", PARENT,
    )  # fmt: skip
    assert code == 2
    assert "--continue-until: 2027-07-14 is after the placement's last day (2027-07-13)" in out
    code, out = review(
        s, "2026-10-06", "--outcome", "continue", "--next", "2027-08-01", "--continue-until", "2027-07-13",
        "--present", PARENT,
    )  # fmt: skip
    assert code == 2
    assert "--next: 2027-08-01 is after the placement's last day as decided (2027-07-13)" in out
    # The parents were invited and did not come: recorded, with why.
    code, out = review(
        s, "2026-10-06", *going_on, "--present", SENCO, "--present", PROVIDER,
        "--no-parent-reason", "Invited by letter on 28 September; mother at work",
    )  # fmt: skip
    assert code == 0, out
    saved = Records.open(s.root).load_case(C).case.reviews[-1]
    assert [(p.name, p.role) for p in saved.present] == [("Jo Patel", "senco"), ("Sam Turner", "provider")]
    assert saved.no_parent_reason == "Invited by letter on 28 September; mother at work"
    assert str(saved.continue_until) == "2027-07-13"
    shown = s.ap("2026-10-06", "show", C)
    assert "continue; continues to 2027-07-13; next 2026-12-08 (Priya Shah)" in shown
    assert "no parent or carer came: Invited by letter on 28 September; mother at work" in shown


def test_the_outcome_letter_is_due_after_a_review_until_it_is_sent(started: Scenario) -> None:
    s = started
    assert due(s, "2026-10-06", "REVIEW-OUTCOME-NOTIFIED") == []
    code, out = review(
        s, "2026-10-06", "--outcome", "continue", "--next", "2026-12-08", "--continue-until", "2027-07-13",
        "--present", PARENT, "--present", SENCO,
    )  # fmt: skip
    assert code == 0, out
    what = "send the parents the outcome of the review of 2026-10-06 (ap letter --kind review --review-date 2026-10-06)"
    # Five school days after Tuesday 6 October: Tuesday 13 October.
    assert due(s, "2026-10-06", "REVIEW-OUTCOME-NOTIFIED") == [("2026-10-13", "due", what)]
    assert due(s, "2026-10-14", "REVIEW-OUTCOME-NOTIFIED") == [("2026-10-13", "overdue", what)]
    s.ap("2026-10-14", "letter", C, "--kind", "review", "--method", "post")
    assert due(s, "2026-10-14", "REVIEW-OUTCOME-NOTIFIED") == []
    letter = next((s.root / "letters" / C).glob("*review*.html")).read_text()
    assert "It continues until <strong>Tuesday 13 July 2027</strong>." in letter


def test_the_review_letter_is_owed_and_sent_after_the_placement_ends(started: Scenario) -> None:
    s = started
    code, out = review(s, "2026-10-06", "--outcome", "end", "--continue-until", "2026-10-06", "--present", PARENT)
    assert code == 0, out
    s.ap("2026-10-06", "end", C, "--date", "2026-10-06", "--outcome", "reintegrated")
    [(when, state, what)] = due(s, "2026-10-07", "REVIEW-OUTCOME-NOTIFIED")
    assert (when, state) == ("2026-10-13", "due")
    assert what.endswith(f"still owed after P1 ended on 2026-10-06 (do it, or write it off: ap write-off {C} "
                         "REVIEW-OUTCOME-NOTIFIED --why ...)")  # fmt: skip
    code, out = run(s, "2026-10-07", "letter", C, "--kind", "review", "--method", "post")
    assert code == 0, out
    assert due(s, "2026-10-07", "REVIEW-OUTCOME-NOTIFIED") == []
    assert json.loads(s.ap("2026-10-07", "show", C, "--json"))["status"] == "closed"
    letter = next((s.root / "letters" / C).glob("*review*.html")).read_text()
    assert "Its last day is <strong>Tuesday 6 October 2026</strong>." in letter


# --- the EHC needs assessment -------------------------------------------------------------


def test_the_ehc_needs_assessment_records_its_status_with_its_date(started: Scenario) -> None:
    s = started
    code, out = run(s, "2026-10-06", "ehcna", C, "--status", "agreed", "--date", "2026-10-01")
    assert code == 2
    assert "No request for an EHC needs assessment is recorded: record it first" in out
    s.ap("2026-10-06", "ehcna", C, "--status", "requested", "--date", "2026-09-20")
    code, out = run(s, "2026-10-06", "ehcna", C, "--status", "plan-issued", "--date", "2026-10-01")
    assert code == 2
    assert "--status plan-issued: an EHC plan is issued after the LA agreed to assess" in out
    code, out = run(s, "2026-10-06", "ehcna", C, "--status", "agreed", "--date", "2026-09-19")
    assert code == 2
    assert "--date: 2026-09-19 is before the assessment's last recorded step (2026-09-20)" in out
    s.ap("2026-10-06", "ehcna", C, "--status", "agreed", "--date", "2026-10-01")
    s.ap("2026-10-06", "ehcna", C, "--status", "plan-issued", "--date", "2026-10-06")
    referral = Records.open(s.root).load_case(C).case.referral
    assert str(referral.ehcna_requested) == "2026-09-20"
    assert [(step.status, str(step.date)) for step in referral.ehcna_steps] == [
        ("agreed", "2026-10-01"),
        ("plan-issued", "2026-10-06"),
    ]
    shown = s.ap("2026-10-06", "show", C)
    assert "EHCNA agreed" in shown and "EHCNA plan-issued" in shown


def test_a_case_file_written_before_the_ehcna_status_still_loads(started: Scenario) -> None:
    path = Records.open(started.root).case_path(C)
    assert "ehcna_steps" not in path.read_text()
    assert Records.open(started.root).load_case(C).case.referral.ehcna_steps == []


# --- targets meetings ---------------------------------------------------------------------


def test_a_targets_meeting_counts_only_with_a_target_and_the_family_or_the_pupil(started: Scenario) -> None:
    s = started
    half = "a target meeting with the provider in Autumn 2026, first half (ap meeting --kind targets, then ap target)"
    assert due(s, "2026-10-06", "TARGETS-HALF-TERMLY") == [("2026-10-23", "due", half)]
    # With the provider only, and a target set that day: not with the family or the pupil.
    s.ap("2026-10-05", "meeting", C, "--kind", "targets", "--date", "2026-10-05", "--present", PROVIDER)
    s.ap("2026-10-05", "target", C, "--measure", "behaviour", "--baseline", "5", "--goal", "1", "--date", "2026-10-05")
    not_counted = (
        f"{half}; the one on 2026-10-05 does not count: it needs a target set or reviewed on its date (ap target or "
        "ap measure) and a parent, carer or the pupil present (or --no-parent-reason)"
    )
    assert due(s, "2026-10-06", "TARGETS-HALF-TERMLY") == [("2026-10-23", "due", not_counted)]
    # With the pupil, but no target set or reviewed that day.
    s.ap("2026-10-06", "meeting", C, "--kind", "targets", "--date", "2026-10-06", "--present", PROVIDER,
         "--present", PUPIL)  # fmt: skip
    assert due(s, "2026-10-06", "TARGETS-HALF-TERMLY") == [
        ("2026-10-23", "due", not_counted.replace("2026-10-05 does", "2026-10-06 does"))
    ]
    # The target reviewed at it (a measure on its date): the half term's meeting is held.
    s.ap("2026-10-06", "measure", C, "--measure", "behaviour", "--value", "3", "--date", "2026-10-06")
    assert due(s, "2026-10-06", "TARGETS-HALF-TERMLY") == []


def test_a_targets_meeting_without_the_family_counts_with_the_reason(started: Scenario) -> None:
    s = started
    s.ap("2026-10-06", "meeting", C, "--kind", "targets", "--date", "2026-10-06", "--present", PROVIDER,
         "--no-parent-reason", "Mother invited; could not leave work")  # fmt: skip
    s.ap("2026-10-06", "target", C, "--measure", "behaviour", "--baseline", "5", "--goal", "1", "--date", "2026-10-06")
    assert due(s, "2026-10-06", "TARGETS-HALF-TERMLY") == []


# --- breakdown and exclusion meetings ------------------------------------------------------------


def breakdown_meeting(s: Scenario, kind: str, *present: str) -> None:
    args = [arg for person in present for arg in ("--present", person)]
    s.ap("2026-10-06", "meeting", C, "--kind", kind, "--date", "2026-10-06", *args)


def end(s: Scenario, outcome: str, *extra: str) -> tuple[int, str]:
    return run(s, "2026-10-06", "end", C, "--date", "2026-10-06", "--outcome", outcome, *extra)


def test_a_breakdown_needs_the_school_the_provider_and_the_family_and_says_what_follows(started: Scenario) -> None:
    s = started
    breakdown_meeting(s, "breakdown", PARENT, SENCO)
    code, out = end(s, "breakdown", "--returns", "2026-10-07")
    assert code == 1
    assert "the breakdown meeting needs the academy, the provider and the family: the provider was not" in out
    breakdown_meeting(s, "breakdown", PARENT, SENCO, PROVIDER)
    code, out = end(s, "breakdown")
    assert code == 1
    assert "a broken-down placement records the day the pupil returns to the academy, or what happens instead" in out
    code, out = end(s, "reintegrated", "--returns", "2026-10-07")
    assert code == 2
    assert "--returns and --instead say what follows a breakdown or an exclusion from the provision" in out
    code, out = end(s, "breakdown", "--returns", "2026-10-06")
    assert code == 2
    assert "--returns: 2026-10-06 is not after the placement's last day (2026-10-06)." in out
    code, out = end(s, "breakdown", "--returns", "2026-10-07")
    assert code == 0, out
    ending = Records.open(s.root).load_case(C).case.placements[0].ending
    assert ending is not None and str(ending.returns) == "2026-10-07"
    assert "returns to the academy  2026-10-07" in s.ap("2026-10-06", "show", C)


def test_an_exclusion_from_the_provision_needs_a_member_of_staff_at_the_meeting(started: Scenario) -> None:
    s = started
    breakdown_meeting(s, "exclusion", PARENT, PROVIDER)
    code, out = end(s, "excluded-from-provision", "--instead", "Another provider from 12 October")
    assert code == 1
    assert (
        "a meeting of the academy, the provider and the family about the exclusion from the provision: a member "
        "of the academy's staff was not recorded as present"
    ) in out
    breakdown_meeting(s, "exclusion", PARENT, PROVIDER, SENCO)
    code, out = end(s, "excluded-from-provision", "--instead", "Another provider from 12 October")
    assert code == 0, out


# --- the placement not working: concerns and targets --------------------------------------------------------------


def formal_meeting(s: Scenario, day: str) -> None:
    s.ap(day, "meeting", C, "--kind", "attendance-concern", "--date", day, "--present", PARENT, "--present", PUPIL,
         "--present", SENCO)  # fmt: skip


def test_a_concern_raised_by_the_provider_makes_a_formal_meeting_due(started: Scenario) -> None:
    s = started
    assert due(s, "2026-10-06", "ATT-NOT-WORKING") == []
    s.ap("2026-10-06", "concern", C, "--date", "2026-10-05", "--by", "Sam Turner", "--summary", "Refusing tasks")
    what = (
        "Sam Turner raised a concern on 2026-10-05 that the placement is not working: hold a formal meeting with "
        "the academy, a parent or carer and the pupil (ap meeting --kind attendance-concern)"
    )
    # Five school days after Monday 5 October: Monday 12 October.
    assert due(s, "2026-10-06", "ATT-NOT-WORKING") == [("2026-10-12", "due", what)]
    formal_meeting(s, "2026-10-06")
    assert due(s, "2026-10-06", "ATT-NOT-WORKING") == []
    code, out = run(s, "2026-10-06", "concern", C, "--date", "2026-10-07", "--by", "Jo Patel", "--summary", "x")
    assert code == 2
    assert "2026-10-07 is after today" in out


def test_the_concern_help_says_safeguarding_details_stay_in_the_safeguarding_system(started: Scenario) -> None:
    code, out = run(started, "2026-10-06", "concern", "--help")
    assert code == 0
    assert "its details stay in the school's safeguarding system" in " ".join(out.split())


def test_a_target_whose_latest_measure_moves_away_from_its_goal_makes_a_formal_meeting_due(started: Scenario) -> None:
    s = started
    s.ap("2026-09-21", "target", C, "--measure", "behaviour", "--baseline", "5", "--goal", "1", "--date", "2026-09-21")
    s.ap("2026-09-28", "measure", C, "--measure", "behaviour", "--value", "3", "--date", "2026-09-28")
    assert due(s, "2026-10-06", "ATT-NOT-WORKING") == []  # 3 is nearer 1 than the baseline 5
    s.ap("2026-10-05", "measure", C, "--measure", "behaviour", "--value", "4", "--date", "2026-10-05")
    what = (
        "behaviour moved away from its goal of 1: 4 on 2026-10-05, after 3 on 2026-09-28: hold a formal meeting "
        "with the academy, a parent or carer and the pupil (ap meeting --kind attendance-concern)"
    )
    assert due(s, "2026-10-06", "ATT-NOT-WORKING") == [("2026-10-12", "due", what)]
    formal_meeting(s, "2026-10-06")
    assert due(s, "2026-10-06", "ATT-NOT-WORKING") == []


def test_a_first_measure_further_from_the_goal_than_the_baseline_makes_a_formal_meeting_due(started: Scenario) -> None:
    s = started
    s.ap("2026-09-21", "target", C, "--measure", "behaviour", "--baseline", "2", "--goal", "0", "--date", "2026-09-21")
    s.ap("2026-09-28", "measure", C, "--measure", "behaviour", "--value", "2", "--date", "2026-09-28")
    assert due(s, "2026-10-06", "ATT-NOT-WORKING") == []  # no further away: the same as the baseline
    s.ap("2026-10-05", "target", C, "--measure", "sas-maths", "--baseline", "85", "--goal", "95", "--date",
         "2026-10-05", "--test", "PUMA")  # fmt: skip
    s.ap(
        "2026-10-06", "measure", C, "--measure", "sas-maths", "--value", "83", "--date", "2026-10-06", "--test", "PUMA"
    )
    assert [w for _, _, w in due(s, "2026-10-06", "ATT-NOT-WORKING")] == [
        "sas-maths moved away from its goal of 95: 83 on 2026-10-06, after the baseline of 85: hold a formal "
        "meeting with the academy, a parent or carer and the pupil (ap meeting --kind attendance-concern)"
    ]


def test_the_rules_name_their_sources(started: Scenario) -> None:
    rules = {rule["id"]: rule for rule in json.loads(started.ap("2026-10-06", "rules", "--json"))}
    assert "reg 6" in rules["REVIEW-OUTCOME-NOTIFIED"]["source"]
    assert "reg 4(1)" in rules["REVIEW-TERMLY"]["source"]
    assert "ap concern" in rules["ATT-NOT-WORKING"]["checks"]


def test_a_review_with_the_academy_a_parent_and_the_pupil_is_the_formal_meeting(started: Scenario) -> None:
    s = started
    s.ap("2026-10-06", "concern", C, "--date", "2026-10-05", "--by", "Sam Turner", "--summary", "Refusing tasks")
    code, out = review(
        s, "2026-10-06", "--outcome", "continue", "--next", "2026-12-08", "--continue-until", "2027-07-13",
        "--present", PARENT, "--present", SENCO,
    )  # fmt: skip
    assert code == 0, out
    assert len(due(s, "2026-10-06", "ATT-NOT-WORKING")) == 1  # without the pupil it is not the formal meeting
    s.ap("2026-10-07", "concern", C, "--date", "2026-10-07", "--by", "Jo Patel", "--summary", "Missed sessions")
    code, out = review(
        s, "2026-10-07", "--outcome", "continue", "--next", "2026-12-08", "--continue-until", "2027-07-13",
        "--present", PARENT, "--present", SENCO, "--present", PUPIL,
    )  # fmt: skip
    assert code == 0, out
    assert due(s, "2026-10-07", "ATT-NOT-WORKING") == []
