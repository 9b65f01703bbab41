"""How long `ap` takes on a school's records of 200, 2,000 and 20,000 cases, against the floors.

    python bench/benchmark.py [--sizes 200,2000,20000] [--repeat 3] [--timeout 300] [--cold-max 2000]
                              [--only help,list,review,check,report,import] [--live] [--fresh] [--no-import]

Not part of the test suite (it takes minutes). Run it from the repository with
the dev virtualenv active (`ap` on PATH), after changing the store, the models,
the rules or the start-up imports.

For each N it makes (once, then keeps in /tmp/ap-bench-N, stamped with the
generator's version) a records folder of N fictional cases, each with a school
year of the placement: meetings, decisions, notice, weekly provider contacts,
targets and measures every half term, termly reviews, and attendance marks from
the start to `--today` (2027-07-01). The case files are made by templating one
demo case (AP-2026-001, stretched to a year) written by ap itself, changing the
pupil's name, UPN and parent; a few are read back with `Records.load_case` so
the generator cannot drift from the schema.

It times, as whole processes (wall time, best of --repeat), with their peak
memory (its maximum resident set, from /usr/bin/time):

* `ap --help`, against `python bench/typer_one.py --help` (a one-command Typer app);
* `ap list`, `ap review due`, `ap check` and `ap report --year 2026/27` at each N, against a
  bare Python that only reads and parses the same files (libyaml's CSafeLoader
  for the YAML, csv for the attendance): the *parse floor*;
* `ap attendance import` of a year of marks for 200 pupils (bench/import_year.py's
  cases), against a bare Python that parses the register and the cases and
  writes each pupil's marks (the *import floor*, "the CSV parse").

ap keeps a derived index of the records (apcli/records/cache.py) in its cache
folder. Every `ap` run here is given an `AP_CACHE_DIR` of its own records
folder's inside this run's work folder (removed at the end), so the benchmark
never reads or writes the user's own cache, and clearing it clears exactly
that folder's index. Each command is timed, at each N, as a school meets it:

* cold: no index at all (its AP_CACHE_DIR removed first), on --today
  2027-07-01, the day the generated marks run to (one run). Above --cold-max
  cases only the first command is timed cold; the others' first run on that
  day is shown as "first results" (the cases indexed, its results not);
* new day: the days after that one, one a run, skipping none (2027-07-02,
  2027-07-03, ...): what the school office sees each morning. Their sessions
  are not yet marked, as in life: the provider's register comes weekly;
* same day: the last of those days again;
* new day, a week later: seven days after it (one run);
* earlier days: days before 2027-07-01, which the old benchmark called new days;
* after an upgrade: a comment line added to the snapshot's apcli/cli/__init__.py
  and apcli/letters/render.py (neither the schema nor the rules change), then
  the next new day (one run): it should cost what a new day costs;
* after a rules change: a comment line added to the snapshot's
  apcli/policy/during.py, then the next day (one run): the index must be
  rebuilt, so it is judged as cold;
* new day, sizes in turn: where both 2,000 and 20,000 are measured, after each
  command's rows at 20,000, new days again at both sizes, one run of each in turn
  (best of --repeat each): the growth of a served run without the drift of this
  machine's speed between the two sizes' runs, minutes apart (the parse floor
  itself has grown from 9.1x to 15.6x between them, on the same files).

For `ap report` the runs with results stored are its "second run".

Every `ap` run uses a copy of apcli/ taken when the benchmark starts (on
PYTHONPATH), so that one run measures one version even while the working tree
is being edited, and the upgrade rows can change the copy; `--live` runs the
working tree instead (and skips the upgrade rows). The first line printed names
the commit and the uncommitted changes to apcli/ that were copied.

Each row prints wall and CPU seconds, its floor, the ratios, the peak memory,
and issue 18's target for it with PASS or FAIL (targets are set at 2,000 cases,
report's memory at 20,000; at other sizes the row names the target and its size
but has no verdict):

* list, review due, check, first run of a new day (and a week later, and after
  an upgrade): <= 0.1x the parse floor and <= 1 s; same day: <= 0.4 s;
* cold, and after a rules change: <= 1.3x the parse floor;
* report, second run: <= 1 s at 2,000, peak < 150 MB at 20,000;
* the import: <= 5x the import floor;
* growth from 2,000 to 20,000: <= 10.5x, for every figure measured at both;
* `ap --help`: <= 1.3x the one-command Typer app (an earlier issue's target).

At the end it prints the growth and a summary table in Markdown (figure |
seconds | ratio to floor | target | verdict), for the README's Speed section
or an issue's note. `--only list,review` times a subset (names: help, list,
review, check, report, import); the parse floor is always timed for each N.

The generated folders stay in /tmp/ap-bench-N and /tmp/ap-bench-import-200 for
the next run; `--fresh` makes them again, `--no-import` skips the import.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import hashlib
import os
import py_compile
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GENERATOR_VERSION = "1"  # change when the generated folders should be made again
TODAY = dt.date(2027, 7, 1)
YEAR_END = dt.date(2027, 7, 16)
TEMPLATE_CASE = "AP-2026-001"
CACHE = Path(tempfile.gettempdir())

# Tokens in the template text, replaced per case.
PUPIL, PARENT, UPN = "Qqpupil Qqname", "Qqparent Qqname", "L860200025001"

FIRST = ["Leo", "Maisie", "Tyler", "Ruby", "Oscar", "Amelia", "Freya", "Kai", "Isla", "Noah", "Aisha", "Jacob"]
PARENTS = ["Kerry", "Dawn", "Lee", "Sarah", "Mark", "Joanne", "Gemma", "Paul", "Nadia", "Craig", "Lisa", "Imran"]
SURNAMES = ["Hartley", "Cole", "Brooks", "Ahmed", "Walsh", "Ross", "Patel", "Wood", "Turner", "Price", "Hughes", "Lane"]


# --- generating the records -------------------------------------------------------


def year_of_template(records: Any) -> str:
    """AP-2026-001 stretched to the school year (to YEAR_END), as ap writes it, with tokens for the names and UPN."""
    from apcli.model.schema import Case

    data = records.load_case(TEMPLATE_CASE).case.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    calendar = records.calendar
    placement = data["placements"][0]
    start = placement["start"]
    senco, provider, hub = "Jo Patel", "Sam Turner", "Ms Priya Shah"
    parent = data["contacts"][0]["name"]
    pupil = data["pupil"]["name"]
    placement["end"] = YEAR_END
    placement["cost"] = 11400  # the year at the provider's daily rate, near enough
    placement["notices"][0]["end"] = YEAR_END
    halves = [(name, first, last) for name, first, last in calendar.half_terms() if last >= start and first <= TODAY]
    meetings = [m for m in data["meetings"] if m["kind"] == "planning"]
    targets, measures = [], []
    for number, (_, first, last) in enumerate(halves):
        held = calendar.days_on(max(first, start), last, ["mon", "tue", "wed", "thu"])
        on = held[min(3, len(held) - 1)]  # the first week or so of the half term
        meetings.append(
            {
                "kind": "targets",
                "date": on,
                "present": [{"name": senco, "role": "senco"}, {"name": provider, "role": "provider"}],
            }
        )
        targets += [
            {"measure": "attendance", "baseline": 80 + number, "goal": 95, "date": on},
            {"measure": "behaviour", "baseline": 6 - number % 3, "goal": 2, "date": on},
            {"measure": "sas-reading", "baseline": 84 + number, "goal": 90, "date": on, "test": "NGRT"},
        ]
        later = held[min(len(held) - 1, len(held) * 2 // 3)]
        if later <= TODAY:
            measures += [
                {"measure": "behaviour", "value": 4 - number % 3, "date": later},
                {"measure": "sas-reading", "value": 86 + number, "date": later, "test": "NGRT"},
            ]
    reviews = []
    terms = [t for t in calendar.file.terms if t.end >= start and t.start <= TODAY]
    for number, term in enumerate(terms):
        held = calendar.days_on(max(term.start, start) + dt.timedelta(days=35), term.end, ["thu"])
        on = min(held[0], TODAY)
        nxt = terms[number + 1].start + dt.timedelta(days=38) if number + 1 < len(terms) else YEAR_END
        meetings.append(
            {
                "kind": "review",
                "date": on,
                "present": [
                    {"name": parent, "role": "parent"},
                    {"name": pupil, "role": "pupil"},
                    {"name": senco, "role": "senco"},
                    {"name": provider, "role": "provider"},
                ],
                "notes": "Settled; attendance and behaviour improving.",
            }
        )
        reviews.append(
            {"date": on, "outcome": "continue", "next": nxt, "responsible": hub, "parents_views": "Pleased so far."}
        )
    data["meetings"] = sorted(meetings, key=lambda m: m["date"])
    data["targets"], data["measures"], data["reviews"] = targets, measures, reviews
    data["provider_contacts"] = [
        {"date": day, "with": provider, "summary": "Weekly call: register checked, week's progress discussed"}
        for day in calendar.days_on(start, TODAY, ["thu"])
    ]
    data["absences"] = [
        {"date": day, "session": "am", "follow_up": "Provider rang home: ill; returned next day"} for day, _ in ABSENCES
    ]
    data["history"] += [
        {"date": review["date"], "by": "Mrs Jo Patel (SENCo)", "what": "termly review recorded"} for review in reviews
    ]
    case = Case.model_validate(data)
    text = str(records.case_text(case, None, "template"))
    assert text.count(pupil) and text.count(parent) and text.count(UPN) == 1, "the template lost a name"
    return text.replace(parent, PARENT).replace(pupil, PUPIL)


ABSENCES = [(dt.date(2026, 10, 14), "I,I"), (dt.date(2026, 11, 10), "N,N"), (dt.date(2027, 3, 3), "I,I")]
UNEXPLAINED = dt.date(2027, 6, 16)  # every tenth case: an absence with no follow-up (an ATT item due)


def upn(number: int) -> str:
    from apcli.model.upn import check_letter

    body = f"86020{number:07d}"
    return check_letter(body) + body


def case_text(template: str, number: int) -> str:
    first, surname = FIRST[number % len(FIRST)], SURNAMES[(number // len(FIRST)) % len(SURNAMES)]
    mother = PARENTS[(number * 7) % len(PARENTS)]
    return (
        template.replace(PUPIL, f"{first} {surname}{'' if number < 144 else f'-{number}'}")
        .replace(PARENT, f"{mother} {surname}")
        .replace(UPN, upn(number))
    )


def marks_text(days: list[dt.date], number: int) -> str:
    special = {day: codes for day, codes in ABSENCES}
    if number % 10 == 3:
        special[UNEXPLAINED] = "N,N"
    last = TODAY - dt.timedelta(days=10) if number % 7 == 5 else TODAY  # every seventh: a register not yet in
    lines = ["date,am,pm,note"]
    lines += [f"{day.isoformat()},{special.get(day, 'B,B')}," for day in days if day <= last]
    return "\n".join(lines) + "\n"


def stamp_for(template: str, count: int) -> str:
    return hashlib.sha256(f"{GENERATOR_VERSION}\n{count}\n{template}".encode()).hexdigest()[:16]


def generated_folder(count: int, fresh: bool) -> Path:
    """A records folder of `count` cases (made once; kept in /tmp/ap-bench-N while its stamp matches)."""
    from apcli.records.store import Records
    from apcli.setup.init import init_records

    home = CACHE / f"ap-bench-{count}"
    folder = home / "records"
    scratch = Path(tempfile.mkdtemp(prefix="ap-bench-template-"))
    try:
        init_records(scratch / "records", "Bench", demo=True)
        demo = Records.open(scratch / "records")
        template = year_of_template(demo)
        placement = demo.load_case(TEMPLATE_CASE).case.placements[0]
        days = demo.calendar.days_on(placement.start, YEAR_END, ["mon", "tue", "wed", "thu"])
        stamp = stamp_for(template, count)
        if not fresh and (home / "stamp").is_file() and (home / "stamp").read_text() == stamp:
            return folder
        print(f"making {count:,} cases in {folder} ...", end=" ", flush=True)
        started = time.perf_counter()
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        shutil.copytree(scratch / "records", folder, symlinks=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    cases = folder / "cases"
    for path in cases.iterdir():
        if path.name.startswith("AP-"):
            path.unlink()  # the demo's nine: the folder holds exactly the generated cases
    ids = [f"AP-2026-{number + 1:05d}" for number in range(count)]
    for number, case_id in enumerate(ids):
        (cases / f"{case_id}.yaml").write_text(case_text(template, number), encoding="utf-8")
        (cases / f"{case_id}.attendance.csv").write_text(marks_text(days, number), encoding="utf-8")
    records = Records.open(folder)
    for number in sorted({0, 3, 5, count // 2, count - 1}):
        if number < count:
            loaded = records.load_case(ids[number])  # raises if the generator drifted from the schema
            assert loaded.case.pupil.upn == upn(number) and records.marks(ids[number]).days
    (home / "stamp").write_text(stamp)
    print(f"{time.perf_counter() - started:.1f} s")
    return folder


def import_folder(fresh: bool, pupils: int = 200) -> tuple[Path, Path]:
    """bench/import_year.py's folder: `pupils` placed cases with no marks, and a long register of the year."""
    import import_year

    from apcli.records.store import Records
    from apcli.setup import demo
    from apcli.setup.demo import place_pupils, write_register
    from apcli.setup.init import init_records

    home = CACHE / f"ap-bench-import-{pupils}"
    folder, register = home / "records", home / "register.csv"
    source = Path(import_year.__file__).read_bytes() + Path(demo.__file__).read_bytes()
    stamp = hashlib.sha256(GENERATOR_VERSION.encode() + source).hexdigest()[:16]
    if not fresh and (home / "stamp").is_file() and (home / "stamp").read_text() == stamp:
        return folder, register
    print(f"making the import folder ({pupils} pupils) in {home} ...", end=" ", flush=True)
    started = time.perf_counter()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    init_records(folder, "Bench", demo=True)
    records = Records.open(folder)
    ids = place_pupils(records, pupils, import_year.START, import_year.END)
    days = records.calendar.school_days_between(import_year.START, import_year.END)
    write_register(register, ids, days, absent_day=13)
    (home / "stamp").write_text(stamp)
    print(f"{time.perf_counter() - started:.1f} s")
    return folder, register


# --- the floors ----------------------------------------------------------------------

PARSE_FLOOR = r"""
import csv, glob, os, sys, yaml
root = sys.argv[1]
for pattern in ("*.yaml", "providers/*.yaml", "cases/AP-*.yaml"):
    for path in sorted(glob.glob(os.path.join(root, pattern))):
        with open(path, encoding="utf-8") as f:
            yaml.load(f.read(), Loader=yaml.CSafeLoader)
for path in sorted(glob.glob(os.path.join(root, "cases", "AP-*.attendance.csv"))):
    with open(path, newline="", encoding="utf-8") as f:
        list(csv.reader(f))
"""

IMPORT_FLOOR = r"""
import csv, glob, os, sys, yaml
root, register = sys.argv[1], sys.argv[2]
for pattern in ("*.yaml", "providers/*.yaml", "cases/AP-*.yaml"):
    for path in sorted(glob.glob(os.path.join(root, pattern))):
        with open(path, encoding="utf-8") as f:
            yaml.load(f.read(), Loader=yaml.CSafeLoader)
days = {}
with open(register, newline="", encoding="utf-8") as f:
    for case, date, session, mark in list(csv.reader(f))[1:]:
        days.setdefault(case, {}).setdefault(date, {})[session.lower()] = mark
for case, marks in days.items():
    with open(os.path.join(root, "cases", case + ".attendance.csv"), "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["date", "am", "pm", "note"])
        out.writerows([day, pair.get("am", ""), pair.get("pm", ""), ""] for day, pair in sorted(marks.items()))
"""


# --- timing ----------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float  # wall time
    cpu: float  # user + system seconds of the command
    peak_mb: float  # its maximum resident set size
    code: int
    timed_out: bool = False
    stderr: str = ""
    runs: int = 1


TIME = "/usr/bin/time"
MEASURE = r"""
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{usage.ru_maxrss} {usage.ru_utime} {usage.ru_stime}")
sys.exit(code)
"""


def run_once(command: list[str], timeout: float, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time, CPU time and peak RSS of one process.

    The peak comes from /usr/bin/time (%M), or else from a small Python wrapper's
    RUSAGE_CHILDREN: not from this process's os.wait4, since a child forked from
    here starts with this process's own (larger) resident size as its maximum.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as usage:
        if os.access(TIME, os.X_OK):
            wrapped = [TIME, "-f", "%M %U %S", "-o", usage.name, *command]
        else:
            wrapped = [sys.executable, "-c", MEASURE, usage.name, *command]
        started = time.perf_counter()
        process = subprocess.Popen(wrapped, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            """Kill the command itself, so that its wrapper still reports the peak it reached."""
            killed.set()
            try:
                children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            except OSError:
                children = []
            for child in children:
                os.kill(int(child), signal.SIGKILL)
            if not children:
                os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:  # interrupted: leave nothing running
                kill()
                process.wait()
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode(errors="replace")[-2000:]
        try:
            words = Path(usage.name).read_text().split()[-3:]
            peak_kb, user, system = int(words[0]), float(words[1]), float(words[2])
        except (ValueError, IndexError):
            peak_kb, user, system = 0, 0.0, 0.0
        return Run(seconds, user + system, peak_kb / 1024, process.returncode, killed.is_set(), stderr)


def best_of(
    command: list[str] | Callable[[int], list[str]],
    repeat: int,
    timeout: float,
    cwd: Path,
    ok: tuple[int, ...] = (0, 1),
    before: Any = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Best wall time of `repeat` runs (no more once one takes over 30 s); the peak memory is the largest.

    `command` may be a function of the run's number (0, 1, ...), for runs that must differ (another day).
    """
    runs: list[Run] = []
    for number in range(repeat):
        if before is not None:
            before()
        run = run_once(command(number) if callable(command) else command, timeout, cwd, env)
        runs.append(run)
        if run.timed_out or run.code not in ok:
            break
        if run.seconds > 30:
            break
    return best_run(runs, ok)


def best_run(runs: list[Run], ok: tuple[int, ...] = (0, 1)) -> Run:
    """The fastest of `runs`, with the largest peak memory of them; if one failed, its failure (and the slowest
    time), so that a failure is never hidden behind a faster run."""
    best = min(runs, key=lambda r: r.seconds)
    best.peak_mb = max(r.peak_mb for r in runs)
    best.runs = len(runs)
    bad = next((r for r in runs if r.timed_out or r.code not in ok), None)
    if bad is not None:
        best.code, best.stderr, best.timed_out = bad.code, bad.stderr, bad.timed_out
        best.seconds = max(r.seconds for r in runs)
    return best


# --- issue 18's targets ------------------------------------------------------------------

# `--only` names, in the order they run; at a size above --cold-max the first command timed there is the one
# timed cold (it fills the index for the others).
COMMANDS: dict[str, tuple[str, list[str]]] = {
    "list": ("list", ["list"]),
    "review": ("review due", ["review", "due"]),
    "check": ("check", ["check"]),
    "report": ("report", ["report", "--year", "2026/27"]),
}
PARTS = ("help", *COMMANDS, "import")
ALIASES = {"review due": "review", "due": "review", "review-due": "review"}
DAILY = ("list", "review due", "check")  # the commands a school office runs each morning

# The kinds of run of a command at one size, in the order they are timed.
COLD = "cold"  # no index at all: the records folder's cache removed first
FIRST_RESULTS = "first results"  # above --cold-max: cases indexed by another command, its results not
NEW_DAY = "new day"  # the day after the last one whose results are stored
SAME_DAY = "same day"  # that day again: everything stored
WEEK_LATER = "new day, a week later"  # seven days after the last day run
BACKWARD = "earlier days"  # days before TODAY (what the old benchmark called a new day)
UPGRADE = "after an upgrade"  # apcli's code changed, not its schema or rules; the next new day
RULES = "after a rules change"  # a rules file changed: the index must be rebuilt
IN_TURN = "new day, sizes in turn"  # new days again at 2,000 and at 20,000, one run of each in turn
KINDS = (COLD, FIRST_RESULTS, NEW_DAY, SAME_DAY, WEEK_LATER, BACKWARD, UPGRADE, RULES, IN_TURN)

# Where the snapshot is changed for the upgrade rows: files that hold neither the schema nor the rules, and one
# that holds rules.
UPGRADE_FILES = ("apcli/cli/__init__.py", "apcli/letters/render.py")
RULES_FILE = "apcli/policy/during.py"


@dataclass(frozen=True)
class Target:
    """One of issue 18's targets: a bound on wall seconds, on the ratio to the floor, on peak memory (each optional)."""

    words: str
    seconds: float | None = None  # at most
    floor_ratio: float | None = None  # at most this many times the floor
    peak_mb: float | None = None  # below

    def verdict(self, run: Run, floor: Run | None) -> bool | None:
        """True if `run` meets the target, False if not, None if it cannot be told (killed, maybe before its peak)."""
        if run.code not in (0, 1) and not run.timed_out:
            return False
        met = True
        if self.seconds is not None:
            met = met and not run.timed_out and run.seconds <= self.seconds
        if self.floor_ratio is not None:
            met = met and not run.timed_out and floor is not None and run.seconds <= self.floor_ratio * floor.seconds
        if self.peak_mb is not None:
            if run.timed_out:  # the peak shown is a lower bound: over the limit is over, under it is unknown
                return None if met and run.peak_mb < self.peak_mb else False
            met = met and 0 < run.peak_mb < self.peak_mb
        return met


NEW_DAY_TARGET = Target("≤ 0.1x floor and ≤ 1 s", seconds=1.0, floor_ratio=0.1)
SAME_DAY_TARGET = Target("≤ 0.4 s", seconds=0.4)
COLD_TARGET = Target("≤ 1.3x floor", floor_ratio=1.3)
REBUILT_TARGET = Target("index rebuilt: ≤ 1.3x floor (as cold)", floor_ratio=1.3)
REPORT_TARGET = Target("second run ≤ 1 s", seconds=1.0)
REPORT_MEMORY = Target("second run: peak < 150 MB", peak_mb=150)
IMPORT_TARGET = Target("≤ 5x the import floor (CSV parse)", floor_ratio=5)
HELP_TARGET = Target("≤ 1.3x one-command Typer (earlier issue)", floor_ratio=1.3)
GROWTH_LIMIT = 10.5
SIZE, LARGE = 2000, 20000  # the size the targets are set at, and the size the growth is measured to


def target_for(label: str, kind: str, count: int) -> Target | None:
    """Issue 18's target for `ap LABEL` run as `kind` at `count` cases, or None where it sets none."""
    if label == "report":
        second = kind in (NEW_DAY, SAME_DAY, WEEK_LATER, UPGRADE)
        if count == SIZE:
            return REPORT_TARGET if second else {COLD: COLD_TARGET, RULES: REBUILT_TARGET}.get(kind)
        return REPORT_MEMORY if count == LARGE and second else None
    if label not in DAILY or count != SIZE:
        return None
    return {
        COLD: COLD_TARGET,
        NEW_DAY: NEW_DAY_TARGET,
        WEEK_LATER: NEW_DAY_TARGET,
        UPGRADE: Target("as a new day: ≤ 0.1x floor and ≤ 1 s", seconds=1.0, floor_ratio=0.1),
        SAME_DAY: SAME_DAY_TARGET,
        RULES: REBUILT_TARGET,
    }.get(kind)


def target_words(label: str, kind: str, count: int) -> str:
    """The target in words; where none is set at this size, the one set at another size, for the reader."""
    target = target_for(label, kind, count)
    if target is not None:
        return target.words
    for size in (SIZE, LARGE):
        other = target_for(label, kind, size)
        if other is not None and size != count:
            return f"(at {size:,}: {other.words})"
    return ""


def growth_verdict(small: Run, large: Run) -> str:
    """PASS if the time at 20,000 is at most GROWTH_LIMIT times the time at 2,000, FAIL if not (or if the run at
    20,000 was killed already beyond it); '?' if a run failed, or was killed short of the limit."""
    failed = small.timed_out or any(r.code not in (0, 1) and not r.timed_out for r in (small, large))
    over = large.seconds > GROWTH_LIMIT * small.seconds
    if failed or (large.timed_out and not over):
        return "?"
    return "FAIL" if over else "PASS"


@dataclass(frozen=True)
class Days:
    """The --today of each kind of run of one command, after the new days actually run (up to `last`)."""

    same_day: dt.date
    week_later: dt.date
    backward: list[dt.date]
    upgrade: dt.date
    rules: dt.date


def new_days(today: dt.date, repeat: int) -> list[dt.date]:
    """The days after `today`, skipping none: results are computed on `today`, then a school lives in the days
    that follow it."""
    return [today + dt.timedelta(days=1 + number) for number in range(repeat)]


def later_days(today: dt.date, last: dt.date, repeat: int) -> Days:
    """The days of the runs after the new days, the last of which was `last`: that day again, a week after it,
    `repeat` days before `today`, then the next two new days after the week (for the two upgrades)."""
    week = last + dt.timedelta(days=7)
    return Days(
        same_day=last,
        week_later=week,
        backward=[today - dt.timedelta(days=1 + number) for number in range(repeat)],
        upgrade=week + dt.timedelta(days=1),
        rules=week + dt.timedelta(days=2),
    )


def parse_only(text: str | None) -> list[str]:
    """The parts named by --only (comma-separated), in the order they run; all of them when not given."""
    if not text:
        return list(PARTS)
    named = set()
    for word in text.split(","):
        name = ALIASES.get(word.strip().lower(), word.strip().lower())
        if not name:
            continue
        if name not in PARTS:
            raise ValueError(f"--only: {word.strip()!r} is not one of {', '.join(PARTS)}")
        named.add(name)
    if not named:
        raise ValueError(f"--only names none of {', '.join(PARTS)}")
    return [name for name in PARTS if name in named]


# --- rows and the summary ------------------------------------------------------------------


@dataclass
class Row:
    figure: str
    run: Run
    floor_name: str = ""
    floor: Run | None = None
    target: str = ""
    passed: bool | None = None
    notes: list[str] = field(default_factory=list)
    judged: bool = False  # whether a target applies here (then `passed` None means it could not be told)
    is_floor: bool = False  # a floor: what the others are divided by

    @property
    def ratio(self) -> float | None:
        return self.run.seconds / self.floor.seconds if self.floor else None

    @property
    def verdict(self) -> str:
        if not self.judged:
            return "-"
        return "?" if self.passed is None else ("PASS" if self.passed else "FAIL")


def kind_name(label: str, kind: str) -> str:
    """A kind of run in words: `ap report`'s runs with results stored are its 'second run'."""
    if label == "report" and kind in (NEW_DAY, SAME_DAY, WEEK_LATER, IN_TURN):
        return "second run, " + kind.removeprefix("new day, ")
    return kind


def figure(label: str, count: int, kind: str) -> str:
    """The name of a row."""
    return f"ap {label} N={count:,} {kind_name(label, kind)}"


def judged(row: Row, target: Target | None, words: str = "") -> Row:
    row.target = words or (target.words if target else "")
    if target is not None:
        row.judged = True
        row.passed = target.verdict(row.run, row.floor)
    return row


def print_row(row: Row) -> None:
    run = row.run
    seconds = f"{'>' if run.timed_out else ''}{run.seconds:8.3f} {run.cpu:7.2f}"
    floor = f"{row.floor.seconds:8.3f}" if row.floor else " " * 8
    ratio = f"{row.ratio:6.2f}x" if row.ratio is not None else " " * 7
    ratio += f" {run.cpu / row.floor.cpu:6.2f}x" if row.floor and row.floor.cpu else " " * 8
    verdict = row.verdict if row.judged else ""
    problem = " TIMED OUT" if run.timed_out else ("" if run.code in (0, 1) else f" exit {run.code}")
    notes = f"  ({'; '.join(row.notes)})" if row.notes else ""
    print(
        f"{row.figure:<46} {seconds} {floor} {ratio} {run.peak_mb:8.1f}  {row.floor_name:<13} {verdict:<4} "
        f"{row.target}{problem}{notes}",
        flush=True,
    )
    if run.code not in (0, 1) and not run.timed_out:
        print("    " + run.stderr.strip().replace("\n", "\n    ")[-1500:])


def markdown_row(row: Row) -> str:
    """One line of the summary table: figure | seconds | ratio to floor | target | verdict."""
    run = row.run
    seconds = f"{'>' if run.timed_out else ''}{run.seconds:.2f}"
    if run.code not in (0, 1) and not run.timed_out:
        seconds += f" (exit {run.code})"
    name = row.figure
    if name.startswith("ap "):
        words = name[3:].split(" N=", 1)
        name = f"`ap {words[0]}` N={words[1]}" if len(words) == 2 else f"`{name}`"
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ("floor" if row.is_floor else "")
    memory = f"; peak {run.peak_mb:.0f} MB" if "MB" in row.target or name.startswith("`ap report`") else ""
    return f"| {name} | {seconds}{memory} | {ratio} | {row.target} | {row.verdict} |"


@dataclass
class Growth:
    figure: str
    small: float
    large: float
    floor_growth: float | None
    verdict: str  # PASS, FAIL, ? or "" (a floor's own growth)
    timed_out: bool = False

    @property
    def times(self) -> float:
        return self.large / self.small

    def markdown(self) -> str:
        versus = f" (floor {self.floor_growth:.2f}x)" if self.floor_growth else ""
        over = ">" if self.timed_out else ""
        target = f"≤ {GROWTH_LIMIT}x" if self.verdict else ""
        return (
            f"| growth {SIZE:,} → {LARGE:,}: {self.figure} | {self.small:.2f} → {over}{self.large:.2f} | "
            f"{over}{self.times:.2f}x{versus} | {target} | {self.verdict or '-'} |"
        )


def summary(rows: list[Row], growth: list[Growth], heading: str) -> str:
    """The Markdown table of every row, and the growth, to paste into the README's Speed section or a note."""
    lines = [heading, "", "| figure | seconds | ratio to floor | target | verdict |", "|---|---|---|---|---|"]
    lines += [markdown_row(row) for row in rows]
    lines += [line.markdown() for line in growth]
    counted = [row.verdict for row in rows] + [line.verdict for line in growth]
    lines += [
        "",
        f"{counted.count('PASS')} PASS, {counted.count('FAIL')} FAIL, {counted.count('?')} unknown; "
        "'-': no target at this size (the target column then names the size it is set at).",
    ]
    return "\n".join(lines)


# --- the runs ----------------------------------------------------------------------------------


def clear_caches(folder: Path, cache_dir: Path) -> None:
    """Remove what ap keeps between runs for a records folder, so that the next run is truly cold: the folder's
    own cache folder (`AP_CACHE_DIR` for its runs; its index-<fingerprint>.sqlite and -wal/-shm, or an older ap's JSON files,
    are all inside) and the `.cache` an older ap kept in the records folder itself."""
    shutil.rmtree(cache_dir, ignore_errors=True)
    for name in CACHE_DIRS:
        shutil.rmtree(folder / name, ignore_errors=True)


CACHE_DIRS = (".cache",)  # where an older ap kept its cache, inside the records folder


def code_state() -> str:
    """The commit measured, and the files under apcli/ changed since it (the working tree is what runs)."""

    def git(*words: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *words], capture_output=True, text=True, check=False)
        return done.stdout.rstrip("\n")

    changed = [line[3:] for line in git("status", "--porcelain", "--", "apcli").splitlines()]
    digest = hashlib.sha256(git("diff", "HEAD", "--", "apcli").encode())
    for name in changed:
        with contextlib.suppress(OSError):
            digest.update((ROOT / name).read_bytes())
    return f"apcli at {git('rev-parse', '--short', 'HEAD')}" + (
        f" + uncommitted (digest {digest.hexdigest()[:10]}): {', '.join(changed)}" if changed else ""
    )


def snapshot(work: Path) -> Path:
    """Copy apcli/ (and templates/) to `work` and make every `ap` run use the copy, so that one run of the
    benchmark measures one version of the code even while someone edits the working tree (and so that the
    upgrade rows can change the copy)."""
    code = work / "code"
    shutil.copytree(ROOT / "apcli", code / "apcli", ignore=shutil.ignore_patterns("__pycache__"))
    if (ROOT / "templates").is_dir():
        shutil.copytree(ROOT / "templates", code / "templates")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
    found = subprocess.run(
        [sys.executable, "-c", "import apcli; print(apcli.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=work,
    ).stdout.strip()
    if not found.startswith(str(code)):
        sys.exit(f"the snapshot of apcli is not the one imported ({found}); run with --live")
    compileall.compile_dir(code / "apcli", quiet=1)  # as pip does on install: no run pays for compiling it
    return code


def upgrade(code: Path, names: tuple[str, ...], number: int, why: str) -> None:
    """Change the snapshot's `names` as an upgrade would, keeping what they do: a comment line at the end."""
    for name in names:
        with (code / name).open("a", encoding="utf-8") as file:
            file.write(f"# bench/benchmark.py: {why} ({number})\n")
        py_compile.compile(str(code / name), doraise=True)  # as the upgrade's install would


class Bench:
    """One run of the benchmark: its options, its work folder, and the rows measured so far."""

    def __init__(
        self, args: argparse.Namespace, work: Path, code: Path | None, folders: dict[int, Path] | None = None
    ) -> None:
        self.ap = shutil.which("ap") or sys.exit("install ap first: pip install -e . (and activate the virtualenv)")
        self.folders = folders or {}  # the records folder of each size
        self.repeat, self.timeout, self.cold_max = args.repeat, args.timeout, args.cold_max
        self.work, self.code = work, code
        self.rows: dict[tuple[str, int, str], Row] = {}
        self.printed: list[Row] = []
        self.upgrades = 0

    def cache_dir(self, folder: Path) -> Path:
        """The AP_CACHE_DIR of every ap run on `folder`: inside this run's work folder, one per records folder,
        so the benchmark never touches the user's own cache and clearing one folder's cache clears only it."""
        return self.work / "cache" / hashlib.sha256(str(folder).encode()).hexdigest()[:12]

    def env(self, folder: Path) -> dict[str, str]:
        return {**os.environ, "AP_CACHE_DIR": str(self.cache_dir(folder))}

    def add(self, row: Row, key: tuple[str, int, str] | None = None) -> Row:
        if key is not None:
            self.rows[key] = row
        self.printed.append(row)
        print_row(row)
        return row

    def command(self, name: str, count: int, folder: Path, floor: Run, cold: bool) -> None:
        """Every kind of run of one command at one size, in the order a school would meet them."""
        label, extra = COMMANDS[name]
        env = self.env(folder)

        def on(day: dt.date) -> list[str]:
            return [self.ap, "--records", str(folder), "--today", day.isoformat(), *extra]

        def row(kind: str, run: Run, notes: list[str] | None = None) -> Row:
            made = Row(figure(label, count, kind), run, "parse floor", floor, notes=notes or [])
            judged(made, target_for(label, kind, count), target_words(label, kind, count))
            return self.add(made, (label, count, kind))

        if cold:
            clear_caches(folder, self.cache_dir(folder))
        row(COLD if cold else FIRST_RESULTS, run_once(on(TODAY), self.timeout, self.work, env))
        days = new_days(TODAY, self.repeat)
        new = best_of(lambda number: on(days[number]), self.repeat, self.timeout, self.work, env=env)
        row(NEW_DAY, new, [f"--today {days[0]}" + (f" to {days[new.runs - 1]}" if new.runs > 1 else "")])
        later = later_days(TODAY, days[new.runs - 1], self.repeat)
        row(SAME_DAY, best_of(on(later.same_day), self.repeat, self.timeout, self.work, env=env))
        back = best_of(lambda number: on(later.backward[number]), self.repeat, self.timeout, self.work, env=env)
        row(BACKWARD, back, [f"--today {later.backward[0]}" + (" and before" if back.runs > 1 else "")])
        # The index keeps one result a case: after the earlier days, the week later is a new day from those, and
        # the upgrade's run the next day after it (so that it measures the upgrade, not a return from the past).
        row(WEEK_LATER, run_once(on(later.week_later), self.timeout, self.work, env), [f"--today {later.week_later}"])
        last = later.week_later
        if self.code is not None:
            self.upgrades += 1
            upgrade(self.code, UPGRADE_FILES, self.upgrades, "an upgrade that keeps the schema and the rules")
            run = run_once(on(later.upgrade), self.timeout, self.work, env)
            versus = f"{run.seconds / new.seconds:.2f}x the new day" if new.seconds else ""
            row(UPGRADE, run, [f"--today {later.upgrade}", f"comment added to {', '.join(UPGRADE_FILES)}", versus])
            upgrade(self.code, (RULES_FILE,), self.upgrades, "a change to a rules file")
            run = run_once(on(later.rules), self.timeout, self.work, env)
            row(RULES, run, [f"--today {later.rules}", f"comment added to {RULES_FILE}"])
            last = later.rules
        if count == LARGE and ("parse floor", SIZE, "") in self.rows:  # after every row of its own
            self.in_turn(name, folder, last)

    def in_turn(self, name: str, large: Path, last: dt.date) -> None:
        """New days timed again at SIZE and at LARGE, one run of each in turn, the same days at both: a growth
        from runs seconds apart, not from runs at either end of the benchmark (see the module's docstring).
        Run once LARGE's own rows are done (`last` its last day), so that they meet the history SIZE's did. The
        day after `last` is run untimed at both, which works SIZE's results out under the code as it is now
        (the upgrades have changed it since) and leaves both one day from their next run. As `best_of`, no more
        pairs once a run fails, times out or takes over 30 s."""
        label, extra = COMMANDS[name]
        small = self.folders[SIZE]
        sizes = ((SIZE, small), (LARGE, large))

        def on(folder: Path, day: dt.date) -> list[str]:
            return [self.ap, "--records", str(folder), "--today", day.isoformat(), *extra]

        warm = last + dt.timedelta(days=1)
        for _, folder in sizes:
            run_once(on(folder, warm), self.timeout, self.work, self.env(folder))
        runs: dict[int, list[Run]] = {SIZE: [], LARGE: []}
        for number in range(self.repeat):
            day = warm + dt.timedelta(days=1 + number)
            pair = [run_once(on(folder, day), self.timeout, self.work, self.env(folder)) for _, folder in sizes]
            for (count, _), run in zip(sizes, pair, strict=True):
                runs[count].append(run)
            if any(run.timed_out or run.code not in (0, 1) or run.seconds > 30 for run in pair):
                break
        first, final = warm + dt.timedelta(days=1), warm + dt.timedelta(days=len(runs[SIZE]))
        for count, timed in runs.items():
            floor = self.rows[("parse floor", count, "")].run
            made = Row(figure(label, count, IN_TURN), best_run(timed), "parse floor", floor)
            made.notes = [f"--today {first}" + (f" to {final}" if final > first else "")]
            self.add(made, (label, count, IN_TURN))

    def growth(self) -> list[Growth]:
        """Each figure at 20,000 against the same figure at 2,000."""
        small_floor, large_floor = self.rows.get(("parse floor", SIZE, "")), self.rows.get(("parse floor", LARGE, ""))
        floor_growth = large_floor.run.seconds / small_floor.run.seconds if small_floor and large_floor else None
        lines = []
        for (label, count, kind), large in self.rows.items():
            small = self.rows.get((label, SIZE, kind))
            if count != LARGE or small is None or not small.run.seconds:
                continue
            is_floor = label == "parse floor"
            lines.append(
                Growth(
                    "parse floor" if is_floor else f"`ap {label}` {kind_name(label, kind)}",
                    small.run.seconds,
                    large.run.seconds,
                    None if is_floor else floor_growth,
                    "" if is_floor else growth_verdict(small.run, large.run),
                    large.run.timed_out,
                )
            )
        return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,2000,20000", help="numbers of cases (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the best is reported")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a command is killed")
    parser.add_argument(
        "--cold-max",
        type=int,
        default=2000,
        help="up to this N every command is also timed with no index; above it only the first command is",
    )
    parser.add_argument("--only", help=f"time only these (comma-separated): {', '.join(PARTS)}")
    parser.add_argument("--live", action="store_true", help="run the working tree's apcli, not a copy of it")
    parser.add_argument("--fresh", action="store_true", help="make the generated folders again")
    parser.add_argument("--no-import", action="store_true", help="skip the attendance import")
    args = parser.parse_args()
    try:
        only = parse_only(args.only)
    except ValueError as error:
        parser.error(str(error))
    if args.no_import and "import" in only:
        only.remove("import")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the command running is killed too
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    commands = [name for name in COMMANDS if name in only]
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="ap-bench-run-"))
    try:
        # Even making the folders reads cases through ap's store: never with the user's own cache.
        os.environ["AP_CACHE_DIR"] = str(work / "cache" / "generator")
        folders = {count: generated_folder(count, args.fresh) for count in sizes} if commands else {}
        imports = import_folder(args.fresh) if "import" in only else None
        state = code_state()
        code = None if args.live else snapshot(work)
        for key in [key for key in os.environ if key.startswith("AP_")]:
            del os.environ[key]  # AP_RECORDS, AP_TODAY ... are the user's: each ap run is given its own options
        _measure(args, only, commands, folders, imports, Bench(args, work, code, folders), state, python)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(
    args: argparse.Namespace,
    only: list[str],
    commands: list[str],
    folders: dict[int, Path],
    imports: tuple[Path, Path] | None,
    bench: Bench,
    state: str,
    python: str,
) -> None:
    work = bench.work
    measured = "the working tree itself" if bench.code is None else f"a copy taken now, in {bench.code}"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\n{state}; measured: {measured}\n"
        f"{os.cpu_count()} cores; load average {load}; today {TODAY}; best of {args.repeat} "
        f"(no more runs once one takes over 30 s); timeout {args.timeout:.0f} s; parts: {', '.join(only)}\n"
        f"cold = no index (the folder's AP_CACHE_DIR, in {work / 'cache'}, removed first; one run); "
        f"new day = the days after {TODAY}, on which the results were computed, one a run, skipping none; "
        "same day = that day again; a week later and the upgrades: one run each"
    )
    if bench.code is None and commands:
        print("--live: the upgrade rows are not run (they change the code measured, which here is the working tree)")
    began = time.perf_counter()
    print(
        f"\n{'figure':<46} {'seconds':>8} {'cpu s':>7} {'floor':>8} {'ratio':>7} {'cpu rt':>7} {'peak MB':>8}  "
        f"{'floor is':<13} {'':<4} target\n{'-' * 150}",
        flush=True,
    )
    if "help" in only:
        env = bench.env(work / "none")
        typer_floor = best_of([python, str(ROOT / "bench" / "typer_one.py"), "--help"], max(args.repeat, 5), 60, work)
        bench.add(Row("typer one-command --help", typer_floor, is_floor=True))
        help_run = best_of([bench.ap, "--help"], max(args.repeat, 5), 60, work, env=env)
        bench.add(judged(Row("ap --help", help_run, "typer one-cmd", typer_floor), HELP_TARGET))
    for count, folder in folders.items():
        floor = best_of([python, "-c", PARSE_FLOOR, str(folder)], args.repeat, args.timeout, work)
        bench.add(Row(f"parse floor N={count:,}", floor, is_floor=True), ("parse floor", count, ""))
        clear_caches(folder, bench.cache_dir(folder))
        for number, name in enumerate(commands):
            bench.command(name, count, folder, floor, cold=count <= args.cold_max or number == 0)
    if imports is not None:
        _imports(bench, imports, python)
    print(
        f"\nmeasured in {time.perf_counter() - began:.0f} s; load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if bench.code is None and code_state() != state:
        print(f"NOTE: apcli changed while this ran; now {code_state()}")
    growth = bench.growth()
    if growth:
        print(f"\ngrowth from N={SIZE:,} to N={LARGE:,} (target: ≤ {GROWTH_LIMIT}x for every figure)")
        for line in growth:
            versus = f" ({line.times / line.floor_growth:4.2f} vs floor)" if line.floor_growth else " " * 16
            print(f"  {line.figure:<40} {'>' if line.timed_out else ' '}{line.times:6.2f}x{versus} {line.verdict}")
        floor = next((line for line in growth if line.figure == "parse floor"), None)
        if floor is not None and floor.times > GROWTH_LIMIT:
            print(
                f"NOTE: the parse floor itself grew {floor.times:.2f}x, on the same files: this machine was slower "
                f"during the {LARGE:,} runs than the {SIZE:,} ones, and the growth of each figure timed minutes "
                "apart says as much about that; the 'sizes in turn' lines time both sizes side by side."
            )
    heading = (
        f"Issue 18's targets, {dt.date.today()}: {state}; {os.cpu_count()} cores, shared with other work "
        f"(load average {load} at the start); best of {args.repeat}; --today {TODAY} for the first run."
    )
    print("\n" + summary(bench.printed, growth, heading))


def _imports(bench: Bench, imports: tuple[Path, Path], python: str) -> None:
    """`ap attendance import` of a year for 200 pupils into a fresh copy of the folder: with no index, and with
    the copy indexed first (an `ap list` on it), against the floor that parses the CSV and writes the marks."""
    base, register = imports
    target = bench.work / "import" / "records"
    env = bench.env(target)

    def fresh_copy(indexed: bool) -> Callable[[], None]:
        def before() -> None:
            shutil.rmtree(target.parent, ignore_errors=True)
            clear_caches(target, bench.cache_dir(target))
            shutil.copytree(base, target, symlinks=True)
            for name in CACHE_DIRS:
                shutil.rmtree(target / name, ignore_errors=True)
            if indexed:
                run_once([bench.ap, "--records", str(target), "--today", "2027-07-19", "list"], 300, bench.work, env)
            # The copy (and the index) written out now: else the import's fsyncs would write them out too, a cost
            # of the benchmark's fresh copy that no school's import pays.
            os.sync()

        return before

    floor = best_of(
        [python, "-c", IMPORT_FLOOR, str(target), str(register)],
        bench.repeat,
        bench.timeout,
        bench.work,
        before=fresh_copy(False),
    )
    bench.add(Row("import floor, a year for 200 pupils", floor, is_floor=True))
    command = [bench.ap, "--records", str(target), "--today", "2027-07-19", "attendance", "import", str(register)]
    for label, indexed in (("no index", False), ("indexed", True)):
        run = best_of(command, bench.repeat, bench.timeout, bench.work, before=fresh_copy(indexed), env=env)
        row = Row(f"ap attendance import N=200 pupils, {label}", run, "import floor", floor)
        bench.add(judged(row, IMPORT_TARGET), ("attendance import", 200, label))


if __name__ == "__main__":
    main()
