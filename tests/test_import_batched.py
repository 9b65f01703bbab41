"""Issue 18: what made `ap attendance import` linear and batched keeps its guarantees.

- The journal still fsyncs every staged file and the plan before any rename, and now fsyncs the folder it
  renamed into once, after the last rename and before the staged change is removed (it was once a rename).
- A register cell's text is what it was: the fast path for plain CSV text gives exactly the old answer.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apcli.records.guard import Guard, UnsafePath
from apcli.records.journal import STAGING_DIR, write_together
from apcli.steps import registers
from apcli.steps.registers import Formula


def _events(demo: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync and rename ap makes from now on, named by what it was on (the calls still happen)."""
    events: list[str] = []
    folders = {(demo / "cases").stat().st_ino: "fsync cases/"}
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            staging = demo / STAGING_DIR
            if staging.exists() and status.st_ino == staging.stat().st_ino:
                events.append(f"fsync {STAGING_DIR}/")
            else:
                events.append(folders.get(status.st_ino, "fsync the change's folder"))
        else:
            events.append("fsync a file")
        real_fsync(descriptor)

    def replace(source: Any, target: Any) -> None:
        folder = Path(target).parent
        events.append(
            "rename into the change's folder" if folder.parent.name == STAGING_DIR else f"rename into {folder.name}/"
        )
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events


def test_write_together_fsyncs_each_file_then_each_folder_it_renamed_into_once(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = ["AP-2026-001", "AP-2026-006", "AP-2026-010"]
    files: dict[Path, str | bytes] = {}
    for case_id in cases:
        files[demo / "cases" / f"{case_id}.attendance.csv"] = f"date,am,pm,note\n# {case_id}\n"
        files[demo / "cases" / f"{case_id}.attendance-log.csv"] = f"date,at,by,what\n# {case_id}\n"
    events = _events(demo, monkeypatch)
    write_together(Guard(demo), files, locks=cases)
    assert events == [
        *["fsync a file"] * 6,  # each staged file, before the plan
        "fsync the change's folder",
        f"fsync {STAGING_DIR}/",
        "fsync a file",  # the plan, written atomically beside them: the commit point
        "rename into the change's folder",
        "fsync the change's folder",
        *["rename into cases/"] * 6,
        "fsync cases/",  # once, after every rename, before the change's folder is removed
        f"fsync {STAGING_DIR}/",
    ]
    assert [path.read_text() for path in files] == list(files.values())
    assert not any((demo / STAGING_DIR).iterdir())


def test_a_lock_owner_note_is_made_in_one_write_without_a_rename_or_an_fsync(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apcli.records.store import Records

    records = Records.open(demo)
    events = _events(demo, monkeypatch)
    note = demo / ".locks" / "AP-2026-001.owner"
    with records.lock("AP-2026-001"):
        assert note.read_text().startswith(f"process {os.getpid()} on ")
        assert stat.S_IMODE(note.stat().st_mode) == 0o600
    assert events == []  # made where there was none (O_EXCL), and nothing fsynced
    assert not note.exists()
    # a note left by a command that was killed is replaced whole, as any file is
    note.write_text("process 1 on another machine, since 09:00:00")
    events.clear()
    with records.lock("AP-2026-001"):
        assert note.read_text().startswith(f"process {os.getpid()} on ")
        assert events == ["rename into .locks/"]
    # a link in its place is refused, never followed
    elsewhere = demo.parent / "elsewhere.txt"
    elsewhere.write_text("not ap's")
    note.symlink_to(elsewhere)
    with pytest.raises(UnsafePath), records.lock("AP-2026-001"):
        pass
    assert elsewhere.read_text() == "not ap's"


def test_several_locks_are_held_under_one_note_that_lists_them(demo: Path) -> None:
    from apcli.records.store import Records

    records = Records.open(demo)
    locks = demo / ".locks"
    locks.mkdir(exist_ok=True)
    (locks / "0123456789abcdef.owners").write_text("process 1 on another machine, since 09:00:00\nAP-2026-006")
    (locks / "fedcba9876543210.owners").write_text("process 2 on another machine, since 09:00:00\nAP-2026-002")
    with records.locks(["AP-2026-010", "AP-2026-001", "AP-2026-006", "AP-2026-001"]):
        notes = sorted(path.name for path in locks.iterdir() if path.suffix in (".owner", ".owners"))
        # the killed command's note naming a case held here is gone; one naming another case is not
        assert len(notes) == 2 and "fedcba9876543210.owners" in notes and "0123456789abcdef.owners" not in notes
        (mine,) = (locks / name for name in notes if name != "fedcba9876543210.owners")
        who, *names = mine.read_text().split("\n")
        assert who.startswith(f"process {os.getpid()} on ") and names == ["AP-2026-001", "AP-2026-006", "AP-2026-010"]
        assert stat.S_IMODE(mine.stat().st_mode) == 0o600
        assert {path.name for path in locks.glob("*.lock")} >= {f"{name}.lock" for name in names}
    assert not mine.exists() and (locks / "fedcba9876543210.owners").exists()
    with records.locks([]):  # nothing to hold: no note
        assert [path.name for path in locks.glob("*.owner*")] == ["fedcba9876543210.owners"]


def test_an_import_makes_one_lock_note_for_all_its_cases(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apcli.records.store import Records
    from apcli.setup.demo import place_pupils
    from tests.conftest import invoke
    from tests.factory import full_register

    made: list[str] = []
    real_note, real_write = Guard.write_note, Guard.write

    def write_note(self: Guard, path: Path | str, text: str) -> Path:
        made.append(Path(path).name)
        return real_note(self, path, text)

    def write(self: Guard, path: Path | str, content: Any, *args: Any, **kwargs: Any) -> Path:
        if Path(path).parent.name == ".locks":
            made.append(Path(path).name)
        return real_write(self, path, content, *args, **kwargs)

    monkeypatch.setattr(Guard, "write_note", write_note)
    monkeypatch.setattr(Guard, "write", write)
    ids = place_pupils(Records.open(demo), 3, dt.date(2026, 9, 2), dt.date(2027, 7, 19))
    register = full_register(demo, ids, dt.date(2026, 9, 7), dt.date(2026, 9, 11), demo.parent / "register.csv")
    result = invoke(demo, "attendance", "import", str(register), today="2026-11-27")
    assert result.exit_code == 0, result.output
    assert len(made) == 1 and made[0].endswith(".owners")  # one note, not one a case
    assert not list((demo / ".locks").glob("*.owner*"))


def _old_cell_text(value: Any) -> str:
    """registers._cell_text as it was before issue 18."""
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _old_has_text(row: list[Any]) -> bool:
    return any(isinstance(cell, Formula) or _old_cell_text(cell) for cell in row)


CELL_TEXT = st.text(alphabet=st.sampled_from(list(" \t\r\n\x0b\x0c\x1c\x85\u00a0\u2028\u3000aB1/é;,\"'")), max_size=12)
CELLS = (
    CELL_TEXT
    | st.text(max_size=12)
    | st.none()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.dates().map(lambda day: dt.datetime(day.year, day.month, day.day))
    | st.builds(Formula, st.text(max_size=5))
)


@given(CELLS)
def test_a_cells_text_is_what_it_was(value: Any) -> None:
    assert registers._cell_text(value) == _old_cell_text(value)


@given(st.lists(CELLS, max_size=6))
def test_a_row_holds_text_exactly_when_it_did(row: list[Any]) -> None:
    assert registers._has_text(row) is _old_has_text(row)


def _shape(slots: Any) -> Any:
    """Slots compared by what they say: a reason, or each session's placement, marks' case and closures."""
    if isinstance(slots, str):
        return slots
    return {session: slot if isinstance(slot, str) else (slot[0].id, slot[2]) for session, slot in slots.items()}


def test_the_short_way_for_a_pupils_one_placement_answers_as_check_day_on_every_day(demo: Path) -> None:
    """Every day from September 2026 to August 2027 (weekends, holidays, before the start, after the end,
    future days), every demo case, with and without each provider: the comparisons give what `_check_day`
    gives (the same slots, or the same reason), for one placement and for two."""
    from apcli.records.store import Records
    from apcli.steps.importing import _check_day, _Looked, index_cases

    records = Records.open(demo)
    pupils = index_cases(records)
    today = dt.date(2026, 11, 27)
    short = _Looked(records, today, "", pupils)
    long = _Looked(records, today, "", pupils)
    providers = ["", *records.provider_ids()]
    day, compared = dt.date(2026, 9, 1), 0
    while day <= dt.date(2027, 8, 31):
        for case_id in pupils.by_id:
            for at in providers:
                checked = _check_day(records, case_id, pupils.by_id[case_id], day, today, at, long.notified_on)
                expected = checked if isinstance(checked, str) else long._placed(case_id, day, checked)
                assert _shape(short._slots(case_id, day, at)) == _shape(expected), (case_id, day, at)
                compared += 1
        day += dt.timedelta(days=1)
    assert compared > 10_000 and any(value is not None for value in short.only.values())
