"""Dates and times as users type them: ISO, or UK day-first."""

from __future__ import annotations

import datetime as dt
import re

from apcli.errors import UsageError

_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")

# Every date in a records file, and every date typed, lies in these years: 9999-12-31 is a typing mistake, and
# date arithmetic near the end of the calendar (the day after 31 December 9999) would fail.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def parse_date(value: str, what: str = "date") -> dt.date:
    """Read `2027-01-11` or `11/01/2027` (day first), in the years records dates lie in; refuse anything else."""
    try:
        return read_date(value)
    except ValueError as error:
        message = str(error)
        raise UsageError(f"{what}: {value!r} {message}{'' if message.endswith('?') else '.'}") from None


def read_date(value: str) -> dt.date:
    """`parse_date` for text from a file: a ValueError whose message says what is wrong but does not repeat
    the text (`is not a date. Write it as ...`, `is not a real date (...)`), to follow the text or its field."""
    text = value.strip()
    iso = _ISO.fullmatch(text)
    uk = _UK.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif uk:
        day, month, year = (int(g) for g in uk.groups())
    else:
        raise ValueError("is not a date. Write it as 2027-01-11 (ISO) or 11/01/2027 (day first)")
    try:
        date = dt.date(year, month, day)
    except ValueError as error:
        raise ValueError(f"is not a real date ({error})") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"is not a date in the years {FIRST_YEAR} to {LAST_YEAR}, where every records date lies: is the year "
            "mistyped?"
        )
    return date


def parse_time(value: str, what: str = "time") -> str:
    """Read a 24-hour `HH:MM` time; return it as `HH:MM`."""
    match = _TIME.fullmatch(value.strip())
    if not match:
        raise UsageError(f"{what}: {value!r} is not a time. Write it as 24-hour HH:MM, for example 08:45.")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def school_year_start(day: dt.date) -> int:
    """The calendar year in which the English school year holding `day` began (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_label(day: dt.date) -> str:
    start = school_year_start(day)
    return f"{start}/{(start + 1) % 100:02d}"


def age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def year_group_for(dob: dt.date, on: dt.date) -> int:
    """The national curriculum year a child born on `dob` is in on `on` (0 = Reception).

    A child who turns N+5 during the school year (1 Sept to 31 Aug) is in Year N.
    """
    end_year = school_year_start(on) + 1  # the age on 31 August that ends the school year, without making the date
    return end_year - dob.year - ((dob.month, dob.day) > (8, 31)) - 5


def year6_school_year(dob: dt.date, year: int | str, out_of_year_group: bool, referred: dt.date) -> int:
    """The calendar year in which the school year of the pupil's Year 6 begins (1 September).

    From the date of birth, as REF-KEY-STAGE judges it; a pupil taught out of their year group (stated on the
    referral) is in `year` on the referral date instead.
    """
    stated = 0 if year == "R" else int(year)
    now = stated if out_of_year_group else year_group_for(dob, referred)
    return school_year_start(referred) + 6 - now


def format_year_group(year: int) -> str:
    return "Reception" if year == 0 else f"Year {year}" if year > 0 else f"below Reception (age {year + 4})"


def uk(day: dt.date) -> str:
    """A date as a letter prints it: Monday 11 January 2027."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def uk_short(day: dt.date) -> str:
    """A date without its weekday: 11 January 2027."""
    return f"{day.day} {day:%B %Y}"
