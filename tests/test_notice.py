"""`ap notice` and `ap letter`: the deadline on the school calendar, every required item, every format, the record."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
import yaml

from apcli.letters.render import letter_text
from apcli.model.calendar import SchoolCalendar
from apcli.model.notices import earliest_start, in_time, latest_notice_date, school_days_of_notice
from apcli.model.schema import CalendarFile
from tests.conftest import Run, as_json, snapshot

D = dt.date
TYLER = "AP-2026-003"  # commissioned; starts Monday 7 December 2026, mon/wed/fri
RUBY = "AP-2026-004"  # agreed (no placement yet)
LEO = "AP-2026-001"  # active, with a review on 2026-11-19


@pytest.fixture(scope="module")
def calendar() -> SchoolCalendar:
    """2026/27 with weekends, bank holidays (3 May 2027), half terms and INSET days (4 January 2027)."""
    demo_calendar = Path(__file__).resolve().parents[1] / "records" / "calendar.yaml"
    return SchoolCalendar(CalendarFile.model_validate(yaml.safe_load(demo_calendar.read_text())))


# The latest notice date for each first day and notice period: weekend, half term, Christmas with an INSET day,
# and the May Day bank holiday in the way.
LATEST = {
    D(2026, 11, 16): {1: D(2026, 11, 13), 2: D(2026, 11, 12), 3: D(2026, 11, 11)},  # Monday after a weekend
    D(2026, 11, 2): {1: D(2026, 10, 23), 2: D(2026, 10, 22), 3: D(2026, 10, 21)},  # Monday after half term
    D(2027, 1, 5): {1: D(2026, 12, 18), 2: D(2026, 12, 17), 3: D(2026, 12, 16)},  # after Christmas and an INSET day
    D(2027, 5, 5): {1: D(2027, 5, 4), 2: D(2027, 4, 30), 3: D(2027, 4, 29)},  # Wednesday after May Day
}


@pytest.mark.parametrize("start", list(LATEST))
@pytest.mark.parametrize("needed", [1, 2, 3])
def test_exactly_which_notice_dates_are_in_time(calendar: SchoolCalendar, start: dt.date, needed: int) -> None:
    latest = LATEST[start][needed]
    assert latest_notice_date(calendar, start, needed) == latest
    for offset in range(1, 25):
        notice = start - dt.timedelta(days=offset)
        assert in_time(calendar, notice, start, needed) == (notice <= latest), (notice, start, needed)
    assert not in_time(calendar, start, start, needed)  # the first day itself never counts
    assert not in_time(calendar, start + dt.timedelta(days=1), start, needed)  # nor a notice after it


def test_the_policy_example_thursday_for_monday_is_in_time_friday_is_late(calendar: SchoolCalendar) -> None:
    monday = D(2026, 11, 16)
    assert school_days_of_notice(calendar, D(2026, 11, 12), monday) == 2  # Thursday and Friday
    assert in_time(calendar, D(2026, 11, 12), monday, 2)
    assert not in_time(calendar, D(2026, 11, 13), monday, 2)
    assert not in_time(calendar, D(2026, 11, 14), monday, 2)  # a Saturday notice gives none


def test_the_earliest_start_a_notice_allows(calendar: SchoolCalendar) -> None:
    every_day = ["mon", "tue", "wed", "thu", "fri"]
    assert earliest_start(calendar, D(2026, 11, 13), 2, every_day) == D(2026, 11, 17)  # Fri + Mon, so Tuesday
    assert earliest_start(calendar, D(2026, 12, 17), 2, every_day) == D(2027, 1, 5)  # over Christmas and INSET
    assert earliest_start(calendar, D(2026, 12, 17), 2, ["wed"]) == D(2027, 1, 6)  # on the placement's days
    assert earliest_start(calendar, D(2026, 10, 28), 1, every_day) == D(2026, 11, 3)  # from half term


# --- the deadline through ap notice ---


def test_a_late_notice_is_refused_naming_the_latest_date_and_earliest_start(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("notice", TYLER, today="2026-12-04")  # Friday for Monday 7 December
    assert result.exit_code == 1
    text = result.stderr
    assert "NOTICE-DEADLINE" in text and "1 school day(s)" in text
    assert "latest date a notice could have been given for this start was 2026-12-03" in text
    assert "first day of 2026-12-09 at the earliest" in text  # Mon 7 is a school day, so Wed 9 (mon/wed/fri)
    assert snapshot(demo) == before
    assert "NOTICE-DEADLINE" in as_json(ap("show", TYLER, "--json", today="2026-12-04"))["blocked_by"]


def test_a_notice_on_the_last_day_in_time_is_allowed(ap: Run) -> None:
    result = ap("notice", TYLER, "--json", today="2026-12-03")
    assert result.exit_code == 0, result.output


def test_a_notice_dated_after_the_start_is_refused(ap: Run, demo: Path) -> None:
    result = ap("notice", TYLER, "--date", "2026-12-08", today="2026-12-08")
    assert result.exit_code == 1 and "NOTICE-DEADLINE" in result.stderr


@pytest.mark.parametrize(
    ("start", "why"),
    [
        ("2026-12-05", "Saturday"),
        ("2026-12-25", "outside the terms"),
        ("2027-05-03", "bank holiday (May Day)"),
        ("2027-02-17", "half-term"),
        ("2027-01-04", "closure (INSET) day"),
    ],
)
def test_a_start_that_is_not_a_school_day_is_refused(ap: Run, demo: Path, start: str, why: str) -> None:
    path = demo / "cases" / f"{TYLER}.yaml"
    path.write_text(
        path.read_text().replace("start: 2026-12-07", f"start: {start}").replace("end: 2027-03-19", "end: 2027-06-30")
    )
    result = ap("notice", TYLER)
    assert result.exit_code == 1 and "NOTICE-DEADLINE" in result.stderr and why in result.stderr


# --- what the notice must say ---


def test_the_notice_is_written_recorded_and_shown(ap: Run, demo: Path) -> None:
    result = ap("notice", TYLER, "--method", "post", "--json")
    assert result.exit_code == 0, result.output
    report = as_json(result)
    [letter] = report["letters"]
    path = demo / letter["file"]
    assert letter["file"] == "letters/AP-2026-003/notice-2026-11-27-parent-1.html"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == letter["sha256"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    notice = yaml.safe_load((demo / "cases" / f"{TYLER}.yaml").read_text())["placements"][0]["notices"][-1]
    assert notice["date"] == D(2026, 11, 27) and notice["method"] == "post" and notice["to"] == ["Gemma Ward"]
    words = hashlib.sha256(" ".join(letter_text(path.read_bytes(), "html").split()).encode()).hexdigest()
    assert notice["letters"] == [
        {"to": "Gemma Ward", "file": letter["file"], "sha256": letter["sha256"], "text_sha256": words}
    ]
    assert as_json(ap("show", TYLER, "--json"))["status"] == "notified"
    assert letter["file"] in ap("show", TYLER).stdout


def test_a_second_notice_of_what_was_notified_is_refused(ap: Run, demo: Path) -> None:
    assert ap("notice", TYLER).exit_code == 0
    before = snapshot(demo)
    again = ap("notice", TYLER, "--format", "txt", today="2026-11-30")
    assert again.exit_code == 2
    assert "P1 of AP-2026-003 already has its notice, given on 2026-11-27 to Gemma Ward" in again.stderr
    assert "ap letter AP-2026-003 --copy 2026-11-27 --format docx" in again.stderr
    assert "ap notice AP-2026-003 --to NAME" in again.stderr
    assert snapshot(demo) == before


def test_dry_run_shows_the_letter_and_changes_nothing(ap: Run, demo: Path) -> None:
    before = snapshot(demo)
    result = ap("notice", TYLER, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "NOTICE THAT TYLER WARD MUST ATTEND OFF-SITE EDUCATION" in result.stdout
    assert "nothing was written or recorded" in result.stdout
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("edit", "item"),
    [
        (
            (
                "  rationale: Needs a practical curriculum and a break from class to reset before secondary transition.\n",
                "  rationale: ''\n",
            ),
            "the reasons",
        ),
        (("    start_time: 09:15\n", ""), "the time the placement starts"),
        (("    report_to: Mr Sam Turner, Centre Manager\n", ""), "the person to report to"),
        (("    aims:\n      - Practical learning to rebuild confidence before transition\n", ""), "the aims"),
    ],
)
def test_a_notice_missing_a_required_item_is_never_produced(
    ap: Run, demo: Path, edit: tuple[str, str], item: str
) -> None:
    path = demo / "cases" / f"{TYLER}.yaml"
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1]))
    before = snapshot(demo)
    result = ap("notice", TYLER)
    assert result.exit_code == 1, result.output
    assert "NOTICE-CONTENT" in result.stderr and item in result.stderr
    assert snapshot(demo) == before


def test_parents_without_addresses_are_named(ap: Run, demo: Path) -> None:
    path = demo / "cases" / "AP-2026-002.yaml"  # Maisie: two parents
    text = path.read_text().replace("    address: 3 Demo Row, Exampleton, ZZ1 5ZZ\n", "")
    case = yaml.safe_load(text.replace("    address: 8 Fictional Way, Exampleton, ZZ1 6ZZ\n", ""))
    case["placements"][0]["notices"] = []  # the demo has given Maisie's notice: take it back, to give it here
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    result = ap("notice", "AP-2026-002", "--date", "2026-11-25", today="2026-11-25")
    assert result.exit_code == 1
    assert "no postal address for Dan Cole; no postal address for Lauren Cole" in result.stderr
    assert ap("notice", "AP-2026-002", "--method", "hand", "--date", "2026-11-25", today="2026-11-25").exit_code == 0


def test_a_provider_without_session_times_is_an_invalid_file(ap: Run, demo: Path) -> None:
    path = demo / "providers" / "larkhill-green.yaml"
    text = path.read_text()
    start = text.index("sessions:")
    end = text.index("daily_cost:")
    path.write_text(text[:start] + text[end:])
    result = ap("notice", TYLER)
    assert result.exit_code == 3 and "larkhill-green.yaml" in result.stderr and "sessions" in result.stderr


def test_a_pupil_with_an_ehc_plan_gets_a_copy_to_the_la(ap: Run, demo: Path) -> None:
    path = demo / "cases" / f"{TYLER}.yaml"
    path.write_text(path.read_text().replace("send: sen-support", "send: ehc-plan"))
    result = ap("notice", TYLER, "--json")
    assert result.exit_code == 0, result.output
    letters = as_json(result)["letters"]
    assert [letter["to"] for letter in letters] == ["Gemma Ward", "Staffordshire County Council (fictional address)"]
    assert letters[1]["file"].endswith("notice-2026-11-27-la.html")
    parent_letter = (demo / letters[0]["file"]).read_text()
    assert "a copy of this notice goes to Staffordshire County Council" in parent_letter
    notice = yaml.safe_load(path.read_text())["placements"][0]["notices"][-1]
    assert notice["la_copy"] is True


def test_an_ehc_plan_without_an_la_in_the_settings_is_refused(ap: Run, demo: Path) -> None:
    path = demo / "cases" / f"{TYLER}.yaml"
    path.write_text(path.read_text().replace("send: sen-support", "send: ehc-plan"))
    settings = demo / "ap-settings.yaml"
    settings.write_text(
        "\n".join(line for line in settings.read_text().splitlines() if "local_authority" not in line) + "\n"
    )
    result = ap("notice", TYLER)
    assert result.exit_code == 1 and "NOTICE-LA-COPY" in result.stderr


# --- templates: every format, a school's own, and the sandbox ---


@pytest.mark.parametrize("fmt", ["html", "txt", "docx"])
def test_every_shipped_template_renders_with_every_item(ap: Run, demo: Path, fmt: str) -> None:
    from apcli.letters.render import letter_text

    result = ap("notice", TYLER, "--format", fmt, "--json")
    assert result.exit_code == 0, result.output
    [letter] = as_json(result)["letters"]
    text = letter_text((demo / letter["file"]).read_bytes(), fmt)  # type: ignore[arg-type]
    for words in (
        "Tyler Ward",
        "Practical learning to rebuild confidence",
        "35 school days",
        "Monday 7 December 2026",
        "Friday 19 March 2027",
        "09:15",
        "12:00",
        "12:45",
        "14:45",
        "5 Example Road",
        "Mr Sam Turner, Centre Manager",
        "Needs a practical curriculum",
        "41 Specimen Street",
    ):
        assert words in text, (fmt, words)
    invitation = ap(
        "letter",
        TYLER,
        "--kind",
        "invitation",
        "--meeting-date",
        "2026-12-01",
        "--meeting-time",
        "15:30",
        "--place",
        "the academy's meeting room",
        "--format",
        fmt,
        "--json",
    )
    assert invitation.exit_code == 0, invitation.output
    review = ap("letter", LEO, "--kind", "review", "--format", fmt, "--json")
    assert review.exit_code == 0, review.output
    review_text = letter_text((demo / as_json(review)["letters"][0]["file"]).read_bytes(), fmt)  # type: ignore[arg-type]
    assert "Thursday 11 February 2027" in review_text and "Ms Priya Shah" in review_text


def test_the_word_letter_opens_with_python_docx(ap: Run, demo: Path) -> None:
    import docx

    result = ap("notice", TYLER, "--format", "docx", "--json")
    [letter] = as_json(result)["letters"]
    document = docx.Document(io.BytesIO((demo / letter["file"]).read_bytes()))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Notice that Tyler Ward must attend off-site education" in body
    assert "{{" not in body and "{%" not in body
    header = "\n".join(p.text for p in document.sections[0].header.paragraphs)
    assert "Hollybank Primary Academy" in header


def school_template(demo: Path, name: str, text: str) -> None:
    (demo / "templates" / name).write_text(text)


def shipped(name: str) -> str:
    return (Path(__file__).resolve().parents[1] / "templates" / name).read_text()


@pytest.mark.parametrize(
    ("cut", "item"),
    [
        ("<h2>Why</h2>\n<p>{{ rationale }}</p>", "the reasons for the placement"),
        ("<ul>{% for aim in aims %}<li>{{ aim }}</li>{% endfor %}</ul>", "the aims of the placement"),
        ("The requirement is for {{ period.days_text }}", "the period"),
        ("{% for line in provider.address_lines %}{{ line }}<br>{% endfor %}", "the address of the provision"),
        ("report to <strong>{{ report_to }}</strong>", "the person to report to"),
        ("<td><strong>{{ session.time }}</strong></td>", "the session times"),
        ("at {{ start.time }}", "the date and time it starts"),
    ],
)
def test_a_schools_own_template_that_leaves_out_an_item_is_refused(ap: Run, demo: Path, cut: str, item: str) -> None:
    text = shipped("notice.html.j2")
    assert cut in text
    school_template(demo, "notice.html.j2", text.replace(cut, ""))
    before = snapshot(demo)
    result = ap("notice", TYLER)
    assert result.exit_code == 1, result.output
    assert "NOTICE-CONTENT" in result.stderr and item in result.stderr and "templates/notice.html.j2" in result.stderr
    assert snapshot(demo) == before


def test_a_schools_own_complete_template_replaces_the_shipped_one(ap: Run, demo: Path) -> None:
    school_template(
        demo, "notice.html.j2", shipped("notice.html.j2").replace("<h2>Why</h2>", "<h2>Why (our own letterhead)</h2>")
    )
    result = ap("notice", TYLER, "--json")
    assert result.exit_code == 0, result.output
    assert "our own letterhead" in (demo / as_json(result)["letters"][0]["file"]).read_text()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "sandbox"),
        ("{{ pupil.__class__.__init__.__globals__ }}", "sandbox"),
        ("{% if %}", "template error"),
        ("{{ no_such_value }}", "does not have"),
    ],
)
def test_a_broken_or_hostile_template_is_an_invalid_file(ap: Run, demo: Path, body: str, says: str) -> None:
    school_template(demo, "notice.txt.j2", "Hello\n" + body + "\n")
    before = snapshot(demo)
    result = ap("notice", TYLER, "--format", "txt")
    assert result.exit_code == 3, result.output
    assert says in result.stderr and "notice.txt.j2" in result.stderr
    if says == "template error":
        assert "notice.txt.j2:2:" in result.stderr
    assert snapshot(demo) == before


# --- where letters go ---


def test_an_output_folder_outside_the_records_is_refused(ap: Run, demo: Path, tmp_path: Path) -> None:
    for out in (str(tmp_path / "elsewhere"), str(demo / ".." / "escape")):
        result = ap("notice", TYLER, "--out", out)
        assert result.exit_code == 2 and "outside the records folder" in result.stderr


def test_an_existing_file_needs_force_and_a_sent_letter_is_never_overwritten(ap: Run, demo: Path) -> None:
    out = demo / "letters" / "drafts"
    out.mkdir()
    (out / "notice-2026-11-27-parent-1.html").write_text("an old draft")
    result = ap("notice", TYLER, "--out", str(out))
    assert result.exit_code == 2 and "--force" in result.stderr
    assert ap("notice", TYLER, "--out", str(out), "--force").exit_code == 0
    path = demo / "cases" / f"{TYLER}.yaml"  # a second notice on the day (the first taken back by hand)
    case = yaml.safe_load(path.read_text())
    case["placements"][0]["notices"][0]["start"] = D(2026, 12, 1)  # so that it no longer describes the placement
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    again = ap("notice", TYLER, "--out", str(out), "--force")
    assert again.exit_code == 2 and "never overwritten" in again.stderr, again.output


def test_letters_need_their_details(ap: Run) -> None:
    assert ap("letter", TYLER, "--kind", "invitation").exit_code == 2
    assert ap("letter", TYLER, "--kind", "review").exit_code == 2  # Tyler has had no review yet
    assert ap("letter", TYLER, "--kind", "thank-you").exit_code == 2


def test_letters_are_recorded_in_the_case(ap: Run, demo: Path) -> None:
    result = ap(
        "letter",
        "AP-2026-005",
        "--kind",
        "invitation",
        "--meeting-date",
        "2026-12-02",
        "--meeting-time",
        "9:30",
        "--place",
        "Room 4",
        "--json",
    )
    assert result.exit_code == 0, result.output
    [sent] = yaml.safe_load((demo / "cases" / "AP-2026-005.yaml").read_text())["letters"]
    assert sent["kind"] == "invitation" and sent["to"] == "Zoe Pennington" and len(sent["sha256"]) == 64
    text = (demo / sent["file"]).read_text()
    assert "Wednesday 2 December 2026" in text and "09:30" in text and "Room 4" in text


def test_a_notice_of_mornings_only_states_the_mornings_times_and_says_so(ap: Run, demo: Path) -> None:
    """A placement of mornings only (--sessions am): the notice states the morning's start and end, never the
    afternoon's end, and its days as "mornings only" (reg 3(4): the times of the sessions the pupil attends)."""
    changed = ap("change", "AP-2026-003", "--sessions", "am", "--why", "Mornings only, agreed at the meeting")
    assert changed.exit_code == 0, changed.output
    shown = ap("notice", "AP-2026-003", "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert "on Monday, Wednesday and Friday, mornings only, from" in shown.stdout
    times = shown.stdout.split("SESSION TIMES", 1)[1].split("\n\n", 1)[0]
    assert "The morning session starts: 09:15" in times and "The morning session ends: 12:00" in times
    assert "afternoon" not in times.lower()
