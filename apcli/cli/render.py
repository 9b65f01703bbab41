"""Rich renderings of a case for `ap show`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apcli.model.attendance import Marks
    from apcli.model.schema import Case, Placement, Review
    from apcli.records.store import LoadedCase, Records
    from apcli.reports.overview import Overview


def _section(title: str, rows: list[tuple[str, str]]) -> Any:
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", min_width=14)
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    table.title = title
    table.title_justify = "left"
    table.title_style = "bold underline"
    return table


def render_case(
    loaded: LoadedCase, seen: Overview, today: dt.date, marks: Marks | None = None, records: Records | None = None
) -> Any:
    from rich.console import Group
    from rich.table import Table

    from apcli.model.dates import year_group_for
    from apcli.model.schema import REASONS

    case = loaded.case
    pupil, referral = case.pupil, case.referral
    parts: list[Any] = []
    year_now = year_group_for(pupil.dob, today) if not pupil.out_of_year_group else None
    year = f"Year {pupil.year} at referral" + (f", Year {year_now} now" if year_now not in (None, pupil.year) else "")
    parts.append(
        _section(
            f"{loaded.id}  ({loaded.shown})",
            [
                ("pupil", f"{pupil.name}, {year}" + (" (out of year group)" if pupil.out_of_year_group else "")),
                ("born", str(pupil.dob)),
                ("UPN", pupil.upn or "-"),
                ("SEND", pupil.send + _plan_la(case, records)),
                ("status", seen.status),
                ("next", seen.next),
            ],
        )
    )
    if seen.blocking:
        table = Table("rule", "what stops the next step", "how to supply it", title="blocked by", title_justify="left")
        for rule, finding in seen.blocking:
            table.add_row(f"{rule.id} ({rule.kind})", finding.message, finding.fix)
        parts.append(table)
    contacts = [
        (
            "parent/carer",
            f"{c.name} ({c.relationship})"
            + ("" if c.parental_responsibility else ", no parental responsibility")
            + (", has care of the child" if c.cares_for_child else "")
            + ("" if c.is_parent else ": not a parent in law, so no notice goes to them")
            + (f"; letters by {c.method}" if c.method else "")
            + "".join(f"; {v}" for v in (c.address, c.phone, c.email) if v),
        )
        for c in case.contacts
    ]
    parts.append(_section("family", contacts or [("parent/carer", "none recorded")]))
    referral_rows = [
        ("referred", f"{referral.date} by {referral.by or '?'}"),
        ("reasons", "\n".join(f"{r}: {REASONS[r]}" for r in referral.reasons) or "-"),
        ("rationale", referral.rationale or "-"),
        ("SEND Hub", str(referral.send_hub or "-")),
    ]
    if referral.alternative_to_exclusion:
        referral_rows.append(("offered as", "an alternative to permanent exclusion"))
    if referral.suspensions:
        referral_rows.append(
            (
                "suspensions",
                ", ".join(f"{s.date} ({s.days:g} day{'' if s.days == 1 else 's'})" for s in referral.suspensions),
            )
        )
    if referral.attendance_percent is not None:
        referral_rows.append(("attendance", f"{referral.attendance_percent:g}%"))
    if referral.ehcna_requested:
        referral_rows.append(("EHCNA requested", str(referral.ehcna_requested)))
    for step in referral.ehcna_steps:
        referral_rows.append((f"EHCNA {step.status}", str(step.date)))
    if referral.managed_move:
        move = referral.managed_move
        consent = f" (parents consented {move.parents_consent})" if move.parents_consent else ""
        referral_rows.append(("managed move", f"{move.status}{consent}: {move.why or '-'}"))
    parts.append(_section("referral", referral_rows))
    if case.meetings or case.decisions:
        rows = []
        for m in case.meetings:
            present = ", ".join(f"{p.name} ({p.role})" for p in m.present)
            flags = [
                t
                for t, on in (
                    ("reasons explained", m.reasons_explained),
                    ("exclusion made clear", m.exclusion_made_clear),
                )
                if on
            ]
            extra = "".join(f"\n{t}" for t in (m.no_parent_reason, m.parents_informed, m.outcome, m.notes) if t)
            rows.append((f"{m.date} {m.kind}", present + (f" [{'; '.join(flags)}]" if flags else "") + extra))
        for d in case.decisions:
            rows.append((f"{d.date} {d.by}", d.decision + (f": {d.reason}" if d.reason else "")))
        parts.append(_section("meetings and decisions", rows))
    for p in case.placements:
        parts.append(_section(f"placement {p.id}", _placement_rows(p, records, case, loaded.id)))
    if case.letters:
        parts.append(
            _section("letters", [(str(x.date), f"{x.kind} to {x.to} by {x.method}: {x.file}") for x in case.letters])
        )
    if marks is not None and marks.days:
        from apcli.model.attendance import summarise

        marked = sorted(marks.days)
        sums = summarise(code for _, _, code in marks.sessions())
        statutory = summarise((code for _, _, code in marks.sessions()), statutory=True)
        percent = f"{sums.percent:g}%" if sums.percent is not None else "-"
        attended = f"{percent} attended"
        if statutory != sums:  # D marks: the school's statutory figure differs, so both are named
            shown = f"{statutory.percent:g}%" if statutory.percent is not None else "-"
            attended = f"{percent} attended at the provider, {shown} statutory (school register)"
        parts.append(
            _section(
                "attendance",
                [
                    (
                        "marks",
                        f"{len(marked)} days, {marked[0]} to {marked[-1]}: {attended} (ap attendance show)",
                    )
                ],
            )
        )
    if case.provider_contacts or case.contact_lapses:
        contact_rows = [
            (str(c.date), f"{c.with_}: {c.summary}" + (f" (entered late, on {c.recorded})" if c.recorded else ""))
            for c in case.provider_contacts
        ] + [
            (f"week of {lapse.week}", f"LAPSE: no contact ({lapse.why}; recorded {lapse.recorded})")
            for lapse in case.contact_lapses
        ]
        parts.append(_section("contact with the provider", sorted(contact_rows)))
    refusals = [a for a in case.absences if a.excluded_by_provider]
    if refusals:
        parts.append(
            _section(
                "excluded by the provider",
                [(f"{a.date} {a.session.upper()}", a.follow_up) for a in refusals],
            )
        )
    if case.reviews:
        parts.append(
            _section(
                "reviews",
                [(str(r.date), _review_text(r)) for r in case.reviews],
            )
        )
    if case.concerns:
        parts.append(_section("concerns", [(str(c.date), f"{c.by}: {c.summary}") for c in case.concerns]))
    if case.overrides:
        parts.append(_section("overrides", [(o.rule, f"by {o.by} on {o.date}: {o.why}") for o in case.overrides]))
    history = Table("date", "by", "what", title="history", title_justify="left")
    for entry in case.history:
        history.add_row(str(entry.date), entry.by, entry.what)
    parts.append(history)
    return Group(*[item for part in parts for item in (part, "")])


def _plan_la(case: Case, records: Records | None) -> str:
    """For an EHC plan, the LA that maintains it (the case's, else the settings')."""
    from apcli.model.notices import ehc_local_authority

    if case.pupil.send != "ehc-plan":
        return ""
    la = ehc_local_authority(case, records)[0] if records is not None else (case.ehc_la.name if case.ehc_la else None)
    return f" (plan maintained by {la})" if la else " (the LA that maintains the plan is not recorded)"


def _placement_rows(
    p: Placement, records: Records | None, case: Case | None = None, case_id: str = "CASE"
) -> list[tuple[str, str]]:
    """A placement as `ap show` lists it: its terms, its changes, its notices, how it ended."""
    from apcli.model.status import current_notice, notice_owed_from, notified_days

    sessions = {"both": "", "am": ", mornings only", "pm": ", afternoons only"}[p.attends]
    rows = [
        ("provider", p.provider + (" (alongside another placement)" if p.alongside else "")),
        ("dates", f"{p.start} to {p.end}, on {', '.join(p.weekdays)}{sessions}"),
        ("starts at", p.start_time or "-"),
        ("report to", p.report_to or "-"),
        ("aims", "\n".join(p.aims) or "-"),
        ("English, maths", p.english_maths or "-"),
        ("reintegration", p.reintegration or "-"),
        ("agreement", f"{p.agreement.reference}, signed {p.agreement.signed}" if p.agreement else "-"),
        ("cost", f"£{p.cost:,.2f} approved by {p.approved_by} on {p.approved_on}" if p.cost is not None else "-"),
        ("LA informed", str(p.la_informed or "-")),
    ]
    for number, change in enumerate(p.changes, 1):
        was = ", ".join(f"{k} {v}" for k, v in change.was.model_dump(exclude_none=True).items())
        now = ", ".join(f"{k} {v}" for k, v in change.now.model_dump(exclude_none=True).items())
        rows.append(
            (f"change {number}", f"{change.date}: {was or '-'} -> {now or '-'} (from {change.first_day}): {change.why}")
        )
    current = current_notice(p)
    for n in p.notices:
        state = "" if n is current or (current is None and n is p.notices[-1]) else " (superseded by a change since)"
        late = f", entered on {n.recorded}: {n.late_why}" if n.recorded else ""
        if n.methods:
            to = f"to {', '.join(f'{name} ({n.method_for(name)})' for name in n.to)}"
        else:
            to = f"by {n.method} to {', '.join(n.to)}"
        rows.append((f"notice {n.date}", f"{to}, for {n.start} to {n.end}{late}{state}"))
        rows += [("", f"{letter.file} (sha256 {letter.sha256[:12]}...)") for letter in n.letters]
        for copy in n.copies:
            rows.append((f"copy {copy.date}", f"of the notice of {n.date}, by {copy.method} to {copy.to}"))
            rows += [("", f"{letter.file} (sha256 {letter.sha256[:12]}...)") for letter in copy.letters]
    if case is not None and records is not None:
        from apcli.model.notices import not_had_notice

        for person in not_had_notice(case, p, records):
            rows.append(
                (
                    "not had the notice",
                    f'{person.name} ({person.relationship}): give them a copy (ap notice {case_id} --to "{person.name}")',
                )
            )
    owed = notice_owed_from(p)
    if owed is not None and p.notices and records is not None:
        days = records.calendar.days_on(p.start, p.end, p.weekdays)
        waiting = len(days) - len(notified_days(p, days))
        rows.append(
            (
                "notice due",
                f"for the change from {owed}: until it is given, {waiting} added day(s) are not placement days "
                "(no marks expected, no cost counted) (ap notice)",
            )
        )
    if p.ending:
        recorded = f" (recorded on {p.ending.recorded})" if p.ending.recorded else ""
        rows.append(
            (
                "ended",
                f"{p.ending.date}{recorded}: {p.ending.outcome}" + (f": {p.ending.notes}" if p.ending.notes else ""),
            )
        )
        if p.ending.returns:
            rows.append(("returns to the academy", str(p.ending.returns)))
        if p.ending.instead:
            rows.append(("instead of a return", p.ending.instead))
    return rows


def _review_text(review: Review) -> str:
    """A review's line in `ap show`: its outcome, for how long, the next one, who came."""
    until = f"; continues to {review.continue_until}" if review.continue_until and review.outcome != "end" else ""
    if review.continue_until and review.outcome == "end":
        until = f"; last day {review.continue_until}"
    text = f"{review.outcome}{until}; next {review.next or '-'} ({review.responsible or '-'})"
    if review.present:
        text += "\npresent: " + ", ".join(f"{p.name} ({p.role})" for p in review.present)
    if review.no_parent_reason:
        text += f"\nno parent or carer came: {review.no_parent_reason}"
    return text
