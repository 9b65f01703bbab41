"""One case checked against the whole catalogue, as `ap check` reports it: each finding with its file and
line (and a step such as `ap edit` checks a case the same way before it saves)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from apcli.errors import UNREADABLE, ApError
from apcli.model.safeguarding import SAFEGUARDING_DETAIL, SAFEGUARDING_STEMS

if TYPE_CHECKING:
    from apcli.policy import CaseContext
    from apcli.records.store import LoadedCase, Records

Severity = Literal["error", "warning", "invalid"]


@dataclass(frozen=True)
class CheckFinding:
    case: str | None
    rule: str
    severity: Severity
    message: str
    file: str | None
    line: int | None
    kind: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "")
        tag = "" if self.rule == "FILE" else f" [{self.rule}]"
        return f"{where}: {self.severity}: {self.message}{tag}"


def check_case(records: Records, loaded: LoadedCase, today: dt.date) -> list[CheckFinding]:
    from apcli.model.status import passed_commands
    from apcli.policy import CaseContext, catalogue, overridden_in_case, run_each

    context = CaseContext(loaded.id, loaded.case, today, records)
    overridden = overridden_in_case(loaded.case)
    passed = passed_commands(loaded.case)
    findings = []
    for rule in catalogue().values():
        if rule.check is None or rule.kind == "due" or (rule.kind == "should" and rule.id in overridden):
            continue
        if not passed & set(rule.gates):
            continue  # the case has not reached the steps this rule gates
        try:
            found = run_each([rule], context)
        except (ApError, *UNREADABLE):
            continue  # a broken settings, calendar or provider file: reported once, by check_folder_files
        for _, finding in found:
            findings.append(
                CheckFinding(
                    loaded.id,
                    rule.id,
                    rule.in_check,
                    finding.message,
                    loaded.shown,
                    loaded.line_of(finding.path),
                    rule.kind,
                )
            )
    return findings + _contact_lapses(loaded) + _owed_after_the_end(loaded, context)


def _contact_lapses(loaded: LoadedCase) -> list[CheckFinding]:
    """A week recorded with no provider contact (ap contact --missed-week) stays in view as a warning."""
    return [
        CheckFinding(
            loaded.id,
            "ATT-WEEKLY",
            "warning",
            f"no contact with the provider in the week of {lapse.week} (a lapse recorded on {lapse.recorded}: "
            f"{lapse.why})",
            loaded.shown,
            loaded.line_of(("contact_lapses", index)),
            "due",
        )
        for index, lapse in enumerate(loaded.case.contact_lapses)
    ]


def _owed_after_the_end(loaded: LoadedCase, context: CaseContext) -> list[CheckFinding]:
    """A warning for each duty an ended placement still owes (the due rules are otherwise `ap review due`'s)."""
    from apcli.policy.duties import owed_after_the_end

    try:
        owed = owed_after_the_end(context)
    except (ApError, *UNREADABLE):
        return []  # a broken settings or calendar file: reported once, by check_folder_files
    return [
        CheckFinding(
            loaded.id,
            rule.id,
            "warning",
            finding.message,
            loaded.shown,
            loaded.line_of(finding.path),
            rule.kind,
        )
        for rule, finding in owed
    ]


def safeguarding_details(loaded: LoadedCase) -> list[CheckFinding]:
    """Warn where a case file holds words that read like a safeguarding concern's details (SAFE-DSL).

    The message names the word and the line, never the text around it.
    """
    findings: list[CheckFinding] = []
    lower = loaded.text.lower()
    if not any(stem in lower for stem in SAFEGUARDING_STEMS):
        return findings  # the regex over every file was most of a fresh `ap check`
    for match in SAFEGUARDING_DETAIL.finditer(loaded.text):
        findings.append(
            CheckFinding(
                loaded.id,
                "SAFE-DSL",
                "warning",
                f"{match.group(0).lower()!r} reads like the details of a safeguarding concern. The case holds only "
                "a reference: move the details to the school's safeguarding system and record its reference with "
                "`ap safeguarding`",
                loaded.shown,
                loaded.text.count("\n", 0, match.start()) + 1,
                "must",
            )
        )
    return findings
