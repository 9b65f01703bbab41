"""Values a records file from someone else may hold (issue 13, points 13 and 14 and the low ones on numbers and
names): a message says where and what kind of value is wrong, never the value; one bad file never stops a
listing; numbers are finite and dates lie in the years records take; names show as what they are.

Each attack is made on real files in tmp_path and run through the CLI (in a child with bounded memory where
the input is large); each refusal has its allowed counterpart beside it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import Result

from apcli.errors import EXIT_INVALID_FILE, EXIT_USAGE, InvalidFileError, InvalidFilesError
from apcli.model.calendar import SchoolCalendar
from apcli.model.schema import FILE_MODELS, INVISIBLE_NAMES, CalendarFile, Term
from apcli.records import yamlio
from apcli.records.store import validate
from tests.conftest import invoke, snapshot
from tests.untrusted import no_traceback, run_ap

LEO = "AP-2026-001"  # active at larkhill-green, with targets and measures
MAISIE = "AP-2026-002"  # notified: a planning meeting, decisions, a placement and a notice
TYLER = "AP-2026-003"
CASES = 10  # in the demo school
SECRET = "Leo told staff his stepdad hit him"  # what a safeguarding note in the wrong field looks like


def case_file(records: Path, case_id: str) -> Path:
    return records / "cases" / f"{case_id}.yaml"


def edit(path: Path, *changes: tuple[str, str]) -> str:
    """Make each (old, new) change once in the file (each `old` must be there) and return the new text."""
    text = path.read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    return text


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def output(result: Result) -> str:
    return result.stdout + result.stderr


def clean(result: Result) -> None:
    """No traceback, and no exception other than the exit."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output(result)


# --- point 13: a wrong value is described, never repeated ---------------------------------------------------


def test_point_13_a_wrong_value_is_described_never_repeated(demo: Path) -> None:
    path = case_file(demo, MAISIE)
    text = edit(
        path,
        ("  dob: 2019-01-22\n", f"  dob: {SECRET}\n"),
        ("  upn: P207000016049\n", "  upn: Q207000016049\n"),  # a UPN is a value too
        ("    relationship: father\n", f"    relationship:\n      said: {SECRET}\n"),
        ("  - kind: planning\n", f"  - kind: {SECRET}\n"),
        (
            "    reasons_explained: true\n",
            f"    reasons_explained: {SECRET}\n    notes:\n      - {SECRET}\n      - and more at home\n",
        ),
        ("    end: 2027-02-11\n", "    end: 2026-11-30\n"),  # the placement's: before its start
    )
    expected = {
        (line_of(text, f"dob: {SECRET}"), "pupil.dob: should be a date written like 2027-01-11, not text of 34 characters"),
        (line_of(text, "upn: Q"), "pupil.upn: the UPN has the wrong check letter (Q; the digits give P); check it was copied correctly"),
        (line_of(text, "relationship:\n"), "contacts[0].relationship: should be text, not a group of 1 field"),
        (
            line_of(text, f"kind: {SECRET}"),
            "meetings[0].kind: should be 'planning', 'review', 'targets', 'attendance-concern', 'breakdown' or "
            "'exclusion', not text of 34 characters",
        ),
        (line_of(text, f"reasons_explained: {SECRET}"), "meetings[0].reasons_explained: should be true or false, not text of 34 characters"),
        (line_of(text, "notes:\n"), "meetings[0].notes: should be text, not a list of 2 items"),
        (line_of(text, "- id: P1\n"), "placements[0]: the placement ends before it starts: its end should be on or after its start"),
    }  # fmt: skip

    checked = invoke(demo, "check", "--json")
    clean(checked)
    assert checked.exit_code == EXIT_INVALID_FILE
    findings = json.loads(checked.stdout)["findings"]
    assert {(f["line"], f["message"]) for f in findings} == expected
    assert all(f["case"] == MAISIE and f["file"].endswith(f"cases/{MAISIE}.yaml") for f in findings)

    shown = invoke(demo, "show", MAISIE)
    due = invoke(demo, "review", "due")
    due_json = invoke(demo, "review", "due", "--json")
    listed = invoke(demo, "list")
    for result in (shown, due, due_json, listed):
        clean(result)
        for line, message in expected:
            assert f"{MAISIE}.yaml:{line}: {message}" in result.stderr, (message, result.stderr)
    assert shown.exit_code == EXIT_INVALID_FILE
    for result in (checked, shown, due, due_json, listed):
        said = output(result)
        for value in (SECRET, "stepdad", "and more at home", "Q207000016049", "2026-11-30"):
            assert value not in said, (value, said)
    assert "Maisie" not in listed.stdout  # the invalid case is listed by its id, nothing from its file

    # allowed: the same words as text, in a field that takes text, are read (SAFE-DSL names only the word)
    path.write_text(
        path.read_text()
        .replace(f"  dob: {SECRET}\n", "  dob: 2019-01-22\n")
        .replace("  upn: Q207000016049\n", "  upn: P207000016049\n")
        .replace(f"    relationship:\n      said: {SECRET}\n", "    relationship: father\n")
        .replace(f"  - kind: {SECRET}\n", "  - kind: planning\n")
        .replace(f"    reasons_explained: {SECRET}\n    notes:\n      - {SECRET}\n      - and more at home\n",
                 f"    reasons_explained: true\n    notes: {SECRET}\n")
        .replace("  end: 2026-11-30\n", "  end: 2027-02-11\n")
    )  # fmt: skip
    shown = invoke(demo, "show", MAISIE)
    clean(shown)
    assert shown.exit_code == 0, shown.output
    checked = invoke(demo, "check", "--json")
    clean(checked)
    findings = json.loads(checked.stdout)["findings"]
    assert [(f["rule"], f["severity"]) for f in findings] == [("SAFE-DSL", "warning")]
    assert "'hit him' reads like" in findings[0]["message"] and SECRET not in checked.stdout


# Wrong values of every kind, each with the text that would show it was repeated.
WRONG_VALUES: list[tuple[Any, str]] = [
    ("XYZZY words from the file", "XYZZY"),
    (["XYZZY one", "XYZZY two"], "XYZZY"),
    ({"said": "XYZZY in a group"}, "XYZZY"),
    (987654321987654, "987654321987654"),
    (-4567.891, "4567.891"),
    (True, "True"),
    (dt.date(2199, 7, 13), "2199-07-13"),
    (dt.date(1850, 7, 13), "1850-07-13"),
    (None, "None"),
]


def paths(data: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every key path in `data`: each field, each list item, each value in a group."""
    found: list[tuple[str | int, ...]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        found.append((*prefix, key))
        found += paths(value, (*prefix, key))
    return found


def replaced(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("kind", "name"),
    [("case", f"cases/{LEO}.yaml"), ("case", f"cases/{MAISIE}.yaml"), ("case", "cases/AP-2026-009.yaml"),
     ("provider", "providers/larkhill-green.yaml"), ("settings", "ap-settings.yaml"), ("calendar", "calendar.yaml")],
)  # fmt: skip
def test_point_13_no_field_of_any_records_file_repeats_the_wrong_value_it_holds(
    demo: Path, kind: str, name: str
) -> None:
    """Every field, list item and group value of the demo's files in turn holds each wrong value: every message
    the model gives (pydantic's own and ap's validators alike) names the field, never the value."""
    model: type[BaseModel] = FILE_MODELS[kind]
    text = (demo / name).read_text()
    data = yamlio.load(text, name)
    refused = 0
    for path in paths(data):
        if path[0] == "history" and len(path) > 1 and isinstance(path[1], int) and path[1] > 1:
            continue  # history entries are alike: the first two stand for the rest
        for value, shows in WRONG_VALUES:
            try:
                validate(model, replaced(data, path, value), text, name)
            except InvalidFilesError as error:
                refused += 1
                said = str(error)
                assert shows not in said.replace(f"{name}:", ""), (path, value, said)
                assert all(problem.message and problem.file == name for problem in error.problems)
    assert refused > 20  # the walk did reach the model's refusals


# --- point 14: one file never stops a listing ----------------------------------------------------------------


def test_point_14_a_huge_integer_is_reported_and_the_other_cases_still_listed(demo: Path) -> None:
    sign = "-"
    with pytest.raises(InvalidFileError, match=r"^f:1: a whole number 5,000 digits long"):
        yamlio.load(f"a: {'9' * 5_000}\n", "f")
    text = edit(case_file(demo, TYLER), ("  year: 6\n", f"  year: {sign}{'9' * 5_000}\n"))
    where = f"{TYLER}.yaml:{line_of(text, '  year: ')}: "
    message = "a whole number 5,000 digits long, far longer than any records file needs (at most 30 digits)"
    for command in (["show", TYLER], ["list"], ["list", "--json"], ["check"], ["check", "--json"], ["review", "due"]):
        result = run_ap(demo, *command, timeout=120)
        assert no_traceback(result), result.stderr[-3000:]
        assert "9999999999" not in result.stdout + result.stderr
        assert result.returncode == EXIT_INVALID_FILE, (command, result.stderr[-2000:])
        said = result.stdout + result.stderr
        if command[-1] == "--json" and command[0] == "check":
            [finding] = json.loads(result.stdout)["findings"]
            assert (finding["case"], finding["line"], finding["severity"]) == (
                TYLER,
                int(where.split(":")[1]),
                "invalid",
            )
            assert finding["message"].startswith(message) and finding["file"].endswith(f"{TYLER}.yaml")
        else:
            shown = where + ("invalid: " if command[0] == "check" else "") + message
            assert shown in said, (command, said[-2000:])
    listed = json.loads(run_ap(demo, "list", "--json").stdout)
    assert len(listed) == CASES and {row["id"]: row["status"] for row in listed}[TYLER] == "invalid"
    assert {row["id"]: row["status"] for row in listed}[LEO] == "active"  # the others are read as ever
    checked = run_ap(demo, "check")
    assert f"Checked {CASES} case(s)" in checked.stdout + checked.stderr
    assert f"{where}invalid: {message}" in checked.stdout
    due = run_ap(demo, "review", "due", "--json")
    assert any(item["case"] == LEO for item in json.loads(due.stdout))

    # allowed: the same digits as text (in quotes), and a whole number of 30 digits, are read
    text = text.replace(f"  year: {sign}{'9' * 5_000}\n", "  year: 6\n")
    rationale = next(line for line in text.splitlines() if line.startswith("  rationale: "))
    case_file(demo, TYLER).write_text(text.replace(rationale, f"  rationale: '{sign}{'9' * 5_000}'"))
    shown = run_ap(demo, "show", TYLER)
    assert shown.returncode == 0 and no_traceback(shown), shown.stderr[-2000:]
    assert yamlio.load(f"a: {sign}{'9' * 30}\n", "f") == {"a": int(sign + "9" * 30)}


def test_point_14_a_term_ending_in_9999_is_refused_with_its_line(demo: Path) -> None:
    text = edit(demo / "calendar.yaml", ("    end: 2027-07-20\n", "    end: 9999-12-31\n"))
    where = f"calendar.yaml:{line_of(text, 'end: 9999-12-31')}: "
    message = "terms[2].end: should be a date in the years 1900 to 2200: is the year mistyped?"
    for command in (
        ["check"],
        ["list"],
        ["report"],
        ["report", "--json"],
        ["review", "due"],
        ["review", "due", "--json"],
    ):
        result = invoke(demo, *command)
        clean(result)
        assert result.exit_code == EXIT_INVALID_FILE, (command, output(result))
        said = output(result)
        assert (where + message in said) or (where + "invalid: " + message in said), (command, said)
        assert "9999" not in said.replace(where, "")
    checked = invoke(demo, "check")
    assert f"Checked {CASES} case(s)" in output(checked)  # the calendar is reported and every case still checked
    listed = json.loads(invoke(demo, "list", "--json").stdout)
    assert len(listed) == CASES

    # allowed: a term may end as late as 31 December 2200
    (demo / "calendar.yaml").write_text(text.replace("end: 9999-12-31", "end: 2200-12-31"))
    checked = invoke(demo, "check", "--json")
    clean(checked)
    assert checked.exit_code in (0, 1), checked.output
    assert not [f for f in json.loads(checked.stdout)["findings"] if f["severity"] == "invalid"]


def test_point_14_date_arithmetic_at_the_ends_of_the_calendar_cannot_overflow(demo: Path) -> None:
    from apcli.model.dates import year_group_for

    last = dt.date.max
    term = Term.model_construct(name="t", start=last - dt.timedelta(days=20), end=last, half_term=None)
    calendar = SchoolCalendar(CalendarFile.model_construct(terms=[term], closures=[]), lambda years: {})
    assert calendar.school_days[-1] == dt.date(9999, 12, 31)  # a Friday
    assert calendar.school_day_after(last) is None
    assert year_group_for(dt.date(9990, 1, 1), last) == 5
    assert year_group_for(dt.date(2019, 1, 22), dt.date(2026, 11, 27)) == 3

    for args, says in (
        (["--today", "9999-12-31", "list"], "--today: '9999-12-31' is not a date in the years 1900 to 2200"),
        (["report", "--year", "9999/00"], "--year: '9999/00' is not a school year from 1900/01 to 2199/00"),
        (["report", "--year", "²⁰²⁶/27"], "is not a school year written like 2026/27"),
        (["report", "--from", "0001-01-01", "--to", "2026-12-01"], "--from: '0001-01-01' is not a date in the years"),
    ):
        result = invoke(demo, *args[2:], today=args[1]) if args[0] == "--today" else invoke(demo, *args)
        clean(result)
        assert result.exit_code == EXIT_USAGE, (args, output(result))
        assert says in result.stderr, (args, result.stderr)
    assert invoke(demo, "report", "--year", "2026/27").exit_code == 0  # allowed


# --- low: numbers are finite ----------------------------------------------------------------------------------

FINITE = "should be an ordinary number, not infinity or nan"


@pytest.mark.parametrize("written", ["1.0e400", "-1.0e400", "1" + "0" * 400 + ".0", "nan", "inf", "-Infinity", "'NaN'"])
def test_low_non_finite_numbers_are_refused(demo: Path, written: str, tmp_path: Path) -> None:
    text = edit(case_file(demo, LEO), ("    baseline: 78\n", f"    baseline: {written}\n"))
    where = f"{LEO}.yaml:{line_of(text, 'baseline: ' + written)}: targets[0].baseline: {FINITE}"
    for command in (["show", LEO], ["report", "--json"], ["check", "--json"], ["review", "due", "--json"]):
        result = invoke(demo, *command)
        clean(result)
        assert result.exit_code == EXIT_INVALID_FILE, (command, output(result))
        if command[0] == "check":
            [finding] = json.loads(result.stdout)["findings"]
            assert finding["message"] == f"targets[0].baseline: {FINITE} (a number too large to hold, with " \
                "hundreds of digits or a big exponent, reads as infinity)"  # fmt: skip
        else:
            assert where in result.stderr, (command, result.stderr)
        for shown in ("Infinity", "NaN", "nan,", "inf,"):
            assert shown not in result.stdout
    case_file(demo, LEO).write_text(text.replace(f"    baseline: {written}\n", "    baseline: 78\n"))

    # and in the other files: a provider's daily cost, the settings' threshold, a measure, a referral's per cent
    for file, old, new, field in (
        ("providers/larkhill-green.yaml", "daily_cost: 85.00", f"daily_cost: {written}", "daily_cost"),
        ("ap-settings.yaml", "attendance_threshold: 90", f"attendance_threshold: {written}", "attendance_threshold"),
    ):
        before = (demo / file).read_text()
        edit(demo / file, (old, new))
        result = invoke(demo, "check", "--json")
        clean(result)
        assert result.exit_code == EXIT_INVALID_FILE
        messages = [f["message"] for f in json.loads(result.stdout)["findings"] if f["severity"] == "invalid"]
        assert messages and all(m.startswith(f"{field}: should be ") for m in messages), messages
        (demo / file).write_text(before)


def test_low_numbers_too_large_for_a_chart_are_refused_and_the_largest_allowed_draw(demo: Path, tmp_path: Path) -> None:
    """A finite but huge baseline (1e300) would make the chart's scale infinite (nan in the SVG) and a huge
    cost would lose its pence in sums: each has a bound, and at the bound the report is whole."""
    path = case_file(demo, LEO)
    text = path.read_text()
    edit(path, ("    baseline: 78\n", "    baseline: 1.0e300\n"))
    result = invoke(demo, "show", LEO)
    clean(result)
    assert "targets[0].baseline: should be greater than or equal to -1000000000" not in result.stderr
    assert "targets[0].baseline: should be less than or equal to 1000000000" in result.stderr
    path.write_text(text)
    edit(demo / "providers" / "larkhill-green.yaml", ("daily_cost: 85.00", "daily_cost: 99999999999999999999999999"))
    result = invoke(demo, "check")
    clean(result)
    assert "daily_cost: should be less than or equal to 1000000000" in result.stdout
    edit(
        demo / "providers" / "larkhill-green.yaml", ("daily_cost: 99999999999999999999999999", "daily_cost: 1000000000")
    )

    # allowed: the largest values draw and report as numbers
    edit(path, ("    baseline: 6\n    goal: 2\n", "    baseline: -1.0e9\n    goal: 1.0e9\n"))
    html = tmp_path / "report.html"
    result = invoke(demo, "report", "--json", "--html", str(html))
    clean(result)
    assert result.exit_code == 0, result.output
    behaviour = next(t for p in json.loads(result.stdout)["pupils"] if p["case"] == LEO for t in p["targets"]
                     if t["measure"] == "behaviour")  # fmt: skip
    assert (behaviour["baseline"], behaviour["goal"]) == (-1e9, 1e9)
    assert re.search(r"\b(nan|inf|NaN|Infinity)\b", html.read_text()) is None


# --- low: names show as what they are ------------------------------------------------------------------------


@pytest.mark.parametrize("char", sorted(INVISIBLE_NAMES))
def test_low_bidi_and_zero_width_characters_in_names_are_refused(demo: Path, char: str) -> None:
    words = INVISIBLE_NAMES[char]
    code = f"U+{ord(char):04X}"
    escaped = json.dumps(char)[1:-1]  # as YAML writes it in double quotes: \u202e
    pupil, staff, by = (
        f'  name: "Maisie{escaped}Cole"',
        f'      - name: "Jo {escaped}Patel"',
        f'  by: "{escaped}Jo Patel"',
    )
    text = edit(
        case_file(demo, MAISIE),
        ("  name: Maisie Cole\n", pupil + "\n"),
        ("      - name: Jo Patel\n", staff + "\n"),
        ("  by: Mrs Jo Patel (SENCo)\n", by + "\n"),
    )
    expected = [
        f"{MAISIE}.yaml:{line_of(text, pupil)}: pupil.name: holds {words} ({code}) at character 7",
        f"{MAISIE}.yaml:{line_of(text, by)}: referral.by: holds {words} ({code}) at character 1",
        f"{MAISIE}.yaml:{line_of(text, staff)}: meetings[0].present[1].name: holds {words} ({code}) at character 4",
    ]
    for command in (["show", MAISIE], ["list"], ["review", "due"]):
        result = invoke(demo, *command)
        clean(result)
        for line in expected:
            assert line in result.stderr, (command, line, result.stderr)
        assert char not in output(result)
    provider = demo / "providers" / "larkhill-green.yaml"
    edit(
        provider,
        ("contact: Mr Sam Turner", f'contact: "Mr Sam{escaped} Turner'),
        ("(Centre Manager)\n", '(Centre Manager)"\n'),
    )
    checked = invoke(demo, "check", "--json")
    clean(checked)
    messages = {
        f["message"] for f in json.loads(checked.stdout)["findings"] if f["file"].endswith("larkhill-green.yaml")
    }
    assert messages == {
        f"contact: holds {words} ({code}) at character 7, which shows nothing or reorders the text around it, so "
        "that a name can read as another: type the name again without it"
    }

    # typed on the command line: refused, nothing written
    before = snapshot(demo)
    for args in (
        ["parent", LEO, "--name", f"Ann{char}Hartley", "--relationship", "aunt"],
        ["contact", LEO, "--date", "2026-11-26", "--with", "Sam Turner", "--summary", "Settled."],
    ):
        result = invoke(demo, *args, by=f"Jo{char} Patel") if args[0] == "contact" else invoke(demo, *args)
        clean(result)
        assert result.exit_code == EXIT_USAGE, (args, result.output)
        assert f"holds {words} ({code})" in result.stderr, result.stderr
    assert snapshot(demo) == before


def test_low_names_in_any_script_and_invisible_characters_in_free_text_are_allowed(demo: Path) -> None:
    """The counterpart: accents, apostrophes, hyphens and other scripts are names; a zero-width joiner in an
    emoji, or a right-to-left mark, in notes (free text, not a name) is kept as written."""
    for name in ("Zoë O'Brien-Nowak", "Siân Ngữ", "محمد علي", "李小龍"):
        result = invoke(demo, "parent", LEO, "--name", name, "--relationship", "carer")
        clean(result)
        assert result.exit_code == 0, (name, result.output)
    notes = "She drew her family 👩\u200d👧 and wrote \u200fשלום\u200f"
    edit(
        case_file(demo, MAISIE),
        (
            "    reasons_explained: true\n",
            f"    reasons_explained: true\n    notes: {json.dumps(notes, ensure_ascii=False)}\n",
        ),
    )
    result = invoke(demo, "show", MAISIE, "--json")
    clean(result)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["case"]["meetings"][0]["notes"] == notes
