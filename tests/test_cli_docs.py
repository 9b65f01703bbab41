"""sqlite-utils style: every command has help, and docs/cli-help.md is the current `--help` of each."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from apcli.cli.app import app
from apcli.cli.helpdocs import command_paths, help_markdown, help_text
from apcli.policy import catalogue
from apcli.policy.document import rules_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli-help.md"


def test_every_command_has_help_text() -> None:
    for path in command_paths(app)[1:]:
        text = help_text(path)
        assert "Usage: ap " + " ".join(path) in text
        summary = text.split("\n\n")[1].strip()
        assert len(summary) > 20, f"ap {' '.join(path)} needs a help text"


def test_the_help_docs_are_current() -> None:
    assert DOCS.read_text() == help_markdown(), "run: python scripts/help_docs.py"


def test_the_policy_rules_document_is_the_catalogue() -> None:
    """docs/policy-rules.md is written from the catalogue, so the repository states its own rules."""
    written = (DOCS.parent / "policy-rules.md").read_text()
    assert written == rules_markdown(), "run: python scripts/help_docs.py"
    listed = [line.split(" | ")[0].removeprefix("| ") for line in written.splitlines() if line.startswith("| ")]
    assert listed[1:] == list(catalogue()) and "LETTER-SCHOOL-DETAILS" in listed


def test_help_starts_without_importing_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from apcli.cli.app import app\n"
        "heavy = [m for m in ('pydantic', 'ruamel.yaml', 'holidays', 'jinja2', 'filelock', 'rich.console') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"imported at start-up: {result.stdout}"
    assert time.perf_counter() - started < 5  # a sanity bound only; the benchmark measures
