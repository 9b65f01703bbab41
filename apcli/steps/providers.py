"""The provider register: one YAML file per provider in `providers/`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apcli.errors import UsageError
from apcli.model import codes
from apcli.model.dates import parse_date, parse_time

if TYPE_CHECKING:
    from apcli.model.schema import Provider
    from apcli.records.store import Records


@dataclass
class ProviderInput:
    name: str
    address: str
    contact: str
    code: str
    daily_cost: str
    safeguarding_confirmed: str
    staff_checks_confirmed: str
    phone: str | None = None
    email: str | None = None
    urn: str | None = None
    ukprn: str | None = None
    setting_type: str | None = None
    morning_start: str | None = None
    break_start: str | None = None
    break_end: str | None = None
    afternoon_end: str | None = None
    session_start: str | None = None
    session_end: str | None = None
    weekdays: str | None = None
    code_of_conduct: str | None = None


def _sessions(given: ProviderInput) -> dict[str, str]:
    two = {
        "morning_start": given.morning_start,
        "break_start": given.break_start,
        "break_end": given.break_end,
        "afternoon_end": given.afternoon_end,
    }
    one = {"start": given.session_start, "end": given.session_end}
    if any(two.values()) and any(one.values()):
        raise UsageError("Give the four times of a two-session day, or --session-start and --session-end, not both.")
    if not any(two.values()) and not any(one.values()):
        raise UsageError(
            "The provider's session times are needed: give either a day of two sessions (--morning-start HH:MM "
            "--break-start HH:MM --break-end HH:MM --afternoon-end HH:MM) or a single session (--session-start "
            "HH:MM --session-end HH:MM)."
        )
    chosen = one if any(one.values()) else two

    def option(key: str) -> str:
        return f"--session-{key}" if chosen is one else f"--{key.replace('_', '-')}"

    missing = [f"{option(key)} HH:MM" for key, value in chosen.items() if not value]
    if missing:
        raise UsageError(f"The provider's session times are incomplete: give {', '.join(missing)}.")
    return {key: parse_time(value or "", option(key)) for key, value in chosen.items()}


def build_provider(given: ProviderInput) -> Provider:
    from pydantic import ValidationError

    from apcli.model.schema import Provider
    from apcli.steps.workflow import parse_money, parse_weekdays

    code = given.code.strip().upper()
    if code == "K":
        raise UsageError(f"--code K: {codes.K_REFUSAL}.")
    if code not in codes.PROVIDER_CODES:
        raise UsageError(
            "--code: give B (approved educational activity), or D where the pupil is dual registered there."
        )
    if sum(bool(x) for x in (given.urn, given.ukprn, given.setting_type)) > 1:
        raise UsageError("Give one of the provider's --urn, --ukprn or --setting-type, not more: the census takes one.")
    data = {
        "name": given.name.strip(),
        "address": given.address.strip(),
        "contact": given.contact.strip(),
        "phone": given.phone,
        "email": given.email,
        "urn": given.urn,
        "ukprn": given.ukprn,
        "setting_type": given.setting_type.strip().upper() if given.setting_type else None,
        "register_code": code,
        "sessions": _sessions(given),
        "weekdays": parse_weekdays(given.weekdays, None),
        "daily_cost": parse_money(given.daily_cost, "--daily-cost"),
        "safeguarding_confirmed": parse_date(given.safeguarding_confirmed, "--safeguarding-confirmed"),
        "staff_checks_confirmed": parse_date(given.staff_checks_confirmed, "--staff-checks-confirmed"),
        "code_of_conduct": given.code_of_conduct,
    }
    try:
        return Provider.model_validate({key: value for key, value in data.items() if value not in (None, "")})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()
        )
        raise UsageError(f"The provider's details are not valid: {problems}.") from None


def add_provider(records: Records, provider_id: str, provider: Provider) -> None:
    from apcli.records import yamlio
    from apcli.records.layout import PROVIDERS_DIR
    from apcli.records.store import SCHEMA_MODELINE

    path = records.provider_path(provider_id)
    with records.lock(f"provider-{provider_id}"):
        if records.guard.exists(path, PROVIDERS_DIR):
            raise UsageError(
                f"{provider_id} is already in the register ({records.shown(path)}). Edit that file to change it."
            )
        data = provider.model_dump(mode="python", exclude_defaults=True)
        data["register_code"] = provider.register_code
        text = yamlio.dump_new(data, SCHEMA_MODELINE.format(path="../schema/provider.schema.json"))
        records.write(path, text, PROVIDERS_DIR)


def add_closure(
    records: Records, provider_id: str, first: str, last: str | None, why: str
) -> tuple[Provider, list[str]]:
    """Record that the provider is closed from `first` to `last` (one day without `last`): rewrite its file
    under its lock, atomically, keeping comments. Returns the provider as saved and the school days closed.

    A closure is what lets a mark of # or Y1-Y7 stand on a day the school is open (DfE, Working together to
    improve school attendance, Aug 2024): the provider is closed, so no session is expected there."""
    from apcli.model.schema import Closure, Provider
    from apcli.records import yamlblocks
    from apcli.records.layout import PROVIDERS_DIR
    from apcli.records.store import read_text, validate

    start = parse_date(first, "--date")
    end = parse_date(last, "--to") if last else start
    if end < start:
        raise UsageError(f"--to {end} is before --date {start}.")
    reason = " ".join(why.split())
    if not reason or any(not char.isprintable() for char in why.replace("\n", " ")):
        raise UsageError("--why: say why the provider is closed, in plain text (for example 'staff training day').")
    path = records.provider_path(provider_id)
    if provider_id not in records.provider_ids():
        known = ", ".join(sorted(records.provider_ids())) or "none yet"
        raise UsageError(f"{provider_id!r} is not a provider in the register ({known}).")
    school_days = records.calendar.school_days_between(start, end)
    if not school_days:
        raise UsageError(
            f"{start} to {end} holds no school day (the school is closed then anyway), so there is no closure "
            "to record: a mark on those days is refused as not a school day."
        )
    with records.lock(f"provider-{provider_id}"):
        shown = records.shown(path)
        old_text = read_text(path, shown, records.guard)
        from apcli.records import yamlio

        provider = validate(Provider, yamlio.load(old_text, shown, plain=True), old_text, shown)
        for closure in provider.closures:
            if closure.start <= end and start <= closure.end:
                raise UsageError(
                    f"{provider_id} already has a closure from {closure.start} to {closure.end} ({closure.why}), "
                    f"which overlaps {start} to {end}. Edit {shown} to change it."
                )
        closures = sorted([*provider.closures, Closure(start=start, end=end, why=reason)], key=lambda c: c.start)
        updated = provider.model_copy(update={"closures": closures})
        data = updated.model_dump(mode="python", exclude_defaults=True)
        data["register_code"] = updated.register_code
        text = yamlblocks.update_text(old_text, data, shown, full=updated.model_dump(mode="python"))
        if validate(Provider, yamlio.load(text, shown, plain=True), text, shown) != updated:
            raise UsageError(f"ap could not write {shown} so that it reads back as it should, so it wrote nothing.")
        records.write(path, text, PROVIDERS_DIR)
    vars(records).pop("providers", None)  # read again on next use
    return updated, [day.isoformat() for day in school_days]


def confirm_provider(
    records: Records, provider_id: str, safeguarding: str | None, staff_checks: str | None, today: dt.date
) -> Provider:
    """Record a provider's renewed safeguarding and staff-check confirmations (KCSIE: they run out after the
    settings' provider_confirmation_months), keeping the file's comments."""
    from apcli.model.schema import Provider
    from apcli.records import yamlio
    from apcli.records.layout import PROVIDERS_DIR
    from apcli.records.store import read_text

    if safeguarding is None and staff_checks is None:
        raise UsageError("Give --safeguarding D, --staff-checks D or both: the dates the provider confirmed again.")
    changes: dict[str, dt.date] = {}
    for option, field, given in (
        ("--safeguarding", "safeguarding_confirmed", safeguarding),
        ("--staff-checks", "staff_checks_confirmed", staff_checks),
    ):
        if given is None:
            continue
        day = parse_date(given, option)
        if day > today:
            raise UsageError(f"{option} {day} is after today ({today}): record a confirmation once it is given.")
        changes[field] = day
    path = records.provider_path(provider_id)
    with records.lock(f"provider-{provider_id}"):
        if not records.guard.exists(path, PROVIDERS_DIR):
            raise UsageError(f"{provider_id!r} is not a provider in the register (ap provider list).")
        shown = records.shown(path)
        text = read_text(path, shown, records.guard)
        old = records.load_file(path, Provider)[0]
        for field, day in changes.items():
            earlier: dt.date | None = getattr(old, field)
            if earlier is not None and day < earlier:
                raise UsageError(
                    f"{field} is {earlier} in {shown}; {day} is earlier: a renewal is dated on or after it."
                )
        provider = old.model_copy(update=changes)
        data = provider.model_dump(mode="python", exclude_defaults=True)
        data["register_code"] = provider.register_code
        records.write(path, yamlio.update_text(text, data, shown), PROVIDERS_DIR)
    return provider
