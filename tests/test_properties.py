"""Properties (hypothesis) of what reads input a person or another system wrote: dates, UPNs, providers'
registers, and the YAML store. Whatever the input, the answer is a value or the project's own error."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from apcli.errors import EXIT_INVALID_FILE, EXIT_USAGE, InvalidFileError, UsageError
from apcli.model.dates import parse_date
from apcli.model.schema import CONTROL_CHARACTERS, INVISIBLE, LINE_BREAKS, Case, ProviderContact
from apcli.model.upn import CHECK_LETTERS, check_letter, normalise_upn, upn_problem
from apcli.records import yamlio
from apcli.records.exporting import safe_cell
from apcli.records.store import Records
from apcli.steps.registers import read_register
from tests.conftest import invoke
from tests.soak import times

SOME = settings(max_examples=times(150), deadline=None)
WITH_TMP = settings(max_examples=times(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- dates ---------------------------------------------------------------------------------------------------

DATE_LIKE = st.from_regex(r"\s?[0-9٠-٩]{1,5}[-/.][0-9]{1,3}[-/.][0-9]{1,5}\s?", fullmatch=True)


@SOME
@given(st.text(max_size=30) | DATE_LIKE)
def test_parse_date_gives_a_date_or_a_usage_error_naming_the_value(text: str) -> None:
    try:
        day = parse_date(text, "--date")
    except UsageError as error:
        assert error.exit_code == EXIT_USAGE
        assert error.message.startswith(f"--date: {text!r} is not a")
        return
    assert parse_date(day.isoformat()) == day  # what it read, it reads again the same


YEARS_OF_RECORDS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))


@SOME
@given(YEARS_OF_RECORDS, st.sampled_from(["", " ", "\t", "\n", "  \r\n"]))
def test_parse_date_round_trips_iso_and_unpadded_uk_for_any_year_records_take(day: dt.date, pad: str) -> None:
    assert parse_date(pad + day.isoformat() + pad) == day
    assert parse_date(f"{pad}{day.day}/{day.month}/{day.year:04d}{pad}") == day


@SOME
@given(st.dates(max_value=dt.date(1899, 12, 31)) | st.dates(min_value=dt.date(2201, 1, 1)))
def test_parse_date_refuses_any_other_year_saying_which_years(day: dt.date) -> None:
    with pytest.raises(UsageError, match=r"is not a date in the years 1900 to 2200"):
        parse_date(f"{day.day}/{day.month}/{day.year:04d}")


# --- UPNs ------------------------------------------------------------------------------------------------------

BODIES = st.builds(
    lambda digits, last: digits + last,
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from("0123456789" + CHECK_LETTERS),
)


def _value(char: str) -> int:
    return int(char) if char.isdigit() else CHECK_LETTERS.index(char)


@SOME
@given(BODIES, st.integers(1, 12), st.data())
def test_any_single_character_change_in_a_valid_upn_is_detected(body: str, position: int, data: st.DataObject) -> None:
    upn = check_letter(body) + body
    assert upn_problem(upn) is None  # check_letter and upn_problem agree
    allowed = "0123456789" + (CHECK_LETTERS if position == 12 else "")
    # (In the last place a letter counts as its index, so 0 and A weigh the same: see the test below.)
    other = data.draw(st.sampled_from(allowed).filter(lambda char: _value(char) != _value(upn[position])))
    problem = upn_problem(upn[:position] + other + upn[position + 1 :])
    assert problem is not None and "wrong check letter" in problem
    anything = data.draw(st.characters().filter(lambda char: char not in allowed))
    problem = upn_problem(upn[:position] + anything + upn[position + 1 :])
    assert problem is not None and "not in the UPN format" in problem


@SOME
@given(BODIES.filter(lambda body: body[-1].isdigit()))
def test_in_the_last_place_a_digit_and_the_letter_of_the_same_value_cannot_be_told_apart(body: str) -> None:
    """DfE UniquePupilNumber v2.0: the check letter's one blind spot (0/A, 1/B, ... 9/K in the last place)."""
    letter = CHECK_LETTERS[int(body[-1])]
    assert check_letter(body) == check_letter(body[:-1] + letter)


@SOME
@given(BODIES, st.integers(1, 11))
def test_swapping_two_neighbouring_digits_is_detected(body: str, position: int) -> None:
    upn = check_letter(body) + body
    first, second = upn[position], upn[position + 1]
    assume(first != second and second.isdigit())
    problem = upn_problem(upn[:position] + second + first + upn[position + 2 :])
    assert problem is not None and "wrong check letter" in problem


@SOME
@given(st.text(max_size=20) | BODIES.map(lambda body: f" {check_letter(body).lower()}{body[:5]} {body[5:]}\n"))
def test_any_text_is_a_upn_or_says_why_not(text: str) -> None:
    normal = normalise_upn(text)
    assert normalise_upn(normal) == normal
    problem = upn_problem(normal)
    assert problem is None or (repr(normal) in problem and "UPN" in problem)


# --- providers' registers --------------------------------------------------------------------------------------

HEADERS = st.sampled_from(
    [
        "",
        "upn,date,session,mark\n",
        "upn,date,session,mark,note,name\n",
        "case;name;2026-12-01 AM;2026-12-01 PM\n",
        "\ufeffupn,2026-12-01 am,2026-12-01 PM\n",
        "name,date,session,mark\n",
    ]
)
CSV_TOKENS = [*',;"\n\r\t =+-@aAB0123456789/', "L860200025001", "AP-2026-001", "2026-12-01", "é", "\x00"]
CSV_TEXT = st.lists(st.sampled_from(CSV_TOKENS), max_size=60).map("".join)


def _read_or_refused(path: Path) -> None:
    try:
        kind, cells = read_register(path)
    except InvalidFileError as error:
        assert error.exit_code == EXIT_INVALID_FILE
        assert error.file == str(path) and error.message.startswith(str(path))
        return
    assert kind in ("long", "grid")
    assert all(cell.row >= 2 and cell.key_column in ("upn", "case") for cell in cells)


@WITH_TMP
@given(st.tuples(HEADERS, CSV_TEXT | st.text(max_size=200)).map("".join))
def test_any_text_as_a_register_is_read_or_refused_cleanly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    _read_or_refused(path)


@WITH_TMP
@given(st.sampled_from([b"", b"PK\x03\x04", b"\xff\xfe", b"upn,date,session,mark\n"]), st.binary(max_size=300))
def test_any_bytes_as_a_register_are_read_or_refused_cleanly(tmp_path: Path, start: bytes, data: bytes) -> None:
    for name in ("register.csv", "register.xlsx"):
        path = tmp_path / name
        path.write_bytes(start + data)
        _read_or_refused(path)


NOTES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30)


@WITH_TMP
@given(st.lists(NOTES, min_size=1, max_size=5))
def test_a_registers_notes_come_through_as_the_text_written(tmp_path: Path, notes: list[str]) -> None:
    """Formulas included: a note is text, never evaluated, never changed (but for the spaces around it)."""
    stream = io.StringIO()
    writer = csv.writer(stream)  # as a spreadsheet writes CSV: \r\n after each row, a cell with a line break quoted
    writer.writerow(["upn", "date", "session", "mark", "note"])
    writer.writerows(["L860200025001", "2026-12-01", "AM", "B", note] for note in notes)
    path = tmp_path / "register.csv"
    path.write_bytes(stream.getvalue().encode())
    _, cells = read_register(path)
    assert [cell.note for cell in cells] == [note.replace("\r\n", "\n").replace("\r", "\n").strip() for note in notes]


@SOME
@given(st.text(st.sampled_from(" \r\n\t=+-@x"), max_size=8) | st.text(max_size=20))
def test_a_safe_cell_never_starts_a_formula_nor_a_row(value: str) -> None:
    """It only adds a quote, and writes a carriage return as \\n (which a CSV writer then quotes)."""
    cell = safe_cell(value)
    lines = value.replace("\r\n", "\n").replace("\r", "\n")
    assert cell in (lines, "'" + lines) and "\r" not in cell
    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))


# --- the YAML store ------------------------------------------------------------------------------------------

# Text YAML might read as something else, or that a writer must quote or escape.
AWKWARD = [
    *("no", "No", "yes", "on", "off", "y", "n", "null", "Null", "~", "", " ", "true", "False"),
    *("0123", "0o17", "0x1F", "1e3", "1_000", ".inf", "-.inf", ".nan", "12:30", "12:30:00"),
    *("2026-02-30", "2026-11-27", "2026-11-27T09:00:00", "- x", "? x", ": x", "#x", "x #y"),
    *("&a", "*a", "!foo", "!!str", "%YAML", "@x", "`x", "'", '"', "|", ">", "{a: 1}", "[1]", "<<", "---", "..."),
    *("=cmd|' /C calc'!A0", "+1", "-1", "\ufeffx", "x\u2028y", "x\x85y", "\t", "a\tb", " lead", "trail ", "\r"),
    *("a\r\nb", "a\n", "\n", "line one\nline two", "é", "😀", "\x7f", "\u200b", "\x00"),
]
TEXT = st.sampled_from(AWKWARD) | st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
KEYS = st.sampled_from([text for text in AWKWARD if text]) | st.from_regex(r"[a-z_]{1,12}", fullmatch=True)
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | TEXT | st.dates()
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=10
)


@SOME
@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_load_of_dump_is_identity_for_awkward_keys_and_text(data: dict[str, object]) -> None:
    """Beside test_store's property: keys and text that YAML 1.1, 1.2 or a careless writer would change."""
    text = yamlio.dump_new(data)
    assert yamlio.load(text, "f") == data
    assert yamlio.update_text(text, data, "f") == text  # and a rewrite changes nothing


@SOME
@given(st.binary(max_size=200))
def test_any_bytes_as_a_records_file_load_or_are_refused_naming_it(data: bytes) -> None:
    try:
        yamlio.load(yamlio.decode(data, "case.yaml"), "case.yaml")
    except InvalidFileError as error:
        assert error.file == "case.yaml" and error.message.startswith("case.yaml")


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("properties") / "records"
    assert invoke(None, "init", str(folder), "--demo").exit_code == 0
    return folder


def plain(text: str) -> bool:
    """Text a case may hold: no control character but tab and new line (models.CONTROL_CHARACTERS)."""
    return not CONTROL_CHARACTERS.search(text)


def shows_as_it_is(text: str) -> bool:
    """Text a name may hold: plain, and no invisible or reordering character (models.INVISIBLE)."""
    return plain(text) and not INVISIBLE.search(text)


@settings(max_examples=times(100), deadline=None)
@given(TEXT.filter(lambda text: text.strip() != "" and shows_as_it_is(text)), TEXT.filter(plain))
def test_a_case_saved_with_any_text_reads_back_the_same_or_is_not_written(
    records: Path, name: str, rationale: str
) -> None:
    folder = Records.open(records)
    loaded = folder.load_case("AP-2026-001", fresh=True)
    data = loaded.case.model_dump(mode="python", by_alias=True)
    data["pupil"]["name"] = name
    data["referral"]["rationale"] = rationale
    case = Case.model_validate(data)
    before = loaded.path.read_bytes()
    try:
        folder.save_case("AP-2026-001", case, loaded.text)
    except InvalidFileError as error:
        assert "wrote nothing" in error.message
        assert loaded.path.read_bytes() == before
        return
    except UsageError as error:  # a text that reads like a safeguarding concern's details ("NEGLECT")
        assert "(SAFE-DSL), so nothing was saved" in error.message
        assert loaded.path.read_bytes() == before
        return
    assert Records.open(records).load_case("AP-2026-001").case == case


@SOME
@given(
    st.text(min_size=1, max_size=40).filter(
        lambda text: not plain(LINE_BREAKS.sub("\n", text)) and not INVISIBLE.search(text)
    )
)
def test_text_with_a_control_character_is_refused_by_the_model(name: str) -> None:
    with pytest.raises(ValidationError, match="control character"):
        ProviderContact.model_validate({"date": dt.date(2026, 11, 23), "with": name, "summary": "x"})
