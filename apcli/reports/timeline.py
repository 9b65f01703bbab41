"""`ap log`: a case's timeline, from its history, the git commits that touched its files, and each letter
checked against its sha256."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apcli.records.git import commits_touching

if TYPE_CHECKING:
    from apcli.records.store import Records


@dataclass(frozen=True)
class Event:
    """One line of a case's timeline."""

    when: str  # ISO date, or date and time (UTC)
    source: str  # "case" (its history), "git" (a commit), "letter" (a notice's file checked)
    who: str
    what: str
    flag: str = ""  # "changed after it was sent", for instance

    def as_dict(self) -> dict[str, str]:
        return {"when": self.when, "source": self.source, "who": self.who, "what": self.what, "flag": self.flag}


def timeline(records: Records, case_id: str) -> list[Event]:
    """The case's history, the git commits that touched its files, and each letter checked against its sha256."""
    from apcli.letters.sending import letter_flag
    from apcli.model.attendance import log_path, marks_path

    loaded = records.load_case(case_id)
    case = loaded.case
    events = [Event(f"{h.date} {(h.at or '')[11:16]}".strip(), "case", h.by, h.what) for h in case.history]
    files = [loaded.path, marks_path(loaded.path), log_path(loaded.path)]
    events += [
        Event(when, "git", who, what)
        for when, who, what in commits_touching(records.root, [f for f in files if f.exists()])
    ]
    letters = [(n.date, letter.file, letter.sha256) for p in case.placements for n in p.notices for letter in n.letters]
    letters += [(letter.date, letter.file, letter.sha256) for letter in case.letters]
    for date, file, sha256 in letters:
        flag = letter_flag(records, file, sha256)  # read through the guard: only a file inside letters/
        events.append(Event(date.isoformat(), "letter", "", f"{file} (sha256 {sha256[:12]}...)", flag))
    return sorted(events, key=lambda e: e.when)
