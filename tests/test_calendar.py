"""The school calendar: school days, half terms and counting (apcli/model/calendar.py, CalendarFile in apcli/model/schema.py).

Bank holidays are England's real ones, from the `holidays` package (the default `england_bank_holidays`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from apcli.model.calendar import SchoolCalendar, england_bank_holidays
from apcli.model.schema import CalendarFile, Span, Term

D = dt.date

# A Staffordshire-like 2026/27.
CALENDAR: dict[str, Any] = {
    "terms": [
        {
            "name": "Autumn 2026",
            "start": "2026-09-02",
            "end": "2026-12-18",
            "half_term": {"start": "2026-10-26", "end": "2026-10-30"},
        },
        {
            "name": "Spring 2027",
            "start": "2027-01-04",
            "end": "2027-03-25",
            "half_term": {"start": "2027-02-15", "end": "2027-02-19"},
        },
        {
            "name": "Summer 2027",
            "start": "2027-04-12",
            "end": "2027-07-20",
            "half_term": {"start": "2027-05-31", "end": "2027-06-04"},
        },
    ],
    "closures": ["2027-01-04", "2027-07-20"],
}


@pytest.fixture(scope="module")
def cal() -> SchoolCalendar:
    return SchoolCalendar(CalendarFile.model_validate(CALENDAR, strict=False))


def brute_force_count(cal: SchoolCalendar, first: dt.date, last: dt.date) -> int:
    count, day = 0, first
    while day <= last:
        count += cal.is_school_day(day)
        day += dt.timedelta(days=1)
    return count


# --- building the calendar ----------------------------------------------------------


def test_default_bank_holidays_are_englands() -> None:
    holidays = england_bank_holidays([2026, 2027])
    assert "May Day" in holidays[D(2027, 5, 3)]
    assert "Christmas" in holidays[D(2026, 12, 25)]
    assert D(2026, 12, 28) in holidays  # Boxing Day (observed), a substitute day
    assert D(2027, 3, 17) not in holidays  # St Patrick's Day is Northern Ireland only


def test_bank_holidays_are_the_holidays_packages_own_to_the_day_and_name() -> None:
    """ap loads the package's United Kingdom module itself (not all 279 countries): the same days and names as
    the package's public way, over years with moved and one-off bank holidays (1995 and 2020's VE Day, the
    jubilees of 2002, 2012 and 2022, the royal wedding of 2011, the Queen's funeral, the coronation)."""
    import subprocess
    import sys

    import holidays

    years = list(range(1990, 2041))
    assert england_bank_holidays(years) == {
        day: str(name)
        for day, name in holidays.country_holidays("GB", subdiv="ENG", years=years, language="en_GB").items()
    }
    assert D(2023, 5, 8) in england_bank_holidays([2023]) and D(2022, 9, 19) in england_bank_holidays([2022])
    found = subprocess.run(
        [sys.executable, "-c", "import sys; from apcli.model.calendar import england_bank_holidays as e; "
         "e([2026]); print('holidays.countries' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert found.stdout.strip() == "False"  # loaded without the package's 279 countries


@pytest.mark.parametrize("setting", ["LANGUAGE", "LC_ALL", "LANG"])
@pytest.mark.parametrize("language", ["th", "ur_PK", "en_US"])
def test_bank_holidays_are_named_in_british_english_whatever_the_machines_language(setting: str, language: str) -> None:
    """The names go into letters, the calendar's listing and the index, which keeps the first run's."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LANG": "", setting: f"{language}.UTF-8"}
    found = subprocess.run(
        [sys.executable, "-c", "from apcli.model.calendar import england_bank_holidays as e; import datetime as d; "
         "h = e([2026]); print(h[d.date(2026, 4, 3)], '|', h[d.date(2026, 12, 28)])"],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    assert found.stdout.strip() == "Good Friday | Boxing Day (observed)"


def test_calendar_uses_the_bank_holidays_of_every_year_its_terms_touch(cal: SchoolCalendar) -> None:
    assert cal.bank_holidays == england_bank_holidays([2026, 2027])


def test_calendar_built_from_real_dates_matches_the_one_read_from_text(cal: SchoolCalendar) -> None:
    file = CalendarFile(
        terms=[
            Term(
                name="Autumn 2026",
                start=D(2026, 9, 2),
                end=D(2026, 12, 18),
                half_term=Span(start=D(2026, 10, 26), end=D(2026, 10, 30)),
            ),
            Term(
                name="Spring 2027",
                start=D(2027, 1, 4),
                end=D(2027, 3, 25),
                half_term=Span(start=D(2027, 2, 15), end=D(2027, 2, 19)),
            ),
            Term(
                name="Summer 2027",
                start=D(2027, 4, 12),
                end=D(2027, 7, 20),
                half_term=Span(start=D(2027, 5, 31), end=D(2027, 6, 4)),
            ),
        ],
        closures=[D(2027, 1, 4), D(2027, 7, 20)],
    )
    assert file == cal.file
    assert SchoolCalendar(file).school_days == cal.school_days


def test_covers(cal: SchoolCalendar) -> None:
    assert cal.covers == (D(2026, 9, 2), D(2027, 7, 20))
    assert SchoolCalendar(CalendarFile()).covers is None


def test_an_empty_calendar_has_no_school_days() -> None:
    empty = SchoolCalendar(CalendarFile())
    assert empty.school_days == []
    assert not empty.is_school_day(D(2027, 1, 11))
    assert empty.why_not_school_day(D(2027, 1, 11)) == "outside the terms in calendar.yaml"
    assert empty.school_day_after(D(2027, 1, 11)) is None
    assert empty.school_day_before(D(2027, 1, 11)) is None
    assert empty.count_school_days(D(2026, 1, 1), D(2027, 12, 31)) == 0


# --- which days are school days -----------------------------------------------------


@pytest.mark.parametrize("day", [D(2027, 1, 11), D(2026, 9, 2), D(2026, 12, 18), D(2027, 3, 25), D(2027, 7, 19)])
def test_ordinary_term_weekdays_are_school_days(cal: SchoolCalendar, day: dt.date) -> None:
    assert cal.is_school_day(day)
    assert cal.why_not_school_day(day) is None


@pytest.mark.parametrize(("day", "weekday"), [(D(2027, 1, 9), "Saturday"), (D(2027, 1, 10), "Sunday")])
def test_weekends_are_not_school_days(cal: SchoolCalendar, day: dt.date, weekday: str) -> None:
    assert not cal.is_school_day(day)
    assert cal.why_not_school_day(day) == f"a {weekday}"


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (D(2026, 10, 26), "Autumn 2026"),
        (D(2026, 10, 30), "Autumn 2026"),
        (D(2027, 2, 17), "Spring 2027"),
        (D(2027, 6, 1), "Summer 2027"),
        (D(2027, 5, 31), "Summer 2027"),  # also the Spring Bank Holiday: the half term is the reason given
    ],
)
def test_half_term_days_are_not_school_days(cal: SchoolCalendar, day: dt.date, term: str) -> None:
    assert not cal.is_school_day(day)
    assert cal.why_not_school_day(day) == f"in the {term} half-term holiday"


def test_may_day_inside_the_summer_term_is_not_a_school_day(cal: SchoolCalendar) -> None:
    day = D(2027, 5, 3)
    assert cal.term_of(day) is not None
    assert not cal.is_school_day(day)
    reason = cal.why_not_school_day(day)
    assert reason is not None
    assert reason.startswith("a bank holiday")
    assert "May Day" in reason
    # The days either side are ordinary school days.
    assert cal.is_school_day(D(2027, 4, 30))
    assert cal.is_school_day(D(2027, 5, 4))


@pytest.mark.parametrize("day", [D(2026, 12, 25), D(2026, 12, 28), D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29)])
def test_bank_holidays_in_the_holidays_are_not_school_days(cal: SchoolCalendar, day: dt.date) -> None:
    assert day in cal.bank_holidays
    assert not cal.is_school_day(day)
    assert cal.why_not_school_day(day) is not None


def test_no_bank_holiday_is_a_school_day(cal: SchoolCalendar) -> None:
    assert not set(cal.bank_holidays) & set(cal.school_days)


@pytest.mark.parametrize("day", [D(2027, 1, 4), D(2027, 7, 20)])
def test_closures_are_not_school_days(cal: SchoolCalendar, day: dt.date) -> None:
    assert cal.term_of(day) is not None
    assert not cal.is_school_day(day)
    assert cal.why_not_school_day(day) == "a closure (INSET) day in calendar.yaml"


@pytest.mark.parametrize(
    "day",
    [D(2026, 9, 1), D(2026, 8, 3), D(2026, 12, 21), D(2026, 12, 31), D(2027, 4, 9), D(2027, 7, 21), D(2027, 9, 1)],
)
def test_weekdays_outside_the_terms_are_not_school_days(cal: SchoolCalendar, day: dt.date) -> None:
    assert day.weekday() < 5
    assert cal.term_of(day) is None
    assert not cal.is_school_day(day)
    assert cal.why_not_school_day(day) == "outside the terms in calendar.yaml"


def test_term_of(cal: SchoolCalendar) -> None:
    autumn = cal.term_of(D(2026, 11, 2))
    assert autumn is not None
    assert autumn.name == "Autumn 2026"
    spring = cal.term_of(D(2027, 1, 4))
    assert spring is not None
    assert spring.name == "Spring 2027"
    assert cal.term_of(D(2027, 4, 1)) is None


# --- half terms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "half"),
    [
        (D(2026, 9, 2), "Autumn 2026, first half"),
        (D(2026, 10, 23), "Autumn 2026, first half"),
        (D(2026, 10, 26), None),
        (D(2026, 10, 30), None),
        (D(2026, 11, 2), "Autumn 2026, second half"),
        (D(2026, 12, 18), "Autumn 2026, second half"),
        (D(2027, 2, 12), "Spring 2027, first half"),
        (D(2027, 2, 22), "Spring 2027, second half"),
        (D(2027, 5, 28), "Summer 2027, first half"),
        (D(2027, 6, 7), "Summer 2027, second half"),
        (D(2026, 12, 25), None),
        (D(2026, 8, 1), None),
    ],
)
def test_half_term_of(cal: SchoolCalendar, day: dt.date, half: str | None) -> None:
    assert cal.half_term_of(day) == half


def test_half_term_of_a_term_without_a_half_term_is_the_term() -> None:
    file = CalendarFile.model_validate(
        {"terms": [{"name": "Summer 2027", "start": "2027-06-07", "end": "2027-07-20"}]}, strict=False
    )
    assert SchoolCalendar(file).half_term_of(D(2027, 6, 8)) == "Summer 2027"


# --- counting -----------------------------------------------------------------------


def test_count_school_days_in_each_half_and_term(cal: SchoolCalendar) -> None:
    # Autumn: 2-4 Sept (3) + 7 Sept to 23 Oct (35); 2 Nov to 18 Dec (35).
    assert cal.count_school_days(D(2026, 9, 1), D(2026, 10, 25)) == 38
    assert cal.count_school_days(D(2026, 10, 26), D(2026, 12, 31)) == 35
    # Spring: 4 Jan to 25 Mar is 59 weekdays, less half term (5) and the 4 Jan closure.
    assert cal.count_school_days(D(2027, 1, 1), D(2027, 3, 31)) == 53
    # Summer: 12 Apr to 20 Jul is 72 weekdays, less half term (5), May Day and the 20 Jul closure.
    assert cal.count_school_days(D(2027, 4, 1), D(2027, 8, 31)) == 65
    assert cal.count_school_days(D(2026, 8, 1), D(2027, 8, 31)) == 38 + 35 + 53 + 65
    assert len(cal.school_days) == 191


def test_count_school_days_includes_both_ends(cal: SchoolCalendar) -> None:
    assert cal.count_school_days(D(2027, 1, 11), D(2027, 1, 11)) == 1
    assert cal.count_school_days(D(2027, 1, 11), D(2027, 1, 15)) == 5
    assert cal.count_school_days(D(2027, 1, 9), D(2027, 1, 10)) == 0  # a weekend
    assert cal.count_school_days(D(2027, 1, 15), D(2027, 1, 11)) == 0  # backwards


def test_school_days_between(cal: SchoolCalendar) -> None:
    assert cal.school_days_between(D(2026, 10, 22), D(2026, 11, 3)) == [
        D(2026, 10, 22),
        D(2026, 10, 23),
        D(2026, 11, 2),
        D(2026, 11, 3),
    ]
    assert cal.school_days_between(D(2027, 4, 29), D(2027, 5, 5)) == [
        D(2027, 4, 29),
        D(2027, 4, 30),
        D(2027, 5, 4),
        D(2027, 5, 5),
    ]
    assert cal.school_days_between(D(2026, 12, 19), D(2027, 1, 4)) == []


def test_school_days_are_sorted_and_unique(cal: SchoolCalendar) -> None:
    assert cal.school_days == sorted(set(cal.school_days))


def test_first_school_day_of_spring_is_after_the_inset_day(cal: SchoolCalendar) -> None:
    assert cal.school_day_after(D(2026, 12, 18)) == D(2027, 1, 5)
    assert cal.school_days_between(D(2027, 1, 1), D(2027, 1, 31))[0] == D(2027, 1, 5)


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (D(2026, 10, 23), 1, D(2026, 11, 2)),  # Friday before half term -> Monday after
        (D(2026, 10, 24), 1, D(2026, 11, 2)),  # from a Saturday
        (D(2026, 10, 28), 1, D(2026, 11, 2)),  # from inside half term
        (D(2026, 10, 22), 2, D(2026, 11, 2)),
        (D(2026, 10, 23), 5, D(2026, 11, 6)),
        (D(2027, 4, 30), 1, D(2027, 5, 4)),  # skips May Day
        (D(2026, 8, 1), 1, D(2026, 9, 2)),  # before the calendar starts
        (D(2027, 1, 8), 2, D(2027, 1, 12)),
    ],
)
def test_school_day_after(cal: SchoolCalendar, day: dt.date, count: int, expected: dt.date) -> None:
    assert cal.school_day_after(day, count) == expected


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (D(2027, 1, 11), 1, D(2027, 1, 8)),
        (D(2027, 1, 11), 2, D(2027, 1, 7)),  # Monday 11 Jan, 2nd school day before: Thursday 7 Jan
        (D(2027, 1, 11), 4, D(2027, 1, 5)),
        (D(2027, 1, 11), 5, D(2026, 12, 18)),  # across Christmas and the INSET day
        (D(2026, 11, 2), 1, D(2026, 10, 23)),
        (D(2027, 5, 4), 1, D(2027, 4, 30)),  # skips May Day
        (D(2027, 8, 31), 1, D(2027, 7, 19)),  # after the calendar ends; 20 Jul is a closure
    ],
)
def test_school_day_before(cal: SchoolCalendar, day: dt.date, count: int, expected: dt.date) -> None:
    assert cal.school_day_before(day, count) == expected


def test_school_day_after_and_before_run_off_the_calendar(cal: SchoolCalendar) -> None:
    assert cal.school_day_after(D(2027, 7, 19)) is None  # 20 Jul is a closure, the last term day
    assert cal.school_day_after(D(2027, 7, 12), 10) is None
    assert cal.school_day_before(D(2026, 9, 2)) is None
    assert cal.school_day_before(D(2026, 9, 4), 3) is None
    assert cal.school_day_before(D(2026, 9, 4), 2) == D(2026, 9, 2)


# --- validation of calendar.yaml ----------------------------------------------------


def _term(name: str, start: str, end: str, half_term: tuple[str, str] | None = None) -> dict[str, Any]:
    term: dict[str, Any] = {"name": name, "start": start, "end": end}
    if half_term:
        term["half_term"] = {"start": half_term[0], "end": half_term[1]}
    return term


def test_overlapping_terms_are_refused() -> None:
    data = {
        "terms": [
            _term("Autumn 2026", "2026-09-02", "2026-12-18"),
            _term("Spring 2027", "2026-12-18", "2027-03-25"),  # starts on the day autumn ends
        ]
    }
    with pytest.raises(ValidationError, match="overlap"):
        CalendarFile.model_validate(data, strict=False)


def test_overlapping_terms_are_refused_whatever_their_order_in_the_file() -> None:
    data = {
        "terms": [
            _term("Spring 2027", "2027-01-04", "2027-03-25"),
            _term("Autumn 2026", "2026-09-02", "2027-01-05"),
        ]
    }
    with pytest.raises(ValidationError, match="overlap"):
        CalendarFile.model_validate(data, strict=False)


def test_adjacent_terms_are_allowed() -> None:
    data = {"terms": [_term("A", "2026-09-02", "2026-12-18"), _term("B", "2026-12-19", "2027-03-25")]}
    assert len(CalendarFile.model_validate(data, strict=False).terms) == 2


@pytest.mark.parametrize(
    "half_term",
    [
        ("2026-12-21", "2026-12-23"),  # after the term
        ("2026-08-24", "2026-08-28"),  # before the term
        ("2026-12-14", "2026-12-22"),  # runs past the end
        ("2026-09-02", "2026-09-04"),  # starts on the first day: not inside
        ("2026-12-14", "2026-12-18"),  # ends on the last day: not inside
    ],
)
def test_half_term_outside_its_term_is_refused(half_term: tuple[str, str]) -> None:
    data = {"terms": [_term("Autumn 2026", "2026-09-02", "2026-12-18", half_term)]}
    with pytest.raises(ValidationError, match="is not inside the term"):
        CalendarFile.model_validate(data, strict=False)


def test_term_ending_before_it_starts_is_refused() -> None:
    data = {"terms": [_term("Autumn 2026", "2026-12-18", "2026-09-02")]}
    with pytest.raises(ValidationError, match="before it starts"):
        CalendarFile.model_validate(data, strict=False)


def test_half_term_ending_before_it_starts_is_refused() -> None:
    data = {"terms": [_term("Autumn 2026", "2026-09-02", "2026-12-18", ("2026-10-30", "2026-10-26"))]}
    with pytest.raises(ValidationError, match="before it starts"):
        CalendarFile.model_validate(data, strict=False)


def test_two_terms_with_one_name_are_refused() -> None:
    data = {"terms": [_term("Autumn", "2026-09-02", "2026-12-18"), _term("Autumn", "2027-09-02", "2027-12-17")]}
    with pytest.raises(ValidationError, match="same name"):
        CalendarFile.model_validate(data, strict=False)


def test_unknown_keys_and_impossible_dates_are_refused() -> None:
    with pytest.raises(ValidationError):
        CalendarFile.model_validate({"terms": [], "closure": ["2027-01-04"]}, strict=False)
    with pytest.raises(ValidationError):
        CalendarFile.model_validate({"closures": ["2027-02-30"]}, strict=False)


# --- properties ---------------------------------------------------------------------

YEAR = st.dates(min_value=D(2026, 8, 1), max_value=D(2027, 8, 31))


@settings(max_examples=200)
@given(YEAR, YEAR)
def test_count_school_days_matches_a_brute_force_count(cal: SchoolCalendar, first: dt.date, last: dt.date) -> None:
    assert cal.count_school_days(first, last) == brute_force_count(cal, first, last)
    assert len(cal.school_days_between(first, last)) == cal.count_school_days(first, last)


@settings(max_examples=200)
@given(YEAR)
def test_is_school_day_agrees_with_why_not_school_day(cal: SchoolCalendar, day: dt.date) -> None:
    reason = cal.why_not_school_day(day)
    assert cal.is_school_day(day) == (reason is None)
    if reason is None:
        assert day.weekday() < 5
        assert cal.term_of(day) is not None
        assert day not in cal.bank_holidays
        assert day not in cal.file.closures
        assert cal.half_term_of(day) is not None


@settings(max_examples=200)
@given(YEAR, st.integers(1, 15))
def test_school_day_after_and_before_step_over_exactly_count_school_days(
    cal: SchoolCalendar, day: dt.date, count: int
) -> None:
    one = dt.timedelta(days=1)
    after = cal.school_day_after(day, count)
    if after is not None:
        assert after > day
        assert cal.is_school_day(after)
        assert cal.count_school_days(day + one, after) == count
    else:
        assert cal.count_school_days(day + one, D(2027, 8, 31)) < count
    before = cal.school_day_before(day, count)
    if before is not None:
        assert before < day
        assert cal.is_school_day(before)
        assert cal.count_school_days(before, day - one) == count
    else:
        assert cal.count_school_days(D(2026, 8, 1), day - one) < count
