"""docs/policy-rules.md, written from the catalogue: the project's own statement of every rule it checks, so the
repository stands on its own (`python scripts/help_docs.py` writes it; a test keeps it current)."""

from __future__ import annotations

from apcli.policy import catalogue

KINDS = (
    "- **must**: the step is refused (exit code 1) while it fails; no override.\n"
    '- **should**: refused unless `--override RULE-ID --why "..."` is given; the override, its reason, who and '
    "when go into the case's history.\n"
    "- **due**: not a gate but an obligation over time: `ap review due` lists it as due or overdue, and "
    "`ap check` reports it.\n"
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_markdown() -> str:
    rows = [
        f'| {rule.id} | {rule.kind} | "{_cell(rule.words)}" | {_cell(rule.checks)}'
        f"{'' if rule.implemented else ' (not yet checked by ap)'} | {_cell(rule.gates_text) or '-'} | "
        f"{_cell(rule.source)} |"
        for rule in catalogue().values()
    ]
    return (
        "# The policy as rules\n\n"
        "Written from the rule catalogue (`apcli/policy/rules.py`) by `python scripts/help_docs.py`, and the same "
        "as `ap rules`: do not edit it by hand. Each rule is a sentence of the school's alternative provision "
        "policy, or of the law and guidance it relies on, turned into something `ap` checks; the ids are the "
        "words shared by the policy, the code, the error messages and the tests.\n\n"
        f"Kinds of rule:\n\n{KINDS}\n"
        "| ID | kind | the policy says | what ap checks | gates | source |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
