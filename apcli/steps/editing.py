"""`ap edit`: a person edits a case file in their editor; an invalid edit never replaces the file.

The draft lives in `.locks/CASE.edit.yaml` (beside `cases/`, so the editor's schema
line still points at `schema/`), with the file it started from beside it. The
draft is kept whenever the edit is refused, so nothing typed is lost; `ap edit`
opens it again next time, and refuses to save it over changes made since it began.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apcli.errors import EXIT_REFUSED, ApError, InvalidFilesError, Problem

if TYPE_CHECKING:
    from apcli.model.schema import Case
    from apcli.policy.casecheck import CheckFinding
    from apcli.records.store import Records


class EditRefused(ApError):
    exit_code = EXIT_REFUSED


@dataclass
class EditResult:
    changed: list[str]
    resumed: bool


def draft_paths(records: Records, case_id: str) -> tuple[Path, Path]:
    """The draft, and the case file as it was when the draft began."""
    from apcli.records.layout import LOCKS_DIR

    folder = records.root / LOCKS_DIR
    return folder / f"{case_id}.edit.yaml", folder / f"{case_id}.edit-base.yaml"


def discard_draft(records: Records, case_id: str) -> bool:
    draft, base = draft_paths(records, case_id)
    existed = records.guard.exists(draft)
    records.guard.remove(draft)
    records.guard.remove(base)
    return existed


def changed_fields(old: Case, new: Case) -> list[str]:
    before = old.model_dump(mode="json", by_alias=True)
    after = new.model_dump(mode="json", by_alias=True)
    changed = []
    for key in after:
        if before.get(key) == after.get(key):
            continue
        if isinstance(before.get(key), dict) and isinstance(after.get(key), dict):
            inner = [
                f"{key}.{sub}" for sub in {*before[key], *after[key]} if before[key].get(sub) != after[key].get(sub)
            ]
            changed += sorted(inner)
        else:
            changed.append(key)
    return changed


def _rule_findings(
    records: Records, case_id: str, path: Path, shown: str, text: str, case: Case, today: dt.date
) -> list[CheckFinding]:
    from apcli.policy.casecheck import check_case
    from apcli.records.store import LoadedCase

    return check_case(records, LoadedCase(case_id, path, shown, text, case), today)


def _newly_broken(before: list[CheckFinding], after: list[CheckFinding]) -> list[CheckFinding]:
    """What the edit breaks: a *should* rule that held before it, or a *must* finding it did not have before.

    A *must* finding the case already had, word for word, is not the edit's doing (a provider's confirmation
    that ran out with time, say): it stays in `ap check`, and does not stop a colleague mending a typo."""
    rules_before = {f.rule for f in before}
    musts_before = {(f.rule, f.message) for f in before if f.kind == "must"}
    return [
        f
        for f in after
        if (f.kind == "must" and (f.rule, f.message) not in musts_before)
        or (f.kind == "should" and f.rule not in rules_before)
    ]


def _refuse_history_edits(old: Case | None, new: Case, kept: str) -> None:
    """History and overrides are a record of what happened: they are appended to by ap, never edited."""
    if old is None:
        return
    if new.history[: len(old.history)] != old.history or new.overrides != old.overrides:
        raise EditRefused(
            "Refused: the history and the overrides are a record of what was done, and are not edited by hand "
            "(an override is given with --override and --why on the command that needs it). "
            f"The case file was not changed. {kept}"
        )


def edit_case(
    records: Records, case_id: str, today: dt.date, by: str, run_editor: Callable[[Path], None]
) -> EditResult:
    """Open the case in an editor, check what was saved, and write it only if it passes."""
    from apcli.model.history import record
    from apcli.model.schema import Case
    from apcli.records import yamlio
    from apcli.records.store import read_text, validate

    guard = records.guard
    path = records.case_path(case_id)
    case_id = path.stem
    shown = records.shown(path)
    if not guard.exists(path, "cases"):
        records.load_case(case_id)  # raises the usual "no such case"
    draft, base = draft_paths(records, case_id)
    resumed = guard.exists(draft) and guard.exists(base)
    if not resumed:
        original = read_text(path, shown, guard)
        guard.private_folder(draft.parent)
        guard.write(base, original)
        guard.write(draft, original)
    original = read_text(base, records.shown(base), guard)
    try:
        run_editor(draft)
    except ApError:
        if not resumed:
            discard_draft(records, case_id)
        raise
    draft_shown = records.shown(draft)
    edited = read_text(draft, draft_shown, guard)
    kept = f"Your edit is kept in {draft_shown}; `ap edit {case_id}` opens it again (`--discard` drops it)."
    if edited == original:
        discard_draft(records, case_id)
        return EditResult([], resumed)
    try:
        new_case = validate(Case, yamlio.load(edited, draft_shown, plain=True), edited, draft_shown)
    except InvalidFilesError as error:
        raise InvalidFilesError(error.problems, "The case file was not changed. " + kept) from None
    except ApError as error:
        raise InvalidFilesError(
            [Problem(draft_shown, None, error.message)], "The case file was not changed. " + kept
        ) from None
    try:
        old_case: Case | None = validate(Case, yamlio.load(original, shown, plain=True), original, shown)
    except ApError:
        old_case = None  # the file was broken before: the edit may be what mends it
    _refuse_history_edits(old_case, new_case, kept)
    after = _rule_findings(records, case_id, draft, draft_shown, edited, new_case, today)
    before = _rule_findings(records, case_id, path, shown, original, old_case, today) if old_case else []
    broken = _newly_broken(before, after)
    if broken:
        listed = "\n".join(str(f) for f in broken)
        raise EditRefused(
            "Refused: the edit breaks a rule, so the case file was not changed (a *should* rule is overridden with "
            f"--override and --why on the command that records the change).\n{listed}\n{kept}"
        )
    try:
        records.refuse_safeguarding_details(original, edited)  # save_case compares with the draft itself
    except ApError as error:
        raise EditRefused(f"{error.message}\n{kept}") from None
    with records.lock(case_id):
        if read_text(path, shown, guard) != original:
            raise EditRefused(
                f"{shown} was changed by someone else after your edit began, so your edit was not saved over it. "
                f"{kept} Compare the two, or drop your draft with `ap edit {case_id} --discard`."
            )
        changed = changed_fields(old_case, new_case) if old_case else ["the whole file (it was not valid before)"]
        updated = record(new_case, today, by, "edited by hand: " + (", ".join(changed) or "layout"), {}, step="edit")
        records.save_case(case_id, updated, edited)
    discard_draft(records, case_id)
    return EditResult(changed, resumed)
