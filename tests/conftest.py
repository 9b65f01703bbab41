"""Shared fixtures: real records folders in tmp_path, and `ap` run through Typer's CliRunner."""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from apcli.cli.app import app

TODAY = "2026-11-27"

# Typer's test runner turns the app into a Click command on every invoke: a third of the suite's time went on
# rebuilding the same command tree. Built once per test process, it is the very command `ap` runs.
typer.testing._get_command = functools.cache(typer.main.get_command)  # type: ignore[attr-defined]

Run = Callable[..., Result]


def invoke(records: Path | None, *args: str, today: str = TODAY, by: str = "Test User") -> Result:
    prefix = ["--today", today, "--by", by]
    if records is not None:
        prefix += ["--records", str(records)]
    # Wide enough that a table never wraps on the length of the test's folder (longer under pytest-xdist).
    return CliRunner().invoke(app, [*prefix, *args], env={"COLUMNS": "200"})


def pytest_configure(config: pytest.Config) -> None:
    """ap's cache in a folder of this run's own from the start, before any test module is imported (one that copies
    os.environ for its children at import keeps this one; each test then has its own, see `cache_dir`)."""
    os.environ["AP_CACHE_DIR"] = _RUN_CACHE[0] = tempfile.mkdtemp(prefix="ap-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RUN_CACHE[0]:
        shutil.rmtree(_RUN_CACHE[0], ignore_errors=True)


_RUN_CACHE = [""]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ap's cache (apcli/records/cache.py) in a folder of this test's own, never the user's ~/.cache."""
    folder = tmp_path / "ap-cache"
    monkeypatch.setenv("AP_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def demo_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo records folder, made once per test process by `ap init --demo` (some 2 s: it writes letters and
    commits), for `demo` to copy."""
    folder = tmp_path_factory.mktemp("demo-made") / "records"
    result = invoke(None, "init", str(folder), "--demo")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def demo(tmp_path: Path, demo_made: Path) -> Path:
    """A fresh demo records folder (the fictional school): a copy of the one `ap init --demo` made, with its git
    history, file modes and times, so each test has its own to change."""
    folder = tmp_path / "records"
    shutil.copytree(demo_made, folder, symlinks=True)
    return folder


@pytest.fixture
def ap(demo: Path) -> Run:
    """Run `ap` against the demo records folder."""

    def run(*args: str, today: str = TODAY) -> Result:
        return invoke(demo, *args, today=today)

    return run


def as_json(result: Result) -> Any:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (except git internals, locks and the cache), to show a refused command changed nothing."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not {".git", ".locks", ".cache"} & set(path.parts)
    }


def scripted_editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that runs the Python `body` (dedented) on the file it is given: `ap edit` as a person would."""
    import sys
    import textwrap

    script = tmp_path / "editor.py"
    script.write_text(textwrap.dedent(body))
    return f"{sys.executable} {script}"
