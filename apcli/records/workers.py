"""Working many cases out at once, one worker process per core: a run with no index (the first, or after
a rules change) works every case out, and on a machine of several cores each core can take its share.

Only where it is safe and worth it: on Linux (workers are forked, so they start with what the command has
read: settings, calendar, providers, the rules; no start-up of their own), from a process with no other
thread (`ap serve` serves from threads: it works cases out one at a time), for at least `AT_LEAST` cases,
with more than one core. `AP_WORKERS` sets how many (1: none).

A worker only reads the case files and works them out; it never touches the index (`Index.connection` is
None in a forked process: the command alone writes it). What a worker cannot work out (an unreadable case,
say), and every case not yet answered when a worker dies, is worked out by the command itself, which then
reports it as it always does. Results come back in the order of the cases, a batch at a time, so a report's
lines are never all held at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

AT_LEAST = 200  # fewer cases are worked out sooner by the command alone than by starting workers
MOST = 8
BATCH = 512  # cases handed to the workers at once: what is held back, at most, while the command writes
CHUNK = 8  # cases a worker takes at a time
_PR_SET_PDEATHSIG = 1  # Linux's prctl: the signal a process gets when its parent ends

# What a worker sends back for a case (`work`'s answer): its result's pieces, the sha256 of its file's text and
# its validated content (for the index), or None where the command must work it out itself.
Done = tuple[list[tuple[int, int, Any]], str, str] | None
Work = Callable[[str], Done]

_work: Work | None = None  # set before the workers are forked, so they have it without its being pickled


def worker_count(cases: int) -> int:
    """How many workers to work `cases` cases out with: 0 for none (the command alone)."""
    wanted = os.environ.get("AP_WORKERS", "").strip()
    if wanted.isdigit():
        count = int(wanted)
    else:
        try:
            count = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            count = os.cpu_count() or 1
    count = min(count, MOST)
    if count < 2 or cases < AT_LEAST or not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 0
    return count


def in_workers(
    work: Work, case_ids: list[str], workers: int, before: Callable[[list[str]], None] | None = None
) -> Iterator[tuple[str, Done]]:
    """`work(case)` for each case, by `workers` forked processes, in the order of `case_ids`; `before(cases)`
    is called here before each batch is handed out. If a worker dies (killed, out of memory), the cases not
    yet answered are answered None: the command works them out."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _work
    _work = work
    # What the command holds is frozen out of the garbage collector's sight: a worker's collections would
    # otherwise touch every object it inherited, copying the command's memory page by page.
    gc.freeze()
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_quiet, initargs=(os.getpid(),)
    )
    answered = 0
    try:
        try:
            with _interrupts_held():
                pool.submit(int)  # forks every worker now (and none later), each born with Ctrl-C held back
        except OSError:  # no process can be made now (a limit, memory): the command works every case out
            for started in multiprocessing.active_children():  # any worker forked before the one that failed
                started.kill()
                started.join(5)
            yield from ((case_id, None) for case_id in case_ids)
            return
        for start in range(0, len(case_ids), BATCH):
            batch = case_ids[start : start + BATCH]
            if before is not None:
                before(batch)
            for answer in pool.map(_work_out, batch, chunksize=CHUNK):
                yield answer
                answered += 1
    except BrokenProcessPool:
        yield from ((case_id, None) for case_id in case_ids[answered:])
    finally:
        # a second Ctrl-C during the shutdown would cut it short, leaving workers never told to stop
        with _interrupts_held():
            pool.shutdown(wait=True, cancel_futures=True)
        _work = None
        gc.unfreeze()


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C held back (not lost: it arrives after): while the workers are forked, so that none is stopped
    between its fork and `_quiet`, as one was, leaving processes that never ended; and while they are stopped."""
    import signal

    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _quiet(command: int) -> None:
    """In a worker: Ctrl-C is left to the command, which stops the workers and says so once; what a worker
    would print goes nowhere (a case it cannot work out, the command works out and reports); and it ends when
    the command does, even killed (else it would wait for ever to send back an answer no one reads)."""
    import ctypes
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C held back since the fork is dropped with it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != command:  # the command ended before that was asked
        os._exit(0)


def _work_out(case_id: str) -> tuple[str, Done]:
    assert _work is not None  # set in the command before it forked this worker
    try:
        return case_id, _work(case_id)
    except Exception:  # the command works it out again, and reports it as it always does
        return case_id, None
