"""The first hour of a new school (issue 16): what a new user meets first reads right and is committed."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from apcli.cli.app import app
from tests.conftest import TODAY

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
