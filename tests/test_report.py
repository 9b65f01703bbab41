"""`ap report`: every figure against a hand-computed example, the HTML charts, and bad periods."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from apcli.model.schema import Case, upgrade_case_data
from apcli.records.store import Records
from tests.conftest import as_json, invoke

D = dt.date


@pytest.fixture
def two_pupils(demo: Path, tmp_path: Path) -> Path:
    """Two pupils at two providers from Monday 26 April 2027, over the May Day bank holiday.

    AP-2027-001 at Larkhill Green (£85 a day), every weekday to Fri 7 May: 9 days (3 May is a bank
    holiday), agreed at £800 (9 x £85 = £765, £35 more); ill all day on Tue 27 April.
    AP-2027-002 at Oak Farm (£70 a day), every weekday to Fri 21 May: 19 days at £1,330 (= 19 x £70);
    broke down on Wed 5 May after 7 days, all attended.
    """
    assert (
        invoke(
            demo,
            "provider",
            "add",
            "oak-farm",
            "--name",
            "Oak Farm",
            "--address",
            "Oak Farm, ZZ9 9ZZ",
            "--contact",
            "Ada Price",
            "--code",
            "B",
            "--session-start",
            "09:30",
            "--session-end",
            "14:30",
            "--daily-cost",
            "70",
            "--safeguarding-confirmed",
            "2027-01-05",
            "--staff-checks-confirmed",
            "2027-01-05",
        ).exit_code
        == 0
    )
    records = Records.open(demo)
    template = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    for case_id, provider, end, cost, ending in (
        ("AP-2027-001", "larkhill-green", D(2027, 5, 7), Decimal("800"), None),
        ("AP-2027-002", "oak-farm", D(2027, 5, 21), Decimal("1330"), {"date": D(2027, 5, 5), "outcome": "breakdown"}),
    ):
        data = dict(template)
        data["pupil"] = {**template["pupil"], "name": f"Pupil {case_id[-1]}"}
        data["placement"] = {
            "provider": provider,
            "start": D(2027, 4, 26),
            "end": end,
            "aims": ["x"],
            "report_to": "x",
            "start_time": "09:15",
            "cost": cost,
            "approved_by": "academy",
            "approved_on": D(2027, 4, 1),
            "agreement": {"reference": "A", "signed": D(2027, 4, 1)},
        }
        data["notices"] = [{"date": D(2027, 4, 20), "method": "hand", "start": D(2027, 4, 26), "end": end, "to": ["x"]}]
        data["ending"] = ending
        if case_id == "AP-2027-001":
            data["targets"] = [{"measure": "behaviour", "baseline": 6, "goal": 2, "date": D(2027, 4, 26)}]
            data["measures"] = [
                {"measure": "behaviour", "value": 4, "date": D(2027, 4, 30)},
                {"measure": "behaviour", "value": 3, "date": D(2027, 5, 7)},
            ]
        records.save_case(case_id, Case.model_validate(upgrade_case_data(data)), None)
    days_1 = [
        "2027-04-26",
        "2027-04-27",
        "2027-04-28",
        "2027-04-29",
        "2027-04-30",
        "2027-05-04",
        "2027-05-05",
        "2027-05-06",
        "2027-05-07",
    ]
    rows = [f"AP-2027-001,{d},{s},{'I' if d == '2027-04-27' else 'B'}" for d in days_1 for s in ("AM", "PM")]
    rows += [f"AP-2027-002,{d},{s},B" for d in days_1[:7] for s in ("AM", "PM")]
    register = tmp_path / "register.csv"
    register.write_text("case,date,session,mark\n" + "\n".join(rows) + "\n")
    assert invoke(demo, "attendance", "import", str(register), today="2027-05-07").exit_code == 0
    return demo


def test_every_figure_against_the_hand_computed_example(two_pupils: Path) -> None:
    report = as_json(
        invoke(two_pupils, "report", "--from", "2027-04-01", "--to", "2027-05-31", "--json", today="2027-05-07")
    )
    one, two = report["pupils"]
    assert (one["case"], one["provider"], one["outcome"]) == ("AP-2027-001", "larkhill-green", "still placed")
    assert (
        one["days_commissioned"],
        one["sessions_commissioned"],
        one["possible"],
        one["attended"],
        one["percent"],
    ) == (9, 18, 18, 16, 88.9)
    assert (one["cost"], one["cost_in_period"], one["cost_by_rate"], one["cost_difference"]) == (
        "800.00",
        "800.00",
        "765.00",
        "35.00",
    )
    assert (one["cost_to_date"], one["cost_per_attended_session"], one["length_days"]) == ("800.00", "50.00", 9)
    assert one["targets"] == [
        {"measure": "behaviour", "baseline": 6.0, "goal": 2.0, "latest": 3.0, "direction": "towards the goal"}
    ]
    assert (one["reviews_held"], one["reviews_due"]) == (0, 1)
    assert (two["case"], two["provider"], two["outcome"], two["end"]) == (
        "AP-2027-002",
        "oak-farm",
        "breakdown",
        "2027-05-05",
    )
    assert (two["days_commissioned"], two["possible"], two["attended"], two["percent"]) == (7, 14, 14, 100.0)
    # 7 of its 19 days fell before it broke down: £1,330 x 7/19 = £490 in the period, and 7 x £70 = £490.
    assert (two["cost"], two["cost_in_period"], two["cost_by_rate"], two["cost_difference"]) == (
        "1330.00",
        "490.00",
        "490.00",
        "0.00",
    )
    assert (two["cost_to_date"], two["cost_per_attended_session"], two["length_days"]) == ("490.00", "35.00", 7)
    providers = {p["label"]: p for p in report["providers"]}
    assert providers["larkhill-green"]["cost_per_attended_session"] == "50.00"
    assert providers["oak-farm"]["cost_per_attended_session"] == "35.00"
    total = report["total"]
    assert (total["pupils"], total["days_commissioned"], total["possible"], total["attended"], total["percent"]) == (
        2,
        16,
        32,
        30,
        93.8,
    )
    assert (total["cost"], total["missing_costs"], total["cost_per_attended_session"]) == ("1290.00", 0, "43.00")


def test_a_missing_cost_is_missing_not_zero(two_pupils: Path) -> None:
    path = two_pupils / "cases" / "AP-2027-002.yaml"
    path.write_text(path.read_text().replace("    cost: 1330\n", ""))
    report = as_json(
        invoke(two_pupils, "report", "--from", "2027-04-01", "--to", "2027-05-31", "--json", today="2027-05-07")
    )
    two = report["pupils"][1]
    assert two["cost"] is None and two["cost_per_attended_session"] is None and two["cost_difference"] is None
    assert report["total"]["missing_costs"] == 1 and report["total"]["cost"] == "800.00"
    assert (two["cost_why_none"], two["cost_per_attended_session_why_none"]) == ("no cost recorded", "no cost recorded")
    assert report["total"]["no_cost_recorded"] == 1

    text = invoke(two_pupils, "report", "--from", "2027-04-01", "--to", "2027-05-31", today="2027-05-07").stdout
    assert "no cost recorded" in text and "missing" not in text


def test_terms_add_up_to_the_year(demo: Path) -> None:
    def cost(*args: str) -> Decimal:
        return Decimal(as_json(invoke(demo, "report", *args, "--json", today="2027-07-20"))["total"]["cost"])

    terms = cost("--term", "Autumn 2026") + cost("--term", "Spring 2027") + cost("--term", "Summer 2027")
    assert abs(terms - cost("--year", "2026/27")) <= Decimal("0.05")  # pro rata, so no term counts a whole agreement


class Charts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.charts.append(dict(attrs))


def test_the_html_report_has_one_chart_per_pupil_and_per_target(two_pupils: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    result = invoke(
        two_pupils, "report", "--from", "2027-04-01", "--to", "2027-05-31", "--html", str(path), today="2027-05-07"
    )
    assert result.exit_code == 0, result.output
    html = path.read_text()
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    parser = Charts()
    parser.feed(html)
    kinds = [(c["data-chart"], c["data-case"]) for c in parser.charts]
    assert kinds.count(("attendance", "AP-2027-001")) == 1 and kinds.count(("attendance", "AP-2027-002")) == 1
    assert kinds.count(("target", "AP-2027-001")) == 1
    assert [k for k, _ in kinds].count("cost") == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2027-05-31", "--to", "2027-04-01"], "is after --to"),
        (["--term", "Winter 2027"], "not a term"),
        (["--year", "2027"], "not a school year"),
        (["--from", "2027-04-01"], "go together"),
        (["--term", "Spring 2027", "--year", "2026/27"], "one period"),
    ],
)
def test_bad_periods(demo: Path, args: list[str], says: str) -> None:
    result = invoke(demo, "report", *args)
    assert result.exit_code == 2 and says in result.stderr


def test_an_empty_period_says_so(demo: Path) -> None:
    result = invoke(demo, "report", "--from", "2025-01-01", "--to", "2025-02-01")
    assert result.exit_code == 0 and "No placements" in result.stdout
    assert as_json(invoke(demo, "report", "--year", "2024/25", "--json"))["pupils"] == []


def test_a_trusts_total_adds_up_its_schools_whose_case_ids_are_the_same(demo: Path, tmp_path: Path) -> None:
    """Each school numbers its own cases from AP-2026-001: two schools' pupils are added up, never matched by
    case id (the total once counted the same five ids once: 5 pupils where there were 10)."""
    import dataclasses
    import shutil

    from typer.testing import CliRunner

    from apcli.cli.app import app
    from apcli.reports.money import combined

    other = tmp_path / "second-school"
    shutil.copytree(demo, other)
    args = ["--today", "2026-11-27", "report", "--records", str(demo), "--records", str(other), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"--records {demo} and --records {other} name the same school" in result.stderr  # a copy: allowed, said
    assert "counted twice" in result.stderr
    data = as_json(result)
    one = as_json(invoke(demo, "report", "--json", today="2026-11-27"))["total"]
    total = data["total"]
    assert one["pupils"] > 0 and total["pupils"] == 2 * one["pupils"]
    for key in ("days_commissioned", "possible", "attended", "missing_costs", "unmarked_sessions"):
        assert total[key] == 2 * one[key], key
    assert Decimal(total["cost"]) == 2 * Decimal(one["cost"]) and total["percent"] == one["percent"]
    text = CliRunner().invoke(app, args[:-1])
    assert text.exit_code == 0 and re.search(rf"│ all\b[^│]*│ {total['pupils']} ", text.stdout), text.stdout
    # one school's totals, combined alone, are its own
    from apcli.reports.money import build_report, choose_period

    records = Records.open(demo)
    day = dt.date(2026, 11, 27)
    report = build_report(records, choose_period(records, day, None, None, None, None), day)
    assert combined(report.total.label, [report.total]) == dataclasses.replace(report.total, name=report.total.label)


def test_a_trusts_view_combines_schools_without_names(two_pupils: Path, tmp_path: Path) -> None:
    other = tmp_path / "second-school"
    assert invoke(None, "init", str(other), "--demo").exit_code == 0
    from typer.testing import CliRunner

    from apcli.cli.app import app

    args = [
        "--today",
        "2027-05-07",
        "report",
        "--from",
        "2027-04-01",
        "--to",
        "2027-05-31",
        "--records",
        str(two_pupils),
        "--records",
        str(other),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert [len(s["pupils"]) for s in data["schools"]] == [2, 0]
    assert "pupil" not in data["schools"][0]["pupils"][0]  # names left out of a trust's view
    assert data["total"]["attended"] == 30 and data["total"]["label"] == "all schools"
    with_names = as_json(CliRunner().invoke(app, [*args, "--names"]))
    assert with_names["schools"][0]["pupils"][0]["pupil"] == "Pupil 1"
    missing = CliRunner().invoke(app, ["report", "--records", str(two_pupils), "--records", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "nowhere" in missing.stderr and not missing.stdout


@pytest.mark.parametrize("spelling", ["same", "dotted", "link"])
def test_a_trusts_view_refuses_one_folder_given_twice(demo: Path, tmp_path: Path, spelling: str) -> None:
    """The same school given twice, however spelt, would count its every pupil and pound twice in the total."""
    from typer.testing import CliRunner

    from apcli.cli.app import app

    again = {"same": str(demo), "dotted": f"{demo}/./", "link": str(tmp_path / "link")}[spelling]
    if spelling == "link":
        (tmp_path / "link").symlink_to(demo, target_is_directory=True)
    args = ["--today", "2026-11-27", "report", "--records", str(demo), "--records", again, "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and result.stdout == ""
    assert "is the same folder as --records" in result.stderr and "Traceback" not in result.output


def test_a_trusts_view_names_the_folders_of_one_school_however_its_name_is_written(demo: Path, tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from apcli.cli.app import app

    copy, other = tmp_path / "copy", tmp_path / "other"
    shutil.copytree(demo, copy)
    shutil.copytree(demo, other)
    for folder, name in ((copy, "  hollybank primary   ACADEMY (fictional) "), (other, "Another Academy (fictional)")):
        settings = folder / "ap-settings.yaml"
        settings.write_text(
            settings.read_text().replace('"Hollybank Primary Academy (fictional)"', f'"{name}"', 1), encoding="utf-8"
        )
    args = ["--today", "2026-11-27", "report", "--records", str(demo), "--records", str(other), "--records", str(copy)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0 and as_json(result)["total"]["pupils"] > 0
    assert f"--records {demo} and --records {copy} name the same school" in result.stderr
    assert str(other) not in result.stderr and "counted twice" in result.stderr
