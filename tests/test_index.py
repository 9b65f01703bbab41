"""ap's index (apcli/records/index.py) gives the same answers as the files, on any day, and never an answer the
files no longer give: a stale, foreign or damaged index is made again, never trusted."""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import os
import shutil
import sqlite3
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apcli.records.cache import cache_base, folder_name
from apcli.records.index import fingerprint, index_name
from apcli.records.store import Records
from tests.conftest import invoke

INDEX_FILE = index_name()  # this version's index file, in the records folder's cache folder

COMMANDS = [("review", "due", "--json"), ("check", "--json"), ("list", "--json")]
KINDS = ("due", "check", "list")


def outputs(demo: Path, today: str = "2026-11-27") -> list[str]:
    return [invoke(demo, *command, today=today).stdout for command in COMMANDS]


def cached(demo: Path) -> Path:
    """The records folder's own folder of ap's cache (in this test's AP_CACHE_DIR, see conftest)."""
    return cache_base() / folder_name(demo)


def index_rows(demo: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        return connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def computed(root: Path, day: dt.date, use_index: bool) -> list[Any]:
    """`review due`, `check`, `list`, `report` (the year, and the autumn term) and `export census` for `day`
    through the core, from the index or with none."""
    from apcli.reports.census import census_json, census_rows, choose_census
    from apcli.reports.checking import check_records
    from apcli.reports.due import due_items
    from apcli.reports.money import build_report, choose_period, report_json
    from apcli.reports.overview import list_rows

    answers: list[Any] = []
    for command in ("due", "check", "list", "year", "autumn", "census"):
        records = Records.open(root)
        records.cached = use_index
        if command == "due":
            items, problems = due_items(records, day)
            answers.append(([item.as_dict() for item in items], [str(p) for p in problems]))
        elif command == "check":
            answers.append([finding.as_dict() for finding in check_records(records, None, day)])
        elif command == "list":
            answers.append(list_rows(records, day)[0])
        elif command == "census":
            census = choose_census(records, day, None)
            answers.append(census_json(census, census_rows(records, census, day), day))
        else:
            year, term = ("2026/27", None) if command == "year" else (None, "autumn 2026")
            answers.append(report_json(build_report(records, choose_period(records, day, None, None, term, year), day)))
    return answers


def test_every_pupils_report_line_read_back_from_the_index_is_the_line(demo: Path) -> None:
    from apcli.reports.money import choose_period, kept_line, line_from_kept, pupil_line

    records = Records.open(demo)
    period = choose_period(records, dt.date(2027, 3, 1), None, None, None, "2026/27")
    lines = [pupil_line(records, c, records.load_case(c).case, period, dt.date(2027, 3, 1)) for c in records.case_ids()]
    assert len([line for line in lines if line is not None]) >= 5
    for line in lines:
        if line is not None:
            assert line_from_kept(json.loads(json.dumps(kept_line(line)))) == line, line.case


def test_a_line_read_back_for_the_tables_is_the_line_without_its_weeks_and_measures(demo: Path) -> None:
    """Read back for "tables" (the totals and the text report): the line without its weeks and its targets'
    measures, its lapses kept; for its parts too."""
    from dataclasses import replace

    from apcli.reports.money import PupilLine, choose_period, kept_line, line_from_kept, pupil_line

    def less(line: PupilLine) -> PupilLine:
        targets = [replace(t, measures=[]) for t in line.targets]
        return replace(line, targets=targets, weekly=[], parts=[less(part) for part in line.parts])

    records = Records.open(demo)
    day = dt.date(2027, 3, 1)
    period = choose_period(records, day, None, None, None, "2026/27")
    found = [pupil_line(records, c, records.load_case(c).case, period, day) for c in records.case_ids()]
    lines = [line for line in found if line is not None]
    lapsed = replace(lines[0], contact_lapses=[(dt.date(2027, 1, 11), "no contact recorded")])
    assert any(line.targets and line.weekly for line in lines) and any(line.parts for line in lines)
    for line in [*lines, lapsed]:
        kept = json.loads(json.dumps(kept_line(line)))
        assert line_from_kept(kept, detail="tables") == less(line), line.case


def test_a_second_run_from_the_index_says_exactly_what_the_first_did(demo: Path) -> None:
    first = outputs(demo)
    assert (cached(demo) / INDEX_FILE).is_file()
    kinds = {row[1] for row in index_rows(demo, "results")}
    assert {kind for kind in kinds if not kind.startswith("letters:")} == set(KINDS)  # and the letters each names
    assert outputs(demo) == first
    assert len(first[0]) > 100 and len(first[2]) > 100  # due items and list rows (the demo's check is clean)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dates(dt.date(2026, 9, 1), dt.date(2027, 8, 31)))
def test_on_any_day_of_the_year_the_index_serves_what_is_computed_afresh(demo: Path, day: dt.date) -> None:
    """Results are kept with the days they hold on (apcli/model/days.py) and served on other days: over random
    days (one index across them all, so that results kept for one day are served on others), the same answers
    as with no index."""
    assert computed(demo, day, use_index=True) == computed(demo, day, use_index=False)


def test_day_after_day_the_index_serves_what_is_computed_afresh_and_runs_few_rules(demo: Path) -> None:
    """A school's mornings: each day once, in order. Most days nothing is computed again: not `review due`,
    `check` or `list`, nor a report's lines, whose days so far, unmarked sessions and length change each school
    day (the line kept is moved on to the day, money.moved_on)."""
    day, recomputed = dt.date(2026, 11, 2), Counter[str]()
    for _ in range(30):
        before = worked_out_days(demo) if (cached(demo) / INDEX_FILE).exists() else {}
        assert computed(demo, day, use_index=True) == computed(demo, day, use_index=False), day
        for key, days in worked_out_days(demo).items():
            recomputed[key[1]] += before.get(key) != days
        day += dt.timedelta(days=1)
    cases = len(Records.open(demo).case_ids())
    assert sum(recomputed.values()) < 30 * 3 * cases / 4  # far fewer than every result every day
    # `review due`'s, worked out a month ahead, are worked out again only when a case changes or its month ends
    assert recomputed["due"] <= 2 * cases, recomputed
    # a report's, moved on for a month, when a case's marks, status or month change (each school day before)
    assert all(count <= 4 * cases for kind, count in recomputed.items() if kind.startswith("report:")), recomputed


def test_a_run_for_an_earlier_day_keeps_what_was_worked_out_for_later_days(demo: Path) -> None:
    """Looking at an earlier day (`--today` last week) keeps the results already worked out for the days after
    it (cut back where the new ones overlap them): the next morning's run finds them, nothing is worked out
    again, and what it serves is what is computed afresh."""
    day = dt.date(2026, 11, 27)
    fresh = computed(demo, day, use_index=True)
    kept = worked_out_days(demo)
    computed(demo, day - dt.timedelta(days=10), use_index=True)
    for key, days in worked_out_days(demo).items():
        assert len(days) <= 12, key
        if key in kept and any(first <= day.toordinal() <= last for first, last in kept[key]):
            assert any(first <= day.toordinal() <= last for first, last in days), key  # still held for the day
    before = worked_out_days(demo)
    assert computed(demo, day, use_index=True) == fresh == computed(demo, day, use_index=False)
    assert worked_out_days(demo) == before  # served, not worked out again


def worked_out_days(demo: Path) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """For each case and kind, the days of each result kept."""
    kept: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for row in index_rows(demo, "results"):
        kept.setdefault(row[:2], []).append(row[4:6])
    return kept


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
    assert outputs(demo) == after  # and the new answer is then kept


def test_the_school_name_a_report_keeps_is_the_settings_name_as_it_is_now(demo: Path) -> None:
    """A report served from the index takes the school's name from it too (`Index.of_base`), so that it need not
    read the settings: kept until the settings change."""
    assert "Hollybank Primary Academy" in invoke(demo, "report", "--json").stdout
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key = 'base:school'").fetchone() is not None
    path = demo / "ap-settings.yaml"
    path.write_text(path.read_text().replace("Hollybank Primary Academy", "Hollybank Junior School", 1))
    for _ in range(2):
        report = json.loads(invoke(demo, "report", "--json").stdout)
        assert report["school"] == "Hollybank Junior School (fictional)"


@pytest.mark.parametrize("broken", ["settings", "provider"])
def test_check_keeps_only_that_the_folders_own_files_read_and_sees_them_break(demo: Path, broken: str) -> None:
    """That the settings, calendar and provider files read cleanly is kept in the index (a served `ap check`
    does not parse them); a file broken since is reported on the next run, and again on the one after."""
    assert invoke(demo, "check").exit_code == 0
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key = 'base:check: files read'").fetchone() == (
            "clean",
        )
    path = demo / ("ap-settings.yaml" if broken == "settings" else "providers/larkhill-green.yaml")
    path.write_text(path.read_text(encoding="utf-8") + "\nnot_a_field: 1\n", encoding="utf-8")
    for _ in range(2):
        result = invoke(demo, "check", "--json")
        assert result.exit_code == 3
        assert any(path.name in (f["file"] or "") for f in json.loads(result.stdout)["findings"])


def test_a_provider_file_the_guard_refuses_stops_a_served_command_before_it_prints(demo: Path) -> None:
    """The index rests on the settings, calendar and provider files (`Index.base`): one the guard refuses (a
    link) is the command's error, not an index quietly unused and a list of nothing due."""
    invoke(demo, "review", "due")
    (demo / "providers" / "elsewhere.yaml").symlink_to(demo / "providers" / "larkhill-green.yaml")
    for command in (("review", "due"), ("list",)):
        result = invoke(demo, *command)
        assert result.exit_code == 3, command
        assert result.stdout == "", command
        assert "link" in result.stderr


def test_the_bank_holidays_are_kept_in_the_index_and_are_the_holidays_packages(demo: Path) -> None:
    """Working out England's bank holidays imports and runs the `holidays` package (a seventh of a second): kept
    in the index, keyed by the calendar's years, and read back as the same days."""
    from apcli.model.calendar import england_bank_holidays

    first = Records.open(demo).calendar.bank_holidays
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        keys = [row[0] for row in connection.execute("SELECT key FROM meta WHERE key LIKE 'base:bank holidays%'")]
    assert keys == ["base:bank holidays 2026,2027"]
    again = Records.open(demo).calendar.bank_holidays
    assert again == first == england_bank_holidays([2026, 2027])
    assert dt.date(2026, 12, 25) in again


def test_an_edit_that_keeps_the_size_and_modification_time_is_seen(demo: Path) -> None:
    """The stat key has the inode and the change time too, which no edit can keep."""
    outputs(demo)
    path = demo / "cases" / "AP-2026-001.yaml"
    before = os.stat(path)
    path.write_text(path.read_text().replace("name: Leo Hartley", "name: Leo Hartlez", 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size and os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert "Leo Hartlez" in invoke(demo, "list", "--json").stdout


def test_check_rebuild_starts_the_index_again_from_the_files(demo: Path) -> None:
    """What a stat cannot see (a stale answer kept for files whose stat keys match) `ap check --rebuild` puts right."""
    first = invoke(demo, "list", "--json", today="2026-11-27").stdout
    invoke(demo, "check", today="2026-11-27")
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        row = connection.execute("SELECT value FROM results WHERE id = 'AP-2026-001' AND kind = 'list'").fetchone()
        planted = json.loads(row[0]) | {"pupil": "Not Thispupil"}
        connection.execute(
            "UPDATE results SET value = ? WHERE id = 'AP-2026-001' AND kind = 'list'", (json.dumps(planted),)
        )
    assert "Not Thispupil" in invoke(demo, "list", "--json", today="2026-11-27").stdout  # the index is trusted
    assert invoke(demo, "check", "--rebuild", today="2026-11-27").exit_code == 0
    assert invoke(demo, "list", "--json", today="2026-11-27").stdout == first


def test_another_today_is_another_answer(demo: Path) -> None:
    assert outputs(demo, "2026-11-27")[0] != outputs(demo, "2027-01-15")[0]


def test_a_run_finds_what_is_kept_and_its_days_results_from_the_keys_alone(demo: Path) -> None:
    """The keys and days of every result are read from `result_days`, never by a scan of the results, whose
    values (kilobytes each) fill its pages: at 20,000 cases 260 MB read for a few MB of keys, on every run."""
    from apcli.records.index import DAY_QUERY, KEPT_QUERY

    outputs(demo)
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:

        def plan(query: str, *values: object) -> str:
            return " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {query}", values))

        assert "USING COVERING INDEX result_days" in plan(KEPT_QUERY, "due")
        day_plan = plan(DAY_QUERY, "due", 740000, 740000)
        assert "USING INDEX result_days" in day_plan
        assert "TEMP B-TREE" not in day_plan  # read in the order of the ids, not sorted after


def test_a_damaged_index_is_made_again(demo: Path) -> None:
    first = outputs(demo)
    (cached(demo) / INDEX_FILE).write_bytes(b"\xff\x00 not an sqlite file" * 100)
    for side in ("-wal", "-shm"):
        (cached(demo) / f"{INDEX_FILE}{side}").unlink(missing_ok=True)
    assert outputs(demo) == first
    assert index_rows(demo, "results")  # made again, and used


@pytest.mark.parametrize("key", ["fingerprint", "root", "format"])
def test_an_index_of_other_code_another_folder_or_format_is_emptied_never_trusted(demo: Path, key: str) -> None:
    first = outputs(demo)
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        connection.execute("UPDATE meta SET value = 'another' WHERE key = ?", (key,))
        connection.execute("UPDATE results SET value = '[]'")  # answers the files do not give
        connection.execute("UPDATE contents SET content = '{}'")
    assert outputs(demo) == first
    meta = dict(index_rows(demo, "meta"))
    assert meta["fingerprint"] == fingerprint() and meta["root"] == os.path.realpath(demo)
    assert index_rows(demo, "results") and all(row[-1] != "{}" for row in index_rows(demo, "contents"))


@pytest.mark.parametrize("moment", ["created", "committed"])
def test_an_index_another_ap_makes_at_the_same_moment_is_kept(
    demo: Path, moment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two commands starting on an empty cache: the other makes the index between this one's look and its next
    step (it creates the file after this one found none; it commits its tables after this one found no meta).
    Its index is kept and used, never taken for a broken or foreign one and removed."""
    from apcli.records import index

    expected = outputs(demo)
    folder = cached(demo)
    shutil.rmtree(folder)
    made: dict[str, int] = {}

    def other_ap() -> None:
        if not made:
            made["inode"] = 0  # once: the other ap's own run comes here too
            assert outputs(demo) == expected
            made["inode"] = (folder / INDEX_FILE).stat().st_ino

    if moment == "created":
        real_open = os.open

        def racing_open(path: Any, flags: int, *args: Any) -> int:
            if flags & os.O_EXCL and str(path).endswith(INDEX_FILE):
                other_ap()
            return real_open(path, flags, *args)

        monkeypatch.setattr(index.os, "open", racing_open)
    else:
        real_holds = index._holds

        def racing_holds(connection: sqlite3.Connection, wanted: dict[str, str]) -> bool:
            found = real_holds(connection, wanted)
            other_ap()
            return found

        monkeypatch.setattr(index, "_holds", racing_holds)
    assert outputs(demo) == expected
    assert made and (folder / INDEX_FILE).stat().st_ino == made["inode"] and index_rows(demo, "files")


def test_an_index_file_that_is_a_link_is_removed_never_opened(demo: Path, tmp_path: Path) -> None:
    first = outputs(demo)
    elsewhere = tmp_path / "elsewhere.sqlite"
    shutil.copy(cached(demo) / INDEX_FILE, elsewhere)
    for side in ("", "-wal", "-shm"):
        (cached(demo) / f"{INDEX_FILE}{side}").unlink(missing_ok=True)
    (cached(demo) / INDEX_FILE).symlink_to(elsewhere)
    kept = elsewhere.read_bytes()
    assert outputs(demo) == first
    assert not (cached(demo) / INDEX_FILE).is_symlink() and elsewhere.read_bytes() == kept


def test_the_index_is_private_and_outside_the_records_folder(demo: Path) -> None:
    outputs(demo)
    assert not (demo / ".cache").exists()
    for folder in (cache_base(), cached(demo)):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(cached(demo).iterdir())
    assert {path.name for path in files} <= {INDEX_FILE, f"{INDEX_FILE}-wal", f"{INDEX_FILE}-shm"}
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)


def test_a_case_holds_one_working_out_of_each_kind_however_often_it_changes(demo: Path) -> None:
    """Each case's `review due` results, worked out ahead in pieces (index.worked_out), replace those kept
    before: a few rows a case, each for days of its own, however often the case changes."""
    from apcli.records.index import PIECES

    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        assert invoke(demo, "contact", "AP-2026-001", "--date", day, "--with", "S", "--summary", "x").exit_code == 0
        outputs(demo)
    cases = sorted(p.stem for p in (demo / "cases").glob("*.yaml"))
    due = [row for row in index_rows(demo, "results") if row[1] == "due"]
    assert sorted({row[0] for row in due}) == cases
    for case in cases:
        days = sorted((row[4], row[5]) for row in due if row[0] == case)
        assert 1 <= len(days) <= PIECES
        assert all(first <= last < after for (first, last), (after, _) in itertools.pairwise(days))
    assert [row[0] for row in index_rows(demo, "contents")] == cases


def test_a_deleted_case_leaves_nothing_in_the_index(demo: Path) -> None:
    outputs(demo)
    assert "AP-2026-009" in {row[0] for row in index_rows(demo, "files")}
    (demo / "cases" / "AP-2026-009.yaml").unlink()
    assert invoke(demo, "check").exit_code == 0
    for table in ("files", "contents", "results"):
        ids = {row[0] for row in index_rows(demo, table)}
        assert "AP-2026-009" not in ids and "AP-2026-001" in ids


def test_the_old_per_case_json_cache_is_removed(demo: Path) -> None:
    """An older ap kept a JSON file per case in the cache folder: the index removes them (personal data)."""
    outputs(demo)
    old = cached(demo) / "due"
    old.mkdir(mode=0o700)
    (old / "AP-2026-001.json").write_text("key\n[]")
    outputs(demo)
    assert not old.exists()


def test_every_demo_case_read_back_from_the_index_is_the_case(demo: Path) -> None:
    """A validated case is kept as JSON and read back as the same case (a model validator in "before" mode
    once made every read miss: strict dates refuse their JSON text in Python mode)."""
    records = Records.open(demo)
    for case_id in records.case_ids():
        loaded = records.load_case(case_id, fresh=True)
        records.index.keep_case(case_id, loaded.text, loaded.case)
    records.index.save()
    again = Records.open(demo)
    for case_id in records.case_ids():
        loaded = records.load_case(case_id, fresh=True)
        assert again.index.case(case_id, loaded.text) == loaded.case, case_id


def test_the_fingerprint_is_of_the_schema_and_rules_not_of_all_of_aps_code(tmp_path: Path) -> None:
    """An upgrade that changes neither keeps the index; one that changes a rule makes it again."""
    import apcli

    copy = tmp_path / "apcli"
    shutil.copytree(Path(apcli.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprint.__wrapped__(copy)
    for kept in ("cli/looking.py", "letters/render.py", "reports/moneyhtml.py"):
        with (copy / kept).open("a") as stream:
            stream.write("# a comment\n")
    assert fingerprint.__wrapped__(copy) == before
    with (copy / "policy" / "during.py").open("a") as stream:
        stream.write("# a comment\n")
    assert fingerprint.__wrapped__(copy) != before


def test_an_upgrade_of_holidays_changes_the_installed_version_the_fingerprint_hashes(tmp_path: Path) -> None:
    """holidays' version.py reads its version from the installed metadata: the same text in every release, so
    the metadata folder's name (which carries the version) is what tells one release from the next."""
    from apcli.records.index import installed_version

    package = tmp_path / "site-packages" / "holidays"
    package.mkdir(parents=True)
    (package / "version.py").write_text('__version__ = version("holidays")\n')
    (tmp_path / "site-packages" / "holidays-0.108.dist-info").mkdir()
    (tmp_path / "site-packages" / "holidays_extra-9.dist-info").mkdir()  # another package's, not this one's
    before = installed_version(package)
    assert b"holidays-0.108.dist-info" in before and b"extra" not in before
    (tmp_path / "site-packages" / "holidays-0.108.dist-info").rename(
        tmp_path / "site-packages" / "holidays-0.109.dist-info"
    )
    assert installed_version(package) != before
    import holidays

    assert holidays.__version__.encode() in installed_version(Path(holidays.__file__).parent)


def test_a_busy_index_is_not_waited_for_and_the_answers_are_the_same(demo: Path) -> None:
    """Another ap holding the index's write lock: this command answers from the files and keeps nothing."""
    first = outputs(demo)
    (demo / "cases" / "AP-2026-001.yaml").write_text(
        (demo / "cases" / "AP-2026-001.yaml").read_text().replace("name: Leo Hartley", "name: Leon Hartley", 1)
    )
    holder = sqlite3.connect(cached(demo) / INDEX_FILE, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        busy = outputs(demo)
        assert "Leon Hartley" in busy[2] and busy != first
        kept = {row[0]: row[2] for row in holder.execute("SELECT id, kind, sha FROM results WHERE kind = 'list'")}
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert outputs(demo) == busy
    now = {row[0]: row[2] for row in index_rows(demo, "results") if row[1] == "list"}
    assert now["AP-2026-001"] != kept["AP-2026-001"]  # kept once the lock was let go


def test_which_letters_each_case_mentions_is_kept_and_an_edit_is_seen(demo: Path) -> None:
    """`ap check`'s search for letters no case records reads each case's text once; later runs are served
    from the index, and a hand edit is looked at again."""
    from apcli.letters.sending import unrecorded_letters
    from tests.test_control_text import CountingRecords

    stray = demo / "letters" / "AP-2026-001" / "notice-2026-11-01-parent-1.html"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("written by a notice killed before it saved the case")
    first = CountingRecords.open(demo)
    assert unrecorded_letters(first) == [stray]
    cases = first.case_ids()
    assert sorted(row[0] for row in index_rows(demo, "results") if row[1].startswith("letters:")) == cases
    again = CountingRecords.open(demo)
    assert unrecorded_letters(again) == [stray] and again.loaded == first.loaded
    case_file = demo / "cases" / "AP-2026-001.yaml"
    case_file.write_text(case_file.read_text() + "# see letters/AP-2026-001/notice-2026-11-01-parent-1.html\n")
    edited = CountingRecords.open(demo)
    assert unrecorded_letters(edited) == [stray] and "AP-2026-001" in edited.loaded


def test_a_duty_due_today_is_served_as_due_on_the_day_asked(demo: Path) -> None:
    """NOTICE-EVERY-PARENT owes a notice to a contact added after it was given, due today, whichever day that
    is: a result worked out on one day must not be served on the next with the first day's date (a rule's own
    `Today` in a finding pins its answer to the day, policy.base._settled)."""
    case_file = demo / "cases" / "AP-2026-002.yaml"
    text = case_file.read_text()
    assert "contacts:\n" in text
    case_file.write_text(
        text.replace(
            "contacts:\n",
            "contacts:\n  - name: Gran Cole\n    relationship: grandmother\n"
            "    address: 9 Fictional Way, Exampleton, ZZ1 6ZZ\n",
            1,
        )
    )

    def owed(day: str) -> list[tuple[str, str]]:
        result = invoke(demo, "review", "due", "--json", "--case", "AP-2026-002", today=day)
        assert result.exit_code == 0, result.output
        return [(i["due"], i["state"]) for i in json.loads(result.stdout) if i["rule"] == "NOTICE-EVERY-PARENT"]

    assert owed("2026-12-10") == [("2026-12-10", "due")]
    assert owed("2026-12-14") == [("2026-12-14", "due")]  # served from the index: the day asked, not the first
    shutil.rmtree(cached(demo))
    assert owed("2026-12-14") == [("2026-12-14", "due")]


def test_a_new_index_another_ap_is_making_is_left_to_it(demo: Path) -> None:
    """Two commands starting on one new, empty index: the one that waits in vain for the other's write lock
    keeps nothing this time; it once took the lock's refusal for a broken index and removed the other's file."""
    expected = invoke(demo, "review", "due", "--json").stdout
    path = cached(demo) / INDEX_FILE
    for name in (path, path.with_name(f"{INDEX_FILE}-wal"), path.with_name(f"{INDEX_FILE}-shm")):
        name.unlink(missing_ok=True)
    path.touch(mode=0o600)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("BEGIN IMMEDIATE")  # the other ap, making the tables
        inode = path.stat().st_ino
        result = invoke(demo, "review", "due", "--json")
        assert result.exit_code == 0 and result.stdout == expected
        assert path.stat().st_ino == inode
    finally:
        other.close()
    assert invoke(demo, "review", "due", "--json").stdout == expected
    assert dict(index_rows(demo, "meta"))["fingerprint"] == fingerprint() and index_rows(demo, "files")


def test_an_index_made_meanwhile_by_another_ap_is_kept_not_made_again(demo: Path) -> None:
    """The tables are looked at again once the write lock is held: another ap may have made them between this
    one's look and its lock (they were once created twice: 'table meta already exists')."""
    from apcli.records.index import _start_again

    invoke(demo, "review", "due")
    files = index_rows(demo, "files")
    with sqlite3.connect(cached(demo) / INDEX_FILE, isolation_level=None) as connection:
        _start_again(connection, dict(connection.execute("SELECT key, value FROM meta").fetchall()))
    assert files and index_rows(demo, "files") == files


@pytest.mark.parametrize("side", ["", "-wal", "-shm"])
def test_a_folder_in_place_of_the_index_or_its_side_files_is_removed(demo: Path, side: str) -> None:
    """ap's own cache folder holding a folder where the index is kept: made again, not an error on every run."""
    expected = invoke(demo, "review", "due", "--json").stdout
    path = cached(demo) / f"{INDEX_FILE}{side}"
    path.unlink(missing_ok=True)
    (path / "inside").mkdir(parents=True)
    (path / "inside" / "a file").write_text("")
    result = invoke(demo, "review", "due", "--json")
    assert result.exit_code == 0 and result.stdout == expected
    assert stat.S_ISREG((cached(demo) / INDEX_FILE).lstat().st_mode) and not path.is_dir()


def test_each_version_of_ap_keeps_its_own_index_and_a_day_unused_one_is_removed(demo: Path) -> None:
    """An `ap serve` left running across an upgrade and the upgraded command line: each keeps its own file
    (neither makes the other's again, nor removes a file the other has open); another version's, or an older
    ap's index.sqlite, is removed once unused for a day. `ap check --rebuild` removes them all."""
    from apcli.records.index import OTHERS_KEPT

    expected = invoke(demo, "review", "due", "--json").stdout
    folder = cached(demo)
    other = [folder / "index-0123456789abcdef.sqlite", folder / "index-0123456789abcdef.sqlite-wal"]
    older = folder / "index.sqlite"
    for path in (*other, older):
        path.write_bytes(b"another version's")
        path.chmod(0o600)
    os.utime(older, (0, 0))
    os.utime(other[0], (0, 0))  # its -wal was written just now: in use
    ours = (folder / INDEX_FILE).stat().st_ino
    assert invoke(demo, "review", "due", "--json").stdout == expected
    assert all(path.exists() for path in other) and not older.exists()
    assert (folder / INDEX_FILE).stat().st_ino == ours  # this version's, kept
    day_ago = (folder / INDEX_FILE).stat().st_mtime - OTHERS_KEPT - 60
    for path in other:
        os.utime(path, (day_ago, day_ago))
    assert invoke(demo, "list", "--json").exit_code == 0
    assert not any(path.exists() for path in other) and (folder / INDEX_FILE).stat().st_ino == ours
    other[0].write_bytes(b"another version's")
    other[0].chmod(0o600)
    assert invoke(demo, "check", "--rebuild").exit_code == 0
    assert not other[0].exists() and (folder / INDEX_FILE).stat().st_ino != ours


def test_a_ctrl_c_as_the_index_is_closed_keeps_the_commands_exit_code(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command is done by then: the interrupt is not printed as a traceback over its exit code."""
    from apcli.cli.app import main
    from apcli.records.index import Index

    (demo / "cases" / "AP-2026-001.yaml").write_text("pupil: [unclosed\n", encoding="utf-8")

    def interrupted(self: Index) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Index, "close", interrupted)
    monkeypatch.setattr("sys.argv", ["ap", "--records", str(demo), "--today", "2026-11-27", "check"])
    collecting = gc.get_threshold()  # main() sets a command's; this test process keeps its own
    try:
        with pytest.raises(SystemExit) as stopped:
            main()
    finally:
        gc.set_threshold(*collecting)
    assert stopped.value.code == 3
