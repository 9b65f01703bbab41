"""Many `ap` processes at once on the same records: no update lost, no file torn, no lock left behind."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apcli.records.store import Records
from apcli.setup.demo import place_pupils
from tests.conftest import as_json, invoke
from tests.factory import full_register

TODAY = "2026-11-27"


def start(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "apcli", "--records", str(folder), "--today", TODAY, "--by", "Test", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    return [(p.wait(timeout=120), (p.stderr.read() if p.stderr else "")) for p in processes]


def hold(folder: Path, *names: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A process holding the locks `names` (Records.locks) for a minute; once it has begun taking them."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from apcli.records.store import Records\n"
            "print('taking', flush=True)\n"
            "with Records.open(Path(sys.argv[1])).locks(sys.argv[2:]):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(folder),
            *names,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert said(process) == "taking"
    return process


def said(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def contact_waiting(folder: Path, case_id: str) -> tuple[int, str]:
    """`ap contact` on a case, waiting a second for its lock: its exit code and message."""
    waiting = start(
        folder, "contact", case_id, "--date", "2026-11-26", "--with", "S", "--summary", "x",
        env={"AP_LOCK_TIMEOUT": "1"},
    )  # fmt: skip
    return finish([waiting])[0]


def test_contacts_meetings_notices_and_imports_at_once_lose_nothing(demo: Path, tmp_path: Path) -> None:
    ids = place_pupils(Records.open(demo), 6, dt.date(2026, 9, 2), dt.date(2027, 7, 19))
    weeks = [
        (dt.date(2026, 9, 7) + dt.timedelta(weeks=w), dt.date(2026, 9, 11) + dt.timedelta(weeks=w)) for w in range(4)
    ]
    registers = [full_register(demo, ids, a, b, tmp_path / f"week{n}.csv") for n, (a, b) in enumerate(weeks)]
    contact_days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-23"]
    processes = [start(demo, "attendance", "import", str(r)) for r in registers]
    processes += [
        start(demo, "contact", "AP-2026-001", "--date", d, "--with", "Sam Turner", "--summary", f"call {d}")
        for d in contact_days
    ]
    processes += [start(demo, "notice", "AP-2026-003")]
    processes += [
        start(demo, "contact", case_id, "--date", "2026-11-26", "--with", "Sam Turner", "--summary", "weekly")
        for case_id in ids
    ]
    results = finish(processes)
    assert all(code == 0 for code, _ in results), results

    records = Records.open(demo)
    summaries = {c.summary for c in records.load_case("AP-2026-001").case.provider_contacts}
    assert {f"call {d}" for d in contact_days} <= summaries
    assert records.load_case("AP-2026-003").case.placements[0].notices
    days = records.calendar.school_days_between(weeks[0][0], weeks[-1][1])
    for case_id in ids:
        marks = records.marks(case_id)
        assert all(marks.get(d, s) == "B" for d in days for s in ("am", "pm")), case_id
        assert [c.summary for c in records.load_case(case_id).case.provider_contacts][-1:] == ["weekly"]
    findings = as_json(invoke(demo, "check", "--json", today=TODAY))["findings"]
    assert [f for f in findings if f["severity"] == "invalid"] == []  # every file whole and valid
    assert not list(demo.rglob("*.tmp")) and not [p for p in (demo / ".staging").glob("*") if p.is_dir()]


def test_a_command_waits_for_a_lock_then_says_who_holds_it(demo: Path) -> None:
    holder = hold(demo, "AP-2026-001")
    try:
        assert said(holder) == "held"
        code, error = contact_waiting(demo, "AP-2026-001")
        assert code == 4
        assert f"process {holder.pid}" in error and "waited 1 seconds" in error
        assert "Wait for it to finish" in error

        holder.send_signal(signal.SIGKILL)  # the holder dies without letting go
        holder.wait()
        began = time.monotonic()
        code, error = finish(
            [start(demo, "contact", "AP-2026-001", "--date", "2026-11-26", "--with", "S", "--summary", "x")]
        )[0]
        assert code == 0, error
        assert time.monotonic() - began < 10  # freed at once by the operating system, not after a timeout
    finally:
        holder.kill()


def test_a_command_waiting_on_one_of_several_locks_says_who_holds_them(demo: Path) -> None:
    """An import holds its cases' locks under one note listing them; the waiting user is told its holder, not
    an older note's (a command killed while holding the case left its note behind)."""
    (demo / ".locks").mkdir(exist_ok=True)
    (demo / ".locks" / "AP-2026-001.owner").write_text("process 1 on another machine, since 09:00:00")
    holder = hold(demo, "AP-2026-003", "AP-2026-001")
    try:
        assert said(holder) == "held"
        assert not (demo / ".locks" / "AP-2026-001.owner").exists()  # its holder holds nothing: removed
        code, error = contact_waiting(demo, "AP-2026-001")
        assert code == 4 and f"process {holder.pid}" in error and "another machine" not in error
        assert "is changing AP-2026-001" in error and "AP-2026-001.lock" in error
    finally:
        holder.kill()
        holder.wait()


def test_a_command_waiting_for_one_of_its_locks_says_it_holds_the_others(demo: Path) -> None:
    """An import that waits for its third case holds its first two meanwhile: whoever waits for one of those is
    told so, past a link planted among the notes (passed over, never followed)."""

    first = hold(demo, "AP-2026-003")
    assert said(first) == "held"
    (demo / ".locks" / "0000000000000000.owners").symlink_to("/etc/hostname")
    second = hold(demo, "AP-2026-001", "AP-2026-002", "AP-2026-003", env={"AP_LOCK_TIMEOUT": "60"})
    try:
        deadline = time.monotonic() + 30
        planted = {"0000000000000000.owners"}
        while {p.name for p in (demo / ".locks").glob("*.owners")} <= planted and time.monotonic() < deadline:
            time.sleep(0.05)  # until it holds 001 and 002, and waits for 003
        code, error = contact_waiting(demo, "AP-2026-002")
        assert code == 4 and f"process {second.pid}" in error, error
        first.kill()
        first.wait()
        assert said(second) == "held"
    finally:
        for process in (first, second):
            process.kill()
            process.wait()
    assert (demo / ".locks" / "0000000000000000.owners").is_symlink()  # left alone


def test_a_bad_lock_timeout_is_a_usage_error(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AP_LOCK_TIMEOUT", "soon")
    result = invoke(demo, "contact", "AP-2026-001", "--date", "2026-11-26", "--with", "S", "--summary", "x")
    assert result.exit_code == 2 and "AP_LOCK_TIMEOUT must be a number" in result.output
