"""How long `ap --help` and `ap list` take to start: median of N runs, as a user would run them.

    python bench/startup.py [N]

Not part of the test suite; run it after changing imports.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    ap = shutil.which("ap") or sys.exit("install ap first: pip install -e .")
    bare = median_seconds([sys.executable, "-c", "pass"], runs)
    print(f"python -c pass        {bare * 1000:7.1f} ms")
    for args in (["--help"], ["list", "--today", "2026-11-27"], ["check", "--today", "2026-11-27"]):
        print(f"ap {' '.join(args):<18} {median_seconds([ap, *args], runs) * 1000:7.1f} ms  (median of {runs})")


if __name__ == "__main__":
    main()
