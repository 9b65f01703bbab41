"""A form for every step the CLI has, made from the command's own options.

Each field is one of the command's options (its name, its help, its choices from the metavar, a date where the
option takes one), so the form and `ap STEP --help` can never disagree, and a new option appears in the browser
the day it appears in the CLI. Submitting turns the fields back into that command line (`command_line`).
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

# The steps, as the CLI names them, in the order a placement meets them; each with the words on its button.
STEPS: dict[str, tuple[str, str]] = {
    "refer": ("Refer a pupil", "Open the case"),
    "parent": ("Add a parent or carer", "Add"),
    "meeting": ("Record a meeting", "Record the meeting"),
    "decision": ("Record the decisions", "Record"),
    "placement": ("Commission the placement", "Record the placement"),
    "change": ("Change the placement", "Record the change"),
    "notice": ("Give the parents notice", "Issue the notice"),
    "letter": ("Write a letter", "Write the letter"),
    "contact": ("Record weekly contact with the provider", "Record"),
    "absence": ("Follow up an absence", "Record"),
    "target": ("Set a target", "Set"),
    "measure": ("Record a measure", "Record"),
    "review record": ("Record a review", "Record the review"),
    "review request": ("Record a request for a review", "Record"),
    "concern": ("Record a concern about a provider", "Record"),
    "safeguarding": ("Record a safeguarding referral", "Record"),
    "ehcna": ("Record the EHC needs assessment", "Record"),
    "end": ("End the placement", "End it"),
    "transition": ("Record a move to a new school", "Record"),
    "write-off": ("Write off an item no longer owed", "Write it off"),
    "provider add": ("Add a provider", "Add the provider"),
    "provider closure": ("Record a day the provider is closed", "Record"),
    "provider confirm": ("Record a provider's checks", "Record"),
}
# Options a form does not offer: output the page shows itself, a file the browser cannot name, and the
# override pairs, which the page offers beside the rule that needs one.
LEFT_OUT = {"--json", "--from", "--out", "--dry-run", "--override", "--why", "--help", "--csv", "--ics"}

Kind = Literal["text", "date", "flag", "lines", "choice", "long", "weekdays"]
DATE_METAVARS = {"D", "DATE"}
LONG_TEXT = {"--rationale", "--summary", "--notes", "--details", "--parents-views", "--reason", "--handover"}


@dataclass(frozen=True)
class Field:
    name: str  # the option (`--agreement-signed`) or, for an argument, its metavar's word (`case`)
    label: str
    help: str
    kind: Kind
    required: bool
    choices: tuple[str, ...] = ()
    argument: bool = False
    example: str = ""  # the option's metavar where it shows a value's form: "NAME (ROLE)", DATE:DAYS

    @property
    def html_name(self) -> str:
        return self.name.lstrip("-")


@dataclass(frozen=True)
class Step:
    command: str  # `review record`
    title: str
    button: str
    fields: tuple[Field, ...]
    takes_a_case: bool
    dry_run: bool

    @property
    def slug(self) -> str:
        return self.command.replace(" ", "-")

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name or f.html_name == name), None)


@functools.cache
def steps(root: Any) -> dict[str, Step]:
    """Every step of the CLI's command tree `root`, by its slug (`review-record`)."""
    made: dict[str, Step] = {}
    for command, (title, button) in STEPS.items():
        found = root
        for word in command.split():
            found = found.commands[word]
        overridable = any("--override" in getattr(param, "opts", ()) for param in found.params)
        fields = tuple(_field(param) for param in found.params if _offered(param, overridable))
        takes_a_case = any(f.argument and f.name == "case" for f in fields)
        previews = any("--dry-run" in getattr(param, "opts", ()) for param in found.params)
        step = Step(command, title, button, fields, takes_a_case, previews)
        made[step.slug] = step
    return made


def _offered(param: Any, overridable: bool) -> bool:
    """Not the options a form does without; a command's own `--why` (`ap change --why`) is a field, but the
    `--why` that goes with `--override` is asked beside the rule that needs it."""
    if param.param_type_name == "argument":
        return True
    left_out = LEFT_OUT if overridable else LEFT_OUT - {"--why"}
    return not set(param.opts) & left_out


def _field(param: Any) -> Field:
    if param.param_type_name == "argument":
        word = str(param.metavar or param.name).strip("{}").lower().replace("_", "-")
        help_text = getattr(param, "help", "") or ""
        return Field(word, word.replace("-", " ").capitalize(), help_text, "text", bool(param.required), argument=True)
    option = max(param.opts, key=len)
    metavar = param.metavar or ""
    kind: Kind
    choices: tuple[str, ...] = ()
    if param.is_flag:
        kind = "flag"
    elif param.multiple:
        kind = "lines"
    elif metavar in DATE_METAVARS:
        kind = "date"
    elif metavar == "mon,tue,...":
        kind = "weekdays"  # a box for each day: nothing to misspell
    elif re.fullmatch(r"[a-z0-9-]+(\|[a-z0-9-]+)+", metavar):
        kind, choices = "choice", tuple(metavar.split("|"))
    elif option in LONG_TEXT:
        kind = "long"
    else:
        kind = "text"
    example = metavar.strip('"') if kind in ("text", "lines") and len(metavar) > 1 and metavar not in ("T", "N") else ""
    return Field(option, label_of(option), param.help or "", kind, bool(param.required), choices, example=example)


# Words an option's name shortens, for its field's label.
WORDS = {"dob": "date of birth", "upn": "UPN", "send": "SEND", "ehc": "EHC", "ehcna": "EHC needs assessment",
         "la": "LA", "dsl": "DSL", "urn": "URN", "ukprn": "UKPRN", "id": "ID", "pm": "PM", "am": "AM"}  # fmt: skip


def label_of(option: str) -> str:
    """`--ehc-la-address` → "EHC LA address"."""
    words = [WORDS.get(word, word) for word in option.lstrip("-").split("-")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def command_line(step: Step, values: Mapping[str, list[str]], more: Sequence[str] = ()) -> list[str]:
    """The step's command line from the form's values (each field's list of values, as a form sends them),
    with `more` options after the form's own (`--dry-run`, the overrides).

    Each value is joined to its option (`--follow-up=--records=/elsewhere`), and the arguments come after
    `--`: whatever a person types stays that field's value, and can never become an option of its own (the
    folder, the day, who is acting, `--dry-run` swallowed as a value)."""
    arguments: list[str] = []
    options: list[str] = []
    for field in step.fields:
        given = [value.strip() for value in values.get(field.html_name, []) if value.strip()]
        if field.argument:
            arguments += given[:1]
        elif field.kind == "flag":
            options += [field.name] if given else []
        elif field.kind == "weekdays":
            days = [day.strip() for value in given for day in value.split(",") if day.strip()]
            options += [f"{field.name}={','.join(days)}"] if days else []
        elif field.kind == "lines":
            options += [f"{field.name}={line}" for value in given for line in _lines(value)]
        elif given:
            options.append(f"{field.name}={given[0]}")
    return [*step.command.split(), *options, *more, "--", *arguments]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def overrides(values: Mapping[str, list[str]]) -> list[str]:
    """`--override RULE --why REASON` for each rule the person gave a reason to go ahead without."""
    line: list[str] = []
    for key, given in sorted(values.items()):
        rule = key.removeprefix("override:")
        reason = next((value.strip() for value in given if value.strip()), "")
        if key.startswith("override:") and reason and re.fullmatch(r"[A-Z][A-Z0-9-]+", rule):
            line += [f"--override={rule}", f"--why={reason}"]
    return line


_SUGGESTED = re.compile(r"\bap ((?:review |provider )?[a-z-]+)((?: [^()]*)?)\)?")


@functools.lru_cache(maxsize=8192)
def suggested(text: str, slugs: frozenset[str]) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """The step a finding's words point to (`... (ap letter --kind review --review-date 2026-11-19)`), as
    (slug, the values it gives), so that its link opens that form filled in; None if it names no step of
    `slugs`. (Kept: the Today page of 200 cases asks it of some 2,000 items, most of them asked before.)"""
    for match in _SUGGESTED.finditer(text):
        slug = match.group(1).replace(" ", "-")
        if slug not in slugs:
            continue
        options = match.group(2)
        try:
            words = shlex.split(options) if "'" in options or '"' in options else options.split()
        except ValueError:
            words = options.split()
        given: dict[str, str] = {}
        for index, word in enumerate(words):
            value = (words[index + 1] if index + 1 < len(words) else "").rstrip(",;.")
            if word.startswith("--") and _PLAIN_VALUE.fullmatch(value) and not value.isupper():
                given[word.lstrip("-")] = value  # not a placeholder (DATE, "NAME (ROLE)") nor an option
        return slug, tuple(given.items()) + _absence(slug, text)
    return None


_PLAIN_VALUE = re.compile(r"[\w][\w.:/-]*")
_ABSENCE = re.compile(r"absence on (\d{4}-\d\d-\d\d) \((AM|PM)[^,)]*(, (AM|PM))?")


def _absence(slug: str, text: str) -> tuple[tuple[str, str], ...]:
    """The absence an item is about (`follow up the absence on 2026-11-11 (PM N)`), for its form's date and
    session."""
    found = _ABSENCE.search(text) if slug == "absence" else None
    if not found:
        return ()
    if found.group(4):  # both sessions: each is followed up on its own
        return (("date", found.group(1)),)
    return (("date", found.group(1)), ("session", found.group(2).lower()))


def fields_named(text: str, step: Step) -> list[str]:
    """The step's fields a message names (`--agreement-signed DATE` → `agreement-signed`)."""
    return [f.html_name for f in step.fields if not f.argument and re.search(rf"{re.escape(f.name)}\b", text)]


_MISSING = re.compile(r"Missing (?:option|argument) '([^']+)'")


def in_words(message: str, step: Step) -> str:
    """A message of the CLI's in the form's words: each of the step's options by its field's label
    (`--agreement-signed` as "Agreement signed"), and a usage error as its one line that matters (click's
    `Usage: ap meeting [OPTIONS] ... Error: Missing option '--kind'` as "Kind" is required)."""
    lines = message.strip().splitlines()
    if lines and lines[0].startswith("Usage: ap "):
        said = next((line.removeprefix("Error: ") for line in lines if line.startswith("Error: ")), message)
        message = _MISSING.sub(lambda found: f"{found.group(1)} is required", said).rstrip(".") + "."
    for field in sorted(step.fields, key=lambda f: -len(f.name)):
        if not field.argument:
            message = re.sub(rf"(?<![\w-]){re.escape(field.name)}(?![\w-])", f"“{field.label}”", message)
    return message
