"""The first hour of a new school (issue 16): what a new user meets first reads right and is committed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apcli.cli.app import app
from tests.conftest import TODAY, invoke, scripted_editor

LONG_ID = "oakwood-learning-centre-north-campus"


def add_provider(records: Path, provider_id: str, *extra: str) -> object:
    return CliRunner().invoke(
        app,
        ["--today", TODAY, "--by", "Test User", "--records", str(records), "provider", "add", provider_id,
         "--name", "Oakwood Learning Centre", "--address", "1 Oak Road", "--contact", "Pat Oak",
         "--code", "B", "--daily-cost", "85", *extra],
    )  # fmt: skip


def test_provider_list_never_cuts_an_id_at_80_columns(demo: Path) -> None:
    added = add_provider(
        demo, LONG_ID, "--session-start", "09:00", "--session-end", "15:00",
        "--safeguarding-confirmed", "2026-11-01", "--staff-checks-confirmed", "2026-11-01",
    )  # fmt: skip
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    shown = CliRunner().invoke(app, ["--records", str(demo), "provider", "list"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    assert max(len(line) for line in shown.output.splitlines()) <= 80
    assert LONG_ID in shown.output


def test_provider_add_without_session_times_names_both_ways(demo: Path) -> None:
    confirmed = ("--safeguarding-confirmed", "2026-11-01", "--staff-checks-confirmed", "2026-11-01")
    none = add_provider(demo, "oakwood", *confirmed)
    assert none.exit_code == 2  # type: ignore[attr-defined]
    said = " ".join(none.stderr.split())  # type: ignore[attr-defined]
    assert said == (
        "The provider's session times are needed: give either a day of two sessions (--morning-start HH:MM "
        "--break-start HH:MM --break-end HH:MM --afternoon-end HH:MM) or a single session (--session-start "
        "HH:MM --session-end HH:MM)."
    )
    half = add_provider(demo, "oakwood", *confirmed, "--session-start", "09:00")
    assert "give --session-end HH:MM." in half.stderr  # type: ignore[attr-defined]
    bad = add_provider(demo, "oakwood", *confirmed, "--session-start", "9am", "--session-end", "12:00")
    assert "--session-start: '9am' is not a time" in bad.stderr  # type: ignore[attr-defined]
    assert not (demo / "providers" / "oakwood.yaml").exists()
    shown = CliRunner().invoke(app, ["provider", "add", "--help"], env={"COLUMNS": "200"})
    assert "a day of two sessions (--morning-start, --break-start, --break-end, --afternoon-end) or a single " in (
        " ".join(shown.output.split())
    )
    assert "--session-start and --session-end instead" in " ".join(shown.output.split())


LEO = "AP-2026-001"  # the demo's Leo Hartley: active, marked up to 2026-11-26 (2026-11-10 AM is N)
LEO_UPN = "L860200025001"


def test_a_bad_register_lists_every_problem_in_one_round(demo: Path, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(f"upn,date,session,mark\n{LEO_UPN},2026-11-10,AM,I\n{LEO_UPN},2026-12-01,AM,Q9\n")
    result = CliRunner().invoke(
        app, ["--today", "2026-12-03", "--records", str(demo), "attendance", "import", str(register)]
    )
    assert result.exit_code == 3
    said = result.stderr
    assert "row 3, mark 'Q9': is not an attendance code" in said
    assert (
        "It would also change 1 mark(s) already recorded (ATT-ACCURATE):\n  AP-2026-001 2026-11-10 AM: N -> I (row 2)"
        in said
    )
    assert "import it again with --replace" in said
    as_json = CliRunner().invoke(
        app, ["--today", "2026-12-03", "--records", str(demo), "attendance", "import", str(register), "--json"]
    )
    assert json.loads(as_json.stdout)["changes"] == ["AP-2026-001 2026-11-10 AM: N -> I (row 2)"]


def test_a_grid_register_headed_with_uk_dates_imports(demo: Path, tmp_path: Path) -> None:
    register = tmp_path / "grid.csv"
    register.write_text(f"upn,30/11/2026 AM,30/11/2026 PM,1/12/2026 AM\n{LEO_UPN},B,B,N\n")
    result = CliRunner().invoke(
        app, ["--today", "2026-12-03", "--records", str(demo), "attendance", "import", str(register), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 3
    marks = (demo / "cases" / f"{LEO}.attendance.csv").read_text()
    assert "2026-11-30,B,B,\n2026-12-01,N,,\n" in marks
    not_a_day = tmp_path / "bad.csv"
    not_a_day.write_text(f"upn,31/11/2026 AM\n{LEO_UPN},B\n")
    refused = CliRunner().invoke(
        app, ["--today", "2026-12-03", "--records", str(demo), "attendance", "import", str(not_a_day)]
    )
    assert refused.exit_code == 3 and "31/11/2026" in refused.stderr


def _ap(records: Path, *args: str) -> object:
    return CliRunner().invoke(app, ["--today", TODAY, "--by", "Test User", "--records", str(records), *args])


def test_text_that_reads_like_safeguarding_details_is_refused_before_it_is_written(demo: Path) -> None:
    case_file = demo / "cases" / f"{LEO}.yaml"
    before = case_file.read_text()
    summary = "Riley disclosed that an uncle slapped him"
    refused = _ap(demo, "contact", LEO, "--date", "2026-11-27", "--with", "Sam Turner", "--summary", summary)
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    said = " ".join(refused.stderr.split())  # type: ignore[attr-defined]
    assert said.startswith("Refused: the text given holds 'disclosed', 'slapped', which reads like the details")
    assert "Riley" not in said and "uncle" not in said  # the words found, never the text
    assert "--not-safeguarding" in said
    assert case_file.read_text() == before
    follow_up = _ap(demo, "absence", LEO, "--date", "2026-11-11", "--session", "pm", "--follow-up", "Bruised knee")
    assert follow_up.exit_code == 2 and "'bruised'" in follow_up.stderr  # type: ignore[attr-defined]
    allowed = _ap(
        demo, "contact", LEO, "--date", "2026-11-27", "--with", "Sam Turner",
        "--summary", "Talked about the school's disclosure log training", "--not-safeguarding",
    )  # fmt: skip
    assert allowed.exit_code == 0, allowed.output  # type: ignore[attr-defined]
    assert "disclosure log training" in case_file.read_text()
    plain = _ap(demo, "contact", LEO, "--date", "2026-11-27", "--with", "Sam Turner", "--summary", "Week fine")
    assert plain.exit_code == 0  # text already in the case (disclosure) is not counted again


def _git(folder: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout


def test_hand_edits_are_named_by_check_and_committed_by_ap_commit(tmp_path: Path) -> None:
    folder = tmp_path / "school"
    made = CliRunner().invoke(app, ["--by", "Test User", "init", str(folder)])
    assert made.exit_code == 0, made.output
    assert _git(folder, "status", "--porcelain") == ""  # ap init committed what it made
    assert _git(folder, "log", "--format=%s") == "records folder made by ap init\n"
    with (folder / "calendar.yaml").open("a") as calendar:
        calendar.write("# term dates to follow\n")
    checked = _ap(folder, "check")
    said = " ".join(checked.stdout.split())  # type: ignore[attr-defined]
    assert "calendar.yaml: warning: changed since the last commit, but not committed" in said
    assert "Commit it: ap commit -m 'why it changed'" in said
    (folder / "ap-settings.yaml").write_text("school: [not, valid\n")
    committed = _ap(folder, "commit", "-m", "Term dates")
    assert committed.exit_code == 3  # type: ignore[attr-defined]
    assert "Committed calendar.yaml." in committed.stdout  # type: ignore[attr-defined]
    assert "Not committed: ap-settings.yaml does not read as valid" in committed.stdout  # type: ignore[attr-defined]
    assert _git(folder, "status", "--porcelain") == " M ap-settings.yaml\n"
    assert _git(folder, "log", "-1", "--format=%s") == "Term dates\n"


def test_an_edit_by_hand_that_adds_safeguarding_details_is_refused(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('  year: 4\\n', '  year: 4  # he was punched at home\\n', 1))\n"
    )
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, script))
    case_file = demo / "cases" / "AP-2026-005.yaml"
    before = case_file.read_text()
    assert "  year: 4\n" in before
    refused = _ap(demo, "edit", "AP-2026-005")
    assert refused.exit_code == 1, refused.output  # type: ignore[attr-defined]
    assert "holds 'punched'" in refused.stderr and "at home" not in refused.stderr  # type: ignore[attr-defined]
    assert case_file.read_text() == before


def test_a_refusal_names_the_case_not_the_word_case(demo: Path) -> None:
    """Every command a refusal suggests runs as shown: the case's id, never the placeholder CASE."""
    result = invoke(demo, "change", "AP-2026-001", "--end", "2026-10-07", "--why", "stopped", today="2026-11-27")
    assert result.exit_code == 2, result.output
    assert "ap end AP-2026-001 --date D --outcome" in result.stderr
    assert "CASE" not in result.stderr
