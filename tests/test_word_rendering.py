"""The Word letters as a reader sees them: each made through the CLI on the demo school, converted to PDF by
LibreOffice (headless) and read back with poppler (pdftotext -layout, pdfinfo).

Every required item is on the page, each address comes out as consecutive lines (one paragraph with line
breaks, no space between its lines), the page count is the one looked at, the bold of the HTML letters is
there, and the document properties name the school and the letter's date, not python-docx and 2013.

These need `soffice` (Debian libreoffice-writer-nogui) and `pdftotext`/`pdfinfo` (poppler-utils): without
them they skip, saying so, except where AP_RENDER_TESTS=required (.ci/run sets it), where they fail.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from tests.conftest import as_json, invoke

TYLER = "AP-2026-003"  # commissioned; starts Monday 7 December 2026 at Larkhill Green
LEO = "AP-2026-001"  # active, reviewed on 19 November 2026
SCHOOL = "Hollybank Primary Academy (fictional)"
SCHOOL_LINES = ["1 Example Lane", "Exampleton", "Staffordshire", "ZZ1 1ZZ", "Telephone 01234 000000"]
SIGNED = ["Mrs Helen Marsh", f"Headteacher, {SCHOOL}"]
GEMMA = ["Gemma Ward", "41 Specimen Street", "Exampleton", "ZZ1 7ZZ"]
KERRY = ["Kerry Hartley", "12 Sample Close", "Exampleton", "ZZ1 4ZZ"]
LA = ["Staffordshire County Council (fictional address)", "SEND Team", "2 Example Street", "Exampleton", "ZZ1 2ZZ"]
PROVIDER = [
    "Larkhill Green Alternative Provision",
    "Larkhill Green Farm",
    "5 Example Road",
    "Exampleton",
    "Staffordshire",
    "ZZ2 3ZZ",
    "Telephone 01234 000111",
]
SESSIONS = [
    "The morning session starts 09:15",
    "The break between sessions starts 12:00",
    "The break ends 12:45",
    "The afternoon session ends 14:45",
]
TOOLS = {"soffice": "libreoffice-writer-nogui", "pdftotext": "poppler-utils", "pdfinfo": "poppler-utils"}


def tools_or_skip() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        packages = sorted({TOOLS[tool] for tool in missing})
        reason = f"needs {', '.join(missing)} (Debian: apt-get install {' '.join(packages)})"
        if os.environ.get("AP_RENDER_TESTS") == "required":
            pytest.fail(f"AP_RENDER_TESTS=required, but this test {reason}")
        pytest.skip(reason)


@dataclass
class Letter:
    docx: Path
    text: str  # pdftotext -layout
    pages: int

    @property
    def rows(self) -> list[str]:
        """The PDF's lines, stripped, with runs of spaces (tab stops, layout) as one space."""
        return [" ".join(row.split()) for row in self.text.splitlines()]

    def has_block(self, lines: list[str]) -> bool:
        """Whether `lines` are on consecutive lines of the page, with no blank line between them."""
        rows = self.rows
        return any(rows[i : i + len(lines)] == lines for i in range(len(rows)))

    def words(self) -> str:
        return " ".join(self.text.split())


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Letter]:
    """The four Word letters of the demo school, each converted once: all in one LibreOffice run."""
    tools_or_skip()
    root = tmp_path_factory.mktemp("word")
    records = root / "records"
    assert invoke(None, "init", str(records), "--demo").exit_code == 0
    case = records / "cases" / f"{TYLER}.yaml"
    case.write_text(case.read_text().replace("send: sen-support", "send: ehc-plan"))  # so the LA gets a copy
    notice = invoke(records, "notice", TYLER, "--format", "docx", "--json")
    assert notice.exit_code == 0, notice.output
    invitation = invoke(
        records,
        "letter",
        TYLER,
        "--kind",
        "invitation",
        "--meeting-date",
        "2026-12-01",
        "--meeting-time",
        "15:30",
        "--place",
        "the school's meeting room",
        "--format",
        "docx",
        "--json",
    )
    assert invitation.exit_code == 0, invitation.output
    review = invoke(records, "letter", LEO, "--kind", "review", "--format", "docx", "--json")
    assert review.exit_code == 0, review.output
    notices = [records / letter["file"] for letter in as_json(notice)["letters"]]
    files = {
        "notice": notices[0],
        "notice to the LA": notices[1],
        "invitation": records / as_json(invitation)["letters"][0]["file"],
        "review": records / as_json(review)["letters"][0]["file"],
    }
    assert [path.name for path in files.values()] == [
        "notice-2026-11-27-parent-1.docx",
        "notice-2026-11-27-la.docx",
        "invitation-2026-11-27-parent-1.docx",
        "review-2026-11-27-parent-1.docx",
    ]
    pdfs = root / "pdf"
    profile = (root / "libreoffice-profile").as_uri()  # its own, so parallel runs do not share one
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(pdfs)]
        + [str(path) for path in files.values()],
        check=True,
        capture_output=True,
        timeout=300,
    )
    found = {}
    for kind, path in files.items():
        pdf = pdfs / f"{path.stem}.pdf"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True)
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
        found[kind] = Letter(path, text.stdout, pages)
    return found


def bold_runs(path: Path) -> set[str]:
    document = docx.Document(io.BytesIO(path.read_bytes()))
    return {run.text for paragraph in document.paragraphs for run in paragraph.runs if run.bold and run.text}


def properties_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode("utf-8") for name in archive.namelist() if name.startswith("docProps/")
        )


@pytest.mark.parametrize(("kind", "pages"), [("notice", 2), ("notice to the LA", 2), ("invitation", 1), ("review", 1)])
def test_every_letter_has_the_school_the_recipient_and_the_signature(
    letters: dict[str, Letter], kind: str, pages: int
) -> None:
    letter = letters[kind]
    assert letter.pages == pages
    assert letter.rows[0] == SCHOOL
    assert letter.has_block([*SCHOOL_LINES, "office@hollybank.example"])
    assert letter.has_block({"notice to the LA": LA, "review": KERRY}.get(kind, GEMMA))
    assert "Friday 27 November 2026" in letter.rows
    salutation = {"notice to the LA": "Sir or Madam", "review": "Kerry Hartley"}.get(kind, "Gemma Ward")
    assert f"Dear {salutation}," in letter.rows
    assert letter.has_block(SIGNED)
    assert "{{" not in letter.text and "{%" not in letter.text


@pytest.mark.parametrize("kind", ["notice", "notice to the LA"])
def test_the_notice_states_every_item_with_the_first_day_address_whole(letters: dict[str, Letter], kind: str) -> None:
    letter = letters[kind]
    words = letter.words()
    for item in (
        "Notice that Tyler Ward must attend off-site education",
        "Pupil: Tyler Ward, Year 6, born 30 June 2016.",
        "The requirement is for 35 school days: on Monday, Wednesday and Friday, from Monday 7 December 2026 to "
        "Friday 19 March 2027.",
        "The placement starts on Monday 7 December 2026 at 09:15. On the first day, Tyler Ward should report to "
        "Mr Sam Turner, Centre Manager at:",
        "Practical learning to rebuild confidence before transition",
        "Needs a practical curriculum",
    ):
        assert item in words, item
    assert letter.has_block(PROVIDER)  # the provider's name, address and telephone: one block, on one page
    assert letter.has_block(["Session times", *SESSIONS])
    second = letter.text.split("\f")[1]
    rows = [row.strip() for row in second.splitlines() if row.strip()]
    assert rows[:2] == [f"{SCHOOL}, our reference {TYLER}, page 2 of 2", "Session times"]  # a one-line header
    page = next(text for text in letter.text.split("\f") if "Larkhill Green Farm" in text)
    assert "The first day" in page and "ZZ2 3ZZ" in page  # the heading and the whole address together


def test_the_parents_notice_says_a_copy_goes_to_the_la_and_the_la_copy_says_what_it_is(
    letters: dict[str, Letter],
) -> None:
    assert "a copy of this notice goes to Staffordshire County Council (fictional address)" in letters["notice"].words()
    assert "Copy of a notice given to parents: Notice that Tyler Ward" in letters["notice to the LA"].words()


def test_the_invitation_gives_the_meeting_as_one_block(letters: dict[str, Letter]) -> None:
    letter = letters["invitation"]
    assert "Invitation to a meeting about Tyler Ward's education" in letter.rows
    assert letter.has_block(
        ["The meeting", "Date Tuesday 1 December 2026", "Time 15:30", "Place the school's meeting room"]
    )
    assert "Needs a practical curriculum and a break from class to reset before secondary transition." in letter.words()


def test_the_review_letter_gives_the_outcome_the_next_review_and_who_is_responsible(
    letters: dict[str, Letter],
) -> None:
    words = letters["review"].words()
    assert "The review of Leo Hartley's placement" in words
    assert "placement on Thursday 19 November 2026" in words
    assert "After the review, the placement continues as agreed." in words
    assert "The next review will be held by Thursday 11 February 2027." in words
    assert "The person responsible for the placement and its reviews is Ms Priya Shah." in words


def test_the_bold_of_the_html_letters_is_in_the_word_ones(letters: dict[str, Letter]) -> None:
    assert bold_runs(letters["notice"].docx) >= {
        "Monday 7 December 2026 at 09:15",
        "Mr Sam Turner, Centre Manager",
        "09:15",
        "12:00",
        "12:45",
        "14:45",
    }
    assert bold_runs(letters["invitation"].docx) >= {"Tuesday 1 December 2026", "15:30", "the school's meeting room"}
    assert bold_runs(letters["review"].docx) >= {
        "the placement continues as agreed",
        "Thursday 11 February 2027",
        "Ms Priya Shah",
    }


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("notice", "Notice of off-site education for Tyler Ward"),
        ("notice to the LA", "Copy of a notice of off-site education for Tyler Ward"),
        ("invitation", "Invitation to a meeting about Tyler Ward's education"),
        ("review", "Review outcome for Leo Hartley's placement"),
    ],
)
def test_the_properties_name_the_school_the_letters_date_and_kind(
    letters: dict[str, Letter], kind: str, title: str
) -> None:
    path = letters[kind].docx
    core = docx.Document(io.BytesIO(path.read_bytes())).core_properties
    assert (core.author, core.last_modified_by, core.title) == (SCHOOL, SCHOOL, title)
    midnight = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    assert (core.created, core.modified) == (midnight, midnight)
    assert (core.comments, core.subject, core.keywords, core.language) == ("", "", "", "en-GB")
    assert "python-docx" not in properties_text(path) and "2013" not in properties_text(path)


# --- without LibreOffice: the properties of the shipped templates and of a school's own ---


def test_the_shipped_templates_own_properties_are_neutral() -> None:
    for kind in ("notice", "invitation", "review"):
        path = Path(__file__).resolve().parents[1] / "templates" / f"{kind}.docx"
        core = docx.Document(str(path)).core_properties
        assert (core.author, core.title, core.created) == ("ap", "", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        text = properties_text(path)
        assert "python-docx" not in text and "2013" not in text and "Microsoft" not in text


def test_a_schools_own_word_template_gets_the_letters_properties_too(tmp_path: Path) -> None:
    records = tmp_path / "records"
    assert invoke(None, "init", str(records), "--demo").exit_code == 0
    own = docx.Document(str(Path(__file__).resolve().parents[1] / "templates" / "review.docx"))
    own.core_properties.author = own.core_properties.last_modified_by = "python-docx"
    own.core_properties.created = own.core_properties.last_printed = dt.datetime(2013, 12, 23, 23, 15)
    own.core_properties.comments = "generated by python-docx"
    own.save(str(records / "templates" / "review.docx"))
    result = invoke(records, "letter", LEO, "--kind", "review", "--format", "docx", "--json", today="2026-12-02")
    assert result.exit_code == 0, result.output
    path = records / as_json(result)["letters"][0]["file"]
    core = docx.Document(str(path)).core_properties
    assert (core.author, core.last_modified_by, core.comments, core.last_printed) == (SCHOOL, SCHOOL, "", None)
    assert core.created == dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert core.title == "Review outcome for Leo Hartley's placement"
    assert "python-docx" not in properties_text(path) and "2013" not in properties_text(path)
