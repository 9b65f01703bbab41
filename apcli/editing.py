"""`ap edit`: a person edits a case file in their editor; an invalid edit never replaces the file.

The draft lives in `.locks/CASE.edit.yaml` (beside `cases/`, so the editor's schema
line still points at `schema/`), and is kept whenever the edit is refused, so
nothing typed is lost; `ap edit` opens it again next time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apcli.errors import EXIT_REFUSED, ApError, InvalidFilesError, Problem

if TYPE_CHECKING:
    from apcli.models import Case
    from apcli.store import Records


class EditRefused(ApError):
    exit_code = EXIT_REFUSED


@dataclass
class EditResult:
    changed: list[str]
    resumed: bool


def draft_path(records: Records, case_id: str) -> Path:
    from apcli.store import LOCKS_DIR

    return records.root / LOCKS_DIR / f"{case_id}.edit.yaml"


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


def edit_case(
    records: Records, case_id: str, today: dt.date, by: str, run_editor: Callable[[Path], None]
) -> EditResult:
    """Open the case in an editor, check what was saved, and write it only if it passes."""
    from apcli import yamlio
    from apcli.checking import check_case
    from apcli.history import record
    from apcli.models import Case
    from apcli.store import LoadedCase, read_text, validate

    path = records.case_path(case_id)
    case_id = path.stem
    shown = records.shown(path)
    if not path.is_file():
        records.load_case(case_id)  # raises the usual "no such case"
    original = read_text(path, shown)
    draft = draft_path(records, case_id)
    resumed = draft.is_file()
    draft.parent.mkdir(exist_ok=True)
    if not resumed:
        draft.write_text(original, encoding="utf-8")
    run_editor(draft)
    edited = read_text(draft, records.shown(draft))
    if edited == original:
        draft.unlink()
        return EditResult([], resumed)
    kept = f"Your edit is kept in {records.shown(draft)}; `ap edit {case_id}` opens it again."
    try:
        new_case = validate(Case, yamlio.load(edited, shown), edited, shown)
    except InvalidFilesError as error:
        raise InvalidFilesError(error.problems, "The case file was not changed. " + kept) from None
    except ApError as error:
        raise InvalidFilesError(
            [Problem(shown, None, error.message)], "The case file was not changed. " + kept
        ) from None
    broken = [
        f for f in check_case(records, LoadedCase(case_id, path, shown, edited, new_case), today) if f.kind == "must"
    ]
    if broken:
        listed = "\n".join(str(f) for f in broken)
        raise EditRefused(
            f"Refused: the edit breaks a *must* rule, so the case file was not changed.\n{listed}\n{kept}"
        )
    with records.lock(case_id):
        current = read_text(path, shown)
        if current != original:
            raise EditRefused(f"Someone else changed {shown} while you were editing it, so it was not replaced. {kept}")
        try:
            changed = changed_fields(validate(Case, yamlio.load(original, shown), original, shown), new_case)
        except ApError:
            changed = ["the whole file (it was not valid before)"]
        updated = record(new_case, today, by, "edited by hand: " + (", ".join(changed) or "layout"), {}, step="edit")
        records.save_case(case_id, updated, edited)
    draft.unlink()
    return EditResult(changed, resumed)
