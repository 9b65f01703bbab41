"""A date taken as today that notes which days would give the same answers: so that a result computed for
one day can be reused, from ap's index, on every other day on which it holds.

A rule looks at today only by comparing it with dates of the case (a start, an end, a due date, a mark). A
`Today` answers each comparison exactly as the date would, and narrows its `Window` to the days on which that
comparison gives the same answer. Whatever a check computes from nothing but those answers is then the same
on every day of the window. Anything else a check might do with the date (print it, hash it, take its year or
weekday, add days to it) pins the window to today alone: the result is reused on no other day, never
wrongly. `apcli/records/index.py` stores each result with its window; `tests/test_index.py` checks, over
random days of a year, that what the index serves equals what is computed afresh.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

FIRST, LAST = dt.date.min.toordinal(), dt.date.max.toordinal()


class Window:
    """The days (as ordinals, both ends included) on which every comparison made so far gives the same answer."""

    __slots__ = ("first", "last")

    def __init__(self) -> None:
        self.first, self.last = FIRST, LAST

    def from_day(self, ordinal: int) -> None:
        self.first = max(self.first, ordinal)

    def until_day(self, ordinal: int) -> None:
        self.last = min(self.last, ordinal)

    def pin(self, ordinal: int) -> None:
        self.from_day(ordinal)
        self.until_day(ordinal)

    def bounds(self) -> tuple[dt.date, dt.date]:
        return dt.date.fromordinal(self.first), dt.date.fromordinal(self.last)


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}

# Reading these does not observe the date.
_OWN = frozenset(
    {
        "window",
        "plain",
        "memo",
        "narrow",
        "__class__",
        "__dict__",
        "_pin",
        "_other",
        "_mine",
        "_window",
        "_compare",
        "_arithmetic",
    }
)


class Today(dt.date):
    """`day`, noting in `window` what each look at it depends on (see the module's docstring)."""

    window: Window
    plain: dt.date
    # What each rule found, with the days it holds on, kept while one case is worked out for several days in
    # turn (apcli/records/index.py), so that a rule whose answer still holds is not run again (policy.base.run).
    memo: dict[Any, tuple[int, int, Any]] | None

    def __new__(
        cls, day: dt.date, window: Window | None = None, memo: dict[Any, tuple[int, int, Any]] | None = None
    ) -> Today:
        made = super().__new__(cls, day.year, day.month, day.day)
        made.plain = dt.date(day.year, day.month, day.day)
        made.window = window or Window()
        made.memo = memo
        return made

    def narrow(self, first: int, last: int) -> None:
        """Narrow the window to the days `first` to `last` (ordinals): what a kept answer held on."""
        window = self._window()
        window.from_day(first)
        window.until_day(last)

    def __getattribute__(self, name: str) -> Any:
        if name not in _OWN:  # isoformat, year, weekday, toordinal, replace ...: the date itself is looked at
            self._pin()
        return object.__getattribute__(self, name)

    def _pin(self) -> None:
        plain = object.__getattribute__(self, "plain")
        object.__getattribute__(self, "window").pin(dt.date.toordinal(plain))

    def _other(self, other: object) -> int | None:
        """The ordinal of a plain date compared with; None for anything else (then the answer pins the window)."""
        if isinstance(other, Today):
            other = object.__getattribute__(other, "plain")
        if type(other) is dt.date:
            return dt.date.toordinal(other)
        return None

    def _mine(self) -> int:
        return dt.date.toordinal(object.__getattribute__(self, "plain"))

    def _window(self) -> Window:
        return object.__getattribute__(self, "window")  # type: ignore[no-any-return]

    def __lt__(self, other: object) -> Any:
        return self._compare(other, "<")

    def __le__(self, other: object) -> Any:
        return self._compare(other, "<=")

    def __gt__(self, other: object) -> Any:
        return self._compare(other, ">")

    def __ge__(self, other: object) -> Any:
        return self._compare(other, ">=")

    def __eq__(self, other: object) -> Any:
        return self._compare(other, "==")

    def __ne__(self, other: object) -> Any:
        return self._compare(other, "!=")

    def _compare(self, other: object, op: str) -> Any:
        mine, theirs, window = self._mine(), self._other(other), self._window()
        if isinstance(other, Today) and other._window() is window and theirs == mine:
            return _OPS[op](mine, theirs)  # today against itself: the same answer on every day
        if theirs is None:
            if not isinstance(other, dt.date):
                return NotImplemented
            window.pin(mine)  # a datetime, say: compared as the date module does, and pinned
            return _OPS[op](object.__getattribute__(self, "plain"), other)
        # The days on which the answer is the same: `today < d` is true up to the day before d, false from d on.
        if op in ("<", ">="):
            window.until_day(theirs - 1) if mine < theirs else window.from_day(theirs)
        elif op in ("<=", ">"):
            window.until_day(theirs) if mine <= theirs else window.from_day(theirs + 1)
        elif mine < theirs:
            window.until_day(theirs - 1)
        elif mine > theirs:
            window.from_day(theirs + 1)
        else:
            window.pin(mine)  # equal: only on this day
        return _OPS[op](mine, theirs)

    def __hash__(self) -> int:
        self._pin()
        return hash(object.__getattribute__(self, "plain"))

    def __reduce__(self) -> Any:
        return self._arithmetic().__reduce__()  # pickled as the plain date

    def _arithmetic(self) -> dt.date:
        self._pin()
        return object.__getattribute__(self, "plain")  # type: ignore[no-any-return]

    def __add__(self, other: Any) -> Any:
        return self._arithmetic() + other

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, Today):
            other = other._arithmetic()
        return self._arithmetic() - other

    def __rsub__(self, other: Any) -> Any:
        return other - self._arithmetic()

    def __str__(self) -> str:
        return str(self._arithmetic())

    def __repr__(self) -> str:
        return repr(self._arithmetic())

    def __format__(self, spec: str) -> str:
        return format(self._arithmetic(), spec)
