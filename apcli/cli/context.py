"""The global options (--records, --today, --by), the error edge, and the one way out to the terminal.

Everything ap prints goes through `SafeStream` (stdout and stderr, for the whole command) or, for Rich's
tables, through `SafeConsole`, which cleans each text before Rich styles it: a control character from a file
or from git (a terminal escape in an author's name, a carriage return in a register's header) is shown as
`?`, never acted on by the terminal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import getpass
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from apcli.errors import ApError

if TYPE_CHECKING:
    from apcli.records.store import Records

GLOBAL_OPTIONS = ("--records", "--today", "--by")
GLOBAL_FLAGS = ("--not-safeguarding",)  # global options without a value


class ApGroup(TyperGroup):
    """The root group: global options anywhere on the line, and one place that turns ApError into an exit."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        with safe_output():
            return self._invoke(ctx)

    def _invoke(self, ctx: typer.Context) -> Any:
        from apcli.records.layout import forget_written

        forget_written()
        try:
            result = super().invoke(ctx)
            commit_if_asked(ctx.invoked_subcommand or "ap")
            return result
        except ApError as error:
            if _current:
                _current[0].error = error
            typer.echo(error.message, err=True)
            raise typer.Exit(error.exit_code) from None
        except BrokenPipeError:  # `ap list | head`: the reader has all it wanted; stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except OSError as error:  # a file the system would not let ap read or write: nothing half-written stays
            where = f" {error.filename}" if error.filename else ""
            typer.echo(
                f"ap could not read or write{where}: {error.strerror or error}. Check the file and its "
                "permissions, and run the command again.",
                err=True,
            )
            raise typer.Exit(3) from None
        except ValueError as error:  # pydantic's ValidationError: a value typed on the command line the model refuses
            if type(error).__name__ != "ValidationError" or not hasattr(error, "errors"):
                raise
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()
            )
            typer.echo(f"Nothing was recorded: {problems}.", err=True)
            raise typer.Exit(2) from None


# C0 controls but tab and newline, DEL, C1 controls (U+009B is a CSI on some terminals), and the bidi
# embeddings, overrides and isolates that make a terminal show text in another order than it is.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes the C0 ones


def safe_text(text: str) -> str:
    """`text` with every control character that a terminal would act on shown as `?` (tab and newline kept)."""
    return _UNSAFE.sub("?", text)


class SafeStream(io.TextIOBase):
    """A text stream that writes `safe_text` of everything to the stream it wraps."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.raw.write(safe_text(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return bool(self.raw.isatty())

    def fileno(self) -> int:
        return int(self.raw.fileno())

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "errors", None) or "strict"


def raw_stream(stream: Any) -> Any:
    return stream.raw if isinstance(stream, SafeStream) else stream


@contextlib.contextmanager
def safe_output() -> Iterator[None]:
    """stdout and stderr through `SafeStream` while a command runs (CliRunner's streams included)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(raw_stream(sys.stdout)), SafeStream(raw_stream(sys.stderr))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def hoist_global_options(args: list[str]) -> list[str]:
    """Move --records/--today/--by (and their values) to the front, wherever they were typed.

    `ap review request ... --by NAME` names the parent, not the user, so its --by stays put (as does
    `ap concern ... --by NAME`, who raised the concern, after the command); and
    `ap report` takes several --records (a trust's view) after the command, so they stay put there.
    """
    front: list[str] = []
    rest: list[str] = []
    keeps_by = args[:2] == ["review", "request"] or (len(args) > 2 and "review" in args and "request" in args)
    keeps_records = command_of(args) == "report"
    concern = command_of(args) == "concern"
    index = 0
    while index < len(args):
        arg = args[index]
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest += args[index:]
            break
        keep = (name == "--by" and (keeps_by or (concern and _after_command(args, index)))) or (
            name == "--records" and keeps_records and _after_command(args, index)
        )
        if arg in GLOBAL_FLAGS:
            front.append(arg)
        elif name in GLOBAL_OPTIONS and not keep:
            if "=" in arg:
                front.append(arg)
            else:
                front += args[index : index + 2]
                index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


def command_of(args: list[str]) -> str | None:
    """The first word that is not a global option or its value."""
    index = 0
    while index < len(args):
        name = args[index].split("=", 1)[0]
        if args[index] in GLOBAL_FLAGS:
            index += 1
            continue
        if name in GLOBAL_OPTIONS:
            index += 1 if "=" in args[index] else 2
            continue
        return args[index]
    return None


def _after_command(args: list[str], index: int) -> bool:
    command = command_of(args)
    return command is not None and command in args[:index]


@dataclass
class State:
    records_option: Path | None
    today: dt.date
    by_option: str | None
    did: str | None = None
    not_safeguarding: bool = False
    today_option: str | None = None  # --today as given, for the commands ap serve runs
    error: ApError | None = None  # what stopped the command, for a caller in this process (ap serve)

    @cached_property
    def records(self) -> Records:
        from apcli.records.store import Records, find_records

        # Absolute from here on: the guard takes a relative path as one inside the folder, and git runs in it.
        records = Records.open((self.records_option or find_records(Path.cwd())).absolute())
        records.not_safeguarding = self.not_safeguarding
        for done in records.recovered:
            note(f"{records.shown(records.root)}: {done.rstrip('.')}.")
        finished = _finish_interrupted_commit(records, self)
        if finished:
            note(f"{records.shown(records.root)}: {finished}")
        return records

    @cached_property
    def by(self) -> str:
        if self.by_option and self.by_option.strip():
            return self.by_option.strip()
        try:
            name = subprocess.run(
                ["git", "config", "user.name"], capture_output=True, text=True, check=False, timeout=5
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            name = ""
        if name:
            return name
        login = getpass.getuser()
        typer.echo(f"Note: recorded as {login!r}; say who you are with --by NAME or AP_USER.", err=True)
        return login


def _finish_interrupted_commit(records: Records, s: State) -> str | None:
    """Before this command changes anything: commit what a command stopped before its commit had written, so
    that its change is committed under its own message, not mixed into this command's (apcli/records/git.py)."""
    from apcli.records.git import PENDING

    if not os.path.lexists(records.root / PENDING):
        return None
    try:
        if not records.settings.commit:
            return None
    except ApError:
        return None
    from apcli.records.git import finish_interrupted_commit

    return finish_interrupted_commit(records.root, s.by_option or "ap")


_current: list[State] = []


def did(message: str) -> None:
    """What the command did, for its git commit: `AP-2026-003: notice issued (post)`."""
    state().did = message


def commit_if_asked(command: str) -> None:
    """One commit of the records files this command wrote, where the settings ask for it (`commit: true`)."""
    from apcli.records.layout import written_files

    written = written_files()
    if not _current or not written or "records" not in vars(state()):
        return
    s = state()
    try:
        wanted = s.records.settings.commit
    except ApError:
        return
    if wanted:
        from apcli.records.git import commit

        problem = commit(s.records.root, written, f"{s.did or f'ap {command}'} by {s.by}", s.by)
        if problem:
            note(problem)


def last_error() -> ApError | None:
    """The ApError that stopped the last command run in this process (its refusal's rules and findings), if any."""
    return _current[0].error if _current else None


def forget_state() -> None:
    """Before a command run in this process: nothing of the one before it (ap serve runs one after another)."""
    _current.clear()


def close_state() -> None:
    """After a command run in this process: close the records it opened (their index)."""
    for current in _current:
        if "records" in current.__dict__:
            current.records.close()


def set_state(value: State) -> None:
    """Called by the root callback once per invocation (CliRunner runs many in one process)."""
    _current[:] = [value]


def state() -> State:
    return _current[0]


def print_json(data: Any, spool: Path | None = None) -> None:
    """One JSON document on stdout. The control characters json.dumps leaves as they are (C1, bidi) are
    written as \\u escapes: the same JSON value, nothing for a terminal to act on.

    It is encoded piece by piece (a list in it may be made as it is written: money.Streamed), and printed only
    once whole, so that a command stopped part-way prints no half document: held in memory up to SPOOLED
    bytes, beyond that in an unnamed file in `spool` (a private folder: ap's cache folder), else in memory."""
    import json
    import shutil
    import tempfile

    def escaped(match: re.Match[str]) -> str:
        return f"\\u{ord(match.group()):04x}"

    # each escape is of one character, so escaping piece by piece escapes what escaping the whole would
    where = str(spool) if spool is not None else None
    with tempfile.SpooledTemporaryFile(SPOOLED if where else 0, "w+", encoding="utf-8", dir=where) as held:
        pieces: list[str] = []
        for piece in json.JSONEncoder(indent=2, ensure_ascii=False, default=str).iterencode(data):
            pieces.append(piece)
            if len(pieces) == 10_000:
                held.write(_UNSAFE_IN_JSON.sub(escaped, "".join(pieces)))
                pieces.clear()
        held.write(_UNSAFE_IN_JSON.sub(escaped, "".join(pieces)) + "\n")
        held.seek(0)
        shutil.copyfileobj(held, sys.stdout)


SPOOLED = 32 * 1024 * 1024  # characters of JSON held in memory before the rest goes to a file


def console() -> Any:
    """A Rich console that cleans every text it is given (`safe_text`) and writes its own styles unchanged: as wide
    as the terminal, or as COLUMNS says, else (a pipe or file) 120 columns."""
    wide = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    return _safe_console_class()(
        file=raw_stream(sys.stdout), highlight=False, markup=False, width=None if wide else 120
    )


def say(text: str) -> None:
    """A line of words: through Rich at a terminal, else written as it is (to a pipe or file, without
    importing Rich, a twentieth of a second)."""
    if sys.stdout.isatty():
        console().print(text)
    else:
        sys.stdout.write(text + "\n")


@functools.cache
def _safe_console_class() -> type[Any]:
    from rich.console import Console

    class SafeConsole(Console):
        """Rich turns every str it prints (a table's cells and titles included) into Text here."""

        def render_str(self, text: str, **options: Any) -> Any:
            return super().render_str(safe_text(text), **options)

    return SafeConsole


RICH_ROWS = 300  # more rows than this, or output to a pipe or file: plain columns, which are fast and grep well


def print_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    title: str | None = None,
    red: Sequence[bool] = (),
    widths: Sequence[int] | None = None,
) -> None:
    """Rows as a table: Rich's boxes at a terminal for a screenful, else plain aligned columns. Given the
    columns' `widths` (the widest cell of each), plain rows are written as they come, never all held."""
    if widths is None or sys.stdout.isatty():
        rows = list(rows)
        if sys.stdout.isatty() and len(rows) <= RICH_ROWS:
            _print_rich(headers, rows, title, red)
            return
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(headers)
        widths = [max(map(len, column), default=0) for column in columns]
    line = aligned(headers, widths)
    print_lines(headers, widths, (line(row) for row in rows), title)


def aligned(headers: Sequence[str], widths: Sequence[int]) -> Callable[[Sequence[str]], str]:
    """A row's line of a plain table whose columns are `widths` wide (or their headings' widths, if wider):
    one format a row, so that 20,000 rows print in a twentieth of a second. The last column is not padded
    (nothing follows it), and no line ends in spaces."""
    padded = [f"{{:<{max(len(header), width)}}}" for header, width in zip(headers[:-1], widths[:-1], strict=True)]
    shape = "  ".join([*padded, "{}"])
    return lambda row: shape.format(*row).rstrip()


def print_lines(headers: Sequence[str], widths: Sequence[int], lines: Iterable[str], title: str | None = None) -> None:
    """A plain table of `lines` (each made by `aligned`), under its title, headings and rule, a thousand lines
    at a time (never held as one text)."""
    line = aligned(headers, widths)
    rule = [*("-" * max(len(h), w) for h, w in zip(headers[:-1], widths[:-1], strict=True)), "-" * len(headers[-1])]
    batch = [*([title] if title else []), line(headers), line(rule)]
    for text in lines:
        batch.append(text)
        if len(batch) == 1000:
            sys.stdout.write("".join(f"{text}\n" for text in batch))
            batch.clear()
    sys.stdout.write("".join(f"{text}\n" for text in batch))


def _print_rich(headers: Sequence[str], rows: list[Sequence[str]], title: str | None, red: Sequence[bool]) -> None:
    from rich.table import Table

    table = Table(*headers, title=title, title_justify="left" if title else "center")
    for index, row in enumerate(rows):
        table.add_row(*row, style="bold red" if index < len(red) and red[index] else None)
    console().print(table)


def note(message: str) -> None:
    typer.echo(message, err=True)


def overrides_from(pairs_override: list[str] | None, pairs_why: list[str] | None) -> dict[str, str]:
    from apcli.errors import UsageError
    from apcli.policy import parse_overrides

    overrides, whys = pairs_override or [], pairs_why or []
    if len(overrides) != len(whys):
        raise UsageError('Give one --why "..." for each --override RULE-ID, in the same order.')
    return parse_overrides(list(zip(overrides, whys, strict=False)))


def today_from(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    from apcli.model.dates import parse_date

    return parse_date(value, "--today")


def run_editor(path: Path) -> None:
    """Open `path` in the user's editor ($VISUAL, $EDITOR, else nano or vi) and wait for it to close."""
    import shlex
    import shutil

    from apcli.errors import UsageError

    command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not command:
        command = next((name for name in ("nano", "vi", "notepad") if shutil.which(name)), "")
    if not command:
        raise UsageError("Set the EDITOR environment variable to your editor, for example: export EDITOR=nano")
    try:
        words = shlex.split(command)
    except ValueError as error:
        raise UsageError(f"The EDITOR setting ({command}) cannot be read: {error}.") from None
    try:
        subprocess.run([*words, str(path)], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise UsageError(f"The editor ({command}) did not run: {error}. Your draft is {path}.") from None
