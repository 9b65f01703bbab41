"""The order of steps, changes after a notice, and edits that must not lose anyone's work."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import Run, as_json, scripted_editor, snapshot
from tests.test_agreeing import FREYA, PLACEMENT, RUBY

TYLER = "AP-2026-003"
OSCAR = "AP-2026-005"


def test_a_changed_placement_needs_a_new_notice(ap: Run, demo: Path) -> None:
    assert ap("notice", TYLER).exit_code == 0
    assert as_json(ap("show", TYLER, "--json"))["status"] == "notified"
    args = [
        "--provider",
        "larkhill-green",
        "--start",
        "2026-12-07",
        "--end",
        "2027-07-15",
        "--weekdays",
        "mon,wed,fri",
        "--aims",
        "x",
        "--agreement",
        "LG-1",
        "--agreement-signed",
        "2026-11-24",
        "--cost",
        "9999",
        "--approved-by",
        "trust",
        "--approved-on",
        "2026-11-24",
        "--english-maths",
        "x",
        "--reintegration",
        "x",
        "--la-informed",
        "2026-11-25",
    ]
    before = snapshot(demo)
    refused = ap("placement", TYLER, *args)  # once notified, a placement is changed, never silently re-recorded
    assert refused.exit_code == 2 and "ap change" in refused.stderr and "--alongside" in refused.stderr
    assert snapshot(demo) == before
    changed = ap("change", TYLER, "--end", "2027-07-15", "--why", "Agreed at the review to run to the summer")
    assert changed.exit_code == 0, changed.output
    shown = as_json(ap("show", TYLER, "--json"))
    assert shown["status"] == "notified"  # the notice given still holds for the days it described
    due = [i["rule"] for i in as_json(ap("review", "due", "--case", TYLER, "--json"))]
    assert due == ["NOTICE-ASAP"]  # a new notice is due for the added days
    assert ap("notice", TYLER).exit_code == 0
    assert as_json(ap("review", "due", "--case", TYLER, "--json")) == []


def test_a_started_placement_cannot_be_re_recorded(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("placement", "AP-2026-001", *PLACEMENT)
    assert result.exit_code == 2 and "already has an open placement" in result.stderr and "ap change" in result.stderr
    assert snapshot(demo) == before


def test_a_notified_placement_is_ended_not_withdrawn(ap: Run, demo: Path) -> None:
    for case_id in ("AP-2026-001", "AP-2026-002"):
        result = ap("decision", case_id, "--headteacher", "withdraw", "--date", "2026-11-27")
        assert result.exit_code == 2 and "ap end" in result.stderr
    assert as_json(ap("show", "AP-2026-001", "--json"))["status"] == "active"


@pytest.mark.parametrize(
    ("case_id", "args", "says"),
    [
        (FREYA, ["--parents", "accepted", "--date", "2026-11-25"], "before the planning meeting"),
        (RUBY, ["--headteacher", "withdraw", "--date", "2026-11-20"], "cannot be dated before"),
        (RUBY, ["--parents", "refused", "--date", "2026-11-23"], "cannot be dated before"),
        (
            "AP-2026-008",
            ["--headteacher", "direct", "--date", "2026-11-22", "--reason", "x"],
            "before the parents' response",
        ),
    ],
)
def test_decisions_keep_their_order(ap: Run, demo: Path, case_id: str, args: list[str], says: str) -> None:
    before = snapshot(demo)
    result = ap("decision", case_id, *args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert snapshot(demo) == before


def test_an_agreement_cannot_predate_the_referral(ap: Run) -> None:
    args = list(PLACEMENT)
    args[args.index("--agreement-signed") + 1] = "2026-11-01"
    result = ap("placement", RUBY, *args)
    assert result.exit_code == 2 and "before the referral" in result.stderr


def test_reasons_explained_count_only_at_a_meeting_held_with_the_parents(ap: Run, demo: Path) -> None:
    path = demo / "cases" / f"{FREYA}.yaml"
    path.write_text(path.read_text().replace("reasons_explained: true", "reasons_explained: false"))
    result = ap(
        "meeting",
        FREYA,
        "--kind",
        "planning",
        "--date",
        "2026-11-27",
        "--present",
        "Jo Patel (senco)",
        "--reasons-explained",
    )
    assert result.exit_code == 1 and "MEET-REASONS-EXPLAINED" in result.stderr


def test_a_summary_that_fails_after_saving_still_reports_success(ap: Run, demo: Path) -> None:
    settings = demo / "ap-settings.yaml"
    settings.write_text(settings.read_text() + "bogus: 1\n")
    result = ap("meeting", TYLER, "--kind", "targets", "--date", "2026-11-26", "--present", "Sam Turner (provider)")
    assert result.exit_code == 0, result.output
    assert "could not summarise" in result.stdout and "ap-settings.yaml" in result.stdout
    assert len(yaml.safe_load((demo / "cases" / f"{TYLER}.yaml").read_text())["meetings"]) == 2


def test_a_file_only_the_fast_reader_accepts_is_refused_with_its_line_not_a_traceback(ap: Run, demo: Path) -> None:
    path = demo / "cases" / f"{OSCAR}.yaml"
    path.write_text(path.read_text().replace("  year: 4\n", "  year: 4\t# a note after a tab\n"))
    before = snapshot(demo)
    result = ap(
        "meeting",
        OSCAR,
        "--kind",
        "planning",
        "--date",
        "2026-11-26",
        "--present",
        "Zoe Pennington (parent)",
        "--reasons-explained",
    )
    assert result.exit_code == 3, result.output
    assert "cannot rewrite it safely" in result.stderr and "AP-2026-005.yaml:" in result.stderr
    assert snapshot(demo) == before


@pytest.mark.parametrize("cost", ["1e30", "NaN", "Infinity", "1e-2"])
def test_strange_amounts_are_refused_cleanly(ap: Run, cost: str) -> None:
    args = list(PLACEMENT)
    args[args.index("--cost") + 1] = cost
    result = ap("placement", RUBY, *args)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_schema_out_onto_a_file_and_an_unreadable_editor_setting(
    ap: Run, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = ap("schema", "--out", str(demo / "cases" / "AP-2026-001.yaml"))
    assert result.exit_code == 2 and "is a file" in result.stderr
    monkeypatch.setenv("EDITOR", 'vim "')
    result = ap("edit", OSCAR)
    assert result.exit_code == 2 and "EDITOR" in result.stderr
    assert not (demo / ".locks" / f"{OSCAR}.edit.yaml").exists()


# --- ap edit never saves over someone else's change, nor rewrites the record ---


def test_a_kept_draft_is_not_saved_over_a_later_change(
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
    assert ap("edit", OSCAR).exit_code == 3  # refused, draft kept
    meeting = ap(
        "meeting",
        OSCAR,
        "--kind",
        "planning",
        "--date",
        "2026-11-26",
        "--present",
        "Zoe Pennington (parent)",
        "--reasons-explained",
        "--notes",
        "KEEP",
    )
    assert meeting.exit_code == 0
    monkeypatch.setenv(
        "EDITOR",
        scripted_editor(
            tmp_path,
            """
        import sys, pathlib
        p = pathlib.Path(sys.argv[1])
        p.write_text(p.read_text().replace("  yeer: 5\\n", "").replace("leave his friends", "leave his class"))
    """,
        ),
    )
    result = ap("edit", OSCAR)
    assert result.exit_code == 1 and "changed by someone else" in result.stderr
    assert "KEEP" in (demo / "cases" / f"{OSCAR}.yaml").read_text()  # the meeting is still there
    assert ap("edit", OSCAR, "--discard").exit_code == 0
    assert not (demo / ".locks" / f"{OSCAR}.edit.yaml").exists()


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "    english_maths: Maths and English each morning at the provider, set by his class teacher.\n",
            "",
            "PLACE-CORE-SUBJECTS",
        ),
        ("    what: referral opened\n", "    what: nothing happened\n", "not edited by hand"),
    ],
)
def test_edits_that_break_a_should_rule_or_rewrite_history_are_refused(
    ap: Run, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, says: str
) -> None:
    monkeypatch.setenv(
        "EDITOR",
        scripted_editor(
            tmp_path,
            f"""
        import sys, pathlib
        p = pathlib.Path(sys.argv[1])
        p.write_text(p.read_text().replace({old!r}, {new!r}, 1))
    """,
        ),
    )
    before = snapshot(demo)
    result = ap("edit", TYLER)
    assert result.exit_code == 1, result.output
    assert says in result.stderr
    assert snapshot(demo)[f"cases/{TYLER}.yaml"] == before[f"cases/{TYLER}.yaml"]


def test_after_a_placement_has_ended_the_next_one_is_p2(ap: Run, demo: Path) -> None:
    """Amelia's P1 ended on 23 October (reintegrated); a new placement is simply the next one, with its own notice."""
    result = ap("placement", "AP-2026-006", *PLACEMENT)
    assert result.exit_code == 0, result.output
    placements = yaml.safe_load((demo / "cases" / "AP-2026-006.yaml").read_text())["placements"]
    assert [(p["id"], str(p["start"]), "ending" in p) for p in placements] == [
        ("P1", "2026-09-14", True),
        ("P2", "2026-12-01", False),
    ]
    assert as_json(ap("show", "AP-2026-006", "--json"))["status"] == "commissioned"
    assert [i["rule"] for i in as_json(ap("review", "due", "--case", "AP-2026-006", "--json"))] == ["NOTICE-ASAP"]
