"""Dates and times as users type them, and the English school year (apcli/model/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apcli.errors import EXIT_USAGE, UsageError
from apcli.model.dates import parse_date, parse_time, school_year_start, year_group_for

D = dt.date

# --- parse_date --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["2027-01-11", "11/01/2027", "11/1/2027", "2027-1-11", "  2027-01-11  ", " 11/01/2027\n"],
)
def test_parse_date_reads_iso_and_uk_day_first(typed: str) -> None:
    assert parse_date(typed) == D(2027, 1, 11)


def test_parse_date_uk_is_day_first_not_month_first() -> None:
    # 03/04/2027 is 3 April, never 4 March.
    assert parse_date("03/04/2027") == D(2027, 4, 3)
    assert parse_date("01/12/2026") == D(2026, 12, 1)


def test_parse_date_reads_29_february_in_a_leap_year() -> None:
    assert parse_date("2028-02-29") == D(2028, 2, 29)
    assert parse_date("29/02/2028") == D(2028, 2, 29)


@pytest.mark.parametrize("typed", ["2027-02-30", "31/04/2027", "2027-02-29", "29/02/2027", "2027-13-01", "00/01/2027"])
def test_parse_date_refuses_impossible_dates_naming_the_value(typed: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_date(typed)
    assert typed in str(caught.value)
    assert "not a real date" in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize(
    "typed",
    ["next tuesday", "2027/01/11", "", "   ", "11-01-2027", "11/01/27", "20270111", "2027-01-11T09:00", "11.01.2027"],
)
def test_parse_date_refuses_garbage_naming_the_value(typed: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_date(typed)
    message = str(caught.value)
    assert repr(typed) in message
    assert "is not a date" in message
    assert "2027-01-11" in message  # says how to write one


def test_parse_date_message_names_what_was_being_read() -> None:
    with pytest.raises(UsageError, match=r"^--dob: 'next tuesday' is not a date"):
        parse_date("next tuesday", "--dob")


# Years before 1000 are left out: glibc's strftime('%Y') does not pad them to four digits.
DATES = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))  # the years records dates lie in


@settings(max_examples=200)
@given(DATES)
def test_parse_date_round_trips_iso_and_uk(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day


@settings(max_examples=100)
@given(st.dates(min_value=D(1000, 1, 1), max_value=D(1899, 12, 31)) | st.dates(min_value=D(2201, 1, 1)))
def test_a_date_outside_the_years_of_records_is_refused(day: dt.date) -> None:
    """9999-12-31 is a typing mistake, and `--today 9999-12-31` would make the day after it overflow."""
    for typed in (day.isoformat(), day.strftime("%d/%m/%Y")):
        with pytest.raises(UsageError, match=r"^--today: '.*' is not a date in the years 1900 to 2200"):
            parse_date(typed, "--today")


# --- parse_time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("08:45", "08:45"), ("8:45", "08:45"), ("00:00", "00:00"), ("23:59", "23:59"), (" 13:05 ", "13:05")],
)
def test_parse_time_reads_24_hour_times(typed: str, expected: str) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["24:00", "12:60", "8.45", "8:5", "0845", "8am", "8:45 pm", "", "noon", "-1:00"])
def test_parse_time_refuses_other_forms_naming_the_value(typed: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_time(typed, "--start-time")
    message = str(caught.value)
    assert message.startswith("--start-time: ")
    assert repr(typed) in message
    assert "HH:MM" in message


@settings(max_examples=200)
@given(st.integers(0, 23), st.integers(0, 59))
def test_parse_time_round_trips(hour: int, minute: int) -> None:
    text = f"{hour:02d}:{minute:02d}"
    assert parse_time(text) == text
    assert parse_time(f"{hour}:{minute:02d}") == text


# --- school_year_start -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (D(2026, 9, 1), 2026),
        (D(2026, 8, 31), 2025),
        (D(2026, 12, 31), 2026),
        (D(2027, 1, 1), 2026),
        (D(2027, 8, 31), 2026),
        (D(2027, 9, 1), 2027),
    ],
)
def test_school_year_start_is_1_september(day: dt.date, start: int) -> None:
    assert school_year_start(day) == start


# --- year_group_for ----------------------------------------------------------------


@pytest.mark.parametrize("dob", [D(2016, 9, 1), D(2017, 2, 28), D(2016, 12, 25), D(2017, 8, 31)])
@pytest.mark.parametrize("on", [D(2026, 9, 1), D(2026, 12, 1), D(2027, 2, 28), D(2027, 8, 31)])
def test_born_sept_2016_to_aug_2017_is_year_5_all_through_2026_27(dob: dt.date, on: dt.date) -> None:
    assert year_group_for(dob, on) == 5


def test_the_1_september_cut_off() -> None:
    on = D(2027, 1, 11)
    assert year_group_for(D(2017, 8, 31), on) == 5
    assert year_group_for(D(2017, 9, 1), on) == 4
    assert year_group_for(D(2016, 8, 31), on) == 6
    assert year_group_for(D(2016, 9, 1), on) == 5


def test_year_group_changes_on_1_september_not_on_the_birthday() -> None:
    dob = D(2017, 3, 15)
    assert year_group_for(dob, D(2026, 8, 31)) == 4
    assert year_group_for(dob, D(2026, 9, 1)) == 5
    assert year_group_for(dob, D(2027, 3, 14)) == 5
    assert year_group_for(dob, D(2027, 3, 15)) == 5  # the birthday changes nothing


def test_reception_is_year_0() -> None:
    # Turns 5 during 2026/27: Reception.
    assert year_group_for(D(2021, 9, 1), D(2026, 9, 1)) == 0
    assert year_group_for(D(2022, 8, 31), D(2027, 8, 31)) == 0
    assert year_group_for(D(2021, 8, 31), D(2026, 9, 1)) == 1
    assert year_group_for(D(2022, 9, 1), D(2026, 9, 1)) == -1  # not yet of school age


def test_leap_day_birthday() -> None:
    # Born 29 February 2016, in the 2015/16 school year: Year 6 in 2026/27, even on 28 February of a non-leap year.
    assert year_group_for(D(2016, 2, 29), D(2026, 9, 1)) == 6
    assert year_group_for(D(2016, 2, 29), D(2027, 2, 28)) == 6
    assert year_group_for(D(2020, 2, 29), D(2026, 9, 1)) == 2


# year_group_for looks at 31 August after `on`, so `on` must leave room for it before year 9999.
DOBS = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31))
ONS = st.dates(min_value=D(1900, 1, 1), max_value=D(2120, 8, 31))


@settings(max_examples=200)
@given(DOBS, ONS)
def test_year_group_is_the_number_of_school_years_since_birth_minus_5(dob: dt.date, on: dt.date) -> None:
    assert year_group_for(dob, on) == school_year_start(on) - school_year_start(dob) - 5


@settings(max_examples=200)
@given(DOBS, ONS, st.integers(0, 364), st.integers(0, 365))
def test_year_group_is_constant_in_a_school_year_and_goes_up_by_one_the_next(
    dob: dt.date, on: dt.date, offset: int, next_offset: int
) -> None:
    start = school_year_start(on)
    first, last = D(start, 9, 1), D(start + 1, 8, 31)
    year = year_group_for(dob, on)
    assert year_group_for(dob, first) == year
    assert year_group_for(dob, last) == year
    same_year = min(first + dt.timedelta(days=offset), last)
    assert year_group_for(dob, same_year) == year
    next_first, next_last = D(start + 1, 9, 1), D(start + 2, 8, 31)
    next_year_day = min(next_first + dt.timedelta(days=next_offset), next_last)
    assert year_group_for(dob, next_year_day) == year + 1
