"""The rule engine: the policy as data, each rule with one small check.

A rule's check takes a `CaseContext` and returns findings (never raises, never
prints). One catalogue (`catalogue()`, from `rules/policy.py`) serves `ap rules`, the gates on workflow
commands, `ap check` and `ap review due`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Literal

from apcli.errors import EXIT_REFUSED, ApError, UsageError

if TYPE_CHECKING:
    from apcli.models import Case
    from apcli.store import Records

Kind = Literal["must", "should", "due"]
Step = Literal[
    "refer", "meeting", "decision", "placement", "notice", "attendance", "safeguarding", "review", "end", "report"
]
STEPS: tuple[Step, ...] = (
    "refer",
    "meeting",
    "decision",
    "placement",
    "notice",
    "attendance",
    "safeguarding",
    "review",
    "end",
    "report",
)
# The notice is gated by its own rules and by every rule of the steps before it.
_GATED_ALSO_BY: dict[str, tuple[Step, ...]] = {"notice": ("refer", "meeting", "decision", "placement")}


@dataclass(frozen=True)
class Finding:
    """One thing a rule found: what is missing, how to supply it, where in the case file."""

    rule: str
    message: str
    fix: str = ""
    path: tuple[str | int, ...] = ()
    due: dt.date | None = None


@dataclass
class CaseContext:
    """What a check may look at: the case, the date taken as today, and the records folder."""

    case_id: str
    case: Case
    today: dt.date
    records: Records | None = None


Check = Callable[[CaseContext], list[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    step: Step
    words: str
    source: str
    checks: str
    gates: str
    check: Check | None = field(default=None, compare=False)

    @property
    def implemented(self) -> bool:
        return self.check is not None


@cache
def catalogue() -> dict[str, Rule]:
    from apcli.rules.policy import RULES

    return {rule.id: rule for rule in RULES}


def rules_gating(step: Step) -> list[Rule]:
    steps = (step, *_GATED_ALSO_BY.get(step, ()))
    return [rule for rule in catalogue().values() if rule.step in steps and rule.kind != "due" and rule.check]


def run(rules: Iterable[Rule], context: CaseContext) -> list[tuple[Rule, Finding]]:
    return [(rule, finding) for rule in rules if rule.check for finding in rule.check(context)]


def overridden_in_case(case: Case) -> set[str]:
    return {override.rule for override in case.overrides}


def parse_overrides(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Overrides as given on the command line, checked: known *should* rules with a reason."""
    rules = catalogue()
    accepted: dict[str, str] = {}
    for rule_id, why in pairs:
        rule_id = rule_id.strip().upper()
        rule = rules.get(rule_id)
        if rule is None:
            raise UsageError(f"--override {rule_id}: there is no such rule. `ap rules` lists them.")
        if rule.kind != "should":
            raise UsageError(
                f"--override {rule_id}: {rule_id} is a *{rule.kind}* rule, and only *should* rules can be "
                "overridden. Supply what it asks for instead."
            )
        if not why.strip():
            raise UsageError(f'--override {rule_id} needs --why "...": the reason is recorded in the case.')
        accepted[rule_id] = why.strip()
    return accepted


def explain(rule: Rule, finding: Finding) -> str:
    """A refusal in words: the rule, the policy's words, what is missing, what supplies it."""
    lines = [f"{rule.id} ({rule.kind}): {finding.message}", f'  The policy: "{rule.words}"']
    if finding.fix:
        lines.append(f"  To supply it: {finding.fix}")
    if rule.kind == "should":
        lines.append(f'  To go ahead without it, say why: --override {rule.id} --why "..."')
    return "\n".join(lines)


class Refused(ApError):
    """A workflow step refused by one or more rules (exit 1)."""

    exit_code = EXIT_REFUSED

    def __init__(self, step: str, failures: list[tuple[Rule, Finding]]) -> None:
        text = f"Refused: `ap {step}` is not allowed yet.\n\n" + "\n\n".join(explain(r, f) for r, f in failures)
        super().__init__(text)
        self.failures = failures

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule, _ in self.failures]


@dataclass
class GateResult:
    used: dict[str, str]
    unneeded: list[str]


def gate(step: Step, context: CaseContext, overrides: dict[str, str]) -> GateResult:
    """Refuse `step` while a must rule, or a should rule without an override, fails."""
    failures = run(rules_gating(step), context)
    already = overridden_in_case(context.case)
    blocking = [
        (rule, finding)
        for rule, finding in failures
        if rule.kind == "must" or (rule.id not in overrides and rule.id not in already)
    ]
    if blocking:
        raise Refused(step, blocking)
    failing = {rule.id for rule, _ in failures}
    used = {rule_id: why for rule_id, why in overrides.items() if rule_id in failing}
    return GateResult(used=used, unneeded=[rule_id for rule_id in overrides if rule_id not in failing])


def blocked_by(context: CaseContext, next_step: Step | None) -> list[str]:
    """Rule ids that stop the case's next step."""
    if next_step is None:
        return []
    already = overridden_in_case(context.case)
    steps = STEPS[: STEPS.index(next_step) + 1]
    rules = [rule for rule in catalogue().values() if rule.step in steps and rule.kind != "due"]
    ids: list[str] = []
    for rule, _ in run(rules, context):
        if (rule.kind == "must" or rule.id not in already) and rule.id not in ids:
            ids.append(rule.id)
    return ids
