"""Commands that set up and look: init, rules, schema, list, show, check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from apcli.cli.base import CaseArgument, JsonOption, app
from apcli.cli.context import console, note, print_json, print_table, state


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The new records folder.")],
    school: Annotated[str | None, typer.Option("--school", metavar="NAME", help="The school's name.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Fill it with a fictional school and cases.")] = False,
) -> None:
    """Make a new records folder: settings, calendar, providers, cases, templates, git."""
    from apcli.setup.init import init_records

    name = school or ("Hollybank Primary Academy (fictional)" if demo else "The Academy")
    notes = init_records(folder, name, demo, state().by)
    typer.echo(f"Made the records folder {folder}" + (" with the fictional demo school." if demo else "."))
    for line in notes:
        typer.echo(line)
    if not school and not demo:
        typer.echo(f"Set the school's name and staff in {folder / 'ap-settings.yaml'}.")


@app.command()
def rules(as_json: JsonOption = False) -> None:
    """The rule catalogue: id, kind, the policy's words, what it checks, what it gates."""
    from apcli.policy import catalogue

    listed = [
        {
            "id": r.id,
            "kind": r.kind,
            "words": r.words,
            "source": r.source,
            "checks": r.checks,
            "gates": r.gates_text,
            "implemented": r.implemented,
        }
        for r in catalogue().values()
    ]
    if as_json:
        print_json(listed)
        return
    from rich.table import Table

    table = Table("rule", "kind", "the policy says", "checks", "gates", show_lines=True)
    for r in listed:
        checked = "" if r["implemented"] else "\n(not yet checked by ap)"
        table.add_row(str(r["id"]), str(r["kind"]), f'"{r["words"]}"', f"{r['checks']}{checked}", str(r["gates"]))
    console().print(table)


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Write one .schema.json file per kind of file here.")
    ] = None,
) -> None:
    """JSON Schema of case, provider, settings and calendar files, for editors."""
    from apcli.records.schemafiles import json_schemas, write_schemas

    if out is None:
        print_json(json_schemas())
        return
    for path in write_schemas(out):
        typer.echo(f"wrote {path}")


@app.command("list")
def list_cases(
    status: Annotated[str | None, typer.Option("--status", metavar="S", help="Only cases with this status.")] = None,
    as_json: JsonOption = False,
) -> None:
    """One row a case: id, pupil, provider, status, what to do next."""
    from apcli.errors import UsageError
    from apcli.model.status import STATUSES
    from apcli.reports.overview import list_rows

    if status is not None and status not in (*STATUSES, "invalid"):
        raise UsageError(f"--status: {status!r} is not a status. Give one of {', '.join(STATUSES)}, invalid.")
    s = state()
    rows, problems = list_rows(s.records, s.today)
    rows = [row for row in rows if status is None or row["status"] == status]
    if as_json:
        print_json(rows)
    else:
        _print_list(rows)
    for problem in problems:
        note(problem.message)
    if problems:
        raise typer.Exit(problems[0].exit_code)


def _print_list(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console().print("No cases.")
        return
    print_table(
        ("case", "pupil", "year", "provider", "status", "next"),
        [
            (r["id"], r["pupil"] or "?", str(r["year"] or "?"), r["provider"] or "-", r["status"], r["next"])
            for r in rows
        ],
        red=[r["status"] == "invalid" for r in rows],
    )


@app.command()
def show(case_id: CaseArgument, as_json: JsonOption = False) -> None:
    """The whole case, its status, and what stops its next step (with the command that supplies each)."""
    from apcli.reports.overview import overview

    s = state()
    loaded = s.records.load_case(case_id)
    seen = overview(s.records, loaded, s.today)
    if as_json:
        print_json(
            {
                "id": loaded.id,
                "status": seen.status,
                "blocked_by": seen.blocked_by,
                "blocking": seen.blocking_as_dicts(),
                "next": seen.next,
                "owed_after_the_end": seen.owed_as_dicts(),
                "file": loaded.shown,
                "case": loaded.case.model_dump(mode="json", by_alias=True),
            }
        )
        return
    from apcli.cli.render import render_case

    console().print(render_case(loaded, seen, s.today, s.records.marks(loaded.id), s.records))


@app.command()
def check(
    case_ids: Annotated[
        list[str] | None, typer.Argument(metavar="CASE", help="Only these cases.", show_default=False)
    ] = None,
    as_json: JsonOption = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Make ap's index again from the files first (after a file was changed in a way that kept its "
            "size and times). Never needed otherwise: the index follows the files.",
        ),
    ] = False,
) -> None:
    """Parse every file, validate it against the schema, and check each case against the rules."""
    from apcli.reports.checking import check_records, exit_code

    s = state()
    if rebuild:
        from apcli.records.index import rebuild as rebuild_index

        rebuild_index(s.records)
    findings = check_records(s.records, case_ids, s.today)
    if as_json:
        print_json({"findings": [f.as_dict() for f in findings]})
    else:
        for finding in findings:
            typer.echo(str(finding))
        cases = len(case_ids) if case_ids else len(s.records.case_ids())
        errors = sum(f.severity != "warning" for f in findings)
        typer.echo(
            f"Checked {cases} case(s): {errors} error(s), {len(findings) - errors} warning(s).", err=bool(findings)
        )
    raise typer.Exit(exit_code(findings))


@app.command()
def log(case_id: CaseArgument, as_json: JsonOption = False) -> None:
    """The case's timeline: its history, the git commits that touched its files, and each letter checked."""
    from apcli.reports.timeline import timeline

    events = timeline(state().records, case_id)
    if as_json:
        print_json([event.as_dict() for event in events])
        return
    print_table(
        ("when", "from", "who", "what", "check"),
        [(e.when, e.source, e.who, e.what, e.flag) for e in events],
        title=f"{case_id.upper()}: timeline",
        red=[bool(e.flag) for e in events],
    )
