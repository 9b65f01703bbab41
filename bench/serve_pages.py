"""How fast `ap serve` answers: the Today page and a case page, warm, over the benchmark's generated folder.

    python bench/serve_pages.py [--cases 200] [--runs 20] [--today 2027-07-01]

Starts `ap serve` as a person does (a real waitress server on 127.0.0.1), lets itself in with the printed
token, asks each page once to warm it (the index of results fills on the first run of a day), then times
`--runs` requests of each over HTTP, as a browser sends them, and prints the median and the slowest against
the target (300 ms warm, issue 19). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import generated_folder

TARGET = 0.300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ask(port: int, path: str, cookie: str) -> tuple[int, float, str]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie})
    answer = connection.getresponse()
    body = answer.read()
    seconds = time.perf_counter() - started
    connection.close()
    return answer.status, seconds, answer.getheader("Set-Cookie") or body.decode("utf-8", "replace")[:200]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--today", default="2027-07-01", help="the day taken as today (a year of marks by then)")
    given = parser.parse_args()
    folder = generated_folder(given.cases, fresh=False)
    port = free_port()
    line = [sys.executable, "-m", "apcli", "--records", str(folder), "--today", given.today, "serve", "--port",
            str(port)]  # fmt: skip
    server = subprocess.Popen(line, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = ""
        while not address.startswith("http://"):
            address = (server.stdout.readline() if server.stdout else "").strip()
        time.sleep(0.5)
        status, _, cookie_header = ask(port, address.split(str(port), 1)[1], "")
        cookie = cookie_header.split(";", 1)[0]
        assert status == 302 and cookie.startswith("ap_session="), (status, cookie_header)
        first_case = sorted(path.stem for path in (folder / "cases").glob("*.yaml"))[given.cases // 2]
        print(f"{given.cases} cases in {folder}; today {given.today}; {given.runs} runs each, after one to warm")
        for label, path in (("Today", "/"), ("a case", f"/case/{first_case}"), ("Cases", "/cases")):
            status, cold, _ = ask(port, path, cookie)
            assert status == 200, (path, status)
            times = [ask(port, path, cookie)[1] for _ in range(given.runs)]
            median, slowest = statistics.median(times), max(times)
            verdict = "ok" if median <= TARGET else "OVER"
            print(f"{label:8} first {cold * 1000:7.0f} ms   warm median {median * 1000:6.0f} ms   slowest "
                  f"{slowest * 1000:6.0f} ms   target {TARGET * 1000:.0f} ms: {verdict}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
