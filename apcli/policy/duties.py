"""Duties that outlive a placement's end, and the status that depends on them.

`ap end` records how a placement ended; it does not make what the placement still owes for its days go away.
Sessions without a mark, absences without a follow-up and a due review stay owed until done, or written off
with a reason (`ap write-off`). A case whose placements have all ended is "ended" while any remain, and
"closed" when none do. `status()` in status.py sees only the case file; this is the one place that refines it
with the records (marks, write-offs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apcli.model.schema import Case, Placement
    from apcli.model.status import Status
    from apcli.policy import CaseContext, Finding, Rule

# The due rules whose items a placement still owes for its days once it has ended.
DUTIES_AFTER_THE_END = (
    "ATT-ACCURATE",
    "ATT-ABSENCE-FOLLOW-UP",
    "REVIEW-TERMLY",
    "REVIEW-ON-REQUEST",
    "REVIEW-OUTCOME-NOTIFIED",
    "TRANSITION-KS3",
)
# One item a placement, whose words change as it is worked off (the count of sessions without a mark): once the
# placement has ended its sessions only get fewer, so a write-off covers the rule's item for that placement.
ONE_ITEM_A_PLACEMENT = ("ATT-ACCURATE",)


def written_off_what(placement: Placement, finding: Finding) -> str:
    """What a write-off records for an item: the placement it is owed by, and the item's words."""
    return f"{placement.id}: {finding.message}"


def is_written_off(case: Case, placement: Placement, rule_id: str, finding: Finding) -> bool:
    what = written_off_what(placement, finding)
    prefix = f"{placement.id}: "
    return any(
        entry.rule == rule_id
        and (entry.what == what or (rule_id in ONE_ITEM_A_PLACEMENT and entry.what.startswith(prefix)))
        for entry in case.written_off
    )


def due_findings(context: CaseContext, rules: list[Rule]) -> list[tuple[Rule, Finding]]:
    """What the due `rules` find for each placement: all of them for an open one, for an ended one only the
    duties that outlive its end and are not written off (saying so, and how to be rid of them). A finding about
    the whole case is given once, at its soonest due date (as `run_each`)."""
    return [(rule, finding) for rule, finding, _ in _findings(context, rules)]


def _findings(context: CaseContext, rules: list[Rule]) -> list[tuple[Rule, Finding, bool]]:
    """`due_findings`, each with whether only ended placements owe it."""
    from dataclasses import replace

    from apcli.policy.base import merged, run

    outliving = [rule for rule in rules if rule.id in DUTIES_AFTER_THE_END]
    found: dict[tuple[str, str], tuple[Rule, Finding, Placement | None]] = {}
    for each in context.each_placement():
        placement = each.placement
        ended = placement is not None and placement.ending is not None
        for rule, finding in run(outliving if ended else rules, each):
            if ended and placement is not None and is_written_off(context.case, placement, rule.id, finding):
                continue
            key = (rule.id, finding.message)
            seen = found.get(key)
            if seen is None:
                found[key] = (rule, finding, placement if ended else None)
                continue
            soonest = merged(seen[1], finding)
            # An open placement owes it too: then it is that placement's, not a duty left after an end.
            found[key] = (rule, soonest, seen[2] if ended else None)
    result = []
    for rule, finding, ended_placement in found.values():
        if ended_placement is not None and ended_placement.ending is not None:
            finding = replace(
                finding,
                message=f"{finding.message}; still owed after {ended_placement.id} ended on "
                f"{ended_placement.ending.date} (do it, or write it off: ap write-off {context.case_id.upper()} "
                f"{rule.id} --why ...)",
            )
        result.append((rule, finding, ended_placement is not None))
    return result


def owed_after_the_end(context: CaseContext) -> list[tuple[Rule, Finding]]:
    """What the case's ended placements (and no open one) still owe today, not written off."""
    from apcli.policy import catalogue

    if not any(p.ending is not None for p in context.case.placements):
        return []
    rules = [catalogue()[rule_id] for rule_id in DUTIES_AFTER_THE_END]
    return [(rule, finding) for rule, finding, after_the_end in _findings(context, rules) if after_the_end]


def refined(current: Status, owed: list[tuple[Rule, Finding]]) -> Status:
    """A case whose placements have all ended is ended while something is owed, closed when nothing is."""
    return "closed" if current == "ended" and not owed else current
