"""One notice, every format: `ap notice --format` repeated records one notice; `ap letter --copy` renders it
again, checked against what it said, and records nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

import docx
import yaml

from tests.conftest import Run, as_json, snapshot

TYLER = "AP-2026-003"  # commissioned; his notice is due (starts Monday 7 December 2026)
LETTERS = "letters/AP-2026-003/notice-2026-11-27-parent-1"


def words_sha256(text: str) -> str:
    """The sha256 of a letter's words with whitespace normalised, worked out here by hand."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def docx_words(path: Path) -> str:
    document = docx.Document(io.BytesIO(path.read_bytes()))
    lines = [p.text for p in document.paragraphs]
    lines += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    lines += [p.text for section in document.sections for p in section.header.paragraphs]
    return "\n".join(lines)


def case(demo: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((demo / "cases" / f"{TYLER}.yaml").read_text())
    return data


def commits(demo: Path) -> list[str]:
    done = subprocess.run(["git", "-C", str(demo), "log", "--format=%s"], capture_output=True, text=True)
    return done.stdout.splitlines()


def test_one_notice_is_recorded_for_three_formats(ap: Run, demo: Path) -> None:
    history = len(case(demo)["history"])
    result = ap("notice", TYLER, "--format", "html", "--format", "txt", "--format", "docx", "--json")
    assert result.exit_code == 0, result.output
    files = [letter["file"] for letter in as_json(result)["letters"]]
    assert files == [f"{LETTERS}.html", f"{LETTERS}.txt", f"{LETTERS}.docx"]
    [notice] = case(demo)["placements"][0]["notices"]
    assert notice["date"] == dt.date(2026, 11, 27) and notice["to"] == ["Gemma Ward"]
    assert [letter["file"] for letter in notice["letters"]] == files
    by_file = {letter["file"]: letter for letter in notice["letters"]}
    txt = by_file[f"{LETTERS}.txt"]
    assert txt["sha256"] == hashlib.sha256((demo / txt["file"]).read_bytes()).hexdigest()
    assert txt["text_sha256"] == words_sha256((demo / txt["file"]).read_text())
    assert by_file[f"{LETTERS}.docx"]["text_sha256"] == words_sha256(docx_words(demo / f"{LETTERS}.docx"))
    assert [h["what"] for h in case(demo)["history"][history:]] == ["notice of P1 issued (post) to Gemma Ward"]
    assert sorted(p.name for p in (demo / "letters" / TYLER).iterdir()) == [
        "notice-2026-11-27-parent-1.docx",
        "notice-2026-11-27-parent-1.html",
        "notice-2026-11-27-parent-1.txt",
    ]


def test_the_same_format_twice_is_one_letter(ap: Run, demo: Path) -> None:
    result = ap("notice", TYLER, "--format", "txt", "--format", "txt", "--json")
    assert [letter["file"] for letter in as_json(result)["letters"]] == [f"{LETTERS}.txt"]


def test_a_bad_format_among_several_is_refused_before_anything(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("notice", TYLER, "--format", "html", "--format", "pdf")
    assert result.exit_code == 2 and "--format: 'pdf' is not one of html, txt, docx" in result.stderr
    assert snapshot(demo) == before


def test_a_copy_in_docx_says_what_the_recorded_docx_said_and_records_nothing(ap: Run, demo: Path) -> None:
    assert ap("notice", TYLER, "--format", "html", "--format", "docx").exit_code == 0
    recorded = {letter["file"]: letter for letter in case(demo)["placements"][0]["notices"][0]["letters"]}
    before, log = snapshot(demo), commits(demo)
    result = ap("letter", TYLER, "--copy", "2026-11-27", "--format", "docx", "--json")
    assert result.exit_code == 0, result.output
    report = as_json(result)
    assert (report["case"], report["placement"], report["notice"], report["recorded"]) == (
        TYLER,
        "P1",
        "2026-11-27",
        False,
    )
    [letter] = report["letters"]
    assert (letter["to"], letter["file"]) == ("Gemma Ward", f"{LETTERS}-copy.docx")
    words = words_sha256(docx_words(demo / letter["file"]))
    assert words == letter["text_sha256"] == recorded[f"{LETTERS}.docx"]["text_sha256"]
    after = snapshot(demo)
    assert after.pop(f"{LETTERS}-copy.docx") == (demo / letter["file"]).read_bytes()
    assert after == before  # the case, its history and every letter as they were: only the copy is new
    assert commits(demo) == log  # and no commit
    again = ap("letter", TYLER, "--copy", "27/11/2026", "--format", "docx", "--json")
    assert [x["file"] for x in as_json(again)["letters"]] == [f"{LETTERS}-copy-2.docx"]
    assert ap("check").exit_code == 0  # a copy is not a letter left unrecorded by a killed command


def test_a_copy_in_a_format_never_given_is_checked_against_the_recorded_one(ap: Run, demo: Path) -> None:
    assert ap("notice", TYLER).exit_code == 0  # html only
    result = ap("letter", TYLER, "--copy", "2026-11-27", "--format", "txt")
    assert result.exit_code == 0, result.output
    text = (demo / f"{LETTERS}-copy.txt").read_text()
    assert "Dear Gemma Ward," in text
    assert result.stdout.splitlines()[0] == (
        f"Copy of the notice of 2026-11-27 (P1) to Gemma Ward: {LETTERS}-copy.txt (text sha256 {words_sha256(text)})"
    )
    assert [letter["file"] for letter in case(demo)["placements"][0]["notices"][0]["letters"]] == [f"{LETTERS}.html"]


def test_a_copy_after_the_recorded_data_changed_is_refused_saying_what_differs(ap: Run, demo: Path) -> None:
    assert ap("notice", TYLER, "--format", "html", "--format", "docx").exit_code == 0
    provider = demo / "providers" / "larkhill-green.yaml"
    provider.write_text(provider.read_text().replace("phone: 01234 000111", "phone: 01234 000999"))
    before = snapshot(demo)
    result = ap("letter", TYLER, "--copy", "2026-11-27", "--format", "docx")
    assert result.exit_code == 2
    assert "the notice of 2026-11-27 (P1) would not say what it said when it was given" in result.stderr
    assert f"{LETTERS}.html (to Gemma Ward) would now say something else:" in result.stderr
    assert "  -Telephone 01234 000111\n  +Telephone 01234 000999" in result.stderr
    assert snapshot(demo) == before  # no copy written


def test_a_copy_after_the_parents_address_changed_is_refused(ap: Run, demo: Path) -> None:
    assert ap("notice", TYLER, "--format", "docx").exit_code == 0
    path = demo / "cases" / f"{TYLER}.yaml"
    data = case(demo)
    data["contacts"][0]["address"] = "9 Other Lane, Exampleton, ZZ9 9ZZ"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = ap("letter", TYLER, "--copy", "2026-11-27", "--format", "html")
    assert result.exit_code == 2
    assert f"{LETTERS}.docx (to Gemma Ward) would now say something else:" in result.stderr
    assert "+9 Other Lane" in result.stderr
    assert not (demo / f"{LETTERS}-copy.html").exists()


def test_a_copy_names_a_notice_that_was_given(ap: Run, demo: Path) -> None:
    assert ap("notice", TYLER).exit_code == 0
    result = ap("letter", TYLER, "--copy", "2026-11-26", "--format", "docx")
    assert result.exit_code == 2
    assert "--copy: AP-2026-003 has no notice given on 2026-11-26; its notices: 2026-11-27 (P1)." in result.stderr
    assert ap("letter", TYLER, "--copy", "2026-11-27", "--kind", "review").exit_code == 2
    bare = ap("letter", TYLER)
    assert bare.exit_code == 2 and "ap letter needs --kind invitation or --kind review" in bare.stderr
