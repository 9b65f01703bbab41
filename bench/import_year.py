"""Time `ap attendance import` of a school year of marks for N pupils (default 200: about 76,000 sessions).

    python bench/import_year.py [N]

Makes a throwaway records folder from the demo school, adds N fictional cases
placed at the demo provider every weekday of 2026/27, writes one long-layout
register with every session, and runs the real `ap` command on it. Not part of
the test suite: run it after changing the importer or the store.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apcli.records.store import Records
from apcli.setup.demo import place_pupils, write_register
from apcli.setup.init import init_records

START, END = dt.date(2026, 9, 2), dt.date(2027, 7, 19)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    ap = shutil.which("ap") or sys.exit("install ap first: pip install -e .")
    folder = Path(tempfile.mkdtemp()) / "records"
    try:
        init_records(folder, "Bench", demo=True)
        records = Records.open(folder)
        ids = place_pupils(records, count, START, END)
        days = records.calendar.school_days_between(START, END)
        register = write_register(folder.parent / "register.csv", ids, days, absent_day=13)
        sessions = len(ids) * len(days) * 2
        for label, args in (
            ("import (first time)", ["attendance", "import", str(register)]),
            ("import again (unchanged)", ["attendance", "import", str(register)]),
            ("list", ["list"]),
            ("check", ["check"]),
            ("review due", ["review", "due", "--json"]),
            ("report", ["report", "--json"]),
        ):
            started = time.perf_counter()
            done = subprocess.run(
                [ap, "--records", str(folder), "--today", str(END), *args], capture_output=True, text=True
            )
            seconds = time.perf_counter() - started
            print(f"{label:<26} {seconds:6.2f} s  (exit {done.returncode}; {sessions:,} sessions, {count} pupils)")
            if done.returncode not in (0, 1):
                print(done.stderr[:2000])
    finally:
        shutil.rmtree(folder.parent)


if __name__ == "__main__":
    main()
