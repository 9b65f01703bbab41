"""Who gets the notice (SI 2010/1156 reg 3; Education Act 1996 s576): every parent, a carer the child lives with
too, each by their own method; a copy for one added later; the LA copy to the LA that maintains the EHC plan."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from apcli.model.schema import Notice
from tests.conftest import Run, as_json, snapshot

D = dt.date
TYLER = "AP-2026-003"  # commissioned; starts Monday 7 December 2026 (mon/wed/fri); mother Gemma Ward, by post
NAN = ("--name", "Nan Ward", "--relationship", "grandmother", "--address", "2 Sample Row, Exampleton, ZZ1 8ZZ")


def case_file(demo: Path) -> Path:
    return demo / "cases" / f"{TYLER}.yaml"


def notices(demo: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(case_file(demo).read_text())["placements"][0]["notices"])


def due_for(ap: Run, rule: str, today: str) -> list[dict[str, str]]:
    return [item for item in as_json(ap("review", "due", "--json", today=today)) if item["rule"] == rule]


# --- "parent" includes a person who has care of the child (s576) ---


def test_a_carer_the_child_lives_with_gets_the_notice(ap: Run, demo: Path) -> None:
    added = ap("parent", TYLER, *NAN, "--cares-for-child", "--no-parental-responsibility")
    assert added.exit_code == 0, added.output
    contact = yaml.safe_load(case_file(demo).read_text())["contacts"][-1]
    assert contact["cares_for_child"] is True and contact["parental_responsibility"] is False
    result = ap("notice", TYLER, "--format", "txt", "--json")
    assert result.exit_code == 0, result.output
    letters = as_json(result)["letters"]
    assert [letter["to"] for letter in letters] == ["Gemma Ward", "Nan Ward"]
    assert letters[1]["file"] == "letters/AP-2026-003/notice-2026-11-27-parent-2.txt"
    assert "Dear Nan Ward," in (demo / letters[1]["file"]).read_text()
    assert notices(demo)[-1]["to"] == ["Gemma Ward", "Nan Ward"]
    assert "Nan Ward (grandmother), no parental responsibility, has care of the child" in ap("show", TYLER).stdout


def test_a_contact_with_neither_responsibility_nor_care_gets_no_notice(ap: Run, demo: Path) -> None:
    assert ap("parent", TYLER, *NAN, "--no-parental-responsibility").exit_code == 0
    result = ap("notice", TYLER, "--json")
    assert result.exit_code == 0, result.output
    assert [letter["to"] for letter in as_json(result)["letters"]] == ["Gemma Ward"]
    assert "Nan Ward (grandmother), no parental responsibility: not a parent in law" in ap("show", TYLER).stdout


def _only_contact(demo: Path, **fields: Any) -> None:
    data = yaml.safe_load(case_file(demo).read_text())
    data["contacts"] = [{"name": "Nan Ward", "relationship": "grandmother", "address": "2 Sample Row", **fields}]
    case_file(demo).write_text(yaml.safe_dump(data, sort_keys=False))


def test_the_notice_is_refused_when_the_only_contact_is_not_a_parent_in_law(ap: Run, demo: Path) -> None:
    _only_contact(demo, parental_responsibility=False)
    before = snapshot(demo)
    result = ap("notice", TYLER)
    assert result.exit_code == 1 and "NOTICE-IN-WRITING" in result.stderr
    assert "parental responsibility, or who has care of the child: Education Act 1996 s576" in result.stderr
    assert snapshot(demo) == before


def test_the_notice_is_allowed_when_that_contact_has_care_of_the_child(ap: Run, demo: Path) -> None:
    _only_contact(demo, parental_responsibility=False, cares_for_child=True)
    result = ap("notice", TYLER, "--json")
    assert result.exit_code == 0, result.output
    assert [letter["to"] for letter in as_json(result)["letters"]] == ["Nan Ward"]


# --- the method is per recipient ---


def test_one_parent_by_post_and_the_other_by_email_are_both_recorded(ap: Run, demo: Path) -> None:
    dad = ("--name", "Dan Ward", "--relationship", "father", "--email", "dan@example.org", "--method", "email")
    assert ap("parent", TYLER, *dad).exit_code == 0
    result = ap("notice", TYLER, "--json")
    assert result.exit_code == 0, result.output
    assert [(x["to"], x["method"]) for x in as_json(result)["letters"]] == [
        ("Gemma Ward", "post"),
        ("Dan Ward", "email"),
    ]
    notice = notices(demo)[-1]
    assert notice["method"] == "post" and notice["methods"] == {"Dan Ward": "email"}
    assert Notice.model_validate(notice).method_for("Dan Ward") == "email"
    assert Notice.model_validate(notice).method_for("Gemma Ward") == "post"
    history = yaml.safe_load(case_file(demo).read_text())["history"][-1]["what"]
    assert history == "notice of P1 issued to Gemma Ward (post), Dan Ward (email)"
    assert "to Gemma Ward (post), Dan Ward (email), for 2026-12-07 to 2027-03-19" in ap("show", TYLER).stdout


def test_method_given_to_the_notice_goes_for_everyone(ap: Run, demo: Path) -> None:
    dad = ("--name", "Dan Ward", "--relationship", "father", "--email", "dan@example.org", "--method", "email")
    assert ap("parent", TYLER, *dad).exit_code == 0
    assert ap("notice", TYLER, "--method", "hand").exit_code == 0
    notice = notices(demo)[-1]
    assert notice["method"] == "hand" and notice.get("methods", {}) == {}


def test_a_method_without_its_means_is_refused_at_ap_parent(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("parent", TYLER, "--name", "Dan Ward", "--relationship", "father", "--method", "email")
    assert result.exit_code == 2 and "--method email needs their --email address." in result.stderr
    result = ap("parent", TYLER, "--name", "Dan Ward", "--relationship", "father", "--method", "fax")
    assert result.exit_code == 2 and "'fax' is not one of post, email, hand" in result.stderr
    assert snapshot(demo) == before


def test_a_notice_by_a_persons_method_they_have_no_means_for_is_refused(ap: Run, demo: Path) -> None:
    """A preference edited into the case file without the address it needs: the notice names the gap."""
    _only_contact(demo, method="email")
    result = ap("notice", TYLER)
    assert result.exit_code == 1 and "a notice by email cannot be sent: no email address for Nan Ward" in result.stderr
    assert ap("notice", TYLER, "--method", "post").exit_code == 0  # by post, to her address


def test_an_older_notice_of_one_method_and_a_to_list_still_reads(ap: Run, demo: Path) -> None:
    data = yaml.safe_load(case_file(demo).read_text())
    data["contacts"].append({"name": "Dan Ward", "relationship": "father", "email": "dan@example.org"})
    data["placements"][0]["notices"] = [
        {
            "date": D(2026, 11, 27),
            "method": "hand",
            "start": D(2026, 12, 7),
            "end": D(2027, 3, 19),
            "to": ["Gemma Ward", "Dan Ward"],
        }
    ]
    case_file(demo).write_text(yaml.safe_dump(data, sort_keys=False))
    shown = ap("show", TYLER)
    assert shown.exit_code == 0, shown.output
    assert "by hand to Gemma Ward, Dan Ward, for 2026-12-07 to 2027-03-19" in shown.stdout
    assert "not had the notice" not in shown.stdout
    assert due_for(ap, "NOTICE-EVERY-PARENT", "2026-11-27") == []


# --- a parent or carer added after the notice: a copy, dated, never judged late ---


@pytest.fixture
def notified_then_nan(ap: Run) -> Run:
    """Tyler's notice given on Friday 27 November 2026; his grandmother added after it, on Wednesday 9 December."""
    assert ap("notice", TYLER, "--format", "txt").exit_code == 0
    added = ap("parent", TYLER, *NAN, "--cares-for-child", today="2026-12-09")
    assert added.exit_code == 0, added.output
    return ap


def test_one_added_after_the_notice_is_shown_and_due(notified_then_nan: Run) -> None:
    ap = notified_then_nan
    shown = ap("show", TYLER, today="2026-12-09").stdout
    assert 'Nan Ward (grandmother): give them a copy (ap notice AP-2026-003 --to "Nan Ward")' in shown
    assert due_for(ap, "NOTICE-EVERY-PARENT", "2026-12-09") == [
        {
            "case": TYLER,
            "pupil": "Tyler Ward",
            "rule": "NOTICE-EVERY-PARENT",
            "what": "Nan Ward (grandmother) has not had the notice of 2026-11-27 for P1: give them a copy",
            "due": "2026-12-09",
            "state": "due",
        }
    ]


def test_the_copy_after_the_start_is_recorded_dated_and_never_late(notified_then_nan: Run, demo: Path) -> None:
    ap = notified_then_nan
    result = ap("notice", TYLER, "--to", "nan ward", "--format", "txt", "--json", today="2026-12-09")
    assert result.exit_code == 0, result.output
    [letter] = as_json(result)["letters"]
    assert (letter["to"], letter["method"]) == ("Nan Ward", "post")
    assert letter["file"] == "letters/AP-2026-003/notice-2026-12-09-parent-2.txt"
    text = (demo / letter["file"]).read_text()
    assert "COPY: this is a copy of the notice we gave on Friday 27 November 2026." in text
    assert "Dear Nan Ward," in text and "2 Sample Row" in text
    [notice] = notices(demo)
    assert notice["date"] == D(2026, 11, 27) and notice["to"] == ["Gemma Ward"]
    assert notice["copies"] == [
        {
            "to": "Nan Ward",
            "date": D(2026, 12, 9),
            "method": "post",
            "letters": [
                {
                    "to": "Nan Ward",
                    "file": letter["file"],
                    "sha256": letter["sha256"],
                    "text_sha256": hashlib.sha256(" ".join(text.split()).encode()).hexdigest(),
                }
            ],
        }
    ]
    history = yaml.safe_load(case_file(demo).read_text())["history"][-1]
    assert history["date"] == D(2026, 12, 9)
    assert history["what"] == (
        "copy of the notice of P1 given on 2026-11-27 given on 2026-12-09 to Nan Ward (post): a copy, "
        "so the notice's own date and deadline stand"
    )
    assert due_for(ap, "NOTICE-EVERY-PARENT", "2026-12-09") == []
    checked = ap("check", TYLER, today="2026-12-09")
    assert "NOTICE-DEADLINE" not in checked.stdout and "NOTICE-IN-WRITING" not in checked.stdout
    shown = ap("show", TYLER, today="2026-12-09").stdout
    assert "copy 2026-12-09" in shown and "of the notice of 2026-11-27, by post to Nan Ward" in shown
    assert "not had the notice" not in shown


def test_a_copy_to_one_who_had_the_notice_or_is_not_a_parent_is_refused(notified_then_nan: Run, demo: Path) -> None:
    ap = notified_then_nan
    before = snapshot(demo)
    again = ap("notice", TYLER, "--to", "Gemma Ward", today="2026-12-09")
    assert again.exit_code == 2
    assert "Gemma Ward has had the notice of 2026-11-27 for P1 already" in again.stderr
    stranger = ap("notice", TYLER, "--to", "Pat Nobody", today="2026-12-09")
    assert stranger.exit_code == 2 and "'Pat Nobody' is not a parent or carer who gets the notice" in stranger.stderr
    by_email = ap("notice", TYLER, "--to", "Nan Ward", "--method", "email", today="2026-12-09")
    assert (
        by_email.exit_code == 2 and "a copy by email cannot be sent: no email address for Nan Ward" in by_email.stderr
    )
    assert snapshot(demo) == before


def test_a_copy_goes_by_the_method_given(notified_then_nan: Run, demo: Path) -> None:
    """The copy goes by her own method (post, the default) unless --method says otherwise: here by hand."""
    result = notified_then_nan("notice", TYLER, "--to", "Nan Ward", "--method", "hand", today="2026-12-10")
    assert result.exit_code == 0, result.output
    assert (
        "Copy of the notice to Nan Ward by hand: letters/AP-2026-003/notice-2026-12-10-parent-2.html" in result.stdout
    )
    assert [(c["to"], c["date"], c["method"]) for c in notices(demo)[0]["copies"]] == [
        ("Nan Ward", D(2026, 12, 10), "hand")
    ]


# --- the LA copy goes to the LA that maintains the EHC plan ---

SHROPSHIRE = ("--ehc-la", "Shropshire Council (fictional)", "--ehc-la-address", "Shirehall, Exampleton, ZZ9 9ZZ")


def _ehc_plan(demo: Path) -> None:
    case_file(demo).write_text(case_file(demo).read_text().replace("send: sen-support", "send: ehc-plan"))


@pytest.mark.parametrize("fmt", ["html", "txt", "docx"])
def test_the_la_copy_goes_to_the_la_that_maintains_the_plan(ap: Run, demo: Path, fmt: str) -> None:
    from apcli.letters.render import letter_text

    _ehc_plan(demo)
    edited = ap("edit", TYLER, *SHROPSHIRE)
    assert edited.exit_code == 0, edited.output
    assert yaml.safe_load(case_file(demo).read_text())["ehc_la"] == {
        "name": "Shropshire Council (fictional)",
        "address": "Shirehall, Exampleton, ZZ9 9ZZ",
    }
    result = ap("notice", TYLER, "--format", fmt, "--json")
    assert result.exit_code == 0, result.output
    letters = as_json(result)["letters"]
    assert [letter["to"] for letter in letters] == ["Gemma Ward", "Shropshire Council (fictional)"]
    parent = letter_text((demo / letters[0]["file"]).read_bytes(), fmt)  # type: ignore[arg-type]
    assert (
        "a copy of this notice goes to Shropshire Council (fictional), the local authority that maintains the plan"
        in " ".join(parent.split())
    )
    la = letter_text((demo / letters[1]["file"]).read_bytes(), fmt)  # type: ignore[arg-type]
    assert "Shirehall" in la and "the local authority that maintains it" in " ".join(la.split())
    assert "Staffordshire County Council" not in parent + la
    assert "ehc-plan (plan maintained by Shropshire Council (fictional))" in ap("show", TYLER).stdout


def test_without_a_case_la_the_settings_la_gets_the_copy(ap: Run, demo: Path) -> None:
    _ehc_plan(demo)
    result = ap("notice", TYLER, "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["letters"][1]["to"] == "Staffordshire County Council (fictional address)"


def test_a_case_la_without_an_address_is_refused_and_allowed_once_it_has_one(ap: Run, demo: Path) -> None:
    _ehc_plan(demo)
    assert ap("edit", TYLER, "--ehc-la", "Shropshire Council (fictional)").exit_code == 0
    refused = ap("notice", TYLER)
    assert refused.exit_code == 1 and "NOTICE-LA-COPY" in refused.stderr
    assert "neither the case nor the settings name that local authority with an address" in refused.stderr
    assert ap("edit", TYLER, "--ehc-la-address", "Shirehall, Exampleton, ZZ9 9ZZ").exit_code == 0
    assert ap("notice", TYLER).exit_code == 0


def test_a_referral_records_the_plans_la(ap: Run, demo: Path) -> None:
    result = ap(
        "refer",
        "--name",
        "Ada Fictional",
        "--dob",
        "2017-03-14",
        "--year",
        "5",
        "--reason",
        "curriculum-needs",
        "--rationale",
        "A practical curriculum suits her better.",
        "--send",
        "ehc-plan",
        "--send-hub",
        "2026-11-20",
        "--managed-move",
        "not-suitable",
        "--managed-move-why",
        "She is settled with her class.",
        *SHROPSHIRE,
        "--json",
    )
    assert result.exit_code == 0, result.output
    case_id = as_json(result)["id"]
    saved = yaml.safe_load((demo / "cases" / f"{case_id}.yaml").read_text())
    assert saved["ehc_la"] == {"name": "Shropshire Council (fictional)", "address": "Shirehall, Exampleton, ZZ9 9ZZ"}
    refused = ap("refer", "--name", "Bo Fictional", "--dob", "2017-03-14", "--year", "5", *SHROPSHIRE[:2])
    assert refused.exit_code == 2 and "give it with --send ehc-plan" in refused.stderr


def test_the_rules_cite_the_law_on_who_is_a_parent(ap: Run) -> None:
    rules = {rule["id"]: rule for rule in as_json(ap("rules", "--json"))}
    assert "Education Act 1996 s576" in rules["NOTICE-IN-WRITING"]["source"]
    assert "reg 3(2)" in rules["NOTICE-IN-WRITING"]["source"]
    assert rules["NOTICE-EVERY-PARENT"]["kind"] == "due"
    assert "Education Act 1996 s576" in rules["NOTICE-EVERY-PARENT"]["source"]
    assert "maintains the plan" in rules["NOTICE-LA-COPY"]["checks"]
