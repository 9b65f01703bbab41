"""`ap report`: value for money for the headteacher, governors and the trust."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from apcli.cli.base import JsonOption, app, date_option
from apcli.cli.context import aligned, console, note, print_json, print_lines, print_table, state

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apcli.records.store import Records
    from apcli.reports.census import Census, CensusRow
    from apcli.reports.money import Report


@app.command()
def report(
    start: Annotated[str | None, date_option("First day of the period.", "--from")] = None,
    end: Annotated[str | None, date_option("Last day of the period.", "--to")] = None,
    term: Annotated[
        str | None, typer.Option("--term", metavar="NAME", help="A term in calendar.yaml, e.g. 'Autumn 2026'.")
    ] = None,
    year: Annotated[
        str | None, typer.Option("--year", metavar="YYYY/YY", help="A school year [default: this one].")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", metavar="FILE", help="Also write a self-contained HTML report with charts.")
    ] = None,
    records: Annotated[
        list[Path] | None,
        typer.Option(
            "--records",
            metavar="DIR",
            help="Several schools' records folders (a trust's view): per school and in total.",
        ),
    ] = None,
    names: Annotated[
        bool, typer.Option("--names", help="In a trust's view, show pupils' names (left out otherwise).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Value for money: per pupil and in total, cost against attendance, progress and outcomes."""
    from apcli.errors import UsageError
    from apcli.model.dates import parse_date
    from apcli.records.store import Records
    from apcli.reports.money import build_report, choose_period, report_json

    if html is not None and records and len(records) > 1:
        # The HTML report is one school's, with its pupils' names; a trust's view leaves names out. Refused
        # before anything is read, rather than written for one school or silently not at all.
        raise UsageError(
            "--html writes one school's report, so it cannot be given with several --records (a trust's view). "
            "Write each school's with `ap report --records DIR --html FILE`, or take the trust's view as --json."
        )
    s = state()
    first = parse_date(start, "--from") if start else None
    last = parse_date(end, "--to") if end else None
    # each checked before any report; absolute, as the guard and git need (a relative path is one inside the folder)
    folders = [Records.open(folder.absolute()) for folder in records] if records else [s.records]
    _refuse_repeats(folders)
    reports = [
        build_report(folder, choose_period(folder, s.today, first, last, term, year), s.today) for folder in folders
    ]
    if len(reports) > 1:
        _trust(reports, names, as_json)
        return
    built = reports[0]
    if html is not None:
        from apcli.reports.moneyhtml import write_html

        write_html(built, html, folders[0].settings.attendance_threshold)
    if as_json:
        print_json(report_json(built, stream=True), spool=_spool(built))
        return
    _print(built)


def _refuse_repeats(folders: list[Records]) -> None:
    """A folder given twice (or as a link, or as ./a/ and a) would count its every pupil and pound twice in the
    trust's total: refused, naming both."""
    from apcli.errors import UsageError

    seen: dict[tuple[int, int], Path] = {}
    for folder in folders:
        found = folder.root.stat()
        key = (found.st_dev, found.st_ino)
        if key in seen:
            raise UsageError(
                f"--records {folder.root} is the same folder as --records {seen[key]}: a trust's view counts each "
                "school once. Give each school's records folder once."
            )
        seen[key] = folder.root


def _note_same_names(reports: list[Report]) -> None:
    """Two folders, but perhaps copies of one school's records (a clone, a second mount): said, not refused."""
    folders: dict[str, list[str]] = {}
    for built in reports:
        folders.setdefault(" ".join(built.school.casefold().split()), []).append(f"--records {built.root}")
    for same in folders.values():
        if len(same) > 1:
            named = ", ".join(same[:-1]) + f" and {same[-1]}"
            twice = "twice" if len(same) == 2 else "more than once"
            note(
                f"{named} name the same school. If they are copies of one school's records, its pupils are "
                f"counted {twice} in the total: give each school's folder once."
            )


def _spool(built: Report) -> Path | None:
    """Where a large JSON report is held until it is whole: ap's private cache folder for the records (none: in
    memory)."""
    from apcli.records.cache import cache_guard

    guard = cache_guard(built.root) if built.root is not None else None
    return guard.root if guard is not None else None


def _trust(reports: list[Report], names: bool, as_json: bool) -> None:
    """Several schools, per school and in total; pupils' names left out unless asked for."""
    from rich.table import Table

    from apcli.reports.money import (
        TOTALS_MONEY_HEADINGS,
        combined,
        report_json,
        statutory_text,
        totals_json,
        totals_money_cells,
    )

    schools = [dataclasses.replace(r.total, label=r.school) for r in reports]  # summed as each report was made
    _note_same_names(reports)
    everyone = combined("all schools", schools)
    if as_json:
        print_json(
            {"schools": [report_json(r, names=names, stream=True) for r in reports], "total": totals_json(everyone)},
            spool=_spool(reports[0]),
        )
        return
    table = Table(
        "school",
        "pupils",
        "days",
        "attended/possible at provider",
        "% at provider",
        "% statutory (school register)",
        *TOTALS_MONEY_HEADINGS,
        title="Alternative provision across the schools",
        title_justify="left",
    )
    for t in [*schools, everyone]:
        percent = "-" if t.summary.percent is None else f"{t.summary.percent:g}"
        table.add_row(
            t.label,
            str(t.pupils),
            str(t.days_commissioned),
            f"{t.summary.attended}/{t.summary.possible}",
            percent,
            statutory_text(t.statutory),
            *(cell for _, cell in totals_money_cells(t)),
        )
    console().print(table)
    if names:
        for r in reports:
            _print(r)


def _print(built: Report) -> None:
    from apcli.reports.money import (
        PUPIL_HEADINGS,
        TARGET_HEADINGS,
        TOTALS_MONEY_HEADINGS,
        for_tables,
        percent_text,
        pupil_cells,
        statutory_text,
        target_cells,
        totals_money_cells,
    )

    if not built.pupils:
        console().print(f"No placements in {built.period.label} ({built.period.start} to {built.period.end}).")
        return
    plain = not sys.stdout.isatty()  # at a terminal a screenful of targets is shown in Rich's boxes
    target_line = aligned(TARGET_HEADINGS, built.target_widths)
    targets: list[Any] = []  # as their lines when plain: a report of 20,000 pupils has 360,000 targets
    lapses: list[tuple[str, ...]] = []

    def rows() -> Iterator[tuple[str, ...]]:
        """The pupils' rows, as the lines are read back (money.Lines), noting their targets and lapses."""
        for p in for_tables(built.pupils):
            cells = [target_cells(p.case, t) for t in p.targets]
            targets.extend(map(target_line, cells) if plain else cells)
            lapses.extend((p.case, str(week), why) for week, why in p.contact_lapses)
            yield pupil_cells(p)

    title = f"{built.school}: alternative provision, {built.period.label}"
    print_table(PUPIL_HEADINGS, rows(), title=title, widths=built.widths)
    if plain:
        print_lines(TARGET_HEADINGS, built.target_widths, targets, "Targets")
    else:
        print_table(TARGET_HEADINGS, targets, title="Targets")
    if lapses:
        print_table(("case", "week of", "why"), lapses, title="Lapses in weekly contact with the provider (ATT-WEEKLY)")
    print_table(
        ("", "pupils", "days", "possible at provider", "attended at provider", "% at provider",
         "% statutory (school register)", *TOTALS_MONEY_HEADINGS),
        [
            (
                "all providers" if t is built.total else t.name or t.label, str(t.pupils), str(t.days_commissioned), str(t.summary.possible), str(t.summary.attended),
                percent_text(t.summary.percent), statutory_text(t.statutory), *(cell for _, cell in totals_money_cells(t)),
            )
            for t in [*built.by_provider, built.total]
        ],
        title="Totals",
    )  # fmt: skip


export_app = typer.Typer(help="Data for other systems: the school census.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("census")
def census(
    term: Annotated[
        str | None,
        typer.Option(
            "--term",
            metavar="NAME",
            help="The term in calendar.yaml whose census it is, e.g. 'Spring 2027' [default: this term].",
        ),
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout, to upload or copy into the MIS.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The school census's items for each AP placement in the collection period."""
    from apcli.errors import UsageError
    from apcli.reports.census import census_csv, census_json, census_rows, choose_census

    if as_json and as_csv:
        raise UsageError("Give --json or --csv, not both.")
    s = state()
    chosen = choose_census(s.records, s.today, term)
    rows = census_rows(s.records, chosen, s.today)
    if as_json:
        print_json(census_json(chosen, rows, s.today))
    elif as_csv:
        typer.echo(census_csv(rows), nl=False)
    else:
        _print_census(chosen, rows)
    if not as_json:
        for row in rows:
            for problem in row.problems:
                note(f"{row.case}: {problem}.")
    if s.today < chosen.day:
        note(f"Census day ({chosen.day}) is still to come: these are the placements as they stand on {s.today}.")


def _print_census(chosen: Census, rows: list[CensusRow]) -> None:
    from rich.table import Column, Table

    heading = f"School census, {chosen.name}: census day {chosen.day}, placements from {chosen.period_start}"
    if not rows:
        console().print(f"{heading}: none.")
        return
    fixed = ("case", "UPN", "setting", "entry", "leaving", "a week at provider", "FT/PT")
    table = Table(
        *(Column(name, no_wrap=True) for name in fixed[:1]),
        Column("pupil", min_width=12),
        *(Column(name, no_wrap=True) for name in fixed[1:]),
        "reason (code)",
        Column("at provider", no_wrap=True),
        Column("statutory", no_wrap=True),
        title=heading,
        caption="at provider, statutory: sessions attended/possible in the collection period, at the provider "
        "(its register) and statutory (school register: D sessions left out, they count where the pupil is dual "
        "registered)",
        caption_justify="left",
        title_justify="left",
    )
    for row in rows:
        total = row.pupil_sessions_per_week
        table.add_row(
            f"{row.case} {row.placement}",
            row.pupil,
            row.upn,
            row.urn or row.ukprn or row.setting_type or "missing",
            row.entry_date,
            row.leaving_date or "-",
            f"{row.sessions_per_week}" + (f" (of {total})" if total != row.sessions_per_week else ""),
            "FT" if row.full_or_part_time == "full time" else "PT",
            f"{row.primary_reason} ({row.reason_code or 'no code'})",
            f"{row.attended_at_provider}/{row.possible_at_provider}",
            f"{row.attended_statutory}/{row.possible_statutory}",
        )
    console().print(table)
