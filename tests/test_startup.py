"""Start-up: `ap` builds only the command typed, and a run served from the index imports only what it needs.

The times themselves are measured by bench/startup.py and bench/benchmark.py, not here."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from apcli.cli.app import app, only
from tests.conftest import TODAY, invoke


def names(narrowed: object) -> list[str]:
    from typer.main import get_command_name

    commands = [c.name or get_command_name(c.callback.__name__) for c in narrowed.registered_commands]  # type: ignore[attr-defined]
    return [*commands, *(g.name for g in narrowed.registered_groups)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("typed", "built"), [("list", ["list"]), ("review", ["review"]), ("notice", ["notice"])])
def test_only_the_command_typed_is_built(typed: str, built: list[str]) -> None:
    assert names(only(typed)) == built
    assert only(typed).registered_callback is app.registered_callback  # the global options stay


@pytest.mark.parametrize("typed", [None, "lsit", "--help"])
def test_any_other_line_gets_the_whole_app(typed: str | None) -> None:
    """`ap`, `ap --help` and a misspelt command list (and suggest from) every command."""
    assert only(typed) is app


def run_main(records: Path, *args: str, extra: str = "") -> subprocess.CompletedProcess[str]:
    """`ap ARGS` as the installed command runs it (apcli.cli.app.main), in a fresh interpreter."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.argv = ["ap", *{list(args)!r}]
        from apcli.cli.app import main
        try:
            main()
        finally:
            {extra or "pass"}
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=records, capture_output=True, text=True, env=env, check=False
    )


def test_the_narrowed_app_answers_as_the_whole_one(demo: Path) -> None:
    for args in (["list"], ["review", "due", "--json"], ["status", "AP-2026-001"], ["lsit"]):
        whole = invoke(demo, *args)
        ran = run_main(demo, "--today", TODAY, "--by", "Test User", "--records", str(demo), *args)
        assert (ran.returncode, ran.stdout) == (whole.exit_code, whole.stdout), args


def test_a_review_served_from_the_index_imports_no_rules_yaml_or_rich(demo: Path) -> None:
    shown = "print(sorted(set(sys.modules) & {'apcli.policy.rules', 'yaml', 'rich', 'apcli.model.schema'}), file=sys.stderr)"
    first = run_main(demo, "--records", str(demo), "review", "due", "--today", TODAY, extra=shown)
    again = run_main(demo, "--records", str(demo), "review", "due", "--today", TODAY, extra=shown)
    assert first.returncode == again.returncode == 0
    assert first.stdout == again.stdout
    assert "apcli.policy.rules" in first.stderr  # worked out: the rules were run
    assert again.stderr.strip().splitlines()[-1] == "[]"


def test_a_command_collects_cycles_less_often_and_the_web_view_as_python_does(demo: Path) -> None:
    """As `ap` runs a command (apcli.cli.app.main): Python's cycle collector on, run after 200,000 new objects,
    and once the command is done, what it made is frozen out of the collector's sight, left to the exit; `ap
    serve`, which runs for hours, keeps Python's own settings (its requests' cycles are freed as it goes)."""
    import gc

    shown = "import gc; print(gc.isenabled(), gc.get_threshold(), gc.get_freeze_count() > 0, file=sys.stderr)"
    ran = run_main(demo, "--records", str(demo), "list", "--today", TODAY, extra=shown)
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == "True (200000, 30, 30) True"
    assert "AP-2026-001" in ran.stdout  # what it printed is all there
    served = run_main(demo, "--records", str(demo), "serve", "--help", extra=shown)
    assert served.returncode == 0, served.stderr
    assert served.stderr.strip().splitlines()[-1] == f"True {gc.get_threshold()} False"
