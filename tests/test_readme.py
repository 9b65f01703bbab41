"""The README's examples work as written, on the demo records."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.conftest import Run, as_json

README = Path(__file__).resolve().parents[1] / "README.md"


def commands_in(section: str) -> list[list[str]]:
    text = README.read_text()
    body = text.split(f"## {section}", 1)[1]
    block = re.search(r"```sh\n(.*?)```", body, re.S)
    assert block, f"no sh block in {section}"
    joined = block.group(1).replace("\\\n", " ")
    lines = [line.split("#", 1)[0].strip() for line in joined.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("ap ")]


def test_the_first_lines_are_the_two_set_up_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README.read_text(), re.S)
    assert first_block is not None
    assert first_block.group(1).strip().splitlines() == [
        "pip install -e . && ap review due",
        "pip install -e '.[test]' && pytest",
    ]


def test_from_referral_to_notice_walkthrough(ap: Run) -> None:
    commands = commands_in("From referral to notice")
    assert len(commands) == 8
    for command in commands:
        result = ap(*command)
        assert result.exit_code == 0, (command, result.output)
        if command[0] == "show":
            shown = as_json(ap(*command, "--json"))
    assert shown["status"] == "commissioned" and shown["blocked_by"] == []
    assert as_json(ap("show", "AP-2026-005", "--json"))["status"] == "notified"


def test_the_referral_example_works(ap: Run) -> None:
    [command] = commands_in("Referring a pupil")
    result = ap(*command)
    assert result.exit_code == 0, result.output


def test_the_command_table_is_one_table_naming_every_command() -> None:
    """A blank line inside a Markdown table ends it: the rows after it show as plain text with pipes."""
    section = README.read_text().split("## What works today", 1)[1].split("\n## ", 1)[0]
    rows = [number for number, line in enumerate(section.splitlines()) if line.startswith("| `ap ")]
    assert rows == list(range(rows[0], rows[0] + len(rows)))
    from typer.main import get_command

    from apcli.cli.app import app

    lines = section.splitlines()
    named = {name for n in rows for name in re.findall(r"`ap ([a-z-]+)", lines[n].split(" | ")[0])}
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert commands - named == set()
