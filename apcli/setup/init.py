"""`ap init`: a new records folder, empty or filled with a fictional demo school."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

from apcli.errors import UsageError
from apcli.records.git import MERGE_ATTRIBUTES, NOT_RECORDS, commit, in_repository, merge_driver
from apcli.records.guard import FOLDER_MODE, Guard
from apcli.records.layout import CALENDAR_FILE, CASES_DIR, PROVIDERS_DIR, SETTINGS_FILE, atomic_write

# Without a trailing slash: `.staging/` matches only a folder, so a `.staging` *link* could be committed (and
# come with a clone); `.staging` matches a folder, a file and a link alike.
GITIGNORE = (
    "# Written by ap init. ap's own folders (locks, staging, an old cache), lock and temporary files are never "
    "records.\n" + "".join(f"{name}\n" for name in sorted(NOT_RECORDS)) + "*.lock\n*.tmp\n"
)

TEMPLATES_README = """Letter templates for this school
================================

A template placed here replaces the one shipped with ap of the same name
(for example notice.html.j2). ap checks a school's template exactly as it
checks its own: a template that leaves out an item the law requires in a
notice is refused, naming the item.
"""


# The policy names the school, its trust and the SEND hub as the bodies that approve a budget; a new school
# gets only itself, and the others as examples to fill in with its own trust and hub.
BODY_EXAMPLES = (
    "academy: the academy",
    "# trust: NAME OF YOUR TRUST          for example: trust: Shaw Education Trust",
    "# send-hub: NAME OF YOUR SEND HUB    for example: send-hub: Cannock SEND Hub",
)
DEMO_BODIES = ("academy: the academy", "trust: Shaw Education Trust", "send-hub: Cannock SEND Hub")


def settings_text(school: str, demo: bool, commit: bool = False) -> str:
    if demo:
        people = (
            "  address: 1 Example Lane, Exampleton, Staffordshire, ZZ1 1ZZ\n"
            "  phone: 01234 000000\n"
            "  email: office@hollybank.example\n"
            "  headteacher: Mrs Helen Marsh\n"
            "  dsl: Mr Daniel Okafor\n"
            "  send_hub_contact: Ms Priya Shah\n"
            "  local_authority: Staffordshire County Council (fictional address)\n"
            "  local_authority_address: SEND Team, 2 Example Street, Exampleton, ZZ1 2ZZ\n"
        )
    else:
        people = (
            "  # Every letter needs these four, so that parents can reply (ap refuses a letter without them):\n"
            "  address:                   # the postal address, lines separated by commas\n"
            "  headteacher:               # the headteacher's name, as letters are signed: Mrs A Example\n"
            "  phone:                     # the school office's telephone number\n"
            "  email:                     # the school office's email address\n"
            "  # dsl:                     the Designated Safeguarding Lead\n"
            "  # send_hub_contact: \n"
            "  # local_authority:         the LA that gets a copy of notices for pupils with EHC plans\n"
        )
    bodies = "".join(f"  {line}\n" for line in (DEMO_BODIES if demo else BODY_EXAMPLES))
    return f"""# yaml-language-server: $schema=schema/settings.schema.json
# The school's settings for ap. `ap check` checks this file; `ap schema` describes every field.
school:
  name: {_scalar(school)}
{people}
# The bodies that may approve a placement's budget (id: name); `ap placement --approved-by ID`.
approving_bodies:
{bodies}
# School days of notice to parents before the first day (the law's minimum is 2).
notice_school_days: 2

# Attendance (per cent) below which a formal meeting is due (90 is the persistent-absence line).
attendance_threshold: 90

# How many school days before a placement's last day a decision to end or extend it is due.
period_end_warning_school_days: 10

# School days after a review by which the parents are sent its outcome (ap letter --kind review; reg 6).
review_letter_school_days: 5

# Words providers write in their registers, and the DfE code each stands for.
# 'attended' means the provider's own register code (B, or D where the pupil is dual registered).
# A provider's "excluded" (it refused the pupil) is not E, which is the school's own suspension or
# exclusion: such a session is marked with the provider's absence word (or N), and the refusal recorded
# with `ap absence CASE --date D --session am|pm --excluded-by-provider --follow-up TEXT`.
mark_words:
  present: attended
  attended: attended
  late: attended
  absent: N
  ill: I
  illness: I
  medical: M
  unauthorised: O

# Unauthorised sessions (G, N, O, U) in a rolling period of school weeks that make an attendance-officer
# action due (the national penalty-notice threshold: 10 sessions in 10 school weeks).
unauthorised_sessions_threshold: 10
unauthorised_school_weeks: 10

# Months a provider's safeguarding and staff-check confirmations stay valid (KCSIE; re-confirm yearly).
provider_confirmation_months: 12

# Commit each change to git, one commit a command (where the records folder is in a git repository).
commit: {"true" if commit else "false"}

# For `ap export census`: the school census's code for each primary reason for a placement
# (the referral's first reason). Copy the codes from the DfE's current school census guide;
# ap does not guess them. Reasons: curriculum-needs, exclusion-risk, attendance,
# send-assessment, broader-curriculum, respite.
census_reason_codes: {{}}
"""


def _scalar(text: str) -> str:
    import json

    return text if text.replace(" ", "").replace("'", "").isalnum() else json.dumps(text)


EMPTY_CALENDAR = """# yaml-language-server: $schema=schema/calendar.schema.json
# The school's own term dates. ap adds England's bank holidays itself.
# A school day is a weekday inside a term, outside its half term, that is neither
# a bank holiday nor a closure. Until the terms are written here, ap knows no
# school days and refuses anything that counts them. For example:
#
# terms:
#   - name: Autumn 2026
#     start: 2026-09-02
#     end: 2026-12-18
#     half_term: {start: 2026-10-26, end: 2026-10-30}
# closures:            # INSET and other days without sessions for pupils
#   - 2026-09-01
terms: []
closures: []
"""


def init_records(folder: Path, school: str, demo: bool, by: str = "ap init") -> list[str]:
    """Make a records folder at `folder`. Returns notes for the user (git, for instance)."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(
            f"{folder} already exists and is not empty; ap init makes a new records folder. Choose another."
        )
    from apcli.records.schemafiles import SCHEMA_DIR, write_schemas

    folder = folder.absolute()  # the guard takes a relative path as one inside the folder
    notes: list[str] = []
    folder.parent.mkdir(parents=True, exist_ok=True)  # the folders above are the user's: their modes are left
    with private_umask():  # everything made below, git's own files included, is this user's only
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        _private(folder)
        guard = Guard(folder)
        for sub in (CASES_DIR, PROVIDERS_DIR, "templates", "letters"):
            guard.make_folder(sub)
        write_schemas(folder / SCHEMA_DIR)
        own_repository = not demo and shutil.which("git") is not None and not _inside_git(folder)
        atomic_write(folder / SETTINGS_FILE, settings_text(school, demo, commit=own_repository), guard)
        atomic_write(folder / ".gitignore", GITIGNORE, guard)
        atomic_write(folder / ".gitattributes", MERGE_ATTRIBUTES, guard)
        atomic_write(folder / "templates" / "README.txt", TEMPLATES_README, guard)
        atomic_write(folder / CASES_DIR / ".gitkeep", "", guard)
        atomic_write(folder / "letters" / ".gitkeep", "", guard)
        if demo:
            from apcli.setup.demo import write_demo

            write_demo(folder)
        else:
            atomic_write(folder / CALENDAR_FILE, EMPTY_CALENDAR, guard)
            atomic_write(folder / PROVIDERS_DIR / ".gitkeep", "", guard)
            notes.append(
                f"Write your term dates in {folder / CALENDAR_FILE}, and add providers with `ap provider add`."
            )
            notes.append(school_details_note(folder / SETTINGS_FILE))
        notes.append(_git_init(folder, commits=own_repository))
        if own_repository and in_repository(folder):
            files = [path for path in folder.rglob("*") if path.is_file() and ".git" not in path.parts]
            problem = commit(folder, files, "records folder made by ap init", by)
            if problem:
                notes.append(problem)
        close_to_others(folder)
    if in_repository(folder):
        notes.append(
            "Each clone of the records needs, once, so that ap merges case files field by field: "
            f"git config merge.ap.driver '{merge_driver()}'"
        )
    return notes


def school_details_note(settings: Path) -> str:
    """What to fill in before any letter can go: every item LETTER-SCHOOL-DETAILS asks for."""
    from apcli.policy.notices import SCHOOL_DETAILS

    lines = "\n".join(f"  {line}" for _, _, line in SCHOOL_DETAILS)
    return (
        f"Before ap can send any letter, fill in the school's details under school: in {settings} "
        f"(LETTER-SCHOOL-DETAILS):\n{lines}\nand add your trust or SEND hub under approving_bodies: there if "
        "they approve placements' budgets."
    )


def _private(folder: Path) -> None:
    """Readable by its owner only, where the platform allows: these are children's records."""
    if os.name == "posix":
        folder.chmod(FOLDER_MODE)


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """While the block runs, what this process (and git, which it starts) makes is closed to others."""
    if os.name != "posix":
        yield
        return
    saved = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(saved)


def close_to_others(folder: Path) -> None:
    """Folders 700, and files closed to others (600; git's read-only objects stay read-only, for the owner),
    under `folder`, whatever made them. Links are never followed."""
    if os.name != "posix":
        return
    for top, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            path = os.path.join(top, name)
            status = os.lstat(path)
            if stat.S_ISLNK(status.st_mode):
                continue
            mode = stat.S_IMODE(status.st_mode)
            wanted = FOLDER_MODE if stat.S_ISDIR(status.st_mode) else mode & 0o700
            if mode != wanted:
                os.chmod(path, wanted)


def _inside_git(folder: Path) -> bool:
    result = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and result.stdout.strip() == "true"


def _git_init(folder: Path, commits: bool) -> str:
    if shutil.which("git") is None:
        return "git is not installed, so the folder is not a git repository; ap works without it."
    if _inside_git(folder):
        return (
            "The folder is inside an existing git repository, so ap did not run git init, and does not commit: "
            "set commit: true in ap-settings.yaml for one commit per command."
        )
    result = subprocess.run(["git", "init", "-q", str(folder)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return f"git init failed ({result.stderr.strip()}); the folder works without git."
    subprocess.run(["git", "-C", str(folder), "config", "merge.ap.driver", merge_driver()], check=False)
    if commits:
        return "Made it a git repository (git init); each ap command that changes records commits what it wrote."
    return "Made it a git repository (git init); the demo does not commit (commit: false in ap-settings.yaml)."
