"""A `Today` (apcli/model/days.py) answers as its date does, and its window holds exactly the days on which
every answer it gave would be the same."""

from __future__ import annotations

import bisect
import datetime as dt
import operator

from hypothesis import given
from hypothesis import strategies as st

from apcli.model.days import Today, Window

DAYS = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
OPS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@given(DAYS, st.lists(DAYS, min_size=1, max_size=8), st.data())
def test_every_comparison_answers_as_the_date_and_the_window_keeps_the_answers(
    day: dt.date, others: list[dt.date], data: st.DataObject
) -> None:
    today = Today(day)
    asked = []
    for other in others:
        op = data.draw(st.sampled_from(OPS))
        reflected = data.draw(st.booleans())  # `other < today` is answered by today's reflected comparison
        answer = op(other, today) if reflected else op(today, other)
        assert answer == (op(other, day) if reflected else op(day, other))
        asked.append((op, other, reflected, answer))
    first, last = today.window.bounds()
    assert first <= day <= last
    for probe in {first, last, day, *(o for o in others), *(o + dt.timedelta(days=1) for o in others)}:
        if first <= probe <= last:
            assert all((op(o, probe) if r else op(probe, o)) == answer for op, o, r, answer in asked), probe
    # the window is the widest such: the day before it and the day after it each change some answer
    for edge, step in ((first, -1), (last, 1)):
        if dt.date(2000, 1, 1) <= edge <= dt.date(2040, 1, 1):
            outside = edge + dt.timedelta(days=step)
            assert not all((op(o, outside) if r else op(outside, o)) == a for op, o, r, a in asked), outside


@given(DAYS, st.lists(DAYS, min_size=1, max_size=30, unique=True))
def test_bisect_min_max_and_sorting_answer_as_the_date_and_narrow_only_around_it(
    day: dt.date, others: list[dt.date]
) -> None:
    others.sort()
    today = Today(day)
    assert bisect.bisect_right(others, today) == bisect.bisect_right(others, day)
    assert min(today, others[-1]) == min(day, others[-1]) and max(others[0], today) == max(others[0], day)
    first, last = today.window.bounds()
    assert first <= day <= last
    for probe in (first, last):
        assert bisect.bisect_right(others, probe) == bisect.bisect_right(others, day)


def test_looking_at_the_date_itself_pins_the_window_to_the_day() -> None:
    day = dt.date(2027, 3, 3)
    for look in (
        str,
        repr,
        hash,
        lambda t: t.isoformat(),
        lambda t: t.year,
        lambda t: t.weekday(),
        lambda t: t.toordinal(),
        lambda t: f"{t:%d %B}",
        lambda t: t + dt.timedelta(days=1),
        lambda t: t - dt.date(2027, 1, 1),
        lambda t: dt.date(2028, 1, 1) - t,
        lambda t: t.replace(day=1),
        lambda t: {t: 1},
    ):
        today = Today(day)
        look(today)
        assert today.window.bounds() == (day, day), look


def test_arithmetic_gives_plain_dates_and_the_right_answers() -> None:
    today = Today(dt.date(2027, 3, 3))
    assert type(today + dt.timedelta(days=1)) is dt.date and today + dt.timedelta(days=1) == dt.date(2027, 3, 4)
    assert today - dt.date(2027, 3, 1) == dt.timedelta(days=2)
    assert dt.date(2027, 3, 10) - today == dt.timedelta(days=7)


def test_today_against_itself_holds_on_every_day_and_pickles_as_the_date() -> None:
    import pickle

    today = Today(dt.date(2027, 3, 3))
    assert today == today and not today < today and today <= today
    assert today.window.bounds() == (dt.date.min, dt.date.max)
    assert pickle.loads(pickle.dumps(today)) == dt.date(2027, 3, 3)


def test_a_window_untouched_holds_on_every_day() -> None:
    window = Window()
    assert window.bounds() == (dt.date.min, dt.date.max)
    Today(dt.date(2027, 3, 3), window) < dt.date(2027, 4, 1)  # noqa: B015 (the comparison is what is tested)
    assert window.bounds() == (dt.date.min, dt.date(2027, 3, 31))
