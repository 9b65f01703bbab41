"""`ap export census`: census days, the collection period, and the rows for the demo and for each kind of setting.

The expected file for the demo was written by hand from the demo's story: on the spring 2027
census day (Thursday 21 January 2027; the period runs from the autumn census day, Thursday
1 October 2026) Leo Hartley's placement (Mon-Thu, 5 Oct to 18 Dec) has ended, Maisie Cole's
(Tue and Thu from 1 Dec) is open, and Amelia Ross's (Mon-Wed, ended 23 Oct) ended in the
period. Tyler Ward's placement has had no notice, so it never began and is not reported.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from apcli.errors import UsageError
from apcli.model.schema import Case, upgrade_case_data
from apcli.records.store import Records
from apcli.reports.census import census_days, census_in_term
from tests.conftest import as_json, invoke

D = dt.date
EXPECTED = Path(__file__).parent / "expected"


@pytest.mark.parametrize(
    ("year", "name", "day"),
    [
        (2023, "summer", D(2023, 5, 18)),  # the dates DfE gave for the autumn 2023 collection period
        (2023, "autumn", D(2023, 10, 5)),
        (2024, "spring", D(2024, 1, 18)),
        (2026, "autumn", D(2026, 10, 1)),
        (2027, "spring", D(2027, 1, 21)),
        (2027, "summer", D(2027, 5, 20)),
    ],
)
def test_census_days_are_the_first_thursday_of_october_and_third_of_january_and_may(
    year: int, name: str, day: dt.date
) -> None:
    assert (day, name) in census_days(range(year, year + 1))


@given(st.integers(min_value=2000, max_value=2100))
def test_every_census_day_is_a_thursday_in_its_week_of_the_month(year: int) -> None:
    days = census_days(range(year, year + 1))
    assert [name for _, name in days] == ["spring", "summer", "autumn"]
    for day, name in days:
        assert day.weekday() == 3
        assert (day.day - 1) // 7 == (0 if name == "autumn" else 2)


def test_a_term_without_a_census_day_is_refused() -> None:
    with pytest.raises(UsageError, match="No census day falls in"):
        census_in_term(D(2027, 6, 1), D(2027, 7, 20), "Summer 2 only")


def test_the_demo_spring_census_matches_the_hand_written_file(demo: Path) -> None:
    result = invoke(demo, "export", "census", "--term", "Spring 2027", "--csv", today="2027-01-21")
    assert result.exit_code == 0, result.output
    assert result.stdout == (EXPECTED / "census-spring-2027.csv").read_text()
    assert "AP-2026-001: no census code for 'exclusion-risk'" in result.stderr


def test_the_autumn_census_holds_only_what_had_begun_by_census_day(demo: Path) -> None:
    data = as_json(invoke(demo, "export", "census", "--json", today="2026-11-27"))
    assert (data["census"], data["census_day"], data["period"]) == (
        "autumn 2026",
        "2026-10-01",
        {"from": "2026-05-21", "to": "2026-10-01"},
    )
    rows = data["placements"]
    assert [(r["case"], r["entry_date"], r["leaving_date"]) for r in rows] == [("AP-2026-006", "2026-09-14", "")]


def test_a_census_day_still_to_come_is_said(demo: Path) -> None:
    result = invoke(demo, "export", "census", "--term", "Summer 2027", today="2027-01-21")
    assert result.exit_code == 0, result.output
    # Leo's placement now runs to 12 February (extended), past the summer census's period start (21 January)
    assert "AP-2026-002" in result.stdout and "AP-2026-001" in result.stdout and "AP-2026-006" not in result.stdout
    assert "Census day (2027-05-20) is still to come" in result.stderr


def test_reason_codes_come_from_the_settings(demo: Path) -> None:
    settings = demo / "ap-settings.yaml"
    text = settings.read_text()
    assert "census_reason_codes: {}\n" in text
    settings.write_text(text.replace("census_reason_codes: {}\n", "census_reason_codes:\n  exclusion-risk: X1\n"))
    rows = as_json(invoke(demo, "export", "census", "--term", "Spring 2027", "--json", today="2027-01-21"))[
        "placements"
    ]
    leo = next(r for r in rows if r["case"] == "AP-2026-001")
    assert (leo["reason_code"], leo["problems"]) == ("X1", [])


@pytest.mark.parametrize(
    ("option", "value", "expect"),
    [
        ("--urn", "123456", {"urn": "123456", "ukprn": "", "setting_type": ""}),
        ("--ukprn", "10012345", {"urn": "", "ukprn": "10012345", "setting_type": ""}),
        ("--setting-type", "oot", {"urn": "", "ukprn": "", "setting_type": "OOT"}),
        (None, None, {"urn": "", "ukprn": "", "setting_type": ""}),
    ],
)
def test_one_of_urn_ukprn_or_setting_type_and_sessions_a_week(
    demo: Path, option: str | None, value: str | None, expect: dict[str, str]
) -> None:
    """A single-session provider open every weekday gives 5 sessions a week; a two-session one 10 (full time)."""
    for provider_id, times in (
        ("tutor-one", ["--session-start", "09:30", "--session-end", "12:00"]),
        (
            "tutor-two",
            ["--morning-start", "09:00", "--break-start", "12:00", "--break-end", "13:00", "--afternoon-end", "15:00"],
        ),
    ):
        args = [
            "provider",
            "add",
            provider_id,
            "--name",
            "Tutor",
            "--address",
            "1 Road, ZZ1 1ZZ",
            "--contact",
            "A Tutor",
        ]
        args += ["--code", "B", "--daily-cost", "60", *times]
        args += ["--safeguarding-confirmed", "2027-01-05", "--staff-checks-confirmed", "2027-01-05"]
        args += [option, value] if option and value else []
        assert invoke(demo, *args).exit_code == 0
    records = Records.open(demo)
    template = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    for case_id, provider in (("AP-2027-001", "tutor-one"), ("AP-2027-002", "tutor-two")):
        data = dict(template)
        data["placement"] = {
            "provider": provider,
            "start": D(2027, 1, 11),
            "end": D(2027, 3, 19),
            "aims": ["x"],
            "report_to": "x",
            "cost": Decimal("600"),
            "approved_by": "academy",
            "approved_on": D(2027, 1, 4),
            "agreement": {"reference": "A", "signed": D(2027, 1, 4)},
        }
        data["notices"] = [
            {"date": D(2027, 1, 5), "method": "hand", "start": D(2027, 1, 11), "end": D(2027, 3, 19), "to": ["x"]}
        ]
        records.save_case(case_id, Case.model_validate(upgrade_case_data(data)), None)
    result = invoke(demo, "export", "census", "--term", "Spring 2027", "--json", today="2027-01-21")
    rows = {r["case"]: r for r in as_json(result)["placements"]}
    one, two = rows["AP-2027-001"], rows["AP-2027-002"]
    for row in (one, two):
        assert {key: row[key] for key in expect} == expect
        assert row["entry_date"] == "2027-01-11" and row["leaving_date"] == ""
    assert (one["sessions_per_week"], one["full_or_part_time"]) == (5, "part time")
    assert (two["sessions_per_week"], two["full_or_part_time"]) == (10, "full time")
    if option is None:
        assert "the provider has no URN, UKPRN or setting type" in " ".join(one["problems"])


def test_a_setting_type_beside_a_urn_is_refused(demo: Path) -> None:
    path = demo / "providers" / "larkhill-green.yaml"
    path.write_text(path.read_text() + "setting_type: OTH\n")
    result = invoke(demo, "export", "census")
    assert result.exit_code == 3
    assert "setting_type is only for a provider with no URN or UKPRN" in result.output


def test_provider_add_takes_one_census_identifier(demo: Path) -> None:
    result = invoke(
        demo, "provider", "add", "x", "--name", "X", "--address", "A", "--contact", "C", "--code", "B",
        "--daily-cost", "1", "--session-start", "09:00", "--session-end", "12:00",
        "--safeguarding-confirmed", "2027-01-05", "--staff-checks-confirmed", "2027-01-05",
        "--urn", "123456", "--setting-type", "OTH",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "not more: the census takes one" in result.output
    assert not (demo / "providers" / "x.yaml").exists()


def test_an_unknown_term_and_two_formats_are_usage_errors(demo: Path) -> None:
    unknown = invoke(demo, "export", "census", "--term", "Autumn 2030")
    assert unknown.exit_code == 2 and "not a term in calendar.yaml" in unknown.output
    both = invoke(demo, "export", "census", "--csv", "--json")
    assert both.exit_code == 2 and "not both" in both.output


def test_a_period_with_no_placements_says_so(demo: Path) -> None:
    for path in (demo / "cases").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        if data.get("placements"):
            path.unlink()
            path.with_suffix(".attendance.csv").unlink(missing_ok=True)
    result = invoke(demo, "export", "census", "--term", "Spring 2027", today="2027-01-21")
    assert result.exit_code == 0, result.output
    assert "placements from 2026-10-01: none." in result.stdout


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(demo: Path) -> None:
    path = demo / "cases" / "AP-2026-001.yaml"
    path.write_text(path.read_text().replace("name: Leo Hartley", 'name: \'=HYPERLINK("http://x","Leo")\''))
    result = invoke(demo, "export", "census", "--term", "Spring 2027", "--csv", today="2027-01-21")
    assert result.exit_code == 0, result.output
    assert "'=HYPERLINK" in result.stdout
    assert ",=HYPERLINK" not in result.stdout
