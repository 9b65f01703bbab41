"""`ap write-off`: record that a duty an ended placement still owes will not be done, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apcli.errors import EXIT_REFUSED, ApError, UsageError
from apcli.policy.duties import DUTIES_AFTER_THE_END, is_written_off, written_off_what

if TYPE_CHECKING:
    from apcli.model.schema import Case
    from apcli.policy import GateResult
    from apcli.steps.workflow import Change


class NotEnded(ApError):
    """A write-off asked of a placement that has not ended (its duties are done, not written off)."""

    exit_code = EXIT_REFUSED


def write_off(change: Change, rule_id: str, why: str, placement_id: str | None = None) -> tuple[GateResult, int]:
    """Record, for each item of `rule_id` an ended placement owes today, that it will not be done, and why."""
    from apcli.model.schema import WrittenOff
    from apcli.policy import CaseContext, catalogue, run
    from apcli.steps.workflow import change_case

    rule_id = rule_id.strip().upper()
    rule = catalogue().get(rule_id)
    if rule is None:
        raise UsageError(f"RULE: there is no rule {rule_id!r}. `ap rules` lists them.")
    if rule_id not in DUTIES_AFTER_THE_END:
        raise UsageError(
            f"RULE: {rule_id} is not a duty that outlives a placement's end; only "
            f"{', '.join(DUTIES_AFTER_THE_END)} can be written off."
        )
    reason = why.strip()
    if not reason:
        raise UsageError('--why: say why it will not be done ("..."); the reason is recorded in the case.')
    written: list[WrittenOff] = []
    chosen: list[str] = []

    def apply(case: Case) -> Case:
        if placement_id is not None:
            placement = case.placement_by_id(placement_id.strip().upper())
            if placement is None:
                listed = ", ".join(p.id for p in case.placements) or "none yet"
                raise UsageError(f"--placement: the case has no placement {placement_id!r} (its placements: {listed}).")
            if placement.ending is None:
                raise NotEnded(
                    f"Refused: {placement.id} has not ended, and a running placement's duties are done, not written "
                    f"off. Once it has ended (ap end), what it still owes can be written off."
                )
            placements = [placement]
        else:
            placements = [p for p in case.placements if p.ending is not None]
            if not placements:
                raise NotEnded(
                    "Refused: no placement of the case has ended, and a running placement's duties are done, not "
                    "written off. Once one has ended (ap end), what it still owes can be written off."
                )
        for placement in placements:
            context = CaseContext(change.case_id, case, change.today, change.records, placement)
            for _, finding in run([rule], context):
                if not is_written_off(case, placement, rule_id, finding):
                    written.append(
                        WrittenOff(
                            rule=rule_id,
                            what=written_off_what(placement, finding),
                            date=change.today,
                            why=reason,
                            by=change.by,
                        )
                    )
        chosen.extend(p.id for p in placements)
        if not written:
            raise UsageError(
                f"{rule_id}: {', '.join(chosen)} owes nothing under it on {change.today}, so there is nothing to "
                f"write off (ap review due --case {change.case_id.upper()} lists what is owed)."
            )
        if len(placements) == 1:
            change.placement = placements[0].id
        return case.model_copy(update={"written_off": [*case.written_off, *written]})

    def what(case: Case) -> str:
        items = "; ".join(entry.what for entry in written)
        return f"written off {rule_id} ({len(written)} item(s): {items}): {reason}"

    result = change_case(change, "write-off", what, apply, after_the_end=True)
    return result, len(written)
