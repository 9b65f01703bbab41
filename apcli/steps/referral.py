"""Opening a case from a referral: the inputs, the checks, the new case file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from apcli.errors import UsageError
from apcli.model.dates import parse_date
from apcli.model.upn import normalise_upn, upn_problem

if TYPE_CHECKING:
    from apcli.model.schema import Case, Contact, LocalAuthority, ManagedMove, ReferralForm, Suspension
    from apcli.records.store import Records


@dataclass
class ReferralInput:
    """A referral as typed on the command line (all text, checked here)."""

    name: str | None = None
    dob: str | None = None
    year: str | None = None
    date: str | None = None
    reasons: list[str] = field(default_factory=list)
    rationale: str | None = None
    upn: str | None = None
    send: str | None = None
    send_hub: str | None = None
    alternative_to_exclusion: bool = False
    out_of_year_group: bool = False
    suspensions: list[str] = field(default_factory=list)
    attendance: str | None = None
    ehcna_requested: str | None = None
    managed_move: str | None = None
    managed_move_why: str | None = None
    managed_move_consent: str | None = None
    parents: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    ehc_la: str | None = None
    ehc_la_address: str | None = None


def parse_year(value: str | int) -> int | str:
    """A year group as typed: R (Reception) or 1-13; anything else is not a year of an English school."""
    text = str(value).strip().upper().removeprefix("YEAR").removeprefix("Y").strip()
    if text in ("R", "RECEPTION"):
        return "R"
    if text.isdigit() and 1 <= int(text) <= 13:
        return int(text)
    raise UsageError(f"--year: {value!r} is not a year group of an English school. Give R or a number from 1 to 13.")


def parse_reason(value: str) -> str:
    from apcli.model.schema import REASONS

    reason = value.strip().lower()
    if reason not in REASONS:
        listed = "\n".join(f"  {key}: {text}" for key, text in REASONS.items())
        raise UsageError(f"--reason: {value!r} is not one of the policy's reasons. Give one of:\n{listed}")
    return reason


def parse_suspension(value: str) -> Suspension:
    from apcli.model.schema import Suspension

    match = re.match(r"^(.+):(\d+(?:\.\d+)?)$", value.strip())
    if not match:
        raise UsageError(f"--suspension: {value!r} should be DATE:DAYS, for example 2026-10-05:2")
    days = float(match.group(2))
    if not 0 < days <= 45:
        raise UsageError(f"--suspension: {value!r}: a suspension lasts more than 0 and at most 45 school days")
    return Suspension(date=parse_date(match.group(1), "--suspension"), days=days)


def parse_percent(value: str, what: str) -> float:
    try:
        number = float(value.strip().removesuffix("%"))
    except ValueError:
        raise UsageError(f"{what}: {value!r} is not a percentage; give a number such as 82.5") from None
    if not 0 <= number <= 100:
        raise UsageError(f"{what}: {value!r} is not between 0 and 100")
    return number


def parse_parent(value: str, address: str | None) -> Contact:
    from apcli.model.schema import Contact

    match = re.match(r"^\s*(.+?)\s*\((.+)\)\s*$", value)
    if not match:
        raise UsageError(f'--parent: {value!r} should be "Name (relationship)", for example "Sam Jones (mother)"')
    return Contact(name=match.group(1), relationship=match.group(2).strip(), address=address)


def parse_parents(parents: list[str], addresses: list[str]) -> list[Contact]:
    """Each --parent with its --address, in order; one --address may be shared by all."""
    if addresses and not parents:
        raise UsageError('--address belongs to a parent: give --parent "Name (relationship)" with it.')
    if len(addresses) not in (0, 1, len(parents)):
        raise UsageError(
            f"{len(parents)} --parent but {len(addresses)} --address: give one --address for each --parent, "
            "in the same order (or one address they share)."
        )
    shared = addresses[0] if len(addresses) == 1 else None
    return [
        parse_parent(parent, shared if shared is not None else (addresses[i] if addresses else None))
        for i, parent in enumerate(parents)
    ]


def parse_managed_move(status: str | None, why: str | None, consent: str | None) -> ManagedMove | None:
    from apcli.model.schema import ManagedMove

    if status is None:
        if why or consent:
            raise UsageError(
                "--managed-move-why and --managed-move-consent need --managed-move considered|tried|not-suitable"
            )
        return None
    allowed = get_args(ManagedMove.model_fields["status"].annotation)
    if status not in allowed:
        raise UsageError(f"--managed-move: {status!r} is not one of {', '.join(allowed)}")
    return ManagedMove.model_validate(
        {
            "status": status,
            "why": why,
            "parents_consent": parse_date(consent, "--managed-move-consent") if consent else None,
        }
    )


def load_form(path: Path) -> ReferralForm:
    from apcli.errors import InvalidFileError
    from apcli.model.schema import ReferralForm
    from apcli.records import yamlio
    from apcli.records.store import read_text, validate

    shown = str(path)
    text = read_text(path, shown)
    data = yamlio.load(text, shown, plain=True)
    if not isinstance(data, dict):
        raise InvalidFileError("should hold the referral's fields (name:, dob:, year:, reasons:, ...)", shown, 1)
    return validate(ReferralForm, data, text, shown)


def _required(value: object, option: str) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UsageError(f"{option} is required (on the command line, or in the --from form).")
    return value


def build_case(given: ReferralInput, form: ReferralForm | None, today: dt.date, by: str) -> Case:
    """The new case a referral opens. Options on the command line win over the form."""
    from apcli.model.schema import Case, Pupil, Referral, ReferralForm

    form = form or ReferralForm()
    name = str(_required(given.name or form.name, "--name"))
    dob = parse_date(given.dob, "--dob") if given.dob else _required(form.dob, "--dob")
    year = parse_year(given.year if given.year is not None else _required(form.year, "--year"))  # type: ignore[arg-type]
    date = parse_date(given.date, "--date") if given.date else form.date or today
    if date > today:
        raise UsageError(f"--date: the referral date {date} is after today ({today}).")
    assert isinstance(dob, dt.date)
    if not dt.date(date.year - 19, 1, 1) < dob < date:
        raise UsageError(f"--dob: {dob} cannot be the date of birth of a pupil referred on {date}.")
    upn = normalise_upn(given.upn) if given.upn else normalise_upn(form.upn) if form.upn else None
    if upn and (problem := upn_problem(upn)):
        raise UsageError(f"--upn: {problem}.")
    send = given.send or form.send or "none"
    if send not in ("none", "sen-support", "ehc-plan"):
        raise UsageError(f"--send: {send!r} is not one of none, sen-support, ehc-plan")
    expected_by_dob = None
    out_of_year = given.out_of_year_group or bool(form.out_of_year_group)
    if out_of_year:
        from apcli.model.dates import year_group_for

        expected_by_dob = year_group_for(dob, date)
        if expected_by_dob == year:
            raise UsageError(
                f"--out-of-year-group: the date of birth gives Year {year} on {date}, the year given; "
                "the pupil is in their own year group, so leave the option out."
            )
    reasons = list(dict.fromkeys([parse_reason(r) for r in given.reasons] or [parse_reason(r) for r in form.reasons]))
    contacts = [*form.parents, *parse_parents(given.parents, given.addresses)]
    managed_move = (
        parse_managed_move(given.managed_move, given.managed_move_why, given.managed_move_consent)
        if given.managed_move or given.managed_move_why or given.managed_move_consent
        else form.managed_move
    )
    referral = Referral(
        date=date,
        by=by,
        reasons=reasons,  # type: ignore[arg-type]
        rationale=(given.rationale if given.rationale is not None else form.rationale or "").strip(),
        alternative_to_exclusion=given.alternative_to_exclusion or bool(form.alternative_to_exclusion),
        send_hub=parse_date(given.send_hub, "--send-hub") if given.send_hub else form.send_hub,
        suspensions=[parse_suspension(s) for s in given.suspensions] or list(form.suspensions),
        attendance_percent=parse_percent(given.attendance, "--attendance") if given.attendance else form.attendance,
        ehcna_requested=parse_date(given.ehcna_requested, "--ehcna-requested")
        if given.ehcna_requested
        else form.ehcna_requested,
        managed_move=managed_move,
    )
    for when, option in [(referral.send_hub, "--send-hub"), (referral.ehcna_requested, "--ehcna-requested")]:
        if when and when > date:
            raise UsageError(f"{option}: {when} is after the referral date {date}.")
    for suspension in referral.suspensions:
        if not dob < suspension.date <= date:
            raise UsageError(
                f"--suspension: {suspension.date} is not between the pupil's birth and the referral ({date})."
            )
    pupil = Pupil(name=name.strip(), dob=dob, year=year, upn=upn, out_of_year_group=out_of_year, send=send)  # type: ignore[arg-type]
    return Case(pupil=pupil, contacts=contacts, ehc_la=_ehc_la(given, form, send), referral=referral)


def _ehc_la(given: ReferralInput, form: ReferralForm, send: str) -> LocalAuthority | None:
    """The LA that maintains the pupil's EHC plan, where the referral names one (else the settings' LA serves)."""
    from apcli.model.schema import LocalAuthority

    name = (given.ehc_la if given.ehc_la is not None else form.ehc_la or "").strip()
    address = (given.ehc_la_address if given.ehc_la_address is not None else form.ehc_la_address or "").strip()
    if address and not name:
        raise UsageError("--ehc-la-address needs --ehc-la NAME: the LA that maintains the plan.")
    if name and send != "ehc-plan":
        raise UsageError("--ehc-la is the LA that maintains the pupil's EHC plan: give it with --send ehc-plan.")
    return LocalAuthority(name=name, address=address or None) if name else None


def open_case(
    records: Records, case: Case, today: dt.date, by: str, overrides: dict[str, str]
) -> tuple[str, list[str]]:
    """Check the referral against the REF-* rules and write the new case. Returns its id and unneeded overrides."""
    from apcli.model.history import record
    from apcli.policy import CaseContext, gate

    year = case.referral.date.year
    with records.lock("new-case"):
        refuse_a_second_open_case(records, case, today)
        case_id = records.next_case_id(year)
        result = gate("refer", CaseContext(case_id, case, today, records), overrides)
        case = record(case, today, by, "referral opened", result.used, step="refer")
        records.save_case(case_id, case, None)
    return case_id, result.unneeded


def refuse_a_second_open_case(records: Records, case: Case, today: dt.date) -> None:
    """One pupil, one open case: a referral for a pupil whose case is still open is a mistake."""
    from apcli.errors import ApError
    from apcli.model.status import status

    pupil = case.pupil
    for case_id in records.case_ids():
        try:
            other = records.load_case(case_id).case
        except ApError:
            continue  # `ap check` reports it
        same = (pupil.upn is not None and other.pupil.upn == pupil.upn) or (
            other.pupil.name.casefold() == pupil.name.casefold() and other.pupil.dob == pupil.dob
        )
        current = status(other, today)
        if same and current not in ("ended", "closed"):
            # Name the pupil of the case that exists: when only the UPN matches, the new name may be a typo or
            # another child, and the user must see which pupil the UPN already belongs to.
            theirs = other.pupil
            match = (
                f"UPN {pupil.upn}"
                if pupil.upn is not None and theirs.upn == pupil.upn
                else f"{pupil.name} (born {pupil.dob})"
            )
            raise UsageError(
                f"{match} already has an open case: {case_id} ({current}) for {theirs.name} (born {theirs.dob}"
                f"{f', UPN {theirs.upn}' if theirs.upn else ''}). Record the new information on that case "
                f"(ap show {case_id}); a new referral opens once that case has ended or closed."
            )
