"""The workflow steps that change a case: each loads it under its lock, applies one change,
passes the policy's gate, adds a history entry and writes it back. Nothing here prints."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, get_args

from apcli.errors import EXIT_REFUSED, ApError, UsageError
from apcli.model.dates import parse_date, parse_time

if TYPE_CHECKING:
    from apcli.model.schema import Case, Decision, Meeting, Person, Placement, Provider
    from apcli.policy import GateResult
    from apcli.records.store import Records


class CaseClosed(ApError):
    exit_code = EXIT_REFUSED


@dataclass
class Change:
    """Who does what, when, with which overrides."""

    records: Records
    case_id: str
    today: dt.date
    by: str
    overrides: dict[str, str]
    placement: str | None = None  # the placement the change is about (set once chosen); the gate looks at it


def change_case(
    change: Change,
    command: str,
    what: str | Callable[[Case], str],
    apply: Callable[[Case], Case],
    finish: Callable[[Case], Case] | None = None,
    dry_run: bool = False,
    after_the_end: bool = False,
) -> GateResult:
    """Load, refuse a closed case, apply, gate, record history, save: all under the case's lock.

    `finish` runs after the gate and before the save (to write a letter, say); with
    `dry_run` everything is checked and nothing is saved. A refusal's commands name the case, not CASE.
    """
    try:
        return _change_locked(change, command, what, apply, finish, dry_run, after_the_end)
    except UsageError as error:
        raise error.naming_the_case(change.case_id) from None


def _change_locked(
    change: Change,
    command: str,
    what: str | Callable[[Case], str],
    apply: Callable[[Case], Case],
    finish: Callable[[Case], Case] | None,
    dry_run: bool,
    after_the_end: bool,
) -> GateResult:
    from apcli.model.history import record
    from apcli.model.status import status
    from apcli.policy import CaseContext, gate

    records = change.records
    with records.lock(records.case_path(change.case_id).stem):
        loaded = records.load_case(change.case_id, fresh=True)
        current = status(loaded.case, change.today)
        if current == "closed" or (current == "ended" and not after_the_end):
            raise CaseClosed(
                f"Refused: {loaded.id} is {current}, so nothing more can be recorded on it. "
                "`ap show` says how it ended."
            )
        updated = apply(loaded.case)
        looked_at = updated.placement_by_id(change.placement) if change.placement else None
        result = gate(command, CaseContext(loaded.id, updated, change.today, records, looked_at), change.overrides)
        if finish is not None:
            updated = finish(updated)
        if not dry_run:
            text = what(updated) if callable(what) else what
            updated = record(updated, change.today, change.by, text, result.used, step=command)
            records.save_case(loaded.id, updated, loaded.text)
    return result


def check_not_future(day: dt.date, today: dt.date, what: str) -> None:
    if day > today:
        raise UsageError(f"{what}: {day} is after today ({today}); record things once they have happened.")


def check_not_before_referral(day: dt.date, case: Case, what: str) -> None:
    if day < case.referral.date:
        raise UsageError(f"{what}: {day} is before the referral ({case.referral.date}).")


# --- meetings ---------------------------------------------------------------------


def parse_person(text: str) -> Person:
    from apcli.model.schema import Person, Role

    match = re.fullmatch(r"\s*(.+?)\s*\(\s*([a-z-]+)\s*\)\s*", text)
    roles = get_args(Role)
    if not match:
        raise UsageError(f'--present: {text!r} should be "Name (role)", for example "Sam Jones (parent)".')
    if match.group(2) not in roles:
        raise UsageError(f"--present: {match.group(2)!r} in {text!r} is not a role. Roles: {', '.join(roles)}.")
    return Person.model_validate({"name": match.group(1), "role": match.group(2)})


@dataclass
class MeetingInput:
    kind: str
    date: str
    present: list[str]
    reasons_explained: bool = False
    exclusion_made_clear: bool = False
    no_parent_reason: str | None = None
    parents_informed: str | None = None
    outcome: str | None = None
    notes: str | None = None


def build_meeting(given: MeetingInput, today: dt.date) -> Meeting:
    from apcli.model.schema import Meeting, MeetingKind

    kinds = get_args(MeetingKind)
    if given.kind not in kinds:
        raise UsageError(f"--kind: {given.kind!r} is not a kind of meeting. Kinds: {', '.join(kinds)}.")
    if not given.present:
        raise UsageError('A meeting needs who was there: --present "Name (role)", once for each person.')
    day = parse_date(given.date, "--date")
    check_not_future(day, today, "--date")
    return Meeting.model_validate(
        {
            "kind": given.kind,
            "date": day,
            "present": [parse_person(text) for text in given.present],
            "reasons_explained": given.reasons_explained,
            "exclusion_made_clear": given.exclusion_made_clear,
            "no_parent_reason": _text(given.no_parent_reason),
            "parents_informed": _text(given.parents_informed),
            "outcome": _text(given.outcome),
            "notes": _text(given.notes),
        }
    )


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def record_meeting(change: Change, meeting: Meeting) -> GateResult:
    def apply(case: Case) -> Case:
        check_not_before_referral(meeting.date, case, "--date")
        return case.model_copy(update={"meetings": [*case.meetings, meeting]})

    return change_case(change, "meeting", f"{meeting.kind} meeting on {meeting.date} recorded", apply)


# --- decisions --------------------------------------------------------------------

PARENT_DECISIONS = ("accepted", "refused")
HEAD_DECISIONS = ("approve", "direct", "proceed-with-exclusion", "withdraw")


def record_decision(
    change: Change, parents: str | None, headteacher: str | None, date: str, reason: str | None
) -> GateResult:
    from apcli.model.schema import Decision
    from apcli.model.status import parents_response

    if (parents is None) == (headteacher is None):
        raise UsageError(
            "Give either --parents accepted|refused or --headteacher approve|direct|proceed-with-exclusion|withdraw."
        )
    if parents is not None and parents not in PARENT_DECISIONS:
        raise UsageError(f"--parents: {parents!r} is not accepted or refused.")
    if headteacher is not None and headteacher not in HEAD_DECISIONS:
        raise UsageError(f"--headteacher: {headteacher!r} is not one of {', '.join(HEAD_DECISIONS)}.")
    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    decision = Decision.model_validate(
        {
            "by": "parents" if parents else "headteacher",
            "decision": parents or headteacher,
            "date": day,
            "reason": _text(reason),
        }
    )

    def apply(case: Case) -> Case:
        check_not_before_referral(day, case, "--date")
        check_decision_order(case, decision)
        if decision.decision == "proceed-with-exclusion":
            response = parents_response(case)
            if not (case.referral.alternative_to_exclusion and response and response.decision == "refused"):
                raise UsageError(
                    "--headteacher proceed-with-exclusion is for a pupil whose parents refused alternative provision "
                    "offered as an alternative to permanent exclusion; this case is not one. To close it, use withdraw."
                )
        if case.placements and decision.by == "parents":
            raise UsageError(
                "The placement is already recorded; the parents' response comes before it. "
                "If the parents have changed their mind, record it in a meeting (ap meeting --notes)."
            )
        return case.model_copy(update={"decisions": [*case.decisions, decision]})

    command = "decision" if parents else ("approval" if headteacher in ("approve", "direct") else "closing")
    who = "parents" if parents else "headteacher"
    return change_case(change, command, f"{who}: {decision.decision} ({day})", apply)


def check_decision_order(case: Case, decision: Decision) -> None:
    """Decisions follow one another: a party's new decision is not dated before its last one, the
    parents answer after the planning meeting, the headteacher after the parents, and a notice
    given means the case is ended with `ap end`, not closed by a decision."""
    from apcli.model.status import notice_for_placement, parents_response, planning_meetings

    same = [d for d in case.decisions if d.by == decision.by]
    if same and decision.date < max(d.date for d in same):
        raise UsageError(
            f"--date: the {decision.by}' last decision was on {max(d.date for d in same)}; a new one cannot be dated "
            "before it. Record the change with the date it was made."
        )
    planned = [m.date for _, m in planning_meetings(case)]
    if decision.by == "parents" and planned and decision.date < min(planned):
        raise UsageError(f"--date: the parents' response cannot come before the planning meeting ({min(planned)}).")
    response = parents_response(case)
    if decision.by == "headteacher" and response is not None and decision.date < response.date:
        raise UsageError(
            f"--date: the headteacher's decision cannot come before the parents' response ({response.date})."
        )
    if decision.decision in ("withdraw", "proceed-with-exclusion") and notice_for_placement(case) is not None:
        raise UsageError(
            "The parents have been given notice of the placement, so it is not withdrawn by a decision: "
            "end it with ap end CASE --outcome withdrawn (or the outcome that fits)."
        )


# --- the placement ------------------------------------------------------------------


@dataclass
class PlacementInput:
    provider: str
    start: str
    aims: list[str]
    start_time: str | None = None
    days: int | None = None
    end: str | None = None
    weekdays: str | None = None
    sessions: str = "both"
    report_to: str | None = None
    agreement: str | None = None
    agreement_signed: str | None = None
    cost: str | None = None
    approved_by: str | None = None
    approved_on: str | None = None
    english_maths: str | None = None
    reintegration: str | None = None
    la_informed: str | None = None


def parse_money(value: str, what: str) -> Decimal:
    text = value.strip().replace("£", "").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or not re_money.fullmatch(text):
        raise UsageError(f"{what}: {value!r} is not an amount of money; give pounds, for example 1530.00")
    if amount < 0:
        raise UsageError(f"{what}: {value!r} is not an amount of money; it cannot be negative")
    if amount > 10_000_000:
        raise UsageError(f"{what}: {value!r} is more than any placement could cost; check the amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise UsageError(f"{what}: {value!r} has more than two decimal places (pence)")
    return amount.quantize(Decimal("0.01"))


re_money = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def parse_weekdays(value: str | None, provider: Provider | None) -> list[str]:
    from apcli.model.schema import WEEKDAYS

    open_days: list[str] = list(provider.weekdays) if provider else list(WEEKDAYS)
    if value is None:
        return open_days
    days = [_weekday(word) for word in re.split(r"[,;/&\s]+", value.lower()) if word and word != "and"]
    for day in days:
        if day in ("sat", "sun"):
            raise UsageError(f"--weekdays: {day} is not a school day; a placement runs on weekdays (mon to fri).")
        if day not in WEEKDAYS:
            raise UsageError(f"--weekdays: {day!r} is not a weekday; write them as mon,tue,wed,thu,fri.")
        if day not in open_days:
            raise UsageError(f"--weekdays: the provider is open on {','.join(open_days)} only, not {day}.")
    if not days:
        raise UsageError("--weekdays: give at least one day, for example mon,wed.")
    return [day for day in WEEKDAYS if day in days]


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(word: str) -> str:
    """`tue`, `tues` or `tuesday` as `tue`; any other word as it is (never a day it only begins like: the
    first three letters of "Tuesday and Thursday" are not the placement's days)."""
    for name in _DAY_NAMES:
        if len(word) >= 3 and name.startswith(word):
            return name[:3]
    return word


def _end_after_days(records: Records, start: dt.date, days: int, weekdays: list[str]) -> dt.date:
    covers = records.calendar.covers
    last = covers[1] if covers else start
    attending = records.calendar.days_on(start, last, weekdays)
    if len(attending) < days:
        raise UsageError(
            f"--days {days}: calendar.yaml has only {len(attending)} placement days from {start} to its last term's "
            f"end ({last}). Add the next terms to calendar.yaml, or give --end."
        )
    return attending[days - 1]


def parse_sessions(value: str) -> str:
    text = value.strip().lower()
    if text not in ("am", "pm", "both"):
        raise UsageError(f"--sessions: {value!r} is not am, pm or both (the sessions of each day at the provider).")
    return text


def default_start_time(provider: Provider | None, attends: str) -> str | None:
    """The time the pupil starts: the provider's (afternoon) start; an afternoon is from the break's end."""
    if provider is None:
        return None
    times = provider.sessions
    if attends == "pm" and not times.single:
        return times.break_end
    return times.start or times.morning_start


def build_placement(records: Records, given: PlacementInput) -> Placement:
    from apcli.model.schema import Placement

    start = parse_date(given.start, "--start")
    records.provider_path(given.provider)  # refuses an id that is not one (a path, say)
    provider = records.providers.get(given.provider)
    weekdays = parse_weekdays(given.weekdays, provider)
    why_not = records.calendar.why_not_school_day(start)
    if why_not:
        raise UsageError(f"--start: {start} is not a school day: it is {why_not}.")
    if f"{start:%a}".lower() not in weekdays:
        raise UsageError(f"--start: {start} is a {start:%A}, not one of the placement's days ({','.join(weekdays)}).")
    if (given.days is None) == (given.end is None):
        raise UsageError("Give the placement's length as --days N (days at the provider) or --end DATE, not both.")
    if given.days is not None:
        if given.days < 1:
            raise UsageError("--days: a placement lasts at least one day.")
        end = _end_after_days(records, start, given.days, weekdays)
    else:
        end = parse_date(given.end or "", "--end")
        if end < start:
            raise UsageError(f"--end: {end} is before the start ({start}).")
    attends = parse_sessions(given.sessions)
    return Placement.model_validate(
        {
            "id": "P1",  # its place in the case's list is given when it is recorded
            "provider": given.provider,
            "start": start,
            "start_time": parse_time(given.start_time, "--start-time")
            if given.start_time
            else default_start_time(provider, attends),
            "end": end,
            "weekdays": weekdays,
            "attends": attends,
            "aims": [aim.strip() for aim in given.aims if aim.strip()],
            "report_to": _text(given.report_to) or (provider.contact if provider else None),
            "agreement": {
                "reference": given.agreement.strip(),
                "signed": parse_date(given.agreement_signed, "--agreement-signed"),
            }
            if given.agreement and given.agreement_signed
            else None,
            "cost": parse_money(given.cost, "--cost") if given.cost is not None else None,
            "approved_by": given.approved_by,
            "approved_on": parse_date(given.approved_on, "--approved-on") if given.approved_on else None,
            "english_maths": _text(given.english_maths),
            "reintegration": _text(given.reintegration),
            "la_informed": parse_date(given.la_informed, "--la-informed") if given.la_informed else None,
        }
    )


def unknown_approving_body(given: str, bodies: dict[str, str]) -> UsageError:
    """--approved-by names a body the settings do not hold: say which they hold, and the line that adds one."""
    from apcli.records.layout import SETTINGS_FILE

    listed = ", ".join(f"{key} ({name})" for key, name in bodies.items()) or "none"
    return UsageError(
        f"--approved-by: {given!r} is not an approving body in the settings (they hold: {listed}). If {given} "
        f"approved the budget, add it under approving_bodies: in {SETTINGS_FILE}, as the line "
        f"`  {given}: ITS FULL NAME` (the policy names the academy, its trust and the SEND hub), then run this "
        "again."
    )


def check_placement_values(records: Records, placement: Placement, given: PlacementInput, today: dt.date) -> None:
    if bool(given.agreement) != bool(given.agreement_signed):
        raise UsageError(
            "--agreement and --agreement-signed go together: the agreement's reference and the date it was signed."
        )
    bodies = records.settings.approving_bodies
    if placement.approved_by is not None and placement.approved_by not in bodies:
        raise unknown_approving_body(placement.approved_by, bodies)
    for day, option in (
        (placement.agreement.signed if placement.agreement else None, "--agreement-signed"),
        (placement.approved_on, "--approved-on"),
        (placement.la_informed, "--la-informed"),
    ):
        if day is not None:
            check_not_future(day, today, option)


def record_placement(change: Change, placement: Placement, alongside: bool = False) -> GateResult:
    """Record a placement: the first, the next once the last has ended, or (`alongside`) another one while one
    runs. One recorded but not yet notified may be recorded again (replaced); once notified, it is changed with
    `ap change`, which keeps what its notice said."""
    from apcli.model.status import headteacher_decision

    def apply(case: Case) -> Case:
        head = headteacher_decision(case)
        if head is not None and placement.start < head.date:
            raise UsageError(f"--start: {placement.start} is before the headteacher's decision ({head.date}).")
        for day, option in (
            (placement.agreement.signed if placement.agreement else None, "--agreement-signed"),
            (placement.approved_on, "--approved-on"),
        ):
            if day is not None:
                check_not_before_referral(day, case, option)
        placements = list(case.placements)
        still_open = case.open_placements
        replaced = next((p for p in reversed(still_open) if not p.notices), None) if not alongside else None
        if replaced is not None:
            change.placement = replaced.id
            placements[placements.index(replaced)] = placement.model_copy(
                update={"id": replaced.id, "alongside": replaced.alongside}
            )
        elif still_open and not alongside:
            raise UsageError(_open_already(still_open))
        else:
            if alongside and not still_open:
                raise UsageError("--alongside: no other placement is open; leave --alongside out.")
            for other in still_open:
                check_no_overlap(change.records, placement, other)
            change.placement = f"P{len(placements) + 1}"
            placements.append(placement.model_copy(update={"id": change.placement, "alongside": alongside}))
        return case.model_copy(update={"placements": placements})

    what = f"placement recorded: {placement.provider}, {placement.start} to {placement.end}"
    return change_case(change, "placement", what, apply, after_the_end=True)


def _open_already(still_open: list[Placement]) -> str:
    listed = ", ".join(f"{p.id} at {p.provider} ({p.start} to {p.end})" for p in still_open)
    return (
        f"The case already has an open placement, notified to the parents: {listed}. To change its dates, days or "
        'cost, use ap change CASE --why "..." (its notice stays recorded, and a new one is due for what changed); '
        "to place the pupil somewhere else as well, give --alongside; to record a new placement after it, end it "
        "first (ap end)."
    )


def check_no_overlap(records: Records, new: Placement, other: Placement) -> None:
    """Two placements may run at once only on different days, or in different sessions of the same day."""
    from apcli.model.schema import WEEKDAYS

    if new.provider == other.provider:
        raise UsageError(
            f"{other.id} is already at {other.provider}; change it with ap change rather than adding another there."
        )
    first, last = max(new.start, other.start), min(new.end, other.end)
    shared_days = [day for day in WEEKDAYS if day in new.weekdays and day in other.weekdays]
    shared_sessions = set(new.session_names) & set(other.session_names)
    if first > last or not shared_days or not shared_sessions:
        return
    clash = records.calendar.days_on(first, last, shared_days)
    if clash:
        raise UsageError(
            f"--weekdays/--sessions: the pupil would be at both {other.provider} ({other.id}) and {new.provider} on "
            f"{', '.join(shared_days)} ({'/'.join(sorted(shared_sessions)).upper()}), from {clash[0]}: a pupil is in "
            "one place each session. Give days (--weekdays) or sessions (--sessions am|pm) that do not overlap."
        )


# --- parents and carers ---------------------------------------------------------------


def add_contact(
    change: Change,
    name: str,
    relationship: str,
    address: str | None,
    email: str | None,
    phone: str | None,
    parental_responsibility: bool,
    cares_for_child: bool = False,
    method: str | None = None,
    title: str | None = None,
) -> GateResult:
    """Add a parent or carer: with parental responsibility, or who has care of the child (a parent within
    Education Act 1996 s576), they get the notice; `method` is how letters go to them."""
    from apcli.model.schema import METHODS, Contact

    if not name.strip() or not relationship.strip():
        raise UsageError("--name and --relationship cannot be blank.")
    if method is not None and method not in METHODS:
        raise UsageError(f"--method: {method!r} is not one of {', '.join(METHODS)}.")
    if method == "email" and not (email or "").strip():
        raise UsageError("--method email needs their --email address.")
    if method == "post" and not (address or "").strip():
        raise UsageError("--method post needs their postal --address.")
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
        raise UsageError(f"--email: {email!r} is not an email address.")
    contact = Contact(
        name=name.strip(),
        title=_text(title),
        relationship=relationship.strip(),
        address=_text(address),
        email=_text(email),
        phone=_text(phone),
        parental_responsibility=parental_responsibility,
        cares_for_child=cares_for_child,
        method=method,
    )

    def apply(case: Case) -> Case:
        if any(c.name.casefold() == contact.name.casefold() for c in case.contacts):
            raise UsageError(f"{contact.name} is already a contact on this case; change their details with ap edit.")
        return case.model_copy(update={"contacts": [*case.contacts, contact]})

    how = []
    if cares_for_child:
        how.append("has care of the child")
    if not parental_responsibility:
        how.append("no parental responsibility")
    if method:
        how.append(f"letters by {method}")
    said = f"; {', '.join(how)}" if how else ""
    return change_case(change, "parent", f"parent or carer added: {contact.name} ({contact.relationship}{said})", apply)


def set_ehc_la(change: Change, name: str | None, address: str | None) -> GateResult:
    """Record the local authority that maintains the pupil's EHC plan (the notice's copy goes to it), in place
    of the settings' LA; `name` "" goes back to the settings' one."""
    from apcli.model.schema import LocalAuthority

    if name is None and address is None:
        raise UsageError("Give --ehc-la NAME (and --ehc-la-address A).")

    def apply(case: Case) -> Case:
        if name is not None and not name.strip():
            if address is not None:
                raise UsageError('--ehc-la "" goes back to the settings\' LA; it takes no --ehc-la-address.')
            return case.model_copy(update={"ehc_la": None})
        given = name.strip() if name is not None else (case.ehc_la.name if case.ehc_la else None)
        if given is None:
            raise UsageError("--ehc-la-address needs --ehc-la NAME: the LA that maintains the plan.")
        kept = case.ehc_la.address if case.ehc_la and case.ehc_la.name == given else None
        la = LocalAuthority(name=given, address=_text(address) if address is not None else kept)
        return case.model_copy(update={"ehc_la": la})

    def what(case: Case) -> str:
        if case.ehc_la is None:
            return "the LA that maintains the EHC plan: the settings' one"
        return f"the LA that maintains the EHC plan: {case.ehc_la.name}" + (
            f", {case.ehc_la.address}" if case.ehc_la.address else ""
        )

    return change_case(change, "edit", what, apply)


# --- during the placement: contact with the provider, absence follow-ups ------------------


def record_contact(change: Change, date: str, with_: str, summary: str) -> GateResult:
    from apcli.model.schema import ProviderContact

    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    if not with_.strip() or not summary.strip():
        raise UsageError("--with and --summary cannot be blank: who was spoken to, and what about.")
    late = {"recorded": change.today} if day < change.today else {}  # entered late: never backdated silently
    contact = ProviderContact.model_validate({"date": day, "with": with_.strip(), "summary": summary.strip(), **late})

    def apply(case: Case) -> Case:
        if not case.placements:
            raise UsageError("There is no placement yet, so no provider to keep in contact with.")
        check_not_before_referral(day, case, "--date")
        return case.model_copy(update={"provider_contacts": [*case.provider_contacts, contact]})

    return change_case(change, "contact", f"contact with the provider on {day} ({contact.with_})", apply)


def record_contact_lapse(change: Change, week: str, why: str) -> dt.date:
    """Record a past week with no contact with the provider, once: it leaves `ap review due` and stays a lapse.
    Returns the week's Monday."""
    from apcli.model.attendance import attending_days
    from apcli.model.schema import ContactLapse

    day = parse_date(week, "--missed-week")
    monday = day - dt.timedelta(days=day.weekday())
    if not why.strip():
        raise UsageError("--why cannot be blank: say why there was no contact that week.")
    if monday + dt.timedelta(days=7) > change.today:
        raise UsageError(
            f"--missed-week: the week of {monday} is not over yet ({change.today}); there is still time to "
            "contact the provider (ap contact --date D --with NAME --summary T)."
        )
    lapse = ContactLapse(week=monday, why=why.strip(), recorded=change.today)

    def apply(case: Case) -> Case:
        sunday = monday + dt.timedelta(days=6)
        if not any(
            monday <= d <= sunday for p in case.placements for d in attending_days(change.records.calendar, p, sunday)
        ):
            raise UsageError(
                f"--missed-week: the pupil had no placement day in the week of {monday}; no contact was owed."
            )
        if any(monday <= c.date <= sunday for c in case.provider_contacts):
            raise UsageError(f"--missed-week: a contact with the provider is recorded in the week of {monday}.")
        if any(existing.week == monday for existing in case.contact_lapses):
            raise UsageError(f"--missed-week: the week of {monday} is already recorded as a lapse.")
        return case.model_copy(update={"contact_lapses": [*case.contact_lapses, lapse]})

    change_case(
        change,
        "contact",
        f"the week of {monday} recorded as a lapse in contact with the provider",
        apply,
        after_the_end=True,
    )
    return monday


def record_absence_follow_up(
    change: Change, date: str, session: str, follow_up: str, excluded_by_provider: bool = False
) -> GateResult:
    from apcli.model.attendance import is_absence
    from apcli.model.schema import AbsenceFollowUp

    day = parse_date(date, "--date")
    session = session.strip().lower()
    if session not in ("am", "pm"):
        raise UsageError(f"--session: {session!r} is not am or pm.")
    if not follow_up.strip():
        raise UsageError("--follow-up cannot be blank: say what was done (provider rang home, escalated, ...).")
    code = change.records.marks(change.case_id, fresh=True).get(day, session)
    if code is None or not is_absence(code):
        shown = f"marked {code}" if code else "not marked"
        raise UsageError(
            f"{day} {session.upper()} is {shown}, not an absence; a follow-up is recorded against an absence "
            "(ap attendance show lists them)."
        )
    entry = AbsenceFollowUp(
        date=day,
        session=session,  # type: ignore[arg-type]
        follow_up=follow_up.strip(),
        excluded_by_provider=excluded_by_provider,
    )

    def apply(case: Case) -> Case:
        return case.model_copy(update={"absences": [*case.absences, entry]})

    what = "the provider's exclusion of the pupil" if excluded_by_provider else "follow-up of the absence"
    return change_case(change, "absence", f"{what} on {day} {session.upper()} ({code})", apply, after_the_end=True)


# --- reviews, targets and measures -------------------------------------------------------


def _started(case: Case, day: dt.date, what: str) -> None:
    start = min((p.start for p in case.placements), default=None)
    if start is None or day < start:
        raise UsageError(f"--date: {what} comes once the placement has started ({start or 'no placement yet'}).")


@dataclass
class ReviewInput:
    """What `ap review record` was given (reg 4(1): after each review meeting the school decides whether the
    requirement continues and for how long; the parents are invited, so it records whether they came)."""

    date: str
    outcome: str
    responsible: str
    next_date: str | None = None
    parents_views: str | None = None
    present: list[str] | None = None
    no_parent_reason: str | None = None
    continue_until: str | None = None


def record_review(change: Change, given: ReviewInput) -> GateResult:
    from apcli.model.schema import Review

    day = parse_date(given.date, "--date")
    check_not_future(day, change.today, "--date")
    outcome = given.outcome
    if outcome not in ("continue", "change", "end"):
        raise UsageError(f"--outcome: {outcome!r} is not continue, change or end.")
    upcoming = parse_date(given.next_date, "--next") if given.next_date else None
    if outcome != "end" and upcoming is None:
        raise UsageError("--next: a placement that goes on needs the date of its next review (the policy: every term).")
    if upcoming is not None and upcoming <= max(day, change.today):
        raise UsageError(f"--next: {upcoming} is not after today and the review; the next review is in the future.")
    if not given.responsible.strip():
        raise UsageError("--responsible: name who is responsible for the placement and its reviews.")
    if not given.present:
        raise UsageError(
            'A review is a meeting: give who attended with --present "Name (role)", once for each person '
            "(the parents are invited: a parent or carer, or --no-parent-reason)."
        )
    present = [parse_person(text) for text in given.present]
    no_parent = _text(given.no_parent_reason)
    if not {p.role for p in present} & {"parent", "carer"} and no_parent is None:
        raise UsageError(
            "No parent or carer is among --present: the parents must be invited to the review; say why none "
            'came with --no-parent-reason "..." (for example: invited by letter on 2 November, did not reply).'
        )
    until = parse_date(given.continue_until, "--continue-until") if given.continue_until else None
    if until is None and outcome != "end":
        raise UsageError(
            "--continue-until: the review decides how long the placement continues (reg 4(1)(b)); give the last "
            "day it continues to."
        )
    if until is not None and until < day:
        raise UsageError(f"--continue-until: {until} is before the review ({day}).")
    if until is not None and upcoming is not None and upcoming > until:
        raise UsageError(
            f"--next: {upcoming} is after the placement's last day as decided ({until}); the next review is "
            "held while it runs."
        )
    review = Review.model_validate(
        {
            "date": day,
            "outcome": outcome,
            "next": upcoming,
            "responsible": given.responsible.strip(),
            "parents_views": _text(given.parents_views),
            "present": present,
            "no_parent_reason": no_parent if not {p.role for p in present} & {"parent", "carer"} else None,
            "continue_until": until,
        }
    )

    def apply(case: Case) -> Case:
        _started(case, day, "a review of the placement")
        if any(r.date == day for r in case.reviews):
            raise UsageError(f"A review on {day} is already recorded; change it with ap edit.")
        if until is not None and outcome in ("continue", "end"):
            running = [p for p in case.placements if p.ending is None or p.ending.date >= day] or case.placements
            last = max(p.end for p in running)
            if until > last:
                raise UsageError(
                    f"--continue-until: {until} is after the placement's last day ({last}). Going on longer is a "
                    "change: --outcome change, then extend it with ap change CASE --end D (a new notice is due)."
                )
        return case.model_copy(update={"reviews": [*case.reviews, review]})

    what = f"review on {day}: {outcome}" + (f" (continues to {until})" if until and outcome != "end" else "")
    return change_case(change, "review", what, apply, after_the_end=True)


def record_review_request(change: Change, date: str, requested_by: str) -> GateResult:
    from apcli.model.schema import ReviewRequest

    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    if not requested_by.strip():
        raise UsageError("--by: who asked for the review, in writing.")
    request = ReviewRequest(date=day, by=requested_by.strip())

    def apply(case: Case) -> Case:
        if not case.placements:
            raise UsageError("There is no placement to review yet.")
        return case.model_copy(update={"review_requests": [*case.review_requests, request]})

    return change_case(change, "review", f"review asked for in writing by {request.by} on {day}", apply)


SAS_RANGE = (40.0, 160.0)
BOXALL_RANGE = (0.0, 136.0)  # 34 items scored 0-4: no strand can score more


def check_measure_value(measure: str, value: float, test: str | None, option: str = "--value") -> None:
    if measure.startswith("sas-"):
        if not SAS_RANGE[0] <= value <= SAS_RANGE[1]:
            raise UsageError(
                f"{option}: a standardised age score is between {SAS_RANGE[0]:g} and {SAS_RANGE[1]:g}, not {value:g}."
            )
        if not (test or "").strip():
            raise UsageError("--test: a standardised age score needs the name of the test it comes from.")
    elif measure.startswith("boxall-"):
        if not BOXALL_RANGE[0] <= value <= BOXALL_RANGE[1]:
            raise UsageError(
                f"{option}: a Boxall Profile strand score is between 0 and {BOXALL_RANGE[1]:g}, not {value:g}."
            )
    elif measure == "behaviour" and (value < 0 or value != int(value)):
        raise UsageError(
            f"{option}: behaviour is the number of incidents in the period, a whole number, not {value:g}."
        )


def parse_number(value: str, option: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a number.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise UsageError(f"{option}: {value!r} is not a number.")
    return number


def record_target(change: Change, measure: str, baseline: str, goal: str, date: str, test: str | None) -> GateResult:
    from apcli.model.schema import Target

    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    name = measure.strip().lower()
    if not name:
        raise UsageError(
            "--measure: name what is measured (attendance, behaviour, sas-reading, boxall-..., or a name)."
        )
    base, aim = parse_number(baseline, "--baseline"), parse_number(goal, "--goal")
    for value, option in ((base, "--baseline"), (aim, "--goal")):
        if name != "attendance":
            check_measure_value(name, value, test or "target", option)
        elif not 0 <= value <= 100:
            raise UsageError("attendance targets are percentages, 0 to 100.")
    target = Target(measure=name, baseline=base, goal=aim, date=day, test=_text(test))

    def apply(case: Case) -> Case:
        if not case.placements:
            raise UsageError("Targets are set for a placement; there is none yet.")
        return case.model_copy(update={"targets": [*case.targets, target]})

    return change_case(change, "target", f"target set: {name} from {base:g} to {aim:g}", apply)


def record_measure(
    change: Change, measure: str, value: str | None, date: str, test: str | None
) -> tuple[GateResult, float]:
    """Record a measure against a target; attendance is computed from the marks, never typed."""
    from apcli.model.attendance import summarise
    from apcli.model.schema import Measure

    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    name = measure.strip().lower()
    if name == "attendance":
        if value is not None:
            raise UsageError("--value: attendance is computed from the marks, not typed; leave --value out.")
        marks = change.records.marks(change.case_id, fresh=True)
        sums = summarise(code for d, _, code in marks.sessions() if d <= day)
        if sums.percent is None:
            raise UsageError("There are no possible sessions marked yet to compute attendance from.")
        number = sums.percent
    else:
        if value is None:
            raise UsageError("--value is needed for this measure.")
        number = parse_number(value, "--value")
        check_measure_value(name, number, test)
    entry = Measure(measure=name, value=number, date=day, test=_text(test))

    def apply(case: Case) -> Case:
        if not any(t.measure == name for t in case.targets):
            raise UsageError(f"--measure: there is no target for {name!r}; set one first (ap target).")
        _started(case, day, "a measure of progress")
        return case.model_copy(update={"measures": [*case.measures, entry]})

    return change_case(change, "measure", f"measure: {name} {number:g} on {day}", apply), number


# --- safeguarding and the end ----------------------------------------------------------------

REFERENCE_MAX = 40


def record_safeguarding(change: Change, date: str, dsl: str, reference: str) -> GateResult:
    from apcli.model.schema import SafeguardingReference

    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    if not dsl.strip() or not reference.strip():
        raise UsageError("A concern is logged with the DSL it was raised with (--dsl) and its reference (--reference).")
    if len(reference.strip()) > REFERENCE_MAX or len(reference.split()) > 2 or not re.search(r"[0-9]", reference):
        raise UsageError(
            "--reference looks like the details of the concern. The case never holds them: record them in the "
            "school's safeguarding system, and give here only its reference (for example CPOMS-12345)."
        )
    dsls = [name for name in (change.records.settings.school.dsl, *change.records.settings.school.deputy_dsls) if name]
    if dsls and _without_title(dsl) not in {_without_title(name) for name in dsls}:
        raise UsageError(
            f"--dsl: {dsl.strip()!r} is not the academy's DSL in the settings ({', '.join(dsls)}). Concerns are raised "
            "with the DSL; add a deputy to school.deputy_dsls in ap-settings.yaml if they are one."
        )
    entry = SafeguardingReference(date=day, dsl=dsl.strip(), reference=reference.strip())

    def apply(case: Case) -> Case:
        return case.model_copy(update={"safeguarding": [*case.safeguarding, entry]})

    return change_case(
        change, "safeguarding", f"safeguarding concern raised with the DSL on {day} (ref {entry.reference})", apply
    )


def _without_title(name: str) -> str:
    """`Mr Daniel Okafor` and `daniel okafor` are the same person."""
    words = name.casefold().replace(".", " ").split()
    return " ".join(words[1:] if words and words[0] in ("mr", "mrs", "ms", "miss", "mx", "dr") else words)


def choose_placement(case: Case, placement_id: str | None, what: str, open_only: bool = True) -> Placement:
    """The placement a command is about: the one named (`--placement P2`), or the only open one."""
    choices = case.open_placements if open_only else case.placements
    if placement_id is not None:
        chosen = case.placement_by_id(placement_id.strip().upper())
        if chosen is None:
            listed = ", ".join(p.id for p in case.placements) or "none yet"
            raise UsageError(f"--placement: the case has no placement {placement_id!r} (its placements: {listed}).")
        if open_only and chosen.ending is not None:
            raise UsageError(f"--placement: {chosen.id} ended on {chosen.ending.date}; {what} is for an open one.")
        return chosen
    if not case.placements:
        raise UsageError(f"There is no placement yet: {what} comes once one is recorded (ap placement).")
    if not choices:
        raise UsageError(f"Every placement of the case has ended; {what} is for an open one.")
    if len(choices) > 1:
        listed = ", ".join(f"{p.id} ({p.provider})" for p in choices)
        raise UsageError(f"The case has more than one open placement ({listed}): say which with --placement.")
    return choices[0]


AFTER_A_BREAKDOWN = ("breakdown", "excluded-from-provision")


def end_case(
    change: Change,
    date: str,
    outcome: str,
    notes: str | None,
    placement_id: str | None = None,
    returns: str | None = None,
    instead: str | None = None,
) -> GateResult:
    """End a placement: on a day up to today (its last day, typically), recorded with the day it was entered.
    After a breakdown, the day the pupil returns to the academy (`returns`, may be ahead) or what happens instead."""
    from apcli.model.schema import Ending, EndingOutcome

    day = parse_date(date, "--date")
    outcomes = get_args(EndingOutcome)
    if outcome not in outcomes:
        raise UsageError(f"--outcome: {outcome!r} is not one of {', '.join(outcomes)}.")
    check_not_future(day, change.today, "--date")
    back = parse_date(returns, "--returns") if returns else None
    if (back is not None or _text(instead)) and outcome not in AFTER_A_BREAKDOWN:
        raise UsageError(
            f"--returns and --instead say what follows a breakdown or an exclusion from the provision, not "
            f"--outcome {outcome}; put anything else in --notes."
        )
    if back is not None and back <= day:
        raise UsageError(f"--returns: {back} is not after the placement's last day ({day}).")
    ending = Ending.model_validate(
        {
            "date": day,
            "outcome": outcome,
            "notes": _text(notes),
            "recorded": change.today if change.today > day else None,
            "returns": back,
            "instead": _text(instead),
        }
    )

    def apply(case: Case) -> Case:
        check_not_before_referral(day, case, "--date")
        placement = choose_placement(case, placement_id, "ending a placement")
        if day > placement.end:
            raise UsageError(
                f"--date: {day} is after {placement.id}'s last day ({placement.end}). If it went on longer, "
                f"extend it first (ap change CASE --end D --why ...)."
            )
        if day < placement.start and outcome != "withdrawn":
            raise UsageError(
                f"--date: {day} is before the placement started ({placement.start}); a placement that never "
                "started can only be withdrawn (--outcome withdrawn)."
            )
        change.placement = placement.id
        return with_placement(case, placement.model_copy(update={"ending": ending}))

    return change_case(
        change,
        "end",
        lambda case: f"placement {change.placement} ended on {day}: {outcome}",
        apply,
        after_the_end=False,
    )


def with_placement(case: Case, placement: Placement) -> Case:
    """The case with `placement` in place of the one with its id."""
    placements = [placement if p.id == placement.id else p for p in case.placements]
    return case.model_copy(update={"placements": placements})


# --- the EHC needs assessment and concerns ----------------------------------------------------------

EHCNA_STATUSES = ("requested", "agreed", "refused", "plan-issued")


def record_ehcna(change: Change, status: str, date: str) -> GateResult:
    """Record a step of the EHC needs assessment (REF-EHCNA): requested, the LA agreed or refused to assess, a
    plan issued. Each step is dated on or after the one before; a plan is issued only after an agreement."""
    from apcli.model.schema import EhcnaStep

    if status not in EHCNA_STATUSES:
        raise UsageError(f"--status: {status!r} is not one of {', '.join(EHCNA_STATUSES)}.")
    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")

    def apply(case: Case) -> Case:
        referral = case.referral
        if status == "requested":
            if referral.ehcna_requested is not None:
                raise UsageError(
                    f"The request is recorded already ({referral.ehcna_requested}); change it with ap edit."
                )
            if referral.ehcna_steps and day > referral.ehcna_steps[0].date:
                raise UsageError(f"--date: {day} is after the assessment's next step ({referral.ehcna_steps[0].date}).")
            return case.model_copy(update={"referral": referral.model_copy(update={"ehcna_requested": day})})
        if referral.ehcna_requested is None:
            raise UsageError(
                "No request for an EHC needs assessment is recorded: record it first "
                "(ap ehcna CASE --status requested --date D)."
            )
        earlier = [referral.ehcna_requested, *(step.date for step in referral.ehcna_steps)]
        if day < max(earlier):
            raise UsageError(f"--date: {day} is before the assessment's last recorded step ({max(earlier)}).")
        statuses = [step.status for step in referral.ehcna_steps]
        if status == "plan-issued" and (not statuses or statuses[-1] != "agreed"):
            raise UsageError(
                "--status plan-issued: an EHC plan is issued after the LA agreed to assess (--status agreed)."
            )
        if statuses and statuses[-1] == status:
            raise UsageError(
                f"--status {status} is the assessment's status already (since {referral.ehcna_steps[-1].date})."
            )
        if "plan-issued" in statuses:
            raise UsageError("An EHC plan has been issued: the assessment is over (set the pupil's SEND with ap edit).")
        step = EhcnaStep.model_validate({"status": status, "date": day})
        updated = referral.model_copy(update={"ehcna_steps": [*referral.ehcna_steps, step]})
        return case.model_copy(update={"referral": updated})

    return change_case(change, "ehcna", f"EHC needs assessment {status} on {day}", apply, after_the_end=True)


def record_concern(change: Change, date: str, by: str, summary: str) -> GateResult:
    """Record a concern, raised by the provider or the school, that the placement is not working (ATT-NOT-WORKING):
    a formal meeting is then due. Never the details of a safeguarding concern (those go to the DSL)."""
    from apcli.model.schema import Concern

    day = parse_date(date, "--date")
    check_not_future(day, change.today, "--date")
    if not by.strip():
        raise UsageError("--by: who raised the concern (someone at the provider or the school).")
    if not summary.strip():
        raise UsageError("--summary: what the concern is, in a few words.")
    entry = Concern(date=day, by=by.strip(), summary=summary.strip())

    def apply(case: Case) -> Case:
        _started(case, day, "a concern about the placement")
        return case.model_copy(update={"concerns": [*case.concerns, entry]})

    return change_case(change, "concern", f"concern raised by {entry.by} on {day}", apply)
