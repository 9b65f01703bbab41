"""Sessions a week: a placement's own, and the pupil's in total across placements that run alongside (the
census's full or part time, and the rule that a pupil is placed full time only where the policy allows)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apcli.model.schema import Case, Placement, Provider
    from apcli.records.store import Records

FULL_TIME_SESSIONS = 10  # two sessions a day, five days a week


def _sessions_a_day(placement: Placement, provider: Provider | None) -> int:
    """1 for a mornings- or afternoons-only placement, or at a provider that holds one session a day; else 2."""
    sessions = placement.sessions or (provider.sessions if provider else None)
    return 1 if placement.attends != "both" or (sessions is not None and sessions.single) else 2


def sessions_a_week(placement: Placement, provider: Provider | None) -> int:
    """The placement's own sessions a week: its weekdays (those the provider is open) x its sessions a day."""
    weekdays = set(placement.weekdays) & set(provider.weekdays if provider else placement.weekdays)
    return len(weekdays) * _sessions_a_day(placement, provider)


def concurrent(case: Case, placement: Placement) -> list[Placement]:
    """The placements that run at some time alongside `placement` (itself included), ended early or not."""
    from apcli.model.attendance import last_day

    first, last = placement.start, last_day(placement)
    return [p for p in case.placements if p.start <= last and last_day(p) >= first]


def pupil_sessions_a_week(records: Records, case: Case, placement: Placement) -> int:
    """The pupil's sessions a week in total while `placement` runs: the most, on any day of it, summed over the
    placements open that day (each placement's weekdays x its sessions a day)."""
    from apcli.model.attendance import last_day

    others = concurrent(case, placement)
    days = {max(p.start, placement.start) for p in others}
    return max(
        sum(sessions_a_week(p, records.providers.get(p.provider)) for p in others if p.start <= day <= last_day(p))
        for day in days
    )
