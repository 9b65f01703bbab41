"""A change to a placement agreed before or during it (`ap change`): shorten, extend, move the start, change its
days, sessions, start time or cost. The placement's fields hold the new terms; the change keeps what they were
and what they became, why, and the first day it affects, so a notice already given stays recorded and a new
one is due (with its own deadline) only for what a notice states. Nothing here prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from apcli.errors import UsageError
from apcli.model.dates import parse_date, parse_time
from apcli.steps.workflow import (
    Change,
    _end_after_days,
    change_case,
    check_no_overlap,
    check_not_before_referral,
    check_not_future,
    choose_placement,
    default_start_time,
    parse_money,
    parse_sessions,
    parse_weekdays,
    unknown_approving_body,
    with_placement,
)

if TYPE_CHECKING:
    from apcli.model.schema import Case, Placement, Terms, Variation
    from apcli.policy import GateResult
    from apcli.records.store import Records

# The fields `ap change` may alter, in the order a change is described.
CHANGED = ("start", "end", "weekdays", "attends", "start_time", "cost", "approved_by", "approved_on")
SESSION_WORDS = {"both": "full days", "am": "mornings only", "pm": "afternoons only"}


@dataclass
class VariationInput:
    why: str
    end: str | None = None
    days: int | None = None
    start: str | None = None
    weekdays: str | None = None
    sessions: str | None = None
    start_time: str | None = None
    cost: str | None = None
    approved_by: str | None = None
    approved_on: str | None = None
    from_day: str | None = None


@dataclass
class Varied:
    """What `vary` did: the change recorded, and a note for the user (the cost left as it was, say)."""

    variation: Variation | None = None
    placement: str = ""
    notes: tuple[str, ...] = ()


def has_started(placement: Placement, today: dt.date) -> bool:
    """The placement is running: notified, and its first day has come."""
    return bool(placement.notices) and placement.start <= today


def new_terms(records: Records, placement: Placement, given: VariationInput, today: dt.date) -> dict[str, object]:
    """The placement's terms after the change (every field of CHANGED), its options checked against the old ones."""
    calendar = records.calendar
    provider = records.providers.get(placement.provider)
    started = has_started(placement, today)
    weekdays: list[str] = (
        parse_weekdays(given.weekdays, provider) if given.weekdays is not None else list(placement.weekdays)
    )
    attends = parse_sessions(given.sessions) if given.sessions is not None else placement.attends
    start = placement.start
    if given.start is not None:
        start = parse_date(given.start, "--start")
        if started and start != placement.start:
            raise UsageError(
                f"--start: {placement.id} started on {placement.start}; a start cannot be moved once the placement "
                "has started. To change it from a later day, give --from D with the new days, sessions or time."
            )
    if start != placement.start or weekdays != list(placement.weekdays):
        why_not = calendar.why_not_school_day(start)
        if why_not:
            raise UsageError(f"--start: {start} is not a school day: it is {why_not}.")
        if f"{start:%a}".lower() not in weekdays:
            raise UsageError(
                f"--start: {start} is a {start:%A}, not one of the placement's days ({','.join(weekdays)})."
            )
    if given.days is not None and given.end is not None:
        raise UsageError("Give the new length as --days N (days at the provider from the start) or --end D, not both.")
    end = placement.end
    if given.days is not None:
        if given.days < 1:
            raise UsageError("--days: a placement lasts at least one day.")
        end = _end_after_days(records, start, given.days, weekdays)
    elif given.end is not None:
        end = parse_date(given.end, "--end")
    if end < start:
        raise UsageError(f"--end: {end} is before the start ({start}); a placement ends on or after its first day.")
    if started and end < today and end != placement.end:
        raise UsageError(
            f"--end: {end} is before today ({today}) and {placement.id} is running: a placement that has stopped "
            f"is ended with ap end CASE --date D --outcome ..., which records how it ended."
        )
    start_time: str | None
    if given.start_time is not None:
        start_time = parse_time(given.start_time, "--start-time")
    elif attends != placement.attends and placement.start_time == default_start_time(provider, placement.attends):
        start_time = default_start_time(provider, attends)  # the provider's start for the new sessions
    else:
        start_time = placement.start_time
    cost, approved_by, approved_on = placement.cost, placement.approved_by, placement.approved_on
    if given.cost is None and (given.approved_by or given.approved_on):
        raise UsageError("--approved-by and --approved-on go with --cost: the approval of a changed cost.")
    if given.cost is not None:
        cost = parse_money(given.cost, "--cost")
        added = placement.cost is None or cost > placement.cost
        if added and not (given.approved_by and given.approved_on):
            was = f"£{placement.cost:,.2f}" if placement.cost is not None else "no cost"
            raise UsageError(
                f"--cost: £{cost:,.2f} is more than the approved {was}, so the added cost needs its own approval: "
                "give --approved-by BODY --approved-on D (PLACE-BUDGET)."
            )
        if given.approved_by is not None or given.approved_on is not None:
            if not (given.approved_by and given.approved_on):
                raise UsageError("--approved-by and --approved-on go together: who approved the cost, and when.")
            bodies = records.settings.approving_bodies
            if given.approved_by not in bodies:
                raise unknown_approving_body(given.approved_by, bodies)
            approved_by, approved_on = given.approved_by, parse_date(given.approved_on, "--approved-on")
            check_not_future(approved_on, today, "--approved-on")
            if added and placement.approved_on is not None and approved_on < placement.approved_on:
                raise UsageError(
                    f"--approved-on: {approved_on} is before the first approval ({placement.approved_on}); the "
                    "approval of an added cost comes after it."
                )
    return {
        "start": start,
        "end": end,
        "weekdays": weekdays,
        "attends": attends,
        "start_time": start_time,
        "cost": cost,
        "approved_by": approved_by,
        "approved_on": approved_on,
    }


def _first_day(
    records: Records, placement: Placement, now: dict[str, object], given: VariationInput, today: dt.date
) -> dt.date:
    """The first day the change affects: an earlier or later start, the first added day of an extension, the
    first day of new days, sessions or a new start time (`--from`, by default the first day a notice given today
    allows), or, for a shortening or a cost alone, the first day no longer (or differently) paid for."""
    from apcli.model.notices import earliest_start

    calendar = records.calendar
    start, end, weekdays = now["start"], now["end"], now["weekdays"]
    assert isinstance(start, dt.date) and isinstance(end, dt.date) and isinstance(weekdays, list)
    started = has_started(placement, today)
    candidates: list[dt.date] = []
    if start != placement.start:
        candidates.append(start)
    if end > placement.end:
        added = calendar.days_on(max(placement.end + dt.timedelta(days=1), start), end, weekdays)
        if not added:
            raise UsageError(
                f"--end: moving the last day from {placement.end} to {end} adds no placement day (no school day on "
                f"{','.join(weekdays)} in between), so there is nothing to extend."
            )
        candidates.append(added[0])
    same_days = weekdays == list(placement.weekdays)
    if not (same_days and now["attends"] == placement.attends and now["start_time"] == placement.start_time):
        if not started:
            if given.from_day is not None:
                raise UsageError(
                    f"--from: {placement.id} has not started, so the change affects every day from its first "
                    f"({start}); leave --from out (or move the start with --start)."
                )
            candidates.append(start)
        elif given.from_day is not None:
            day = parse_date(given.from_day, "--from")
            if day < today:
                raise UsageError(f"--from: {day} is before today ({today}); a change takes effect from today on.")
            if not start <= day <= end:
                raise UsageError(f"--from: {day} is outside the placement ({start} to {end}).")
            why_not = calendar.why_not_school_day(day)
            if why_not:
                raise UsageError(f"--from: {day} is not a school day: it is {why_not}.")
            candidates.append(day)
        else:
            needed = records.settings.notice_school_days
            allowed = earliest_start(calendar, today, needed, weekdays)
            if allowed is None or allowed > end:
                raise UsageError(
                    f"A notice given today allows the change from {allowed or 'a day past the end of calendar.yaml'} "
                    f"at the earliest, after the placement's last day ({end}): extend it too (--end), or give --from D."
                )
            candidates.append(allowed)
    elif given.from_day is not None:
        raise UsageError("--from is the first day of new days, sessions or start time; this change has none.")
    if candidates:
        return min(candidates)
    if end < placement.end:  # a shortening: the first day no longer at the provider
        dropped = calendar.days_on(end + dt.timedelta(days=1), placement.end, placement.weekdays)
        return dropped[0] if dropped else end + dt.timedelta(days=1)
    return max(today, start)  # the cost alone: from today, or the start if it is still to come


def _terms(values: dict[str, object]) -> Terms:
    from apcli.model.schema import Terms

    return Terms.model_validate(values)


def _shown(name: str, value: object) -> str:
    if name == "weekdays" and isinstance(value, list):
        return ",".join(value)
    if name == "cost" and isinstance(value, Decimal):
        return f"£{value:,.2f}"
    if name == "attends" and isinstance(value, str):
        return SESSION_WORDS[value]
    return "-" if value is None else str(value)


def describe(placement_id: str, variation: Variation) -> str:
    """The history's words: `P1 extended: end 2027-02-12 -> 2027-03-26 (...)`."""
    was, now = variation.was, variation.now
    if (
        now.end is not None
        and was.end is not None
        and set(now.model_dump(exclude_none=True))
        <= {
            "end",
            "cost",
            "approved_by",
            "approved_on",
        }
    ):
        verb = "extended" if now.end > was.end else "shortened"
    else:
        verb = "changed"
    parts = [
        f"{name.replace('_', ' ')} {_shown(name, getattr(was, name))} -> {_shown(name, getattr(now, name))}"
        for name in CHANGED
        if getattr(now, name) is not None or getattr(was, name) is not None
    ]
    owed = "a new notice is due" if variation.needs_notice else "no new notice is needed"
    return (
        f"{placement_id} {verb}: {'; '.join(parts)} (the change affects {variation.first_day} on; {owed}): "
        f"{variation.why}"
    )


def vary(change: Change, given: VariationInput, placement_id: str | None = None) -> tuple[GateResult, Varied]:
    """Record a change to an open placement (gated by the PLACE-* rules and NOTICE-CONTENT)."""
    from apcli.model.schema import Variation

    why = given.why.strip()
    if not why:
        raise UsageError("--why: say why the placement changes (the review agreed it, say): it is recorded.")
    records, today = change.records, change.today
    varied = Varied()

    def apply(case: Case) -> Case:
        placement = choose_placement(case, placement_id, "a change")
        change.placement = varied.placement = placement.id
        now = new_terms(records, placement, given, today)
        changed = [name for name in CHANGED if now[name] != getattr(placement, name)]
        if not changed:
            raise UsageError(
                f"Nothing changes: {placement.id} already has these terms ({placement.start} to {placement.end}, on "
                f"{','.join(placement.weekdays)}). Give what is new: --end, --days, --start, --weekdays, --sessions, "
                "--start-time or --cost."
            )
        if "approved_on" in changed and isinstance(now["approved_on"], dt.date):
            check_not_before_referral(now["approved_on"], case, "--approved-on")
        first_day = _first_day(records, placement, now, given, today)
        variation = Variation(
            date=today,
            why=why,
            first_day=first_day,
            was=_terms({name: getattr(placement, name) for name in changed}),
            now=_terms({name: now[name] for name in changed}),
        )
        updated = placement.model_copy(
            update={**{name: now[name] for name in changed}, "changes": [*placement.changes, variation]}
        )
        updated = type(placement).model_validate(updated.model_dump())  # the new terms hold together
        for other in case.open_placements:
            if other.id != placement.id:
                check_no_overlap(records, updated, other)
        varied.variation = variation
        notes = []
        if updated.end > placement.end and "cost" not in changed and placement.cost is not None:
            notes.append(
                f"The recorded cost (£{placement.cost:,.2f}) is unchanged for the longer placement; if the "
                "extension costs more, record it with ap change CASE --cost AMOUNT --approved-by BODY "
                '--approved-on D --why "...".'
            )
        if variation.needs_notice:
            notes.append(
                f"A new notice is due for the change from {first_day} (ap notice CASE); until it is given, what the "
                "change adds is not a placement day."
            )
        else:
            notes.append("What the parents were told still covers the placement: no new notice is needed.")
        varied.notes = tuple(notes)
        return with_placement(case, updated)

    result = change_case(
        change,
        "change",
        lambda case: describe(varied.placement, varied.variation) if varied.variation else "placement changed",
        apply,
    )
    return result, varied
