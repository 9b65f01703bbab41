"""Cases worked out by forked workers (apcli/records/workers.py) give exactly what the command alone gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from apcli.records.workers import AT_LEAST, worker_count

COPIES = 22  # of each demo case: over AT_LEAST cases in all, so that workers are used


def many_cases(demo: Path) -> Path:
    """The demo school with each case copied into new ids (AP-2026-1xx...), and one case file that is not YAML."""
    cases = demo / "cases"
    originals = sorted(cases.glob("AP-2026-0*.yaml"))
    number = 100
    for _ in range(COPIES):
        for original in originals:
            number += 1
            shutil.copy2(original, cases / f"AP-2026-{number}.yaml")
            marks = original.with_name(original.stem + ".attendance.csv")
            if marks.exists():
                shutil.copy2(marks, cases / f"AP-2026-{number}.attendance.csv")
    (cases / f"AP-2026-{number // 2}.yaml").write_text("pupil: [unclosed\n", encoding="utf-8")
    assert len(list(cases.glob("*.yaml"))) > AT_LEAST
    return demo


def run(folder: Path, workers: int, cache: Path, *args: str, today: str = "2027-03-01") -> tuple[int, bytes]:
    """The command's exit code and all it printed, run as a school runs it (workers fork only outside pytest's
    threads)."""
    env = {**os.environ, "AP_WORKERS": str(workers), "AP_CACHE_DIR": str(cache), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "apcli", "--records", str(folder), "--today", today, *args],
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    return done.returncode, done.stdout + done.stderr


COMMANDS = [("review", "due", "--json"), ("check", "--json"), ("list", "--json"), ("report", "--year", "2026/27")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command))
def test_workers_give_what_the_command_alone_gives_and_keep_the_same_index(
    demo: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    folder = many_cases(demo)
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    first = run(folder, 1, alone, *command)
    assert first == run(folder, 2, shared, *command)
    assert b"AP-2026-" in first[1]
    # each command closed its index at its end: its -wal folded in and removed (a cold `check` once left it)
    assert [path.name.startswith("index-") and path.suffix == ".sqlite" for path in shared.rglob("index*")] == [True]
    # the index the workers helped make serves the next day exactly as the one made by the command alone
    assert run(folder, 1, alone, *command, today="2027-03-02") == run(folder, 1, shared, *command, today="2027-03-02")


def test_a_case_a_worker_cannot_read_is_reported_as_the_command_alone_reports_it(demo: Path, tmp_path: Path) -> None:
    folder = many_cases(demo)
    broken = f"AP-2026-{(100 + COPIES * 10) // 2}".encode()
    alone = run(folder, 1, tmp_path / "alone", "check")
    assert alone[0] == 3 and broken in alone[1]  # one file cannot be read
    assert run(folder, 2, tmp_path / "shared", "check") == alone


def test_workers_only_for_many_cases_on_several_cores_and_never_beside_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AP_WORKERS", "3")
    if sys.platform.startswith("linux"):
        assert worker_count(AT_LEAST) == 3
    assert worker_count(AT_LEAST - 1) == 0
    monkeypatch.setenv("AP_WORKERS", "1")
    assert worker_count(10 * AT_LEAST) == 0
    monkeypatch.setenv("AP_WORKERS", "3")
    stop = threading.Event()
    server = threading.Thread(target=stop.wait)  # as `ap serve`'s threads are
    server.start()
    try:
        assert worker_count(10 * AT_LEAST) == 0
    finally:
        stop.set()
        server.join()


def test_in_workers_answers_in_order_from_other_processes_and_gives_none_for_a_failure() -> None:
    from apcli.records.workers import Done, in_workers

    def work(case_id: str) -> Done:
        if case_id == "AP-2026-013":
            raise ValueError("unreadable")
        return [(1, 2, case_id)], "sha", str(os.getpid())

    ids = [f"AP-2026-{number:03d}" for number in range(40)]
    answers = list(in_workers(work, ids, 2))
    assert [case_id for case_id, _ in answers] == ids
    assert answers[13] == ("AP-2026-013", None)
    done = [answer for _, answer in answers if answer is not None]
    assert [pieces for pieces, _, _ in done] == [[(1, 2, case_id)] for case_id in ids if case_id != "AP-2026-013"]
    assert str(os.getpid()) not in {pid for _, _, pid in done}


def test_a_worker_that_dies_leaves_its_cases_and_those_after_to_the_command() -> None:
    import signal

    from apcli.records.workers import Done, in_workers

    def work(case_id: str) -> Done:
        if case_id == "AP-2026-013":
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return [(1, 2, case_id)], "sha", ""

    ids = [f"AP-2026-{number:03d}" for number in range(40)]
    answers = list(in_workers(work, ids, 2))
    assert [case_id for case_id, _ in answers] == ids
    assert all(answer is None for _, answer in answers[13:])
    assert all(answer is None or answer[0] == [(1, 2, case_id)] for case_id, answer in answers)


def test_workers_are_born_ignoring_ctrl_c_and_the_command_gets_it_back() -> None:
    import signal

    from apcli.records.workers import Done, in_workers

    def work(case_id: str) -> Done:
        ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        return [(1, 2, [ignored, blocked])], "sha", ""

    before = signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, [])
    answers = list(in_workers(work, [f"AP-2026-{number:03d}" for number in range(20)], 2))
    assert {str(answer[0][0][2]) for _, answer in answers if answer} == {"[True, False]"}
    assert (signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, [])) == before


def test_a_case_changed_while_others_are_worked_out_is_kept_as_it_is_when_its_turn_comes(demo: Path) -> None:
    import datetime as dt

    from apcli.records.store import LoadedCase, Records

    records = Records.open(demo)
    first, later = records.case_ids()[0], records.case_ids()[-1]
    asked: list[str] = []

    def compute(loaded: LoadedCase, day: dt.date) -> str:
        asked.append(loaded.id)
        if loaded.id == first:  # someone saves another case meanwhile
            with records.case_path(later).open("a", encoding="utf-8") as file:
                file.write("# edited while the command ran\n")
        return loaded.id

    today = dt.date(2027, 3, 1)
    assert dict(records.index.each("test", today, compute)) == {case_id: case_id for case_id in records.case_ids()}
    asked.clear()
    again = Records.open(demo)
    assert dict(again.index.each("test", today, compute)) == {case_id: case_id for case_id in again.case_ids()}
    assert asked == []  # every case kept, the one changed meanwhile too


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_workers_end_when_the_command_is_killed() -> None:
    import signal
    import time

    script = (
        "import time\n"
        "from apcli.records.workers import in_workers\n"
        "def work(case_id):\n"
        "    time.sleep(60)\n"
        "for _ in in_workers(work, [str(n) for n in range(10)], 2):\n"
        "    pass\n"
    )
    command = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while len(_children(command.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _children(command.pid)
        assert len(workers) == 2
    finally:
        command.send_signal(signal.SIGKILL)
        command.wait()
    deadline = time.monotonic() + 10
    while _running(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _running(workers) == []


def _running(pids: list[int]) -> list[int]:
    """Those of `pids` still running (an ended process not yet reaped is a zombie: state Z)."""
    running = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.append(pid)
    return running


SAVED_MEANWHILE = """
import datetime as dt, json, sys
from pathlib import Path
from apcli.records import index
from apcli.records.store import Records

root, target, edit = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "edit"
looked, looks = index.Results.look_again, []

def look_again(self, case_id):  # the case is saved just after its batch is looked at, before a worker reads it
    looked(self, case_id)
    looks.extend([case_id] if case_id == target else [])
    if edit and looks == [target, target]:  # the first look is `holds`, the second its batch's
        with open(root / "cases" / f"{case_id}.yaml", "a", encoding="utf-8") as file:
            file.write("# saved meanwhile\\n")

index.Results.look_again = look_again
worked = []

def compute(loaded, day):
    worked.append(loaded.id)
    return loaded.text.count("saved meanwhile")

answers = dict(Records.open(root).index.each("test", dt.date(2027, 3, 1), compute))
print(json.dumps({"answer": answers[target], "worked": target in worked}))
"""


def test_a_case_saved_after_its_batch_was_looked_at_is_worked_out_as_saved_and_kept(demo: Path, tmp_path: Path) -> None:
    folder = many_cases(demo)
    target = sorted(path.stem for path in (folder / "cases").glob("*.yaml"))[5]  # a worker's, not the first
    env = {**os.environ, "AP_WORKERS": "2", "AP_CACHE_DIR": str(tmp_path / "cache")}

    def run(edit: bool) -> dict[str, object]:
        argv = [sys.executable, "-c", SAVED_MEANWHILE, str(folder), target, "edit" if edit else "read"]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=True)
        return dict(json.loads(done.stdout))

    assert run(edit=True)["answer"] == 1
    assert run(edit=False) == {"answer": 1, "worked": False}  # kept for the file as saved, so served


def test_where_no_worker_can_be_forked_the_command_works_every_case_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from apcli.records.workers import in_workers

    fork, forked = os.fork, []

    def one_fork_only() -> int:  # as fork(2)'s EAGAIN at a process limit, after one worker was made
        if forked:
            raise BlockingIOError("Resource temporarily unavailable")
        forked.append(True)
        return fork()

    monkeypatch.setattr(os, "fork", one_fork_only)
    ids = [f"AP-2026-{number:03d}" for number in range(10)]
    assert list(in_workers(lambda case_id: ([(1, 2, case_id)], "sha", ""), ids, 2)) == [(c, None) for c in ids]
    assert multiprocessing.active_children() == []  # the one worker made is gone
