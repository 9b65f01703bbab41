"""Checks of what follows a review: its outcome notified to the parents (REVIEW-OUTCOME-NOTIFIED)."""

from __future__ import annotations

import datetime as dt

from apcli.policy.base import CaseContext, Finding


def outcome_notified(context: CaseContext) -> list[Finding]:
    """Each review's outcome letter (ap letter --kind review) is due within the settings' school days of it.

    A review letter counts for the review it follows: one dated on or after the review and before the next
    review (a letter after a later review reports that one)."""
    if context.placement is None:
        return []
    case = context.case
    reviews = sorted(case.reviews, key=lambda r: r.date)
    sent = [letter.date for letter in case.letters if letter.kind == "review"]
    days = context.records.settings.review_letter_school_days
    calendar = context.records.calendar
    findings = []
    for index, review in enumerate(reviews):
        before = reviews[index + 1].date if index + 1 < len(reviews) else dt.date.max
        if any(review.date <= day < before for day in sent):
            continue
        due = calendar.school_day_after(review.date, days) or review.date + dt.timedelta(days=days)
        findings.append(
            Finding(
                "REVIEW-OUTCOME-NOTIFIED",
                f"send the parents the outcome of the review of {review.date} "
                f"(ap letter --kind review --review-date {review.date})",
                f"ap letter CASE --kind review --review-date {review.date}",
                ("letters",),
                due,
            )
        )
    return findings
