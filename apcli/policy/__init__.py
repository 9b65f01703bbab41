"""The rule engine: the policy as data, each rule with one small check.

A rule's check takes a `CaseContext` and returns findings (never raises, never
prints). One catalogue (`catalogue()`, from `policy/rules.py`) serves `ap rules`, the gates on workflow
commands, `ap check` and `ap review due`. The types live in `policy/base.py`, below the rule modules, and are
named here too, so `from apcli.policy import Finding` serves every caller.
"""

from __future__ import annotations

from functools import cache

from apcli.errors import UsageError
from apcli.policy.base import (
    BEFORE_NOTICE,
    COMMAND_NAMES,
    PLACEMENT_FIELDS,
    CaseContext,
    Check,
    Finding,
    GateResult,
    Kind,
    Refused,
    Rule,
    explain,
    naming_the_case,
    overridden_in_case,
    run,
    run_each,
)

__all__ = [
    "BEFORE_NOTICE",
    "COMMAND_NAMES",
    "PLACEMENT_FIELDS",
    "CaseContext",
    "Check",
    "Finding",
    "GateResult",
    "Kind",
    "Refused",
    "Rule",
    "blocking",
    "catalogue",
    "explain",
    "gate",
    "naming_the_case",
    "overridden_in_case",
    "parse_overrides",
    "rules_gating",
    "run",
    "run_each",
]


@cache
def catalogue() -> dict[str, Rule]:
    from apcli.policy.rules import RULES

    return {rule.id: rule for rule in RULES}


def rules_gating(command: str) -> list[Rule]:
    return [rule for rule in catalogue().values() if command in rule.gates and rule.kind != "due" and rule.check]


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


def gate(command: str, context: CaseContext, overrides: dict[str, str]) -> GateResult:
    """Refuse `command` while a must rule, or a should rule without an override, fails."""
    failures = run(rules_gating(command), context)
    already = overridden_in_case(context.case)
    blocking = [
        (rule, naming_the_case(finding, context.case_id))
        for rule, finding in failures
        if rule.kind == "must" or (rule.id not in overrides and rule.id not in already)
    ]
    if blocking:
        raise Refused(command, blocking)
    failing = {rule.id for rule, _ in failures}
    used = {rule_id: why for rule_id, why in overrides.items() if rule_id in failing}
    return GateResult(used=used, unneeded=[rule_id for rule_id in overrides if rule_id not in failing])


def blocking(context: CaseContext, command: str = "notice") -> list[tuple[Rule, Finding]]:
    """What stops `command` (by default the notice, the goal of agreeing a placement)."""
    already = overridden_in_case(context.case)
    return [
        (rule, finding)
        for rule, finding in run_each(rules_gating(command), context)
        if rule.kind == "must" or rule.id not in already
    ]
