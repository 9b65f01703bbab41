"""What a rule is and what it finds: `Rule` (data: id, kind, the commands it gates, the policy's words, the
source, one check), `Finding`, `CaseContext`, and running checks. The rule modules import this and nothing
above it; the catalogue that gathers them is `apcli/policy/rules.py`, read by `catalogue()`."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from apcli.errors import EXIT_REFUSED, ApError
from apcli.model.days import Today

if TYPE_CHECKING:
    from apcli.model.schema import Case, Placement
    from apcli.records.store import Records


Kind = Literal["must", "should", "due"]


# What a rule gates: the workflow commands refused while it fails. `approval` is
# `ap decision --headteacher approve|direct`; the notice is gated by every rule
# of the steps before it as well as its own.
COMMAND_NAMES: dict[str, str] = {
    "refer": "ap refer",
    "meeting": "ap meeting",
    "decision": "ap decision --parents",
    "approval": "ap decision --headteacher",
    "placement": "ap placement",
    "change": "ap change",
    "notice": "ap notice",
    "letter": "ap letter",
    "contact": "ap contact",
    "absence": "ap absence",
    "review": "ap review due",
    "target": "ap target",
    "measure": "ap measure",
    "attendance": "ap attendance import",
    "safeguarding": "ap safeguarding",
    "ehcna": "ap ehcna",
    "concern": "ap concern",
    "end": "ap end",
    "transition": "ap transition",
    "report": "ap report",
}


BEFORE_NOTICE = ("refer", "meeting", "decision", "approval", "placement")


@dataclass(frozen=True)
class Finding:
    """One thing a rule found: what is missing, how to supply it, where in the case file."""

    rule: str
    message: str
    fix: str = ""
    path: tuple[str | int, ...] = ()
    due: dt.date | None = None
    # The days taken as today on which it is owed (both included), where that is not every day the check was
    # run for: a rule about the marks finds, once, what it owes on every day of the placement (see `owed_on`).
    holds: tuple[dt.date, dt.date] | None = None

    def owed_on(self, today: dt.date) -> bool:
        return self.holds is None or self.holds[0] <= today <= self.holds[1]


def owed_on(found: Iterable[tuple[Rule, Finding]], today: dt.date) -> list[tuple[Rule, Finding]]:
    """The findings owed on `today`.

    The rules about attendance marks (ATT-WEEKLY, ATT-ACCURATE, ATT-ABSENCE-FOLLOW-UP, ATT-NOT-WORKING) give
    what they owe on every day up to the placement's last, each finding with the days it `holds`: so a result
    kept in ap's index is right on any day without running them again (apcli/model/days.py). `run` gives only
    today's unless asked for every day's; whatever decides from those what is owed today filters them here."""
    return [(rule, finding) for rule, finding in found if finding.owed_on(today)]


def merged(seen: Finding, finding: Finding) -> Finding:
    """One finding for two with the same words (from two placements): the soonest due, owed on the days of either."""
    soonest = finding if finding.due and seen.due and finding.due < seen.due else seen
    if seen.holds is None or finding.holds is None:
        return replace(soonest, holds=None)
    return replace(soonest, holds=(min(seen.holds[0], finding.holds[0]), max(seen.holds[1], finding.holds[1])))


@dataclass
class CaseContext:
    """What a check may look at: the case, the date taken as today, the records folder, and the placement
    looked at (by default the last one; `each_placement()` gives one context for each)."""

    case_id: str
    case: Case
    today: dt.date
    records: Records
    placement: Placement | None = None
    # Give the findings owed on every day, each with the days it `holds` (for ap's index), not only today's.
    every_day: bool = False

    def __post_init__(self) -> None:
        if self.placement is None:
            self.placement = self.case.last_placement

    def each_placement(self) -> list[CaseContext]:
        """One context for each placement (one, without a placement, for a case that has none yet)."""
        if len(self.case.placements) < 2:
            return [self]
        return [replace(self, placement=placement) for placement in self.case.placements]

    def placement_path(self, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """A finding's path as the case file holds it: `placement`, `notices` and `ending` are the placement's."""
        if not path or path[0] not in PLACEMENT_FIELDS or self.placement is None:
            return path
        index = self.case.placements.index(self.placement)
        rest = path[1:] if path[0] == "placement" else path
        return ("placements", index, *rest)


Check = Callable[[CaseContext], list[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    gates: tuple[str, ...]
    words: str
    source: str
    checks: str
    check: Check | None = field(default=None, compare=False)
    # How `ap check` reports a finding of a case that went ahead: an error, or (for a rule whose concern is the
    # law beyond the school's policy, which the school may have answered elsewhere) a warning.
    in_check: Literal["error", "warning"] = "error"
    # A rule about the records folder's settings rather than one case: it gates each case's letters, and
    # `ap check` reports it once, against the settings file, not once for every case.
    of_the_folder: bool = False

    def __post_init__(self) -> None:
        if self.kind != "due" and "notice" not in self.gates and set(self.gates) & set(BEFORE_NOTICE):
            object.__setattr__(self, "gates", (*self.gates, "notice"))

    @property
    def implemented(self) -> bool:
        return self.check is not None

    @property
    def gates_text(self) -> str:
        return ", ".join(COMMAND_NAMES[command] for command in self.gates)


def run(rules: Iterable[Rule], context: CaseContext) -> list[tuple[Rule, Finding]]:
    """Each rule's findings owed today for the context's placement (on every day, with `every_day`), their
    paths as the case file holds them."""
    found = [(rule, _placed(finding, context)) for rule in rules if rule.check for finding in _checked(rule, context)]
    return found if context.every_day else owed_on(found, context.today)


def _placed(finding: Finding, context: CaseContext) -> Finding:
    """The finding with its path as the case file holds it (made anew only where that differs: a rule's run
    gives tens of findings a case)."""
    path = context.placement_path(finding.path)
    return finding if path == finding.path else replace(finding, path=path)


def _checked(rule: Rule, context: CaseContext) -> list[Finding]:
    """The rule's findings; where the case is being worked out for several days in turn (a `Today` with a
    memo, apcli/records/index.py), each rule looks at its own `Today`, so that its findings are kept with the
    days they hold on and given again, without running it, on any of those days."""
    today = context.today
    assert rule.check is not None
    if not isinstance(today, Today) or today.memo is None:
        return rule.check(context)
    key = (rule.id, id(context.placement), context.every_day)
    day = today.plain.toordinal()
    kept = today.memo.get(key)
    if kept is None or not kept[0] <= day <= kept[1]:
        own = Today(today.plain)
        looking = copy.copy(context)  # not dataclasses.replace: ten times as quick, and no __post_init__ to run again
        looking.today = own
        found = [_settled(finding, own) for finding in rule.check(looking)]
        kept = today.memo[key] = (own.window.first, own.window.last, found)
    today.narrow(kept[0], kept[1])
    return list(kept[2])


def _settled(finding: Finding, own: Today) -> Finding:
    """The finding with the rule's own `Today` in it (a duty due today: `due=context.today`) made the plain date,
    and the rule's answer held to that day alone: once the rule has returned, a look at that date (printing
    it, later) would no longer narrow the days its answer is kept for. (Only identity is asked of the dates
    here: comparing a `Today` would narrow its days.)"""
    dates = [finding.due, *(finding.holds or ())]
    if not any(isinstance(value, Today) for value in dates):
        return finding
    own.window.pin(own.plain.toordinal())
    due, *holds = [value.plain if isinstance(value, Today) else value for value in dates]
    return replace(finding, due=due, holds=(holds[0], holds[1]) if holds else None)


def run_each(rules: Iterable[Rule], context: CaseContext) -> list[tuple[Rule, Finding]]:
    """`run` for every placement of the case; a finding about the whole case (the same words for each
    placement) is given once, at its soonest due date."""
    rules = list(rules)
    found: dict[tuple[str, str], tuple[Rule, Finding]] = {}
    for each in context.each_placement():
        for rule, finding in run(rules, each):
            key = (rule.id, finding.message)
            seen = found.get(key)
            found[key] = (rule, finding if seen is None else merged(seen[1], finding))
    return list(found.values())


def overridden_in_case(case: Case) -> set[str]:
    return {override.rule for override in case.overrides}


def naming_the_case(finding: Finding, case_id: str) -> Finding:
    """The finding with the word CASE in its fix replaced by the case's id, so the command can be run as shown."""
    if not case_id or not finding.fix:
        return finding
    return replace(finding, fix=re.sub(r"\bCASE\b", case_id, finding.fix))


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

    def __init__(self, command: str, failures: list[tuple[Rule, Finding]]) -> None:
        shown = COMMAND_NAMES.get(command, f"ap {command}")
        text = f"Refused: `{shown}` was not carried out, and nothing was saved.\n\n" + "\n\n".join(
            explain(r, f) for r, f in failures
        )
        super().__init__(text)
        self.failures = failures

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule, _ in self.failures]


@dataclass
class GateResult:
    used: dict[str, str]
    unneeded: list[str]


# Findings name these as the placement's own: `("notices",)` is the looked-at placement's notices.
PLACEMENT_FIELDS = ("placement", "notices", "ending")
