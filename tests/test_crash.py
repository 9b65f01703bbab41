"""Crash safety: `ap` killed (SIGKILL) at random points while it writes leaves every file whole, old or new.

An attendance import over many cases is all-or-nothing across the cases: after a kill, the next
`ap` run finishes a change that had reached its commit point, or discards one that had not
(apcli/records/journal.py). Runs AP_CRASH_RUNS kills of each kind (default 12 times AP_SOAK; set either higher to soak).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apcli.records.guard import Guard
from apcli.records.journal import STAGING_DIR, recover, write_together
from apcli.records.store import Records
from apcli.setup.demo import place_pupils
from tests.conftest import invoke
from tests.factory import full_register
from tests.soak import times

RUNS = int(os.environ.get("AP_CRASH_RUNS", times(12)))
PUPILS = 30
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def ap_process(folder: Path, *args: str, today: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "apcli", "--records", str(folder), "--today", today, "--by", "Test", *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def files_of(folder: Path, suffix: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "cases").glob(f"*{suffix}"))}


def kill_at_random(folder: Path, args: list[str], today: str, longest: float, rng: random.Random) -> None:
    process = ap_process(folder, *args, today=today)
    time.sleep(rng.uniform(0.3, 1.0) * longest)  # most of a run is start-up; aim at the writing
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_an_import_killed_anywhere_is_all_or_nothing_across_cases(demo: Path, tmp_path: Path) -> None:
    ids = place_pupils(Records.open(demo), PUPILS, dt.date(2026, 9, 2), dt.date(2027, 7, 19))
    register = full_register(demo, ids, dt.date(2026, 9, 2), dt.date(2026, 11, 20), tmp_path / "register.csv")
    baseline = tmp_path / "baseline"
    shutil.copytree(demo, baseline)
    before = files_of(baseline, ".attendance.csv")
    args = ["attendance", "import", str(register)]

    started = time.monotonic()
    finished = ap_process(demo, *args, today="2026-11-27")
    assert finished.wait() == 0, finished.stderr.read() if finished.stderr else ""
    longest = time.monotonic() - started
    after = files_of(demo, ".attendance.csv")
    assert len(after) == len(before) + PUPILS
    check_after = invoke(demo, "check", today="2026-11-27").exit_code

    rng = random.Random(20261127)
    outcomes = []
    for _ in range(RUNS):
        shutil.rmtree(demo)
        shutil.copytree(baseline, demo)
        kill_at_random(demo, args, "2026-11-27", longest, rng)
        Records.open(demo)  # what any next `ap` does first: finish or discard an interrupted change
        now = files_of(demo, ".attendance.csv")
        assert now in (before, after), "some cases were written and others not"
        assert not [p for p in (demo / STAGING_DIR).glob("*") if p.is_dir()]  # nothing left half-done
        records = Records.open(demo)
        for case_id in records.case_ids():
            records.load_case(case_id)  # every case file whole and valid
        outcomes.append("new" if now == after else "old")
        assert invoke(demo, "check", today="2026-11-27").exit_code == check_after
    print(f"kills: {outcomes.count('old')} left the old files, {outcomes.count('new')} the new")


def test_a_notice_killed_anywhere_leaves_the_case_whole(demo: Path, tmp_path: Path) -> None:
    """The case file is the notice's commit point: after a kill it is the old file, or a whole new one."""
    baseline = tmp_path / "baseline"
    shutil.copytree(demo, baseline)
    case_file = Path("cases") / "AP-2026-003.yaml"
    old = (baseline / case_file).read_bytes()
    check_before = invoke(demo, "check", today="2026-11-27").exit_code
    started = time.monotonic()
    assert ap_process(demo, "notice", "AP-2026-003", today="2026-11-27").wait() == 0
    longest = time.monotonic() - started
    check_after = invoke(demo, "check", today="2026-11-27").exit_code
    rng = random.Random(7)
    for _ in range(RUNS):
        shutil.rmtree(demo)
        shutil.copytree(baseline, demo)
        kill_at_random(demo, ["notice", "AP-2026-003"], "2026-11-27", longest, rng)
        notices = Records.open(demo).load_case("AP-2026-003").case.placements[0].notices  # whole and valid
        assert (demo / case_file).read_bytes() == old or len(notices) == 1
        assert invoke(demo, "check", today="2026-11-27").exit_code in (check_before, check_after)
        given = bool(notices)
        again = invoke(demo, "notice", "AP-2026-003", today="2026-11-27")
        if given:  # the kill came after the case file was written: a second notice is refused (exit 2)
            assert again.exit_code == 2 and "already has its notice" in again.output, again.output
        else:  # the old file: the notice is given now
            assert again.exit_code == 0, again.output
        assert Records.open(demo).load_case("AP-2026-003").case.placements[0].notices


def _staged_change(demo: Path, token: str) -> Path:
    """A change's folder as ap's own journal leaves it: this user's, mode 700."""
    (demo / STAGING_DIR).mkdir(mode=0o700, exist_ok=True)
    staging = demo / STAGING_DIR / token
    staging.mkdir(mode=0o700)
    return staging


def test_a_change_stopped_after_its_commit_point_is_finished(demo: Path) -> None:
    """The journal itself: a plan written but not carried out is rolled forward; no plan, rolled back."""
    target = demo / "cases" / "AP-2026-001.attendance.csv"
    old = target.read_bytes()
    staging = _staged_change(demo, "deadbeefdeadbeef")
    (staging / "0").write_text("date,am,pm,note\n")
    plan = {
        "locks": ["AP-2026-001"],
        "files": [
            {
                "target": "cases/AP-2026-001.attendance.csv",
                "staged": "0",
                "old": hashlib.sha256(old).hexdigest(),
                "new": hashlib.sha256(b"date,am,pm,note\n").hexdigest(),
            }
        ],
    }
    (staging / "plan.json").write_text(json.dumps(plan))
    done = recover(Guard(demo))
    assert done == ["finished an interrupted change to 1 file(s)"]
    assert target.read_bytes() == b"date,am,pm,note\n"
    assert not staging.exists()

    staging.mkdir(mode=0o700)
    (staging / "0").write_text("half written")
    assert recover(Guard(demo)) == ["discarded an interrupted change that had not begun to replace any file"]
    assert target.read_bytes() == b"date,am,pm,note\n" and not staging.exists()


def test_write_together_replaces_every_file_and_leaves_nothing_staged(demo: Path) -> None:
    targets = [demo / "cases" / f"AP-2026-00{n}.attendance.csv" for n in (1, 6)]
    write_together(
        Guard(demo), {t: f"date,am,pm,note\n# {t.name}\n" for t in targets}, locks=["AP-2026-001", "AP-2026-006"]
    )
    assert [t.read_text() for t in targets] == [f"date,am,pm,note\n# {t.name}\n" for t in targets]
    assert not any((demo / STAGING_DIR).iterdir())


def test_rolling_forward_never_overwrites_a_later_change(demo: Path) -> None:
    target = demo / "cases" / "AP-2026-001.attendance.csv"
    staging = _staged_change(demo, "feedfeedfeedfeed")
    (staging / "0").write_text("stale\n")
    plan = {
        "locks": [],
        "files": [{"target": "cases/AP-2026-001.attendance.csv", "staged": "0", "old": "0" * 64, "new": "1" * 64}],
    }
    (staging / "plan.json").write_text(json.dumps(plan))
    later = target.read_bytes()
    assert recover(Guard(demo))[1] == "cases/AP-2026-001.attendance.csv had changed since, so it was left as it is"
    assert target.read_bytes() == later


def test_the_note_after_recovery_is_shown_once(demo: Path) -> None:
    _staged_change(demo, "cafecafecafecafe")
    result = invoke(demo, "list")
    assert result.exit_code == 0
    assert "discarded an interrupted change" in result.stderr
    assert "discarded" not in invoke(demo, "list").stderr
