"""Control characters (terminal escapes) are refused where text comes in, once: a records file's text by ap's
YAML loader, and what the command line, a form or a provider's details give by the models' entry points
(model/schema.py Strict), with the messages the per-field check gave. And `ap check` finds a letter no case
records without reading every case."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apcli.errors import EXIT_INVALID_FILE, EXIT_USAGE, InvalidFileError
from apcli.letters.sending import recorded_files, unrecorded_letters
from apcli.model.schema import Case
from apcli.records.store import LoadedCase, Records
from apcli.setup.demo import place_pupils
from tests.conftest import invoke, scripted_editor, snapshot
from tests.soak import times

LEO = "AP-2026-001"
CONTROL = "holds a control character (an escape or similar); remove it"
RATIONALE = "  rationale: Two suspensions"

# --- the oracle: the check every text field ran before (HEAD's schema._plain) ---------------------------------

OLD_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OLD_BREAKS = re.compile("\r\n?|\x0b")


def old_check(text: str) -> str | None:
    """The text as the per-field validator kept it (its line breaks as new lines), or None where it refused."""
    if OLD_CONTROL.search(text) is None:
        return text
    text = OLD_BREAKS.sub("\n", text)
    return None if OLD_CONTROL.search(text) else text


# --- writing a text into a case file four ways -----------------------------------------------------------------

CONTROLS = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
# Written as they are, YAML reads \n, \r, NEL and the line separator as line breaks (the value is not the text)
# and refuses \x0b (as it refused it before): those are given as escapes only.
AS_WRITTEN = st.text(st.sampled_from(["a", "b", " ", "é", "'", '"', "\\", "\t", *CONTROLS]), min_size=1, max_size=12)
LITERAL_TEXT = AS_WRITTEN.filter(lambda text: not set(text) & {"\n", "\r", "\x85", "\x0b", "\u2028"})
ANY_TEXT = st.text(st.sampled_from(["a", " ", "é", '"', "\\", "\u2028", *CONTROLS]), min_size=1, max_size=12)
NAMED = {"\x00": "0", "\x07": "a", "\x08": "b", "\t": "t", "\n": "n", "\x0b": "v", "\x0c": "f", "\r": "r"}
NAMED |= {"\x1b": "e", "\x85": "N", "\u2028": "L", '"': '"', "\\": "\\"}


def double_quoted(text: str, ways: list[int]) -> str:
    """`text` as a double-quoted YAML scalar, each character that needs it escaped one of YAML's ways: by name
    (`\\e`), `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN` (`ways` picks, character by character)."""
    out = []
    for char, way in zip(text, ways, strict=True):
        if char in '"\\' or not char.isprintable():
            code = ord(char)
            forms = [NAMED[char]] if char in NAMED else []
            if char not in '"\\':
                forms += [f"x{code:02x}"] * (code < 0x100) + [f"u{code:04X}", f"U{code:08x}"]
            out.append("\\" + forms[way % len(forms)])
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def plain(text: str) -> str | None:
    """`text` as a plain scalar, or None where a plain scalar cannot hold it as it is."""
    if text[0] in " \t'\"" or text[-1] in " \t" or "\\" in text:
        return None
    return text


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = tmp_path_factory.mktemp("control") / "records"
    assert invoke(None, "init", str(made), "--demo").exit_code == 0
    return made


def load_with_rationale(folder: Path, lines: list[str]) -> tuple[LoadedCase | InvalidFileError, Path, int]:
    """Leo's case with its rationale's line replaced by `lines`, loaded as every command loads it (uncached)."""
    path = folder / "cases" / f"{LEO}.yaml"
    text = ORIGINAL.setdefault(folder, path.read_text())
    start = text.index(RATIONALE)
    end = text.index("\n", start)
    path.write_text(text[:start] + "\n".join(lines) + text[end:])
    records = Records.open(folder)
    records.cached = False
    line = text[:start].count("\n") + 1
    try:
        return records.load_case(LEO, fresh=True), path, line
    except InvalidFileError as error:
        return error, path, line


ORIGINAL: dict[Path, str] = {}


@settings(max_examples=times(300), deadline=None)
@given(st.data())
def test_a_text_in_a_case_file_is_refused_exactly_when_the_per_field_check_refused_it(
    folder: Path, data: st.DataObject
) -> None:
    """Plain, single-quoted, as a block, or double-quoted with escapes: refused just where the old check on the
    value refused, with its message (the field where an escape made the character, the line where one was typed);
    and where it was taken, the value is what the old check made of it (a \\r\\n as a new line)."""
    style = data.draw(st.sampled_from(["plain", "single", "block", "double"]))
    text = data.draw(ANY_TEXT if style == "double" else LITERAL_TEXT)
    if style == "double":
        ways = data.draw(st.lists(st.integers(0, 3), min_size=len(text), max_size=len(text)))
        lines = ["  rationale: " + double_quoted(text, ways)]
    elif style == "single":
        lines = ["  rationale: '" + text.replace("'", "''") + "'"]
    elif style == "block":
        lines = ["  rationale: |2-", "    " + text]
    else:
        written = plain(text)
        if written is None:
            return
        lines = ["  rationale: " + written]
    loaded, path, line = load_with_rationale(folder, lines)
    expected = old_check(text)
    if expected is None:
        assert isinstance(loaded, InvalidFileError), (style, text)
        if style == "double":
            assert loaded.message == f"{path}:{line}: referral.rationale: {CONTROL}"
        elif "\x00" in text:  # a NUL typed in a file makes it binary, as it always did
            assert loaded.message == f"{path}: a binary file, not YAML text"
        else:
            assert loaded.message == f"{path}:{line + (style == 'block')}: {CONTROL}"
        return
    assert isinstance(loaded, LoadedCase), (style, text, loaded)
    assert loaded.case.referral.rationale == expected


def test_an_escape_in_a_list_or_a_key_is_refused_where_the_per_field_check_said(folder: Path) -> None:
    path = folder / "cases" / f"{LEO}.yaml"
    text = ORIGINAL.setdefault(folder, path.read_text())
    first_aim = "    - Reduce dysregulated incidents"
    assert first_aim in text
    aims_line = text[: text.index("  aims:\n")].count("\n") + 1
    path.write_text(text.replace(first_aim, '    - "Reduce\\e dysregulated" # incidents', 1))
    with pytest.raises(InvalidFileError) as raised:
        Records.open(folder).load_case(LEO, fresh=True)
    assert raised.value.message == f"{path}:{aims_line}: placements[0].aims: {CONTROL}"
    path.write_text(text.replace("  rationale:", '  "ration\\x1bale":', 1))
    rationale_line = text[: text.index(RATIONALE)].count("\n") + 1
    with pytest.raises(InvalidFileError) as raised:
        Records.open(folder).load_case(LEO, fresh=True)
    assert raised.value.message == (
        f"{path}:{rationale_line}: referral: a key holds a control character (an escape or similar); remove it"
    )
    path.write_text(text)
    assert Records.open(folder).load_case(LEO, fresh=True).case.referral.rationale.startswith("Two suspensions")


def test_a_control_character_typed_into_a_case_file_is_refused_with_its_line(demo: Path) -> None:
    path = demo / "cases" / f"{LEO}.yaml"
    text = path.read_text()
    line = text[: text.index(RATIONALE)].count("\n") + 1
    path.write_text(text.replace("Two suspensions", "Two\x1b[2J suspensions", 1))
    shown = invoke(demo, "show", LEO)
    assert shown.exit_code == EXIT_INVALID_FILE and shown.stderr == f"{path}:{line}: {CONTROL}\n"
    checked = invoke(demo, "check", LEO)
    assert checked.exit_code == EXIT_INVALID_FILE and f"{path}:{line}: invalid: {CONTROL}\n" in checked.output
    assert "\x1b" not in shown.output + checked.output
    path.write_text(
        text.replace("Two suspensions", '"Two\\e[2J suspensions', 1).replace("his place here.", 'his place here."', 1)
    )
    result = invoke(demo, "show", LEO)
    assert result.exit_code == EXIT_INVALID_FILE
    assert result.stderr == f"{path}:{line}: referral.rationale: {CONTROL}\n"


def test_cached_json_is_read_back_without_a_second_look(demo: Path) -> None:
    """ap's cache holds JSON of a case it validated; model_validate_json reads it as it is."""
    case = Records.open(demo).load_case(LEO).case
    assert Case.model_validate_json(case.model_dump_json(by_alias=True)) == case


# --- through the command line: each way a text comes in -----------------------------------------------------------

CONCERN = ("concern", LEO, "--date", "2026-11-23", "--by", "Sam Turner", "--summary")
REFER = (
    *("refer", "--dob", "2018-05-01", "--year", "4", "--reason", "respite", "--send-hub", "2026-09-03"),
    *("--managed-move", "not-suitable", "--managed-move-why", "x", "--parent", "Ann Smith (mother)"),
    *("--address", "1 Road, Town", "--date", "2026-09-07"),
)


@pytest.mark.parametrize(
    ("args", "by", "field"),
    [
        ((*CONCERN, "x\x07y"), "Test User", "summary"),  # a model made by its constructor (Concern)
        (("contact", LEO, "--date", "2026-11-23", "--with", "S", "--summary", "hi\x1b[2J"), "Test User", "summary"),
        ((*CONCERN, "x"), "Eve\x1b[2J", "by"),  # the history entry's who
        ((*REFER, "--name", "Zo\x1be Smith", "--rationale", "Respite"), "Test User", "name"),
        ((*REFER, "--name", "Zoe Smith", "--rationale", "Respite\x9b31m"), "Test User", "rationale"),
    ],
)
def test_an_option_holding_a_control_character_is_refused_and_nothing_recorded(
    demo: Path, args: tuple[str, ...], by: str, field: str
) -> None:
    before = snapshot(demo)
    result = invoke(demo, *args, by=by, today="2026-11-27" if args[0] != "refer" else "2026-09-07")
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.stderr == f"Nothing was recorded: {field}: {CONTROL}.\n"
    assert snapshot(demo) == before


def test_a_line_break_of_any_kind_typed_in_an_option_is_recorded_as_a_new_line(demo: Path) -> None:
    result = invoke(demo, *CONCERN, "line\r\nnext\rthird\x0bfourth")
    assert result.exit_code == 0, result.output
    concerns = Records.open(demo).load_case(LEO).case.concerns
    assert concerns[-1].summary == "line\nnext\nthird\nfourth"


def test_a_provider_added_with_a_control_character_in_its_name_is_refused(demo: Path) -> None:
    before = snapshot(demo)
    result = invoke(
        demo,
        *("provider", "add", "new-place", "--name", "New\x1b Place", "--address", "1 Road", "--contact", "Jo"),
        *("--code", "B", "--daily-cost", "50", "--safeguarding-confirmed", "2026-09-01"),
        *("--staff-checks-confirmed", "2026-09-01", "--session-start", "09:00", "--session-end", "15:00"),
    )
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.stderr == f"The provider's details are not valid: name: {CONTROL}.\n"
    assert snapshot(demo) == before


def test_a_referral_form_with_an_escape_is_refused_naming_its_line(demo: Path, tmp_path: Path) -> None:
    form = tmp_path / "form.yaml"
    form.write_text('dob: 2018-05-01\nname: "Zoe\\e Smith"\nyear: 4\nreasons: [respite]\nrationale: Respite\n')
    result = invoke(demo, *REFER, "--from", str(form), today="2026-09-07")
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    assert result.stderr == f"{form}:2: name: {CONTROL}\n"


@pytest.mark.parametrize(
    ("file", "key", "written", "field"),
    [
        ("providers/brookside-tuition.yaml", "name: ", 'name: "Brook\\aside"', "name"),
        ("ap-settings.yaml", "  name: ", '  name: "Sch\\u0007ool"', "school.name"),
    ],
)
def test_a_provider_or_settings_file_with_an_escape_is_refused_naming_its_field(
    demo: Path, file: str, key: str, written: str, field: str
) -> None:
    path = demo / file
    text = path.read_text()
    start = text.index(key)
    path.write_text(text[:start] + written + text[text.index("\n", start) :])
    result = invoke(demo, "list")
    line = text[:start].count("\n") + 1
    assert result.stderr.splitlines()[0] == f"{path}:{line}: {field}: {CONTROL}"
    assert "\x07" not in result.output


def test_ap_edit_refuses_an_escape_written_in_the_editor_and_keeps_the_case(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        "import pathlib, sys\npath = pathlib.Path(sys.argv[1])\n"
        "path.write_text(path.read_text().replace('rationale: Two', 'rationale: \"Two\\\\e\" # ', 1))\n"
    )
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, script))
    case = demo / "cases" / f"{LEO}.yaml"
    before = case.read_bytes()
    line = case.read_text()[: case.read_text().index(RATIONALE)].count("\n") + 1
    result = invoke(demo, "edit", LEO)
    assert result.exit_code == EXIT_INVALID_FILE, result.output
    draft = demo / ".locks" / f"{LEO}.edit.yaml"
    assert result.stderr.splitlines()[0] == f"{draft}:{line}: referral.rationale: {CONTROL}"
    assert case.read_bytes() == before


# --- ap check: letters no case records, without reading every case ------------------------------------------------


@dataclasses.dataclass
class CountingRecords(Records):
    """Records that note each case loaded (not a mock: every load is the real one)."""

    loaded: list[str] = dataclasses.field(default_factory=list)

    def load_case(self, case_id: str, fresh: bool = False) -> LoadedCase:
        self.loaded.append(case_id)
        return super().load_case(case_id, fresh)


def test_unrecorded_letters_reads_only_the_cases_whose_text_names_a_letter_found(demo: Path) -> None:
    place_pupils(Records.open(demo), 50, dt.date(2026, 11, 2), dt.date(2027, 2, 12))
    every = Records.open(demo)
    assert len(every.case_ids()) == 60
    naming = sorted(case_id for case_id in every.case_ids() if recorded_files(every.load_case(case_id).case))
    assert naming == ["AP-2026-006"]  # the demo's one letter, recorded by its case

    records = CountingRecords.open(demo)
    assert unrecorded_letters(records) == [] and records.loaded == naming

    stray = demo / "letters" / "AP-2025-010" / "notice-2026-11-01-parent-1.html"
    stray.parent.mkdir()
    stray.write_text("written by a notice killed before it saved the case")
    records = CountingRecords.open(demo)
    assert unrecorded_letters(records) == [stray] and records.loaded == naming
    checked = invoke(demo, "check")
    assert (
        "LETTER-UNRECORDED" in checked.output
        and "letters/AP-2025-010/notice-2026-11-01-parent-1.html" in checked.output
    )

    shutil.rmtree(demo / "letters" / "AP-2026-006")
    shutil.rmtree(stray.parent)
    records = CountingRecords.open(demo)
    assert unrecorded_letters(records) == [] and records.loaded == []  # no letter: no case read
