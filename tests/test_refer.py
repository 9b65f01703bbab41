"""`ap refer` and every REF-* rule: each refuses and each allows; bad input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import Run, as_json, snapshot

VALID = [
    "refer",
    "--name",
    "Sam Example",
    "--dob",
    "2017-03-14",
    "--year",
    "5",
    "--reason",
    "curriculum-needs",
    "--rationale",
    "Needs a practical setting the academy cannot offer.",
    "--send-hub",
    "2026-11-20",
    "--managed-move",
    "not-suitable",
    "--managed-move-why",
    "Not a behaviour issue.",
]


def refer(ap: Run, *changes: str, drop: tuple[str, ...] = ()) -> object:
    args = list(VALID)
    for option in drop:
        index = args.index(option)
        del args[index : index + 2]
    return ap(*args, *changes)


def newest(demo: Path) -> str:
    return max(path.stem for path in (demo / "cases").glob("AP-*.yaml"))


def new_case(demo: Path, case_id: str | None = None) -> dict[str, object]:
    data = yaml.safe_load((demo / "cases" / f"{case_id or newest(demo)}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_a_valid_referral_opens_the_next_case(ap: Run, demo: Path) -> None:
    result = ap(*VALID, "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result) == {"id": "AP-2026-011"}  # the demo school has ten cases
    case = new_case(demo)
    assert case["pupil"] == {"name": "Sam Example", "dob": __import__("datetime").date(2017, 3, 14), "year": 5}
    assert case["referral"]["reasons"] == ["curriculum-needs"]
    assert case["history"][0]["what"] == "referral opened"
    assert case["history"][0]["by"] == "Test User"
    first_line = (demo / "cases" / "AP-2026-011.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schema/case.schema.json"
    shown = as_json(ap("show", "AP-2026-011", "--json"))
    assert shown["status"] == "referred"
    assert shown["blocked_by"][0] == "MEET-PLANNING"  # what comes next, not the referral
    assert not [rule for rule in shown["blocked_by"] if rule.startswith("REF-")]


def refused(result: object, rule: str) -> str:
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    text: str = result.stderr  # type: ignore[attr-defined]
    assert rule in text
    return text


# --- each rule refuses, and allows ---


@pytest.mark.parametrize(
    ("year", "dob"), [("R", "2021-10-01"), ("7", "2015-03-14"), ("9", "2013-01-01"), ("13", "2009-01-01")]
)
@pytest.mark.parametrize("stated", [(), ("--out-of-year-group",)])
def test_key_stage_refuses_years_outside_1_to_6(
    ap: Run, demo: Path, year: str, dob: str, stated: tuple[str, ...]
) -> None:
    before = snapshot(demo)
    dob = "2017-03-14" if stated else dob  # out of year group: a Year 5 child said to be in this year
    text = refused(refer(ap, "--year", year, "--dob", dob, *stated, drop=("--year", "--dob")), "REF-KEY-STAGE")
    assert "Years 1 to 6" in text and "personalised curriculum for students at KS1 and KS2" in text
    assert snapshot(demo) == before


@pytest.mark.parametrize(("year", "dob"), [("1", "2020-09-01"), ("2", "2020-01-19"), ("6", "2015-09-01")])
def test_key_stage_allows_years_1_to_6(ap: Run, year: str, dob: str) -> None:
    assert refer(ap, "--year", year, "--dob", dob, drop=("--year", "--dob")).exit_code == 0


def test_key_stage_refuses_a_year_that_disagrees_with_the_date_of_birth(ap: Run) -> None:
    text = refused(refer(ap, "--year", "4", drop=("--year",)), "REF-KEY-STAGE")
    assert "gives Year 5" in text and "--out-of-year-group" in text


def test_key_stage_allows_a_stated_out_of_year_group(ap: Run, demo: Path) -> None:
    result = refer(ap, "--year", "4", "--out-of-year-group", drop=("--year",))
    assert result.exit_code == 0, result.output
    assert new_case(demo)["pupil"]["out_of_year_group"] is True


def test_out_of_year_group_stated_for_a_pupil_in_their_own_year_is_a_usage_error(ap: Run) -> None:
    result = refer(ap, "--out-of-year-group")
    assert result.exit_code == 2 and "own year group" in result.stderr


def test_key_stage_counts_from_1_september(ap: Run) -> None:
    # Born 31 August 2017: Year 5 in 2026/27; born 1 September 2017: Year 4.
    assert refer(ap, "--dob", "2017-08-31", drop=("--dob",)).exit_code == 0
    assert refer(ap, "--dob", "2017-09-01", drop=("--dob",)).exit_code == 1


def test_reason_is_required(ap: Run) -> None:
    text = refused(refer(ap, drop=("--reason",)), "REF-REASON")
    assert "--reason" in text


def test_more_appropriate_needs_a_rationale(ap: Run) -> None:
    refused(refer(ap, "--rationale", "   ", drop=("--rationale",)), "REF-MORE-APPROPRIATE")


def test_send_hub_should_be_recorded_or_overridden(ap: Run, demo: Path) -> None:
    text = refused(refer(ap, drop=("--send-hub",)), "REF-SEND-HUB")
    assert "--override REF-SEND-HUB" in text
    result = refer(ap, "--override", "REF-SEND-HUB", "--why", "Hub meeting booked", drop=("--send-hub",))
    assert result.exit_code == 0, result.output
    case = new_case(demo)
    assert case["overrides"][0]["rule"] == "REF-SEND-HUB" and case["overrides"][0]["why"] == "Hub meeting booked"
    assert case["overrides"][0]["by"] == "Test User"
    assert any("override REF-SEND-HUB" in entry["what"] for entry in case["history"])


def test_exclusion_history_needs_a_suspension(ap: Run, demo: Path) -> None:
    text = refused(refer(ap, "--reason", "exclusion-risk"), "REF-EXCLUSION-HISTORY")
    assert "--suspension DATE:DAYS" in text
    result = refer(ap, "--reason", "exclusion-risk", "--suspension", "2026-10-05:2", "--suspension", "14/10/2026:1.5")
    assert result.exit_code == 0, result.output
    suspensions = new_case(demo)["referral"]["suspensions"]
    assert [s["days"] for s in suspensions] == [2, 1.5]


def test_attendance_evidence_needs_the_figure(ap: Run, demo: Path) -> None:
    refused(refer(ap, "--reason", "attendance"), "REF-ATTENDANCE-EVIDENCE")
    assert refer(ap, "--reason", "attendance", "--attendance", "81.5%").exit_code == 0
    assert new_case(demo)["referral"]["attendance_percent"] == 81.5


def test_ehcna_needs_the_request_date(ap: Run) -> None:
    refused(refer(ap, "--reason", "send-assessment"), "REF-EHCNA")
    assert refer(ap, "--reason", "send-assessment", "--ehcna-requested", "2026-10-01").exit_code == 0


def test_managed_move_must_be_considered_with_reasons(ap: Run) -> None:
    refused(refer(ap, drop=("--managed-move", "--managed-move-why")), "REF-MANAGED-MOVE")
    refused(
        refer(ap, "--managed-move", "considered", drop=("--managed-move", "--managed-move-why")), "REF-MANAGED-MOVE"
    )


def test_a_managed_move_tried_needs_the_parents_consent(ap: Run) -> None:
    text = refused(refer(ap, "--managed-move", "tried", drop=("--managed-move",)), "REF-MANAGED-MOVE")
    assert "consent" in text
    assert (
        refer(ap, "--managed-move", "tried", "--managed-move-consent", "2026-10-01", drop=("--managed-move",)).exit_code
        == 0
    )


def test_every_failing_rule_is_listed_at_once(ap: Run) -> None:
    text = refused(refer(ap, "--reason", "exclusion-risk", drop=("--send-hub",)), "REF-EXCLUSION-HISTORY")
    assert "REF-SEND-HUB" in text


# --- overrides ---


def test_a_must_rule_cannot_be_overridden(ap: Run) -> None:
    result = refer(ap, "--override", "REF-REASON", "--why", "x", drop=("--reason",))
    assert result.exit_code == 2 and "only *should* rules" in result.stderr


def test_an_override_needs_a_why(ap: Run) -> None:
    result = refer(ap, "--override", "REF-SEND-HUB", drop=("--send-hub",))
    assert result.exit_code == 2 and "--why" in result.stderr


def test_an_unknown_rule_cannot_be_overridden(ap: Run) -> None:
    result = refer(ap, "--override", "REF-NOPE", "--why", "x")
    assert result.exit_code == 2 and "no such rule" in result.stderr


def test_an_unneeded_override_is_not_recorded(ap: Run, demo: Path) -> None:
    result = refer(ap, "--override", "REF-SEND-HUB", "--why", "x")
    assert result.exit_code == 0 and "not needed" in result.stderr
    assert "overrides" not in new_case(demo)


# --- bad input: a clear error, a usage exit code, and no file changed ---


@pytest.mark.parametrize(
    ("change", "drop", "says"),
    [
        (("--dob", "2017-02-30"), ("--dob",), "not a real date"),
        (("--dob", "14th March"), ("--dob",), "not a date"),
        (("--send-hub", "2026/11/20"), ("--send-hub",), "not a date"),
        (("--upn", "A801200005001"), (), "wrong check letter"),
        (("--upn", "X80120000A001"), (), "not in the UPN format"),
        (("--year", "14"), ("--year",), "not a year group"),
        (("--year", "nursery"), ("--year",), "not a year group"),
        (("--reason", "naughty"), ("--reason",), "not one of the policy's reasons"),
        (("--suspension", "2026-10-05"), (), "DATE:DAYS"),
        (("--attendance", "lots"), (), "not a percentage"),
        (("--attendance", "120"), (), "between 0 and 100"),
        (("--parent", "Jo Bloggs"), (), "Name (relationship)"),
        (("--send", "some"), (), "none, sen-support, ehc-plan"),
        (("--managed-move", "maybe"), ("--managed-move",), "not one of"),
        (("--dob", "2026-12-01"), ("--dob",), "cannot be the date of birth"),
    ],
)
def test_bad_values_are_usage_errors_and_change_nothing(
    ap: Run, demo: Path, change: tuple[str, ...], drop: tuple[str, ...], says: str
) -> None:
    before = snapshot(demo)
    result = refer(ap, *change, drop=drop)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(demo) == before


def test_a_valid_upn_is_kept(ap: Run, demo: Path) -> None:
    assert refer(ap, "--upn", "x860 2000 2500a").exit_code == 0  # a temporary UPN, typed loosely
    assert new_case(demo)["pupil"]["upn"] == "X86020002500A"


def test_an_unparseable_today_is_a_usage_error(ap: Run) -> None:
    result = ap(*VALID, today="31/02/2027")
    assert result.exit_code == 2 and "--today" in result.stderr


def test_a_referral_form_supplies_the_fields(ap: Run, demo: Path, tmp_path: Path) -> None:
    form = tmp_path / "form.yaml"
    form.write_text(
        "name: Form Child\ndob: 2018-01-05\nyear: 4\nreasons: [respite]\nrationale: Respite needed.\n"
        "send_hub: 2026-11-01\nmanaged_move: {status: considered, why: Parents declined}\n"
        "parents:\n  - {name: Ann Child, relationship: mother, address: 1 Lane}\n"
    )
    result = ap("refer", "--from", str(form), "--json")
    assert result.exit_code == 0, result.output
    case = new_case(demo, as_json(result)["id"])
    assert case["pupil"]["name"] == "Form Child" and case["contacts"][0]["name"] == "Ann Child"


def test_a_referral_form_with_an_unknown_field_names_file_and_line(ap: Run, tmp_path: Path) -> None:
    form = tmp_path / "form.yaml"
    form.write_text("name: Form Child\ndob: 2018-01-05\nyear: 4\nreasonz: [respite]\n")
    result = ap("refer", "--from", str(form))
    assert result.exit_code == 3
    assert f"{form}:4:" in result.stderr and "reasonz" in result.stderr


def test_a_records_folder_that_does_not_exist(tmp_path: Path) -> None:
    from tests.conftest import invoke

    result = invoke(tmp_path / "nowhere", *VALID)
    assert result.exit_code == 2 and "does not exist" in result.stderr
    result = invoke(tmp_path, *VALID)
    assert result.exit_code == 2 and "not an ap records folder" in result.stderr


# --- found by trying ap as a new user ---


def test_several_parents_each_with_an_address(ap: Run, demo: Path) -> None:
    result = refer(
        ap, "--parent", "A Two (mother)", "--address", "1 Road", "--parent", "B Two (father)", "--address", "2 Lane"
    )
    assert result.exit_code == 0, result.output
    contacts = new_case(demo)["contacts"]
    assert [(c["name"], c["address"]) for c in contacts] == [("A Two", "1 Road"), ("B Two", "2 Lane")]


def test_parents_sharing_one_address(ap: Run, demo: Path) -> None:
    assert refer(ap, "--parent", "A Two (mother)", "--parent", "B Two (father)", "--address", "1 Road").exit_code == 0
    assert [c["address"] for c in new_case(demo)["contacts"]] == ["1 Road", "1 Road"]


def test_addresses_that_do_not_pair_with_parents_are_refused(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = refer(
        ap,
        "--parent",
        "A (mother)",
        "--parent",
        "B (father)",
        "--parent",
        "C (carer)",
        "--address",
        "1",
        "--address",
        "2",
    )
    assert result.exit_code == 2 and "one --address for each --parent" in result.stderr
    assert snapshot(demo) == before


def test_a_pupil_with_an_open_case_is_not_referred_twice(ap: Run, demo: Path) -> None:
    assert refer(ap).exit_code == 0
    before = snapshot(demo)
    result = refer(ap)
    assert result.exit_code == 2 and "already has an open case" in result.stderr
    assert snapshot(demo) == before
    by_upn = ap(
        "refer",
        "--name",
        "Sam Other",
        "--dob",
        "2017-03-14",
        "--year",
        "5",
        "--upn",
        "L860200025001",
        "--reason",
        "respite",
        "--rationale",
        "x",
        "--send-hub",
        "2026-11-20",
        "--managed-move",
        "considered",
        "--managed-move-why",
        "x",
    )
    assert by_upn.exit_code == 2 and "AP-2026-001" in by_upn.stderr
    message = " ".join(by_upn.stderr.split())
    assert "UPN L860200025001 already has an open case: AP-2026-001 (" in message
    existing = new_case(demo, "AP-2026-001")["pupil"]
    assert f"for {existing['name']} (born {existing['dob']}, UPN L860200025001)" in message
    assert "Sam Other" not in message


def test_a_pupil_whose_case_ended_may_be_referred_again(ap: Run) -> None:
    amelia = [
        "--name",
        "Amelia Ross",
        "--dob",
        "2020-01-19",
        "--year",
        "2",
        "--reason",
        "respite",
        "--rationale",
        "Again",
        "--send-hub",
        "2026-11-20",
        "--managed-move",
        "not-suitable",
        "--managed-move-why",
        "x",
    ]
    assert ap("refer", *amelia).exit_code == 0


@pytest.mark.parametrize("when", ["2027-01-05", "2016-01-01"])
def test_a_suspension_outside_the_pupils_life_so_far_is_refused(ap: Run, when: str) -> None:
    result = refer(ap, "--reason", "exclusion-risk", "--suspension", f"{when}:2")
    assert result.exit_code == 2 and "not between" in result.stderr


def test_the_example_referral_form_in_the_docs_is_accepted(ap: Run, demo: Path) -> None:
    form = Path(__file__).resolve().parents[1] / "docs" / "referral-form.yaml"
    result = ap("refer", "--from", str(form), "--json")
    assert result.exit_code == 0, result.output
    case = new_case(demo, as_json(result)["id"])
    assert case["referral"]["suspensions"][0]["days"] == 2 and case["contacts"][0]["name"] == "Kim Example"


def test_a_form_may_write_dates_day_first_and_a_typo_gets_a_suggestion(ap: Run, demo: Path, tmp_path: Path) -> None:
    form = tmp_path / "form.yaml"
    form.write_text(
        "name: Day First\ndob: 14/03/2017\nyear: 5\nreasons: [respite]\nrationale: x\nsend_hub: 20/11/2026\n"
        "managed_move: {status: considered, why: x}\n"
    )
    assert ap("refer", "--from", str(form)).exit_code == 0
    assert new_case(demo)["pupil"]["dob"].isoformat() == "2017-03-14"
    form.write_text("name: Typo\nreason: [respite]\n")
    result = ap("refer", "--from", str(form))
    assert result.exit_code == 3 and "did you mean 'reasons'?" in result.stderr
