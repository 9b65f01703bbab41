"""The benchmark's pure helpers: issue 18's targets, the days it runs on, --only, and its Markdown summary."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import benchmark as b


def run(seconds: float, peak: float = 50.0, code: int = 0, timed_out: bool = False) -> b.Run:
    return b.Run(seconds=seconds, cpu=seconds, peak_mb=peak, code=code, timed_out=timed_out)


FLOOR = run(6.0)


def test_daily_commands_at_2000_have_issue_18s_targets() -> None:
    for label in ("list", "review due", "check"):
        assert b.target_for(label, b.NEW_DAY, 2000) == b.Target("≤ 0.1x floor and ≤ 1 s", 1.0, 0.1)
        assert b.target_for(label, b.WEEK_LATER, 2000) == b.NEW_DAY_TARGET
        assert b.target_for(label, b.UPGRADE, 2000) == b.Target("as a new day: ≤ 0.1x floor and ≤ 1 s", 1.0, 0.1)
        assert b.target_for(label, b.SAME_DAY, 2000) == b.Target("≤ 0.4 s", seconds=0.4)
        assert b.target_for(label, b.COLD, 2000) == b.Target("≤ 1.3x floor", floor_ratio=1.3)
        assert b.target_for(label, b.RULES, 2000) == b.Target("index rebuilt: ≤ 1.3x floor (as cold)", floor_ratio=1.3)
        assert b.target_for(label, b.BACKWARD, 2000) is None
        assert b.target_for(label, b.FIRST_RESULTS, 2000) is None
        for count in (200, 20000):
            assert [b.target_for(label, kind, count) for kind in b.KINDS] == [None] * len(b.KINDS)


def test_report_second_run_is_judged_on_time_at_2000_and_memory_at_20000() -> None:
    for kind in (b.NEW_DAY, b.SAME_DAY, b.WEEK_LATER, b.UPGRADE):
        assert b.target_for("report", kind, 2000) == b.Target("second run ≤ 1 s", seconds=1.0)
        assert b.target_for("report", kind, 20000) == b.Target("second run: peak < 150 MB", peak_mb=150)
        assert b.target_for("report", kind, 200) is None
    assert b.target_for("report", b.COLD, 2000) == b.COLD_TARGET
    assert b.target_for("report", b.COLD, 20000) is None
    assert b.target_for("report", b.BACKWARD, 2000) is None


def test_target_words_name_the_size_a_target_is_set_at() -> None:
    assert b.target_words("review due", b.NEW_DAY, 200) == "(at 2,000: ≤ 0.1x floor and ≤ 1 s)"
    assert b.target_words("review due", b.NEW_DAY, 2000) == "≤ 0.1x floor and ≤ 1 s"
    assert b.target_words("report", b.SAME_DAY, 200) == "(at 2,000: second run ≤ 1 s)"
    assert b.target_words("report", b.SAME_DAY, 20000) == "second run: peak < 150 MB"
    assert b.target_words("list", b.BACKWARD, 2000) == ""


def test_verdicts_at_the_bounds() -> None:
    new_day = b.NEW_DAY_TARGET
    assert new_day.verdict(run(0.6), FLOOR) is True
    assert new_day.verdict(run(0.61), FLOOR) is False  # over 0.1x the floor
    assert new_day.verdict(run(1.0), run(20.0)) is True
    assert new_day.verdict(run(1.01), run(20.0)) is False  # over 1 s
    assert new_day.verdict(run(0.5, code=1), FLOOR) is True  # findings are a result, not a failure
    assert new_day.verdict(run(0.5, code=3), FLOOR) is False
    assert new_day.verdict(run(0.5), None) is False  # no floor, no ratio
    assert b.COLD_TARGET.verdict(run(7.8), FLOOR) is True
    assert b.COLD_TARGET.verdict(run(7.81), FLOOR) is False
    assert b.COLD_TARGET.verdict(run(5.0, timed_out=True), FLOOR) is False
    memory = b.REPORT_MEMORY
    assert memory.verdict(run(30.0, peak=149.9), None) is True
    assert memory.verdict(run(30.0, peak=150.0), None) is False
    assert memory.verdict(run(30.0, peak=0.0), None) is False  # no peak measured
    assert memory.verdict(run(300.0, peak=90.0, timed_out=True), None) is None  # killed before its peak
    assert memory.verdict(run(300.0, peak=200.0, timed_out=True), None) is False  # over it even before the kill
    assert b.IMPORT_TARGET.verdict(run(1.0), run(0.2)) is True
    assert b.IMPORT_TARGET.verdict(run(1.01), run(0.2)) is False


def test_growth_verdict() -> None:
    assert b.growth_verdict(run(1.0), run(10.5)) == "PASS"
    assert b.growth_verdict(run(1.0), run(10.51)) == "FAIL"
    assert b.growth_verdict(run(1.0, code=1), run(10.0, code=1)) == "PASS"
    assert b.growth_verdict(run(1.0), run(2.0, code=3)) == "?"
    assert b.growth_verdict(run(1.0, code=2), run(2.0)) == "?"
    assert b.growth_verdict(run(1.0), run(10.0, code=-9, timed_out=True)) == "?"  # killed short of the limit
    assert b.growth_verdict(run(1.0), run(11.0, code=-9, timed_out=True)) == "FAIL"  # killed beyond it
    assert b.growth_verdict(run(1.0, timed_out=True), run(20.0)) == "?"


def test_the_days_follow_the_day_the_results_were_computed() -> None:
    today = dt.date(2027, 7, 1)
    assert b.new_days(today, 3) == [dt.date(2027, 7, 2), dt.date(2027, 7, 3), dt.date(2027, 7, 4)]
    later = b.later_days(today, dt.date(2027, 7, 3), 2)
    assert later == b.Days(
        same_day=dt.date(2027, 7, 3),
        week_later=dt.date(2027, 7, 10),
        backward=[dt.date(2027, 6, 30), dt.date(2027, 6, 29)],
        upgrade=dt.date(2027, 7, 11),
        rules=dt.date(2027, 7, 12),
    )


@given(st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)), st.integers(1, 9), st.integers(0, 8))
def test_every_new_day_is_new(today: dt.date, repeat: int, stopped: int) -> None:
    """Each timed day after the first is one the index has not seen: no day repeats across the kinds that must
    be new, and the new days skip none."""
    days = b.new_days(today, repeat)
    assert [(day - today).days for day in days] == list(range(1, repeat + 1))
    last = days[min(stopped, repeat - 1)]
    later = b.later_days(today, last, repeat)
    fresh = [*days[: days.index(last) + 1], later.week_later, *later.backward, later.upgrade, later.rules]
    assert len(set(fresh)) == len(fresh)
    assert today not in fresh and later.same_day == last


def test_only_names_parts_in_their_running_order() -> None:
    assert b.parse_only(None) == ["help", "list", "review", "check", "report", "import"]
    assert b.parse_only("report, review due,list") == ["list", "review", "report"]
    assert b.parse_only("import,due") == ["review", "import"]
    with pytest.raises(ValueError, match=r"^--only: 'reveiw' is not one of help, list, review, check, report, import$"):
        b.parse_only("reveiw,check")
    with pytest.raises(ValueError, match=r"^--only names none of "):
        b.parse_only(" , ")


@given(st.lists(st.sampled_from(b.PARTS), min_size=1))
def test_only_keeps_the_order_whatever_order_it_is_given_in(names: list[str]) -> None:
    assert b.parse_only(",".join(names)) == [part for part in b.PARTS if part in names]


def test_the_summary_is_a_markdown_table() -> None:
    floor = b.Row("parse floor N=2,000", run(6.0), is_floor=True)
    due = b.judged(b.Row(b.figure("review due", 2000, b.NEW_DAY), run(0.5), "parse floor", run(6.0)), b.NEW_DAY_TARGET)
    report = b.judged(
        b.Row(b.figure("report", 20000, b.SAME_DAY), run(3.0, peak=160.4), "parse floor", run(60.0)), b.REPORT_MEMORY
    )
    small = b.Row(
        b.figure("list", 200, b.COLD), run(2.0, code=3), "parse floor", run(1.0), target="(at 2,000: ≤ 1.3x floor)"
    )
    growth = [b.Growth("`ap review due` new day", 0.5, 6.0, 10.0, "FAIL"), b.Growth("parse floor", 6.0, 60.0, None, "")]
    assert b.summary([floor, due, report, small], growth, "Heading.").splitlines() == [
        "Heading.",
        "",
        "| figure | seconds | ratio to floor | target | verdict |",
        "|---|---|---|---|---|",
        "| parse floor N=2,000 | 6.00 | floor |  | - |",
        "| `ap review due` N=2,000 new day | 0.50 | 0.08x | ≤ 0.1x floor and ≤ 1 s | PASS |",
        "| `ap report` N=20,000 second run, same day | 3.00; peak 160 MB | 0.05x | second run: peak < 150 MB | FAIL |",
        "| `ap list` N=200 cold | 2.00 (exit 3) | 2.00x | (at 2,000: ≤ 1.3x floor) | - |",
        "| growth 2,000 → 20,000: `ap review due` new day | 0.50 → 6.00 | 12.00x (floor 10.00x) | ≤ 10.5x | FAIL |",
        "| growth 2,000 → 20,000: parse floor | 6.00 → 60.00 | 10.00x |  | - |",
        "",
        "1 PASS, 2 FAIL, 0 unknown; '-': no target at this size (the target column then names the size it is set at).",
    ]


def test_clear_caches_removes_the_folders_index_and_nothing_else(tmp_path: Path) -> None:
    records, cache, other = tmp_path / "records", tmp_path / "cache" / "one", tmp_path / "cache" / "two"
    (records / ".cache").mkdir(parents=True)
    (records / "cases").mkdir()
    (records / "cases" / "AP-2026-00001.yaml").write_text("x: 1\n")
    (records / ".cache" / "old.json").write_text("{}")
    for folder in (cache / "abc", other):
        folder.mkdir(parents=True)
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (cache / "abc" / name).write_bytes(b"x")
        (other / name).write_bytes(b"x")
    b.clear_caches(records, cache)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "cache",
        "cache/two",
        "cache/two/index.sqlite",
        "cache/two/index.sqlite-shm",
        "cache/two/index.sqlite-wal",
        "records",
        "records/cases",
        "records/cases/AP-2026-00001.yaml",
    ]
    b.clear_caches(records, cache)  # nothing there: no error


def test_an_upgrade_adds_a_comment_and_keeps_the_code(tmp_path: Path) -> None:
    (tmp_path / "apcli" / "cli").mkdir(parents=True)
    module = tmp_path / "apcli" / "cli" / "__init__.py"
    module.write_text('"""The command line."""\n')
    b.upgrade(tmp_path, ("apcli/cli/__init__.py",), 2, "an upgrade")
    assert module.read_text() == '"""The command line."""\n# bench/benchmark.py: an upgrade (2)\n'
    assert Path(importlib.util.cache_from_source(str(module))).is_file()  # compiled, as an install would


def test_report_rows_with_results_stored_are_its_second_run() -> None:
    assert b.figure("report", 2000, b.NEW_DAY) == "ap report N=2,000 second run, new day"
    assert b.figure("report", 2000, b.SAME_DAY) == "ap report N=2,000 second run, same day"
    assert b.figure("report", 2000, b.WEEK_LATER) == "ap report N=2,000 second run, a week later"
    assert b.figure("report", 2000, b.COLD) == "ap report N=2,000 cold"
    assert b.figure("review due", 20000, b.WEEK_LATER) == "ap review due N=20,000 new day, a week later"
    second = b.judged(b.Row(b.figure("report", 200, b.SAME_DAY), run(2.0, peak=54.5), "parse floor", run(4.0)), None)
    assert b.markdown_row(second) == "| `ap report` N=200 second run, same day | 2.00; peak 54 MB | 0.50x |  | - |"
    row = b.Row("ap attendance import N=200 pupils, indexed", run(1.0), "import floor", run(0.5))
    assert b.markdown_row(b.judged(row, b.IMPORT_TARGET)) == (
        "| `ap attendance import` N=200 pupils, indexed | 1.00 | 2.00x | ≤ 5x the import floor (CSV parse) | PASS |"
    )


def test_the_generator_names_each_pupil_from_its_lists() -> None:
    template = f"{b.PUPIL}|{b.PARENT}|{b.UPN}"
    assert b.case_text(template, 0) == f"Leo Hartley|Kerry Hartley|{b.upn(0)}"
    assert b.case_text(template, 145) == f"Maisie Hartley-145|Paul Hartley|{b.upn(145)}"
    assert len(b.upn(145)) == 13 and b.upn(145).endswith("860200000145")


def test_growth_pairs_each_figure_at_20000_with_it_at_2000(tmp_path: Path) -> None:
    args = argparse.Namespace(repeat=1, timeout=10.0, cold_max=2000)
    bench = b.Bench(args, tmp_path, None)
    bench.rows = {
        ("parse floor", 2000, ""): b.Row("parse floor N=2,000", run(6.0), is_floor=True),
        ("parse floor", 20000, ""): b.Row("parse floor N=20,000", run(66.0), is_floor=True),
        ("review due", 2000, b.NEW_DAY): b.Row("", run(0.5)),
        ("review due", 20000, b.NEW_DAY): b.Row("", run(5.25)),
        ("report", 2000, b.SAME_DAY): b.Row("", run(1.0)),
        ("report", 20000, b.SAME_DAY): b.Row("", run(11.0)),
        ("check", 20000, b.COLD): b.Row("", run(300.0, timed_out=True)),
        ("check", 2000, b.COLD): b.Row("", run(20.0)),
        ("list", 20000, b.FIRST_RESULTS): b.Row("", run(9.0)),  # not timed at 2,000: no growth
        ("report", 2000, b.IN_TURN): b.Row("", run(0.8)),
        ("report", 20000, b.IN_TURN): b.Row("", run(7.6)),
    }
    assert [line.markdown() for line in bench.growth()] == [
        "| growth 2,000 → 20,000: parse floor | 6.00 → 66.00 | 11.00x |  | - |",
        "| growth 2,000 → 20,000: `ap review due` new day | 0.50 → 5.25 | 10.50x (floor 11.00x) | ≤ 10.5x | PASS |",
        "| growth 2,000 → 20,000: `ap report` second run, same day | 1.00 → 11.00 | 11.00x (floor 11.00x) | ≤ 10.5x | FAIL |",
        "| growth 2,000 → 20,000: `ap check` cold | 20.00 → >300.00 | >15.00x (floor 11.00x) | ≤ 10.5x | FAIL |",
        "| growth 2,000 → 20,000: `ap report` second run, sizes in turn | 0.80 → 7.60 | 9.50x (floor 11.00x) | ≤ 10.5x "
        "| PASS |",
    ]


def test_the_best_run_never_hides_a_failed_one() -> None:
    best = b.best_run([run(2.0, peak=40), run(1.0, peak=30)])
    assert (best.seconds, best.peak_mb, best.runs) == (1.0, 40, 2)
    failed = b.best_run([run(1.0), run(3.0, code=2)])
    assert (failed.code, failed.seconds) == (2, 3.0)


def test_sizes_in_turn_come_after_the_large_sizes_own_rows_on_the_same_new_days_at_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The extra runs at 20,000 come after its own rows (so those meet the history the 2,000 ones did), on the
    days after its last, at both sizes, skipping none; with 20,000 measured first there are none. `run_once`
    is replaced by a recorder: what is tested is which folder is run on which day, not ap."""
    seen: dict[str, list[str]] = {"small": [], "large": []}

    def recorded(command: list[str], timeout: float, cwd: Path, env: dict[str, str] | None = None) -> b.Run:
        seen[Path(command[command.index("--records") + 1]).name].append(command[command.index("--today") + 1])
        return run(1.0)

    monkeypatch.setattr(b, "run_once", recorded)
    small, large = tmp_path / "small", tmp_path / "large"
    args = argparse.Namespace(repeat=2, timeout=10.0, cold_max=2000)
    bench = b.Bench(args, tmp_path, None, {2000: small, 20000: large})
    bench.command("review", 20000, large, FLOOR, cold=True)  # --sizes 20000,2000: the 2,000 floor not measured
    assert seen["small"] == [] and ("review due", 20000, b.IN_TURN) not in bench.rows
    seen["large"].clear()
    for count, folder in ((2000, small), (20000, large)):
        bench.rows[("parse floor", count, "")] = b.Row(f"parse floor N={count:,}", FLOOR, is_floor=True)
        bench.command("review", count, folder, FLOOR, cold=True)
    own = ["2027-07-01", "2027-07-02", "2027-07-03", *["2027-07-03"] * 2, "2027-06-30", "2027-06-29", "2027-07-10"]
    assert seen["small"][: len(own)] == seen["large"][: len(own)] == own
    assert seen["small"][len(own) :] == seen["large"][len(own) :] == ["2027-07-11", "2027-07-12", "2027-07-13"]
    turn = bench.rows[("review due", 20000, b.IN_TURN)]
    assert turn.notes == ["--today 2027-07-12 to 2027-07-13"] and turn.run.runs == 2
