"""How long `ap` takes on a school's records of 200, 2,000 and 20,000 cases, against the floors.

    python bench/benchmark.py [--sizes 200,2000,20000] [--repeat 3] [--timeout 300] [--cold-max 2000]

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
* `ap review due`, `ap check`, `ap list` and `ap report` at each N, against a
  bare Python that only reads and parses the same files (libyaml's CSafeLoader
  for the YAML, csv for the attendance);
* `ap attendance import` of a year of marks for 200 pupils (bench/import_year.py's
  cases), against a bare Python that reads the register and the cases and
  writes each pupil's marks.

ap keeps caches in the user's cache folder (validated cases, and each
command's results per case and day; apcli/records/cache.py), so each command is timed:

* cold: right after removing the records folder's cache (one run; above
  --cold-max cases only `ap list` is timed cold, and it fills the case cache
  for the others);
* new day: cases cached, results not (each run takes another --today), which is
  what a school sees each morning;
* same day: everything cached (the same --today again).

Every `ap` run uses a copy of apcli/ taken when the benchmark starts (on
PYTHONPATH), so that one run measures one version even while the working tree
is being edited; `--live` runs the working tree instead. The first line printed
names the commit and the uncommitted changes to apcli/ that were copied.

It prints each figure (wall seconds, CPU seconds), its floor, the ratio, and the issue's targets:
review due and check at N=2,000 within 1.5x the floor and under 2 s; growth
from 2,000 to 20,000 no worse than linear; `ap --help` within 1.3x of the
one-command app; peak memory at N=20,000 under 500 MB.

The generated folders stay in /tmp/ap-bench-N and /tmp/ap-bench-import-200 for
the next run; `--fresh` makes them again, `--no-import` skips the import.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
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


def run_once(command: list[str], timeout: float, cwd: Path) -> Run:
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
        process = subprocess.Popen(wrapped, stdout=out, stderr=err, cwd=cwd, start_new_session=True)
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
) -> Run:
    """Best wall time of `repeat` runs (no more once one takes over 30 s); the peak memory is the largest.

    `command` may be a function of the run's number (0, 1, ...), for runs that must differ (another day).
    """
    runs: list[Run] = []
    for number in range(repeat):
        if before is not None:
            before()
        run = run_once(command(number) if callable(command) else command, timeout, cwd)
        runs.append(run)
        if run.timed_out or run.code not in ok:
            break
        if run.seconds > 30:
            break
    best = min(runs, key=lambda r: r.seconds)
    best.peak_mb = max(r.peak_mb for r in runs)
    best.runs = len(runs)
    bad = next((r for r in runs if r.timed_out or r.code not in ok), None)
    if bad is not None:
        best.code, best.stderr, best.timed_out = bad.code, bad.stderr, bad.timed_out
        best.seconds = max(r.seconds for r in runs)
    return best


@dataclass
class Row:
    figure: str
    run: Run
    floor_name: str = ""
    floor: Run | None = None
    target: str = ""
    passed: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.run.seconds / self.floor.seconds if self.floor else None


def print_row(row: Row) -> None:
    run = row.run
    seconds = f"{'>' if run.timed_out else ''}{run.seconds:8.3f} {run.cpu:7.2f}"
    floor = f"{row.floor.seconds:8.3f}" if row.floor else " " * 8
    ratio = f"{row.ratio:6.2f}x" if row.ratio is not None else " " * 7
    ratio += f" {run.cpu / row.floor.cpu:6.2f}x" if row.floor and row.floor.cpu else " " * 8
    verdict = "" if row.passed is None else ("PASS" if row.passed else "FAIL")
    problem = " TIMED OUT" if run.timed_out else ("" if run.code in (0, 1) else f" exit {run.code}")
    print(
        f"{row.figure:<38} {seconds} {floor} {ratio} {run.peak_mb:8.1f}  {row.floor_name:<16} {verdict:<4} "
        f"{row.target}{problem}",
        flush=True,
    )
    if run.code not in (0, 1) and not run.timed_out:
        print("    " + run.stderr.strip().replace("\n", "\n    ")[-1500:])


def clear_caches(folder: Path) -> None:
    """Remove what ap keeps between runs for a records folder (its cache folder), so that the next run is cold."""
    from apcli.records.cache import cache_base, folder_name

    shutil.rmtree(cache_base() / folder_name(folder), ignore_errors=True)
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


def snapshot(work: Path) -> str:
    """Copy apcli/ (and templates/) to `work` and make every `ap` run use the copy, so that one run of the
    benchmark measures one version of the code even while someone edits the working tree."""
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
    return str(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,2000,20000", help="numbers of cases (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the best is reported")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a command is killed")
    parser.add_argument(
        "--cold-max",
        type=int,
        default=2000,
        help="up to this N every command is also timed with no cache; above it only `ap list` is",
    )
    parser.add_argument("--live", action="store_true", help="run the working tree's apcli, not a copy of it")
    parser.add_argument("--fresh", action="store_true", help="make the generated folders again")
    parser.add_argument("--no-import", action="store_true", help="skip the attendance import")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the command running is killed too
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    ap = shutil.which("ap") or sys.exit("install ap first: pip install -e . (and activate the virtualenv)")
    python = sys.executable
    folders = {count: generated_folder(count, args.fresh) for count in sizes}
    imports = None if args.no_import else import_folder(args.fresh)
    work = Path(tempfile.mkdtemp(prefix="ap-bench-run-"))
    state = code_state()
    try:
        measured = "the working tree itself" if args.live else f"a copy taken now, in {snapshot(work)}"
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    print(
        f"\n{state}; measured: {measured}\n"
        f"{os.cpu_count()} cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"today {TODAY}; best of {args.repeat} (no more runs once one takes over 30 s); timeout {args.timeout:.0f} s\n"
        "cold = no cache (the records folder's cache removed first; one run); "
        "new day = cases cached, results not (a different --today each run); same day = all cached"
    )
    began = time.perf_counter()
    print(
        f"\n{'figure':<38} {'seconds':>8} {'cpu s':>7} {'floor':>8} {'ratio':>7} {'cpu rt':>7} {'peak MB':>8}  "
        f"{'floor is':<16} {'':<4} target\n{'-' * 142}",
        flush=True,
    )
    rows: dict[str, Row] = {}

    def add(row: Row) -> Row:
        rows[row.figure] = row
        print_row(row)
        return row

    def judge(row: Row, count: int, label: str) -> Row:
        run = row.run
        if count == 2000 and label in ("review due", "check"):
            row.target = "<= 1.5x floor and < 2 s"
            row.passed = run.code in (0, 1) and run.seconds <= 1.5 * row.floor.seconds and run.seconds < 2  # type: ignore[union-attr]
        if count == 20000:
            row.target = "peak < 500 MB"
            row.passed = 0 < run.peak_mb < 500
            if run.timed_out and row.passed:
                row.passed, row.target = None, "peak < 500 MB (unknown: the peak shown is when it was killed)"
        return row

    try:
        env_free = {key: value for key, value in os.environ.items() if not key.startswith("AP_")}
        os.environ.clear()
        os.environ.update(env_free)
        typer_floor = best_of([python, str(ROOT / "bench" / "typer_one.py"), "--help"], max(args.repeat, 5), 60, work)
        add(Row("typer one-command --help", typer_floor))
        help_run = best_of([ap, "--help"], max(args.repeat, 5), 60, work)
        add(
            Row(
                "ap --help",
                help_run,
                "typer one-cmd",
                typer_floor,
                "<= 1.3x",
                help_run.seconds <= 1.3 * typer_floor.seconds,
            )
        )
        commands = (
            ("list", ["list"]),  # first: at sizes above --cold-max its cold run fills the cache for the others
            ("review due", ["review", "due"]),
            ("check", ["check"]),
            ("report", ["report"]),
        )
        for count, folder in folders.items():
            floor = best_of([python, "-c", PARSE_FLOOR, str(folder)], args.repeat, args.timeout, work)
            add(Row(f"parse floor N={count:,}", floor))
            clear_caches(folder)
            for label, extra in commands:
                prefix = [ap, "--records", str(folder)]
                if count <= args.cold_max or label == "list":
                    clear_caches(folder)
                    cold = run_once([*prefix, "--today", TODAY.isoformat(), *extra], args.timeout, work)
                    add(judge(Row(f"ap {label} N={count:,} cold", cold, "parse floor", floor), count, label))
                days = [(TODAY - dt.timedelta(days=1 + number)).isoformat() for number in range(args.repeat)]

                def on_day(
                    number: int, prefix: list[str] = prefix, extra: list[str] = extra, days: list[str] = days
                ) -> list[str]:
                    return [*prefix, "--today", days[number], *extra]

                new_day = best_of(on_day, args.repeat, args.timeout, work)
                add(judge(Row(f"ap {label} N={count:,} new day", new_day, "parse floor", floor), count, label))
                last = days[new_day.runs - 1]  # the results cached are this day's
                same_day = best_of([*prefix, "--today", last, *extra], args.repeat, args.timeout, work)
                add(judge(Row(f"ap {label} N={count:,} same day", same_day, "parse floor", floor), count, label))
        if imports is not None:
            base, register = imports
            target = work / "import" / "records"
            clear_caches(base)
            primed = work / "primed" / "records"
            shutil.copytree(base, primed, symlinks=True)
            run_once([ap, "--records", str(primed), "--today", "2027-07-19", "list"], args.timeout, work)

            def copy_of(source: Path) -> Any:
                def fresh_copy() -> None:
                    shutil.rmtree(target.parent, ignore_errors=True)
                    shutil.copytree(source, target, symlinks=True)

                return fresh_copy

            floor = best_of(
                [python, "-c", IMPORT_FLOOR, str(target), str(register)],
                args.repeat,
                args.timeout,
                work,
                before=copy_of(base),
            )
            add(Row("import floor 200 pupils", floor))
            command = [ap, "--records", str(target), "--today", "2027-07-19", "attendance", "import", str(register)]
            for label, source in (("cold", base), ("warm", primed)):
                run = best_of(command, args.repeat, args.timeout, work, before=copy_of(source))
                add(Row(f"ap attendance import 200x1yr {label}", run, "import floor", floor))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nmeasured in {time.perf_counter() - began:.0f} s; load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.live and code_state() != state:
        print(f"NOTE: apcli changed while this ran; now {code_state()}")
    if 2000 in folders and 20000 in folders:
        floor_growth = rows["parse floor N=20,000"].run.seconds / rows["parse floor N=2,000"].run.seconds
        print(
            "\ngrowth from N=2,000 to N=20,000 (target: no worse than linear, i.e. time ratio <= 10; "
            "'vs floor' divides by the floor's own growth)"
        )
        for label in ("parse floor", *(f"ap {name}" for name, _ in commands)):
            for kind in ("", " cold", " new day", " same day"):
                small, large = rows.get(f"{label} N=2,000{kind}"), rows.get(f"{label} N=20,000{kind}")
                if small is None or large is None:
                    continue
                growth = large.run.seconds / small.run.seconds
                smallest = rows.get(f"{label} N=200{kind}")
                marginal = ""
                if smallest is not None and small.run.seconds > smallest.run.seconds:
                    per_small = (small.run.seconds - smallest.run.seconds) / 1800 * 1000
                    per_large = (large.run.seconds - small.run.seconds) / 18000 * 1000
                    marginal = f"  ms/case: {per_small:.2f} (200->2k), {per_large:.2f} (2k->20k)"
                incomplete = large.run.timed_out or any(r.run.code not in (0, 1) for r in (small, large))
                if label == "parse floor":
                    verdict = ""
                elif incomplete:
                    verdict = "?"
                else:
                    verdict = "PASS" if growth <= 10 else "FAIL"
                over = ">" if large.run.timed_out else " "
                versus = f" ({growth / floor_growth:4.2f} vs floor)" if label != "parse floor" else " " * 16
                print(
                    f"  {label + kind:<24} {over}{growth:6.2f}x{versus} {verdict:<4}{marginal}"
                    f"{' (timed out at 20,000: a lower bound)' if large.run.timed_out else ''}"
                    f"{' (a run failed: no figure)' if incomplete and not large.run.timed_out else ''}"
                )


if __name__ == "__main__":
    main()
