"""Issue 13, points 1, 2, 4 and 10: ap's own state in a records folder (`.staging`, `.locks`, drafts) and the
search for the folder itself are never trusted because of where they are.

Each test plants the attack on real files (links, a plan, a git clone), runs ap as a user would, and shows
the attack refused or ignored with a clear note, no traceback, and a sentinel folder outside untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from apcli.errors import EXIT_INVALID_FILE
from apcli.records.journal import STAGING_DIR
from apcli.records.store import find_records
from tests.conftest import invoke, scripted_editor
from tests.factory import full_register
from tests.untrusted import Sentinel, fingerprint, no_traceback, run_ap

LEO = "AP-2026-001"
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def plant_plan(records: Path, token: str, plan: dict[str, object], staged: dict[str, bytes] | None = None) -> Path:
    """A `.staging/<token>/plan.json` as a clone or another user could leave it (modes as git checks them out)."""
    folder = records / STAGING_DIR / token
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (staged or {"0": b"import os; os.system('touch PWNED')\n"}).items():
        (folder / name).write_bytes(data)
    (folder / "plan.json").write_text(json.dumps(plan))
    return folder


def hostile_plan(sentinel: Path, records: Path) -> dict[str, object]:
    return {
        "locks": ["../../../" + str(sentinel / "made")],
        "files": [
            {"target": str(sentinel / "evil.pth"), "staged": "0", "old": None, "new": "0" * 64},
            {"target": "../sentinel/secret.txt", "staged": "0", "old": None, "new": "0" * 64},
            {"target": "cases/AP-2026-001.yaml", "staged": str(sentinel / "secret.txt"), "old": None, "new": "0" * 64},
        ],
    }


def test_point_1_a_planted_plan_never_writes_moves_or_locks_anything(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    case_before = (demo / "cases" / f"{LEO}.yaml").read_bytes()
    plant_plan(demo, "0123456789abcdef", hostile_plan(sentinel.folder, demo))
    result = invoke(demo, "list")
    assert result.exit_code == 0, result.output
    assert "left an interrupted change alone" in result.stderr and "Traceback" not in result.output
    assert sentinel.untouched()
    assert (demo / "cases" / f"{LEO}.yaml").read_bytes() == case_before


def test_point_1_a_plan_naming_only_case_files_is_still_refused_when_not_this_users(demo: Path) -> None:
    """Even a well-formed plan is not acted on when its folder is open to others (as a clone leaves it)."""
    target = demo / "cases" / f"{LEO}.attendance.csv"
    before = target.read_bytes()
    folder = plant_plan(
        demo,
        "00000000000000aa",
        {"locks": [LEO], "files": [{"target": f"cases/{LEO}.attendance.csv", "staged": "0", "old": None, "new": None}]},
        {"0": b"date,am,pm,note\n"},
    )
    folder.chmod(0o755)
    result = invoke(demo, "list")
    assert result.exit_code == 0 and "another user's, or one copied with the folder" in result.stderr
    assert target.read_bytes() == before


def test_point_1_a_private_plan_that_names_a_file_outside_is_refused(demo: Path, tmp_path: Path) -> None:
    """Made private as this user's own would be, the plan still may name only case files."""
    sentinel = Sentinel.make(tmp_path)
    (demo / STAGING_DIR).mkdir(mode=0o700)
    folder = plant_plan(demo, "00000000000000bb", hostile_plan(sentinel.folder, demo))
    folder.chmod(0o700)
    result = invoke(demo, "list")
    assert result.exit_code == 0 and "not a plan ap made" in result.stderr
    assert sentinel.untouched() and folder.exists()


def test_point_1_ap_still_finishes_its_own_interrupted_change(demo: Path) -> None:
    """The allowed case: a plan this user's ap made, naming a case file, is rolled forward."""
    target = demo / "cases" / f"{LEO}.attendance.csv"
    old = target.read_bytes()
    (demo / STAGING_DIR).mkdir(mode=0o700)
    folder = demo / STAGING_DIR / "00000000000000cc"
    folder.mkdir(mode=0o700)
    (folder / "0").write_bytes(b"date,am,pm,note\n")
    entry = {
        "target": f"cases/{LEO}.attendance.csv",
        "staged": "0",
        "old": hashlib.sha256(old).hexdigest(),
        "new": hashlib.sha256(b"date,am,pm,note\n").hexdigest(),
    }
    (folder / "plan.json").write_text(json.dumps({"locks": [LEO], "files": [entry]}))
    result = invoke(demo, "list")
    assert result.exit_code == 0 and "finished an interrupted change to 1 file(s)" in result.stderr
    assert target.read_bytes() == b"date,am,pm,note\n" and not folder.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@needs_git
def test_point_1_a_plan_carried_by_a_git_clone_is_never_acted_on(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    plant_plan(demo, "0123456789abcdef", hostile_plan(sentinel.folder, demo))
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "-C", str(demo), "init", "-q"], check=True)
    subprocess.run([*git, "-C", str(demo), "add", "-f", "."], check=True)
    subprocess.run([*git, "-C", str(demo), "commit", "-qm", "records"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(demo), str(clone)], check=True)
    # Make the clone's staging look like this user's own: still refused, because git tracks it.
    for folder in (clone / STAGING_DIR, clone / STAGING_DIR / "0123456789abcdef"):
        folder.chmod(0o700)
    result = run_ap(clone, "list")
    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert "git tracks .staging/" in result.stderr
    assert sentinel.untouched()
    assert not list(Path(sys.prefix).rglob("evil.pth"))


def test_point_1_find_records_needs_a_valid_settings_file_in_a_folder_only_its_owner_writes(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    (shared / "work" / "sub").mkdir(parents=True)
    (shared / "ap-settings.yaml").write_text("")  # empty: not a records folder's settings
    assert find_records(shared / "work" / "sub") == shared / "work" / "sub" / "records"
    (shared / "ap-settings.yaml").write_text("school:\n  name: Nowhere School\n")
    shared.chmod(0o1777)  # like /tmp: anyone may leave a settings file there
    try:
        assert find_records(shared / "work" / "sub") == shared / "work" / "sub" / "records"
    finally:
        shared.chmod(0o755)


def test_point_1_find_records_still_finds_a_real_records_folder_from_inside_it(demo: Path) -> None:
    assert find_records(demo / "cases") == demo


def test_point_1_running_ap_under_a_folder_with_a_planted_settings_file_touches_nothing(tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    shared = tmp_path / "tmp"
    (shared / "me").mkdir(parents=True)
    (shared / "ap-settings.yaml").write_text("")
    plant_plan(shared, "0123456789abcdef", hostile_plan(sentinel.folder, shared))
    shared.chmod(0o1777)
    try:
        command = [sys.executable, "-m", "apcli", "--today", "2026-11-27", "list"]
        result = subprocess.run(command, cwd=shared / "me", capture_output=True, text=True, timeout=60, check=False)
    finally:
        shared.chmod(0o755)
    assert result.returncode != 0 and "does not exist" in result.stderr and no_traceback(result)
    assert sentinel.untouched() and (shared / STAGING_DIR / "0123456789abcdef" / "plan.json").exists()


def test_point_2_a_staging_link_to_a_folder_deletes_nothing(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    (demo / STAGING_DIR).symlink_to(sentinel.folder, target_is_directory=True)
    result = invoke(demo, "list")
    assert result.exit_code == 0, result.output
    assert "left .staging/ alone" in result.stderr and "a link" in result.stderr
    assert sentinel.untouched()


def test_point_2_a_staging_link_stops_a_change_with_a_clear_message(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    (demo / STAGING_DIR).symlink_to(sentinel.folder, target_is_directory=True)
    register = full_register(demo, [LEO], dt.date(2026, 11, 27), dt.date(2026, 11, 27), tmp_path / "register.csv")
    result = invoke(demo, "attendance", "import", str(register))
    assert result.exit_code == EXIT_INVALID_FILE and ".staging" in result.stderr and "a link" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert sentinel.untouched()


CONTACT = ("contact", LEO, "--date", "2026-11-27", "--with", "Sam Turner", "--summary", "Week fine")


@pytest.mark.parametrize("name", [f"{LEO}.owner", f"{LEO}.lock"])
def test_point_4_a_link_in_locks_is_never_written_through(demo: Path, tmp_path: Path, name: str) -> None:
    sentinel = Sentinel.make(tmp_path)
    (demo / ".locks").mkdir(exist_ok=True)
    (demo / ".locks" / name).symlink_to(sentinel.folder / "secret.txt")
    result = invoke(demo, *CONTACT)
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    assert name in result.stderr and "a link" in result.stderr
    assert sentinel.untouched()


def test_point_4_a_locks_folder_that_is_a_link_is_refused(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    shutil.rmtree(demo / ".locks", ignore_errors=True)
    (demo / ".locks").symlink_to(sentinel.folder, target_is_directory=True)
    result = invoke(demo, *CONTACT)
    assert result.exit_code == EXIT_INVALID_FILE and ".locks" in result.stderr and "a link" in result.stderr
    assert sentinel.untouched()


def test_point_4_locks_are_private_and_a_contact_still_goes_through(demo: Path) -> None:
    (demo / ".locks").mkdir(exist_ok=True)
    (demo / ".locks").chmod(0o755)  # as an older ap left it
    result = invoke(demo, *CONTACT)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((demo / ".locks").stat().st_mode) == 0o700
    for path in (demo / ".locks").iterdir():
        assert stat.S_IMODE(path.lstat().st_mode) == 0o600, path
    assert stat.S_IMODE((demo / "cases" / f"{LEO}.yaml").stat().st_mode) == 0o600


APPEND_COMMENT = "import sys, pathlib\np = pathlib.Path(sys.argv[1])\np.write_text(p.read_text() + '# seen\\n')\n"


@pytest.mark.parametrize("name", [f"{LEO}.edit-base.yaml", f"{LEO}.edit.yaml"])
def test_point_4_an_edit_draft_link_is_never_written_through(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    sentinel = Sentinel.make(tmp_path)
    (demo / ".locks").mkdir(exist_ok=True)
    (demo / ".locks" / name).symlink_to(sentinel.folder / "secret.txt")
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, APPEND_COMMENT))
    result = invoke(demo, "edit", LEO)
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    assert "a link" in result.stderr and sentinel.untouched()


def test_point_4_an_edit_draft_is_private(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused edit keeps its draft: a full copy of the case, so mode 600 in a 700 folder."""
    refuse = "import sys, pathlib\np = pathlib.Path(sys.argv[1])\np.write_text(p.read_text() + 'yeer: 5\\n')\n"
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, refuse))
    result = invoke(demo, "edit", LEO)
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    drafts = list((demo / ".locks").glob(f"{LEO}.edit*.yaml"))
    assert len(drafts) == 2 and all(stat.S_IMODE(d.stat().st_mode) == 0o600 for d in drafts)
    assert stat.S_IMODE((demo / ".locks").stat().st_mode) == 0o700


def test_point_10_edit_refuses_a_case_that_is_a_link_to_a_file_outside(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentinel = Sentinel.make(tmp_path)
    outside = sentinel.folder / "sub" / "file.yaml"
    case = demo / "cases" / f"{LEO}.yaml"
    outside.write_bytes(case.read_bytes())
    sentinel = Sentinel(sentinel.folder, fingerprint(sentinel.folder))
    case.unlink()
    case.symlink_to(outside)
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, APPEND_COMMENT))
    result = invoke(demo, "edit", LEO)
    assert result.exit_code == EXIT_INVALID_FILE and "a link" in result.stderr, result.output
    assert sentinel.untouched()


def test_point_10_edit_still_saves_a_plain_case(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, APPEND_COMMENT))
    result = invoke(demo, "edit", LEO)
    assert result.exit_code == 0, result.output
    assert (demo / "cases" / f"{LEO}.yaml").read_text().count("# seen") == 1


def test_the_guard_refuses_dot_dot_and_absolute_paths_elsewhere(demo: Path, tmp_path: Path) -> None:
    from apcli.records.guard import Guard, UnsafePath

    guard = Guard(demo)
    for path in ("../x", "cases/../../x", str(tmp_path / "elsewhere")):
        with pytest.raises(UnsafePath):
            guard.check(path)
    with pytest.raises(UnsafePath, match="not inside cases/"):
        guard.check("providers/x.yaml", "cases")
    assert guard.check("cases/AP-2026-001.yaml", "cases") == Path(os.path.realpath(demo)) / "cases/AP-2026-001.yaml"


def test_a_records_folder_given_as_a_relative_path_still_works(tmp_path: Path) -> None:
    """The guard takes paths built on a relative --records (records/cases/X.yaml) as inside the folder."""
    command = [sys.executable, "-m", "apcli", "--today", "2026-11-27"]
    made = subprocess.run([*command, "init", "school", "--demo"], cwd=tmp_path, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([*command, "--records", "school", "list"], cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0 and LEO in listed.stdout, listed.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_point_6_a_settings_file_linked_to_dev_zero_is_named_as_a_link(demo: Path) -> None:
    settings = demo / "ap-settings.yaml"
    settings.unlink()
    settings.symlink_to("/dev/zero")
    result = run_ap(demo, "list")
    assert result.returncode == EXIT_INVALID_FILE and no_traceback(result)
    assert "ap-settings.yaml" in result.stderr and "a link" in result.stderr
