"""A pupil at two providers at once: one case holding both placements, each provider's register landing on its
own placement, the census's row for each placement, and `ap report` per placement and per pupil."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import as_json, invoke, snapshot
from tests.test_agreeing import PROVIDER

LEO = "AP-2026-001"  # at larkhill-green (URN 999001, code B) on mon-thu, 2026-10-05 to 2027-02-12 (extended)
LEO_UPN = "L860200025001"
BOTH = (
    "AP-2026-001 is at 2 providers at that time (at larkhill-green on mon, tue, wed, thu (P1, 2026-10-05 to "
    "2027-02-12); and at oak-farm on fri (P2, 2026-12-04 to 2026-12-18)): say whose register this is with "
    "--provider ID, or a provider column in the register"
)


def oak_farm(code: str = "D", urn: str | None = "999123") -> list[str]:
    """Oak Farm, open every weekday, where the pupil is dual registered (D), with or without a URN."""
    args = list(PROVIDER)
    args[args.index("--code") + 1] = code
    args[args.index("--weekdays") + 1] = "mon,tue,wed,thu,fri"
    if urn is None:
        at = args.index("--urn")
        del args[at : at + 2]
        args += ["--setting-type", "OTH"]
    else:
        args[args.index("--urn") + 1] = urn
    return args


def fridays_at_oak_farm(start: str = "2026-12-04", weekdays: str = "fri") -> list[str]:
    return [
        "placement",
        LEO,
        "--alongside",
        "--provider",
        "oak-farm",
        "--start",
        start,
        "--end",
        "2026-12-18",
        "--weekdays",
        weekdays,
        "--aims",
        "Outdoor learning on Fridays",
        "--agreement",
        "OF-2026-001",
        "--agreement-signed",
        "2026-11-26",
        "--cost",
        "140",
        "--approved-by",
        "academy",
        "--approved-on",
        "2026-11-26",
        "--english-maths",
        "Maths through farm tasks",
        "--reintegration",
        "Back full time in January",
        "--la-informed",
        "2026-11-26",
    ]


@pytest.fixture
def leo_at_two(demo: Path) -> Path:
    """Leo, Mon-Thu at Larkhill Green (P1) and, from Friday 4 December, Fridays at Oak Farm (P2), both notified."""
    assert invoke(demo, *oak_farm()).exit_code == 0
    placed = invoke(demo, *fridays_at_oak_farm())
    assert placed.exit_code == 0, placed.output
    notice = invoke(demo, "notice", LEO, "--placement", "P2")
    assert notice.exit_code == 0, notice.output
    return demo


def register(tmp_path: Path, text: str, name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def marks(demo: Path, case_id: str, first: str) -> list[tuple[str, str, str]]:
    shown = as_json(invoke(demo, "attendance", "show", case_id, "--json", today="2026-12-18"))
    return [(m["date"], m["session"], m["code"]) for m in shown["marks"] if m["date"] >= first]


def test_one_case_holds_both_placements_and_a_second_referral_by_upn_is_still_refused(leo_at_two: Path) -> None:
    shown = as_json(invoke(leo_at_two, "show", LEO, "--json"))["case"]
    placements = [(p["id"], p["provider"], p["weekdays"], p["alongside"]) for p in shown["placements"]]
    assert placements == [
        ("P1", "larkhill-green", ["mon", "tue", "wed", "thu"], False),
        ("P2", "oak-farm", ["fri"], True),
    ]
    assert [n["date"] for n in shown["placements"][1]["notices"]] == ["2026-11-27"]
    before = snapshot(leo_at_two)
    again = invoke(
        leo_at_two,
        "refer",
        "--name",
        "Leo Hartley",
        "--dob",
        "2017-03-14",
        "--year",
        "4",
        "--reason",
        "curriculum-needs",
        "--rationale",
        "Fridays at a farm",
        "--upn",
        LEO_UPN,
    )
    assert again.exit_code == 2 and LEO in again.stderr
    assert snapshot(leo_at_two) == before


def test_a_register_for_a_pupil_at_two_providers_needs_the_provider(leo_at_two: Path, tmp_path: Path) -> None:
    path = register(tmp_path, f"upn,date,session,mark\n{LEO_UPN},2026-12-04,AM,present\n")
    before = snapshot(leo_at_two)
    missing = invoke(leo_at_two, "attendance", "import", str(path), "--json", today="2026-12-04")
    assert missing.exit_code == 3
    assert json.loads(missing.stdout)["errors"] == [
        {"row": 2, "column": "date", "value": "2026-12-04", "message": BOTH}
    ]
    assert snapshot(leo_at_two) == before
    wrong_day = invoke(
        leo_at_two, "attendance", "import", str(path), "--provider", "larkhill-green", "--json", today="2026-12-04"
    )
    assert wrong_day.exit_code == 3
    assert [e["message"] for e in json.loads(wrong_day.stdout)["errors"]] == [
        "2026-12-04 is a Friday, not one of the placement's days; AP-2026-001 is at larkhill-green on mon, tue, wed, "
        "thu (P1, 2026-10-05 to 2027-02-12)"
    ]
    done = invoke(leo_at_two, "attendance", "import", str(path), "--provider", "oak-farm", "--json", today="2026-12-04")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["added"] == 1
    assert marks(leo_at_two, LEO, "2026-12-04") == [("2026-12-04", "AM", "D")]  # dual registered at Oak Farm


def test_a_day_before_the_second_placement_needs_no_provider(leo_at_two: Path, tmp_path: Path) -> None:
    path = register(tmp_path, f"upn,date,session,mark\n{LEO_UPN},2026-12-03,AM,present\n")
    done = invoke(leo_at_two, "attendance", "import", str(path), "--json", today="2026-12-04")
    assert done.exit_code == 0, done.output
    assert marks(leo_at_two, LEO, "2026-12-03") == [("2026-12-03", "AM", "B")]


def test_a_provider_column_codes_each_row_at_its_own_provider(leo_at_two: Path, tmp_path: Path) -> None:
    """The same word, present, is B at Larkhill Green and D at Oak Farm: the word's code is kept per provider."""
    path = register(
        tmp_path,
        "upn,provider,date,session,mark\n"
        f"{LEO_UPN},larkhill-green,2026-12-07,AM,present\n"
        f"{LEO_UPN},larkhill-green,2026-12-07,PM,present\n"
        f"{LEO_UPN},oak-farm,2026-12-11,AM,present\n"
        f"{LEO_UPN},oak-farm,2026-12-11,PM,ill\n",
    )
    done = invoke(leo_at_two, "attendance", "import", str(path), "--json", today="2026-12-11")
    assert done.exit_code == 0, done.output
    assert marks(leo_at_two, LEO, "2026-12-07") == [
        ("2026-12-07", "AM", "B"),
        ("2026-12-07", "PM", "B"),
        ("2026-12-11", "AM", "D"),
        ("2026-12-11", "PM", "I"),
    ]


def test_a_provider_column_is_checked(leo_at_two: Path, tmp_path: Path) -> None:
    path = register(
        tmp_path,
        "upn,provider,date,session,mark\n"
        f"{LEO_UPN},oak-farm,2026-12-07,AM,present\n"
        f"{LEO_UPN},nowhere,2026-12-11,AM,present\n",
    )
    result = invoke(leo_at_two, "attendance", "import", str(path), "--json", today="2026-12-11")
    assert result.exit_code == 3
    assert [(e["row"], e["message"]) for e in json.loads(result.stdout)["errors"]] == [
        (
            2,
            "2026-12-07 is a Monday, not one of the placement's days; AP-2026-001 is at oak-farm on fri (P2, "
            "2026-12-04 to 2026-12-18)",
        ),
        (3, "is not a provider in the register (ap provider list)"),
    ]
    given = invoke(
        leo_at_two, "attendance", "import", str(path), "--provider", "larkhill-green", "--json", today="2026-12-11"
    )
    assert given.exit_code == 3
    assert (
        json.loads(given.stdout)["errors"][0]["message"] == "is not larkhill-green, the provider given with --provider"
    )
    unknown = invoke(leo_at_two, "attendance", "import", str(path), "--provider", "elsewhere", today="2026-12-11")
    assert unknown.exit_code == 2
    assert (
        "--provider 'elsewhere' is not a provider in the register (brookside-tuition, cedar-house, larkhill-green, oak-farm)"
        in unknown.stderr
    )


def test_the_census_has_a_row_for_each_placement_and_the_pupil_s_total(leo_at_two: Path) -> None:
    result = invoke(leo_at_two, "export", "census", "--term", "Spring 2027", "--json", today="2027-01-21")
    assert result.exit_code == 0, result.output
    rows = [
        (
            r["case"],
            r["placement"],
            r["provider"],
            r["urn"],
            r["entry_date"],
            r["leaving_date"],
            r["sessions_per_week"],
            r["full_or_part_time"],
            r["pupil_sessions_per_week"],
            r["pupil_full_or_part_time"],
        )
        for r in json.loads(result.stdout)["placements"]
        if r["case"] == LEO
    ]
    assert rows == [
        (LEO, "P1", "larkhill-green", "999001", "2026-10-05", "", 8, "part time", 10, "full time"),
        (LEO, "P2", "oak-farm", "999123", "2026-12-04", "2026-12-18", 2, "part time", 10, "full time"),
    ]


def test_the_report_gives_each_placement_and_sums_them_for_the_pupil(leo_at_two: Path) -> None:
    """7 to 18 December: P1 has 8 days of its 63 (mon-thu from 5 October to 12 February, half term aside) at
    £5,355 (its extension's 23 days not yet notified, so not counted): £680.00;
    P2 has 2 of its 3 Fridays (4, 11, 18 December) at £140: £93.33, against Oak Farm's £70 a day: £140."""
    result = invoke(leo_at_two, "report", "--from", "2026-12-07", "--to", "2026-12-18", "--json", today="2026-12-18")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    leo = next(p for p in report["pupils"] if p["case"] == LEO)
    keys = ("provider", "days_commissioned", "sessions_commissioned", "cost", "cost_by_rate", "cost_in_period")
    assert [tuple(p[k] for k in ("placement", *keys)) for p in leo["placements"]] == [
        ("P1", "larkhill-green", 8, 16, "5355.00", "680.00", "680.00"),
        ("P2", "oak-farm", 2, 4, "140.00", "140.00", "93.33"),
    ]
    assert tuple(leo[k] for k in keys) == ("larkhill-green, oak-farm", 10, 20, "5495.00", "820.00", "773.33")
    assert (leo["start"], leo["end"], leo["cost_difference"]) == ("2026-10-05", "2027-02-12", "-46.67")
    oak = next(t for t in report["providers"] if t["label"] == "oak-farm")
    assert (oak["pupils"], oak["days_commissioned"], oak["cost"]) == (1, 2, "93.33")


def test_check_warns_of_a_full_time_pupil_at_a_provider_without_a_urn(leo_at_two: Path) -> None:
    """Leo is at school providers 10 sessions a week in all; once Oak Farm's file has no URN, ap check says so."""
    assert "PLACE-UNREGISTERED-FULL-TIME" not in invoke(leo_at_two, "check", LEO, "--json").stdout
    path = leo_at_two / "providers" / "oak-farm.yaml"
    path.write_text("".join(line for line in path.read_text().splitlines(True) if not line.startswith("urn:")))
    checked = invoke(leo_at_two, "check", LEO, "--json")
    assert checked.exit_code == 0  # a warning: the school may have answered it (the provider registering, say)
    found = json.loads(checked.stdout)["findings"]
    assert [(f["rule"], f["severity"], f["message"]) for f in found if f["rule"] == "PLACE-UNREGISTERED-FULL-TIME"] == [
        (
            "PLACE-UNREGISTERED-FULL-TIME",
            "warning",
            "the pupil is placed full time (10 sessions a week in total, 2 of them in P2 at oak-farm), and oak-farm "
            "has no URN: it is not a registered school",
        )
    ]


def test_a_full_time_pupil_at_an_unregistered_provider_is_refused_without_an_override(demo: Path) -> None:
    """Leo is at Larkhill Green 8 sessions a week; two more at Oak Farm, which has no URN, make him full time."""
    assert invoke(demo, *oak_farm(urn=None)).exit_code == 0
    before = snapshot(demo)
    refused = invoke(demo, *fridays_at_oak_farm())
    assert refused.exit_code == 1
    assert (
        "PLACE-UNREGISTERED-FULL-TIME (should): the pupil is placed full time (10 sessions a week in total, 2 of "
        "them in P2 at oak-farm), and oak-farm has no URN: it is not a registered school"
    ) in refused.stderr
    assert "Any provider of education should be registered as an independent school" in refused.stderr
    assert snapshot(demo) == before
    allowed = invoke(
        demo,
        *fridays_at_oak_farm(),
        "--override",
        "PLACE-UNREGISTERED-FULL-TIME",
        "--why",
        "Three Fridays only, before the pupil returns full time",
    )
    assert allowed.exit_code == 0, allowed.output
    overrides = as_json(invoke(demo, "show", LEO, "--json"))["case"]["overrides"]
    assert [o["rule"] for o in overrides] == ["PLACE-UNREGISTERED-FULL-TIME"]


RUBY = "AP-2026-004"  # agreed: parents accepted, headteacher approved on 2026-11-25; no placement yet


def test_a_part_time_pupil_at_an_unregistered_provider_is_allowed(demo: Path) -> None:
    """Ruby at Oak Farm (no URN) on Mondays and Tuesdays: 4 sessions a week, part time; every weekday: full time."""
    assert invoke(demo, *oak_farm(urn=None)).exit_code == 0
    args = fridays_at_oak_farm(start="2026-12-07", weekdays="mon,tue")
    args[1] = RUBY
    args.remove("--alongside")
    args[args.index("--end") + 1] = "2027-02-12"
    every_day = list(args)
    every_day[every_day.index("--weekdays") + 1] = "mon,tue,wed,thu,fri"
    refused = invoke(demo, *every_day)
    assert refused.exit_code == 1 and "PLACE-UNREGISTERED-FULL-TIME" in refused.stderr
    assert "10 sessions a week in total, 10 of them in P1 at oak-farm" in refused.stderr
    allowed = invoke(demo, *args)
    assert allowed.exit_code == 0, allowed.output
    census = as_json(invoke(demo, "export", "census", "--term", "Spring 2027", "--json", today="2027-01-21"))
    assert [r for r in census["placements"] if r["case"] == RUBY] == []  # no notice yet: it has not begun


def test_a_whole_case_at_two_providers(demo: Path, tmp_path: Path) -> None:
    """Ruby: Mondays and Tuesdays at Larkhill Green (P1, £1,275 for its 15 days) and, alongside, Thursdays at Oak
    Farm (P2, £560 for its 8 days), both from December; each provider's register imported on its own; P2 ended on
    its second Thursday. Then what is missing, what is due, the census and the report, on exact dates."""

    def place(provider: str, start: str, weekdays: str, cost: str, *more: str) -> list[str]:
        args = fridays_at_oak_farm(start=start, weekdays=weekdays)
        args[1] = RUBY
        args.remove("--alongside")
        args[args.index("--provider") + 1] = provider
        args[args.index("--end") + 1] = "2027-02-12"
        args[args.index("--cost") + 1] = cost
        return [*args, *more]

    def run(*args: str, today: str = "2026-11-27") -> dict[str, object] | list[dict[str, object]]:
        result = invoke(demo, *args, today=today)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else {}

    assert invoke(demo, *oak_farm()).exit_code == 0
    run(*place("larkhill-green", "2026-12-07", "mon,tue", "1275"))
    run("notice", RUBY)
    run(*place("oak-farm", "2026-12-10", "thu", "560", "--alongside"))
    run("notice", RUBY, "--placement", "P2")
    larkhill = register(
        tmp_path,
        "case,name,2026-12-07 AM,2026-12-07 PM,2026-12-08 AM,2026-12-08 PM,2026-12-14 AM,2026-12-14 PM,"
        "2026-12-15 AM,2026-12-15 PM\n"
        f"{RUBY},Ruby Walsh,present,present,present,present,present,absent,present,present\n",
        "larkhill.csv",
    )
    oak = register(tmp_path, f"case,date,session,mark\n{RUBY},2026-12-10,AM,present\n{RUBY},2026-12-10,PM,late\n")
    name = as_json(invoke(demo, "show", RUBY, "--json"))["case"]["pupil"]["name"]
    larkhill.write_text(larkhill.read_text().replace("Ruby Walsh", name))
    imported = run("attendance", "import", str(larkhill), "--provider", "larkhill-green", "--json", today="2026-12-16")
    assert isinstance(imported, dict) and imported["added"] == 8
    assert run("attendance", "import", str(oak), "--provider", "oak-farm", "--json", today="2026-12-16")["added"] == 2
    run("end", RUBY, "--placement", "P2", "--date", "2026-12-17", "--outcome", "withdrawn", today="2026-12-18")

    january = register(tmp_path, f"case,date,session,mark\n{RUBY},2027-01-05,AM,present\n", "january.csv")
    after = run("attendance", "import", str(january), "--json", today="2027-01-05")  # P2 has ended: no provider needed
    assert isinstance(after, dict) and after["added"] == 1

    shown = run("attendance", "show", RUBY, "--json", today="2026-12-18")
    assert isinstance(shown, dict)
    assert (shown["possible"], shown["attended"], shown["percent"]) == (11, 10, 90.9)
    assert shown["missing"] == [{"date": "2026-12-17", "session": "AM"}, {"date": "2026-12-17", "session": "PM"}]
    assert [(m["date"], m["session"], m["code"]) for m in shown["marks"]] == [  # type: ignore[attr-defined]
        ("2026-12-07", "AM", "B"),
        ("2026-12-07", "PM", "B"),
        ("2026-12-08", "AM", "B"),
        ("2026-12-08", "PM", "B"),
        ("2026-12-10", "AM", "D"),
        ("2026-12-10", "PM", "D"),
        ("2026-12-14", "AM", "B"),
        ("2026-12-14", "PM", "N"),
        ("2026-12-15", "AM", "B"),
        ("2026-12-15", "PM", "B"),
        ("2027-01-05", "AM", "B"),
    ]
    due = run("review", "due", "--case", RUBY, "--json", today="2026-12-18")
    assert isinstance(due, list)
    assert [(d["rule"], d["what"]) for d in due if d["rule"] == "ATT-ACCURATE"] == [
        (
            "ATT-ACCURATE",
            "2 session(s) without a mark since 2026-12-17: import the provider's register (ap attendance import); "
            "still owed after P2 ended on 2026-12-17 (do it, or write it off: ap write-off AP-2026-004 ATT-ACCURATE "
            "--why ...)",
        )
    ]

    census = run("export", "census", "--term", "Spring 2027", "--json", today="2027-01-21")
    assert isinstance(census, dict)
    assert [
        tuple(r[k] for k in ("placement", "provider", "entry_date", "leaving_date", "sessions_per_week"))
        + tuple(r[k] for k in ("pupil_sessions_per_week", "pupil_full_or_part_time"))
        for r in census["placements"]
        if r["case"] == RUBY
    ] == [
        ("P1", "larkhill-green", "2026-12-07", "", 4, 6, "part time"),
        ("P2", "oak-farm", "2026-12-10", "2026-12-17", 2, 6, "part time"),
    ]

    report = run("report", "--term", "Autumn 2026", "--json", today="2026-12-18")
    assert isinstance(report, dict)
    ruby = next(p for p in report["pupils"] if p["case"] == RUBY)
    keys = ("provider", "outcome", "days_commissioned", "sessions_commissioned", "possible", "attended")
    money = ("cost", "cost_in_period", "cost_to_date", "cost_per_attended_session")
    assert [tuple(p[k] for k in ("placement", *keys, *money)) for p in ruby["placements"]] == [
        ("P1", "larkhill-green", "still placed", 4, 8, 8, 7, "1275.00", "340.00", "340.00", "48.57"),
        ("P2", "oak-farm", "withdrawn", 2, 4, 2, 2, "560.00", "140.00", "140.00", "35.00"),
    ]  # P2: 17 Dec is not marked, so only 10 Dec counts: 560 / 8 = £70.00 over its 2 sessions (issue 16)
    assert [(p["marked_days"], p["unmarked_sessions"], p["cost_of_marked_days"]) for p in ruby["placements"]] == [
        (4, 0, "340.00"),
        (1, 2, "70.00"),
    ]
    assert tuple(ruby[k] for k in (*keys, *money)) == (
        "larkhill-green, oak-farm",
        "still placed",
        6,
        12,
        10,
        9,
        "1835.00",
        "480.00",
        "480.00",
        "45.56",
    )  # (340 + 70) / (7 + 2) on the marked days
