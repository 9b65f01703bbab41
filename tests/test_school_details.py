"""Issue 16: no letter without the school's details (LETTER-SCHOOL-DETAILS), a new school's settings name no
other organisation's bodies, and letters say the school's name and greet the recipient by title."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apcli.letters.render import letter_text
from tests.conftest import Run, as_json, invoke, snapshot

TYLER = "AP-2026-003"  # commissioned; starts Monday 7 December 2026; mother Gemma Ward
RUBY = "AP-2026-004"  # agreed: ready to be placed
SCHOOL = "Hollybank Primary Academy (fictional)"
INVITATION = ("--kind", "invitation", "--meeting-date", "2026-12-01", "--meeting-time", "15:30", "--place", "Room 4")


def without(demo: Path, *fields: str) -> None:
    """Take `fields` out of the demo settings' school: section."""
    path = demo / "ap-settings.yaml"
    settings = yaml.safe_load(path.read_text())
    for field in fields:
        del settings["school"][field]
    path.write_text(yaml.safe_dump(settings, sort_keys=False))


def test_a_notice_is_refused_without_the_schools_address_headteacher_phone_and_email(ap: Run, demo: Path) -> None:
    without(demo, "address", "headteacher", "phone", "email")
    before = snapshot(demo)
    result = ap("notice", TYLER, "--dry-run")
    assert result.exit_code == 1, result.output
    assert "passed every check" not in result.output
    assert (
        "LETTER-SCHOOL-DETAILS (must): ap-settings.yaml does not give the school's postal address, the "
        "headteacher's name, a telephone number, an email address, so a parent could not reply to the letter"
    ) in result.output
    assert (
        "To supply it: fill in, under school: in ap-settings.yaml, `address: 1 School Lane, Town, County, "
        "POSTCODE`; `headteacher: Mrs A Example`; `phone: 01234 567890`; `email: office@school.example`"
    ) in result.output
    assert snapshot(demo) == before


def test_only_what_is_missing_is_named(ap: Run, demo: Path) -> None:
    without(demo, "phone")
    result = ap("notice", TYLER, "--dry-run")
    assert result.exit_code == 1, result.output
    assert "ap-settings.yaml does not give a telephone number, so a parent could not reply" in result.output
    assert "`phone: 01234 567890`" in result.output and "`email:" not in result.output


def test_a_notice_is_allowed_with_every_detail(ap: Run) -> None:
    result = ap("notice", TYLER, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "LETTER-SCHOOL-DETAILS" not in result.output
    assert "Mrs Helen Marsh" in result.stdout


def test_an_invitation_is_refused_without_them_and_allowed_with_them(ap: Run, demo: Path) -> None:
    allowed = ap("letter", TYLER, *INVITATION, "--dry-run")
    assert allowed.exit_code == 0, allowed.output
    without(demo, "email")
    refused = ap("letter", TYLER, *INVITATION, "--dry-run")
    assert refused.exit_code == 1, refused.output
    assert "Refused: `ap letter` was not carried out" in refused.output
    assert "LETTER-SCHOOL-DETAILS (must): ap-settings.yaml does not give an email address" in refused.output


def test_ap_rules_lists_the_rule_with_its_source(ap: Run) -> None:
    [rule] = [r for r in as_json(ap("rules", "--json")) if r["id"] == "LETTER-SCHOOL-DETAILS"]
    assert rule["kind"] == "must"
    assert "reg 4A (a parent may request a review in writing)" in rule["source"]


def test_ap_init_prints_what_to_fill_in_and_names_no_other_organisation(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    result = invoke(None, "init", str(folder), "--school", "Oak Tree Primary")
    assert result.exit_code == 0, result.output
    assert (
        f"Before ap can send any letter, fill in the school's details under school: in {folder / 'ap-settings.yaml'} "
        "(LETTER-SCHOOL-DETAILS):\n  address: 1 School Lane, Town, County, POSTCODE\n  headteacher: Mrs A Example\n"
        "  phone: 01234 567890\n  email: office@school.example\n"
    ) in result.output
    text = (folder / "ap-settings.yaml").read_text()
    settings = yaml.safe_load(text)
    assert {k: settings["school"][k] for k in ("address", "headteacher", "phone", "email")} == dict.fromkeys(
        ("address", "headteacher", "phone", "email")
    )
    assert settings["approving_bodies"] == {"academy": "the academy"}
    assert "# trust: NAME OF YOUR TRUST          for example: trust: Shaw Education Trust\n" in text
    assert "\n  trust:" not in text and "\n  send-hub:" not in text


def test_the_demo_keeps_its_own_bodies(demo: Path) -> None:
    settings = yaml.safe_load((demo / "ap-settings.yaml").read_text())
    assert settings["approving_bodies"] == {
        "academy": "the academy",
        "trust": "Shaw Education Trust",
        "send-hub": "Cannock SEND Hub",
    }


PLACEMENT = (
    "--provider", "larkhill-green", "--start", "2026-12-01", "--end", "2027-02-12", "--weekdays", "tue,thu",
    "--aims", "Re-engage with learning", "--agreement", "LG-2026-030", "--agreement-signed", "2026-11-26",
    "--cost", "1,530.00", "--approved-on", "2026-11-26", "--english-maths", "Daily at the provider",
    "--reintegration", "Back full time after half term", "--start-time", "09:00", "--report-to", "Mrs Dee Example",
)  # fmt: skip


def test_approved_by_a_body_not_in_the_settings_says_the_line_to_add(ap: Run, demo: Path) -> None:
    path = demo / "ap-settings.yaml"
    path.write_text(path.read_text().replace("  trust: Shaw Education Trust\n", ""))
    before = snapshot(demo)
    result = ap("placement", RUBY, *PLACEMENT, "--approved-by", "trust")
    assert result.exit_code == 2, result.output
    assert (
        "--approved-by: 'trust' is not an approving body in the settings (they hold: academy (the academy), "
        "send-hub (Cannock SEND Hub)). If trust approved the budget, add it under approving_bodies: in "
        "ap-settings.yaml, as the line ` trust: ITS FULL NAME`"
    ) in " ".join(result.output.split())
    assert snapshot(demo) == before


def letter_of(demo: Path, result: object, fmt: str) -> str:
    [letter] = as_json(result)["letters"]  # type: ignore[arg-type]
    return letter_text((demo / letter["file"]).read_bytes(), fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["html", "txt", "docx"])
def test_letters_greet_by_title_and_say_the_schools_name(ap: Run, demo: Path, fmt: str) -> None:
    added = ap(
        "parent", TYLER, "--name", "Jo Testcase", "--relationship", "carer", "--title", "Ms", "--cares-for-child",
        "--no-parental-responsibility", "--address", "2 Sample Road, Exampleton, ZZ1 3ZZ",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    result = ap("notice", TYLER, "--format", fmt, "--json")  # the first notice goes to each parent and carer
    assert result.exit_code == 0, result.output
    letters = as_json(result)["letters"]
    texts = {item["to"]: letter_text((demo / item["file"]).read_bytes(), fmt) for item in letters}  # type: ignore[arg-type]
    assert "Dear Ms Testcase," in texts["Jo Testcase"]
    assert "Dear Gemma Ward," in texts["Gemma Ward"]
    text = texts["Gemma Ward"]
    assert f"{SCHOOL} requires Tyler Ward to attend education away from the school's site" in " ".join(text.split())
    assert f"On other days Tyler Ward attends {SCHOOL} as usual." in " ".join(text.split())
    assert f"Respite from {SCHOOL} to change behaviour" in text  # the policy's reason, with the school's name
    assert "the academy" not in text.casefold()


@pytest.mark.parametrize("fmt", ["html", "txt", "docx"])
def test_an_invitation_says_the_schools_name(ap: Run, demo: Path, fmt: str) -> None:
    result = ap("letter", TYLER, *INVITATION, "--format", fmt, "--json")
    assert result.exit_code == 0, result.output
    text = " ".join(letter_of(demo, result, fmt).split())
    assert f"away from {SCHOOL} for part of the week" in text and "Dear Gemma Ward," in text
    assert "the academy" not in text.casefold()


def test_ap_check_names_missing_school_details_once_against_the_settings(ap: Run, demo: Path) -> None:
    """A gap in the settings is one thing to fix, so `ap check` says it once, not once for every case."""
    without(demo, "phone")
    findings = [f for f in as_json(ap("check", "--json"))["findings"] if f["rule"] == "LETTER-SCHOOL-DETAILS"]
    assert findings == [
        {
            "case": None,
            "rule": "LETTER-SCHOOL-DETAILS",
            "severity": "error",
            "message": "ap-settings.yaml does not give a telephone number, so a parent could not reply to the letter "
            "(for the letters of 4 cases: AP-2026-001, AP-2026-002, AP-2026-006, AP-2026-010)",
            "file": str(demo / "ap-settings.yaml"),
            "line": None,
            "kind": "must",
        }
    ]


def test_ap_check_says_nothing_of_school_details_when_all_are_there(ap: Run) -> None:
    findings = as_json(ap("check", "--json"))["findings"]
    assert [f for f in findings if f["rule"] == "LETTER-SCHOOL-DETAILS"] == []
