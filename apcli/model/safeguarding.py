"""Words that read like the details of a safeguarding concern (SAFE-DSL): a case holds only a reference to the
school's safeguarding system, so commands refuse them before anything is written and `ap check` warns of them."""

from __future__ import annotations

import re

SAFEGUARDING_WORDS = (
    "disclos(?:ed|es|ing|ure)", "abus(?:e|ed|ive)", "sexual(?:ly)?", "bruis(?:e|es|ed|ing)", "neglect(?:ed|ful)?",
    "self[- ]harm(?:ed|ing)?", "suicid(?:e|al)", "domestic (?:violence|abuse)", "fgm", "groom(?:ed|ing)",
    "assault(?:ed)?", "exploit(?:ed|ation)", "county lines", "child protection plan", "cp plan", "section 47", "lado",
    "hit (?:him|her|them)", "slapped", "punched", "strangl(?:ed|ing)",
)  # fmt: skip


SAFEGUARDING_DETAIL = re.compile(rf"\b({'|'.join(SAFEGUARDING_WORDS)})\b", re.IGNORECASE)


# Each word's fixed start: a text holding none of them cannot match, and `in` is far cheaper than the regex.
SAFEGUARDING_STEMS = tuple(re.split(r"[\[(]", word)[0] for word in SAFEGUARDING_WORDS)


def new_safeguarding_words(before: str, after: str) -> list[str]:
    """The words in `after` that read like a safeguarding concern's details and that `before` did not hold (as
    many times): what a command is about to add to a case, checked before anything is written."""
    from collections import Counter

    def found(text: str) -> Counter[str]:
        lower = text.lower()
        if not any(stem in lower for stem in SAFEGUARDING_STEMS):
            return Counter()
        return Counter(match.group(0).lower() for match in SAFEGUARDING_DETAIL.finditer(text))

    return sorted((found(after) - found(before)).keys())
