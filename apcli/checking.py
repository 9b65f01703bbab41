"""`ap check`: every file in a records folder parsed, validated and checked against the rules.

Like beancount's checker, each problem is a finding with its file and line, so
that `file:line: message` can be followed in an editor.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from apcli.errors import ApError, InvalidFileError, InvalidFilesError

if TYPE_CHECKING:
    from apcli.store import LoadedCase, Records

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


def _invalid(error: ApError, case: str | None) -> list[CheckFinding]:
    if isinstance(error, InvalidFilesError):
        return [CheckFinding(case, "FILE", "invalid", p.message, p.file, p.line) for p in error.problems]
    if isinstance(error, InvalidFileError):
        return [CheckFinding(case, "FILE", "invalid", error.detail, error.file, error.line)]
    return [CheckFinding(case, "FILE", "invalid", error.message, None, None)]


def check_folder_files(records: Records) -> list[CheckFinding]:
    """The settings, calendar and provider files."""
    findings: list[CheckFinding] = []
    for load in (lambda: records.settings, lambda: records.calendar, lambda: records.providers):
        try:
            load()
        except ApError as error:
            findings += _invalid(error, None)
    findings += stray_files(records)
    try:
        if not records.calendar.file.terms:
            findings.append(
                CheckFinding(
                    None,
                    "CALENDAR",
                    "warning",
                    "the calendar has no terms, so ap knows no school days: write the school's term dates in it",
                    records.shown(records.root / "calendar.yaml"),
                    None,
                )
            )
    except ApError:
        pass
    return findings


def stray_files(records: Records) -> list[CheckFinding]:
    """Files in cases/ and providers/ that ap would never read: a misnamed case must not go unseen."""
    from apcli.ids import CASE_ID, PROVIDER_ID
    from apcli.store import CASES_DIR, PROVIDERS_DIR

    expected = {CASES_DIR: (CASE_ID, "AP-2026-001.yaml"), PROVIDERS_DIR: (PROVIDER_ID, "larkhill-green.yaml")}
    findings = []
    for folder, (pattern, example) in expected.items():
        base = records.root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.name.startswith(".") or (path.suffix == ".yaml" and pattern.match(path.stem) and path.is_file()):
                continue
            if folder == CASES_DIR and _attendance_file_of_a_case(path, base):
                continue
            findings.append(
                CheckFinding(
                    None,
                    "FILE",
                    "warning",
                    f"ap does not read this file: files in {folder}/ are named "
                    f"like {example}. Rename it, or move it out of the records folder.",
                    records.shown(path),
                    None,
                )
            )
    return findings


def _attendance_file_of_a_case(path: Path, cases: Path) -> bool:
    from apcli.attendance import LOG_SUFFIX, MARKS_SUFFIX

    for suffix in (MARKS_SUFFIX, LOG_SUFFIX):
        if path.name.endswith(suffix) and (cases / (path.name.removesuffix(suffix) + ".yaml")).is_file():
            return True
    return False


def check_case(records: Records, loaded: LoadedCase, today: dt.date) -> list[CheckFinding]:
    from apcli.rules import CaseContext, catalogue, overridden_in_case
    from apcli.status import passed_commands

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
            found = rule.check(context)
        except ApError:
            continue  # a broken settings, calendar or provider file: reported once, by check_folder_files
        for finding in found:
            findings.append(
                CheckFinding(
                    loaded.id, rule.id, "error", finding.message, loaded.shown, loaded.line_of(finding.path), rule.kind
                )
            )
    return findings


SAFEGUARDING_WORDS = (
    "disclos(?:ed|es|ing|ure)", "abus(?:e|ed|ive)", "sexual(?:ly)?", "bruis(?:e|es|ed|ing)", "neglect(?:ed|ful)?",
    "self[- ]harm(?:ed|ing)?", "suicid(?:e|al)", "domestic (?:violence|abuse)", "fgm", "groom(?:ed|ing)",
    "assault(?:ed)?", "exploit(?:ed|ation)", "county lines", "child protection plan", "cp plan", "section 47", "lado",
    "hit (?:him|her|them)", "slapped", "punched", "strangl(?:ed|ing)",
)  # fmt: skip
SAFEGUARDING_DETAIL = re.compile(rf"\b({'|'.join(SAFEGUARDING_WORDS)})\b", re.IGNORECASE)
# Each word's fixed start: a text holding none of them cannot match, and `in` is far cheaper than the regex.
SAFEGUARDING_STEMS = tuple(re.split(r"[\[(]", word)[0] for word in SAFEGUARDING_WORDS)


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


def check_records(records: Records, case_ids: list[str] | None, today: dt.date) -> list[CheckFinding]:
    """The folder's own files, then each case: its findings are kept in the result cache (apcli/cache.py)."""
    from apcli.cache import ResultCache

    cache = ResultCache(records, "check", today.isoformat())
    findings = check_folder_files(records)
    for case_id in case_ids if case_ids else records.case_ids():
        key = cache.key(case_id)
        cached = cache.get(case_id, key)
        if cached is not None:
            shown = records.shown(records.case_path(case_id))
            findings += [CheckFinding(**{**item, "file": shown}) for item in cached]
            continue
        try:
            loaded = records.load_case(case_id)
        except ApError as error:
            if case_ids and not isinstance(error, InvalidFileError):
                raise
            findings += _invalid(error, case_id)
            continue
        found = check_case(records, loaded, today) + safeguarding_details(loaded)
        cache.put(case_id, key, [{**f.as_dict(), "file": None} for f in found])
        records.forget(case_id)
        findings += found
    if not case_ids:
        from apcli.cache import prune

        prune(records.root, records.case_ids())
    return findings


def exit_code(findings: list[CheckFinding]) -> int:
    if any(f.severity == "invalid" for f in findings):
        return 3
    return 1 if any(f.severity == "error" for f in findings) else 0
