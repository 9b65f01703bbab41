"""`ap report` sums its totals as the pupils' lines come and reads the lines back from the index to write them,
so that a report of 20,000 pupils never holds them all (bench/benchmark.py measures its memory)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apcli.errors import BusyError
from apcli.model.attendance import Summary
from apcli.records.store import Records
from apcli.reports.money import (
    SUMMARY_FIELDS,
    Lines,
    PupilLine,
    Tally,
    Totals,
    Widest,
    build_report,
    choose_period,
    pupil_line,
    totals,
)
from tests.conftest import TODAY, invoke
from tests.test_index import INDEX_FILE, cached

DAY = dt.date.fromisoformat(TODAY)


def report_of(demo: Path):  # type: ignore[no-untyped-def]
    records = Records.open(demo)
    return records, build_report(records, choose_period(records, DAY, None, None, None, None), DAY)


def test_the_lines_are_given_again_each_time_and_add_up_to_the_totals(demo: Path) -> None:
    _, report = report_of(demo)
    assert isinstance(report.pupils, Lines)
    first, second = list(report.pupils), list(report.pupils)
    assert first == second and len(report.pupils) == len(first) > 0
    assert totals("school", first, report.total.name) == report.total
    assert dataclasses.replace(totals("school", iter(first)), name=report.total.name) == report.total


def test_a_line_the_index_lost_meanwhile_is_worked_out_again(demo: Path) -> None:
    _, report = report_of(demo)
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        connection.execute("DELETE FROM results")
    assert list(report.pupils) == list(report_of(demo)[1].pupils)


def test_a_line_from_an_index_another_ap_version_remade_meanwhile_is_worked_out_again(demo: Path) -> None:
    """Another version (an older `ap serve` beside this one) empties the index and refills it in its own format
    between the totals and the lines: its rows are not this version's, so they are never read as lines."""
    _, report = report_of(demo)
    expected = list(report_of(demo)[1].pupils)
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        connection.execute("UPDATE meta SET value = 'another version' WHERE key = 'fingerprint'")
        connection.execute('UPDATE results SET value = \'{"of": "another format"}\'')
    assert list(report.pupils) == expected


def test_a_case_changed_between_the_totals_and_the_lines_stops_the_report(demo: Path) -> None:
    """Its line would no longer be the one summed: refused, never a report that does not add up."""
    _, report = report_of(demo)
    with sqlite3.connect(cached(demo) / INDEX_FILE) as connection:
        connection.execute("DELETE FROM results")
    assert (
        invoke(demo, "contact", "AP-2026-001", "--date", "2026-11-26", "--with", "S", "--summary", "x").exit_code == 0
    )
    with pytest.raises(BusyError, match=r"AP-2026-001\.yaml changed while this was being worked out"):
        list(report.pupils)


def test_with_no_index_the_lines_are_held(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = os.environ["AP_CACHE_DIR"]
    monkeypatch.setenv("AP_CACHE_DIR", str(demo.parent / "not-a-folder" / "x"))
    (demo.parent / "not-a-folder").write_text("a file where the cache folder would be")
    records, report = report_of(demo)
    assert records.index.connection is None
    monkeypatch.setenv("AP_CACHE_DIR", cache)
    assert list(report.pupils) == list(report_of(demo)[1].pupils)


def test_a_tally_sums_as_the_lines_were_summed(demo: Path) -> None:
    """The running sums give the totals the report gave when it held every line (summed here as it did then,
    each placement counted once), the demo's pupil at two providers among them."""
    records = Records.open(demo)
    period = choose_period(records, DAY, None, None, None, None)
    lines = [
        line
        for case_id in records.case_ids()
        if (line := pupil_line(records, case_id, records.load_case(case_id).case, period, DAY)) is not None
    ]
    assert any(len(line.parts) > 1 for line in lines)
    tally = Tally()
    for line in lines:
        tally.add(line)
    assert tally.totals("x") == summed_as_before("x", lines)
    by_provider = {part.provider for line in lines for part in line.parts}
    for provider in by_provider:
        parts = [part for line in lines for part in line.parts if part.provider == provider]
        assert totals(provider, parts) == summed_as_before(provider, parts)


def summed_as_before(label: str, lines: list[PupilLine]) -> Totals:
    """`money.totals` as it was before it streamed: every line held, summed column by column."""
    pupils = len({line.case for line in lines})
    parts = [part for line in lines for part in (line.parts or [line])]
    known = [part for part in parts if part.cost is not None]
    return Totals(
        label,
        pupils,
        sum(part.days_commissioned for part in parts),
        Summary(*(sum(getattr(part.summary, f) for part in parts) for f in SUMMARY_FIELDS)),
        sum((p.cost_in_period for p in known if p.cost_in_period is not None), Decimal("0")),
        len(parts) - len(known),
        sum((p.cost_to_date for p in known if p.cost_to_date is not None), Decimal("0")),
        Summary(*(sum(getattr(part.statutory, f) for part in parts) for f in SUMMARY_FIELDS)),
        sum((p.cost_of_marked_days for p in known if p.cost_of_marked_days is not None), Decimal("0")),
        sum(p.attended_on_marked_days for p in known),
        sum(part.unmarked_sessions for part in parts),
        len(parts),
        label,
    )


def test_a_table_given_its_widths_prints_as_one_given_its_rows(capsys: pytest.CaptureFixture[str]) -> None:
    """Rows written as they come (from a generator, with the widths found beforehand) read exactly as a table
    made from every row at once; 2,500 rows cross the thousand-row batches."""
    from apcli.cli.context import print_table

    rows = [(f"AP-2026-{n:03d}", "x" * (n % 17), str(n)) for n in range(2500)]
    print_table(("case", "pupil", "n"), rows, title="Pupils")
    whole = capsys.readouterr().out
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    print_table(("case", "pupil", "n"), iter(rows), title="Pupils", widths=widths)
    assert capsys.readouterr().out == whole
    assert whole.splitlines()[:3] == [
        "Pupils",
        "case          pupil             n",
        "------------  ----------------  -",
    ]
    assert len(whole.splitlines()) == 3 + len(rows)


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=3)), min_size=1, max_size=30), st.integers(0, 2600))
def test_the_widest_cells_measured_in_batches_are_each_columns_widest(some: list[tuple[str, str]], count: int) -> None:
    """Up to 2,600 rows (`some`, over and over): across the thousand-row batches, and none at all (the widths
    stay 0)."""
    rows = (some * (count // len(some) + 1))[:count]
    widest = Widest(2)
    for row in rows:
        widest.add(row)
    assert widest.widths() == [max((len(row[n]) for row in rows), default=0) for n in (0, 1)]


def test_a_line_moved_on_to_a_later_day_is_the_line_worked_out_for_that_day(demo: Path) -> None:
    """A line worked out for one day holds, moved on (`moved_on`), on each day its `Today` kept: its days
    elapsed, unmarked sessions and length grow with the school days passed, and nothing else changes."""
    from apcli.model.days import Today
    from apcli.reports.money import moved_on

    records = Records.open(demo)
    period = choose_period(records, DAY, None, None, None, "2026/27")
    moved = 0
    for case_id in records.case_ids():
        case = records.load_case(case_id).case
        taken = Today(DAY)
        line = pupil_line(records, case_id, case, period, taken)
        if line is None:
            continue
        first, last = taken.window.bounds()
        assert first == DAY and last <= DAY + dt.timedelta(days=31)
        day = DAY
        while day < last:
            day += dt.timedelta(days=1)
            fresh = pupil_line(records, case_id, case, period, day)
            assert fresh is not None
            assert figures(moved_on(line, day)) == figures(fresh), (case_id, day)
            moved += moved_on(line, day).elapsed_days > line.elapsed_days
    assert moved > 0  # some line's days elapsed did grow


def figures(line: PupilLine) -> PupilLine:
    """The line without what moves it on (which says from which day it was worked out)."""
    return dataclasses.replace(line, later={}, parts=[figures(part) for part in line.parts])


def test_the_json_report_is_written_as_its_pupils_are_read_and_is_the_json_of_the_whole(demo: Path) -> None:
    """`ap report --json` writes its pupils as they are read back (`Streamed`): the same text as the whole
    document dumped at once, which is what it wrote before."""
    import json

    from apcli.reports.money import Streamed, report_json

    _, report = report_of(demo)
    streamed = report_json(report, stream=True)
    assert isinstance(streamed["pupils"], Streamed) and len(streamed["pupils"]) == len(report.pupils) > 0
    whole = report_json(report)
    assert streamed == whole and not isinstance(whole["pupils"], Streamed)
    printed = invoke(demo, "report", "--json").stdout
    assert printed == json.dumps(whole, indent=2, ensure_ascii=False, default=str) + "\n"
    assert json.loads(json.dumps(report_json(dataclasses.replace(report, pupils=[]), stream=True)))["pupils"] == []


def test_the_html_report_is_written_a_pupil_at_a_time(demo: Path, tmp_path: Path) -> None:
    """Each pupil's rows and charts are pieces of their own (`html_pieces`), written as they are made."""
    from apcli.reports.moneyhtml import html_pieces, render_html

    _, report = report_of(demo)
    pieces = list(html_pieces(report, 90))
    assert len(pieces) >= 3 * len(report.pupils) > 0
    assert "".join(pieces) == render_html(report, 90)
    out = tmp_path / "report.html"
    invoke(demo, "report", "--html", str(out))
    assert out.read_text(encoding="utf-8") == render_html(report_of(demo)[1], 90)


def test_json_stopped_part_way_prints_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A report's pupils are read as they are written; one that cannot be read (a case changed meanwhile) stops
    the command before any of the document reaches stdout, whether it was held in memory or in a file."""
    from apcli.cli.context import print_json
    from apcli.reports.money import Streamed

    def pupils():  # type: ignore[no-untyped-def]
        for number in range(50_000):
            if number == 40_000:
                raise BusyError("a case changed while this was being worked out")
            yield {"case": f"AP-2026-{number:05d}", "figures": list(range(5))}

    for spool in (None, tmp_path):
        with pytest.raises(BusyError):
            print_json({"pupils": Streamed(50_000, pupils)}, spool=spool)
        assert capsys.readouterr().out == ""
    assert list(tmp_path.iterdir()) == []  # the file it was held in is gone


def test_a_streamed_list_compares_by_its_items() -> None:
    from apcli.reports.money import Streamed

    items = Streamed(2, lambda: iter([1, 2]))
    assert items == [1, 2]
    assert items.__ne__([1, 2]) is False  # as list's own != would say of the empty list underneath
    assert items != [1, 3]
