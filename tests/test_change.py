"""`ap change`: a placement shortened, extended or otherwise changed, and the notice for the change, on exact dates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from apcli.records.store import Records
from tests.conftest import invoke, snapshot
from tests.factory import agreed

C = "AP-2026-011"
TERMS = {
    "--aims": "Re-engage with learning",
    "--agreement": "A1",
    "--agreement-signed": "2026-09-09",
    "--cost": "5000",
    "--approved-by": "academy",
    "--approved-on": "2026-09-09",
    "--english-maths": "Daily at the provider",
    "--reintegration": "Back full time in the summer",
    "--la-informed": "2026-09-09",
}


class Case:
    """A pupil referred and agreed in September 2026, placed on Mondays and Tuesdays at Larkhill Green."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, today: str, *args: str) -> tuple[int, str, str]:
        result = invoke(self.root, *args, today=today)
        return result.exit_code, result.stdout, result.stderr

    def ok(self, today: str, *args: str) -> str:
        code, out, err = self.run(today, *args)
        assert code == 0, (args, out, err)
        return out

    def place(self, today: str, *length: str, start: str = "2026-09-14") -> str:
        options = [part for key, value in TERMS.items() for part in (key, value)]
        return self.ok(
            today, "placement", C, "--provider", "larkhill-green", "--start", start, "--weekdays", "mon,tue",
            *length, *options,
        )  # fmt: skip

    def due(self, today: str) -> list[dict[str, str]]:
        return json.loads(self.ok(today, "review", "due", "--case", C, "--json"))

    def case(self) -> dict:
        return yaml.safe_load((self.root / "cases" / f"{C}.yaml").read_text())

    def placement(self, number: int = 1) -> dict:
        return self.case()["placements"][number - 1]

    def days(self, first: str, count: int, weekdays: tuple[str, ...] = ("mon", "tue")) -> list[dt.date]:
        records = Records.open(self.root)
        covers = records.calendar.covers
        assert covers is not None
        return records.calendar.days_on(dt.date.fromisoformat(first), covers[1], list(weekdays))[:count]


@pytest.fixture
def pupil(demo: Path) -> Case:
    c = Case(demo)
    agreed(demo, "Noah Change", "Ann Change")
    return c


def _register(c: Case, days: list[dt.date], path: Path) -> Path:
    rows = [f"{C},{day},{session},B" for day in days for session in ("AM", "PM")]
    path.write_text("case,date,session,mark\n" + "\n".join(rows) + "\n")
    return path


# --- (a) the first scenario: 30 days instead of 20, same start, after the notice ---


def test_thirty_days_instead_of_twenty_after_the_notice_is_a_change_that_keeps_the_notice(
    pupil: Case, tmp_path: Path
) -> None:
    c = pupil
    c.place("2026-09-09", "--days", "20")
    twenty = c.days("2026-09-14", 30)
    assert c.placement()["end"] == twenty[19]
    c.ok("2026-09-10", "notice", C, "--method", "hand")
    before = snapshot(c.root)
    # Recording the placement again is refused, pointing to ap change; nothing is saved.
    code, _, err = c.run("2026-09-21", "placement", C, "--provider", "larkhill-green", "--start", "2026-09-14",
                         "--weekdays", "mon,tue", "--days", "30", *[p for kv in TERMS.items() for p in kv])  # fmt: skip
    assert code == 2 and "ap change" in err
    assert snapshot(c.root) == before
    out = c.ok("2026-09-21", "change", C, "--days", "30", "--why", "Review agreed ten more days")
    assert f"P1 extended: end {twenty[19]} -> {twenty[29]}" in out
    placement = c.placement()
    assert placement["end"] == twenty[29]
    [change] = placement["changes"]
    assert change["was"] == {"end": twenty[19]} and change["now"] == {"end": twenty[29]}
    assert change["first_day"] == twenty[20] and change["why"] == "Review agreed ten more days"
    assert len(placement["notices"]) == 1  # the notice given stays recorded
    history = [entry["what"] for entry in c.case()["history"]]
    assert any(f"P1 extended: end {twenty[19]} -> {twenty[29]}" in what for what in history)
    # ap review due: the notice of the change, due two school days before the first added day; no later start.
    records = Records.open(c.root)
    latest = records.calendar.school_day_before(twenty[20], 2)
    items = c.due("2026-09-21")
    asap = [item for item in items if item["rule"] == "NOTICE-ASAP"]
    assert [(item["due"], item["state"]) for item in asap] == [(str(latest), "due")]
    assert f"change to P1 from {twenty[20]}" in asap[0]["what"]
    assert not any("move the start" in item["what"] for item in items)
    assert not [item for item in items if item["rule"] == "NOTICE-DEADLINE"]
    # Attendance: only the first 20 days are placement days until the new notice is given.
    register = _register(c, twenty[:20], tmp_path / "register.csv")
    c.ok("2026-12-31", "attendance", "import", str(register))
    shown = json.loads(c.ok("2026-12-31", "attendance", "show", C, "--json"))
    assert shown["missing"] == []
    # The notice for the change, in time: then the added days are placement days and their marks are due.
    c.ok(str(latest), "notice", C, "--method", "hand")
    shown = json.loads(c.ok("2027-03-01", "attendance", "show", C, "--json"))
    assert len(shown["missing"]) == 20  # ten added days, two sessions each
    assert not [item for item in c.due(str(latest)) if item["rule"] == "NOTICE-ASAP"]


# --- (b) an extension of a running placement, then its notice ---


@pytest.fixture
def running(pupil: Case) -> Case:
    pupil.place("2026-09-09", "--end", "2027-02-09")  # Tuesday 9 February 2027
    pupil.ok("2026-09-10", "notice", C, "--method", "hand")
    return pupil


def test_an_extension_of_a_running_placement_then_its_notice(running: Case, demo: Path) -> None:
    c = running
    c.ok("2027-01-18", "change", C, "--end", "2027-03-23", "--why", "The spring review agreed to extend")
    [change] = c.placement()["changes"]
    first = dt.date(2027, 2, 22)  # Monday after half term (15-19 February): the first added day
    assert change["first_day"] == first
    shown = " ".join(c.ok("2027-01-18", "show", C).split())
    assert "notice due for the change from 2027-02-22" in shown and "10 added day(s) are not placement days" in shown
    # Two school days before the first added day (Thursday 11, Friday 12 February) is in time; the letter
    # says plainly what changed.
    code, _, err = c.run("2027-02-12", "notice", C, "--method", "hand", "--format", "txt", "--dry-run")
    assert code == 1 and "NOTICE-DEADLINE" in err and "2027-02-23 at the earliest" in err
    c.ok("2027-02-11", "notice", C, "--method", "hand", "--format", "txt")
    [notice] = [n for n in c.placement()["notices"] if n["date"] == dt.date(2027, 2, 11)]
    assert notice["first_day"] == first and notice["end"] == dt.date(2027, 3, 23)
    text = (demo / notice["letters"][0]["file"]).read_text()
    flat = " ".join(text.split())
    assert (
        "This letter changes the placement we told you about on 10 September 2026: it now ends on "
        "Tuesday 23 March 2027 instead of Tuesday 9 February 2027." in flat
    )
    assert "The change takes effect from Monday 22 February 2027" in flat
    shown = " ".join(c.ok("2027-02-11", "show", C).split())
    assert "for 2026-09-14 to 2027-02-09 (superseded by a change since)" in shown and "notice due" not in shown
    assert not [item for item in c.due("2027-02-11") if item["rule"] == "NOTICE-ASAP"]


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_every_shipped_notice_template_says_what_changed(running: Case, demo: Path, fmt: str) -> None:
    c = running
    c.ok("2027-01-18", "change", C, "--end", "2027-03-23", "--why", "Extend")
    out = c.ok("2027-01-18", "notice", C, "--method", "hand", "--format", fmt, "--json")
    [letter] = json.loads(out)["letters"]
    from apcli.letters.render import letter_text

    text = " ".join(letter_text((demo / letter["file"]).read_bytes(), fmt).split())  # type: ignore[arg-type]
    assert "it now ends on Tuesday 23 March 2027 instead of Tuesday 9 February 2027" in text


def test_a_schools_own_template_that_does_not_say_what_changed_is_refused(running: Case, demo: Path) -> None:
    c = running
    shipped = Path(__file__).resolve().parents[1] / "templates" / "notice.txt.j2"
    own = demo / "templates" / "notice.txt.j2"
    own.parent.mkdir(exist_ok=True)
    own.write_text(shipped.read_text().replace("{{ change.text }}", ""))
    c.ok("2027-01-18", "change", C, "--end", "2027-03-23", "--why", "Extend")
    code, _, err = c.run("2027-01-18", "notice", C, "--method", "hand", "--format", "txt")
    assert code == 1 and "what changed since the last notice" in err


def test_a_shortening_needs_no_new_notice(running: Case) -> None:
    c = running
    out = c.ok("2027-01-18", "change", C, "--end", "2027-01-26", "--why", "Going back early")
    assert "P1 shortened: end 2027-02-09 -> 2027-01-26" in out
    [change] = c.placement()["changes"]
    assert change["first_day"] == dt.date(2027, 2, 1)  # the first day no longer at the provider
    assert not [item for item in c.due("2027-01-18") if item["rule"].startswith("NOTICE")]
    assert "superseded" not in c.ok("2027-01-18", "show", C)


def test_new_days_on_a_running_placement_take_effect_when_a_notice_allows(running: Case) -> None:
    c = running
    c.ok("2027-01-18", "change", C, "--weekdays", "mon,tue,wed", "--why", "A third day")
    [change] = c.placement()["changes"]
    # A notice given on Monday 18 January (18 and 19 count) allows Wednesday 20 at the earliest.
    assert change["first_day"] == dt.date(2027, 1, 20)
    assert change["was"] == {"weekdays": ["mon", "tue"]} and change["now"] == {"weekdays": ["mon", "tue", "wed"]}
    [asap] = [item for item in c.due("2027-01-18") if item["rule"] == "NOTICE-ASAP"]
    assert asap["due"] == "2027-01-18"


def test_a_change_with_from(running: Case) -> None:
    c = running
    c.ok("2027-01-18", "change", C, "--sessions", "am", "--from", "2027-02-01", "--why", "Mornings only")
    [change] = c.placement()["changes"]
    assert change["first_day"] == dt.date(2027, 2, 1)
    assert change["now"]["attends"] == "am"


@pytest.mark.parametrize(
    ("today", "args", "says"),
    [
        ("2027-01-18", ("--end", "2026-09-01"), "before the start"),
        ("2027-01-18", ("--start", "2026-09-15"), "cannot be moved once the placement has started"),
        ("2027-01-18", ("--end", "2027-01-12"), "ap end"),
        ("2027-01-18", ("--end", "2027-02-09"), "Nothing changes"),
        ("2027-01-18", ("--days", "10", "--end", "2027-03-01"), "not both"),
        ("2027-01-18", ("--cost", "6000"), "--approved-by BODY --approved-on D"),
        ("2027-01-18", ("--cost", "6000", "--approved-by", "nobody", "--approved-on", "2027-01-15"), "approving body"),
        ("2027-01-18", ("--approved-by", "academy"), "go with --cost"),
        ("2027-01-18", ("--weekdays", "mon,tue,wed", "--from", "2027-01-11"), "before today"),
        ("2027-01-18", ("--end", "2027-02-13"), "adds no placement day"),
    ],
)
def test_what_makes_no_sense_is_refused(running: Case, today: str, args: tuple[str, ...], says: str) -> None:
    before = snapshot(running.root)
    code, _, err = running.run(today, "change", C, *args, "--why", "x")
    assert code == 2 and says in err, err
    assert snapshot(running.root) == before


def test_an_added_cost_is_approved_again(running: Case) -> None:
    c = running
    c.ok("2027-01-18", "change", C, "--end", "2027-03-23", "--cost", "6500", "--approved-by", "trust",
         "--approved-on", "2027-01-15", "--why", "Extension funded by the trust")  # fmt: skip
    placement = c.placement()
    assert placement["cost"] == 6500 and placement["approved_by"] == "trust"
    [change] = placement["changes"]
    assert change["was"]["cost"] == 5000 and change["now"]["approved_on"] == dt.date(2027, 1, 15)
    # A lower cost needs no new approval, and alone needs no new notice.
    c.ok("2027-01-19", "change", C, "--cost", "6000", "--why", "Cheaper than quoted")
    assert c.placement()["changes"][-1]["now"] == {"cost": 6000}


def test_an_ended_placement_cannot_be_changed(running: Case) -> None:
    c = running
    c.ok("2027-01-18", "end", C, "--date", "2027-01-18", "--outcome", "reintegrated")
    code, _, err = c.run("2027-01-19", "change", C, "--end", "2027-03-23", "--why", "x")
    assert code != 0 and ("ended" in err)


def test_before_the_start_the_start_moves_and_the_notice_is_due_for_it(pupil: Case) -> None:
    c = pupil
    c.place("2026-09-09", "--end", "2027-02-09")
    c.ok("2026-09-09", "notice", C, "--method", "hand")
    c.ok("2026-09-10", "change", C, "--start", "2026-09-21", "--why", "The provider asked for a week")
    [change] = c.placement()["changes"]
    assert change["first_day"] == dt.date(2026, 9, 21)
    [asap] = [item for item in c.due("2026-09-10") if item["rule"] == "NOTICE-ASAP"]
    assert asap["due"] == "2026-09-17"


def test_a_change_that_would_overlap_another_open_placement_is_refused(running: Case, demo: Path) -> None:
    c = running
    other = "oak-tutors"
    shipped = (demo / "providers" / "larkhill-green.yaml").read_text()
    (demo / "providers" / f"{other}.yaml").write_text(shipped.replace("Larkhill Green Alternative", "Oak Tutors"))
    code, _, err = c.run(
        "2026-09-10", "placement", C, "--alongside", "--provider", other, "--start", "2026-09-16",
        "--weekdays", "wed", "--end", "2027-02-10", *[p for kv in TERMS.items() for p in kv],
    )  # fmt: skip
    assert code == 0, err
    code, _, err = c.run("2027-01-18", "change", C, "--placement", "P1", "--weekdays", "mon,tue,wed", "--why", "x")
    assert code == 2 and "one place each session" in err
