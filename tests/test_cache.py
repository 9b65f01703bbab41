"""The cache (apcli/records/cache.py) gives the same answers as the files, and never an answer the files no longer give."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from apcli.records.cache import cache_base, folder_name
from tests.conftest import invoke

COMMANDS = [("review", "due", "--json"), ("check", "--json"), ("list", "--json")]


def outputs(demo: Path, today: str = "2026-11-27") -> list[str]:
    return [invoke(demo, *command, today=today).stdout for command in COMMANDS]


def cached(demo: Path) -> Path:
    """The records folder's own folder of ap's cache (in this test's AP_CACHE_DIR, see conftest)."""
    return cache_base() / folder_name(demo)


def test_a_second_run_from_the_cache_says_exactly_what_the_first_did(demo: Path) -> None:
    first = outputs(demo)
    assert (cached(demo) / "due").is_dir() and (cached(demo) / "cases").is_dir()
    assert outputs(demo) == first
    assert len(first[0]) > 100 and len(first[2]) > 100  # due items and list rows (the demo's check is clean)


@pytest.mark.parametrize(
    "change",
    [
        "case",  # a hand edit of the case file
        "marks",  # a hand edit of its attendance marks
        "provider",  # the provider's file
        "calendar",  # an earlier end of term
    ],
)
def test_any_change_to_what_a_result_rests_on_is_seen_at_once(demo: Path, change: str) -> None:
    before = outputs(demo)
    if change == "case":
        path = demo / "cases" / "AP-2026-001.yaml"
        path.write_text(path.read_text().replace("name: Leo Hartley", "name: Leon Hartley", 1))
    elif change == "marks":
        path = demo / "cases" / "AP-2026-001.attendance.csv"
        path.write_text(path.read_text().replace(",B,B,", ",N,N,"))
    elif change == "provider":
        path = demo / "providers" / "larkhill-green.yaml"
        path.write_text(path.read_text().replace("staff_checks_confirmed: 2026-07-10\n", ""))
    else:
        path = demo / "calendar.yaml"
        path.write_text(path.read_text().replace("end: 2026-12-18", "end: 2026-12-11", 1))
    after = outputs(demo)
    assert after != before
    assert outputs(demo) == after  # and the new answer is then cached


def test_another_today_is_another_answer(demo: Path) -> None:
    assert outputs(demo, "2026-11-27")[0] != outputs(demo, "2027-01-15")[0]


def test_a_damaged_cache_is_ignored_and_rewritten(demo: Path) -> None:
    first = outputs(demo)
    for path in cached(demo).rglob("AP-2026-001.json"):
        path.write_bytes(b"\xff\x00 not json")
    assert outputs(demo) == first
    damaged = cached(demo) / "cases" / "AP-2026-001.json"
    damaged.write_text(damaged.read_text().split("\n")[0] + "\n{}")  # the right key, an invalid case
    assert outputs(demo) == first


def test_the_cache_is_private_and_outside_the_records_folder(demo: Path) -> None:
    outputs(demo)
    assert not (demo / ".cache").exists()
    for folder in (cache_base(), cached(demo), cached(demo) / "due"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    entries = list(cached(demo).rglob("*.json"))
    assert entries and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in entries)


def test_a_case_holds_one_entry_of_each_kind_however_often_it_changes(demo: Path) -> None:
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        assert invoke(demo, "contact", "AP-2026-001", "--date", day, "--with", "S", "--summary", "x").exit_code == 0
        outputs(demo)
    assert sorted(p.name for p in (cached(demo) / "due").iterdir()) == sorted(
        p.name.replace(".yaml", ".json") for p in (demo / "cases").glob("*.yaml")
    )


def test_a_deleted_case_leaves_nothing_in_the_cache_after_a_check(demo: Path) -> None:
    outputs(demo)
    assert list(cached(demo).rglob("AP-2026-009.json"))
    (demo / "cases" / "AP-2026-009.yaml").unlink()
    assert invoke(demo, "check").exit_code == 0
    assert not list(cached(demo).rglob("AP-2026-009.json"))
    assert list(cached(demo).rglob("AP-2026-001.json"))


def test_every_demo_case_read_back_from_the_case_cache_is_the_case(demo: Path) -> None:
    """A validated case is cached as JSON and read back as the same case (a model validator in "before" mode
    once made every read miss: strict dates refuse their JSON text in Python mode)."""
    from apcli.records.cache import CaseCache
    from apcli.records.store import Records

    records = Records.open(demo)
    shelf = CaseCache(records.root)
    for case_id in records.case_ids():
        loaded = records.load_case(case_id, fresh=True)
        key = shelf.key(loaded.text)
        shelf.put(case_id, key, loaded.case)
        assert shelf.get(case_id, key) == loaded.case, case_id
