"""Rewriting a case by its changed fields gives exactly the text the whole-file round trip gives, and keeps
a large case's unchanged fields byte for byte (issue 13: a case with 114,000 history entries took minutes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from apcli.errors import InvalidFileError
from apcli.model.history import record
from apcli.model.schema import Case
from apcli.records import yamlblocks, yamlio
from apcli.records.store import Records

DAY = dt.date(2026, 11, 27)


def both(text: str, case: Case) -> tuple[str, str]:
    """The text each way, or the refusal each way gives (a change that would drop a comment)."""
    data = case.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    full = case.model_dump(mode="python", by_alias=True)
    results = []
    for update in (yamlio.update_text, yamlblocks.update_text):
        try:
            results.append(update(text, data, "case", full=full))
        except InvalidFileError as error:
            results.append(f"refused: {error.detail}")
    return results[0], results[1]


def changes(case: Case) -> list[Case]:
    """An appended history entry, a removed one, and a changed name: append, shrink and change in place."""
    found = [
        record(case, DAY, "Office", "a note", {}, step="edit"),
        case.model_copy(update={"history": case.history[:-1]}),
    ]
    if case.pupil:
        found.append(case.model_copy(update={"pupil": case.pupil.model_copy(update={"name": "Someone Else"})}))
    return found


def test_every_change_to_every_demo_case_is_written_as_the_round_trip_writes_it(demo: Path) -> None:
    records = Records.open(demo)
    compared = 0
    for case_id in records.case_ids():
        loaded = records.load_case(case_id)
        for changed in changes(loaded.case):
            slow, fast = both(loaded.text, changed)
            assert fast == slow, case_id
            compared += 1
    assert compared >= 20


def test_comments_anywhere_are_kept_as_the_round_trip_keeps_them(demo: Path) -> None:
    records = Records.open(demo)
    loaded = records.load_case("AP-2026-001")
    text = loaded.text.replace("history:\n", "# kept above history\nhistory:  # and beside it\n", 1)
    text = text.replace("\n  - date:", "\n  # between entries\n  - date:", 1) + "# at the very end\n"
    for changed in changes(loaded.case):
        slow, fast = both(text, changed)
        assert fast == slow
        assert fast.startswith("refused: ") or ("# at the very end" in fast and "# between entries" in fast)


def test_a_long_history_keeps_its_old_text_and_gains_one_entry(demo: Path) -> None:
    records = Records.open(demo)
    loaded = records.load_case("AP-2026-001")
    extra = "".join(f"  - date: 2026-10-01\n    by: Office\n    what: note {n}\n" for n in range(3000))
    text = loaded.text.replace("history:\n", "history:\n" + extra, 1)
    case = Case.model_validate(yamlio.load(text, "case"))
    changed = record(case, DAY, "Office", "one more", {}, step="edit")
    data = changed.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    fast = yamlblocks.update_text(text, data, "case", full=changed.model_dump(mode="python", by_alias=True))
    assert fast.startswith(text.rstrip("\n").rsplit("\n", 3)[0])
    assert Case.model_validate(yamlio.load(fast, "case")) == changed


def test_a_list_written_at_another_indent_is_appended_to_as_the_round_trip_would(demo: Path) -> None:
    records = Records.open(demo)
    loaded = records.load_case("AP-2026-001")
    head, history = loaded.text.split("history:\n", 1)
    flush_left = "\n".join(line[2:] if line.startswith("  ") else line for line in history.split("\n"))
    text = head + "history:\n" + flush_left
    case = Case.model_validate(yamlio.load(text, "case"))
    slow, fast = both(text, record(case, DAY, "Office", "one more", {}, step="edit"))
    assert fast == slow


@pytest.mark.parametrize("text", ["---\nschema_version: 1\n", "%YAML 1.2\n---\nx: 1\n"])
def test_an_unusual_file_takes_the_whole_file_round_trip(text: str) -> None:
    assert yamlblocks._blocks(text) is None
