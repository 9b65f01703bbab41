"""Issue 13, what `ap check` says about a folder that may have come from someone else, and the low points of
what ap prints and writes: open modes, ap's own folders in git, escapes from git, relative --records, the trust
report's --html, --ics, and a commit a killed command never made. Each on real files in tmp_path."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import as_json, invoke
from tests.untrusted import Sentinel, no_traceback, run_ap

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git")

LEO = "AP-2026-001"
CONTACT = ("contact", LEO, "--date", "2026-11-26", "--with", "Sam Turner", "--summary", "Weekly call")


def git(folder: Path, *args: str, author: str = "Tester") -> str:
    command = ["git", "-C", str(folder), "-c", f"user.name={author}", "-c", "user.email=t@example.invalid", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def committed(demo: Path, commit: bool = True) -> Path:
    """The demo school with everything committed (and `commit: true` if asked)."""
    if commit:
        settings = demo / "ap-settings.yaml"
        settings.write_text(settings.read_text().replace("commit: false", "commit: true"))
    git(demo, "add", "-A")
    git(demo, "commit", "-q", "-m", "demo")
    return demo


def findings(records: Path, rule: str) -> list[dict[str, object]]:
    result = invoke(records, "check", "--json")
    assert "Traceback" not in result.output
    return [f for f in as_json(result)["findings"] if f["rule"] == rule]


def modes(folder: Path) -> dict[str, int]:
    """The mode of everything under `folder`, .git included, links not followed."""
    found = {".": stat.S_IMODE(os.lstat(folder).st_mode)}
    for top, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            path = Path(top) / name
            status = os.lstat(path)
            if not stat.S_ISLNK(status.st_mode):
                found[str(path.relative_to(folder))] = stat.S_IMODE(status.st_mode)
    return found


# --- point 11: modes ---


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_point_11_check_warns_about_open_modes_with_the_chmod(demo: Path) -> None:
    exit_before = invoke(demo, "check").exit_code
    assert findings(demo, "PRIVATE") == []  # allowed: a folder ap made is private
    for path in (demo, demo / "cases", demo / "letters"):
        path.chmod(0o755)  # as a clone made with umask 022 is
    (demo / "cases" / f"{LEO}.yaml").chmod(0o644)
    (demo / "providers").chmod(0o750)  # the group may go in, others may not
    (demo / "providers" / "larkhill-green.yaml").chmod(0o640)
    (demo / "templates").chmod(0o700)
    (demo / "templates" / "README.txt").chmod(0o644)  # not reachable by anyone else: not reported
    result = invoke(demo, "check")
    assert result.exit_code == exit_before  # a warning, not an error exit
    assert "Traceback" not in result.output
    [warning] = findings(demo, "PRIVATE")
    assert warning["severity"] == "warning" and warning["file"] == str(demo)
    message = str(warning["message"])
    assert f"cases/{LEO}.yaml (644)" in message and "providers/larkhill-green.yaml (640)" in message
    assert "the folder itself (755)" in message and "README" not in message
    (demo / "providers").chmod(0o700)
    assert "larkhill-green" not in str(findings(demo, "PRIVATE")[0]["message"])  # closed above it: not reachable
    (demo / "providers").chmod(0o750)
    fix = f"chmod -R go-rwx {shlex.quote(str(demo))}"
    assert message.endswith(fix) and fix in result.stdout
    subprocess.run(shlex.split(fix), check=True)  # what it says to run closes every one
    assert findings(demo, "PRIVATE") == []
    assert all(mode & 0o077 == 0 for mode in modes(demo).values())


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("demo_school", [False, True])
def test_point_11_init_makes_everything_private(tmp_path: Path, demo_school: bool) -> None:
    folder = tmp_path / "shared" / "records"
    os.umask(saved := os.umask(0o022))  # the usual umask, under which a plain mkdir or git init is 755/644
    result = invoke(None, "init", str(folder), *(["--demo"] if demo_school else ["--school", "Test School"]))
    assert result.exit_code == 0, result.output
    assert os.umask(saved) == saved  # init's own umask was put back
    assert not demo_school or git(folder, "rev-parse", "--is-inside-work-tree").strip() == "true"
    opened = {name: f"{mode:o}" for name, mode in modes(folder).items() if mode & 0o077}
    assert opened == {}  # every folder 700, every file 600 (git's objects 400), .git included
    assert stat.S_IMODE(os.lstat(folder.parent).st_mode) == 0o755  # the folder above is the user's: as umask says
    lines = (folder / ".gitignore").read_text().splitlines()
    assert {".staging", ".locks", ".cache"} <= set(lines)  # without a slash: a link is ignored too
    (folder / ".staging").symlink_to(tmp_path)
    (folder / ".locks").mkdir(exist_ok=True)
    assert subprocess.run(["git", "-C", str(folder), "check-ignore", "-q", ".staging"], check=False).returncode == 0
    assert ".staging" not in git(folder, "status", "--porcelain", "--ignored=no")
    (folder / ".staging").unlink()
    assert findings(folder, "PRIVATE") == [] and findings(folder, "GIT-OWN-FILES") == []  # allowed: nothing to say


# --- the design: ap's own folders in git, links, another user's, the old cache ---


def test_design_check_names_tracked_staging_locks_and_cache(demo: Path, tmp_path: Path) -> None:
    origin = committed(demo, commit=False)
    for name, file in (
        (".staging", "0123456789abcdef/plan.json"),
        (".locks", "AP-2026-001.owner"),
        (".cache", "x.json"),
    ):
        (origin / name / file).parent.mkdir(parents=True, exist_ok=True)
        (origin / name / file).write_text("{}\n")
        git(origin, "add", "-f", f"{name}/{file}")
    (origin / ".gitignore").write_text(".staging/\n.locks/\n.cache/\n")  # the old lines: a link is not ignored
    git(origin, "commit", "-q", "-am", "someone committed ap's own folders")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    sentinel = Sentinel.make(tmp_path)

    result = run_ap(clone, "check", "--json")
    assert no_traceback(result), result.stderr
    found = json.loads(result.stdout)["findings"]
    tracked = [f["message"] for f in found if f["rule"] == "GIT-OWN-FILES"]
    for name in (".staging", ".locks", ".cache"):
        assert any(f"git tracks 1 file(s) in {name}," in m and f"git rm -r --cached {name} " in m for m in tracked)
    assert any(".gitignore does not ignore .cache, .locks, .staging" in m for m in tracked)
    [old_cache] = [f["message"] for f in found if f["rule"] == "OLD-CACHE"]
    assert "It can be deleted: rm -r " in old_cache and "never reads this one" in old_cache
    assert (clone / ".staging" / "0123456789abcdef" / "plan.json").exists()  # a cloned change is never acted on

    # what check says to run, run: nothing tracked any more, and then nothing to say of it
    for name in (".staging", ".locks", ".cache"):
        git(clone, "rm", "-r", "-q", "--cached", name)
    (clone / ".gitignore").write_text(".staging\n.locks\n.cache\n*.lock\n*.tmp\n")
    git(clone, "commit", "-q", "-am", "ap's own files are not records")
    shutil.rmtree(clone / ".cache")
    shutil.rmtree(clone / ".staging")
    assert findings(clone, "GIT-OWN-FILES") == [] and findings(clone, "OLD-CACHE") == []

    # a .staging link, and a .cache link: named, with a removal that removes the link only
    (clone / ".staging").symlink_to(sentinel.folder, target_is_directory=True)
    (clone / ".cache").symlink_to(sentinel.folder / "sub", target_is_directory=True)
    linked = run_ap(clone, "check")
    assert no_traceback(linked) and linked.returncode == 0, linked.stderr
    assert f".staging is a link (to {sentinel.folder})" in linked.stdout
    assert f"remove the link (only the link): rm {clone / '.staging'}" in linked.stdout
    assert f"It can be deleted: rm {clone / '.cache'} " in linked.stdout
    assert sentinel.untouched()


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_design_check_names_a_staging_folder_open_to_others(demo: Path) -> None:
    (demo / ".staging").mkdir()
    (demo / ".staging").chmod(0o755)
    [finding] = findings(demo, "AP-FOLDER")
    assert "open to other users (mode 755)" in str(finding["message"]) and "chmod 700" in str(finding["message"])
    (demo / ".staging").chmod(0o700)
    assert findings(demo, "AP-FOLDER") == []  # allowed: this user's own, closed


def test_point_3_check_reports_each_unreadable_file_and_goes_on(demo: Path, tmp_path: Path) -> None:
    sentinel = Sentinel.make(tmp_path)
    later = demo / "cases" / "AP-2026-009.yaml"  # after every broken one: still checked
    later.write_text(later.read_text() + "# she disclosed it\n")
    clean = as_json(invoke(demo, "check", "--json"))["findings"]
    assert [f["rule"] for f in clean] == ["SAFE-DSL"]
    (demo / "cases" / "AP-2026-050.yaml").symlink_to(sentinel.folder / "sub" / "file.yaml")
    os.mkfifo(demo / "cases" / "AP-2026-051.yaml")
    (demo / "providers" / "zero.yaml").symlink_to("/dev/zero")
    (demo / "providers" / "huge.yaml").write_text("name: " + "9" * 4400 + "\n")
    case = demo / "cases" / "AP-2026-002.yaml"
    case.write_text(case.read_text().replace("year: ", "year: " + "9" * 4400 + "\n  old_year: ", 1))
    result = run_ap(demo, "check", "--json")
    assert no_traceback(result) and result.returncode == 3, result.stderr
    invalid = {str(f["file"]) for f in json.loads(result.stdout)["findings"] if f["severity"] == "invalid"}
    for name in ("cases/AP-2026-050.yaml", "cases/AP-2026-051.yaml", "providers/zero.yaml", "providers/huge.yaml"):
        assert str(demo / name) in invalid
    assert any(str(case) in file for file in invalid)
    after = json.loads(result.stdout)["findings"]
    assert all(f in after for f in clean)  # the other cases were still checked, as before
    assert sentinel.untouched()


# --- low: what reaches the terminal ---


def test_low_git_author_escapes_never_reach_the_terminal(demo: Path) -> None:
    records = committed(demo)
    hostile = "Eve\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil\r"
    case = records / "cases" / f"{LEO}.yaml"
    case.write_text(case.read_text() + "# a note\n")
    git(records, "commit", "-q", "-am", "subject \x1b[5mblink", author=hostile)
    shown = invoke(records, "log", LEO)
    child = run_ap(records, "log", LEO)  # a real stdout, not CliRunner's
    assert shown.exit_code == 0 and child.returncode == 0, child.stderr
    for out in (shown.stdout + shown.stderr, child.stdout + child.stderr):
        assert not {"\x1b", "\x07", "\x9b", "\u202e", "\r"} & set(out)
        assert "Eve?]0;owned??[2J" in out and "subject ?[5mblink" in out  # shown, harmlessly
    raw = run_ap(records, "log", LEO, "--json").stdout
    assert not {"\x1b", "\x07", "\x9b", "\u202e"} & set(raw)
    authors = {e["who"] for e in json.loads(raw) if e["source"] == "git"}
    assert "Tester" in authors  # allowed: an ordinary author, as it is
    assert any(a.startswith("Eve\x1b]0;owned") for a in authors)  # JSON keeps the value, escaped


def test_low_rich_tables_keep_their_own_styles_but_no_escape_from_a_file() -> None:
    from rich.table import Table

    from apcli.cli.context import _safe_console_class, safe_text

    assert safe_text("a\tb\nc\x1b[2Jd\x00\x7f\x85\u2066") == "a\tb\nc?[2Jd????"
    out = io.StringIO()
    console = _safe_console_class()(file=out, force_terminal=True, color_system="standard", width=80)
    table = Table("who", title="log \x1b]0;t\x07")
    table.add_row("Eve\x1b]2;owned\x07", style="bold red")
    console.print(table)
    text = out.getvalue()
    assert "\x1b[" in text  # Rich's own styling
    assert "\x1b]" not in text and "\x07" not in text and "Eve?]2;owned?" in text


# --- low: relative --records, the trust report's --html, --ics ---


def test_low_log_with_a_relative_records_path(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = committed(demo)
    assert invoke(records, *CONTACT).exit_code == 0
    absolute = as_json(invoke(records, "log", LEO, "--json"))
    assert any(e["source"] == "git" and "contact" in e["what"] for e in absolute)  # allowed: absolute
    monkeypatch.chdir(records.parent)
    relative = as_json(invoke(Path(records.name), "log", LEO, "--json"))
    assert relative == absolute
    monkeypatch.chdir(records / "cases")
    assert as_json(invoke(Path(".."), "log", LEO, "--json")) == absolute
    assert as_json(invoke(None, "log", LEO, "--json")) == absolute  # found from inside it
    result = invoke(Path(".."), *CONTACT[:3], "2026-11-27", *CONTACT[4:])
    assert result.exit_code == 0, result.output
    assert git(records, "status", "--porcelain") == ""  # committed from a relative path too


def test_low_trust_report_html_is_written_or_refused(demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert invoke(None, "init", str(other), "--demo").exit_code == 0
    html = tmp_path / "trust.html"
    refused = invoke(None, "report", "--records", str(demo), "--records", str(other), "--html", str(html))
    assert refused.exit_code == 2 and not html.exists()
    assert "--html writes one school's report" in refused.stderr and "Traceback" not in refused.output
    trust = invoke(None, "report", "--records", str(demo), "--records", str(other), "--json")
    assert trust.exit_code == 0 and len(json.loads(trust.stdout)["schools"]) == 2  # allowed: the trust's view
    one = invoke(None, "report", "--records", str(demo), "--html", str(html))
    assert one.exit_code == 0, one.output
    assert html.read_text().lstrip().lower().startswith("<!doctype html")  # allowed: one school's, written


def test_low_ics_never_writes_then_fails(demo: Path, tmp_path: Path) -> None:
    calendar = tmp_path / "due.ics"
    broken = demo / "cases" / "AP-2026-004.yaml"
    text = broken.read_text()
    broken.write_text(text + "pupil: [unclosed\n")
    result = invoke(demo, "review", "due", "--ics", str(calendar))
    assert result.exit_code == 3 and not calendar.exists()
    assert f"No calendar was written to {calendar}" in result.stderr and "AP-2026-004" in result.stderr
    calendar.write_text("yesterday's calendar\n")
    assert invoke(demo, "review", "due", "--ics", str(calendar)).exit_code == 3
    assert calendar.read_text() == "yesterday's calendar\n"  # not replaced by one that misses a case
    broken.write_text(text)
    fixed = invoke(demo, "review", "due", "--ics", str(calendar))
    assert fixed.exit_code == 0 and calendar.read_text().startswith("BEGIN:VCALENDAR")  # allowed: written, 0


# --- low: a commit a killed command never made ---


def _killing_git(tmp_path: Path) -> str:
    """A PATH whose `git` kills its caller (ap) with SIGKILL when asked to commit: `kill -9` at that moment."""
    real = shutil.which("git")
    assert real
    folder = tmp_path / "killing-bin"
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do if [ "$arg" = commit ]; then kill -9 "$PPID"; sleep 5; exit 1; fi; done\n'
        f'exec {shlex.quote(real)} "$@"\n'
    )
    script.chmod(0o700)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.skipif(os.name != "posix", reason="kill -9")
def test_low_killed_contact_commit_is_reported_and_finished(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = committed(demo)
    with monkeypatch.context() as patched:
        patched.setenv("PATH", _killing_git(tmp_path))
        killed = run_ap(records, *CONTACT)
    assert killed.returncode == -9
    assert "Weekly call" in (records / "cases" / f"{LEO}.yaml").read_text()  # saved, then killed before its commit
    assert git(records, "diff", "--cached", "--name-only") == f"cases/{LEO}.yaml\n"  # staged, never committed
    assert git(records, "log", "-1", "--format=%s").strip() == "demo"

    # ap check, where ap does not commit (commit: false): reports it, with the git command that finishes it
    settings = records / "ap-settings.yaml"
    settings.write_text(settings.read_text().replace("commit: true", "commit: false"))
    [pending] = findings(records, "GIT-COMMIT")
    assert f"was stopped before its git commit of cases/{LEO}.yaml" in str(pending["message"])
    assert f"git commit -m '{LEO}: contact with the provider recorded by Test User' -- cases/{LEO}.yaml" in str(
        pending["message"]
    )

    # with commit: true, the next command commits it first, under its own message, then makes its own commit
    settings.write_text(settings.read_text().replace("commit: false", "commit: true"))
    assert git(records, "status", "--porcelain", "--", "ap-settings.yaml") == ""
    nxt = invoke(records, "contact", "AP-2026-003", "--date", "2026-11-26", "--with", "Sam Turner", "--summary", "ok")
    assert nxt.exit_code == 0, nxt.output
    assert "stopped before its git commit" in nxt.stderr and "is committed now, under its own message" in nxt.stderr
    subjects = git(records, "log", "-3", "--format=%s").splitlines()
    assert subjects[0].startswith("AP-2026-003: ")
    assert subjects[1].startswith(
        f"{LEO}: contact with the provider recorded by Test User (committed by the next ap command"
    )
    assert git(records, "show", "--name-only", "--format=", "HEAD~1").split() == [f"cases/{LEO}.yaml"]
    assert git(records, "status", "--porcelain", "--untracked-files=no") == ""
    assert findings(records, "GIT-COMMIT") == []  # allowed: nothing left to say

    # a change never even staged (killed before git add, or a hand edit): check says how to commit or undo it
    case = records / "cases" / f"{LEO}.yaml"
    case.write_text(case.read_text() + "# by hand\n")
    [changed] = findings(records, "GIT-COMMIT")
    assert f"git commit -m 'why it changed' -- cases/{LEO}.yaml" in str(changed["message"])
    assert f"git restore --staged --worktree -- cases/{LEO}.yaml" in str(changed["message"])
