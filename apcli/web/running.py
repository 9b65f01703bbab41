"""A form submitted is the CLI command it names, run in this process.

The web view never writes a records file itself: a form becomes the `ap` command line a person would type
(`ap --records DIR --by NAME notice AP-2026-001 --method post`), and the CLI runs it here, exactly as from a
terminal. So the core function, the rules, the case lock, the journal, the history entry and the git commit
(with the person's name in its message) are the CLI's own, and a case file written from the browser is byte for
byte the one the CLI writes for the same inputs (tests/test_web.py compares them). The CLI hands the server the
`Runner` (apcli/cli/serve.py): this package imports nothing of the CLI, as the CLI's layer is above it.

One command runs at a time: the CLI keeps a command's state (who, today, the files it wrote for its commit) in
the process, so the server holds `ONE_AT_A_TIME` around every command and every page that reads the records.
A person's clicks are seconds apart; a command takes a fraction of one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from apcli.errors import ApError

ONE_AT_A_TIME = threading.RLock()


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit code, what it printed, and the error it stopped with (if it was ap's)."""

    exit_code: int
    output: str
    errors: str
    error: ApError | None = None
    crashed: BaseException | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.crashed is None


# (the command line after the global options, who is acting) -> what it did; run under ONE_AT_A_TIME
Runner = Callable[[list[str], str | None], Ran]
