"""Agreeing a placement: the provider register, meetings, decisions, the placement and `ap edit`,
each MEET-*, DEC-* and PLACE-* rule refusing and allowing, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import Run, as_json, scripted_editor, snapshot

RUBY = "AP-2026-004"  # agreed: parents accepted, headteacher approved on 2026-11-25
OSCAR = "AP-2026-005"  # referred: no meeting yet
LEO = "AP-2026-001"
FREYA = "AP-2026-007"  # planning meeting held, parents not yet answered
KAI = "AP-2026-008"  # alternative to permanent exclusion, parents refused
ISLA = "AP-2026-009"  # closed: the headteacher withdrew it

PLACEMENT = [
    "--provider",
    "larkhill-green",
    "--start",
    "2026-12-01",
    "--end",
    "2027-02-12",
    "--weekdays",
    "tue,thu",
    "--aims",
    "Re-engage with learning",
    "--agreement",
    "LG-2026-030",
    "--agreement-signed",
    "2026-11-26",
    "--cost",
    "1,530.00",
    "--approved-by",
    "academy",
    "--approved-on",
    "2026-11-26",
    "--english-maths",
    "Daily at the provider",
    "--reintegration",
    "Back full time after February half term",
    "--la-informed",
    "2026-11-26",
]
PLANNING = [
    "--kind",
    "planning",
    "--date",
    "2026-11-26",
    "--present",
    "Zoe Pennington (parent)",
    "--present",
    "Jo Patel (senco)",
    "--reasons-explained",
]


def case(demo: Path, case_id: str) -> dict[str, object]:
    data = yaml.safe_load((demo / "cases" / f"{case_id}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def without(args: list[str], *options: str) -> list[str]:
    out = list(args)
    for option in options:
        index = out.index(option)
        del out[index : index + (1 if option.startswith("--reasons") else 2)]
    return out


def refused(result: object, *rules: str) -> str:
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    text: str = result.stderr  # type: ignore[attr-defined]
    for rule in rules:
        assert rule in text
    return text


# --- the provider register ---

PROVIDER = [
    "provider",
    "add",
    "oak-farm",
    "--name",
    "Oak Farm Learning",
    "--address",
    "Oak Farm, Example Lane, ZZ3 3ZZ",
    "--contact",
    "Ms Ada Price",
    "--code",
    "B",
    "--morning-start",
    "09:00",
    "--break-start",
    "12:00",
    "--break-end",
    "12:30",
    "--afternoon-end",
    "15:00",
    "--daily-cost",
    "70",
    "--safeguarding-confirmed",
    "2026-09-01",
    "--staff-checks-confirmed",
    "2026-09-02",
    "--urn",
    "999123",
    "--weekdays",
    "mon,tue,wed",
]


def test_provider_add_writes_a_register_file_and_lists_it(ap: Run, demo: Path) -> None:
    result = ap(*PROVIDER)
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((demo / "providers" / "oak-farm.yaml").read_text())
    assert written["sessions"] == {
        "morning_start": "09:00",
        "break_start": "12:00",
        "break_end": "12:30",
        "afternoon_end": "15:00",
    }
    assert written["register_code"] == "B" and written["weekdays"] == ["mon", "tue", "wed"]
    listed = as_json(ap("provider", "list", "--json"))
    assert set(listed) == {"brookside-tuition", "cedar-house", "larkhill-green", "oak-farm"}
    assert ap("check").exit_code == 0


def test_a_single_session_provider(ap: Run, demo: Path) -> None:
    args = [
        a
        for a in PROVIDER
        if a
        not in (
            "--morning-start",
            "09:00",
            "--break-start",
            "12:00",
            "--break-end",
            "12:30",
            "--afternoon-end",
            "15:00",
        )
    ]
    result = ap(*args, "--session-start", "09:30", "--session-end", "12:30")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((demo / "providers" / "oak-farm.yaml").read_text())["sessions"] == {
        "start": "09:30",
        "end": "12:30",
    }


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("--code", "K"), "local authority"),
        (("--code", "X"), "give B"),
        (("--daily-cost", "-5"), "cannot be negative"),
        (("--daily-cost", "lots"), "not an amount of money"),
        (("--break-start", "12:45"), "out of order"),
        (("--morning-start", "9am"), "not a time"),
        (("--urn", "12"), "urn"),
        (("--safeguarding-confirmed", "soon"), "not a date"),
        (("--weekdays", "mon,sat"), "not a school day"),
    ],
)
def test_bad_provider_details_change_nothing(ap: Run, demo: Path, change: tuple[str, str], says: str) -> None:
    args = list(PROVIDER)
    args[args.index(change[0]) + 1] = change[1]
    before = snapshot(demo)
    result = ap(*args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert snapshot(demo) == before


def test_a_provider_already_in_the_register_is_not_overwritten(ap: Run, demo: Path) -> None:
    assert ap(*PROVIDER).exit_code == 0
    before = snapshot(demo)
    result = ap(*PROVIDER)
    assert result.exit_code == 2 and "already in the register" in result.stderr
    assert snapshot(demo) == before


def test_provider_ids_that_are_paths_are_refused(ap: Run) -> None:
    args = list(PROVIDER)
    args[2] = "../evil"
    assert ap(*args).exit_code == 2


# --- meetings: MEET-PLANNING, MEET-REASONS-EXPLAINED, MEET-PEX-CLEAR ---


def test_planning_meeting_needs_a_parent_or_the_reason_none_came(ap: Run, demo: Path) -> None:
    no_parent = ["--kind", "planning", "--date", "2026-11-26", "--present", "Jo Patel (senco)", "--reasons-explained"]
    refused(ap("meeting", OSCAR, *no_parent), "MEET-PLANNING")
    result = ap(
        "meeting",
        OSCAR,
        *no_parent,
        "--no-parent-reason",
        "Mum in hospital",
        "--parents-informed",
        "Phoned her on 27 Nov",
    )
    assert result.exit_code == 0, result.output
    assert case(demo, OSCAR)["meetings"][0]["no_parent_reason"] == "Mum in hospital"


def test_planning_meeting_with_a_parent_is_allowed(ap: Run, demo: Path) -> None:
    result = ap("meeting", OSCAR, *PLANNING)
    assert result.exit_code == 0, result.output
    assert "Status: referred" in result.stdout and "DEC-PARENT-RESPONSE" in result.stdout
    meeting = case(demo, OSCAR)["meetings"][0]
    assert meeting["present"][0] == {"name": "Zoe Pennington", "role": "parent"}
    assert case(demo, OSCAR)["history"][-1]["what"] == "planning meeting on 2026-11-26 recorded"


def test_planning_meeting_must_record_the_reasons_explained(ap: Run) -> None:
    refused(ap("meeting", OSCAR, *without(PLANNING, "--reasons-explained")), "MEET-REASONS-EXPLAINED")


def test_an_alternative_to_exclusion_must_be_made_clear(ap: Run, demo: Path) -> None:
    kai = demo / "cases" / f"{KAI}.yaml"
    kai.write_text(kai.read_text().replace("exclusion_made_clear: true", "exclusion_made_clear: false"))
    assert "MEET-PEX-CLEAR" in as_json(ap("show", KAI, "--json"))["blocked_by"]
    other = ["--kind", "planning", "--date", "2026-11-26", "--present", "Ryan Brennan (parent)", "--reasons-explained"]
    refused(ap("meeting", KAI, *other), "MEET-PEX-CLEAR")
    assert ap("meeting", KAI, *other, "--exclusion-made-clear").exit_code == 0


def test_other_meetings_come_after_the_planning_meeting(ap: Run) -> None:
    result = ap("meeting", OSCAR, "--kind", "targets", "--date", "2026-11-26", "--present", "Jo Patel (senco)")
    refused(result, "MEET-PLANNING")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--kind", "planning", "--date", "2026-11-26"], "who was there"),
        (["--kind", "planning", "--date", "2026-11-26", "--present", "Zoe (auntie)"], "not a role"),
        (["--kind", "planning", "--date", "2026-11-26", "--present", "Zoe Pennington"], "Name (role)"),
        (["--kind", "chat", "--date", "2026-11-26", "--present", "Zoe (parent)"], "not a kind of meeting"),
        (["--kind", "planning", "--date", "2026-12-25", "--present", "Zoe (parent)"], "after today"),
        (["--kind", "planning", "--date", "2026-11-01", "--present", "Zoe (parent)"], "before the referral"),
    ],
)
def test_bad_meetings_change_nothing(ap: Run, demo: Path, args: list[str], says: str) -> None:
    before = snapshot(demo)
    result = ap("meeting", OSCAR, *args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert snapshot(demo) == before


# --- decisions: DEC-PARENT-RESPONSE, DEC-PEX-REFUSED, DEC-DIRECTION ---


def test_the_headteacher_approves_only_after_the_parents_respond(ap: Run, demo: Path) -> None:
    text = refused(ap("decision", FREYA, "--headteacher", "approve", "--date", "2026-11-27"), "DEC-PARENT-RESPONSE")
    # the command to run names the case, as `ap show` does, never the placeholder CASE
    assert f"To supply it: ap decision {FREYA} --parents accepted|refused --date D" in text
    assert "CASE" not in text
    assert ap("decision", FREYA, "--parents", "accepted", "--date", "2026-11-27").exit_code == 0
    result = ap("decision", FREYA, "--headteacher", "approve", "--date", "2026-11-27")
    assert result.exit_code == 0, result.output
    assert as_json(ap("show", FREYA, "--json"))["status"] == "agreed"


def test_a_refused_alternative_to_exclusion_waits_for_the_headteacher(ap: Run, demo: Path) -> None:
    refused(ap("placement", KAI, *PLACEMENT), "DEC-PEX-REFUSED", "PLACE-HEADTEACHER")
    refused(ap("decision", KAI, "--headteacher", "approve", "--date", "2026-11-27"), "DEC-PEX-REFUSED")
    result = ap(
        "decision", KAI, "--headteacher", "direct", "--date", "2026-11-27", "--reason", "Exclusion would harm him more"
    )
    assert result.exit_code == 0, result.output
    shown = as_json(ap("show", KAI, "--json"))
    assert "DEC-PEX-REFUSED" not in shown["blocked_by"] and shown["status"] == "agreed"


def test_the_headteacher_may_proceed_with_the_exclusion(ap: Run) -> None:
    assert ap("decision", KAI, "--headteacher", "proceed-with-exclusion", "--date", "2026-11-27").exit_code == 0
    assert as_json(ap("show", KAI, "--json"))["status"] == "closed"


def test_proceed_with_exclusion_only_where_parents_refused_it(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("decision", FREYA, "--headteacher", "proceed-with-exclusion", "--date", "2026-11-27")
    assert result.exit_code == 2 and "not one" in result.stderr
    assert snapshot(demo) == before


def test_a_direction_needs_the_headteachers_reasons(ap: Run, demo: Path) -> None:
    assert ap("decision", FREYA, "--parents", "refused", "--date", "2026-11-27").exit_code == 0
    text = refused(ap("decision", FREYA, "--headteacher", "approve", "--date", "2026-11-27"), "DEC-DIRECTION")
    assert "direction" in text and "--override DEC-DIRECTION" in text
    refused(ap("decision", FREYA, "--headteacher", "direct", "--date", "2026-11-27"), "DEC-DIRECTION")
    result = ap(
        "decision",
        FREYA,
        "--headteacher",
        "direct",
        "--date",
        "2026-11-27",
        "--reason",
        "Her needs are not met in class",
    )
    assert result.exit_code == 0, result.output


def test_a_direction_without_reasons_can_be_overridden_and_is_recorded(ap: Run, demo: Path) -> None:
    assert ap("decision", FREYA, "--parents", "refused", "--date", "2026-11-27").exit_code == 0
    result = ap(
        "decision",
        FREYA,
        "--headteacher",
        "direct",
        "--date",
        "2026-11-27",
        "--override",
        "DEC-DIRECTION",
        "--why",
        "Reasons given in the letter of 27 Nov",
    )
    assert result.exit_code == 0, result.output
    assert case(demo, FREYA)["overrides"][0]["rule"] == "DEC-DIRECTION"


def test_a_decision_on_a_closed_case_is_refused(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("decision", ISLA, "--parents", "accepted", "--date", "2026-11-27")
    assert result.exit_code == 1 and "closed" in result.stderr
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--date", "2026-11-27"], "Give either"),
        (["--parents", "accepted", "--headteacher", "approve", "--date", "2026-11-27"], "Give either"),
        (["--parents", "maybe", "--date", "2026-11-27"], "not accepted or refused"),
        (["--headteacher", "veto", "--date", "2026-11-27"], "not one of"),
        (["--parents", "accepted", "--date", "31/11/2026"], "not a real date"),
    ],
)
def test_bad_decisions_change_nothing(ap: Run, demo: Path, args: list[str], says: str) -> None:
    before = snapshot(demo)
    result = ap("decision", FREYA, *args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert snapshot(demo) == before


# --- the placement: PLACE-* ---


def test_a_complete_placement_is_commissioned_and_ready_for_notice(ap: Run, demo: Path) -> None:
    result = ap("placement", RUBY, *PLACEMENT)
    assert result.exit_code == 0, result.output
    placement = case(demo, RUBY)["placements"][0]
    assert placement["cost"] == 1530 and placement["start_time"] == "09:15"
    assert placement["report_to"] == "Mr Sam Turner (Centre Manager)"
    shown = as_json(ap("show", RUBY, "--json"))
    assert shown["status"] == "commissioned" and shown["blocked_by"] == []
    assert shown["next"] == "ready for the notice (ap notice)"


def test_a_placement_before_the_parents_respond_is_refused(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    refused(ap("placement", FREYA, *PLACEMENT), "DEC-PARENT-RESPONSE", "PLACE-HEADTEACHER")
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("drop", "rule"),
    [
        (("--agreement", "--agreement-signed"), "PLACE-COMMISSIONING"),
        (("--cost",), "PLACE-BUDGET"),
        (("--approved-by", "--approved-on"), "PLACE-BUDGET"),
    ],
)
def test_must_rules_of_the_placement(ap: Run, demo: Path, drop: tuple[str, ...], rule: str) -> None:
    before = snapshot(demo)
    text = refused(ap("placement", RUBY, *without(PLACEMENT, *drop)), rule)
    assert "--override" not in text.split(rule)[1].split("\n\n")[0]  # a must rule offers no override
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("drop", "rule"),
    [
        (("--english-maths",), "PLACE-CORE-SUBJECTS"),
        (("--reintegration",), "PLACE-PLAN"),
        (("--aims",), "PLACE-PLAN"),
        (("--la-informed",), "PLACE-LA-INFORMED"),
    ],
)
def test_should_rules_of_the_placement_refuse_then_allow_an_override(
    ap: Run, demo: Path, drop: tuple[str, ...], rule: str
) -> None:
    args = without(PLACEMENT, *drop)
    refused(ap("placement", RUBY, *args), rule)
    result = ap("placement", RUBY, *args, "--override", rule, "--why", "To follow next week")
    assert result.exit_code == 0, result.output
    assert [o["rule"] for o in case(demo, RUBY)["overrides"]] == [rule]
    # The notice must still state the aims, whatever the plan's override says (reg 3(4)).
    assert as_json(ap("show", RUBY, "--json"))["blocked_by"] == (["NOTICE-CONTENT"] if "--aims" in drop else [])


def test_the_provider_must_be_in_the_register(ap: Run, demo: Path) -> None:
    args = list(PLACEMENT)
    args[args.index("--provider") + 1] = "nowhere-ap"
    refused(ap("placement", RUBY, *args), "PLACE-PROVIDER-KNOWN")


def test_the_provider_must_have_confirmed_safeguarding(ap: Run, demo: Path) -> None:
    path = demo / "providers" / "larkhill-green.yaml"
    path.write_text(path.read_text().replace("staff_checks_confirmed: 2026-07-10\n", ""))
    text = refused(ap("placement", RUBY, *PLACEMENT), "PLACE-PROVIDER-SAFEGUARDING")
    assert "staff checks" in text
    check = ap("check", "--json")  # the commissioned and active cases with this provider are now errors
    assert {f["case"] for f in as_json(check)["findings"] if f["rule"] == "PLACE-PROVIDER-SAFEGUARDING"} >= {
        "AP-2026-003"
    }


def test_pupils_stay_on_roll_marked_b_never_k(ap: Run, demo: Path) -> None:
    assert not [f for f in as_json(ap("check", "--json"))["findings"] if f["rule"] == "PLACE-STAYS-ON-ROLL"]
    path = demo / "cases" / "AP-2026-001.attendance.csv"
    path.write_text(path.read_text().replace("2026-11-16,B,B,", "2026-11-16,K,B,"))
    result = ap("check", "AP-2026-001", "--json")
    assert result.exit_code == 1
    [finding] = as_json(result)["findings"]
    assert finding["rule"] == "PLACE-STAYS-ON-ROLL" and "2026-11-16 AM is marked K" in finding["message"]


def test_days_give_the_end_date_on_the_school_calendar(ap: Run, demo: Path) -> None:
    args = without(PLACEMENT, "--end", "--start", "--weekdays")
    # Tuesdays and Thursdays from Thursday 17 December: 17 Dec, then 5, 7, 12 Jan (4 Jan is INSET, holidays between).
    result = ap("placement", RUBY, *args, "--start", "2026-12-17", "--weekdays", "tue,thu", "--days", "4")
    assert result.exit_code == 0, result.output
    assert case(demo, RUBY)["placements"][0]["end"].isoformat() == "2027-01-12"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("--start", "2026-11-24"), "before the headteacher's decision"),
        (("--start", "2026-12-25"), "not a school day"),
        (("--start", "2026-12-02"), "not one of the placement's days"),
        (("--end", "2026-11-30"), "before the start"),
        (("--weekdays", "tue,sat"), "not a school day"),
        (("--weekdays", "tue,thurs,fry"), "not a weekday"),
        (("--cost", "-10"), "cannot be negative"),
        (("--cost", "a lot"), "not an amount of money"),
        (("--cost", "10.555"), "two decimal places"),
        (("--approved-by", "council"), "not an approving body"),
        (("--agreement-signed", "2027-01-01"), "after today"),
        (("--provider", "../../etc"), "not a provider id"),
    ],
)
def test_bad_placements_change_nothing(ap: Run, demo: Path, change: tuple[str, str], says: str) -> None:
    args = list(PLACEMENT)
    args[args.index(change[0]) + 1] = change[1]
    before = snapshot(demo)
    result = ap("placement", RUBY, *args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert snapshot(demo) == before


def test_weekdays_must_be_days_the_provider_is_open(ap: Run, demo: Path) -> None:
    path = demo / "providers" / "larkhill-green.yaml"
    path.write_text(path.read_text() + "weekdays: [mon, wed, fri]\n")
    result = ap("placement", RUBY, *PLACEMENT)
    assert result.exit_code == 2 and "open on mon,wed,fri only" in result.stderr


def test_an_override_of_a_must_rule_is_refused(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("placement", RUBY, *without(PLACEMENT, "--cost"), "--override", "PLACE-BUDGET", "--why", "later")
    assert result.exit_code == 2 and "only *should* rules" in result.stderr
    assert snapshot(demo) == before


# --- end to end ---


def test_from_referral_to_ready_for_notice_by_following_ap_show(ap: Run, demo: Path) -> None:
    opened = ap(
        "refer",
        "--name",
        "Noah Example",
        "--dob",
        "2018-06-01",
        "--year",
        "4",
        "--reason",
        "respite",
        "--rationale",
        "Respite to reset",
        "--send-hub",
        "2026-11-20",
        "--managed-move",
        "not-suitable",
        "--managed-move-why",
        "Respite only",
        "--parent",
        "Ann Example (mother)",
        "--address",
        "1 Road",
        "--json",
        today="2026-11-23",
    )
    case_id = as_json(opened)["id"]
    steps = [
        (
            "MEET-PLANNING",
            [
                "meeting",
                case_id,
                "--kind",
                "planning",
                "--date",
                "2026-11-24",
                "--present",
                "Ann Example (parent)",
                "--present",
                "Jo Patel (senco)",
                "--reasons-explained",
            ],
        ),
        ("DEC-PARENT-RESPONSE", ["decision", case_id, "--parents", "accepted", "--date", "2026-11-25"]),
        ("PLACE-HEADTEACHER", ["decision", case_id, "--headteacher", "approve", "--date", "2026-11-25"]),
        ("PLACE-COMMISSIONING", ["placement", case_id, *PLACEMENT]),
    ]
    expected_status = ["referred", "referred", "agreed", "commissioned"]
    for (rule, command), status in zip(steps, expected_status, strict=True):
        shown = as_json(ap("show", case_id, "--json"))
        assert shown["blocked_by"][0] == rule  # ap show names the next thing to do ...
        fix = shown["blocking"][0]["fix"]
        assert fix.startswith(f"ap {command[0]} {case_id}")  # ... and the command that does it
        result = ap(*command)
        assert result.exit_code == 0, result.output
        assert as_json(ap("show", case_id, "--json"))["status"] == status
    shown = as_json(ap("show", case_id, "--json"))
    assert shown["blocked_by"] == [] and shown["next"] == "ready for the notice (ap notice)"
    history = [entry["what"] for entry in case(demo, case_id)["history"]]
    assert history[0] == "referral opened" and history[-1].startswith("placement recorded")
    assert ap("check", case_id).exit_code == 0


# --- ap edit ---


def test_edit_saves_a_valid_change_keeping_comments(
    ap: Run, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EDITOR",
        scripted_editor(
            tmp_path,
            """
        import sys, pathlib
        p = pathlib.Path(sys.argv[1])
        text = p.read_text().replace("  year: 4\\n", "  year: 4  # checked with the office\\n", 1)
        p.write_text(text.replace("Parents do not want him to leave his friends.", "Parents prefer he stays."))
    """,
        ),
    )
    result = ap("edit", OSCAR)
    assert result.exit_code == 0, result.output
    assert "referral.managed_move" in result.stdout
    text = (demo / "cases" / f"{OSCAR}.yaml").read_text()
    assert "# checked with the office" in text and "Parents prefer he stays." in text
    assert case(demo, OSCAR)["history"][-1]["what"] == "edited by hand: referral.managed_move"
    assert not (demo / ".locks" / f"{OSCAR}.edit.yaml").exists()


def test_edit_refuses_an_invalid_file_and_keeps_both(
    ap: Run, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EDITOR",
        scripted_editor(
            tmp_path,
            """
        import sys, pathlib
        p = pathlib.Path(sys.argv[1])
        p.write_text(p.read_text().replace("  year: 4\\n", "  year: 4\\n  yeer: 5\\n", 1))
    """,
        ),
    )
    before = snapshot(demo)
    result = ap("edit", OSCAR)
    assert result.exit_code == 3
    assert "unknown field 'yeer'" in result.stderr and ":6:" in result.stderr and "kept in" in result.stderr
    after = snapshot(demo)
    assert after[f"cases/{OSCAR}.yaml"] == before[f"cases/{OSCAR}.yaml"]
    draft = demo / ".locks" / f"{OSCAR}.edit.yaml"
    assert "yeer: 5" in draft.read_text()  # nothing typed is lost
    # The next edit opens the draft again; fixing it saves it.
    monkeypatch.setenv(
        "EDITOR",
        scripted_editor(
            tmp_path,
            """
        import sys, pathlib
        p = pathlib.Path(sys.argv[1])
        p.write_text(p.read_text().replace("  yeer: 5\\n", ""))
    """,
        ),
    )
    result = ap("edit", OSCAR)
    assert result.exit_code == 0, result.output
    assert not draft.exists()


def test_edit_refuses_a_change_that_breaks_a_must_rule(
    ap: Run, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EDITOR",
        scripted_editor(
            tmp_path,
            """
        import sys, pathlib
        p = pathlib.Path(sys.argv[1])
        p.write_text(p.read_text().replace("reasons_explained: true", "reasons_explained: false"))
    """,
        ),
    )
    before = snapshot(demo)
    result = ap("edit", "AP-2026-007")
    assert result.exit_code == 1 and "MEET-REASONS-EXPLAINED" in result.stderr
    assert snapshot(demo)["cases/AP-2026-007.yaml"] == before["cases/AP-2026-007.yaml"]


def test_a_must_finding_the_case_already_had_does_not_stop_an_edit_but_a_new_one_does(
    ap: Run, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Larkhill Green's safeguarding confirmation ran out with time (PLACE-PROVIDER-SAFEGUARDING, must): mending
    Leo's parents' views is not the edit's breach; un-explaining the reasons at the planning meeting is."""
    provider = demo / "providers" / "larkhill-green.yaml"
    provider.write_text(
        provider.read_text().replace("safeguarding_confirmed: 2026-07-10", "safeguarding_confirmed: 2025-09-09")
    )
    check = as_json(ap("check", LEO, "--json"))["findings"]
    assert [f["rule"] for f in check if f["severity"] == "error"] == ["PLACE-PROVIDER-SAFEGUARDING"]
    mend = "p.write_text(p.read_text().replace('Mum is pleased', 'His mother is pleased'))"
    monkeypatch.setenv(
        "EDITOR", scripted_editor(tmp_path, f"import sys, pathlib\np = pathlib.Path(sys.argv[1])\n{mend}\n")
    )
    result = ap("edit", LEO)
    assert result.exit_code == 0, result.output
    assert "His mother is pleased" in (demo / "cases" / f"{LEO}.yaml").read_text()
    breach = "p.write_text(p.read_text().replace('reasons_explained: true', 'reasons_explained: false', 1))"
    monkeypatch.setenv(
        "EDITOR", scripted_editor(tmp_path, f"import sys, pathlib\np = pathlib.Path(sys.argv[1])\n{breach}\n")
    )
    before = snapshot(demo)
    refused = ap("edit", LEO)
    assert refused.exit_code == 1, refused.output
    assert "MEET-REASONS-EXPLAINED" in refused.stderr and "PLACE-PROVIDER-SAFEGUARDING" not in refused.stderr
    assert snapshot(demo)["cases/AP-2026-001.yaml"] == before["cases/AP-2026-001.yaml"]


def test_edit_with_no_change(ap: Run, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, "pass\n"))
    before = snapshot(demo)
    result = ap("edit", OSCAR)
    assert result.exit_code == 0 and "No changes" in result.stdout
    assert snapshot(demo) == before


# --- ap check on a hand-broken copy ---


def test_check_reports_each_hand_made_break_with_file_and_line(ap: Run, demo: Path) -> None:
    leo = demo / "cases" / "AP-2026-001.yaml"
    text = leo.read_text()
    text = text.replace("    reasons_explained: true\n    exclusion_made_clear: true\n", "")
    text = text.replace("    approved_by: trust\n", "    approved_by: council\n")
    leo.write_text(text)
    result = ap("check", "--json")
    assert result.exit_code == 1
    found = {(f["rule"], f["line"]) for f in as_json(result)["findings"]}
    lines = text.splitlines()
    by_rule = {rule: line for rule, line in found}
    assert {"MEET-REASONS-EXPLAINED", "MEET-PEX-CLEAR", "PLACE-BUDGET"} <= set(by_rule)
    assert lines[by_rule["PLACE-BUDGET"] - 1] == "    approved_by: council"
    assert lines[by_rule["MEET-REASONS-EXPLAINED"] - 1] == "  - kind: planning"


def test_weekdays_are_read_whole_words_or_none() -> None:
    """`Tuesday and Thursday` is Tuesday and Thursday (it was once read as its first three letters: tue);
    a word that is not a day is refused, never cut down to one."""
    from apcli.errors import UsageError
    from apcli.steps.workflow import parse_weekdays

    assert parse_weekdays("Tuesday and Thursday", None) == ["tue", "thu"]
    assert parse_weekdays("mon, Wed; FRIDAY", None) == ["mon", "wed", "fri"]
    assert parse_weekdays("tues/thurs", None) == ["tue", "thu"]
    for wrong in ("Tuesdays", "tu", "weekdays", "mon,satur"):
        with pytest.raises(UsageError):
            parse_weekdays(wrong, None)
