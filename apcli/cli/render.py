"""Rich renderings of a case for `ap show`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apcli.store import LoadedCase


def render_case(loaded: LoadedCase, status: str, next_text: str, blocking: list[str]) -> Any:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    from apcli.models import REASONS

    case = loaded.case
    pupil, referral = case.pupil, case.referral
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    rows: list[tuple[str, str]] = [
        ("pupil", f"{pupil.name}, Year {pupil.year}" + (" (out of year group)" if pupil.out_of_year_group else "")),
        ("born", str(pupil.dob)),
        ("UPN", pupil.upn or "-"),
        ("SEND", pupil.send),
        ("status", status),
        ("next", next_text),
        ("blocked by", ", ".join(blocking) or "nothing"),
        ("referred", f"{referral.date} by {referral.by or '?'}"),
        ("reasons", "\n".join(f"{r}: {REASONS[r]}" for r in referral.reasons) or "-"),
        ("rationale", referral.rationale or "-"),
        ("SEND Hub", str(referral.send_hub or "-")),
    ]
    if referral.alternative_to_exclusion:
        rows.append(("alternative to", "permanent exclusion"))
    if referral.suspensions:
        rows.append(("suspensions", ", ".join(f"{s.date} ({s.days:g} days)" for s in referral.suspensions)))
    if referral.managed_move:
        move = referral.managed_move
        rows.append(("managed move", f"{move.status}: {move.why or '-'}"))
    for contact in case.contacts:
        pr = "" if contact.parental_responsibility else " (no parental responsibility)"
        rows.append(("parent/carer", f"{contact.name} ({contact.relationship}){pr}"))
    if case.placement:
        p = case.placement
        rows.append(("placement", f"{p.provider}, {p.start} to {p.end}, {', '.join(p.weekdays)}"))
    for notice in case.notices:
        rows.append(("notice", f"{notice.date} by {notice.method} to {', '.join(notice.to)}"))
    if case.ending:
        rows.append(("ended", f"{case.ending.date}: {case.ending.outcome}"))
    for override in case.overrides:
        rows.append(("override", f"{override.rule} by {override.by} on {override.date}: {override.why}"))
    for label, value in rows:
        summary.add_row(label, value)
    history = Table("date", "by", "what", title="history", title_justify="left")
    for entry in case.history:
        history.add_row(str(entry.date), entry.by, entry.what)
    return Group(Panel(summary, title=f"{loaded.id}  ({loaded.shown})", title_align="left"), history)
