"""Personal data: private files, no pupil details in errors that do not need them, safeguarding detail flagged."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import as_json, invoke


def test_a_case_that_holds_the_details_of_a_concern_is_warned_about(demo: Path) -> None:
    path = demo / "cases" / "AP-2026-001.yaml"
    text = path.read_text()
    path.write_text(text.replace("history:", "# Leo disclosed at the provider that he was hit at home\nhistory:", 1))
    line = path.read_text().splitlines().index("# Leo disclosed at the provider that he was hit at home") + 1
    result = invoke(demo, "check", "AP-2026-001")
    assert result.exit_code == 0, result.output  # a warning: the case is still valid
    assert f"cases/AP-2026-001.yaml:{line}: warning: 'disclosed' reads like the details" in result.stdout
    assert "ap safeguarding" in result.stdout and "[SAFE-DSL]" in result.stdout
    assert "hit at home" not in result.stdout  # the text itself is never repeated
    found = as_json(invoke(demo, "check", "AP-2026-001", "--json"))["findings"]
    assert [f["severity"] for f in found if f["rule"] == "SAFE-DSL"] == ["warning"]


def test_a_safeguarding_reference_alone_is_not_warned_about(demo: Path) -> None:
    result = invoke(demo, "safeguarding", "AP-2026-001", "--date", "2026-11-20", "--dsl", "Mr Daniel Okafor",
                    "--reference", "CPOMS-4411")  # fmt: skip
    assert result.exit_code == 0, result.output
    check = invoke(demo, "check")
    assert check.exit_code == 0 and "SAFE-DSL" not in check.output


@pytest.mark.skipif(not hasattr(stat, "S_IMODE"), reason="POSIX modes")
def test_reports_and_calendars_written_by_ap_are_private(demo: Path, tmp_path: Path) -> None:
    html, ics = tmp_path / "report.html", tmp_path / "due.ics"
    assert invoke(demo, "report", "--html", str(html)).exit_code == 0
    assert invoke(demo, "review", "due", "--ics", str(ics)).exit_code == 0
    for path in (html, ics):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_an_error_about_a_field_does_not_repeat_what_was_written_there(demo: Path) -> None:
    path = demo / "cases" / "AP-2026-001.yaml"
    path.write_text(path.read_text() + "worries: Leo told staff about trouble at home\n")
    result = invoke(demo, "show", "AP-2026-001")
    assert result.exit_code == 3
    assert "unknown field 'worries'" in result.output
    assert "trouble at home" not in result.output
