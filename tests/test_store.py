"""The store: safe loading, atomic writes, comments kept, unchanged cases rewritten byte for byte."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apcli.errors import InvalidFileError, InvalidFilesError
from apcli.model.history import record
from apcli.model.schema import Case
from apcli.records import yamlio
from apcli.records.layout import atomic_write
from apcli.records.store import Records


def case_file(demo: Path, case_id: str = "AP-2026-005") -> Path:
    return demo / "cases" / f"{case_id}.yaml"


def test_rewriting_an_unchanged_case_changes_no_byte(demo: Path) -> None:
    records = Records.open(demo)
    for case_id in records.case_ids():
        loaded = records.load_case(case_id)
        before = loaded.path.read_bytes()
        stat = loaded.path.stat()
        records.save_case(case_id, loaded.case, loaded.text)
        assert loaded.path.read_bytes() == before
        assert loaded.path.stat().st_mtime_ns == stat.st_mtime_ns  # not even touched
        # and the house style reproduces itself: the merged text equals the file
        assert records.case_text(loaded.case, loaded.text, loaded.shown) == before.decode()


def test_a_new_file_in_house_style_reads_back_to_the_same_case(demo: Path) -> None:
    records = Records.open(demo)
    for case_id in records.case_ids():
        loaded = records.load_case(case_id)
        fresh = records.case_text(loaded.case, None, "x")
        assert fresh == loaded.text
        assert Case.model_validate(yamlio.load(fresh, "x")) == loaded.case


def test_a_persons_comments_survive_a_rewrite(demo: Path) -> None:
    path = case_file(demo)
    text = path.read_text()
    text = text.replace("pupil:\n", "# Checked with the office on 26 Nov\npupil:\n", 1)
    text = text.replace("  year: 4\n", "  year: 4   # confirmed by class teacher\n", 1)
    text += "# end of file note\n"
    path.write_text(text)
    records = Records.open(demo)
    loaded = records.load_case("AP-2026-005")
    changed = record(loaded.case, dt.date(2026, 11, 27), "Test User", "checked", {}, step="refer")
    records.save_case("AP-2026-005", changed, loaded.text)
    after = path.read_text()
    for comment in ("# Checked with the office on 26 Nov", "# confirmed by class teacher", "# end of file note"):
        assert comment in after
    assert "what: checked" in after
    # Only the new history entry was added: every old line is still there, in order.
    old_lines = text.splitlines()
    new_lines = after.splitlines()
    assert [line for line in new_lines if line in old_lines] == old_lines


def test_defaults_written_by_hand_stay_and_unwritten_ones_are_not_added(demo: Path) -> None:
    path = case_file(demo)
    text = path.read_text().replace("  year: 4\n", "  year: 4\n  out_of_year_group: false\n", 1)
    path.write_text(text)
    records = Records.open(demo)
    loaded = records.load_case("AP-2026-005")
    changed = record(loaded.case, dt.date(2026, 11, 27), "Test User", "checked", {}, step="refer")
    records.save_case("AP-2026-005", changed, loaded.text)
    after = path.read_text()
    assert "  out_of_year_group: false\n" in after
    assert "send: none" not in after and "alternative_to_exclusion" not in after
    assert after.startswith(text)


def test_a_change_that_would_drop_a_comment_is_refused_and_nothing_written(demo: Path) -> None:
    path = case_file(demo)
    text = path.read_text().replace("  managed_move:\n", "  managed_move:   # discussed with Hub\n", 1)
    path.write_text(text)
    records = Records.open(demo)
    loaded = records.load_case("AP-2026-005")
    referral = loaded.case.referral.model_copy(update={"managed_move": None})
    with pytest.raises(InvalidFileError, match="would remove a comment"):
        records.save_case("AP-2026-005", loaded.case.model_copy(update={"referral": referral}), loaded.text)
    assert path.read_text() == text


def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "case.yaml"
    target.write_text("old: whole\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(target, "new: " + "x" * 100_000 + "\ud800")  # fails part way through writing
    assert target.read_text() == "old: whole\n"
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]  # no temporary file left behind


def test_a_killed_writer_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    target = tmp_path / "case.yaml"
    old, new = "old: " + "a" * 2_000_000 + "\n", "new: " + "b" * 2_000_000 + "\n"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from apcli.records.store import atomic_write
        target = Path({str(target)!r})
        old, new = "old: " + "a" * 2_000_000 + "\\n", "new: " + "b" * 2_000_000 + "\\n"
        while True:
            atomic_write(target, new if target.read_text().startswith("old") else old)
    """)
    target.write_text(old)
    for delay in (0.05, 0.1, 0.2, 0.3, 0.5):
        child = subprocess.Popen([sys.executable, "-c", script])
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert target.read_text() in (old, new)


# --- refusing what is not a plain, safe YAML records file ---

BAD_DOCUMENTS = {
    "alias": ("a: &x [1, 2]\nb: *x\n", "alias"),
    "billion laughs": ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "alias"),
    "python tag": ("a: !!python/object/apply:os.system [ls]\n", "tag"),
    "custom tag": ("a: !secret 1\n", "tag"),
    "duplicate key": ("a: 1\nb: 2\na: 3\n", "appears twice"),
    "syntax": ("a: [1, 2\nb: 3\n", "not valid YAML"),
}


@pytest.mark.parametrize("name", list(BAD_DOCUMENTS))
def test_unsafe_or_broken_yaml_is_refused_with_a_line(name: str) -> None:
    text, says = BAD_DOCUMENTS[name]
    with pytest.raises(InvalidFileError, match=says) as raised:
        yamlio.load(text, "file.yaml")
    assert raised.value.file == "file.yaml"
    assert raised.value.line is not None


def test_yaml_1_1_oddities_stay_text() -> None:
    assert yamlio.load("a: no\nb: on\nc: 12:30\nd: 0123\ne: yes\n", "f") == {
        "a": "no",
        "b": "on",
        "c": "12:30",
        "d": 123,
        "e": "yes",
    }


def test_not_utf8_and_binary_files_are_refused() -> None:
    with pytest.raises(InvalidFileError, match="not UTF-8"):
        yamlio.decode("pupil:\n  name: Zo\xeb\n".encode("latin-1"), "f.yaml")
    with pytest.raises(InvalidFileError, match="binary"):
        yamlio.decode(b"\x89PNG\r\n\x1a\n\x00\x00", "f.yaml")
    assert yamlio.decode("\ufeffa: 1\n".encode(), "f.yaml") == "a: 1\n"


def test_schema_errors_name_field_and_line(demo: Path) -> None:
    path = case_file(demo)
    path.write_text(path.read_text().replace("  dob: 2018-02-10\n", "  dob: tenth of February\n  colour: red\n"))
    records = Records.open(demo)
    with pytest.raises(InvalidFilesError) as raised:
        records.load_case("AP-2026-005")
    problems = {(p.line, p.message.split(":")[0]) for p in raised.value.problems}
    assert (4, "pupil.dob") in problems
    assert (5, "pupil.colour") in problems  # the unknown field, on its own line
    assert "unknown field 'colour'" in str(raised.value)


# --- properties ---

plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=40
) | st.lists(st.text(alphabet="ab c.", max_size=8), min_size=2, max_size=4).map("\n".join)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | plain_text | st.dates(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), values, max_size=5))
def test_load_of_dump_is_identity(data: dict[str, object]) -> None:
    text = yamlio.dump_new(data)
    assert yamlio.load(text, "f") == data
    assert yamlio.update_text(text, data, "f") == text


@settings(max_examples=100)
@given(st.text(max_size=200))
def test_any_text_either_loads_or_is_refused_cleanly(text: str) -> None:
    try:
        yamlio.load(text, "f")
    except InvalidFileError as error:
        assert error.file == "f"
