"""The schema of every file in a records folder, as pydantic models.

Case files, provider files, the settings and the calendar are validated with
these models on every load; `ap schema` exports them as JSON Schema for editors.
Everything later steps of the workflow record has its place here, so that a
case file written today stays valid as `ap` grows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from apcli.model import codes
from apcli.model.dates import FIRST_YEAR, LAST_YEAR
from apcli.model.ids import PROVIDER_ID_PATTERN
from apcli.model.upn import upn_problem

TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"

# Characters that show nothing, or reorder the text around them, so that a name could read as another: the
# bidirectional controls (U+202A-U+202E, U+2066-U+2069, the marks U+200E, U+200F and U+061C) and the
# zero-width ones (U+200B-U+200D, U+2060, U+FEFF).
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
INVISIBLE_NAMES = {
    "\u061c": "an Arabic letter mark",
    "\u200b": "a zero-width space",
    "\u200c": "a zero-width non-joiner",
    "\u200d": "a zero-width joiner",
    "\u200e": "a left-to-right mark",
    "\u200f": "a right-to-left mark",
    "\u202a": "a left-to-right embedding",
    "\u202b": "a right-to-left embedding",
    "\u202c": "a pop directional formatting",
    "\u202d": "a left-to-right override",
    "\u202e": "a right-to-left override",
    "\u2060": "a word joiner",
    "\u2066": "a left-to-right isolate",
    "\u2067": "a right-to-left isolate",
    "\u2068": "a first strong isolate",
    "\u2069": "a pop directional isolate",
    "\ufeff": "a zero-width no-break space",
}

# Every date in a records file lies in FIRST_YEAR to LAST_YEAR (apcli/model/dates.py).
Date = Annotated[dt.date, Field(ge=dt.date(FIRST_YEAR, 1, 1), le=dt.date(LAST_YEAR, 12, 31))]


def _shows_as_it_is(name: str) -> str:
    """A name holds no invisible or reordering character (the message says which, and where, not the name)."""
    found = INVISIBLE.search(name)
    if found is None:
        return name
    char = found.group()
    raise ValueError(
        f"holds {INVISIBLE_NAMES[char]} (U+{ord(char):04X}) at character {found.start() + 1}, which shows nothing "
        "or reorders the text around it, so that a name can read as another: type the name again without it"
    )


Text = Annotated[str, Field(min_length=1)]
# A person's, school's or provider's name: text that shows as what it is. NameText is the same where a field
# took any text before (so an empty one stays valid).
Name = Annotated[str, Field(min_length=1), AfterValidator(_shows_as_it_is)]
NameText = Annotated[str, AfterValidator(_shows_as_it_is)]
Time = Annotated[str, Field(pattern=TIME_PATTERN, description="24-hour time, HH:MM")]
MAX_MONEY = Decimal(1_000_000_000)  # pounds: far above any placement, far below where sums lose pence
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, strict=False, decimal_places=2, description="pounds, e.g. 45.50")]
MAX_MEASURE = 1e9
# A target's baseline and goal and a measure: a score, a reading age, a per cent; never near a float's limits.
Measurement = Annotated[float, Field(ge=-MAX_MEASURE, le=MAX_MEASURE, strict=False)]

Reason = Literal[
    "curriculum-needs",
    "exclusion-risk",
    "attendance",
    "send-assessment",
    "broader-curriculum",
    "respite",
]
REASONS: dict[str, str] = {
    "curriculum-needs": "educational needs not being met through the national curriculum",
    "exclusion-risk": "one or more suspensions and at risk of permanent exclusion",
    "attendance": "not attending the academy regularly, so unlikely to reach age-related expectations",
    "send-assessment": "part of the plan-do-review cycle while an EHC needs assessment is pending",
    "broader-curriculum": "a different setting with a broader choice of subjects, which may encourage attendance",
    "respite": "respite from the academy to change behaviour so that reintegration succeeds",
}
Send = Literal["none", "sen-support", "ehc-plan"]
Method = Literal["post", "email", "hand"]
METHODS: tuple[Method, ...] = ("post", "email", "hand")
Role = Literal[
    "parent",
    "carer",
    "pupil",
    "senco",
    "headteacher",
    "teacher",
    "send-hub",
    "provider",
    "la",
    "attendance",
    "dsl",
    "other",
]
MeetingKind = Literal["planning", "review", "targets", "attendance-concern", "breakdown", "exclusion"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


def weekday_numbers(weekdays: list[Weekday] | list[str]) -> set[int]:
    """`["mon", "wed"]` as the numbers `date.weekday()` gives: `{0, 2}`."""
    return {index for index, day in enumerate(WEEKDAYS) if day in weekdays}


CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # \r and \x0b included: see below
LINE_BREAKS = re.compile("\r\n?|\x0b")  # Windows and old Mac line ends, Word's soft break: a new line
CONTROL_MESSAGE = "holds a control character (an escape or similar); remove it"
KEY_CONTROL_MESSAGE = "a key holds a control character (an escape or similar); remove it"


def plain_text(text: str) -> str | None:
    """`text` with its line breaks as new lines; None if it holds another control character. Ordinary text
    costs one search: only a text with a control character (a \r, say) is looked at again."""
    if CONTROL_CHARACTERS.search(text) is None:
        return text
    text = LINE_BREAKS.sub("\n", text)
    return None if CONTROL_CHARACTERS.search(text) else text


def plain_data(data: Any, title: str) -> Any:
    """A model's input (Python data, or a constructor's keyword arguments) with every text's line breaks as
    new lines, or a ValidationError (titled `title`) naming each text that holds another control character:
    an escape sequence in a name would retitle or clear the terminal of whoever lists the cases. Models in
    the data were checked when they were made, and are passed over. Data without a control character (nearly
    all) is looked through once and returned as it is."""
    if not _holds_control(data):
        return data
    from pydantic import ValidationError

    problems: dict[tuple[str | int, ...], tuple[str, Any]] = {}
    plain = _plain_walk(data, (), problems)
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                {"type": "value_error", "loc": loc, "input": value, "ctx": {"error": ValueError(message)}}
                for loc, (message, value) in problems.items()
            ],
        )
    return plain


def _holds_control(data: Any) -> bool:
    """Whether any text or key in `data` (its dicts, lists and tuples) holds a control character: every text
    gathered, then searched once (a search per text took a third longer)."""
    texts: list[str] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            texts.extend(key for key in value if isinstance(key, str))
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return CONTROL_CHARACTERS.search("".join(texts)) is not None


def _plain_walk(value: Any, loc: tuple[str | int, ...], problems: dict[tuple[str | int, ...], tuple[str, Any]]) -> Any:
    """`value` made plain (see plain_data), each problem noted at its place as pydantic names it: a text in
    a list at the list's field, as a field's own validator did, and anything else by its keys and indexes."""
    if isinstance(value, str):
        plain = plain_text(value)
        if plain is None:
            problems.setdefault(loc, (CONTROL_MESSAGE, value))
            return value
        return plain
    if isinstance(value, dict):
        if any(isinstance(key, str) and CONTROL_CHARACTERS.search(key) for key in value):
            problems.setdefault(loc, (KEY_CONTROL_MESSAGE, value))
        return {key: _plain_walk(item, (*loc, key), problems) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [
            _plain_walk(item, loc if isinstance(item, str) else (*loc, index), problems)
            for index, item in enumerate(value)
        ]
        return items if isinstance(value, list) else tuple(items)
    return value


class Strict(BaseModel):
    """Unknown fields are errors (a misspelt key must not be ignored), types are not coerced, no number is
    infinite or nan (`1.0e400` reads as infinity), and no text holds a control character.

    The text is checked where it comes in, once, not by a validator on every field (which took most of the
    time of validating a case): a records file's text by ap's YAML loader (records/yamlio.py), which
    validates what it read with the context TEXT_CHECKED; data and keyword arguments from anywhere else (what
    the command line gives, through the steps) here, in model_validate and the constructor; and JSON from ap's
    own cache, checked when it was stored, not at all."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, allow_inf_nan=False)

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**plain_data(data, type(self).__name__))

    # pydantic calls a model's own __init__ for every model nested in the data it validates; marked as the
    # base one, this runs only when the code itself makes a model (`Concern(summary=...)`), once.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        if options.get("context") is not TEXT_CHECKED:
            obj = plain_data(obj, cls.__name__)
        return super().model_validate(obj, **options)


# The context in which ap validates the data its YAML loader read: the loader has checked the text.
TEXT_CHECKED: dict[str, bool] = {"text_checked": True}


# --- settings ------------------------------------------------------------------


class School(Strict):
    name: Name
    address: str | None = Field(None, description="postal address, lines separated by commas")
    phone: str | None = None
    email: str | None = None
    headteacher: NameText | None = None
    dsl: NameText | None = Field(None, description="the Designated Safeguarding Lead")
    deputy_dsls: list[NameText] = Field(default_factory=list, description="deputy DSLs a concern may be raised with")
    send_hub_contact: NameText | None = None
    local_authority: str | None = Field(None, description="the LA that receives notices for pupils with EHC plans")
    local_authority_address: str | None = None


# Only the school itself: its trust, its SEND hub and the like are the school's own to add (ap-settings.yaml).
DEFAULT_APPROVING_BODIES = {
    "academy": "the academy",
}
DEFAULT_MARK_WORDS = {
    "present": codes.ATTENDED_AT_PROVIDER,
    "attended": codes.ATTENDED_AT_PROVIDER,
    "late": codes.ATTENDED_AT_PROVIDER,
    "absent": "N",
    "ill": "I",
    "illness": "I",
    "medical": "M",
    "unauthorised": "O",
}


class Settings(Strict):
    school: School
    approving_bodies: dict[str, Text] = Field(
        default_factory=lambda: dict(DEFAULT_APPROVING_BODIES),
        description="id -> name of each body that may approve a placement's budget",
    )
    notice_school_days: int = Field(2, ge=2, le=20, description="school days' notice before the first day (law: 2)")
    attendance_threshold: float = Field(90.0, gt=0, le=100, description="per cent; below it a formal meeting is due")
    period_end_warning_school_days: int = Field(10, ge=1, le=60)
    review_letter_school_days: int = Field(
        5, ge=1, le=20, description="school days after a review by which its outcome is notified to the parents"
    )
    mark_words: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_MARK_WORDS),
        description="a provider's word for a mark -> DfE code, or 'attended' for the provider's own code (B or D)",
    )
    unauthorised_sessions_threshold: int = Field(
        10, ge=1, le=100, description="unauthorised sessions (G, N, O, U) that make an attendance-officer action due"
    )
    unauthorised_school_weeks: int = Field(
        10, ge=1, le=39, description="the rolling period, in school weeks, in which those sessions are counted"
    )
    provider_confirmation_months: int = Field(
        12, ge=1, le=36, description="months a provider's safeguarding and staff-check confirmations stay valid"
    )
    commit: bool = Field(False, description="commit each change to git")
    census_reason_codes: dict[Reason, str] = Field(
        default_factory=dict,
        description="a referral reason -> the school census's code for the primary reason for the placement, "
        "copied from the DfE's current school census guide",
    )

    @field_validator("mark_words")
    @classmethod
    def _known_codes(cls, words: dict[str, str]) -> dict[str, str]:
        for word, code in words.items():
            # the word is a key (shown); a code is named only when it is one of the DfE's own
            if code == "K":
                raise ValueError(f"{word!r} maps to K: {codes.K_REFUSAL}")
            if code in codes.RETIRED:
                raise ValueError(f"{word!r} maps to {code}, {codes.RETIRED[code]}")
            if code != codes.ATTENDED_AT_PROVIDER and code not in codes.ALL_CODES:
                raise ValueError(
                    f"{word!r} maps to something that is not an attendance code: give a DfE code such as N, "
                    f"or {codes.ATTENDED_AT_PROVIDER!r}"
                )
        return {word.lower(): code for word, code in words.items()}


# --- calendar --------------------------------------------------------------------


class Span(Strict):
    start: Date
    end: Date

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError("ends before it starts: its end should be on or after its start")
        return self


class Term(Span):
    name: Text
    half_term: Span | None = None

    @model_validator(mode="after")
    def _half_term_inside(self) -> Term:
        if self.half_term and not (self.start < self.half_term.start and self.half_term.end < self.end):
            raise ValueError(
                "the half term is not inside the term: it should start after the term starts and end before it ends"
            )
        return self


class CalendarFile(Strict):
    terms: list[Term] = Field(default_factory=list)
    closures: list[Date] = Field(default_factory=list, description="INSET and other days without sessions")

    @model_validator(mode="after")
    def _terms_apart(self) -> CalendarFile:
        ordered = sorted(enumerate(self.terms), key=lambda pair: pair[1].start)
        for (first, before), (second, after) in itertools.pairwise(ordered):
            if after.start <= before.end:
                one, other = sorted((first, second))
                raise ValueError(f"terms[{one}] and terms[{other}] overlap: a term should end before the next starts")
        seen: dict[str, int] = {}
        for index, term in enumerate(self.terms):
            if term.name in seen:
                raise ValueError(f"terms[{seen[term.name]}] and terms[{index}] have the same name: give each its own")
            seen[term.name] = index
        return self


# --- providers -------------------------------------------------------------------


class Sessions(Strict):
    """Two sessions (morning start, break, afternoon end) or one session (start, end)."""

    morning_start: Time | None = None
    break_start: Time | None = None
    break_end: Time | None = None
    afternoon_end: Time | None = None
    start: Time | None = None
    end: Time | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Sessions:
        two = [self.morning_start, self.break_start, self.break_end, self.afternoon_end]
        one = [self.start, self.end]
        if all(two) and not any(one):
            if not (self.morning_start < self.break_start < self.break_end < self.afternoon_end):  # type: ignore[operator]
                raise ValueError(
                    "session times are out of order: morning start < break start < break end < afternoon end"
                )
        elif all(one) and not any(two):
            if not self.start < self.end:  # type: ignore[operator]
                raise ValueError("the session ends before it starts")
        else:
            raise ValueError(
                "give either morning_start, break_start, break_end and afternoon_end, or start and end of a single session"
            )
        return self

    @property
    def single(self) -> bool:
        return self.start is not None


class Closure(Strict):
    """Days a provider is closed though the school is open (`ap provider closure`): not placement days there."""

    start: Date
    end: Date
    why: Text

    @model_validator(mode="after")
    def _in_order(self) -> Closure:
        if self.end < self.start:
            raise ValueError(f"the closure ends ({self.end}) before it starts ({self.start})")
        return self

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class Provider(Strict):
    name: Name
    address: Text
    contact: Name = Field(description="the person pupils report to")
    phone: str | None = None
    email: str | None = None
    urn: str | None = Field(None, pattern=r"^\d{6,7}$")
    ukprn: str | None = Field(None, pattern=r"^1\d{7}$")
    setting_type: Literal["NFE", "OOT", "OTH", "WBP"] | None = Field(
        None,
        description="for the school census, only where it has no URN or UKPRN: NFE non-maintained further education, "
        "OOT one-on-one tuition, OTH other unregistered provider, WBP work-based placement",
    )
    register_code: Literal["B", "D"] = Field(description="B, or D where the pupil is dual registered there; never K")
    sessions: Sessions
    weekdays: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), description="the days it is open")
    daily_cost: Money
    safeguarding_confirmed: Date | None = Field(
        None, description="date the provider confirmed it follows the academy's safeguarding policy"
    )
    staff_checks_confirmed: Date | None = Field(
        None, description="date of the provider's written confirmation that staff checks were done (KCSIE)"
    )
    code_of_conduct: str | None = None
    closures: list[Closure] = Field(
        default_factory=list,
        description="days the provider is closed while the school is open (ap provider closure): no mark expected, "
        "no cost counted; marks # and Y1-Y7 need one",
    )

    def closure_on(self, day: dt.date) -> Closure | None:
        """The recorded closure that holds `day`, if any."""
        return next((c for c in self.closures if c.holds(day)), None)

    @field_validator("register_code", mode="before")
    @classmethod
    def _never_k(cls, value: Any) -> Any:
        if value == "K":
            raise ValueError(codes.K_REFUSAL)
        return value

    @model_validator(mode="after")
    def _one_census_identifier(self) -> Provider:
        if self.setting_type and (self.urn or self.ukprn):
            raise ValueError("setting_type is only for a provider with no URN or UKPRN; the census takes one of them")
        return self


# --- case files ------------------------------------------------------------------


class Pupil(Strict):
    name: Name
    dob: Date
    year: int | Literal["R"] = Field(description="year group: R (Reception) or 1-13")
    upn: str | None = None
    out_of_year_group: bool = Field(False, description="taught outside the year group its date of birth gives")
    send: Send = "none"

    @field_validator("year")
    @classmethod
    def _real_year(cls, year: int | str) -> int | str:
        if isinstance(year, int) and not 1 <= year <= 13:
            raise ValueError("a year group is R or 1 to 13")
        return year

    @field_validator("upn")
    @classmethod
    def _valid_upn(cls, upn: str | None) -> str | None:
        if upn is not None and (problem := upn_problem(upn)):
            raise ValueError(problem.replace(f"UPN {upn!r}", "the UPN"))  # said without the UPN itself
        return upn


class Contact(Strict):
    name: Name
    title: Name | None = Field(
        None, description="Ms, Mr, Mrs, Dr, Mx ...: letters open 'Dear Ms Surname' [default: the full name]"
    )
    relationship: Text
    address: str | None = None
    email: str | None = None
    phone: str | None = None
    parental_responsibility: bool = True
    cares_for_child: bool = Field(
        False,
        description="they have care of the child (the child lives with them: a grandparent, a foster carer), so "
        "they are a parent within Education Act 1996 s576 and get the notice, parental responsibility or not",
    )
    method: Method | None = Field(None, description="how letters go to them (post, email or hand) [default: post]")

    @property
    def is_parent(self) -> bool:
        """A parent within Education Act 1996 s576: parental responsibility, or care of the child."""
        return self.parental_responsibility or self.cares_for_child


class LocalAuthority(Strict):
    """The local authority that maintains a pupil's EHC plan (which gets a copy of the notice)."""

    name: Name
    address: str | None = Field(None, description="postal address, lines separated by commas")


class Suspension(Strict):
    date: Date
    days: float = Field(gt=0, le=45, strict=False)


class ManagedMove(Strict):
    status: Literal["considered", "tried", "not-suitable"]
    why: str | None = Field(None, description="why a managed move was or was not tried")
    parents_consent: Date | None = Field(None, description="date the parents consented (needed when tried)")


EhcnaStatus = Literal["agreed", "refused", "plan-issued"]


class EhcnaStep(Strict):
    """A step of the EHC needs assessment after its request: the LA agreed or refused to assess, a plan issued."""

    status: EhcnaStatus
    date: Date


class Referral(Strict):
    date: Date
    by: NameText | None = None
    reasons: list[Reason] = Field(default_factory=list)
    rationale: str = Field("", description="why this provision is more appropriate than what the academy can provide")
    alternative_to_exclusion: bool = False
    send_hub: Date | None = Field(None, description="date the case was discussed with the SEND Hub")
    suspensions: list[Suspension] = Field(default_factory=list)
    attendance_percent: float | None = Field(None, ge=0, le=100, strict=False)
    ehcna_requested: Date | None = None
    ehcna_steps: list[EhcnaStep] = Field(
        default_factory=list, description="what became of the EHC needs assessment after the request (ap ehcna)"
    )
    managed_move: ManagedMove | None = None


class Person(Strict):
    name: Name
    role: Role


class Meeting(Strict):
    kind: MeetingKind
    date: Date
    present: list[Person] = Field(default_factory=list)
    reasons_explained: bool = False
    exclusion_made_clear: bool = False
    no_parent_reason: str | None = Field(None, description="why no parent or carer could attend")
    parents_informed: str | None = Field(None, description="how the parents were told of the meeting's outcome")
    outcome: str | None = None
    notes: str | None = None


class Decision(Strict):
    by: Literal["parents", "headteacher"]
    decision: Literal["accepted", "refused", "approve", "direct", "proceed-with-exclusion", "withdraw"]
    date: Date
    reason: str | None = None

    @model_validator(mode="after")
    def _who_decides_what(self) -> Decision:
        parents = self.decision in ("accepted", "refused")
        if parents != (self.by == "parents"):
            allowed = (
                "accepted or refused" if self.by == "parents" else "approve, direct, proceed-with-exclusion or withdraw"
            )
            raise ValueError(f"a decision by the {self.by} is {allowed}")
        return self


class Agreement(Strict):
    reference: Text
    signed: Date


def _letter_file(value: str) -> str:
    """A letter's file is where ap wrote it: a relative path inside letters/, never one that leaves it."""
    parts = value.split("/")
    if value.startswith("/") or "\\" in value or ":" in parts[0] or parts[0] != "letters" or len(parts) < 2:
        raise ValueError("a letter's file is a path inside letters/ of the records folder, such as letters/CASE/x.html")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError("a letter's file is a plain path inside letters/, without '.', '..' or empty parts")
    return value


LetterFile = Annotated[str, Field(min_length=1), AfterValidator(_letter_file)]


class Letter(Strict):
    """One rendering (one file, one format) of a letter to one recipient."""

    to: Name
    file: LetterFile
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    text_sha256: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        None,
        description="the sha256 of the letter's words (its visible text, whitespace normalised), so that a copy "
        "rendered later (ap letter --copy) can be shown to say the same",
    )


class NoticeCopy(Strict):
    """A copy of a notice given later to a parent or carer it did not reach (one added since, say): dated the
    day it went, never judged against the notice's deadline (the notice was given; this is a copy)."""

    to: Name
    date: Date
    method: Method
    letters: list[Letter] = Field(default_factory=list)


class Notice(Strict):
    date: Date
    method: Method = Field(description="how it was given: to each recipient, unless `methods` says otherwise")
    start: Date = Field(description="the first day the notice required")
    end: Date
    provider: str | None = Field(None, description="the provider it named")
    weekdays: list[Weekday] | None = Field(None, description="the days of the week it required")
    attends: Literal["both", "am", "pm"] | None = Field(None, description="the sessions of the day it required")
    start_time: Time | None = Field(None, description="the start time it stated")
    first_day: Date | None = Field(None, description="for a change, the first day the change affects")
    recorded: Date | None = Field(None, description="the day it was entered, where that was after it was given")
    late_why: str | None = Field(None, description="why it was entered after it was given")
    to: list[Name] = Field(default_factory=list)
    methods: dict[Name, Method] = Field(
        default_factory=dict, description="a recipient (in `to`) given the notice another way than `method`"
    )
    la_copy: bool = False
    letters: list[Letter] = Field(default_factory=list)
    copies: list[NoticeCopy] = Field(default_factory=list, description="copies given later, to whom and when")

    def method_for(self, name: str) -> Method:
        """How the notice went to `name`: a notice of one method (as every older one is) went to all that way."""
        return self.methods.get(name, self.method)

    @property
    def reached(self) -> list[str]:
        """Everyone the notice, or a copy of it, was given to."""
        return [*self.to, *(copy.to for copy in self.copies)]


class SentLetter(Strict):
    """A letter other than the notice (an invitation, a review outcome), as written and sent."""

    kind: Literal["invitation", "review"]
    date: Date
    method: Literal["post", "email", "hand"]
    to: Name
    file: LetterFile
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ProviderContact(Strict):
    date: Date
    with_: Name = Field(alias="with")
    summary: Text
    recorded: Date | None = Field(None, description="the day it was entered, where that was after the contact")


class ContactLapse(Strict):
    """A week of the placement with no contact with the provider, recorded as a lapse (never made good)."""

    week: Date = Field(description="the Monday of the week")
    why: Text
    recorded: Date = Field(description="the day the lapse was recorded")


class AbsenceFollowUp(Strict):
    date: Date
    session: Literal["am", "pm"]
    follow_up: Text
    excluded_by_provider: bool = Field(
        False, description="the provider refused the pupil that session (the policy's exclusion from the provision)"
    )


class Target(Strict):
    measure: Text
    baseline: Measurement
    goal: Measurement
    date: Date
    test: str | None = None


class Measure(Strict):
    measure: Text
    value: Measurement
    date: Date
    test: str | None = None


class Review(Strict):
    date: Date
    outcome: Literal["continue", "change", "end"]
    next: Date | None = None
    responsible: NameText | None = None
    parents_views: str | None = None
    present: list[Person] = Field(default_factory=list, description="who attended the review meeting")
    no_parent_reason: str | None = Field(
        None, description="the parents were invited: why no parent or carer came (where none did)"
    )
    continue_until: Date | None = Field(
        None, description="the decision on how long the placement continues: its last day as decided at the review"
    )


class Concern(Strict):
    """A concern that the placement is not working, raised by the provider or the school (ATT-NOT-WORKING). A
    safeguarding concern's details never go here: they stay in the safeguarding system (ap safeguarding)."""

    date: Date
    by: Name
    summary: Text


class ReviewRequest(Strict):
    date: Date
    by: Name


class SafeguardingReference(Strict):
    date: Date
    dsl: Name
    reference: Text


class Override(Strict):
    rule: Text
    why: Text
    by: Name
    date: Date
    step: Text


EndingOutcome = Literal[
    "reintegrated",
    "breakdown",
    "excluded-from-provision",
    "moved-provider",
    "permanently-excluded",
    "withdrawn",
]


class Ending(Strict):
    date: Date = Field(description="the placement's last day")
    outcome: EndingOutcome
    notes: str | None = None
    recorded: Date | None = Field(None, description="the day the end was recorded, where it was after the last day")
    returns: Date | None = Field(None, description="after a breakdown: the day the pupil returns to the academy")
    instead: str | None = Field(None, description="after a breakdown: what happens instead of a return to the academy")


class WrittenOff(Strict):
    """A duty owed after the end that the school decided not to do, and why (`ap write-off`)."""

    rule: Text
    what: Text
    date: Date
    why: Text
    by: Name


class Transition(Strict):
    """The move to secondary school at the end of Year 6: the receiving school told, the handover recorded."""

    school: Name
    date: Date
    handover: Text


Attends = Literal["both", "am", "pm"]
PLACEMENT_ID = r"^P[1-9][0-9]{0,2}$"


class Terms(Strict):
    """What a change altered: the placement's terms before or after it (only the fields it touched)."""

    provider: Annotated[str, Field(pattern=PROVIDER_ID_PATTERN)] | None = None
    start: Date | None = None
    end: Date | None = None
    weekdays: list[Weekday] | None = None
    attends: Attends | None = None
    start_time: Time | None = None
    cost: Money | None = None
    approved_by: str | None = None
    approved_on: Date | None = None


# The terms a notice to the parents must state (reg 3(4)): a change to one of them needs a new notice.
NOTICE_TERMS = ("provider", "start", "end", "weekdays", "attends", "start_time")


class Variation(Strict):
    """A change to a placement agreed before or during it (`ap change`): what it was, what it became, why."""

    date: Date = Field(description="the day the change was recorded")
    why: Text
    first_day: Date = Field(description="the first day the change affects (for an extension, the first added day)")
    was: Terms
    now: Terms

    @property
    def needs_notice(self) -> bool:
        """It changed something the notice states (a shortening alone does not: the days left were notified)."""
        changed = {name for name in NOTICE_TERMS if getattr(self.now, name) is not None}
        shortened_only = changed == {"end"} and self.was.end is not None and self.now.end < self.was.end  # type: ignore[operator]
        return bool(changed) and not shortened_only


class Placement(Strict):
    """One placement at one provider. A case holds its placements in order (P1, P2, ...); several may run at
    once, at different providers or in different sessions of a day."""

    id: Annotated[str, Field(pattern=PLACEMENT_ID, description="P1, P2, ... in the order they were recorded")]
    provider: Annotated[str, Field(pattern=PROVIDER_ID_PATTERN)]
    start: Date
    start_time: Time | None = None
    end: Date
    weekdays: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))
    attends: Attends = Field("both", description="the sessions of each day the pupil attends: both, am or pm")
    sessions: Sessions | None = Field(None, description="times for this pupil, where they differ from the provider's")
    aims: list[Text] = Field(default_factory=list)
    report_to: NameText | None = None
    agreement: Agreement | None = None
    cost: Money | None = None
    approved_by: str | None = None
    approved_on: Date | None = None
    english_maths: str | None = None
    reintegration: str | None = None
    la_informed: Date | None = None
    alongside: bool = Field(False, description="recorded to run alongside another open placement")
    notices: list[Notice] = Field(default_factory=list)
    changes: list[Variation] = Field(default_factory=list)
    ending: Ending | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Placement:
        if self.end < self.start:
            raise ValueError("the placement ends before it starts: its end should be on or after its start")
        return self

    @property
    def sessions_a_day(self) -> int:
        return 2 if self.attends == "both" else 1

    @property
    def session_names(self) -> tuple[str, ...]:
        return ("am", "pm") if self.attends == "both" else (self.attends,)


class HistoryEntry(Strict):
    date: Date = Field(description="the date ap took as today")
    at: str | None = Field(None, description="clock time it was recorded, UTC")
    by: Name
    what: Text


class Case(Strict):
    """One pupil's case. The case id is the file's name; the status is derived, never stored.

    Attendance marks are kept beside it, in `CASE.attendance.csv` (apcli/model/attendance.py).
    """

    pupil: Pupil
    contacts: list[Contact] = Field(default_factory=list, description="parents and carers")
    ehc_la: LocalAuthority | None = Field(
        None, description="the local authority that maintains the pupil's EHC plan [default: the settings' one]"
    )
    referral: Referral
    meetings: list[Meeting] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    placements: list[Placement] = Field(default_factory=list, description="P1, P2, ... in the order recorded")
    letters: list[SentLetter] = Field(default_factory=list, description="other letters sent to the family")
    provider_contacts: list[ProviderContact] = Field(default_factory=list)
    contact_lapses: list[ContactLapse] = Field(default_factory=list, description="weeks with no provider contact")
    absences: list[AbsenceFollowUp] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    reviews: list[Review] = Field(default_factory=list)
    review_requests: list[ReviewRequest] = Field(default_factory=list)
    safeguarding: list[SafeguardingReference] = Field(default_factory=list)
    concerns: list[Concern] = Field(default_factory=list, description="concerns that the placement is not working")
    overrides: list[Override] = Field(default_factory=list)
    written_off: list[WrittenOff] = Field(default_factory=list, description="duties owed after the end, not done")
    transition: Transition | None = None
    history: list[HistoryEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _placements_in_order(self) -> Case:
        for number, placement in enumerate(self.placements, 1):
            if placement.id != f"P{number}":
                raise ValueError(f"placements[{number - 1}] has the id {placement.id}: they are P1, P2, ... in order")
        return self

    def placement_by_id(self, placement_id: str) -> Placement | None:
        return next((p for p in self.placements if p.id == placement_id), None)

    @property
    def last_placement(self) -> Placement | None:
        return self.placements[-1] if self.placements else None

    @property
    def open_placements(self) -> list[Placement]:
        return [p for p in self.placements if p.ending is None]


def upgrade_case_data(data: Any) -> Any:
    """A case file written before placements were a list (`placement:`, `notices:`, `ending:` at the top) reads
    as one placement, P1, holding its notices and its end. It is written in the new shape only when a command
    changes the case. Applied to a file's data before it is validated (store.validate; the merge driver reads
    each version through it too), not as a model validator: one would make pydantic validate cached JSON as
    Python data, where a strict date field refuses the text of a date, and every cached case would be missed."""
    if not isinstance(data, dict) or not ({"placement", "notices", "ending"} & data.keys()):
        return data
    if data.get("placements"):
        raise ValueError(
            "the case has both placements and placement (or notices or ending) at the top: the older fields "
            "belong inside each placement in the list"
        )
    data = {key: value for key, value in data.items() if key != "placements"}
    placement, notices, ending = data.pop("placement", None), data.pop("notices", None), data.pop("ending", None)
    if placement is None:
        if notices or ending:
            raise ValueError("notices or an ending are recorded, but no placement: add the placement back")
        return data
    if isinstance(placement, dict):
        placement = {"id": "P1", **placement}
        if notices is not None:
            placement["notices"] = notices
        if ending is not None:
            placement["ending"] = ending
    data["placements"] = [placement]
    return data


class ReferralForm(Strict):
    """The YAML referral form read by `ap refer --from FILE`; command-line options win over it."""

    name: NameText | None = None
    dob: Date | None = None
    year: int | str | None = None
    date: Date | None = None
    reasons: list[str] = Field(default_factory=list)
    rationale: str | None = None
    upn: str | None = None
    send: Send | None = None
    send_hub: Date | None = None
    alternative_to_exclusion: bool | None = None
    out_of_year_group: bool | None = None
    suspensions: list[Suspension] = Field(default_factory=list)
    attendance: float | None = Field(None, strict=False)
    ehcna_requested: Date | None = None
    managed_move: ManagedMove | None = None
    parents: list[Contact] = Field(default_factory=list)
    ehc_la: NameText | None = None
    ehc_la_address: str | None = None

    @field_validator("dob", "date", "send_hub", "ehcna_requested", mode="before")
    @classmethod
    def _uk_dates(cls, value: Any) -> Any:
        """A form may give dates as 14/03/2017 (day first) as well as 2017-03-14."""
        if isinstance(value, str):
            from apcli.model.dates import read_date

            return read_date(value)  # its ValueError says what is wrong, never the text
        return value


FILE_MODELS: dict[str, type[BaseModel]] = {
    "case": Case,
    "provider": Provider,
    "settings": Settings,
    "calendar": CalendarFile,
}
