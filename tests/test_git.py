"""Git: one commit per command holding only what it wrote, `ap init`'s repository, `ap log`, and no git at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import as_json, invoke

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git")


def git(folder: Path, *args: str) -> str:
    command = ["git", "-C", str(folder), "-c", "user.name=Tester", "-c", "user.email=t@example.invalid", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def committing(demo: Path) -> Path:
    """The demo school in its own repository, with commit: true, everything committed."""
    settings = demo / "ap-settings.yaml"
    settings.write_text(settings.read_text().replace("commit: false", "commit: true"))
    git(demo, "add", "-A")
    git(demo, "commit", "-q", "-m", "demo")
    return demo


def test_init_makes_a_repository_that_commits_and_merges_cases_field_by_field(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    result = invoke(None, "init", str(folder), "--school", "Test School")
    assert result.exit_code == 0, result.output
    driver = git(folder, "config", "merge.ap.driver").strip()
    assert f"git config merge.ap.driver '{driver}'" in result.output
    assert "commit: true" in (folder / "ap-settings.yaml").read_text()
    assert git(folder, "log", "--format=%s") == "records folder made by ap init\n"
    assert git(folder, "status", "--porcelain") == ""
    assert "cases/*.yaml merge=ap" in (folder / ".gitattributes").read_text()
    assert driver.endswith(" merge-driver %O %A %B %P") and Path(driver.split(" ")[0].strip("'")).is_absolute()


def test_the_demo_and_a_folder_inside_another_repository_do_not_commit(tmp_path: Path) -> None:
    outer = tmp_path / "project"
    outer.mkdir()
    git(outer, "init", "-q")
    result = invoke(None, "init", str(outer / "records"), "--school", "X")
    assert "does not commit" in result.output
    assert "commit: false" in (outer / "records" / "ap-settings.yaml").read_text()
    demo = invoke(None, "init", str(tmp_path / "demo"), "--demo")
    assert "the demo does not commit" in demo.output


def test_a_command_makes_one_commit_of_exactly_the_files_it_wrote(committing: Path) -> None:
    calendar = committing / "calendar.yaml"
    calendar.write_text(calendar.read_text() + "# a note someone is still writing\n")
    git(committing, "add", "calendar.yaml")  # staged by a person: not the command's to commit
    result = invoke(committing, "contact", "AP-2026-001", "--date", "2026-11-23", "--with", "S", "--summary", "x")
    assert result.exit_code == 0, result.output
    assert git(committing, "log", "-1", "--format=%s") == (
        "AP-2026-001: contact with the provider recorded by Test User\n"
    )
    assert git(committing, "show", "--name-only", "--format=", "HEAD").split() == ["cases/AP-2026-001.yaml"]
    assert "M  calendar.yaml" in git(committing, "status", "--porcelain")


def test_an_import_over_several_cases_is_one_commit(committing: Path, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text("case,date,session,mark\nAP-2026-001,2026-11-26,AM,I\nAP-2026-006,2026-10-21,AM,I\n")
    before = int(git(committing, "rev-list", "--count", "HEAD"))
    assert invoke(committing, "attendance", "import", str(register), "--replace").exit_code == 0
    assert int(git(committing, "rev-list", "--count", "HEAD")) == before + 1
    message = git(committing, "log", "-1", "--format=%s")
    assert (
        message
        == "AP-2026-001, AP-2026-006: attendance imported from register.csv (0 added, 2 replaced) by Test User\n"
    )
    assert sorted(git(committing, "show", "--name-only", "--format=", "HEAD").split()) == [
        f"cases/{case}.attendance{kind}.csv" for case in ("AP-2026-001", "AP-2026-006") for kind in ("-log", "")
    ]


def test_a_refused_command_commits_nothing(committing: Path) -> None:
    before = git(committing, "rev-parse", "HEAD")
    result = invoke(committing, "contact", "AP-2026-001", "--date", "2027-05-01", "--with", "S", "--summary", "x")
    assert result.exit_code != 0
    assert git(committing, "rev-parse", "HEAD") == before


def test_ap_log_joins_the_history_the_commits_and_flags_a_letter_changed_after_it_was_sent(committing: Path) -> None:
    assert invoke(committing, "notice", "AP-2026-003").exit_code == 0
    events = as_json(invoke(committing, "log", "AP-2026-003", "--json"))
    sources = {e["source"] for e in events}
    assert sources == {"case", "git", "letter"}
    assert any(e["source"] == "git" and "AP-2026-003: notice issued (post)" in e["what"] for e in events)
    assert [e["flag"] for e in events if e["source"] == "letter"] == [""]
    letter = next(committing.glob("letters/AP-2026-003/notice-*.html"))
    letter.write_text(letter.read_text().replace("Dear", "Dear dear"))
    changed = as_json(invoke(committing, "log", "AP-2026-003", "--json"))
    assert [e["flag"] for e in changed if e["source"] == "letter"] == [
        "CHANGED after it was sent: the file no longer matches its sha256"
    ]
    table = invoke(committing, "log", "AP-2026-003")
    assert "CHANGED after it was sent" in table.stdout


def test_without_git_nothing_breaks(committing: Path, tmp_path: Path) -> None:
    """PATH without git: the command works and says nothing of git."""
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}
    command = [sys.executable, "-m", "apcli", "--records", str(committing), "--today", "2026-11-27", "--by", "T"]
    done = subprocess.run(
        [*command, "contact", "AP-2026-001", "--date", "2026-11-23", "--with", "S", "--summary", "x"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "git" not in done.stderr
    timeline = subprocess.run([*command, "log", "AP-2026-001", "--json"], capture_output=True, text=True, env=env)
    assert {e["source"] for e in json.loads(timeline.stdout)} == {"case"}
    init = subprocess.run(
        [sys.executable, "-m", "apcli", "init", str(tmp_path / "plain")], capture_output=True, text=True, env=env
    )
    assert init.returncode == 0 and "git is not installed" in init.stdout
    assert "commit: false" in (tmp_path / "plain" / "ap-settings.yaml").read_text()
