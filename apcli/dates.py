"""Dates and times as users type them: ISO, or UK day-first."""

from __future__ import annotations

import datetime as dt
import re

from apcli.errors import UsageError

_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_date(value: str, what: str = "date") -> dt.date:
    """Read `2027-01-11` or `11/01/2027` (day first); refuse anything else."""
    text = value.strip()
    iso = _ISO.fullmatch(text)
    uk = _UK.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif uk:
        day, month, year = (int(g) for g in uk.groups())
    else:
        raise UsageError(f"{what}: {value!r} is not a date. Write it as 2027-01-11 (ISO) or 11/01/2027 (day first).")
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise UsageError(f"{what}: {value!r} is not a real date ({error}).") from None


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
    end_of_school_year = dt.date(school_year_start(on) + 1, 8, 31)
    return age_on(dob, end_of_school_year) - 5


def format_year_group(year: int) -> str:
    return "Reception" if year == 0 else f"Year {year}" if year > 0 else f"below Reception (age {year + 4})"


def uk(day: dt.date) -> str:
    """A date as a letter prints it: Monday 11 January 2027."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def uk_short(day: dt.date) -> str:
    """A date without its weekday: 11 January 2027."""
    return f"{day.day} {day:%B %Y}"
