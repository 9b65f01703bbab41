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

from apcli.initfolder import init_records
from apcli.models import Case
from apcli.store import Records

START, END = dt.date(2026, 9, 2), dt.date(2027, 7, 19)


def make_cases(records: Records, count: int) -> list[str]:
    template = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    ids = []
    for number in range(count):
        case_id = f"AP-2025-{number + 1:03d}"
        data = dict(template)
        data["pupil"] = {**template["pupil"], "name": f"Bench Pupil {number}"}
        data["placement"] = {
            "provider": "larkhill-green",
            "start": START,
            "end": END,
            "aims": ["x"],
            "report_to": "x",
            "start_time": "09:15",
        }
        data["notices"] = [{"date": dt.date(2026, 9, 1), "method": "hand", "start": START, "end": END, "to": ["x"]}]
        records.save_case(case_id, Case.model_validate(data), None)
        ids.append(case_id)
    return ids


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    ap = shutil.which("ap") or sys.exit("install ap first: pip install -e .")
    folder = Path(tempfile.mkdtemp()) / "records"
    try:
        init_records(folder, "Bench", demo=True)
        records = Records.open(folder)
        ids = make_cases(records, count)
        days = records.calendar.school_days_between(START, END)
        register = folder.parent / "register.csv"
        with register.open("w") as out:
            out.write("case,date,session,mark\n")
            for case_id in ids:
                for day in days:
                    out.write(f"{case_id},{day},AM,B\n{case_id},{day},PM,{'N' if day.day == 13 else 'B'}\n")
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
