"""The school's calendar: which days are school days, and counting them.

A school day is a weekday inside a term, outside its half term, that is not a
bank holiday in England (from the `holidays` package) and not a closure (INSET)
day in the school's own `calendar.yaml`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from pathlib import Path

from apcli.model.schema import CalendarFile, Term, weekday_numbers


def england_bank_holidays(years: Iterable[int]) -> dict[dt.date, str]:
    """England's bank holidays, one-off ones and substitute days included (the `holidays` package's), named in
    British English whatever the machine's language: the package names them in Thai or Urdu under LANGUAGE=th."""
    found = _united_kingdom()(subdiv="ENG", years=list(years), language="en_GB")
    return {day: str(name) for day, name in found.items()}


@cache
def _united_kingdom() -> Callable[..., Mapping[dt.date, str]]:
    """The `holidays` package's United Kingdom, loaded from its own module: asked for by country code, the
    package first imports all of its 279 countries (50 ms of a run that works bank holidays out, against 3 ms).
    The package's own way where that module is not where it was (tests/test_calendar.py holds them equal)."""
    import importlib.util

    import holidays

    path = Path(holidays.__file__).parent / "countries" / "united_kingdom.py"
    spec = importlib.util.spec_from_file_location("apcli._holidays_united_kingdom", path)
    try:
        if spec is None or spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found: Callable[..., Mapping[dt.date, str]] = module.UnitedKingdom
        return found
    except (OSError, ImportError, AttributeError):
        return partial(holidays.country_holidays, "GB")


@dataclass
class SchoolCalendar:
    file: CalendarFile
    bank_holidays_for: Callable[[Iterable[int]], dict[dt.date, str]] = field(default=england_bank_holidays)

    @cached_property
    def bank_holidays(self) -> dict[dt.date, str]:
        years = {year for term in self.file.terms for year in range(term.start.year, term.end.year + 1)}
        return self.bank_holidays_for(sorted(years)) if years else {}

    @cached_property
    def _closures(self) -> frozenset[dt.date]:
        return frozenset(self.file.closures)

    @cached_property
    def school_days(self) -> list[dt.date]:
        """Every school day the calendar knows, in order."""
        days: list[dt.date] = []
        for term in sorted(self.file.terms, key=lambda t: t.start):
            # by day number, not `day += 1 day`: a term ending on the calendar's last day cannot overflow
            for number in range(term.start.toordinal(), term.end.toordinal() + 1):
                day = dt.date.fromordinal(number)
                if self.why_not_school_day(day) is None:
                    days.append(day)
        return days

    @cached_property
    def _school_day_set(self) -> frozenset[dt.date]:
        return frozenset(self.school_days)

    def term_of(self, day: dt.date) -> Term | None:
        return next((term for term in self.file.terms if term.start <= day <= term.end), None)

    def half_terms(self) -> list[tuple[str, dt.date, dt.date]]:
        """Every half term as (name, first day, last day), in order."""
        halves = []
        for term in sorted(self.file.terms, key=lambda t: t.start):
            if term.half_term is None:
                halves.append((term.name, term.start, term.end))
            else:
                # the half term lies strictly inside its term, so the day before and the day after exist
                halves.append((f"{term.name}, first half", term.start, term.half_term.start - dt.timedelta(days=1)))
                halves.append((f"{term.name}, second half", term.half_term.end + dt.timedelta(days=1), term.end))
        return halves

    def half_term_of(self, day: dt.date) -> str | None:
        """`Autumn 2026, first half` (or `second half`); None outside term or in the half-term holiday."""
        term = self.term_of(day)
        if term is None:
            return None
        if term.half_term is None:
            return term.name
        if day < term.half_term.start:
            return f"{term.name}, first half"
        if day > term.half_term.end:
            return f"{term.name}, second half"
        return None

    def why_not_school_day(self, day: dt.date) -> str | None:
        """None for a school day; otherwise the reason, in words."""
        if day.weekday() >= 5:
            return f"a {day:%A}"
        term = self.term_of(day)
        if term is None:
            return "outside the terms in calendar.yaml"
        if term.half_term and term.half_term.start <= day <= term.half_term.end:
            return f"in the {term.name} half-term holiday"
        if day in self.bank_holidays:
            return f"a bank holiday ({self.bank_holidays[day]})"
        if day in self._closures:
            return "a closure (INSET) day in calendar.yaml"
        return None

    def is_school_day(self, day: dt.date) -> bool:
        return day in self._school_day_set

    def school_days_between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """School days from `first` to `last`, both included."""
        low = bisect.bisect_left(self.school_days, first)
        high = bisect.bisect_right(self.school_days, last)
        return self.school_days[low:high]

    def days_on(self, first: dt.date, last: dt.date, weekdays: Iterable[str]) -> list[dt.date]:
        """School days from `first` to `last` (both included) that fall on `weekdays` (`mon`, `tue`, ...)."""
        wanted = weekday_numbers(list(weekdays))
        return [day for day in self.school_days_between(first, last) if day.weekday() in wanted]

    def count_school_days(self, first: dt.date, last: dt.date) -> int:
        return len(self.school_days_between(first, last))

    def school_day_after(self, day: dt.date, count: int = 1) -> dt.date | None:
        """The `count`-th school day after `day` (not counting `day`), or None past the calendar's end."""
        index = bisect.bisect_right(self.school_days, day) + count - 1
        return self.school_days[index] if 0 <= index < len(self.school_days) else None

    def school_day_before(self, day: dt.date, count: int = 1) -> dt.date | None:
        """The `count`-th school day before `day` (not counting `day`), or None before the calendar starts."""
        index = bisect.bisect_left(self.school_days, day) - count
        return self.school_days[index] if 0 <= index < len(self.school_days) else None

    @property
    def covers(self) -> tuple[dt.date, dt.date] | None:
        if not self.file.terms:
            return None
        return min(t.start for t in self.file.terms), max(t.end for t in self.file.terms)

    def terms_of_school_year(self, start_year: int) -> list[Term]:
        """The terms that start in the school year beginning on 1 September `start_year`, in order."""
        first, last = dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31)
        return sorted((t for t in self.file.terms if first <= t.start <= last), key=lambda t: t.start)

    def spring_term(self, start_year: int) -> Term | None:
        """The school year's spring term: its first term to start in January or February of the new year."""
        after_christmas = dt.date(start_year + 1, 1, 1), dt.date(start_year + 1, 2, 28)
        return next(
            (t for t in self.terms_of_school_year(start_year) if after_christmas[0] <= t.start <= after_christmas[1]),
            None,
        )

    def summer_term(self, start_year: int) -> Term | None:
        """The school year's summer term: its last term, if that starts after the spring term's first day and
        ends in June or later (an English school year's last term ends in July). None while calendar.yaml stops
        before it."""
        terms = self.terms_of_school_year(start_year)
        spring = self.spring_term(start_year)
        if not terms or terms[-1].end < dt.date(start_year + 1, 6, 1):
            return None
        last = terms[-1]
        return last if last.start.year == start_year + 1 and (spring is None or last.start > spring.start) else None

    def first_school_day_of(self, term: Term) -> dt.date:
        """The term's first day with sessions (its start may be an INSET day), or its start if it has none."""
        day = self.school_day_after(term.start - dt.timedelta(days=1))
        return day if day is not None and day <= term.end else term.start
